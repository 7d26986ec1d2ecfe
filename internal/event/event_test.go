package event

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseQuery_R17(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", `{}`},
		{"single", "a=1", `{"a":"1"}`},
		{"repeated key is an array", "a=1&a=2", `{"a":["1","2"]}`},
		{"empty brackets push", "a[]=1&a[]=2", `{"a":["1","2"]}`},
		{"nested object", "b[c]=3", `{"b":{"c":"3"}}`},
		{"two levels", "a[b][c]=x", `{"a":{"b":{"c":"x"}}}`},
		{"plus and %20 are spaces", "q=hello+big%20world", `{"q":"hello big world"}`},
		{"empty value and bare key", "e=&f", `{"e":"","f":""}`},
		{"sparse array compacted", "a[1]=x", `{"a":["x"]}`},
		{"index 19 still array", "a[19]=x", `{"a":["x"]}`},
		{"index 20 is an object key", "a[20]=x", `{"a":{"20":"x"}}`},
		{"index 21 is an object key", "a[21]=x", `{"a":{"21":"x"}}`},
		{"indices ordered", "a[1]=y&a[0]=x", `{"a":["x","y"]}`},
		{"value then object conflicts into array", "a=1&a[b]=2", `{"a":["1",{"b":"2"}]}`},
		{"object then value conflicts into array", "a[b]=1&a=2", `{"a":[{"b":"1"},"2"]}`},
		{"object then array merges keys", "a[b]=1&a=2&a=3", `{"a":{"0":"2","1":"3","b":"1"}}`},
		{"index and name mix into object", "a[0]=1&a[b]=2", `{"a":{"0":"1","b":"2"}}`},
		{"depth 5 then literal remainder", "a[b][c][d][e][f][g][h]=1", `{"a":{"b":{"c":{"d":{"e":{"f":{"[g][h]":"1"}}}}}}}`},
		{"dots are literal", "a.b=1", `{"a.b":"1"}`},
		{"encoded brackets", "a%5Bb%5D=1&c%5b%5d=2", `{"a":{"b":"1"},"c":["2"]}`},
		{"keys are decoded", "caf%C3%A9=1", `{"café":"1"}`},
		{"invalid escape left as is", "a=%ZZ", `{"a":"%ZZ"}`},
		{"one invalid escape keeps the whole value raw", "a=%41%ZZ+b", `{"a":"%41%ZZ b"}`},
		{"truncated UTF-8 escape raw", "a=%E2%82", `{"a":"%E2%82"}`},
		{"__proto__ dropped", "__proto__=1&a[__proto__]=2&b=3", `{"a":{},"b":"3"}`},
		{"prototype names are plain keys", "toString=1&constructor=2", `{"toString":"1","constructor":"2"}`},
		{"empty key dropped", "=x&&a=1", `{"a":"1"}`},
		{"numeric keys first like JS", "b=1&0=2&a=3", `{"0":"2","b":"1","a":"3"}`},
		{"unterminated bracket", "a[=1", `{"a":{"[":"1"}}`},
		{"text after bracket group ignored", "a[b]c=1", `{"a":{"b":"1"}}`},
		{"equals inside brackets", "a[b=c]=1", `{"a":{"b=c":"1"}}`},
		{"value keeps later equals", "a=b=c", `{"a":"b=c"}`},
		{"escaped control characters", "a=%0A%22%5C", `{"a":"\n\"\\"}`},
		{"html characters unescaped", "a=%3C%3E%26", `{"a":"<>&"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(ParseQuery(tt.raw, DefaultQueryLimits())); got != tt.want {
				t.Errorf("ParseQuery(%q) = %s, want %s", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseQuery_R17_Limits(t *testing.T) {
	many := strings.Repeat("a=1&", 999) + "b=2&c=3"
	var arr21 []string
	for range 21 {
		arr21 = append(arr21, "x=1")
	}
	tests := []struct {
		name, raw string
		lim       QueryLimits
		want      string
	}{
		{"parameter limit ignores the rest", many, DefaultQueryLimits(), ""},
		{"21 repeats overflow into an object", strings.Join(arr21, "&"), DefaultQueryLimits(),
			`{"x":{"0":"1","1":"1","2":"1","3":"1","4":"1","5":"1","6":"1","7":"1","8":"1","9":"1","10":"1","11":"1","12":"1","13":"1","14":"1","15":"1","16":"1","17":"1","18":"1","19":"1","20":"1"}}`},
		{"zero limits mean defaults", "a[1]=x", QueryLimits{}, `{"a":["x"]}`},
		{"depth 1", "a[b][c]=1", QueryLimits{Depth: 1, ArrayLimit: 20, ParameterLimit: 1000}, `{"a":{"b":{"[c]":"1"}}}`},
		{"depth 0 keeps keys flat", "a[b]=1", QueryLimits{Depth: 0, ArrayLimit: 20, ParameterLimit: 1000}, `{"a[b]":"1"}`},
		{"parameter limit 2", "a=1&b=2&c=3", QueryLimits{Depth: 5, ArrayLimit: 20, ParameterLimit: 2}, `{"a":"1","b":"2"}`},
		{"array limit 0", "a[0]=x", QueryLimits{Depth: 5, ArrayLimit: 0, ParameterLimit: 1000}, `{"a":{"0":"x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(ParseQuery(tt.raw, tt.lim))
			if tt.want == "" {
				var m map[string]any
				if err := json.Unmarshal([]byte(got), &m); err != nil {
					t.Fatal(err)
				}
				if _, ok := m["b"]; !ok || m["c"] != nil {
					t.Errorf("want b kept and c (parameter 1001) ignored, got keys b=%v c=%v", m["b"], m["c"])
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseQuery(%q, %+v) = %s, want %s", tt.raw, tt.lim, got, tt.want)
			}
		})
	}
}

func TestParseForm_R18(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		max        int
		want       string
		wantParams int
	}{
		{"empty", "", 0, `{}`, 0},
		{"simple", "From=%2B15551234567&Body=hi+there", 0, `{"From":"+15551234567","Body":"hi there"}`, 2},
		{"repeated key is an array", "a=1&a=2&a=3", 0, `{"a":["1","2","3"]}`, 3},
		{"brackets not interpreted", "z[k]=5&z[]=6", 0, `{"z[k]":"5","z[]":"6"}`, 2},
		{"bare key and empty value", "f&e=", 0, `{"f":"","e":""}`, 2},
		{"empty parts skipped", "&&a=1&&", 0, `{"a":"1"}`, 5},
		{"empty key kept", "=x", 0, `{"":"x"}`, 1},
		{"__proto__ is a plain key", "__proto__=1", 0, `{"__proto__":"1"}`, 1},
		{"invalid UTF-8 body replaced", "a=\xff\xe2\x82b", 0, "{\"a\":\"\uFFFD\uFFFDb\"}", 1},
		{"invalid escape: byte-wise fallback", "a=%FF%41", 0, "{\"a\":\"\uFFFDA\"}", 1},
		{"lone percent kept", "a=100%", 0, `{"a":"100%"}`, 1},
		{"numeric keys first like JS", "b=1&7=2", 0, `{"7":"2","b":"1"}`, 2},
		{"max params truncates", "a=1&b=2&c=3", 2, `{"a":"1","b":"2"}`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, n := ParseForm([]byte(tt.body), tt.max)
			if string(obj) != tt.want || n != tt.wantParams {
				t.Errorf("ParseForm(%q) = %s, %d; want %s, %d", tt.body, obj, n, tt.want, tt.wantParams)
			}
		})
	}
}

