package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahoy-run/ahoy/internal/project"
	"github.com/ahoy-run/ahoy/internal/projecttest"
	"github.com/ahoy-run/ahoy/internal/webhook"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// fakeInvoker records invocations and answers with a fixed reply or func.
type fakeInvoker struct {
	mu    sync.Mutex
	calls []worker.Invocation
	reply func(ctx context.Context, inv worker.Invocation) (*worker.Reply, error)
}

func (f *fakeInvoker) Invoke(ctx context.Context, inv worker.Invocation) (*worker.Reply, error) {
	f.mu.Lock()
	f.calls = append(f.calls, inv)
	f.mu.Unlock()
	if f.reply == nil {
		return &worker.Reply{Kind: worker.Payload, BodyKind: worker.BodyText, Body: []byte("ok")}, nil
	}
	return f.reply(ctx, inv)
}

func (f *fakeInvoker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeInvoker) last(t *testing.T) worker.Invocation {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("the Function was not invoked")
	}
	return f.calls[len(f.calls)-1]
}

func replyWith(r *worker.Reply) func(context.Context, worker.Invocation) (*worker.Reply, error) {
	return func(context.Context, worker.Invocation) (*worker.Reply, error) { return r, nil }
}

const testToken = "12345678901234567890123456789012"

var standardFiles = map[string]string{
	"functions/echo.js":                "exports.handler = () => {};",
	"functions/secret.protected.js":    "exports.handler = () => {};",
	"functions/lib.private.js":         "exports.handler = () => {};",
	"assets/index.html":                "<h1>home</h1>",
	"assets/data.private.json":         `{"secret":true}`,
	"assets/hold.protected.xml":        "<Response/>",
	"assets/notes/release notes.txt":   "0123456789abcdefghij",
	"package.json":                     `{"dependencies":{"@twilio/runtime-handler":"2.0.1"}}`,
	"functions/old/version-gated.js":   "exports.handler = () => {};",
	"functions/api/v1/with space.js":   "exports.handler = () => {};",
	"functions/another/nested/deep.js": "exports.handler = () => {};",
}

type testGateway struct {
	h   *Handler
	inv *fakeInvoker
}

func newTestGateway(t *testing.T, mutate func(*Config), files map[string]string) *testGateway {
	t.Helper()
	if files == nil {
		files = standardFiles
	}
	snap, err := project.Load(project.Options{Dir: projecttest.New(t, files)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	cfg.AuthToken = testToken
	cfg.DomainName = "example.test:3000"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mutate != nil {
		mutate(&cfg)
	}
	inv := &fakeInvoker{}
	h, err := New(cfg, snap, inv)
	if err != nil {
		t.Fatal(err)
	}
	return &testGateway{h: h, inv: inv}
}

func (g *testGateway) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, r)
	return w
}

func get(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, bodyContains string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (body %q)", w.Code, status, w.Body.String())
	}
	if !strings.Contains(w.Body.String(), bodyContains) {
		t.Fatalf("body %q does not contain %q", w.Body.String(), bodyContains)
	}
}

func TestRouting_R6_R8_R9(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	cases := []struct {
		name   string
		path   string
		status int
		body   string
	}{
		{"unknown path R10", "/does/not/exist", 404, "Could not find requested resource"},
		{"trailing slash is significant R6", "/echo/", 404, "Could not find"},
		{"no decoding before the match R6", "/api/v1/with%20space", 404, "Could not find"},
		{"whitespace became a dash R3", "/api/v1/with-space", 200, "ok"},
		{"case-sensitive R6", "/Echo", 404, "Could not find"},
		{"private Function unreachable R8", "/lib", 404, "Could not find"},
		{"private Asset answers 403 R9", "/data.json", 403, "This asset has been marked as private"},
		{"root falls back to index.html R7", "/", 200, "<h1>home</h1>"},
		{"asset with a space in its name R3", "/notes/release-notes.txt", 200, "0123456789"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, g.do(get(c.path)), c.status, c.body)
		})
	}
}

