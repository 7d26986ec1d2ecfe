package worker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type replyCase struct {
	name string
	body string // handler body
	want Reply
}

// runReplyCases runs every case as its own Function in one pool.
func runReplyCases(t *testing.T, cases []replyCase, twilio bool, mods ...poolOpt) {
	t.Helper()
	files := map[string]string{}
	for i, c := range cases {
		files[fmt.Sprintf("functions/f%d.js", i)] = fn(c.body)
	}
	p := newProject(t, files)
	if twilio {
		p.withTwilio()
	}
	pool := startPool(t, p, nil, mods...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := invoke(t, pool, p.inv(fmt.Sprintf("f%d", i)))
			if got.Error != nil && c.want.Error != nil {
				// Stacks are checked separately; compare name and message.
				if !strings.Contains(got.Error.Stack, got.Error.Message) {
					t.Errorf("stack %q does not mention the message %q", got.Error.Stack, got.Error.Message)
				}
				got.Error.Stack = ""
			}
			if diff := cmp.Diff(&c.want, got); diff != "" {
				t.Errorf("reply mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPayloadR38(t *testing.T) {
	runReplyCases(t, []replyCase{
		{"R38 undefined", `callback(null)`, Reply{Kind: Payload, BodyKind: BodyNone}},
		{"R38 null", `callback(null, null)`, Reply{Kind: Payload, BodyKind: BodyNone}},
		{"R38 string", `callback(null, "héllo")`, Reply{Kind: Payload, BodyKind: BodyText, Body: []byte("héllo")}},
		{"R38 empty string", `callback(null, "")`, Reply{Kind: Payload, BodyKind: BodyText, Body: []byte{}}},
		{"R38 object", `callback(null, {a: 1, b: "x"})`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`{"a":1,"b":"x"}`)}},
		{"R38 array", `callback(null, [1, "x", null])`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`[1,"x",null]`)}},
		{"R38 boolean", `callback(null, true)`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`true`)}},
		{"R38 number", `callback(null, 42)`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`42`)}},
		{"R38 date", `callback(null, new Date(0))`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`"1970-01-01T00:00:00.000Z"`)}},
		{"R38 class instance", `class P { constructor() { this.x = 1; } }; callback(null, new P())`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`{"x":1}`)}},
		{"R38 buffer", `callback(null, Buffer.from([0, 1, 255]))`, Reply{Kind: Payload, BodyKind: BodyBytes, Body: []byte{0, 1, 255}}},
		{"R38 uint8array", `callback(null, new Uint8Array([7, 8]))`, Reply{Kind: Payload, BodyKind: BodyBytes, Body: []byte{7, 8}}},
		{"R38 function stringifies to nothing", `callback(null, () => 1)`, Reply{Kind: Payload, BodyKind: BodyNone}},
		{"R38 circular is a failure", `const o = {}; o.o = o; callback(null, o)`, Reply{Kind: Failure, BodyKind: BodyNone,
			Error: &FunctionError{Name: "TypeError", Message: "Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    --- property 'o' closes the circle"}}},
		{"R38 async handler", `await null; return callback(null, "late")`, Reply{Kind: Payload, BodyKind: BodyText, Body: []byte("late")}},
	}, false, withAsync)
}

// withAsync is a marker: fn() bodies using await need an async handler.
func withAsync(*Options) {}

