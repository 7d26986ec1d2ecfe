package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahoy-run/ahoy/internal/gateway"
	"github.com/ahoy-run/ahoy/internal/projecttest"
)

// logSink collects log output so tests can assert on it.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls cond until it holds or the deadline passes.
func (s *logSink) waitFor(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.String(), substr) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("log never contained %q; log:\n%s", substr, s.String())
}

type testServer struct {
	*Server
	base string
	logs *logSink
}

// startServer runs Ahoy on a project built from files, with real Node workers.
func startServer(t *testing.T, files map[string]string, withTwilio bool, mutate func(*Config)) *testServer {
	t.Helper()
	dir := projecttest.New(t, files)
	if withTwilio {
		projecttest.LinkTwilio(t, dir)
	}
	sink := &logSink{}
	gw := gateway.Defaults()
	cfg := Config{
		Dir:     dir,
		Host:    "127.0.0.1",
		Port:    0,
		Workers: 2,
		Gateway: gw,
		Logger:  slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return &testServer{Server: s, base: "http://" + s.Addr().String(), logs: sink}
}

type result struct {
	status int
	header http.Header
	body   string
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.body)
	}
	return m
}

func (s *testServer) do(t *testing.T, method, path string, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (s *testServer) get(t *testing.T, path string, headers ...string) result {
	t.Helper()
	return s.do(t, http.MethodGet, path, "", headers...)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const echo = `exports.handler = (context, event, callback) => callback(null, event);`

func TestEvent_R16_R17_R18_R19(t *testing.T) {
	s := startServer(t, map[string]string{"functions/echo.js": echo}, false, nil)

	t.Run("query R17", func(t *testing.T) {
		got := s.get(t, "/echo?tag=a&tag=b&user[name]=Ada&user[langs][]=en&plus=a+b&empty=&flag").json(t)
		delete(got, "request")
		want := `{"empty":"","flag":"","plus":"a b","tag":["a","b"],"user":{"langs":["en"],"name":"Ada"}}`
		if mustJSON(t, got) != want {
			t.Fatalf("event = %s\nwant    %s", mustJSON(t, got), want)
		}
	})
	t.Run("form body wins over query, brackets literal R16 R18", func(t *testing.T) {
		got := s.do(t, "POST", "/echo?source=query&only=1", "source=body&a=1&a=2&d[e]=4", "Content-Type", "application/x-www-form-urlencoded").json(t)
		delete(got, "request")
		want := `{"a":["1","2"],"d[e]":"4","only":"1","source":"body"}`
		if mustJSON(t, got) != want {
			t.Fatalf("event = %s, want %s", mustJSON(t, got), want)
		}
	})
	t.Run("JSON keeps exact numbers R18", func(t *testing.T) {
		r := s.do(t, "POST", "/echo", `{"big":12345678901234567890,"f":1.5,"n":null,"nested":{"ok":true}}`, "Content-Type", "application/json; charset=utf-8")
		// JavaScript itself rounds 12345678901234567890 to 12345678901234567000 —
		// the same as production; Go must not round it differently through float64.
		if !strings.Contains(r.body, `"big":12345678901234567000`) || !strings.Contains(r.body, `"f":1.5`) || !strings.Contains(r.body, `"nested":{"ok":true}`) {
			t.Fatalf("body %s", r.body)
		}
	})
	t.Run("top-level JSON array spreads R19", func(t *testing.T) {
		got := s.do(t, "POST", "/echo", `[{"event":"delivered"},{"event":"open"}]`, "Content-Type", "application/json").json(t)
		if _, ok := got["request"]; !ok || mustJSON(t, got["1"]) != `{"event":"open"}` {
			t.Fatalf("event = %v", got)
		}
	})
	t.Run("a parameter named request replaces it R16", func(t *testing.T) {
		got := s.get(t, "/echo?request=mine").json(t)
		if got["request"] != "mine" {
			t.Fatalf("event = %v", got)
		}
	})
	t.Run("malformed JSON is a 400 without a stack R18", func(t *testing.T) {
		r := s.do(t, "POST", "/echo", `{"a":`, "Content-Type", "application/json")
		if r.status != 400 || strings.Contains(r.body, "    at ") || strings.Count(r.body, "\n") > 1 {
			t.Fatalf("%d %q", r.status, r.body)
		}
	})
	t.Run("other content types leave the body out R18", func(t *testing.T) {
		got := s.do(t, "POST", "/echo?x=1", "a=1", "Content-Type", "text/plain").json(t)
		if _, ok := got["a"]; ok || got["x"] != "1" {
			t.Fatalf("event = %v", got)
		}
	})
}

func TestRequestHeadersAndCookies_R22_R23_R24_R25(t *testing.T) {
	s := startServer(t, map[string]string{"functions/echo.js": echo}, false, nil)
	r := s.get(t, "/echo",
		"X-Multi", "one", "X-Multi", "two", "x-multi", "three",
		"X-Comma", "a, b",
		"Via", "1.1 proxy", "X-Forwarded-For", "1.2.3.4", "Referer", "https://x", "X-Real-IP", "1.2.3.4",
		"I-Twilio-Trace", "t", "X-Amzn-Id", "z", "OT-Span", "s",
		"Cookie", `name=J%C3%B6rg%20M; quoted="hello world"; dup=first; noequals; j=j:{"a":1}`,
		"Cookie", "dup=second; other=2",
	)
	req := r.json(t)["request"].(map[string]any)
	h := req["headers"].(map[string]any)
	if got := mustJSON(t, h["x-multi"]); got != `["one","two","three"]` {
		t.Errorf("R22 repeated header = %s", got)
	}
	if h["x-comma"] != "a, b" {
		t.Errorf("R22 comma value = %v", h["x-comma"])
	}
	for _, gone := range []string{"host", "via", "x-forwarded-for", "referer", "x-real-ip", "i-twilio-trace", "x-amzn-id", "ot-span", "connection"} {
		if _, ok := h[gone]; ok {
			t.Errorf("R23 restricted header %q reached the Function", gone)
		}
	}
	if mustJSON(t, h["cookie"]) == "" || h["cookie"] == nil {
		t.Errorf("R24 the Cookie header must stay visible")
	}
	c := req["cookies"].(map[string]any)
	want := map[string]string{"name": "Jörg M", "quoted": "hello world", "dup": "first", "j": `j:{"a":1}`, "other": "2"}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("R25 cookie %s = %#v, want %q", k, c[k], v)
		}
	}
	if _, ok := c["noequals"]; ok {
		t.Error("R25 a pair without = must be skipped")
	}

	// twilio-run's list keeps Host.
	tr := startServer(t, map[string]string{"functions/echo.js": echo}, false, func(c *Config) {
		c.Gateway.HeaderPolicy = 1 // event.TwilioRun
	})
	h = tr.get(t, "/echo").json(t)["request"].(map[string]any)["headers"].(map[string]any)
	if h["host"] == nil {
		t.Error("--restricted-headers twilio-run must keep host")
	}
}