func TestHeaderLimits_R62(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	big := get("/echo")
	big.Header.Set("X-Pad", strings.Repeat("a", 15500))
	expect(t, g.do(big), 431, "Request headers or cookies too long")

	many := get("/echo")
	for i := range 95 {
		many.Header.Set("X-Filler-"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "v")
	}
	expect(t, g.do(many), 431, "Request headers or cookies too long")

	// Each cookie counts as a header: 1 Host + 1 Cookie line holding 95 cookies.
	cookies := get("/echo")
	var pairs []string
	for i := range 95 {
		pairs = append(pairs, "c"+strings.Repeat("x", i)+"=1")
	}
	cookies.Header.Set("Cookie", strings.Join(pairs, "; "))
	expect(t, g.do(cookies), 431, "Request headers or cookies too long")

	within := get("/echo")
	for i := range 79 {
		within.Header.Set("X-Filler-"+strings.Repeat("y", i+1), strings.Repeat("z", 64))
	}
	expect(t, g.do(within), 200, "ok")
	if n := g.inv.count(); n != 1 {
		t.Fatalf("the Function ran %d times; only the request within limits may reach it", n)
	}
}

func TestMethods_R13(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	w := g.do(httptest.NewRequest(http.MethodPut, "/echo", strings.NewReader(`{}`)))
	expect(t, w, 405, "PUT")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
		t.Fatalf("Allow = %q", allow)
	}
	expect(t, g.do(httptest.NewRequest(http.MethodDelete, "/echo", nil)), 405, "")
	expect(t, g.do(httptest.NewRequest(http.MethodGet, "/echo", strings.NewReader("a=1"))), 403, "GET")
	expect(t, g.do(httptest.NewRequest(http.MethodHead, "/echo", nil)), 200, "")
	if g.inv.count() != 1 {
		t.Fatalf("only HEAD should have reached the Function, got %d calls", g.inv.count())
	}

	allowed := newTestGateway(t, func(c *Config) { c.AllowMethods = []string{"PUT"} }, nil)
	expect(t, allowed.do(httptest.NewRequest(http.MethodPut, "/echo", nil)), 200, "ok")
}

func TestPreflight_R60_R61(t *testing.T) {
	prod := newTestGateway(t, nil, nil)
	w := prod.do(httptest.NewRequest(http.MethodOptions, "/echo", nil))
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Fatalf("preflight: %d %q", w.Code, w.Body.String())
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Headers": "*",
		"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	expect(t, prod.do(httptest.NewRequest(http.MethodOptions, "/nope", nil)), 404, "")
	if prod.inv.count() != 0 {
		t.Fatal("OPTIONS must not invoke the Function")
	}

	tr := newTestGateway(t, func(c *Config) { c.TwilioRunPreflight = true }, nil)
	w = tr.do(httptest.NewRequest(http.MethodOptions, "/", nil))
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Credentials") != "true" ||
		w.Header().Get("Access-Control-Max-Age") != "86400" ||
		!strings.HasPrefix(w.Header().Get("Access-Control-Allow-Headers"), "Accept, Authorization") {
		t.Fatalf("twilio-run preflight: %d %v", w.Code, w.Header())
	}
}

func TestBodies_R16_R18_R20(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	post := func(ct, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/echo?a=1&a=2", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		return r
	}
	expect(t, g.do(post("application/json", `{"n": 12345678901234567890}`)), 200, "ok")
	inv := g.inv.last(t)
	if string(inv.JSONBody) != `{"n": 12345678901234567890}` {
		t.Fatalf("JSON body must reach JavaScript as raw text, got %q", inv.JSONBody)
	}
	if string(inv.Query) != `{"a":["1","2"]}` {
		t.Fatalf("query = %s", inv.Query)
	}

	expect(t, g.do(post("application/x-www-form-urlencoded", "z[k]=5&b=2")), 200, "ok")
	if f := string(g.inv.last(t).Form); f != `{"z[k]":"5","b":"2"}` {
		t.Fatalf("form = %s", f)
	}

	// A UTF-8 byte-order mark is dropped, as body-parser's iconv-lite decoding does.
	expect(t, g.do(post("application/json", "\uFEFF{\"a\":1}")), 200, "ok")
	if b := string(g.inv.last(t).JSONBody); b != `{"a":1}` {
		t.Fatalf("JSON body with a BOM = %q", b)
	}
	expect(t, g.do(post("application/json", "\uFEFF")), 200, "ok")
	if inv := g.inv.last(t); inv.JSONBody != nil {
		t.Fatalf("a JSON body of only a BOM is empty, got %q", inv.JSONBody)
	}
	expect(t, g.do(post("application/x-www-form-urlencoded", "\uFEFFa=1")), 200, "ok")
	if f := string(g.inv.last(t).Form); f != `{"a":"1"}` {
		t.Fatalf("form with a BOM = %s", f)
	}

	calls := g.inv.count()
	expect(t, g.do(post("application/json; charset=utf-8", `{"broken":`)), 400, "JSON")
	expect(t, g.do(post("application/json", `"scalar"`)), 400, "JSON")
	expect(t, g.do(post("application/json", strings.Repeat("x", 2<<20))), 413, "Request too large")
	if g.inv.count() != calls {
		t.Fatal("a malformed or oversized body must not invoke the Function")
	}

	expect(t, g.do(post("text/plain", "hello")), 200, "ok")
	if inv := g.inv.last(t); inv.Form != nil || inv.JSONBody != nil {
		t.Fatal("R18: a text/plain body must be left out of event")
	}
}

