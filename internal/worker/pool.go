package worker

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed js
var jsFiles embed.FS

// Defaults for the zero values of Options.
const (
	defaultHeartbeat    = 500 * time.Millisecond
	defaultUnresponsive = 10 * time.Second
	defaultStartTimeout = 15 * time.Second
	minNodeMajor        = 18
	maxRestartBackoff   = 5 * time.Second
)

// Pool is a set of warm Node.js processes running Functions. It is safe for
// concurrent use.
type Pool struct {
	opts      Options
	log       *slog.Logger
	node      string // absolute path of the node binary
	dir       string // temp dir holding the runtime script
	script    string
	initFrame []byte
	env       []string

	nextID   atomic.Uint64
	restarts atomic.Uint64 // workers replaced since Start

	mu       sync.Mutex
	slots    []*proc
	avail    chan struct{} // closed and replaced whenever a slot gets a live worker
	closed   bool          // no new invocations
	stopping chan struct{} // closed when supervisors must stop restarting
	stopCtx  context.Context
	stop     context.CancelFunc // cancels replacement starts still in progress
	inflight int
	drained  chan struct{} // closed and replaced when inflight drops to 0

	supervisors sync.WaitGroup
}

// Start checks the node binary, starts opts.Count worker processes and waits
// until each has loaded the runtime and answered the handshake.
func Start(ctx context.Context, opts Options) (*Pool, error) {
	if opts.Count <= 0 {
		opts.Count = runtime.NumCPU()
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = defaultHeartbeat
	}
	if opts.Unresponsive <= 0 {
		opts.Unresponsive = defaultUnresponsive
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = defaultStartTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	node, err := findNode(opts.Node)
	if err != nil {
		return nil, err
	}
	// The version check starts a Node process of its own: run it beside the
	// workers' start rather than before it, which would add a Node start-up
	// to every launch and reload.
	versionErr := make(chan error, 1)
	go func() { versionErr <- checkNodeVersion(ctx, node) }()
	p := &Pool{
		opts:     opts,
		log:      opts.Logger,
		node:     node,
		slots:    make([]*proc, opts.Count),
		avail:    make(chan struct{}),
		stopping: make(chan struct{}),
		drained:  make(chan struct{}),
	}
	if err := p.prepare(); err != nil {
		<-versionErr
		return nil, err
	}
	p.stopCtx, p.stop = context.WithCancel(context.Background())

	procs := make([]*proc, opts.Count)
	errs := make([]error, opts.Count)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { procs[i], errs[i] = p.spawn(ctx) })
	}
	wg.Wait()
	err = errors.Join(errs...)
	if verr := <-versionErr; verr != nil {
		err = verr // a too old Node explains any start-up failure of the workers
	}
	if err != nil {
		for _, w := range procs {
			if w != nil {
				w.kill()
				<-w.exited
			}
		}
		os.RemoveAll(p.dir)
		p.stop()
		return nil, err
	}
	for i, w := range procs {
		p.slots[i] = w
		p.supervisors.Add(1)
		go p.supervise(i, w)
	}
	return p, nil
}

var nodeVersionRE = regexp.MustCompile(`^v(\d+)\.`)

// findNode resolves the node binary to an absolute path.
func findNode(node string) (string, error) {
	if node == "" {
		node = "node"
	}
	path, err := exec.LookPath(node)
	if err != nil {
		return "", fmt.Errorf("node.js not found (%w): %s", err, nodeHint)
	}
	if path, err = filepath.Abs(path); err != nil {
		return "", fmt.Errorf("resolve %s: %w", node, err)
	}
	return path, nil
}

const nodeHint = "install Node.js 18 or newer or pass --node PATH"

// checkNodeVersion refuses Node.js versions older than 18.
func checkNodeVersion(ctx context.Context, path string) error {
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("run %s --version: %w: %s", path, err, nodeHint)
	}
	version := strings.TrimSpace(string(out))
	m := nodeVersionRE.FindStringSubmatch(version)
	if m == nil {
		return fmt.Errorf("%s reports version %q, not a Node.js version: %s", path, version, nodeHint)
	}
	if major, _ := strconv.Atoi(m[1]); major < minNodeMajor {
		return fmt.Errorf("%s is Node.js %s, too old: %s", path, version, nodeHint)
	}
	return nil
}