func TestParseForm_R20_ParameterCount(t *testing.T) {
	// body-parser answers 413 once the body has limit '&'s, i.e. limit+1 parameters.
	body := []byte(strings.Repeat("a=1&", 1000) + "b=2")
	if _, n := ParseForm(body, 0); n != 1001 {
		t.Errorf("params = %d, want 1001", n)
	}
	body = []byte(strings.Repeat("a=1&", 999) + "b=2")
	if _, n := ParseForm(body, 0); n != 1000 {
		t.Errorf("params = %d, want 1000", n)
	}
}

func TestParseCookies_R25(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"no header", nil, `{}`},
		{"empty header", []string{""}, `{}`},
		{"two cookies", []string{"a=1; b=2"}, `{"a":"1","b":"2"}`},
		{"several headers joined", []string{"a=1", "b=2; c=3"}, `{"a":"1","b":"2","c":"3"}`},
		{"first occurrence wins", []string{"a=1; a=2", "a=3"}, `{"a":"1"}`},
		{"trimmed, empty value kept", []string{"  a = x y ;\tb=\t"}, `{"a":"x y","b":""}`},
		{"pair without = skipped", []string{"noeq; c=3"}, `{"c":"3"}`},
		{"quotes removed once", []string{`q="q v"; r=""x""`}, `{"q":"q v","r":"\"x\""}`},
		{"lone quote", []string{`a="`}, `{"a":""}`},
		{"percent decoded", []string{"n=J%C3%B6rg"}, `{"n":"Jörg"}`},
		{"bad escape left raw", []string{"n=100%; m=%E0%A4%A"}, `{"n":"100%","m":"%E0%A4%A"}`},
		{"raw UTF-8 is latin1 mojibake", []string{"n=J\xc3\xb6rg"}, `{"n":"JÃ¶rg"}`},
		{"j: values stay strings", []string{`j=j:{"a":1}`}, `{"j":"j:{\"a\":1}"}`},
		{"value keeps later equals", []string{"a=b=c"}, `{"a":"b=c"}`},
		{"names keep case", []string{"Sid=1; sid=2"}, `{"Sid":"1","sid":"2"}`},
		{"empty name", []string{"=v"}, `{"":"v"}`},
		{"too short", []string{"="}, `{}`},
		{"__proto__ dropped", []string{"__proto__=1; z=2"}, `{"z":"2"}`},
		{"semicolon before equals backtracks", []string{"a; b=1"}, `{"b":"1"}`},
		{"numeric names first like JS", []string{"2=x; 1=y; b=z"}, `{"1":"y","2":"x","b":"z"}`},
		{"plus is not a space", []string{"p=a+b"}, `{"p":"a+b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(ParseCookies(tt.values)); got != tt.want {
				t.Errorf("ParseCookies(%q) = %s, want %s", tt.values, got, tt.want)
			}
		})
	}
}

func TestRestricted_R23(t *testing.T) {
	tests := []struct {
		name       string
		prod, trun bool
	}{
		{"host", true, false},
		{"connection", true, true},
		{"proxy-connection", true, true},
		{"expect", true, true},
		{"proxy-authorization", true, true},
		{"proxy-authenticate", true, true},
		{"referer", true, true},
		{"trailer", true, true},
		{"transfer-encoding", true, true},
		{"upgrade", true, true},
		{"via", true, true},
		{"x-real-ip", true, true},
		{"x-accel-buffering", true, true},
		{"x-forwarded-for", true, true},
		{"x-forwarded-proto", true, true},
		{"i-twilio-idempotency-token", true, true},
		{"i-t-foo", true, true},
		{"ot-tracer-spanid", true, true},
		{"x-amzn-trace-id", true, true},
		{"x-amz-date", true, true},
		{"x-forwarded", false, false}, // the prefix includes the dash
		{"authorization", false, false},
		{"cookie", false, false}, // R24
		{"x-twilio-signature", false, false},
		{"user-agent", false, false},
		{"content-type", false, false},
		{"content-length", false, false},
		{"origin", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Production.Restricted(tt.name); got != tt.prod {
				t.Errorf("Production.Restricted(%q) = %v, want %v", tt.name, got, tt.prod)
			}
			if got := TwilioRun.Restricted(tt.name); got != tt.trun {
				t.Errorf("TwilioRun.Restricted(%q) = %v, want %v", tt.name, got, tt.trun)
			}
		})
	}
}

func TestHeaders_R22_R24(t *testing.T) {
	base := func() http.Header {
		return http.Header{
			"Content-Type":       {"application/json"},
			"X-Twilio-Signature": {"sig="},
			"Cookie":             {"a=1", "b=2"},
			"Accept":             {"text/html, application/json"},
			"X-Forwarded-For":    {"1.2.3.4"},
			"Connection":         {"keep-alive"},
			"I-Twilio-Trace":     {"t"},
		}
	}
	tests := []struct {
		name   string
		h      http.Header
		host   string
		policy HeaderPolicy
		want   string
	}{
		{"production drops host and restricted", base(), "example.com", Production,
			`{"accept":"text/html, application/json","content-type":"application/json","cookie":["a=1","b=2"],"x-twilio-signature":"sig="}`},
		{"twilio-run keeps host first", base(), "example.com", TwilioRun,
			`{"host":"example.com","accept":"text/html, application/json","content-type":"application/json","cookie":["a=1","b=2"],"x-twilio-signature":"sig="}`},
		{"no host", http.Header{"A": {"1"}}, "", TwilioRun, `{"a":"1"}`},
		{"empty", http.Header{}, "", Production, `{}`},
		{"repeated header keeps arrival order", http.Header{"Authorization": {"b", "a"}}, "", Production,
			`{"authorization":["b","a"]}`},
		{"spellings merge", http.Header{"X-A": {"1"}, "x-a": {"2"}}, "", Production, `{"x-a":["1","2"]}`},
		{"latin1 values", http.Header{"X-Name": {"J\xc3\xb6rg"}}, "", Production, `{"x-name":"JÃ¶rg"}`},
		{"comma value stays one string", http.Header{"X-List": {"a, b"}}, "", Production, `{"x-list":"a, b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Headers(tt.h, tt.host, tt.policy)); got != tt.want {
				t.Errorf("Headers() =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestContentTypes_R18(t *testing.T) {
	tests := []struct {
		ct         string
		json, form bool
	}{
		{"application/json", true, false},
		{"application/json; charset=utf-8", true, false},
		{"Application/JSON ;charset=UTF-8", true, false},
		{"  application/json  ", true, false},
		{"application/vnd.api+json", false, false},
		{"application/json-patch+json", false, false},
		{"text/json", false, false},
		{"application/x-www-form-urlencoded", false, true},
		{"application/x-www-form-urlencoded; charset=UTF-8", false, true},
		{"multipart/form-data; boundary=x", false, false},
		{"text/plain", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			if got := IsJSON(tt.ct); got != tt.json {
				t.Errorf("IsJSON(%q) = %v, want %v", tt.ct, got, tt.json)
			}
			if got := IsForm(tt.ct); got != tt.form {
				t.Errorf("IsForm(%q) = %v, want %v", tt.ct, got, tt.form)
			}
		})
	}
}

func TestCheckJSON_R18_R19(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantErr  string // substring; "" means valid
		topLevel bool
	}{
		{"object", `{"a":1,"b":[true,null]}`, "", false},
		{"array", ` [1,2] `, "", false},
		{"empty body is {}", ``, "", false},
		{"leading whitespace", "\n\t\r {}", "", false},
		{"scalar number", `42`, "top-level value must be an object or an array", true},
		{"scalar string", `"x"`, "top-level value must be an object or an array", true},
		{"null", `null`, "top-level value must be an object or an array", true},
		{"whitespace only", "  \n", "top-level value must be an object or an array", true},
		{"truncated", `{"a": [1, 2`, "invalid JSON body: unexpected end of JSON input at byte 11", false},
		{"bad token", `{"a": tru}`, "invalid JSON body: invalid character '}' in literal true (expecting 'e') at byte 10", false},
		{"trailing garbage", `{} x`, "invalid JSON body: invalid character 'x' after top-level value at byte 4", false},
		{"form feed is not JSON whitespace", "\f{}", "top-level value must be an object or an array", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckJSON([]byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckJSON(%q) = %v, want nil", tt.body, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckJSON(%q) = nil, want error %q", tt.body, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("CheckJSON(%q) = %q, want one line containing %q", tt.body, err, tt.wantErr)
			}
			if got := errors.Is(err, ErrJSONTopLevel); got != tt.topLevel {
				t.Errorf("errors.Is(err, ErrJSONTopLevel) = %v, want %v", got, tt.topLevel)
			}
		})
	}
}