func TestAdmission_R46(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	g := newTestGateway(t, func(c *Config) { c.MaxInFlight = 2 }, nil)
	g.inv.reply = func(ctx context.Context, inv worker.Invocation) (*worker.Reply, error) {
		started <- struct{}{}
		<-release
		return &worker.Reply{Kind: worker.Payload}, nil
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { g.do(get("/echo")) })
	}
	<-started
	<-started
	w := g.do(get("/echo"))
	expect(t, w, 429, "Too many")
	if w.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	expect(t, g.do(get("/index.html")), 200, "home") // Assets do not count
	close(release)
	wg.Wait()
	expect(t, g.do(get("/echo")), 200, "")
}

func TestTimeout_R44(t *testing.T) {
	g := newTestGateway(t, func(c *Config) { c.Timeout = 50 * time.Millisecond }, nil)
	g.inv.reply = func(ctx context.Context, inv worker.Invocation) (*worker.Reply, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	expect(t, g.do(get("/echo")), 504, "Gateway Time-out")
}

func TestWorkerExited_500(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	g.inv.reply = func(context.Context, worker.Invocation) (*worker.Reply, error) { return nil, worker.ErrWorkerExited }
	expect(t, g.do(get("/echo")), 500, "worker")
}

func TestPayloads_R38(t *testing.T) {
	cases := []struct {
		name, ct, body string
		rep            worker.Reply
	}{
		{"string", "text/plain; charset=utf-8", "hi", worker.Reply{BodyKind: worker.BodyText, Body: []byte("hi")}},
		{"object", "application/json; charset=utf-8", `{"a":1}`, worker.Reply{BodyKind: worker.BodyJSON, Body: []byte(`{"a":1}`)}},
		{"twiml", "text/xml; charset=utf-8", "<Response/>", worker.Reply{BodyKind: worker.BodyXML, Body: []byte("<Response/>")}},
		{"null", "", "", worker.Reply{BodyKind: worker.BodyNone}},
		{"buffer", "application/octet-stream", "\x00\x01", worker.Reply{BodyKind: worker.BodyBytes, Body: []byte{0, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newTestGateway(t, nil, nil)
			rep := c.rep
			g.inv.reply = replyWith(&rep)
			w := g.do(get("/echo"))
			if w.Code != 200 || w.Header().Get("Content-Type") != c.ct || w.Body.String() != c.body {
				t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
			}
		})
	}
}

func response(status int, kind worker.BodyKind, body string, headers ...worker.Header) *worker.Reply {
	return &worker.Reply{Kind: worker.Response, Status: status, BodyKind: kind, Body: []byte(body), Headers: headers}
}

func hdr(name string, values ...string) worker.Header {
	return worker.Header{Name: name, Values: values, Array: len(values) > 1}
}

func TestResponse_R55_R56_R57(t *testing.T) {
	t.Run("string body without Content-Type is octet-stream R56", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(response(404, worker.BodyText, "Unknown link"))
		w := g.do(get("/echo"))
		if w.Code != 404 || w.Header().Get("Content-Type") != "application/octet-stream" || w.Body.String() != "Unknown link" {
			t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
	})
	t.Run("object body is JSON R55", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(response(400, worker.BodyJSON, `{"e":1}`))
		w := g.do(get("/echo"))
		if w.Code != 400 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("got %d %q", w.Code, w.Header().Get("Content-Type"))
		}
	})
	t.Run("array values are separate lines R57", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(response(200, worker.BodyText, "x", hdr("Cache-Control", "no-cache", "private"), hdr("content-type", "text/csv")))
		w := g.do(get("/echo"))
		if got := w.Header().Values("Cache-Control"); len(got) != 2 || got[0] != "no-cache" || got[1] != "private" {
			t.Fatalf("Cache-Control = %q", got)
		}
		if ct := w.Header().Values("Content-Type"); len(ct) != 1 || ct[0] != "text/csv" {
			t.Fatalf("the Function's lower-case content-type must win alone, got %q", ct)
		}
	})
	t.Run("framing headers stay the server's", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(response(200, worker.BodyText, "hello", hdr("Transfer-Encoding", "chunked"), hdr("Content-Length", "999"), hdr("Connection", "close")))
		w := g.do(get("/echo"))
		if w.Code != 200 || w.Body.String() != "hello" || w.Header().Get("Content-Length") != "5" ||
			w.Header().Get("Transfer-Encoding") != "" || w.Header().Get("Connection") != "" {
			t.Fatalf("got %d %v %q", w.Code, w.Header(), w.Body.String())
		}
	})
	t.Run("204 drops the body R55", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(response(204, worker.BodyText, "ignored"))
		w := g.do(get("/echo"))
		if w.Code != 204 || w.Body.Len() != 0 {
			t.Fatalf("got %d %q", w.Code, w.Body.String())
		}
	})
	bad := []struct {
		name string
		rep  *worker.Reply
	}{
		{"status out of range R48", response(42, worker.BodyNone, "")},
		{"interim status R48", response(100, worker.BodyNone, "")},
		{"status not an integer R48", response(0, worker.BodyNone, "")},
		{"CRLF in a value", response(200, worker.BodyNone, "", hdr("X-A", "a\r\nSet-Cookie: evil=1"))},
		{"invalid name", response(200, worker.BodyNone, "", hdr("Bad Name", "x"))},
		{"Content-Type array R55", response(200, worker.BodyText, "x", hdr("Content-Type", "text/plain", "text/html"))},
		{"body over 4 MB R20", response(200, worker.BodyText, strings.Repeat("x", 4<<20+1))},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			g := newTestGateway(t, nil, nil)
			g.inv.reply = replyWith(c.rep)
			w := g.do(get("/echo"))
			if w.Code != 500 || strings.Contains(w.Body.String(), "evil") {
				t.Fatalf("got %d %q, want a 500", w.Code, w.Body.String())
			}
			if len(w.Header().Values("Set-Cookie")) != 0 {
				t.Fatal("a rejected response must not leak its headers")
			}
		})
	}
}

