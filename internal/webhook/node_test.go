package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

// nodeHarness runs twilio-node's own webhooks.js. It also compiles the module a second time with
// its private URL helpers exported, so Ahoy's variant URLs can be compared string for string.
const nodeHarness = `
const fs = require('fs'), path = require('path'), Module = require('module');
const file = process.argv[1];
const wh = require(file);
const m = new Module(file, module);
m.filename = file;
m.paths = Module._nodeModulePaths(path.dirname(file));
m._compile(fs.readFileSync(file, 'utf8') +
  '\nexports.__ahoy = { removePort, addPort, withLegacyQuerystring };', file);
const h = m.exports.__ahoy;
const ops = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = ops.map(op => {
  try {
    switch (op.kind) {
    case 'variants': {
      const u = new URL(op.url);
      return { variants: [h.removePort(u), h.addPort(u),
        h.withLegacyQuerystring(h.removePort(u)), h.withLegacyQuerystring(h.addPort(u))] };
    }
    case 'sign':
      return { sig: wh.getExpectedTwilioSignature(op.token, op.url, op.params || {}) };
    case 'validate':
      return { valid: wh.validateRequest(op.token, op.sig, op.url, op.params || {}) };
    case 'validateBody':
      return { valid: wh.validateRequestWithBody(op.token, op.sig, op.url, op.body) };
    }
    return { error: 'unknown op' };
  } catch (e) {
    return { error: String(e && e.code || e) };
  }
});
process.stdout.write(JSON.stringify(out));
`

type nodeOp struct {
	Kind   string         `json:"kind"`
	Token  string         `json:"token,omitempty"`
	URL    string         `json:"url"`
	Sig    string         `json:"sig,omitempty"`
	Params map[string]any `json:"params,omitempty"`
	Body   string         `json:"body"`
}

type nodeResult struct {
	Variants []string `json:"variants"`
	Sig      string   `json:"sig"`
	Valid    bool     `json:"valid"`
	Error    string   `json:"error"`
}

// runNode evaluates ops with the installed twilio package, skipping the test when it is missing.
func runNode(t *testing.T, ops []nodeOp) []nodeResult {
	t.Helper()
	file, err := filepath.Abs("../../testdata/twilio/node_modules/twilio/lib/webhooks/webhooks.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Skip("twilio not installed; run npm ci in testdata/twilio")
	}
	var res []nodeResult
	projecttest.RunNodeJSON(t, nodeHarness, []string{file}, ops, &res)
	if len(res) != len(ops) {
		t.Fatalf("node returned %d results for %d ops", len(res), len(ops))
	}
	return res
}

// jsParams turns url.Values into what Express's urlencoded parser hands twilio-node: a string for
// one value, an array for several.
func jsParams(v url.Values) map[string]any {
	if v == nil {
		return nil
	}
	m := map[string]any{}
	for k, vs := range v {
		if len(vs) == 1 {
			m[k] = vs[0]
		} else {
			m[k] = vs
		}
	}
	return m
}

// urlCorpus are request URLs as a gateway could reconstruct them, chosen to exercise every step
// of the WHATWG parse and twilio-node's port and legacy-querystring variants (R67).
var urlCorpus = []string{
	"https://example-4321.twil.io/sms/send",
	"https://example.twil.io:443/sms/send",
	"https://example.twil.io:8443/sms/send?x=1",
	"http://localhost:3000/hello?x=1",
	"http://localhost:80/a",
	"http://LOCALHOST:0080/a",
	"http://localhost:/x",
	"https://Example.Twil.IO/path/../x/./y?b=2&a=1",
	"https://h.example/q?name=John Doe&msg=héllo wörld&emoji=😀",
	"https://h.example/q?name=John+Doe&msg=h%C3%A9llo%20w%C3%B6rld",
	"https://h.example/q?a=%20b&c=+d&e=%zz&f=%E2%82A&g=%ED%A0%80",
	"https://h.example/q?x='\"<>`{}|^&y=!*()~&z=%27",
	"https://h.example/q?b=2&a=1&b=1&2=x&1=y&01=z&4294967295=w&4294967294=v",
	"https://h.example/q?&&a=&=b&c&&",
	"https://h.example/q?",
	"https://h.example/q#frag",
	"https://h.example/q?a=1 2#frag ment`",
	"https://h.example/q?#",
	"https://user:pa ss@h.example/x",
	"https://u^|[]{}:p@ss@h.example:443/",
	"https://@h.example/",
	"http://127.0.0.1:8080/x",
	"http://0x7f.1/",
	"http://0177.0.0.1/",
	"http://4294967295/",
	"http://1.2.3.4.5/",
	"http://1.2.3.256/",
	"http://09/",
	"http://foo.1/",
	"http://foo.0x/",
	"http://[::1]:3000/x",
	"http://[::FFFF:1.2.3.4]/x",
	"http://[1:0:0:2:0:0:0:3]/",
	"http://[0:0:1:0:0:0:0:0]/",
	"http://[::1/",
	"http://[fe80::1%25eth0]/",
	"http://a..b./",
	"http://a./",
	"http://%41.com/",
	"http://a%25b/",
	"http://a b/",
	"http://a^b/",
	"https://h.example/p%2e%2E/%2e/x y/é/%2E./q",
	"https://h.example/a`b{c}d|e^f\"g<h>i'j%k;l=m@n:o[p]q/\x7f\x01x",
	"https://h.example/a/..",
	"https://h.example/a/.",
	"https://h.example",
	"https://h.example?x=1",
	"https:\\\\h.example\\a\\b",
	"https:/h.example/a",
	"https:h.example/a",
	"https:////h.example/a",
	"  https://h.example/a\t\n  ",
	"https://h.e\txample/a\nb",
	"https://h.example:65535/a",
	"https://h.example:65536/a",
	"https://h.example:8x/a",
	"https://:443/a",
	"https://u@/a",
	"HTTPS://H.EXAMPLE/A?B=C",
	"http://h.example/x?bodySHA256=abc",
	"not a url",
	"/relative/path",
	"https://h.example/?" + strings.Repeat("k=1&", 1002) + "last=2",
	"https://h.example/?" + strings.Repeat("&", 999) + "a=1&b=2",
}

