package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends bytes as they are and returns the response status (0 when
// the server closed the connection without answering).
func rawRequest(t *testing.T, addr, raw string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(raw)); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHostileRequests_R13_R20_R62 sends a corpus of malformed and oversized
// requests: each gets a 4xx, none reaches the Function, and the server keeps
// serving.
func TestHostileRequests_R13_R20_R62(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/echo.js":    `exports.handler = (c, e, cb) => { console.log('INVOKED'); cb(null, e); };`,
		"assets/public.txt":    "public",
		"functions/ok.js":      `exports.handler = (c, e, cb) => cb(null, 'ok');`,
		"assets/private/a.txt": "x",
	}, false, nil)
	addr := s.Addr().String()
	manyParams := strings.Repeat("a=1&", 10000)
	nested := strings.Repeat("[a]", 2000)
	// valid marks requests that are hostile but well-formed: they may reach the
	// Function (qs caps the bracket depth, R17; net/http drops Content-Length
	// when Transfer-Encoding is present, RFC 9112 §6.3, so nothing can be
	// smuggled past it).
	valid := map[string]bool{"deeply nested brackets": true, "smuggling: Content-Length and chunked": true}
	cases := []struct{ name, raw string }{
		{"header block over 15 KB", "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 16000) + "\r\n\r\n"},
		{"header block over net/http's limit", "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 100000) + "\r\n\r\n"},
		{"10 000 query parameters", "GET /echo?" + manyParams + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"deeply nested brackets", "GET /echo?x" + nested + "=1 HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"malformed request line", "GARBAGE\r\n\r\n"},
		{"bad HTTP version", "GET /echo HTTP/9.9\r\nHost: x\r\n\r\n"},
		{"header without colon", "GET /echo HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"},
		{"CR inside a header value", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"},
		{"NUL in a header value", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"},
		{"space in a header name", "GET /echo HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n"},
		{"smuggling: Content-Length and chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"two different Content-Lengths", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
		{"missing Host", "GET /echo HTTP/1.1\r\n\r\n"},
		{"dot-dot path", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"encoded dot-dot", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"encoded slash", "GET /private%2Fa.txt HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"NUL in the path", "GET /public.txt%00.js HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"invalid UTF-8 in the path", "GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"body over 1 MB", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{}"},
		{"GET with a body", "GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=1"},
		{"malformed JSON", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\":"},
		{"bad gzip body", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope"},
		{"unknown method", "BREW /echo HTTP/1.1\r\nHost: x\r\n\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status := rawRequest(t, addr, c.raw)
			if valid[c.name] && status == 200 {
				return
			}
			if status == http.StatusHTTPVersionNotSupported && c.name == "bad HTTP version" {
				return // net/http's precise answer
			}
			if status < 400 || status > 499 {
				t.Fatalf("status %d, want a 4xx", status)
			}
		})
	}
	if strings.Count(s.logs.String(), "INVOKED") > len(valid) {
		t.Errorf("hostile requests reached the Function:\n%s", s.logs.String())
	}
	for i := range 3 {
		if r := s.get(t, "/ok"); r.status != 200 || r.body != "ok" {
			t.Fatalf("request %d after the corpus: %d %q", i, r.status, r.body)
		}
	}
}