func TestContextAndGlobals_R28_R29_R31_R33(t *testing.T) {
	files := map[string]string{
		".env": "ACCOUNT_SID=AC00000000000000000000000000000000\nAUTH_TOKEN=00000000000000000000000000000000\nGREETING=\"Ahoy there\"\n# comment\nURL=https://x.test/?a=1&b=$HOME\n",
		"functions/api/ctx.js": `exports.handler = (context, event, callback) => {
  const client = context.getTwilioClient();
  callback(null, {
    path: context.PATH, domain: context.DOMAIN_NAME, greeting: context.GREETING, url: context.URL,
    service: context.SERVICE_SID === undefined, client: client.accountSid,
    envGreeting: process.env.GREETING, envHome: process.env.HOME === undefined,
    functions: Object.keys(Runtime.getFunctions()).sort(),
    assets: Object.keys(Runtime.getAssets()),
    secret: JSON.parse(Runtime.getAssets()['/conf.json'].open()).secret,
    twiml: typeof Twilio.twiml.VoiceResponse, response: typeof Twilio.Response,
  });
};`,
		"functions/helper.private.js": `exports.x = 1;`,
		"assets/conf.private.json":    `{"secret":"s3"}`,
		"assets/public.txt":           "pub",
	}
	s := startServer(t, files, true, func(c *Config) { c.DomainName = "example-1234.twil.io" })
	got := s.get(t, "/api/ctx").json(t)
	want := map[string]any{
		"path": "/api/ctx", "domain": "example-1234.twil.io", "greeting": "Ahoy there",
		"url": "https://x.test/?a=1&b=$HOME", "service": true, "client": "AC00000000000000000000000000000000",
		"envGreeting": "Ahoy there", "envHome": true, "functions": []any{"api/ctx", "helper"},
		"assets": []any{"/conf.json"}, "secret": "s3", "twiml": "function", "response": "function",
	}
	for k, v := range want {
		if mustJSON(t, got[k]) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, mustJSON(t, got[k]), mustJSON(t, v))
		}
	}
}