// unsupportedCorpus are URLs Node accepts but Ahoy refuses by design (see whatwg.go).
var unsupportedCorpus = []string{
	"ftp://h.example/x",
	"ws://h.example/x",
	"http://ÉX.com/",
	"http://xn--nxasmq6b/",
	"http://%C3%89x.com/",
}

// TestURLVariants_R67_MatchTwilioNode compares Ahoy's four signed URLs with twilio-node's own
// removePort/addPort/withLegacyQuerystring output, and URL refusals with `new URL` throwing.
func TestURLVariants_R67_MatchTwilioNode(t *testing.T) {
	var ops []nodeOp
	for _, u := range urlCorpus {
		ops = append(ops, nodeOp{Kind: "variants", URL: u})
	}
	res := runNode(t, ops)
	accepted := 0
	for i, u := range urlCorpus {
		got, err := variantsOf(u)
		if errors.Is(err, errUnsupported) {
			t.Errorf("%q: unexpectedly unsupported: %v", u, err)
			continue
		}
		if res[i].Error != "" {
			if err == nil {
				t.Errorf("%q: node refuses (%s), ahoy gives %q", u, res[i].Error, got)
			}
			continue
		}
		accepted++
		if err != nil {
			t.Errorf("%q: node gives %q, ahoy refuses: %v", u, res[i].Variants, err)
			continue
		}
		for j := range got {
			if got[j] != res[i].Variants[j] {
				t.Errorf("%q variant %d:\n ahoy %q\n node %q", short(u), j, short(got[j]), short(res[i].Variants[j]))
			}
		}
	}
	if accepted < len(urlCorpus)/2 {
		t.Fatalf("only %d corpus URLs accepted by node; corpus is broken", accepted)
	}
}

func variantsOf(raw string) ([]string, error) {
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	return urlVariants(u)
}

