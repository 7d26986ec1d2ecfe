package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ahoy-run/ahoy/bench/load"
)

// kind is one of the servers compared.
type kind struct {
	Name  string // as given to -servers
	Title string // as shown in the report
	// command returns the command serving project folder dir on port.
	command func(t *tools, dir string, port int) *exec.Cmd
}

// tools are the programs the servers run, from the runner's flags.
type tools struct {
	ahoy     string // the ahoy binary built from this checkout
	node     string // node binary
	modules  string // bench/twilio-run/node_modules (absolute)
	nodeHTTP string // bench/node-http/server.js (absolute)
	workers  int    // Ahoy's --workers
}

// kinds lists every server, Ahoy first (the ratios are Ahoy's ÷ the others').
var kinds = []*kind{
	{
		Name: "ahoy", Title: "Ahoy",
		command: func(t *tools, dir string, port int) *exec.Cmd {
			// --max-inflight 0: the admission limit (R46, 429s) would
			// throttle the load itself; every other limit is far above what
			// the load sends or receives, so production defaults stay.
			return exec.Command(t.ahoy, "serve", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
				"--workers", strconv.Itoa(t.workers), "--max-inflight", "0", dir)
		},
	},
	{
		Name: "node-http", Title: "node:http (hand-written)",
		command: func(t *tools, dir string, port int) *exec.Cmd {
			return exec.Command(t.node, t.nodeHTTP, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--project", dir)
		},
	},
	{
		Name: "twilio-run-inline", Title: "twilio-run --no-fork-process --no-live",
		command: func(t *tools, dir string, port int) *exec.Cmd {
			return exec.Command(t.node, filepath.Join(t.modules, "twilio-run", "bin", "twilio-run.js"),
				"start", "--port", strconv.Itoa(port), "--no-fork-process", "--no-live", dir)
		},
	},
	{
		Name: "twilio-run", Title: "twilio-run (default: a process per request)",
		command: func(t *tools, dir string, port int) *exec.Cmd {
			return exec.Command(t.node, filepath.Join(t.modules, "twilio-run", "bin", "twilio-run.js"),
				"start", "--port", strconv.Itoa(port), dir)
		},
	},
}

func kindByName(name string) *kind {
	for _, k := range kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// server is one running server process and its session.
type server struct {
	kind *kind
	addr string // 127.0.0.1:port
	cmd  *exec.Cmd
	sid  int           // session id = the leader's pid
	done chan struct{} // closed when the leader has exited
	err  error         // the leader's exit status, once done
}

// registry tracks every live server so that an interrupt or an error can
// stop them all: no Node process outlives the runner.
type registry struct {
	mu      sync.Mutex
	live    map[*server]bool
	closing bool
}

var servers = &registry{live: map[*server]bool{}}

// stopAll stops every live server and refuses new ones.
func (r *registry) stopAll() {
	r.mu.Lock()
	r.closing = true
	list := make([]*server, 0, len(r.live))
	for s := range r.live {
		list = append(list, s)
	}
	r.mu.Unlock()
	for _, s := range list {
		s.stop()
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches k serving dir on a free port in a session of its own,
// output appended to logPath. It does not wait for the server to be ready.
func start(t *tools, k *kind, dir, logPath string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd := k.command(t, dir, port)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "NO_UPDATE_NOTIFIER=1", "FORCE_COLOR=0")
	// Setsid: a session of its own, which the runner measures and kills.
	// Pdeathsig: the leader dies with the runner even if the runner is
	// SIGKILLed and cannot clean up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(logf, "### %s: %s\n", time.Now().Format(time.RFC3339Nano), cmd.String())

	servers.mu.Lock()
	defer servers.mu.Unlock()
	if servers.closing {
		return nil, errors.New("interrupted")
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", k.Name, err)
	}
	s := &server{kind: k, addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, sid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	servers.live[s] = true
	return s, nil
}

// stop kills the server's whole session and waits for its leader.
func (s *server) stop() {
	killSession(s.sid, time.Second)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	servers.mu.Lock()
	delete(servers.live, s)
	servers.mu.Unlock()
}

// exited reports whether the leader has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// probe sends one request on a fresh connection and returns the status and
// body.
func probe(addr string, req []byte, timeout time.Duration) (int, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(req); err != nil {
		return 0, nil, err
	}
	status, _, body, err := load.ReadResponse(bufio.NewReader(c), true)
	return status, body, err
}

// waitReady polls req every interval until it answers 200, and returns the
// time from launched to that 200. It fails when the server exits or limit
// passes.
func (s *server) waitReady(req []byte, launched time.Time, interval, limit time.Duration) (time.Duration, error) {
	for {
		status, _, err := probe(s.addr, req, 2*time.Second)
		if err == nil && status == 200 {
			return time.Since(launched), nil
		}
		if s.exited() {
			return 0, fmt.Errorf("%s exited before answering (%v); see its log", s.kind.Name, s.err)
		}
		if time.Since(launched) > limit {
			return 0, fmt.Errorf("%s did not answer 200 within %v (last: status %d, %v)", s.kind.Name, limit, status, err)
		}
		time.Sleep(interval)
	}
}

// check sends one request and verifies the response is a 200 whose body
// contains want.
func (s *server) check(req []byte, want string) error {
	status, body, err := probe(s.addr, req, 15*time.Second)
	if err != nil {
		return err
	}
	if status != 200 || !bytes.Contains(body, []byte(want)) {
		return fmt.Errorf("status %d, body %.200q; want 200 and a body containing %q", status, body, want)
	}
	return nil
}

// waitQuiet waits until the session has used at most one clock tick of CPU
// in each of two consecutive 100 ms intervals, or max passes, and returns
// how long it waited. After a cell, work the load left behind (twilio-run's
// forked Function processes run on after their client has gone) must not
// run into the next server's cell. The session's tick sum can dip when a
// child exits (a zombie's times vanish before its parent reaps it and gains
// them as cutime), so a dip counts as busy.
func (s *server) waitQuiet(max time.Duration) time.Duration {
	start := time.Now()
	prev := sessionUsage(s.sid).ticks
	quiet := 0
	for time.Since(start) < max {
		time.Sleep(100 * time.Millisecond)
		reapOrphans(s.sid)
		cur := sessionUsage(s.sid).ticks
		if d := cur - prev; d >= 0 && d <= 1 {
			quiet++
		} else {
			quiet = 0
		}
		if quiet == 2 {
			break
		}
		prev = cur
	}
	return time.Since(start)
}