func TestGetTwilioClientWithoutCredentials_R29(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/c.js": `exports.handler = (context, event, callback) => { context.getTwilioClient(); callback(null, 'no'); };`,
	}, true, nil)
	r := s.get(t, "/c")
	if r.status != 500 || !strings.Contains(r.body, "Account SID") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestWithoutTwilioPackage_R32(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/resp.js":  `exports.handler = (c, e, cb) => cb(null, new Twilio.Response().setBody({ok: true}));`,
		"functions/twiml.js": `exports.handler = (c, e, cb) => cb(null, new Twilio.twiml.VoiceResponse());`,
	}, false, nil)
	if r := s.get(t, "/resp"); r.status != 200 || r.body != `{"ok":true}` {
		t.Fatalf("Response without twilio: %d %s", r.status, r.body)
	}
	if r := s.get(t, "/twiml"); r.status != 500 || !strings.Contains(r.body, "npm install twilio") {
		t.Fatalf("TwiML without twilio: %d %s", r.status, r.body)
	}
}

func TestResponse_R47_to_R57(t *testing.T) {
	files := map[string]string{
		"functions/cache.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response();
  r.setHeaders({'content-type': 'application/json', 'cache-control': ['no-cache', 'private'], 'set-cookie': 'Foo=Bar'});
  r.setBody({cached: false});
  cb(null, r);
};`,
		"functions/trace.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response();
  r.setHeaders({'X-Service': 'inventory', Vary: 'Accept'});
  r.appendHeader('Vary', 'Accept-Encoding');
  r.appendHeader('X-Request-Id', 'req-1').appendHeader('x-request-id', 'upstream-7');
  r.appendHeader('X-RateLimit-Remaining', 42);
  r.appendHeader('Link', ['<a>; rel="first"', '<b>; rel="last"']);
  try { r.appendHeader('X-Obj', {a: 1}); } catch (err) { r.appendHeader('X-Error', err.message); }
  cb(null, r.setBody({ok: true}));
};`,
		"functions/cookies.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response();
  r.setCookie('session', 'abc', ['Max-Age=3600', 'Path=/', 'SameSite=Lax']);
  r.setCookie('draft', 'x');
  r.removeCookie('draft');
  r.removeCookie('never');
  cb(null, r.setStatusCode(201).setBody('made'));
};`,
		"functions/reset.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response({statusCode: 202, headers: {'set-cookie': 'kept=1'}});
  r.appendHeader('X-Debug', 'true');
  cb(null, r.setHeaders({'Content-Type': 'text/plain', 'X-Version': '2'}).setBody('reset'));
};`,
		"functions/ctor.js": `exports.handler = (c, e, cb) => cb(null, new Twilio.Response({statusCode: 202, headers: {'set-cookie': 'kept=1'}}));`,
		"functions/binary.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response();
  r.appendHeader('Content-Type', 'image/png');
  cb(null, r.setBody(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff])));
};`,
		"functions/jsonstring.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response();
  r.appendHeader('Content-Type', 'application/json');
  cb(null, r.setBody(JSON.stringify({total: 3})));
};`,
		"functions/nocontenttype.js": `exports.handler = (c, e, cb) => cb(null, new Twilio.Response().setStatusCode(404).setBody('Unknown link'));`,
		"functions/badstatus.js":     `exports.handler = (c, e, cb) => cb(null, new Twilio.Response().setStatusCode('abc'));`,
		"functions/crlf.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response(); r.appendHeader('X-Inject', 'a\r\nSet-Cookie: evil=1'); cb(null, r);
};`,
		"functions/arrayct.js": `exports.handler = (c, e, cb) => {
  const r = new Twilio.Response(); r.appendHeader('Content-Type', ['text/plain', 'text/html']); cb(null, r.setBody('x'));
};`,
	}
	s := startServer(t, files, false, func(c *Config) { c.Gateway.CookieRules = false })

	r := s.get(t, "/cache")
	if r.header.Get("Content-Type") != "application/json" || mustJSON(t, r.header.Values("Cache-Control")) != `["no-cache","private"]` ||
		mustJSON(t, r.header.Values("Set-Cookie")) != `["Foo=Bar"]` || r.body != `{"cached":false}` {
		t.Errorf("R51 setHeaders: %v %s", r.header, r.body)
	}
	r = s.get(t, "/trace")
	checks := map[string]string{
		"Vary":                  `["Accept","Accept-Encoding"]`,
		"X-Request-Id":          `["req-1","upstream-7"]`,
		"X-Ratelimit-Remaining": `["42"]`,
		"Link":                  `["\u003ca\u003e; rel=\"first\"","\u003cb\u003e; rel=\"last\""]`,
		"X-Error":               `["Header value cannot be an object"]`,
	}
	for k, v := range checks {
		if got := mustJSON(t, r.header.Values(k)); got != v {
			t.Errorf("R50 %s = %s, want %s", k, got, v)
		}
	}
	r = s.get(t, "/cookies")
	if r.status != 201 || mustJSON(t, r.header.Values("Set-Cookie")) != `["session=abc;Max-Age=3600;Path=/;SameSite=Lax","draft=;Max-Age=0","never=;Max-Age=0"]` {
		t.Errorf("R52 R53 cookies: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
	r = s.get(t, "/reset")
	if r.status != 202 || r.header.Get("X-Debug") != "" || len(r.header.Values("Set-Cookie")) != 0 || r.header.Get("X-Version") != "2" || r.body != "reset" {
		t.Errorf("R51 setHeaders replaces all: %d %v %q", r.status, r.header, r.body)
	}
	if r = s.get(t, "/ctor"); r.status != 202 || r.header.Get("Set-Cookie") != "kept=1" {
		t.Errorf("R47 constructor set-cookie must not be lost: %d %v", r.status, r.header)
	}
	if r = s.get(t, "/binary"); r.body != "\x89PNG\x00\xff" || r.header.Get("Content-Type") != "image/png" {
		t.Errorf("R49 Buffer body: %q %q", r.body, r.header.Get("Content-Type"))
	}
	if r = s.get(t, "/jsonstring"); r.body != `{"total":3}` {
		t.Errorf("R55 no double encoding: %q", r.body)
	}
	if r = s.get(t, "/nocontenttype"); r.status != 404 || r.header.Get("Content-Type") != "application/octet-stream" || r.body != "Unknown link" {
		t.Errorf("R56: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	for _, p := range []string{"/badstatus", "/crlf", "/arrayct"} {
		r = s.get(t, p)
		if r.status != 500 || r.header.Get("Set-Cookie") != "" || r.header.Get("X-Inject") != "" {
			t.Errorf("%s: %d %v", p, r.status, r.header)
		}
	}
}

func TestPayloads_R38_R39(t *testing.T) {
	files := map[string]string{
		"functions/string.js":   `exports.handler = (c, e, cb) => cb(null, 'hi ' + e.name);`,
		"functions/object.js":   `exports.handler = (c, e, cb) => cb(null, {name: 'Zoë', n: [1, 2]});`,
		"functions/bool.js":     `exports.handler = (c, e, cb) => cb(null, true);`,
		"functions/number.js":   `exports.handler = (c, e, cb) => cb(null, 3);`,
		"functions/null.js":     `exports.handler = (c, e, cb) => cb(null, null);`,
		"functions/none.js":     `exports.handler = (c, e, cb) => cb();`,
		"functions/date.js":     `exports.handler = (c, e, cb) => cb(null, new Date(0));`,
		"functions/twiml.js":    `exports.handler = (c, e, cb) => { const t = new Twilio.twiml.MessagingResponse(); t.message('We are open'); cb(null, t); };`,
		"functions/ownreq.js":   `const twilio = require('twilio'); exports.handler = (c, e, cb) => { const t = new twilio.twiml.VoiceResponse(); t.say('hi'); cb(null, t); };`,
		"functions/async.js":    `exports.handler = async (c, e, cb) => { await new Promise(r => setTimeout(r, 5)); return cb(null, {async: true}); };`,
		"functions/circular.js": `exports.handler = (c, e, cb) => { const a = {}; a.a = a; cb(null, a); };`,
	}
	s := startServer(t, files, true, nil)
	cases := []struct{ path, ct, body string }{
		{"/string?name=Ada", "text/plain; charset=utf-8", "hi Ada"},
		{"/object", "application/json; charset=utf-8", `{"name":"Zoë","n":[1,2]}`},
		{"/bool", "application/json; charset=utf-8", "true"},
		{"/number", "application/json; charset=utf-8", "3"},
		{"/null", "", ""},
		{"/none", "", ""},
		{"/date", "application/json; charset=utf-8", `"1970-01-01T00:00:00.000Z"`},
		{"/twiml", "text/xml; charset=utf-8", `<?xml version="1.0" encoding="UTF-8"?><Response><Message>We are open</Message></Response>`},
		{"/ownreq", "text/xml; charset=utf-8", `<?xml version="1.0" encoding="UTF-8"?><Response><Say>hi</Say></Response>`},
		{"/async", "application/json; charset=utf-8", `{"async":true}`},
	}
	for _, c := range cases {
		r := s.get(t, c.path)
		if r.status != 200 || r.header.Get("Content-Type") != c.ct || r.body != c.body {
			t.Errorf("%s: %d %q %q, want %q %q", c.path, r.status, r.header.Get("Content-Type"), r.body, c.ct, c.body)
		}
	}
	if r := s.get(t, "/circular"); r.status != 500 {
		t.Errorf("a circular payload: %d", r.status)
	}
}

func TestFailures_R36_R37_R40_R42_R43_R45(t *testing.T) {
	files := map[string]string{
		"functions/err.js":       `exports.handler = (c, e, cb) => cb(new Error('Payment gateway unavailable'));`,
		"functions/text.js":      `exports.handler = (c, e, cb) => cb('Missing required parameter: To');`,
		"functions/obj.js":       `exports.handler = (c, e, cb) => cb({status: 404, message: 'nope'});`,
		"functions/throw.js":     `exports.handler = (c, e, cb) => { JSON.parse('{bad'); };`,
		"functions/reject.js":    `exports.handler = async (c, e, cb) => { const u = undefined; return cb(null, u.name); };`,
		"functions/twice.js":     `exports.handler = (c, e, cb) => { cb(null, 'first'); cb(null, 'second'); setTimeout(() => cb(new Error('late')), 5); };`,
		"functions/nohandler.js": `exports.notHandler = 1;`,
		"functions/syntax.js":    `exports.handler = (c, e, cb) => { cb(null, 'x' };`,
		"functions/ok.js":        `exports.handler = (c, e, cb) => cb(null, 'still fine');`,
	}
	s := startServer(t, files, false, nil)
	if r := s.get(t, "/err"); r.status != 500 || r.json(t)["message"] != "Payment gateway unavailable" || r.json(t)["stack"] != nil {
		t.Errorf("R37 callback(Error) in serve mode: %d %s", r.status, r.body)
	}
	if r := s.get(t, "/text"); r.status != 500 || r.header.Get("Content-Type") != "text/plain; charset=utf-8" || r.body != "Missing required parameter: To" {
		t.Errorf("R40 callback(text): %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := s.get(t, "/obj"); r.status != 500 || r.json(t)["message"] != "nope" {
		t.Errorf("R40 callback(object): %d %s", r.status, r.body)
	}
	if r := s.get(t, "/throw"); r.status != 500 || r.json(t)["name"] != "SyntaxError" {
		t.Errorf("R42 sync throw: %d %s", r.status, r.body)
	}
	if r := s.get(t, "/reject"); r.status != 500 || r.json(t)["name"] != "TypeError" {
		t.Errorf("R43 rejection: %d %s", r.status, r.body)
	}
	if r := s.get(t, "/twice"); r.status != 200 || r.body != "first" {
		t.Errorf("R45 first callback wins: %d %s", r.status, r.body)
	}
	s.logs.waitFor(t, "more than once")
	if r := s.get(t, "/nohandler"); r.status != 500 || !strings.Contains(r.body, `Could not find a \"handler\" function in file functions/nohandler.js`) {
		t.Errorf("R36 missing handler: %d %s", r.status, r.body)
	}
	if r := s.get(t, "/syntax"); r.status != 500 || strings.Contains(r.body, s.Snapshot().Dir) {
		t.Errorf("syntax error: %d %s (serve mode must not reveal file paths)", r.status, r.body)
	}
	if r := s.get(t, "/ok"); r.status != 200 {
		t.Errorf("the server must keep serving: %d", r.status)
	}
}

