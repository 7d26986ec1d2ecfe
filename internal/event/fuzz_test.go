package event

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// decodeObject checks that out is valid JSON text holding one object.
func decodeObject(t *testing.T, out []byte) map[string]any {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("not a JSON object: %q: %v", out, err)
	}
	return m
}

// onlyStrings reports whether v is built from strings, arrays and objects
// only: qs and querystring never produce other JSON types (R17, R18).
func onlyStrings(v any) bool {
	switch v := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range v {
			if !onlyStrings(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !onlyStrings(e) {
				return false
			}
		}
		return true
	}
	return false
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a=1&a=2", "a[b][c]=1", "a[21]=x&a=1", "a=1&a[b]=2", "%5B%5D=%E2%82", "a[[]]=1", "__proto__[x]=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m := decodeObject(t, ParseQuery(raw, DefaultQueryLimits()))
		if !onlyStrings(m) {
			t.Fatalf("ParseQuery(%q) has a non-string leaf: %v", raw, m)
		}
	})
}

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&a=2", "z[k]=5", "a=%FF%41", "é=\xff&&", "a+b=c+d"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, n := ParseForm(body, 0)
		m := decodeObject(t, out)
		for k, v := range m {
			switch v := v.(type) {
			case string:
			case []any:
				for _, e := range v {
					if _, ok := e.(string); !ok {
						t.Fatalf("key %q: non-string element %v", k, e)
					}
				}
			default:
				t.Fatalf("key %q: value %v is neither string nor array", k, v)
			}
		}
		if want := strings.Count(string(body), "&") + 1; len(body) > 0 && n != want {
			t.Fatalf("params = %d, want %d", n, want)
		}
	})
}

func FuzzParseCookies(f *testing.F) {
	for _, s := range []string{"a=1; b=2", "q=\"x\"\na=2", "n=J%C3%B6rg; n=2", "=;=;", "j=j:{}", "a=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		// Newlines separate the values of several Cookie headers.
		m := decodeObject(t, ParseCookies(strings.Split(header, "\n")))
		for k, v := range m {
			if _, ok := v.(string); !ok {
				t.Fatalf("cookie %q has non-string value %v (R25)", k, v)
			}
		}
	})
}

func FuzzHeaders(f *testing.F) {
	f.Add("X-A", "v\xff", "example.com")
	f.Fuzz(func(t *testing.T, name, value, host string) {
		h := http.Header{name: {value, value}}
		for _, p := range []HeaderPolicy{Production, TwilioRun} {
			decodeObject(t, Headers(h, host, p))
		}
	})
}
