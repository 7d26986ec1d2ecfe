package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// Vectors produced by twilio-node 5.13.1's getExpectedTwilioSignature (token "12345"), so these
// tests hold even where node is not installed.
func TestSignature_R67_Vectors(t *testing.T) {
	docParams := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	const docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	tests := []struct {
		name   string
		url    string
		params url.Values
		want   string
	}{
		{"R67 docs example", docURL, docParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{"R67 port is part of the signed URL", "https://mycompany.com:443/myapp.php?foo=1&bar=2", docParams, "EpDEmp1PyjDYp77YxYU3GILBWzE="},
		// Repeated values count once, sorted; U+E000 sorts after U+1F600 in UTF-16 order.
		{"R67 repeated names and UTF-16 order", docURL, url.Values{"b": {"2", "1", "2"}, "\uE000": {"p"}, "\U0001F600": {"s"}}, "MCUwG7khfkJc1yB0vQnbC6Qp6l0="},
		{"R68 empty params", docURL, nil, "zYQTYrRWXE7LtzbG4PfP7/bkkGo="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature("12345", tt.url, tt.params); got != tt.want {
				t.Errorf("Signature = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValid_R67_R68(t *testing.T) {
	const tok = "12345"
	form := url.Values{"From": {"+1555"}, "Body": {"hi there"}}
	body := []byte(`{"a":1}`)
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	tests := []struct {
		name  string
		token string
		req   Request
		want  bool
	}{
		{"R67 exact URL and form", tok, Request{URL: "https://x.twil.io/f?a=1", Form: form,
			Signature: Signature(tok, "https://x.twil.io/f?a=1", form)}, true},
		{"R67 form params must match", tok, Request{URL: "https://x.twil.io/f?a=1", Form: url.Values{"From": {"+1556"}},
			Signature: Signature(tok, "https://x.twil.io/f?a=1", form)}, false},
		{"R67 request has default port, signed without", tok, Request{URL: "https://x.twil.io:443/f",
			Signature: Signature(tok, "https://x.twil.io/f", nil)}, true},
		{"R67 request has no port, signed with default", tok, Request{URL: "https://x.twil.io/f",
			Signature: Signature(tok, "https://x.twil.io:443/f", nil)}, true},
		{"R67 http default port", tok, Request{URL: "http://localhost/f",
			Signature: Signature(tok, "http://localhost:80/f", nil)}, true},
		{"R67 non-default port may be dropped", tok, Request{URL: "http://localhost:3000/f",
			Signature: Signature(tok, "http://localhost/f", nil)}, true},
		{"R67 non-default port kept", tok, Request{URL: "http://localhost:3000/f",
			Signature: Signature(tok, "http://localhost:3000/f", nil)}, true},
		{"R67 other port refused", tok, Request{URL: "http://localhost:3000/f",
			Signature: Signature(tok, "http://localhost:3001/f", nil)}, false},
		{"R67 legacy querystring variant", tok, Request{URL: "https://x.twil.io/f?q=a'b c",
			Signature: Signature(tok, "https://x.twil.io/f?q=a'b%20c", nil)}, true},
		{"R67 WHATWG-encoded variant", tok, Request{URL: "https://x.twil.io/f?q=a'b c",
			Signature: Signature(tok, "https://x.twil.io/f?q=a%27b%20c", nil)}, true},
		{"R67 raw unencoded URL is not a variant", tok, Request{URL: "https://x.twil.io/f?q=a'b c",
			Signature: Signature(tok, "https://x.twil.io/f?q=a'b c", nil)}, false},
		{"R67 scheme matters", tok, Request{URL: "https://x.twil.io/f",
			Signature: Signature(tok, "http://x.twil.io/f", nil)}, false},
		{"R67 wrong token", "54321", Request{URL: "https://x.twil.io/f",
			Signature: Signature(tok, "https://x.twil.io/f", nil)}, false},
		{"R67 empty signature", tok, Request{URL: "https://x.twil.io/f"}, false},
		{"R67 empty auth token", "", Request{URL: "https://x.twil.io/f",
			Signature: Signature("", "https://x.twil.io/f", nil)}, false},
		{"R67 unparsable URL", tok, Request{URL: "https://x.twil.io:99999/f",
			Signature: Signature(tok, "https://x.twil.io:99999/f", nil)}, false},
		{"R68 JSON body signs with empty params", tok, Request{URL: "https://x.twil.io/f", Body: body,
			Signature: Signature(tok, "https://x.twil.io/f", nil)}, true},
		{"R68 bodySHA256 matches", tok, Request{URL: "https://x.twil.io/f?bodySHA256=" + bodyHash, Body: body,
			Signature: Signature(tok, "https://x.twil.io/f?bodySHA256="+bodyHash, nil)}, true},
		{"R68 bodySHA256 ignores form params", tok, Request{URL: "https://x.twil.io/f?bodySHA256=" + bodyHash, Body: body, Form: form,
			Signature: Signature(tok, "https://x.twil.io/f?bodySHA256="+bodyHash, nil)}, true},
		{"R68 bodySHA256 with tampered body", tok, Request{URL: "https://x.twil.io/f?bodySHA256=" + bodyHash, Body: []byte(`{"a":2}`),
			Signature: Signature(tok, "https://x.twil.io/f?bodySHA256="+bodyHash, nil)}, false},
		{"R68 bodySHA256 upper-case hex refused", tok, Request{URL: "https://x.twil.io/f?bodySHA256=" + strings.ToUpper(bodyHash), Body: body,
			Signature: Signature(tok, "https://x.twil.io/f?bodySHA256="+strings.ToUpper(bodyHash), nil)}, false},
		{"R67 unsupported scheme", tok, Request{URL: "ftp://x.twil.io/f",
			Signature: Signature(tok, "ftp://x.twil.io/f", nil)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Validator{AuthToken: tt.token}).Valid(tt.req); got != tt.want {
				t.Errorf("Valid(%+v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestLegacyQuerystring_R67(t *testing.T) {
	tests := []struct{ in, want string }{
		{"b=1&2=x&1=y&b=2", "1=y&2=x&b=1&b=2"},     // array-index keys first, repeats grouped
		{"a+b=c%20d&e=%zz", "a%20b=c%20d&e=%25zz"}, // '+' is a space; bad escapes kept
		{"x=%E2%82A", "x=%EF%BF%BDA"},              // one U+FFFD per maximal invalid subpart
		{"&&a&=v&", "a=&=v"},                       // empty pairs dropped, empty key kept
		{"q='!*()~", "q='!*()~"},                   // legacy unreserved set
		{"4294967295=a&4294967294=b", "4294967294=b&4294967295=a"},
	}
	for _, tt := range tests {
		if got := legacyQuerystring(tt.in); got != tt.want {
			t.Errorf("legacyQuerystring(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzValid: URL handling never panics, and a URL signed the way Twilio signs the request URL
// (its serialised form, or the raw URL when that is already canonical) always validates.
func FuzzValid(f *testing.F) {
	for _, u := range urlCorpus {
		f.Add(u, "From", "+15551234567")
	}
	for _, u := range unsupportedCorpus {
		f.Add(u, "", "")
	}
	f.Fuzz(func(t *testing.T, raw, name, value string) {
		const tok = "fuzz-token"
		form := url.Values{name: {value}}
		v := Validator{AuthToken: tok}
		v.Valid(Request{URL: raw, Signature: "AAAA", Form: form})
		u, err := parseURL(raw)
		if err != nil {
			return
		}
		variants, err := urlVariants(u)
		if err != nil {
			t.Fatalf("%q parses but its variants do not: %v", raw, err)
		}
		signed := []string{u.href()}
		if raw == u.href() {
			signed = append(signed, raw)
		}
		signed = append(signed, variants...)
		for _, s := range signed {
			if _, ok := formValue(strings.TrimPrefix(u.search(), "?"), "bodySHA256"); ok {
				continue // R68: the body hash decides, tested separately
			}
			if !v.Valid(Request{URL: raw, Form: form, Signature: Signature(tok, s, form)}) {
				t.Fatalf("signature over %q does not validate request %q", s, raw)
			}
		}
		// Serialising is idempotent, which the variant construction relies on.
		if again, err := parseURL(u.href()); err != nil || again.href() != u.href() {
			t.Fatalf("href not idempotent: %q -> %q -> %v %v", raw, u.href(), again, err)
		}
	})
}

// FuzzCompareUTF16 checks the conversion-free comparison against the plain
// definition: compare the UTF-16 encodings, then the bytes.
func FuzzCompareUTF16(f *testing.F) {
	for _, s := range [][2]string{
		{"a", "b"}, {"ab", "a"}, {"\U0001F600", "\uFFFD"}, {"\uE000", "\U00010000"},
		{"x\xffy", "x\uFFFDy"}, {"\U0001F600a", "\U0001F601"}, {"", "a"}, {"same", "same"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
		if want == 0 {
			want = strings.Compare(a, b)
		}
		if got := compareUTF16(a, b); got != want {
			t.Fatalf("compareUTF16(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