func TestDevErrors_R40_R41(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/err.js": `exports.handler = (c, e, cb) => cb(new Error('boom'));`,
	}, false, func(c *Config) { c.Gateway.Dev = true })
	r := s.get(t, "/err", "User-Agent", "curl/8.5.0")
	if r.status != 500 || !strings.Contains(fmt.Sprint(r.json(t)["stack"]), "err.js") {
		t.Errorf("dev JSON error: %d %s", r.status, r.body)
	}
	r = s.get(t, "/err", "User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36")
	if r.status != 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "Runtime Error") {
		t.Errorf("dev HTML error: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

func TestConsoleAndStdout_R70(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/log.js": `exports.handler = (c, e, cb) => {
  console.log('hello %s', 'log'); console.warn('careful'); console.error('bad thing');
  process.stdout.write('raw stdout line\n');
  cb(null, 'logged');
};`,
	}, false, nil)
	if r := s.get(t, "/log"); r.status != 200 || r.body != "logged" {
		t.Fatalf("%d %q", r.status, r.body)
	}
	s.logs.waitFor(t, `"msg":"hello log"`)
	s.logs.waitFor(t, "raw stdout line")
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, "careful") && (!strings.Contains(line, `"level":"WARN"`) || !strings.Contains(line, `"invocation":"RQ`)) {
			t.Errorf("console.warn must be a WARN record with the invocation id: %s", line)
		}
		if strings.Contains(line, "bad thing") && !strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("console.error must be an ERROR record: %s", line)
		}
	}
}