func TestMultiValueGating_R57_R74(t *testing.T) {
	files := map[string]string{
		"functions/echo.js": "exports.handler = () => {};",
		"package.json":      `{"dependencies":{"@twilio/runtime-handler":"1.1.0"}}`,
	}
	g := newTestGateway(t, nil, files)
	g.inv.reply = replyWith(response(200, worker.BodyText, "x", hdr("Vary", "a", "b")))
	expect(t, g.do(get("/echo")), 500, "")
	if inv := g.inv.last(t); inv.Headers != nil || inv.Cookies != nil {
		t.Fatal("R21: below 1.2.0 event.request must not be built")
	}
	g.inv.reply = replyWith(response(200, worker.BodyText, "x", hdr("Vary", "a")))
	expect(t, g.do(get("/echo")), 200, "x")
}

func TestCookieRules_R54(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	g.inv.reply = replyWith(response(200, worker.BodyNone, "", hdr("Set-Cookie", "a=1;Path=/;Domain=evil.com")))
	w := g.do(get("/echo"))
	c := w.Header().Get("Set-Cookie")
	for _, want := range []string{"a=1", "HttpOnly", "Secure", "Domain=example.test"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %q", c, want)
		}
	}
	if strings.Contains(c, "evil.com") {
		t.Errorf("Set-Cookie %q kept the Function's Domain", c)
	}

	g.inv.reply = replyWith(response(200, worker.BodyText, "secret", hdr("Set-Cookie", "r=1;Max-Age=2592000")))
	w = g.do(get("/echo"))
	expect(t, w, 400, "Cookies max-age cannot be greater than a day")
	if strings.Contains(w.Body.String(), "secret") {
		t.Fatal("the Function's body must be replaced")
	}

	for _, local := range []string{"127.0.0.1:3000", "localhost:3000", "[::1]:3000"} {
		g := newTestGateway(t, func(c *Config) { c.DomainName = local }, nil)
		g.inv.reply = replyWith(response(200, worker.BodyNone, "", hdr("Set-Cookie", "a=1;Domain=evil.com")))
		if got := g.do(get("/echo")).Header().Get("Set-Cookie"); strings.Contains(got, "Domain") || !strings.Contains(got, "HttpOnly") {
			t.Errorf("DOMAIN_NAME %s: Set-Cookie %q, want a host-only cookie", local, got)
		}
	}

	off := newTestGateway(t, func(c *Config) { c.CookieRules = false }, nil)
	off.inv.reply = replyWith(response(200, worker.BodyNone, "", hdr("Set-Cookie", "r=1;Max-Age=2592000;Domain=evil.com")))
	if got := off.do(get("/echo")).Header().Get("Set-Cookie"); got != "r=1;Max-Age=2592000;Domain=evil.com" {
		t.Fatalf("--cookie-rules=off must pass cookies through, got %q", got)
	}
}

