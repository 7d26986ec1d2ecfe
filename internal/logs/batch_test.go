package logs

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer records every Write call separately.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestBatchWriterKeepsEveryLineInOrder(t *testing.T) {
	var out lockedBuffer
	b := NewBatchWriter(&out)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				fmt.Fprintf(b, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	b.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*2000 {
		t.Fatalf("got %d lines, want %d", len(lines), 8*2000)
	}
	next := make([]int, 8)
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l, "g%d line %d", &g, &i); err != nil {
			t.Fatalf("line %q was split or mixed: %v", l, err)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d came after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	if out.writes >= len(lines) {
		t.Logf("no batching happened (%d writes for %d lines); fine on an idle machine", out.writes, len(lines))
	}
}

func TestBatchWriterWritesWithoutClose(t *testing.T) {
	var out lockedBuffer
	b := NewBatchWriter(&out)
	defer b.Close()
	b.Write([]byte("hello\n"))
	b.Flush()
	if got := out.String(); got != "hello\n" {
		t.Fatalf("after Flush: %q", got)
	}
}

func TestBatchWriterAfterClose(t *testing.T) {
	var out lockedBuffer
	b := NewBatchWriter(&out)
	b.Write([]byte("one\n"))
	b.Close()
	b.Write([]byte("two\n"))
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("got %q", got)
	}
}