func TestCrashesAreContained_R38_R45(t *testing.T) {
	files := map[string]string{
		"functions/exit.js":  `exports.handler = (c, e, cb) => { process.exit(3); };`,
		"functions/slow.js":  `exports.handler = (c, e, cb) => setTimeout(() => cb(null, 'slow done'), 300);`,
		"functions/ok.js":    `exports.handler = (c, e, cb) => cb(null, 'ok');`,
		"functions/stray.js": `exports.handler = (c, e, cb) => { cb(null, 'answered'); setTimeout(() => { throw new Error('stray'); }, 1); Promise.reject(new Error('stray rejection')); };`,
	}
	s := startServer(t, files, false, func(c *Config) { c.Workers = 1 })
	// A slow invocation shares the worker that process.exit() kills.
	slow := make(chan result, 1)
	go func() { slow <- s.get(t, "/slow") }()
	time.Sleep(50 * time.Millisecond)
	if r := s.get(t, "/exit"); r.status != 500 || !strings.Contains(r.body, "exited") {
		t.Errorf("process.exit: %d %q", r.status, r.body)
	}
	if r := <-slow; r.status != 500 || !strings.Contains(r.body, "exited") {
		t.Errorf("an invocation on the dead worker: %d %q", r.status, r.body)
	}
	if r := s.get(t, "/ok"); r.status != 200 || r.body != "ok" {
		t.Errorf("after the crash: %d %q", r.status, r.body)
	}
	if r := s.get(t, "/stray"); r.status != 200 {
		t.Errorf("stray errors after callback: %d", r.status)
	}
	s.logs.waitFor(t, "stray rejection")
	if r := s.get(t, "/ok"); r.status != 200 {
		t.Errorf("stray errors must not kill the worker: %d", r.status)
	}
}

