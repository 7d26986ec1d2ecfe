package event

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

// Benchmarks for the per-request parsers. Each one checks its output once
// before the timed loop, so a broken parser cannot benchmark as fast.
//
//	go test -run '^$' -bench . -benchmem ./internal/event

// A typical Twilio voice webhook, as query string and as form body.
const webhookParams = "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01&" +
	"CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Called=%2B15551234567&" +
	"CalledCity=&CalledCountry=US&CalledState=CA&CalledZip=&Caller=%2B15557654321&" +
	"CallerCity=SAN+FRANCISCO&CallerCountry=US&CallerState=CA&CallerZip=94105&" +
	"Direction=inbound&From=%2B15557654321&FromCity=SAN+FRANCISCO&FromCountry=US&" +
	"FromState=CA&FromZip=94105&To=%2B15551234567&ToCity=&ToCountry=US&ToState=CA&ToZip="

// smsWebhookParams is a Twilio messaging webhook: 25 parameters, an encoded UTF-8 Body.
const smsWebhookParams = projecttest.SMSWebhook

// benchObject decodes a parser's output and checks some of its members.
func benchObject(b *testing.B, out []byte, want map[string]any) map[string]any {
	b.Helper()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		b.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	for k, v := range want {
		if got, err := json.Marshal(m[k]); err != nil || string(got) != mustMarshal(b, v) {
			b.Fatalf("%q = %s, want %s\nin %s", k, got, mustMarshal(b, v), out)
		}
	}
	return m
}

func mustMarshal(b *testing.B, v any) string {
	b.Helper()
	s, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return string(s)
}

func BenchmarkParseQuery(b *testing.B) {
	lim := DefaultQueryLimits()
	m := benchObject(b, ParseQuery(webhookParams, lim), map[string]any{
		"Called": "+15551234567", "CallerCity": "SAN FRANCISCO", "ToZip": "",
	})
	if len(m) != 25 {
		b.Fatalf("%d keys, want 25", len(m))
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseQuery(webhookParams, lim)
	}
}

func BenchmarkParseQueryNested(b *testing.B) {
	lim := DefaultQueryLimits()
	const q = "user[name]=Ada&user[langs][]=go&user[langs][]=js&page[0]=1&page[1]=2&tags=a&tags=b"
	benchObject(b, ParseQuery(q, lim), map[string]any{
		"user": map[string]any{"name": "Ada", "langs": []string{"go", "js"}},
		"page": []string{"1", "2"}, "tags": []string{"a", "b"},
	})
	b.ReportAllocs()
	for b.Loop() {
		ParseQuery(q, lim)
	}
}

// BenchmarkParseQuerySMS parses the messaging webhook as a GET query string
// (a webhook configured with method GET).
func BenchmarkParseQuerySMS(b *testing.B) {
	lim := DefaultQueryLimits()
	m := benchObject(b, ParseQuery(smsWebhookParams, lim), map[string]any{
		"Body": "Hi Jörg, see you at 5:30? 👋 & thanks!", "ProfileName": "Jörg", "WaId": "",
	})
	if len(m) != 25 {
		b.Fatalf("%d keys, want 25", len(m))
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseQuery(smsWebhookParams, lim)
	}
}

func BenchmarkParseForm(b *testing.B) {
	body := []byte(webhookParams)
	out, n := ParseForm(body, 0)
	if n != 25 {
		b.Fatalf("%d params, want 25", n)
	}
	benchObject(b, out, map[string]any{"From": "+15557654321", "FromCity": "SAN FRANCISCO", "CalledZip": ""})
	b.ReportAllocs()
	for b.Loop() {
		ParseForm(body, 0)
	}
}

// BenchmarkParseFormSMS is the form POST of a messaging webhook, the most
// common Twilio request, with an encoded UTF-8 Body.
func BenchmarkParseFormSMS(b *testing.B) {
	body := []byte(smsWebhookParams)
	out, n := ParseForm(body, 1000)
	if n != 25 {
		b.Fatalf("%d params, want 25", n)
	}
	benchObject(b, out, map[string]any{
		"Body": "Hi Jörg, see you at 5:30? 👋 & thanks!", "To": "+15551234567", "ProfileName": "Jörg",
	})
	b.ReportAllocs()
	for b.Loop() {
		ParseForm(body, 1000)
	}
}