func TestFailureR37R40R42R43(t *testing.T) {
	runReplyCases(t, []replyCase{
		{"R37 error", `callback(new Error("boom"), "ignored")`, Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "boom"}}},
		{"R37 type error", `callback(new TypeError("bad type"))`, Reply{Kind: Failure, Error: &FunctionError{Name: "TypeError", Message: "bad type"}}},
		{"R37 error-like object", `callback({name: "Custom", message: "m", stack: "Custom: m"})`, Reply{Kind: Failure, Error: &FunctionError{Name: "Custom", Message: "m"}}},
		{"R40 string", `callback("text failure")`, Reply{Kind: Failure, BodyKind: BodyText, Body: []byte("text failure")}},
		{"R40 plain object", `callback({code: 7})`, Reply{Kind: Failure, BodyKind: BodyJSON, Body: []byte(`{"code":7}`)}},
		{"R40 number", `callback(42)`, Reply{Kind: Failure, BodyKind: BodyJSON, Body: []byte(`42`)}},
		{"R40 true", `callback(true)`, Reply{Kind: Failure, BodyKind: BodyJSON, Body: []byte(`true`)}},
		{"R42 sync throw", `throw new RangeError("thrown")`, Reply{Kind: Failure, Error: &FunctionError{Name: "RangeError", Message: "thrown"}}},
		{"R42 throw string", `throw "plain"`, Reply{Kind: Failure, BodyKind: BodyText, Body: []byte("plain")}},
		{"R43 async rejection", `await null; throw new Error("rejected")`, Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "rejected"}}},
		{"R43 stray rejection fails the invocation", `Promise.reject(new Error("stray"))`, Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "stray"}}},
		{"R43 stray throw in a timer fails the invocation", `setTimeout(() => { throw new Error("in timer") }, 1)`, Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "in timer"}}},
	}, false)
}