// TestValid_R67_AgreesWithTwilioNode signs many (signed URL, request URL, params) combinations with
// twilio-node and checks that Valid and validateRequest give the same verdict every time.
func TestValid_R67_AgreesWithTwilioNode(t *testing.T) {
	const token, wrongToken = "12345678901234567890123456789012", "abcdefabcdefabcdefabcdefabcdefab"
	paramSets := []url.Values{
		nil,
		{"From": {"+15551234567"}, "To": {"+15557654321"}, "Body": {"Hello wörld & 😀"}},
		{"b": {"2", "1", "2"}, "a": {""}, "B": {"x"}, "\uE000": {"p"}, "\U0001F600": {"s"}, "": {"empty name"}},
	}

	// Round 1: ask node for its variants, so the signed URLs include exactly what it tries.
	var vops []nodeOp
	for _, u := range urlCorpus {
		vops = append(vops, nodeOp{Kind: "variants", URL: u})
	}
	variants := runNode(t, vops)

	type check struct {
		reqURL, signedURL string
		params            url.Values
		token             string // token Ahoy and node validate with
		tamper            bool
	}
	var checks []check
	for i, u := range urlCorpus {
		signed := []string{u, u + "x", strings.Replace(u, "https", "http", 1), strings.ToLower(u)}
		signed = append(signed, variants[i].Variants...)
		if gv, err := variantsOf(u); err == nil {
			signed = append(signed, gv...)
		}
		for pi, p := range paramSets {
			for _, s := range signed {
				checks = append(checks, check{reqURL: u, signedURL: s, params: p, token: token})
			}
			if pi == 1 && len(variants[i].Variants) > 0 {
				s := variants[i].Variants[0]
				checks = append(checks,
					check{reqURL: u, signedURL: s, params: p, token: wrongToken},
					check{reqURL: u, signedURL: s, params: p, token: token, tamper: true})
			}
		}
	}

	// Round 2: node signs every signed URL with the right token.
	var sops []nodeOp
	for _, c := range checks {
		sops = append(sops, nodeOp{Kind: "sign", Token: token, URL: c.signedURL, Params: jsParams(c.params)})
	}
	sigs := runNode(t, sops)

	// Round 3: node validates; Ahoy must agree.
	var ops []nodeOp
	sig := make([]string, len(checks))
	for i, c := range checks {
		if sigs[i].Error != "" {
			t.Fatalf("node could not sign %q: %s", c.signedURL, sigs[i].Error)
		}
		if got := Signature(token, c.signedURL, c.params); got != sigs[i].Sig {
			t.Errorf("Signature(%q, %v) = %q, node %q", c.signedURL, c.params, got, sigs[i].Sig)
		}
		sig[i] = sigs[i].Sig
		if c.tamper {
			sig[i] = tamper(sig[i])
		}
		ops = append(ops, nodeOp{Kind: "validate", Token: c.token, Sig: sig[i], URL: c.reqURL, Params: jsParams(c.params)})
	}
	verdicts := runNode(t, ops)
	valid, invalid := 0, 0
	for i, c := range checks {
		got := Validator{AuthToken: c.token}.Valid(Request{URL: c.reqURL, Signature: sig[i], Form: c.params})
		want := verdicts[i].Valid && verdicts[i].Error == ""
		if strings.Contains(c.reqURL, "bodySHA256") {
			// Ahoy routes these through the body check (R68); covered by the bodySHA256 test.
			continue
		}
		if got != want {
			t.Errorf("Valid(url %q, signed over %q, params %v, token %q, tamper %v) = %v, twilio-node %v %s",
				c.reqURL, c.signedURL, c.params, c.token, c.tamper, got, want, verdicts[i].Error)
		}
		if want {
			valid++
		} else {
			invalid++
		}
	}
	t.Logf("%d checks: %d valid, %d invalid", valid+invalid, valid, invalid)
	if valid < 100 || invalid < 100 {
		t.Fatalf("corpus too one-sided: %d valid, %d invalid", valid, invalid)
	}
}

// TestValid_R68_BodySHA256AgreesWithTwilioNode covers JSON webhooks signed with bodySHA256.
func TestValid_R68_BodySHA256AgreesWithTwilioNode(t *testing.T) {
	const token = "12345678901234567890123456789012"
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	body := `{"message":"héllo","n":1}`
	h := hash(body)
	type tc struct {
		name, signedURL, reqURL, body string
	}
	base := "https://example.twil.io/json"
	cases := []tc{
		{"R68 signed and hashed", base + "?bodySHA256=" + h, base + "?bodySHA256=" + h, body},
		{"R68 default port in request", base + "?bodySHA256=" + h, "https://example.twil.io:443/json?bodySHA256=" + h, body},
		{"R68 other params before hash", base + "?a=1&bodySHA256=" + h, base + "?a=1&bodySHA256=" + h, body},
		{"R68 tampered body", base + "?bodySHA256=" + h, base + "?bodySHA256=" + h, body + " "},
		{"R68 upper-case hash", base + "?bodySHA256=" + strings.ToUpper(h), base + "?bodySHA256=" + strings.ToUpper(h), body},
		{"R68 wrong hash, right signature", base + "?bodySHA256=" + hash("x"), base + "?bodySHA256=" + hash("x"), body},
		{"R68 empty body", base + "?bodySHA256=" + hash(""), base + "?bodySHA256=" + hash(""), ""},
		{"R68 repeated hash param uses first", base + "?bodySHA256=" + h + "&bodySHA256=x", base + "?bodySHA256=" + h + "&bodySHA256=x", body},
		{"R68 second hash param ignored", base + "?bodySHA256=x&bodySHA256=" + h, base + "?bodySHA256=x&bodySHA256=" + h, body},
		{"R68 encoded param name", base + "?body%53HA256=" + h, base + "?body%53HA256=" + h, body},
		{"R68 signature over other URL", base + "?bodySHA256=" + h + "&z", base + "?bodySHA256=" + h, body},
		{"R68 empty hash value", base + "?bodySHA256=", base + "?bodySHA256=", body},
	}
	var sops []nodeOp
	for _, c := range cases {
		sops = append(sops, nodeOp{Kind: "sign", Token: token, URL: c.signedURL})
	}
	sigs := runNode(t, sops)
	var ops []nodeOp
	for i, c := range cases {
		ops = append(ops, nodeOp{Kind: "validateBody", Token: token, Sig: sigs[i].Sig, URL: c.reqURL, Body: c.body})
	}
	verdicts := runNode(t, ops)
	valid := 0
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := verdicts[i].Valid && verdicts[i].Error == ""
			// A form on the request must not matter: the hash covers the body (R68).
			for _, form := range []url.Values{nil, {"a": {"1"}}} {
				got := Validator{AuthToken: token}.Valid(Request{URL: c.reqURL, Signature: sigs[i].Sig, Body: []byte(c.body), Form: form})
				if got != want {
					t.Errorf("Valid = %v with form %v, validateRequestWithBody = %v %s", got, form, want, verdicts[i].Error)
				}
			}
		})
		if verdicts[i].Valid {
			valid++
		}
	}
	if valid < 3 || valid == len(cases) {
		t.Fatalf("corpus too one-sided: %d of %d valid", valid, len(cases))
	}
}

