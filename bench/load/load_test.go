package load

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// The parser and the histogram are the generator's only logic; the
// benchmark itself is a program (bench/run.sh), not a test.

func TestReadResponse(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
		"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: 1\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n" +
		"HTTP/1.0 200 OK\r\n\r\nrest"
	br := bufio.NewReader(strings.NewReader(in))
	want := []struct {
		status    int
		closeConn bool
		body      string
	}{{200, false, "hello"}, {404, false, "abcde"}, {204, true, ""}, {200, true, "rest"}}
	for i, w := range want {
		status, closeConn, body, err := ReadResponse(br, true)
		if err != nil || status != w.status || closeConn != w.closeConn || string(body) != w.body {
			t.Fatalf("response %d: got %d %v %q %v, want %d %v %q", i, status, closeConn, body, err, w.status, w.closeConn, w.body)
		}
	}
	if _, _, _, err := ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 2x0 OK\r\n\r\n")), false); err == nil {
		t.Fatal("a malformed status line was accepted")
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.Quantile(c.q)
		if d := got - c.want; d < -c.want/100 || d > c.want/100 {
			t.Errorf("Quantile(%v) = %v, want %v within 1%%", c.q, got, c.want)
		}
	}
	for v := int64(0); v < 1<<40; v = v*3/2 + 1 {
		lo, w := bucketRange(bucketOf(v))
		if v < lo || v >= lo+w {
			t.Fatalf("value %d outside its bucket [%d, %d)", v, lo, lo+w)
		}
	}
	other := NewHistogram()
	other.Record(5 * time.Second)
	h.Merge(other)
	if h.N != 1001 || h.Max != int64(5*time.Second) {
		t.Fatalf("after Merge: N=%d Max=%d", h.N, h.Max)
	}
}
