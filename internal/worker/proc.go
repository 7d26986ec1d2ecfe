package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is one Node process and its channel.
type proc struct {
	p       *Pool
	pid     int
	cmd     *exec.Cmd
	started time.Time

	toChild   *os.File // fd 3 in the child
	fromChild *os.File // fd 4 in the child
	stdout    *os.File
	stderrR   *os.File
	stderr    *tail

	out    chan []byte    // encoded frames for the writer goroutine
	ready  chan *inHeader // the handshake frame
	exited chan struct{}  // closed once the process is reaped and its pipes are drained

	dead     atomic.Bool // killed or exited: take no new invocations
	invoked  atomic.Bool // it was given at least one invocation
	load     atomic.Int64
	lastPong atomic.Int64 // unix nanoseconds

	mu      sync.Mutex
	pending map[uint64]*call
	reason  string // why we killed it; "" when it died on its own
	state   *os.ProcessState
}

type call struct {
	inv Invocation
	ch  chan result
}

type result struct {
	reply *Reply
	err   error
}

// spawn starts one worker and waits for its ready frame.
func (p *Pool) spawn(ctx context.Context) (*proc, error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	toR, toW, err1 := pipe()
	fromR, fromW, err2 := pipe()
	outR, outW, err3 := pipe()
	errR, errW, err4 := pipe()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		closeAll()
		return nil, fmt.Errorf("create worker pipes: %w", err)
	}

	args := []string{}
	if p.opts.MemoryMB > 0 {
		args = append(args, "--max-old-space-size="+strconv.Itoa(p.opts.MemoryMB))
	}
	args = append(args, p.script)
	cmd := exec.Command(p.node, args...)
	cmd.Dir = p.opts.Project.Dir
	cmd.Env = p.env
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.ExtraFiles = []*os.File{toR, fromW}
	// Own process group, so killing -pid also kills anything the Function spawned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start worker %s: %w", p.node, err)
	}
	// The child holds its own copies; ours would keep the pipes open forever.
	toR.Close()
	fromW.Close()
	outW.Close()
	errW.Close()

	w := &proc{
		p:         p,
		pid:       cmd.Process.Pid,
		cmd:       cmd,
		started:   time.Now(),
		toChild:   toW,
		fromChild: fromR,
		stdout:    outR,
		stderrR:   errR,
		stderr:    newTail(4096),
		out:       make(chan []byte, 256),
		ready:     make(chan *inHeader, 1),
		exited:    make(chan struct{}),
		pending:   make(map[uint64]*call),
	}
	w.lastPong.Store(time.Now().UnixNano())
	w.run()

	w.out <- p.initFrame
	timer := time.NewTimer(p.opts.StartTimeout)
	defer timer.Stop()
	select {
	case h := <-w.ready:
		w.lastPong.Store(time.Now().UnixNano())
		go w.heartbeat()
		p.log.Debug("worker ready", "worker", w.pid, "node", h.Node, "twilio", h.Twilio)
		return w, nil
	case <-w.exited:
		return nil, fmt.Errorf("worker %d exited during startup (%s): %s", w.pid, w.exitStatus(), w.stderr.String())
	case <-timer.C:
		w.killFor("no ready frame")
		<-w.exited
		return nil, fmt.Errorf("worker %d did not get ready within %s: %s", w.pid, p.opts.StartTimeout, w.stderr.String())
	case <-ctx.Done():
		w.killFor("startup cancelled")
		<-w.exited
		return nil, fmt.Errorf("start worker: %w", ctx.Err())
	}
}

// run starts the goroutines that serve the process: the frame writer, the
// frame reader, the stdout/stderr loggers and the reaper.
func (w *proc) run() {
	var readers sync.WaitGroup
	readers.Go(w.readFrames)
	readers.Go(func() { w.readLines(w.stdout, "stdout", slog.LevelInfo) })
	readers.Go(func() { w.readLines(w.stderrR, "stderr", slog.LevelWarn) })
	stopWriter := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.writeFrames(stopWriter)
	}()
	go func() {
		err := w.cmd.Wait()
		w.dead.Store(true)
		w.mu.Lock()
		w.state = w.cmd.ProcessState
		w.mu.Unlock()
		if w.state == nil && err != nil {
			w.p.log.Error("wait for worker", "worker", w.pid, "error", err)
		}
		// Give the readers a moment to drain what the process wrote last
		// (its final reply, its stack dump); a grandchild that escaped the
		// process group could otherwise hold the pipes open forever.
		drained := make(chan struct{})
		go func() { readers.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(time.Second):
			w.fromChild.Close()
			w.stdout.Close()
			w.stderrR.Close()
			<-drained
		}
		close(stopWriter)
		<-writerDone
		w.toChild.Close()
		close(w.exited)
	}()
}

// maxBatch bounds how many bytes of queued frames go out in one write.
const maxBatch = 256 << 10

func (w *proc) writeFrames(stop <-chan struct{}) {
	var batch []byte
	for {
		select {
		case b := <-w.out:
			// Let the goroutines that are ready to run (requests already
			// read) queue their frames first: the scheduler runs a woken
			// goroutine next, so without this yield every frame went out
			// alone. Frames queued meanwhile leave in the same write(2),
			// and the worker then handles them in one wake-up.
			runtime.Gosched()
			if len(w.out) > 0 {
				batch = append(batch[:0], b...)
			more:
				for len(batch) < maxBatch {
					select {
					case next := <-w.out:
						batch = append(batch, next...)
					default:
						break more
					}
				}
				b = batch
				if cap(batch) > 4*maxBatch {
					batch = nil // a large request passed: do not keep its buffer
				}
			}
			if _, err := w.toChild.Write(b); err != nil {
				// The child closed its end: it is exiting. Stop writing;
				// Wait will notice the exit.
				if !w.dead.Load() {
					w.killFor("channel write failed: " + err.Error())
				}
				w.toChild.Close()
				<-stop
				return
			}
		case <-stop:
			return
		}
	}
}