// TestValid_R67_UnsupportedURLs documents where Ahoy deliberately refuses what twilio-node accepts.
func TestValid_R67_UnsupportedURLs(t *testing.T) {
	const token = "12345678901234567890123456789012"
	var ops []nodeOp
	for _, u := range unsupportedCorpus {
		ops = append(ops, nodeOp{Kind: "variants", URL: u})
	}
	res := runNode(t, ops)
	for i, u := range unsupportedCorpus {
		if res[i].Error != "" {
			t.Errorf("%q: node refuses it (%s); move it to urlCorpus", u, res[i].Error)
			continue
		}
		if _, err := variantsOf(u); !errors.Is(err, errUnsupported) {
			t.Errorf("%q: err = %v, want errUnsupported", u, err)
		}
		sig := Signature(token, res[i].Variants[0], nil)
		if (Validator{AuthToken: token}).Valid(Request{URL: u, Signature: sig}) {
			t.Errorf("%q: Valid = true, want false (unsupported)", u)
		}
	}
}

// short keeps failure messages for the long corpus URLs readable.
func short(s string) string {
	if len(s) > 200 {
		return s[:100] + "…" + s[len(s)-100:]
	}
	return s
}

func tamper(sig string) string {
	b := []byte(sig)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// TestURLVariants_R67_RandomAgainstTwilioNode compares variants for URLs assembled at random (fixed
// seed) from pieces that stress the parser: ports, dots, escapes, brackets, quotes, non-ASCII.
func TestURLVariants_R67_RandomAgainstTwilioNode(t *testing.T) {
	pieces := []string{
		"http://", "https://", "HTTP:", "https:\\", "/", "\\", "?", "#", "&", "=", "+", ":", "@", "[", "]",
		".", "..", "%2e", "%2E%2e", "%", "%4", "%41", "%zz", "%C3%A9", "%E2%82", "%ED%A0%80", "%25",
		"a", "B", "0", "09", "0x", "0x1F", "255", "256", "4294967296", "::1", "1.2.3.4", "localhost",
		":443", ":80", ":0080", ":3000", ":", " ", "\t", "'", "\"", "<", ">", "`", "{", "}", "|", "^",
		"é", "😀", "\u00a0", "\x7f", "\x01", "bodySHA256", "1=", "01=", "k=v",
	}
	rng := rand.New(rand.NewPCG(67, 68))
	var urls []string
	for range 3000 {
		var sb strings.Builder
		sb.WriteString([]string{"http://", "https://"}[rng.IntN(2)])
		for range 1 + rng.IntN(12) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		urls = append(urls, sb.String())
	}
	var ops []nodeOp
	for _, u := range urls {
		ops = append(ops, nodeOp{Kind: "variants", URL: u})
	}
	res := runNode(t, ops)
	compared, accepted := 0, 0
	for i, u := range urls {
		got, err := variantsOf(u)
		if errors.Is(err, errUnsupported) {
			continue
		}
		compared++
		if (err != nil) != (res[i].Error != "") {
			t.Errorf("%q: ahoy error %v, node error %q", u, err, res[i].Error)
			continue
		}
		if err != nil {
			continue
		}
		accepted++
		for j := range got {
			if got[j] != res[i].Variants[j] {
				t.Errorf("%q variant %d:\n ahoy %q\n node %q", u, j, got[j], res[i].Variants[j])
			}
		}
	}
	t.Logf("%d of %d random URLs compared, %d accepted by both", compared, len(urls), accepted)
	if accepted < 300 {
		t.Fatalf("only %d random URLs accepted; generator is broken", accepted)
	}
}
