package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ahoy-run/ahoy/internal/project"
	"github.com/ahoy-run/ahoy/internal/projecttest"
	"github.com/ahoy-run/ahoy/internal/webhook"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// Benchmarks of the gateway's own work, without Node: event construction,
// reply writing and whole ServeHTTP round trips through a canned Invoker.
// Each one checks its result once before the timed loop, so a broken path
// cannot benchmark as fast.
//
//	go test -run '^$' -bench . -benchmem ./internal/gateway

// benchInvoker answers every invocation with the same reply. seen, when set
// (outside the timed loops), receives the invocation for checks.
type benchInvoker struct {
	reply *worker.Reply
	seen  func(worker.Invocation)
}

func (f *benchInvoker) Invoke(_ context.Context, inv worker.Invocation) (*worker.Reply, error) {
	if f.seen != nil {
		f.seen(inv)
	}
	return f.reply, nil
}

// benchWriter is a reusable http.ResponseWriter that keeps the status, the
// headers and the body, so the loops measure the gateway rather than
// httptest.ResponseRecorder.
type benchWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBenchWriter() *benchWriter { return &benchWriter{header: http.Header{}} }

func (w *benchWriter) Header() http.Header { return w.header }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *benchWriter) reset() {
	clear(w.header)
	w.code = 0
	w.body.Reset()
}

// benchBody is a request body that can be rewound between iterations
// without allocating.
type benchBody struct{ bytes.Reader }

func (*benchBody) Close() error { return nil }

// benchSMSForm is a Twilio messaging webhook: 25 parameters, an encoded UTF-8 Body.
const benchSMSForm = projecttest.SMSWebhook

const benchQuery = "name=Ada+Lovelace&lang=de-DE&utm_source=newsletter&utm_medium=email&" +
	"ref=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1&page=2"

