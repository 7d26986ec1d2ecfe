package event

import (
	"net/http"
	"testing"
)

// A typical Twilio voice webhook, as query string and as form body.
const webhookParams = "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01&" +
	"CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Called=%2B15551234567&" +
	"CalledCity=&CalledCountry=US&CalledState=CA&CalledZip=&Caller=%2B15557654321&" +
	"CallerCity=SAN+FRANCISCO&CallerCountry=US&CallerState=CA&CallerZip=94105&" +
	"Direction=inbound&From=%2B15557654321&FromCity=SAN+FRANCISCO&FromCountry=US&" +
	"FromState=CA&FromZip=94105&To=%2B15551234567&ToCity=&ToCountry=US&ToState=CA&ToZip="

func BenchmarkParseQuery(b *testing.B) {
	lim := DefaultQueryLimits()
	b.ReportAllocs()
	for b.Loop() {
		ParseQuery(webhookParams, lim)
	}
}

func BenchmarkParseQueryNested(b *testing.B) {
	lim := DefaultQueryLimits()
	const q = "user[name]=Ada&user[langs][]=go&user[langs][]=js&page[0]=1&page[1]=2&tags=a&tags=b"
	b.ReportAllocs()
	for b.Loop() {
		ParseQuery(q, lim)
	}
}

func BenchmarkParseForm(b *testing.B) {
	body := []byte(webhookParams)
	b.ReportAllocs()
	for b.Loop() {
		ParseForm(body, 0)
	}
}

func BenchmarkParseCookies(b *testing.B) {
	v := []string{"session=abc123; theme=dark; name=J%C3%B6rg; _ga=GA1.2.3.4"}
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
	b.ReportAllocs()
	for b.Loop() {
		Headers(h, "example.com", Production)
	}
}