func TestLatin1_R22(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ascii", "ascii"},
		{"\xe9", "é"},
		{"J\xc3\xb6rg", "JÃ¶rg"},
		{"\xff\x80", "ÿ\u0080"},
	}
	for _, tt := range tests {
		if got := Latin1(tt.in); got != tt.want {
			t.Errorf("Latin1(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeUTF8_R18(t *testing.T) {
	// WHATWG: one U+FFFD per maximal ill-formed subsequence, as Node does.
	tests := []struct{ in, want string }{
		{"ok é", "ok é"},
		{"\xe2\x82A", "\uFFFDA"},
		{"\xff\xfe", "\uFFFD\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate: ED then two stray continuations
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xc0\xaf", "\uFFFD\uFFFD"},
		{"a\xc3", "a\uFFFD"},
	}
	for _, tt := range tests {
		if got := decodeUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("decodeUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendJSONString_R16(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"<>&", `"<>&"`},
		{"\"\\/", `"\"\\/"`},
		{"\b\f\n\r\t\x01\x1f\x7f", `"\b\f\n\r\t\u0001\u001f` + "\x7f" + `"`},
		{"\u2028", "\"\u2028\""},
		{"bad\xffbyte", "\"bad\uFFFDbyte\""},
	}
	for _, tt := range tests {
		got := string(AppendJSONString(nil, tt.in))
		if got != tt.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var s string
		if err := json.Unmarshal([]byte(got), &s); err != nil {
			t.Errorf("AppendJSONString(%q) is not valid JSON: %v", tt.in, err)
		}
	}
}