// setBenchHeaders gives r the 12 headers of a browser request, Cookie with
// four cookies and X-Twilio-Signature included.
func setBenchHeaders(r *http.Request) {
	r.Host = "example.twil.io"
	h := r.Header
	h.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")
	h.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	h.Set("Accept-Language", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Connection", "keep-alive")
	h.Set("Cookie", "_ga=GA1.1.1234567890.1700000000; theme=dark; lang=de-DE; session=s3ss10n%3Dabc")
	h.Set("Sec-Fetch-Dest", "document")
	h.Set("Sec-Fetch-Mode", "navigate")
	h.Set("Sec-Fetch-Site", "none")
	h.Set("Upgrade-Insecure-Requests", "1")
	h.Set("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36")
	h.Set("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
}

// benchGET is a browser GET with a query string and cookies.
func benchGET() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/headers?"+benchQuery, nil)
	setBenchHeaders(r)
	return r
}

// benchPOST is a form webhook POST to path, signed when signed is true. Its
// body is rewound by the returned func.
func benchPOST(path string, signed bool) (*http.Request, func()) {
	body := &benchBody{}
	r := httptest.NewRequest(http.MethodPost, path, nil)
	setBenchHeaders(r)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Content-Length", strconv.Itoa(len(benchSMSForm)))
	r.ContentLength = int64(len(benchSMSForm))
	r.Body = body
	if signed {
		params, _ := url.ParseQuery(benchSMSForm)
		r.Header.Set("X-Twilio-Signature", webhook.Signature(testToken, "http://example.twil.io"+path, params))
	}
	rewind := func() { body.Reset([]byte(benchSMSForm)) }
	rewind()
	return r, rewind
}

// benchResponse is a Twilio.Response reply: status 200, Content-Type,
// Cache-Control and two cookies (setCookie's wire format, R52), a JSON body.
func benchResponse() *worker.Reply {
	return &worker.Reply{
		Kind:   worker.Response,
		Status: 200,
		Headers: []worker.Header{
			{Name: "Content-Type", Values: []string{"application/json"}},
			{Name: "Cache-Control", Values: []string{"no-store"}},
			{Name: "Set-Cookie", Values: []string{"session=s3ss10n;Path=/;Max-Age=3600;SameSite=Lax", "theme=dark;Path=/"}, Array: true},
		},
		BodyKind: worker.BodyJSON,
		Body:     []byte(`{"ok":true,"from":"+15557654321","message":"Hi Jörg, see you at 5:30? 👋","lang":"de-DE"}`),
	}
}

// newBenchGateway serves a small project with a production configuration
// (serve mode, cookie rules, request log to a discarded text handler).
func newBenchGateway(b *testing.B, reply *worker.Reply) (*Handler, *benchInvoker) {
	b.Helper()
	dir := projecttest.New(b, map[string]string{
		"functions/headers.js":              "exports.handler = () => {};",
		"functions/sms/reply.js":            "exports.handler = () => {};",
		"functions/sms/signed.protected.js": "exports.handler = () => {};",
		"assets/index.html":                 "<h1>home</h1>",
		"package.json":                      `{"dependencies":{"@twilio/runtime-handler":"2.0.1"}}`,
	})
	snap, err := project.Load(project.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Defaults()
	cfg.AuthToken = testToken
	cfg.DomainName = "example.twil.io"
	cfg.MaxInFlight = 1000 // so that -cpu N with a large N cannot hit 429
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	inv := &benchInvoker{reply: reply}
	h, err := New(cfg, snap, inv)
	if err != nil {
		b.Fatal(err)
	}
	return h, inv
}

// benchRequestState is what ServeHTTP has learnt about r by the time it
// builds the invocation.
func benchRequestState(b *testing.B, h *Handler, r *http.Request) *request {
	b.Helper()
	req := &request{kind: "function", id: newRequestID(), rawPath: rawPath(r), routes: h.routes.Load()}
	res, ok := req.routes.snap.Lookup(req.rawPath)
	if !ok {
		b.Fatalf("no resource at %s", req.rawPath)
	}
	req.res = res
	req.hdr = measureRequestHeaders(r)
	return req
}

func benchDecode(b *testing.B, what string, raw []byte) map[string]any {
	b.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatalf("%s is not a JSON object: %v: %s", what, err, raw)
	}
	return m
}

// checkBenchInvocation checks the event parts built for benchGET or benchPOST.
func checkBenchInvocation(b *testing.B, inv worker.Invocation, post bool) {
	b.Helper()
	hd := benchDecode(b, "headers", inv.Headers)
	ck := benchDecode(b, "cookies", inv.Cookies)
	if hd["accept-language"] != "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7" || hd["x-twilio-signature"] == nil || hd["host"] != nil || hd["connection"] != nil {
		b.Fatalf("unexpected headers %s", inv.Headers)
	}
	if len(ck) != 4 || ck["session"] != "s3ss10n=abc" {
		b.Fatalf("unexpected cookies %s", inv.Cookies)
	}
	if post {
		f := benchDecode(b, "form", inv.Form)
		if len(f) != 25 || f["Body"] != "Hi Jörg, see you at 5:30? 👋 & thanks!" || f["From"] != "+15557654321" {
			b.Fatalf("unexpected form %s", inv.Form)
		}
		if inv.Query != nil || inv.JSONBody != nil {
			b.Fatalf("unexpected query %s or JSON body %s", inv.Query, inv.JSONBody)
		}
		return
	}
	q := benchDecode(b, "query", inv.Query)
	if len(q) != 6 || q["name"] != "Ada Lovelace" || q["ref"] != "https://example.com/a?b=1" {
		b.Fatalf("unexpected query %s", inv.Query)
	}
	if inv.Form != nil || inv.JSONBody != nil {
		b.Fatalf("unexpected form %s or JSON body %s", inv.Form, inv.JSONBody)
	}
}

// BenchmarkBuildInvocation is event construction: everything the gateway
// does to turn a request (and its already read body) into a
// worker.Invocation — headers, cookies, query string and form body.
func BenchmarkBuildInvocation(b *testing.B) {
	h, _ := newBenchGateway(b, benchResponse())
	post, _ := benchPOST("/sms/reply", false)
	cases := []struct {
		name string
		r    *http.Request
		body []byte
	}{
		{"GET", benchGET(), nil},
		{"formPOST", post, []byte(benchSMSForm)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := benchRequestState(b, h, c.r)
			inv, status, msg := h.buildInvocation(c.r, req, c.body)
			if status != 0 {
				b.Fatalf("%d %s", status, msg)
			}
			checkBenchInvocation(b, inv, c.body != nil)
			b.ReportAllocs()
			for b.Loop() {
				h.buildInvocation(c.r, req, c.body)
			}
		})
	}
}