// prepare writes the runtime script to a temp dir (a real file gives readable
// stack traces) and precomputes what every spawn needs.
func (p *Pool) prepare() error {
	dir, err := os.MkdirTemp("", "ahoy-worker-")
	if err != nil {
		return fmt.Errorf("create worker script dir: %w", err)
	}
	entries, err := jsFiles.ReadDir("js")
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("read embedded runtime: %w", err)
	}
	for _, e := range entries {
		b, err := jsFiles.ReadFile("js/" + e.Name())
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600)
		}
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("write worker runtime: %w", err)
		}
	}
	p.dir = dir
	p.script = filepath.Join(dir, "worker.js")

	pr := p.opts.Project
	ip := initProject{
		Dir:           pr.Dir,
		Env:           make([][2]string, 0, len(pr.Env)),
		DomainName:    pr.DomainName,
		Functions:     make([]initResource, 0, len(pr.Functions)),
		PrivateAssets: make([]initResource, 0, len(pr.PrivateAssets)),
		EventRequest:  pr.EventRequest,
	}
	p.env = make([]string, 0, len(pr.Env))
	for _, e := range pr.Env {
		ip.Env = append(ip.Env, [2]string{e.Key, e.Value})
		// R31: the process environment is exactly the .env values.
		p.env = append(p.env, e.Key+"="+e.Value)
	}
	for _, r := range pr.Functions {
		ip.Functions = append(ip.Functions, initResource{Key: r.Key, File: r.File})
	}
	for _, r := range pr.PrivateAssets {
		ip.PrivateAssets = append(ip.PrivateAssets, initResource{Key: r.Key, File: r.File})
	}
	hdr, err := json.Marshal(initHeader{Type: "init", Project: ip})
	if err == nil {
		p.initFrame, err = encodeFrame(hdr, nil)
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("encode init frame: %w", err)
	}
	return nil
}

// supervise replaces the worker in slot i whenever it dies, until the pool stops.
func (p *Pool) supervise(i int, w *proc) {
	defer p.supervisors.Done()
	backoff := 100 * time.Millisecond
	for {
		<-w.exited
		p.mu.Lock()
		p.slots[i] = nil
		p.mu.Unlock()
		w.failAll()
		select {
		case <-p.stopping:
			return
		default:
		}
		p.restarts.Add(1)
		if reason := w.killReason(); reason != "" {
			p.log.Info(fmt.Sprintf("worker %d was killed (%s); restarting it", w.pid, reason), "worker", w.pid)
		} else {
			p.log.Error(fmt.Sprintf("worker %d exited (%s); restarting it", w.pid, w.exitStatus()),
				"worker", w.pid, "stderr", w.stderr.String())
		}
		// A worker that dies on its own before taking any invocation points at
		// a broken project or environment: back off so we do not spin the
		// CPU restarting it. One killed by a Function restarts at once.
		quick := !w.invoked.Load() && time.Since(w.started) < 10*time.Second
		if !quick {
			backoff = 100 * time.Millisecond
		}
		for attempt := 0; ; attempt++ {
			if quick || attempt > 0 {
				if !p.sleep(backoff) {
					return
				}
				backoff = min(backoff*2, maxRestartBackoff)
			}
			nw, err := p.spawn(p.stopCtx)
			if err == nil {
				w = nw
				break
			}
			if p.stopCtx.Err() != nil {
				return
			}
			p.log.Error("could not start a replacement worker", "error", err)
		}
		p.mu.Lock()
		select {
		case <-p.stopping:
			p.mu.Unlock()
			w.kill()
			<-w.exited
			return
		default:
		}
		p.slots[i] = w
		close(p.avail)
		p.avail = make(chan struct{})
		p.mu.Unlock()
	}
}