func (w *proc) readFrames() {
	r := bufio.NewReaderSize(w.fromChild, 64<<10)
	var dec headerDecoder
	for {
		f, err := readFrame(r)
		if err == nil {
			var h *inHeader
			if h, err = dec.decode(f.Header); err == nil {
				err = w.handle(h, f.Body)
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, errMalformed) {
			w.p.log.Error(fmt.Sprintf("malformed frame from worker %d: %v", w.pid, err), "worker", w.pid)
			w.killFor("malformed frame")
		}
		// Drain so the child never blocks on a full pipe while dying.
		io.Copy(io.Discard, r)
		return
	}
}

func (w *proc) handle(h *inHeader, body []byte) error {
	switch h.Type {
	case "ready":
		select {
		case w.ready <- h:
		default:
		}
	case "pong":
		w.lastPong.Store(time.Now().UnixNano())
	case "log":
		w.logFromChild(h, string(body))
	case "reply":
		rep, err := h.toReply(body)
		if err != nil {
			return err
		}
		w.mu.Lock()
		c, ok := w.pending[*h.ID]
		delete(w.pending, *h.ID)
		w.mu.Unlock()
		if !ok {
			// Cancelled (timed out) before the reply crossed the cancel frame.
			w.p.log.Warn("callback after the invocation ended (timed out); ignored", "worker", w.pid)
			return nil
		}
		w.load.Add(-1)
		c.ch <- result{reply: rep}
	}
	return nil
}

func (w *proc) logFromChild(h *inHeader, msg string) {
	var level slog.Level
	switch h.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	attrs := []any{"worker", w.pid}
	if h.ID != nil {
		attrs = append(attrs, "invocation", h.Inv, "function", h.Function)
	}
	w.p.log.Log(context.Background(), level, msg, attrs...)
}

// readLines logs what the process prints; it never touches the frame channel.
func (w *proc) readLines(f *os.File, stream string, level slog.Level) {
	r := bufio.NewReaderSize(f, 16<<10)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 || err == bufio.ErrBufferFull {
			s := strings.TrimRight(string(line), "\r\n")
			if stream == "stderr" {
				w.stderr.add(s)
			}
			w.p.log.Log(context.Background(), level, s, "worker", w.pid, "stream", stream)
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// heartbeat pings the process and kills it when its event loop stops answering.
func (w *proc) heartbeat() {
	ping, _ := encodeFrame([]byte(`{"type":"ping"}`), nil)
	t := time.NewTicker(w.p.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-w.exited:
			return
		case <-t.C:
		}
		silent := time.Since(time.Unix(0, w.lastPong.Load()))
		if silent >= w.p.opts.Unresponsive {
			w.p.log.Error(fmt.Sprintf("worker %d stopped responding for %s (a Function is blocking the event loop); restarting it",
				w.pid, w.p.opts.Unresponsive), "worker", w.pid)
			w.killFor("unresponsive")
			return
		}
		w.trySend(ping)
	}
}

// register records an invocation on w; false when w is already dead.
func (w *proc) register(id uint64, c *call) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dead.Load() {
		return false
	}
	w.pending[id] = c
	w.load.Add(1)
	w.invoked.Store(true)
	return true
}

// unregister forgets an invocation; false when it was already answered.
func (w *proc) unregister(id uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.pending[id]; !ok {
		return false
	}
	delete(w.pending, id)
	w.load.Add(-1)
	return true
}

// send queues a frame for the writer.
func (w *proc) send(ctx context.Context, b []byte) error {
	select {
	case w.out <- b:
		return nil
	case <-w.exited:
		return ErrWorkerExited
	case <-ctx.Done():
		return ctx.Err()
	}
}

// trySend queues a frame unless the queue is full (a blocked child).
func (w *proc) trySend(b []byte) {
	select {
	case w.out <- b:
	default:
	}
}

// failAll ends every invocation still on the (dead) process.
func (w *proc) failAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, c := range w.pending {
		delete(w.pending, id)
		c.ch <- result{err: ErrWorkerExited}
	}
	w.load.Store(0)
}

// killFor kills the process group, remembering why.
func (w *proc) killFor(reason string) {
	w.mu.Lock()
	if w.reason == "" {
		w.reason = reason
	}
	w.mu.Unlock()
	w.kill()
}

func (w *proc) kill() {
	w.dead.Store(true)
	// Negative pid: the whole group (Setpgid made the worker its leader).
	_ = syscall.Kill(-w.pid, syscall.SIGKILL)
}

// askExit asks the worker to exit on its own; closing fd 3 would do too,
// but the frame lets it finish cleanly while the writer is still running.
func (w *proc) askExit() {
	w.dead.Store(true)
	b, _ := encodeFrame([]byte(`{"type":"exit"}`), nil)
	w.trySend(b)
}

func (w *proc) killReason() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reason
}

func (w *proc) exitStatus() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == nil {
		return "still running"
	}
	return w.state.String()
}

// tail keeps the last bytes of a stream, in whole lines, for error messages.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
	size  int
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	t.size += len(line) + 1
	for t.size > t.max && len(t.lines) > 1 {
		t.size -= len(t.lines[0]) + 1
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.Join(t.lines, "\n")
	if s == "" {
		return "(no stderr output)"
	}
	return s
}