// BenchmarkWriteReply writes a Function's reply to a reusable writer:
// a Twilio.Response with headers and two cookies (under the production
// cookie rules), and a plain JSON payload.
func BenchmarkWriteReply(b *testing.B) {
	payload := &worker.Reply{Kind: worker.Payload, BodyKind: worker.BodyJSON, Body: []byte(`{"ok":true,"n":42,"items":["a","b","c"]}`)}
	cases := []struct {
		name  string
		rep   *worker.Reply
		check func(*benchWriter) error
	}{
		{"response", benchResponse(), func(w *benchWriter) error {
			cookies := w.header["Set-Cookie"]
			if w.code != 200 || w.header.Get("Content-Type") != "application/json" || w.header.Get("Cache-Control") != "no-store" ||
				w.header.Get("Content-Length") != strconv.Itoa(w.body.Len()) || !strings.Contains(w.body.String(), "Jörg") ||
				len(cookies) != 2 ||
				cookies[0] != "session=s3ss10n; Path=/; Max-Age=3600; SameSite=Lax; Domain=example.twil.io; HttpOnly; Secure" ||
				cookies[1] != "theme=dark; Path=/; Domain=example.twil.io; HttpOnly; Secure" {
				return fmt.Errorf("got %d %v %q", w.code, w.header, w.body.String())
			}
			return nil
		}},
		{"payloadJSON", payload, func(w *benchWriter) error {
			if w.code != 200 || w.header.Get("Content-Type") != typeJSON || w.body.String() != string(payload.Body) {
				return fmt.Errorf("got %d %v %q", w.code, w.header, w.body.String())
			}
			return nil
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h, _ := newBenchGateway(b, c.rep)
			r := benchGET()
			req := benchRequestState(b, h, r)
			w := newBenchWriter()
			rec := &recorder{ResponseWriter: w}
			h.writeReply(rec, r, req, c.rep)
			if err := c.check(w); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				rec.status, rec.wrote = 0, false
				h.writeReply(rec, r, req, c.rep)
			}
		})
	}
}

// BenchmarkServeHTTP is the gateway's whole overhead without Node: a full
// ServeHTTP (header limits, routing, admission, body, signature, event
// construction, invocation through a canned Invoker, reply writing, request
// log) answering a Twilio.Response with headers and two cookies.
func BenchmarkServeHTTP(b *testing.B) {
	type tc struct {
		name   string
		path   string
		signed bool
	}
	for _, c := range []tc{{"GET", "", false}, {"formPOST", "/sms/reply", false}, {"formPOST-signed", "/sms/signed", true}} {
		b.Run(c.name, func(b *testing.B) {
			h, inv := newBenchGateway(b, benchResponse())
			r, rewind := benchGET(), func() {}
			if c.path != "" {
				r, rewind = benchPOST(c.path, c.signed)
			}
			w := newBenchWriter()
			var got *worker.Invocation
			inv.seen = func(i worker.Invocation) { got = &i }
			h.ServeHTTP(w, r)
			inv.seen = nil
			if w.code != 200 || len(w.header["Set-Cookie"]) != 2 || !strings.Contains(w.body.String(), "Jörg") {
				b.Fatalf("got %d %v %q", w.code, w.header, w.body.String())
			}
			if got == nil {
				b.Fatal("the Function was not invoked")
			}
			checkBenchInvocation(b, *got, c.path != "")
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				rewind()
				h.ServeHTTP(w, r)
			}
			if w.code != 200 {
				b.Fatalf("last status %d: %q", w.code, w.body.String())
			}
		})
	}
	b.Run("GET-parallel", func(b *testing.B) {
		h, _ := newBenchGateway(b, benchResponse())
		w := newBenchWriter()
		h.ServeHTTP(w, benchGET())
		if w.code != 200 || len(w.header["Set-Cookie"]) != 2 {
			b.Fatalf("got %d %v %q", w.code, w.header, w.body.String())
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			r, w := benchGET(), newBenchWriter()
			for pb.Next() {
				w.reset()
				h.ServeHTTP(w, r)
				if w.code != 200 {
					b.Errorf("status %d: %q", w.code, w.body.String())
					return
				}
			}
		})
	})
}
