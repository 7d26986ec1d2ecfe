package logs

import (
	"io"
	"sync"
)

// maxPending is how many bytes of log lines may wait before Write stops
// handing off and writes them itself: a slow terminal or pipe then slows the
// logging goroutines instead of growing the buffer without bound.
const maxPending = 256 << 10

// BatchWriter hands log lines to a background goroutine that writes whatever
// has accumulated in one write(2). A server under load logs a line per
// request; writing each one separately costs a system call per request, which
// measured as the largest single item of the gateway's CPU profile. Lines are
// never reordered or split, and a line reaches w as soon as the goroutine is
// scheduled: batching happens only when lines arrive faster than that.
//
// Close flushes and stops the goroutine; call it before the process exits.
type BatchWriter struct {
	w io.Writer

	mu      sync.Mutex
	pending []byte // lines not yet handed to w
	closed  bool

	writeMu sync.Mutex // one writer to w at a time, so lines keep their order
	spare   []byte     // the previous batch's buffer, reused; guarded by writeMu

	kick chan struct{} // capacity 1: "there is something to write"
	done chan struct{}
}

// NewBatchWriter starts a BatchWriter over w.
func NewBatchWriter(w io.Writer) *BatchWriter {
	b := &BatchWriter{w: w, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go b.loop()
	return b
}

// Write queues p; it never fails, errors of w are dropped like a log's.
func (b *BatchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		// Written at once, behind anything still queued (Close may not
		// have flushed yet), so the order holds.
		b.pending = append(b.pending, p...)
		b.mu.Unlock()
		b.Flush()
		return len(p), nil
	}
	b.pending = append(b.pending, p...)
	full := len(b.pending) >= maxPending
	if !full {
		// Under mu, so Close cannot close kick in between.
		select {
		case b.kick <- struct{}{}:
		default: // already kicked: the goroutine will take this line too
		}
	}
	b.mu.Unlock()
	if full {
		b.Flush()
	}
	return len(p), nil
}

// Flush writes everything queued so far before it returns.
func (b *BatchWriter) Flush() {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	b.mu.Lock()
	batch := b.pending
	b.pending = b.spare[:0]
	b.mu.Unlock()
	if len(batch) > 0 {
		_, _ = b.w.Write(batch)
	}
	if cap(batch) <= maxPending*2 {
		b.spare = batch[:0]
	} else {
		b.spare = nil // a burst grew it: let it go
	}
}

func (b *BatchWriter) loop() {
	defer close(b.done)
	for range b.kick {
		b.Flush()
	}
}

// Close writes what is queued and stops the background goroutine; later
// writes go straight to w.
func (b *BatchWriter) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.kick)
	<-b.done
	b.Flush()
	return nil
}