func TestResponseHeaderLimits_R62(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	var cookies []string
	for i := range 95 {
		cookies = append(cookies, "cart_"+strings.Repeat("i", i)+"=1;Path=/cart")
	}
	g.inv.reply = replyWith(response(200, worker.BodyJSON, `{}`, worker.Header{Name: "Set-Cookie", Values: cookies, Array: true}))
	expect(t, g.do(get("/echo")), 431, "Response headers or cookies too long")
}

func TestFailures_R40_R41(t *testing.T) {
	fnErr := &worker.Reply{Kind: worker.Failure, Error: &worker.FunctionError{Name: "Error", Message: "boom <b>", Stack: "Error: boom\n    at /srv/functions/x.js:1:1"}}
	t.Run("serve: no stack", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(fnErr)
		w := g.do(get("/echo"))
		expect(t, w, 500, `"message":"boom \u003cb\u003e"`)
		if strings.Contains(w.Body.String(), "stack") || strings.Contains(w.Body.String(), "/srv") {
			t.Fatalf("serve mode leaked a stack: %s", w.Body.String())
		}
	})
	t.Run("serve: no absolute project paths", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		dir := g.h.routes.Load().snap.Dir
		g.inv.reply = replyWith(&worker.Reply{Kind: worker.Failure, Error: &worker.FunctionError{
			Name: "Error", Message: "Cannot find module '" + dir + "/functions/lib/missing.js'"}})
		w := g.do(get("/echo"))
		expect(t, w, 500, `Cannot find module 'functions/lib/missing.js'`)
		if strings.Contains(w.Body.String(), dir) {
			t.Fatalf("serve mode leaked the project path: %s", w.Body.String())
		}
	})
	t.Run("dev: JSON with stack", func(t *testing.T) {
		g := newTestGateway(t, func(c *Config) { c.Dev = true }, nil)
		g.inv.reply = replyWith(fnErr)
		w := g.do(get("/echo"))
		var got map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got["stack"] == "" || got["name"] != "Error" {
			t.Fatalf("dev error body %s (%v)", w.Body.String(), err)
		}
	})
	t.Run("dev: HTML page for browsers, escaped", func(t *testing.T) {
		g := newTestGateway(t, func(c *Config) { c.Dev = true }, nil)
		g.inv.reply = replyWith(fnErr)
		r := get("/echo")
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0")
		w := g.do(r)
		expect(t, w, 500, "Runtime Error")
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || strings.Contains(w.Body.String(), "<b>") {
			t.Fatalf("HTML error page: %q %s", w.Header().Get("Content-Type"), w.Body.String())
		}
	})
	t.Run("callback('text') is text/plain", func(t *testing.T) {
		g := newTestGateway(t, nil, nil)
		g.inv.reply = replyWith(&worker.Reply{Kind: worker.Failure, BodyKind: worker.BodyText, Body: []byte("<script>x</script>")})
		w := g.do(get("/echo"))
		expect(t, w, 500, "<script>x</script>")
		if w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("content type %q", w.Header().Get("Content-Type"))
		}
	})
}

func TestAssets_R12(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	w := g.do(get("/notes/release-notes.txt"))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") || w.Header().Get("Last-Modified") == "" {
		t.Fatalf("asset: %d %v", w.Code, w.Header())
	}
	etag := w.Header().Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("want a strong ETag, got %q", etag)
	}
	r := get("/notes/release-notes.txt")
	r.Header.Set("If-None-Match", etag)
	if w := g.do(r); w.Code != 304 {
		t.Fatalf("conditional GET: %d", w.Code)
	}
	r = get("/notes/release-notes.txt")
	r.Header.Set("Range", "bytes=0-3")
	if w := g.do(r); w.Code != 206 || w.Body.String() != "0123" {
		t.Fatalf("range: %d %q", w.Code, w.Body.String())
	}
	if w := g.do(httptest.NewRequest(http.MethodHead, "/index.html", nil)); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body.String())
	}
}