func TestTimeoutAndBlockedLoop_R44(t *testing.T) {
	files := map[string]string{
		"functions/never.js": `exports.handler = (c, e, cb) => {};`,
		"functions/spin.js":  `exports.handler = (c, e, cb) => { while (true) {} };`,
		"functions/late.js":  `exports.handler = (c, e, cb) => setTimeout(() => cb(null, 'late'), 600);`,
		"functions/ok.js":    `exports.handler = (c, e, cb) => cb(null, 'ok');`,
	}
	s := startServer(t, files, false, func(c *Config) { c.Gateway.Timeout = 400 * time.Millisecond })
	start := time.Now()
	if r := s.get(t, "/never"); r.status != 504 || r.body != "Gateway Time-out" {
		t.Errorf("R44 no callback: %d %q", r.status, r.body)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("504 took %v", time.Since(start))
	}
	s.logs.waitFor(t, "runtime application timed out")
	if r := s.get(t, "/late"); r.status != 504 {
		t.Errorf("R44 late callback: %d", r.status)
	}

	// One worker spins; the other keeps serving until the spinner is replaced.
	spun := make(chan result, 1)
	go func() { spun <- s.get(t, "/spin") }()
	time.Sleep(100 * time.Millisecond)
	for range 5 {
		if r := s.get(t, "/ok"); r.status != 200 {
			t.Errorf("another Function while one spins: %d %q", r.status, r.body)
		}
	}
	if r := <-spun; r.status < 500 {
		t.Errorf("spinning Function: %d", r.status)
	}
	s.logs.waitFor(t, "stopped responding")
	for range 4 {
		if r := s.get(t, "/ok"); r.status != 200 {
			t.Errorf("after the replacement: %d", r.status)
		}
	}
}