// sleep waits d or until the pool stops; it reports whether to go on.
func (p *Pool) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stopping:
		return false
	}
}

// pick returns the live worker with the fewest invocations in flight,
// waiting for one while all are restarting.
func (p *Pool) pick(ctx context.Context) (*proc, error) {
	for {
		p.mu.Lock()
		var best *proc
		for _, w := range p.slots {
			if w == nil || w.dead.Load() {
				continue
			}
			if best == nil || w.load.Load() < best.load.Load() {
				best = w
			}
		}
		avail := p.avail
		p.mu.Unlock()
		if best != nil {
			return best, nil
		}
		select {
		case <-avail:
		case <-p.stopping:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Invoke runs one Function invocation and waits for its reply. When ctx is
// done first it returns ctx.Err() at once and tells the worker to forget the
// invocation. It returns ErrWorkerExited when the worker died first and
// ErrClosed when the pool is shutting down.
func (p *Pool) Invoke(ctx context.Context, inv Invocation) (*Reply, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.inflight++
	p.mu.Unlock()
	defer p.done()

	id := p.nextID.Add(1)
	msg, err := encodeInvoke(id, inv)
	if err != nil {
		return nil, fmt.Errorf("encode invocation: %w", err)
	}

	for {
		w, err := p.pick(ctx)
		if err != nil {
			return nil, err
		}
		c := &call{inv: inv, ch: make(chan result, 1)}
		if !w.register(id, c) {
			continue // it died between pick and register: pick another
		}
		if err := w.send(ctx, msg); err != nil {
			w.unregister(id)
			return nil, err
		}
		select {
		case r := <-c.ch:
			return r.reply, r.err
		case <-ctx.Done():
			if !w.unregister(id) {
				// The reply (or the worker's death) won the race and is
				// already on its way into c.ch.
				r := <-c.ch
				return r.reply, r.err
			}
			cancel, _ := json.Marshal(idHeader{Type: "cancel", ID: id})
			if f, err := encodeFrame(cancel, nil); err == nil {
				w.trySend(f)
			}
			return nil, ctx.Err()
		}
	}
}

func (p *Pool) done() {
	p.mu.Lock()
	p.inflight--
	if p.inflight == 0 {
		close(p.drained)
		p.drained = make(chan struct{})
	}
	p.mu.Unlock()
}

// Stats is a point-in-time view of a pool, for health checks and metrics.
type Stats struct {
	Workers  int    // processes alive and serving
	InFlight int    // invocations running
	Restarts uint64 // workers replaced since Start (crashes, kills, timeouts)
}

// Stats reports the pool's current state.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{InFlight: p.inflight, Restarts: p.restarts.Load()}
	for _, w := range p.slots {
		if w != nil && !w.dead.Load() {
			st.Workers++
		}
	}
	return st
}

// InFlight reports how many invocations are running.
func (p *Pool) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight
}

// Close stops accepting invocations (they get ErrClosed), waits for those in
// flight until ctx is done, then asks every worker to exit and kills the
// process groups of those that do not. It returns after every process is
// gone; the error is ctx's when invocations were still running.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	p.mu.Unlock()
	if already {
		p.supervisors.Wait()
		return nil
	}

	var err error
	for {
		p.mu.Lock()
		n, drained := p.inflight, p.drained
		p.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-drained:
			continue
		case <-ctx.Done():
			err = fmt.Errorf("close with %d invocations in flight: %w", n, ctx.Err())
		}
		break
	}

	p.mu.Lock()
	close(p.stopping)
	p.stop()
	live := make([]*proc, 0, len(p.slots))
	for _, w := range p.slots {
		if w != nil {
			live = append(live, w)
		}
	}
	p.mu.Unlock()

	for _, w := range live {
		w.askExit()
	}
	// Workers get a moment to exit on their own; then their groups are killed.
	grace, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, w := range live {
		select {
		case <-w.exited:
		case <-grace.Done():
		}
		w.kill() // also reaps grandchildren left in the process group
		<-w.exited
	}
	p.supervisors.Wait()
	os.RemoveAll(p.dir)
	return err
}