func TestTwiMLR38R39(t *testing.T) {
	runReplyCases(t, []replyCase{
		{"R39 global Twilio.twiml", `const r = new Twilio.twiml.MessagingResponse(); r.message("hi"); callback(null, r)`,
			Reply{Kind: Payload, BodyKind: BodyXML, Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>hi</Message></Response>`)}},
		{"R39 own require", `const twilio = require("twilio"); const r = new twilio.twiml.VoiceResponse(); r.say("yo"); callback(null, r)`,
			Reply{Kind: Payload, BodyKind: BodyXML, Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>yo</Say></Response>`)}},
		{"R39 fax", `callback(null, new Twilio.twiml.FaxResponse())`,
			Reply{Kind: Payload, BodyKind: BodyXML, Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`)}},
		{"R39 look-alike class", `class VoiceResponse { toString() { return "<Response/>" } }; callback(null, new VoiceResponse())`,
			Reply{Kind: Payload, BodyKind: BodyXML, Body: []byte(`<Response/>`)}},
		{"R32 Twilio has the library", `callback(null, [typeof Twilio.validateRequest, typeof Twilio.jwt.AccessToken, typeof Twilio.Response])`,
			Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`["function","function","function"]`)}},
	}, true)
}

// TestTwilioLoadsOnFirstUse checks that the twilio package, a quarter of a
// second of a worker's start, is loaded only when a Function needs more of
// Twilio than Response, and that Twilio then has all of it (R32).
func TestTwilioLoadsOnFirstUse(t *testing.T) {
	loaded := `Object.keys(require.cache).some((k) => k.includes("/node_modules/twilio/"))`
	runReplyCases(t, []replyCase{
		{"Response alone does not load twilio", `new Twilio.Response(); callback(null, [` + loaded + `, typeof twilioClient])`,
			Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`[false,"undefined"]`)}},
		{"R32 keys list the library", `callback(null, [Object.keys(Twilio).includes("twiml"), "Response" in Twilio, ` + loaded + `])`,
			Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`[true,true,true]`)}},
		{"R32 spread copies the library", `const t = {...Twilio}; callback(null, [typeof t.jwt, typeof t.Response])`,
			Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`["object","function"]`)}},
	}, true, func(o *Options) { o.Count = 1 })
}

func TestNoTwilioPackageR32(t *testing.T) {
	const msg = "the twilio package is not installed in this project: run npm install twilio"
	runReplyCases(t, []replyCase{
		{"R32 Response works", `callback(null, new Twilio.Response().setBody("ok"))`,
			Reply{Kind: Response, Status: 200, BodyKind: BodyText, Body: []byte("ok")}},
		{"R32 twiml throws", `callback(null, new Twilio.twiml.VoiceResponse())`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: msg}}},
		{"R29 getTwilioClient throws", `callback(null, context.getTwilioClient())`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: msg}}},
	}, false, withEnv("ACCOUNT_SID", "AC"+strings.Repeat("a", 32), "AUTH_TOKEN", strings.Repeat("b", 32)))
}

func withEnv(kv ...string) poolOpt {
	return func(o *Options) {
		for i := 0; i+1 < len(kv); i += 2 {
			o.Project.Env = append(o.Project.Env, EnvVar{kv[i], kv[i+1]})
		}
	}
}

func withoutEventRequest(o *Options) { o.Project.EventRequest = false }

func hdr(name string, v ...string) Header { return Header{Name: name, Values: v} }
func hdrArr(name string, v ...string) Header {
	return Header{Name: name, Values: v, Array: true}
}

func TestResponseR47toR53(t *testing.T) {
	runReplyCases(t, []replyCase{
		{"R47 default", `callback(null, new Twilio.Response())`, Reply{Kind: Response, Status: 200, BodyKind: BodyNone}},
		{"R47 constructor options", `callback(null, new Twilio.Response({statusCode: 201, body: "b", headers: {"X-A": "1", "set-cookie": "c=1"}}))`,
			Reply{Kind: Response, Status: 201, Headers: []Header{hdr("X-A", "1"), hdr("Set-Cookie", "c=1")}, BodyKind: BodyText, Body: []byte("b")}},
		{"R47 falsy statusCode and body ignored", `callback(null, new Twilio.Response({statusCode: 0, body: ""}))`,
			Reply{Kind: Response, Status: 200, BodyKind: BodyNone}},
		{"R47 global Response alias", `callback(null, new Response().setStatusCode(204))`, Reply{Kind: Response, Status: 204, BodyKind: BodyNone}},
		{"R48 chainable", `callback(null, new Twilio.Response().setStatusCode(418).setBody("tea").appendHeader("X", "y"))`,
			Reply{Kind: Response, Status: 418, Headers: []Header{hdr("X", "y")}, BodyKind: BodyText, Body: []byte("tea")}},
		{"R48 non-integer status", `callback(null, new Twilio.Response().setStatusCode("abc"))`, Reply{Kind: Response, Status: 0, BodyKind: BodyNone}},
		{"R48 fractional status", `callback(null, new Twilio.Response().setStatusCode(200.5))`, Reply{Kind: Response, Status: 0, BodyKind: BodyNone}},
		{"R49 object body", `callback(null, new Twilio.Response().setBody({a: [1]}))`, Reply{Kind: Response, Status: 200, BodyKind: BodyJSON, Body: []byte(`{"a":[1]}`)}},
		{"R49 number body", `callback(null, new Twilio.Response().setBody(7))`, Reply{Kind: Response, Status: 200, BodyKind: BodyJSON, Body: []byte(`7`)}},
		{"R49 buffer body", `callback(null, new Twilio.Response().setBody(Buffer.from("xyz")))`, Reply{Kind: Response, Status: 200, BodyKind: BodyBytes, Body: []byte("xyz")}},
		{"R55 string body with JSON content type is not encoded twice", `const r = new Twilio.Response(); r.appendHeader("Content-Type", "application/json"); r.setBody('{"a":1}'); callback(null, r)`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdr("Content-Type", "application/json")}, BodyKind: BodyText, Body: []byte(`{"a":1}`)}},
		{"R50 append twice makes an array", `callback(null, new Twilio.Response().appendHeader("X-A", "1").appendHeader("X-A", "2"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("X-A", "1", "2")}}},
		{"R50 case-insensitive names keep the first spelling", `callback(null, new Twilio.Response().appendHeader("X-Case", "a").appendHeader("x-case", "b"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("X-Case", "a", "b")}}},
		{"R50 arrays concatenate", `callback(null, new Twilio.Response().appendHeader("never", ["gonna", "give"]).appendHeader("never", ["you", "up"]))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("never", "gonna", "give", "you", "up")}}},
		{"R50 number stringified", `callback(null, new Twilio.Response().appendHeader("Content-Length", 3).setBody("abc"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdr("Content-Length", "3")}, BodyKind: BodyText, Body: []byte("abc")}},
		{"R50 object value throws", `new Twilio.Response().appendHeader("X", {a: 1})`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "Header value cannot be an object"}}},
		{"R50 null value throws", `new Twilio.Response().appendHeader("X", null)`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "Header value cannot be an object"}}},
		{"R50 set-cookie is a list under Set-Cookie", `callback(null, new Twilio.Response().appendHeader("set-cookie", "a=1").appendHeader("SET-COOKIE", "b=2"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("Set-Cookie", "a=1", "b=2")}}},
		{"R51 setHeaders replaces everything", `callback(null, new Twilio.Response().appendHeader("X-Old", "1").setCookie("c", "1").setHeaders({"X-New": ["a", "b"], "set-cookie": "d=2"}))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("X-New", "a", "b"), hdr("Set-Cookie", "d=2")}}},
		{"R51 setHeaders non-object is a no-op", `callback(null, new Twilio.Response().appendHeader("X", "1").setHeaders("nope"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdr("X", "1")}}},
		{"R52 setCookie", `callback(null, new Twilio.Response().setCookie("Hello", "World", ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=86400"]).setCookie("f", "x y"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("Set-Cookie", "Hello=World;HttpOnly;Secure;SameSite=Strict;Max-Age=86400", "f=x y")}}},
		{"R53 removeCookie", `callback(null, new Twilio.Response().setCookie("a", "1").setCookie("b", "2").setCookie("a", "3", ["Path=/"]).removeCookie("a").removeCookie("zzz"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("Set-Cookie", "b=2", "a=;Max-Age=0", "zzz=;Max-Age=0")}}},
		{"R57 empty Set-Cookie list omitted", `callback(null, new Twilio.Response().setCookie("a", "1").removeCookie("a").setHeaders({}))`,
			Reply{Kind: Response, Status: 200}},
		{"R47 headers keep first-set order", `callback(null, new Twilio.Response().appendHeader("B", "1").setCookie("s", "1").appendHeader("A", "2").appendHeader("b", "3"))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("B", "1", "3"), hdr("Set-Cookie", "s=1"), hdr("A", "2")}}},
	}, false)
}

func TestResponseCookiesBelow120R74(t *testing.T) {
	const want = "is not available: it needs @twilio/runtime-handler 1.2.0 or newer in package.json"
	runReplyCases(t, []replyCase{
		{"R74 setCookie", `new Twilio.Response().setCookie("a", "1")`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "setCookie " + want}}},
		{"R74 removeCookie", `new Twilio.Response().removeCookie("a")`,
			Reply{Kind: Failure, Error: &FunctionError{Name: "Error", Message: "removeCookie " + want}}},
		{"R57 array header reported as array", `callback(null, new Twilio.Response().appendHeader("X", ["1"]))`,
			Reply{Kind: Response, Status: 200, Headers: []Header{hdrArr("X", "1")}}},
		{"R21 no event.request", `callback(null, Object.keys(event))`, Reply{Kind: Payload, BodyKind: BodyJSON, Body: []byte(`[]`)}},
	}, false, withoutEventRequest)
}

func TestEventR16R19(t *testing.T) {
	p := newProject(t, map[string]string{"functions/echo.js": fn(`callback(null, JSON.stringify(event))`)})
	pool := startPool(t, p, nil)
	headers := json.RawMessage(`{"x-a":"1","cookie":"c=1"}`)
	cookies := json.RawMessage(`{"c":"1"}`)
	cases := []struct {
		name               string
		query, form, jsonB string
		want               string
	}{
		{"R16 request only", "", "", "", `{"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}}}`},
		{"R16 body overrides query", `{"a":"q","b":"q"}`, `{"b":"f"}`, "", `{"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}},"a":"q","b":"f"}`},
		{"R16 query named request replaces it", `{"request":"x"}`, "", "", `{"request":"x"}`},
		{"R16 json body wins", `{"a":"q"}`, "", `{"a":{"deep":true},"n":null}`, `{"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}},"a":{"deep":true},"n":null}`},
		{"R19 top-level array", "", "", `["x",{"y":1}]`, `{"0":"x","1":{"y":1},"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}}}`}, // JS orders integer keys first,
		// JavaScript parses the body, so numbers behave exactly as in Node (JSON.parse): no Go float64 rounding in between.
		{"R18 numbers parsed by JavaScript", "", "", `{"big":12345678901234567890,"one":1.0,"small":0.1,"exp":1e400}`,
			`{"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}},"big":12345678901234567000,"one":1,"small":0.1,"exp":null}`},
		{"R16 __proto__ key stays a plain key", "", "", `{"__proto__":{"polluted":1}}`,
			`{"request":{"headers":{"x-a":"1","cookie":"c=1"},"cookies":{"c":"1"}},"__proto__":{"polluted":1}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := p.inv("echo")
			inv.Headers, inv.Cookies = headers, cookies
			if c.query != "" {
				inv.Query = json.RawMessage(c.query)
			}
			if c.form != "" {
				inv.Form = json.RawMessage(c.form)
			}
			if c.jsonB != "" {
				inv.JSONBody = []byte(c.jsonB)
			}
			r := invoke(t, pool, inv)
			if r.Kind != Payload || string(r.Body) != c.want {
				t.Errorf("event = %s (kind %v)\nwant    %s", r.Body, r.Kind, c.want)
			}
		})
	}
}

func TestContextR28R31(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/ctx.js": fn(`const c = {...context}; delete c.getTwilioClient;
			callback(null, {keys: Object.keys(context), c, hasSS: "SERVICE_SID" in context, env: process.env, gtc: typeof context.getTwilioClient})`),
		"functions/override.js": fn(`callback(null, [context.PATH, context.DOMAIN_NAME])`),
	})
	pool := startPool(t, p, nil, withEnv("FOO", "bar", "ZED", "1"))
	r := invoke(t, pool, p.inv("ctx"))
	want := `{"keys":["PATH","DOMAIN_NAME","SERVICE_SID","ENVIRONMENT_SID","FOO","ZED","getTwilioClient"],` +
		`"c":{"PATH":"/ctx","DOMAIN_NAME":"localhost:3000","FOO":"bar","ZED":"1"},"hasSS":true,"env":{"FOO":"bar","ZED":"1"},"gtc":"function"}`
	if string(r.Body) != want {
		t.Errorf("R28/R31 context:\n got %s\nwant %s", r.Body, want)
	}

	// R28: .env overrides the computed values.
	p2 := newProject(t, map[string]string{"functions/override.js": fn(`callback(null, [context.PATH, context.DOMAIN_NAME, process.env.PATH])`)})
	pool2 := startPool(t, p2, nil, withEnv("PATH", "/usr/bin", "DOMAIN_NAME", "example.com"))
	if r := invoke(t, pool2, p2.inv("override")); string(r.Body) != `["/usr/bin","example.com","/usr/bin"]` {
		t.Errorf("R28 override: got %s", r.Body)
	}
}

func TestGetTwilioClientR29(t *testing.T) {
	sid := "AC" + strings.Repeat("a", 32)
	tok := strings.Repeat("b", 32)
	cases := []struct {
		name string
		env  []string
		want string // error message prefix, or "" for success
	}{
		{"R29 missing sid", []string{"AUTH_TOKEN", tok}, "Missing Account SID"},
		{"R29 invalid sid", []string{"ACCOUNT_SID", "AB" + strings.Repeat("a", 32), "AUTH_TOKEN", tok}, "Invalid Account SID"},
		{"R29 short sid", []string{"ACCOUNT_SID", "AC123", "AUTH_TOKEN", tok}, "Invalid Account SID"},
		{"R29 missing token", []string{"ACCOUNT_SID", sid}, "Missing Auth Token"},
		{"R29 invalid token", []string{"ACCOUNT_SID", sid, "AUTH_TOKEN", "short"}, "Invalid Auth Token"},
		{"R29 ok", []string{"ACCOUNT_SID", sid, "AUTH_TOKEN", tok}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t, map[string]string{"functions/c.js": fn(`const cl = context.getTwilioClient({region: "ie1"});
				callback(null, {sid: cl.accountSid, region: cl.region, twilioClient: typeof twilioClient, sync: typeof Runtime.getSync().maps})`)})
			p.withTwilio()
			pool := startPool(t, p, nil, withEnv(c.env...))
			r := invoke(t, pool, p.inv("c"))
			if c.want != "" {
				if r.Kind != Failure || r.Error == nil || r.Error.Name != "INVALID_CONFIG" || !strings.HasPrefix(r.Error.Message, c.want) {
					t.Fatalf("got %+v %+v, want INVALID_CONFIG %q", r, r.Error, c.want)
				}
				return
			}
			want := fmt.Sprintf(`{"sid":%q,"region":"ie1","twilioClient":"object","sync":"function"}`, sid)
			if r.Kind != Payload || string(r.Body) != want {
				t.Fatalf("got %+v %s %+v, want %s", r.Kind, r.Body, r.Error, want)
			}
		})
	}
}

func TestRuntimeGlobalsR33R34(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/rt.js": fn(`const a = Runtime.getAssets(); const f = Runtime.getFunctions();
			callback(null, {assets: Object.keys(a), open: a["/data/config.json"].open(), apath: a["/data/config.json"].path,
				fns: f, same: JSON.stringify(Functions) === JSON.stringify(f), resp: Response === Twilio.Response,
				twilioClient: typeof globalThis.twilioClient, sync: (() => { try { Runtime.getSync() } catch (e) { return e.name } })()})`),
		"functions/sms/reply.js":  fn(`callback(null, "reply")`),
		"assets/data/config.json": `{"k":1}`,
	})
	pool := startPool(t, p, nil, func(o *Options) {
		o.Project.Functions = []Resource{{"rt", p.dir + "/functions/rt.js"}, {"sms/reply", p.dir + "/functions/sms/reply.js"}}
		o.Project.PrivateAssets = []Resource{{"/data/config.json", p.dir + "/assets/data/config.json"}}
	})
	r := invoke(t, pool, p.inv("rt"))
	want := fmt.Sprintf(`{"assets":["/data/config.json"],"open":"{\"k\":1}","apath":%q,"fns":{"rt":{"path":%q},"sms/reply":{"path":%q}},`+
		`"same":true,"resp":true,"twilioClient":"undefined","sync":"INVALID_CONFIG"}`,
		p.dir+"/assets/data/config.json", p.dir+"/functions/rt.js", p.dir+"/functions/sms/reply.js")
	if string(r.Body) != want {
		t.Errorf("R33:\n got %s\nwant %s", r.Body, want)
	}
	// R33: open() reads the file each time.
	p.write("assets/data/config.json", `{"k":2}`)
	if r := invoke(t, pool, p.inv("rt")); !bytes.Contains(r.Body, []byte(`"open":"{\"k\":2}"`)) {
		t.Errorf("R33 open() did not reread the file: %s", r.Body)
	}
}

// TestErrorStackShowsUserCode_R40: the runtime's own frames are folded into
// one line so a stack points at the Function, not at worker.js.
func TestErrorStackShowsUserCode_R40(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/deep.js": "function inner() { throw new Error('deep'); }\nexports.handler = (c, e, cb) => { inner(); };\n",
	})
	pool := startPool(t, p, nil)
	rep := invoke(t, pool, p.inv("deep"))
	if rep.Error == nil {
		t.Fatalf("reply %+v, want a failure", rep)
	}
	st := rep.Error.Stack
	if !strings.Contains(st, "functions/deep.js:1") || !strings.Contains(st, "functions/deep.js:2") {
		t.Errorf("stack lost the Function's frames:\n%s", st)
	}
	if strings.Contains(st, "worker.js") || strings.Contains(st, "node:") {
		t.Errorf("stack shows runtime frames:\n%s", st)
	}
	if strings.Count(st, "[Ahoy runtime internals]") != 1 {
		t.Errorf("runtime frames must fold into one line:\n%s", st)
	}
}