func TestWorkerMemoryLimit(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/hog.js": `const keep = []; exports.handler = (c, e, cb) => { for (;;) keep.push(new Array(1e6).fill(Math.random())); };`,
		"functions/ok.js":  `exports.handler = (c, e, cb) => cb(null, 'ok');`,
	}, false, func(c *Config) { c.WorkerMB = 64; c.Workers = 1; c.Gateway.Timeout = 30 * time.Second })
	if r := s.get(t, "/hog"); r.status != 500 {
		t.Errorf("a worker out of memory: %d %q", r.status, r.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.get(t, "/ok")
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replacement never served: %d %q", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConcurrencyAcrossWorkers(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/sq.js": `exports.handler = (c, e, cb) => setTimeout(() => cb(null, {sq: Number(e.n) * Number(e.n)}), 10);`,
	}, false, func(c *Config) { c.Gateway.MaxInFlight = 0 })
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 100 {
		wg.Go(func() {
			r := s.get(t, fmt.Sprintf("/sq?n=%d", i))
			if want := fmt.Sprintf(`{"sq":%d}`, i*i); r.status != 200 || r.body != want {
				errs <- fmt.Sprintf("n=%d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestProtectedWithTwilioSignatures_R66_R67(t *testing.T) {
	modules := projecttest.TwilioModules(t)
	const token = "c0nf0rmancef1xturet0ken000000000"
	s := startServer(t, map[string]string{
		".env":                       "AUTH_TOKEN=" + token + "\n",
		"functions/sms.protected.js": `exports.handler = (c, e, cb) => cb(null, 'signed ' + e.Body);`,
	}, true, nil)
	form := url.Values{"Body": {"hours"}, "From": {"+14155550100"}}
	target := s.base + "/sms?x=1"
	// The signature comes from the twilio npm package itself.
	sig := nodeSignature(t, modules, token, target, form)
	r := s.do(t, "POST", "/sms?x=1", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", sig)
	if r.status != 200 || r.body != "signed hours" {
		t.Fatalf("signed request: %d %q", r.status, r.body)
	}
	r = s.do(t, "POST", "/sms?x=1", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 403 {
		t.Fatalf("unsigned request: %d", r.status)
	}
	r = s.do(t, "POST", "/sms?x=2", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", sig)
	if r.status != 403 {
		t.Fatalf("signature for another URL: %d", r.status)
	}
}

func TestStartupErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no folders R1", map[string]string{"README.md": "x"}, "functions"},
		{"duplicate R5", map[string]string{"functions/a.js": echo, "functions/a.protected.js": echo, ".env": "AUTH_TOKEN=x"}, "a.protected.js"},
		{"bad .env", map[string]string{"functions/a.js": echo, ".env": "A=1\nthis is not an assignment\n"}, "line 2"},
		{"protected without AUTH_TOKEN R65", map[string]string{"functions/a.protected.js": echo}, "AUTH_TOKEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := projecttest.New(t, c.files)
			_, err := Start(context.Background(), Config{Dir: dir, Host: "127.0.0.1", Workers: 1, Gateway: gateway.Defaults(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	dir := projecttest.New(t, map[string]string{"functions/a.js": echo})
	_, err := Start(context.Background(), Config{Dir: dir, Host: "127.0.0.1", Node: "/nonexistent/node", Gateway: gateway.Defaults(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "node") {
		t.Fatalf("a missing node must be refused with a message naming it, got %v", err)
	}
}

// nodeSignature asks the twilio npm package for the X-Twilio-Signature of a
// form request, so the test checks Ahoy against Twilio's own helper.
func nodeSignature(t *testing.T, modules, token, fullURL string, form url.Values) string {
	t.Helper()
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	script := `const twilio = require(process.argv[1]);
const [token, u, params] = [process.argv[2], process.argv[3], JSON.parse(process.argv[4])];
process.stdout.write(twilio.getExpectedTwilioSignature(token, u, params));`
	out, err := exec.Command("node", "-e", script, filepath.Join(modules, "twilio"), token, fullURL, mustJSON(t, params)).Output()
	if err != nil {
		t.Fatalf("node signature helper: %v", err)
	}
	return string(out)
}

func TestReloadOnChange_R14(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/v.js": `exports.handler = (c, e, cb) => cb(null, 'v1 ' + c.GREETING);`,
		".env":           "GREETING=hi\n",
	}, false, func(c *Config) { c.Watch = true; c.WatchDebounce = 50 * time.Millisecond })
	dir := s.Snapshot().Dir
	until := func(path, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := s.get(t, path)
			if r.status == 200 && r.body == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered %q; last %d %q\nlog:\n%s", path, want, r.status, r.body, s.logs.String())
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	until("/v", "v1 hi")
	write := func(rel, content string) {
		t.Helper()
		projecttest.Write(t, dir, map[string]string{rel: content})
	}
	write("functions/v.js", `exports.handler = (c, e, cb) => cb(null, 'v2 ' + c.GREETING);`)
	until("/v", "v2 hi") // an edit reaches fresh workers
	write("functions/new/dir/added.js", `exports.handler = (c, e, cb) => cb(null, 'added');`)
	until("/new/dir/added", "added") // a new directory is watched too
	write(".env", "GREETING=hello\n")
	until("/v", "v2 hello")
	write(".env", "GREETING=hello\nnot an assignment\n")
	s.logs.waitFor(t, "reload failed")
	if r := s.get(t, "/v"); r.body != "v2 hello" {
		t.Fatalf("a broken .env must keep the previous version serving: %d %q", r.status, r.body)
	}
}

func TestAdminEndpoints(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/ok.js":   `exports.handler = (c, e, cb) => cb(null, 'ok');`,
		"functions/exit.js": `exports.handler = () => process.exit(1);`,
		"assets/a.txt":      "a",
	}, false, func(c *Config) { c.AdminAddr = "127.0.0.1:0" })
	admin := "http://" + s.AdminAddr().String()
	fetch := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := fetch("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, _ := fetch("/readyz"); code != 200 {
		t.Fatalf("/readyz: %d", code)
	}
	if code, body := fetch("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/: %d %.200q", code, body)
	}
	s.get(t, "/ok")
	s.get(t, "/a.txt")
	s.get(t, "/nope")
	s.get(t, "/exit")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := fetch("/metrics")
		ok := strings.Contains(body, `ahoy_requests_total{code="200",kind="function"} 1`) &&
			strings.Contains(body, `ahoy_requests_total{code="200",kind="asset"} 1`) &&
			strings.Contains(body, `ahoy_requests_total{code="404",kind="none"} 1`) &&
			strings.Contains(body, `ahoy_requests_total{code="500",kind="function"} 1`) &&
			strings.Contains(body, "ahoy_worker_restarts_total 1") &&
			strings.Contains(body, "ahoy_workers 2")
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed the requests and the restart:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.draining.Store(true) // what Shutdown does first
	if code, _ := fetch("/readyz"); code != 503 {
		t.Fatalf("/readyz while draining: %d", code)
	}
	s.draining.Store(false)
}

// TestRequestLog checks the JSON request line a production log gets per
// request, with the duration as integer microseconds.
func TestRequestLog(t *testing.T) {
	s := startServer(t, map[string]string{
		"functions/ok.js": `exports.handler = (c, e, cb) => cb(null, {ok: true});`,
	}, false, nil)
	s.get(t, "/ok")
	s.logs.waitFor(t, `"msg":"request"`)
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if !strings.Contains(line, `"msg":"request"`) {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("request line is not JSON: %v: %s", err, line)
		}
		us, ok := rec["duration_us"].(float64)
		if rec["status"] != float64(200) || rec["method"] != "GET" || rec["path"] != "/ok" ||
			!ok || us <= 0 || us != float64(int64(us)) ||
			!strings.HasPrefix(fmt.Sprint(rec["content_type"]), "application/json") || !strings.HasPrefix(fmt.Sprint(rec["request"]), "RQ") {
			t.Fatalf("request line: %s", line)
		}
		return
	}
	t.Fatalf("no request line in:\n%s", s.logs.String())
}