// TestAssetCache checks that a cached Asset (small) and one read from disk
// each time (over maxCachedAsset) answer alike, that the cache keeps a
// snapshot's content, and that a new snapshot (a reload) brings the new one.
func TestAssetCache(t *testing.T) {
	big := strings.Repeat("0123456789", maxCachedAsset/10+1)
	dir := projecttest.New(t, map[string]string{
		"assets/small.txt": "small v1",
		"assets/big.txt":   big,
	})
	load := func() *project.Snapshot {
		snap, err := project.Load(project.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	cfg := Defaults()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := New(cfg, load(), &fakeInvoker{})
	if err != nil {
		t.Fatal(err)
	}
	g := &testGateway{h: h}
	for i := range 2 {
		expect(t, g.do(get("/small.txt")), 200, "small v1")
		w := g.do(get("/big.txt"))
		if w.Code != 200 || w.Body.String() != big {
			t.Fatalf("big asset, request %d: %d, %d bytes", i, w.Code, w.Body.Len())
		}
		r := get("/big.txt")
		r.Header.Set("Range", "bytes=10-14")
		if w := g.do(r); w.Code != 206 || w.Body.String() != "01234" {
			t.Fatalf("range on the big asset: %d %q", w.Code, w.Body.String())
		}
	}
	if got := h.routes.Load().assets.size.Load(); got != int64(len("small v1")) {
		t.Fatalf("cache holds %d bytes, want only the small asset's %d", got, len("small v1"))
	}
	if err := os.WriteFile(filepath.Join(dir, "assets/small.txt"), []byte("small v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, g.do(get("/small.txt")), 200, "small v1") // the snapshot's content
	if err := h.Swap(load(), &fakeInvoker{}); err != nil {
		t.Fatal(err)
	}
	expect(t, g.do(get("/small.txt")), 200, "small v2")
}

func TestProtected_R65_R66(t *testing.T) {
	g := newTestGateway(t, nil, nil)
	expect(t, g.do(get("/secret")), 403, "X-Twilio-Signature")
	expect(t, g.do(get("/hold.xml")), 403, "X-Twilio-Signature")

	signedForm := func(path, form string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		params, _ := url.ParseQuery(form)
		r.Header.Set("X-Twilio-Signature", webhook.Signature(testToken, "http://example.com"+path, params))
		return r
	}
	expect(t, g.do(signedForm("/secret?x=1", "Body=hi&From=%2B1555")), 200, "ok")
	tampered := signedForm("/secret?x=1", "Body=hi&From=%2B1555")
	tampered.Body = io.NopCloser(strings.NewReader("Body=bye&From=%2B1555"))
	tampered.ContentLength = int64(len("Body=bye&From=%2B1555"))
	expect(t, g.do(tampered), 403, "")

	pub := newTestGateway(t, func(c *Config) {
		c.PublicURL = &url.URL{Scheme: "https", Host: "hooks.example.org"}
	}, nil)
	r := get("/hold.xml")
	r.Header.Set("X-Twilio-Signature", webhook.Signature(testToken, "https://hooks.example.org/hold.xml", nil))
	expect(t, pub.do(r), 200, "<Response/>")

	proxy := newTestGateway(t, func(c *Config) { c.TrustProxy = true }, nil)
	r = get("/hold.xml")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "edge.example.net")
	r.Header.Set("X-Twilio-Signature", webhook.Signature(testToken, "https://edge.example.net/hold.xml", nil))
	expect(t, proxy.do(r), 200, "<Response/>")

	open := newTestGateway(t, func(c *Config) { c.Unprotected = true }, nil)
	expect(t, open.do(get("/secret")), 200, "ok")
}

func TestAssetSymlinkCannotEscape_R12(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, nil, nil)
	dir := g.h.routes.Load().snap.Dir
	if err := os.Symlink(outside, filepath.Join(dir, "assets", "leak.txt")); err != nil {
		t.Fatal(err)
	}
	snap, err := project.Load(project.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.h.Swap(snap, g.inv); err != nil {
		t.Fatal(err)
	}
	w := g.do(get("/leak.txt"))
	if w.Code != 404 || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("a symlink out of the project was served: %d %q", w.Code, w.Body.String())
	}
	expect(t, g.do(get("/index.html")), 200, "home") // the swapped snapshot still serves
}