func BenchmarkParseCookies(b *testing.B) {
	v := []string{"session=abc123; theme=dark; name=J%C3%B6rg; _ga=GA1.2.3.4"}
	m := benchObject(b, ParseCookies(v), map[string]any{"session": "abc123", "name": "Jörg", "_ga": "GA1.2.3.4"})
	if len(m) != 4 {
		b.Fatalf("%d cookies, want 4", len(m))
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseCookies(v)
	}
}

// BenchmarkParseCookiesBrowser is the Cookie header of browserHeaders: an
// analytics cookie, a quoted value and a long session token.
func BenchmarkParseCookiesBrowser(b *testing.B) {
	v := browserHeaders()["Cookie"]
	m := benchObject(b, ParseCookies(v), map[string]any{
		"_ga": "GA1.1.1234567890.1700000000", "theme": "dark", "lang": "de-DE",
	})
	if len(m) != 4 {
		b.Fatalf("%d cookies, want 4", len(m))
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseCookies(v)
	}
}

func BenchmarkHeaders(b *testing.B) {
	h := http.Header{
		"Accept":                     {"*/*"},
		"Content-Type":               {"application/x-www-form-urlencoded"},
		"Content-Length":             {"512"},
		"User-Agent":                 {"TwilioProxy/1.1"},
		"X-Twilio-Signature":         {"abcdefghijklmnopqrstuvwxyz0="},
		"X-Forwarded-For":            {"1.2.3.4"},
		"I-Twilio-Idempotency-Token": {"x"},
	}
	m := benchObject(b, Headers(h, "example.com", Production), map[string]any{"user-agent": "TwilioProxy/1.1"})
	if len(m) != 5 { // host, x-forwarded-for and i-twilio-* are restricted
		b.Fatalf("%d headers, want 5: %v", len(m), m)
	}
	b.ReportAllocs()
	for b.Loop() {
		Headers(h, "example.com", Production)
	}
}

// browserHeaders is what Go's server parses from a browser request: 12
// headers including a Cookie with four cookies and a Twilio signature.
func browserHeaders() http.Header {
	return http.Header{
		"Accept":                    {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
		"Accept-Encoding":           {"gzip, deflate, br, zstd"},
		"Accept-Language":           {"de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7"},
		"Cache-Control":             {"max-age=0"},
		"Connection":                {"keep-alive"},
		"Cookie":                    {`_ga=GA1.1.1234567890.1700000000; theme="dark"; lang=de-DE; sid=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`},
		"Sec-Fetch-Dest":            {"document"},
		"Sec-Fetch-Mode":            {"navigate"},
		"Sec-Fetch-Site":            {"none"},
		"Upgrade-Insecure-Requests": {"1"},
		"User-Agent":                {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"},
		"X-Twilio-Signature":        {"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
	}
}

// BenchmarkHeadersBrowser encodes a browser's 12 headers (plus Host) into
// event.request.headers.
func BenchmarkHeadersBrowser(b *testing.B) {
	h := browserHeaders()
	m := benchObject(b, Headers(h, "example.twil.io", Production), map[string]any{
		"accept-language": "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
	})
	if len(m) != 11 { // host and connection are restricted
		b.Fatalf("%d headers, want 11: %v", len(m), m)
	}
	b.ReportAllocs()
	for b.Loop() {
		Headers(h, "example.twil.io", Production)
	}
}

// BenchmarkCheckJSON validates a small JSON request body (R18).
func BenchmarkCheckJSON(b *testing.B) {
	body := []byte(`{"event":"message.received","data":{"from":"+15557654321","to":"+15551234567",` +
		`"body":"Hi J\u00f6rg \ud83d\udc4b","media":[],"segments":1,"price":-0.0079,"tags":["a","b"],"ok":true,"ref":null}}`)
	if err := CheckJSON(body); err != nil {
		b.Fatal(err)
	}
	if CheckJSON(body[:len(body)-1]) == nil {
		b.Fatal("a truncated body passed")
	}
	b.ReportAllocs()
	for b.Loop() {
		CheckJSON(body)
	}
}
