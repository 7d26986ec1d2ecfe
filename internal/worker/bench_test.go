package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Benchmarks of the Go↔Node channel. Each one checks its result once
// before the timed loop, so a broken path cannot benchmark as fast.
//
//	go test -run '^$' -bench . -benchmem ./internal/worker

// BenchmarkInvoke measures one hello-world round trip through the pool.
func BenchmarkInvoke(b *testing.B) {
	p := newProject(b, map[string]string{"functions/hello.js": fn(`callback(null, "hi")`)})
	for _, count := range []int{1, 4} {
		b.Run(map[int]string{1: "workers=1", 4: "workers=4"}[count], func(b *testing.B) {
			pool, err := Start(context.Background(), Options{Count: count, Project: Project{Dir: p.dir}})
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close(context.Background())
			inv := p.inv("hello")
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := pool.Invoke(ctx, inv)
					if err != nil || string(r.Body) != "hi" {
						b.Fatalf("%v %v", r, err)
					}
				}
			})
		})
	}
}

// benchEventHeaders, benchEventCookies and benchEventForm are the event
// parts the gateway builds for a browser-like request and an SMS webhook.
const (
	benchEventHeaders = `{"accept":"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",` +
		`"accept-encoding":"gzip, deflate, br","accept-language":"de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",` +
		`"cache-control":"max-age=0","content-type":"application/x-www-form-urlencoded",` +
		`"cookie":"_ga=GA1.1.1234567890.1700000000; theme=dark; lang=de-DE; session=s3ss10n",` +
		`"sec-fetch-dest":"document","sec-fetch-mode":"navigate","sec-fetch-site":"none",` +
		`"user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",` +
		`"x-twilio-signature":"RSOYDt4T1cUTdK1PDd93/VVr8B8="}`
	benchEventCookies = `{"_ga":"GA1.1.1234567890.1700000000","theme":"dark","lang":"de-DE","session":"s3ss10n"}`
	benchEventForm    = `{"ToCountry":"US","ToState":"CA","SmsMessageSid":"SM0123456789abcdef0123456789abcdef",` +
		`"NumMedia":"0","ToCity":"SAN FRANCISCO","FromZip":"94105","SmsSid":"SM0123456789abcdef0123456789abcdef",` +
		`"FromState":"CA","SmsStatus":"received","FromCity":"SAN FRANCISCO","Body":"Hi Jörg, see you at 5:30? 👋",` +
		`"FromCountry":"US","To":"+15551234567","MessagingServiceSid":"MG0123456789abcdef0123456789abcdef",` +
		`"ToZip":"94105","NumSegments":"1","MessageSid":"SM0123456789abcdef0123456789abcdef",` +
		`"AccountSid":"AC0123456789abcdef0123456789abcdef","From":"+15557654321","ApiVersion":"2010-04-01"}`
)

// benchInvokeHeader is an invoke frame header as Pool.Invoke encodes it
// for a Function deep in a project: about 300 bytes.
func benchInvokeHeader(b *testing.B, bodyLen int) []byte {
	b.Helper()
	h := invokeHeader{
		Type: "invoke", ID: 1234567,
		Inv:   "RQ0123456789abcdef0123456789abcdef",
		File:  "/home/developer/projects/acme-support-line/functions/messaging/inbound/auto-reply.protected.js",
		Rel:   "functions/messaging/inbound/auto-reply.protected.js",
		Path:  "/messaging/inbound/auto-reply",
		Parts: [5]int{bodyLen, 0, -1, -1, -1},
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		b.Fatal(err)
	}
	if len(hdr) < 250 || len(hdr) > 350 {
		b.Fatalf("invoke header is %d bytes, want about 300", len(hdr))
	}
	return hdr
}

// frameCases are the two frame sizes: a typical invocation (300 B header,
// ~1.5 KB of event parts) and one with a 64 KiB body.
func frameCases(b *testing.B) []struct {
	name         string
	header, body []byte
} {
	small := []byte(benchEventHeaders + benchEventCookies + benchEventForm)
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	return []struct {
		name         string
		header, body []byte
	}{
		{"small", benchInvokeHeader(b, len(small)), small},
		{"body64KiB", benchInvokeHeader(b, len(big)), big},
	}
}

func BenchmarkEncodeFrame(b *testing.B) {
	for _, c := range frameCases(b) {
		b.Run(c.name, func(b *testing.B) {
			enc, err := encodeFrame(c.header, c.body)
			if err != nil {
				b.Fatal(err)
			}
			if len(enc) != 8+len(c.header)+len(c.body) || !bytes.HasSuffix(enc, c.body) {
				b.Fatalf("encoded frame of %d bytes is wrong", len(enc))
			}
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeFrame(c.header, c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadFrame(b *testing.B) {
	for _, c := range frameCases(b) {
		b.Run(c.name, func(b *testing.B) {
			enc, err := encodeFrame(c.header, c.body)
			if err != nil {
				b.Fatal(err)
			}
			src := bytes.NewReader(enc)
			r := bufio.NewReaderSize(src, 64<<10) // as proc.readFrames reads
			f, err := readFrame(r)
			if err != nil || !bytes.Equal(f.Header, c.header) || !bytes.Equal(f.Body, c.body) {
				b.Fatalf("round trip failed: %v", err)
			}
			if _, err := readFrame(r); err != io.EOF {
				b.Fatalf("after the frame: %v, want io.EOF", err)
			}
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(enc)
				r.Reset(src)
				if _, err := readFrame(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchReplyHeader is the reply header worker.js sends for a Twilio.Response
// with three headers and two cookies (setCookie's wire format, R52).
const benchReplyHeader = `{"type":"reply","id":1234567,"kind":"response","status":200,"headers":[` +
	`["Content-Type","application/json"],["Cache-Control","no-store"],["X-Request-Id","RQ0123456789abcdef"],` +
	`["Set-Cookie",["session=s3ss10n;Path=/;Max-Age=3600;SameSite=Lax","theme=dark;Path=/"]]],"bodyKind":"json"}`

const benchReplyBody = `{"ok":true,"from":"+15557654321","message":"Hi Jörg, see you at 5:30? 👋"}`

func checkBenchReply(b *testing.B, r *Reply) {
	b.Helper()
	if r.Kind != Response || r.Status != 200 || r.BodyKind != BodyJSON || len(r.Headers) != 4 ||
		r.Headers[0].Name != "Content-Type" || r.Headers[0].Values[0] != "application/json" ||
		!r.Headers[3].Array || len(r.Headers[3].Values) != 2 || r.Headers[3].Values[1] != "theme=dark;Path=/" {
		b.Fatalf("unexpected reply %+v", r)
	}
}

// BenchmarkDecodeReply decodes a reply header and turns it into a Reply,
// as proc.readFrames does for every reply: with the headerDecoder it uses
// (fastjson) and with the encoding/json path it falls back to.
func BenchmarkDecodeReply(b *testing.B) {
	hdr, body := []byte(benchReplyHeader), []byte(benchReplyBody)
	var d headerDecoder
	for _, c := range []struct {
		name   string
		decode func([]byte) (*inHeader, error)
	}{{"fastjson", d.decode}, {"encoding-json", decodeHeader}} {
		b.Run(c.name, func(b *testing.B) {
			h, err := c.decode(hdr)
			if err != nil {
				b.Fatal(err)
			}
			r, err := h.toReply(body)
			if err != nil {
				b.Fatal(err)
			}
			checkBenchReply(b, r)
			if string(r.Body) != benchReplyBody {
				b.Fatalf("body %q", r.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				h, err := c.decode(hdr)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := h.toReply(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeInvoke builds an invoke frame as Pool.Invoke does.
func BenchmarkEncodeInvoke(b *testing.B) {
	inv := Invocation{
		ID:      "RQ0123456789abcdef0123456789abcdef",
		File:    "/home/developer/projects/acme-support-line/functions/messaging/inbound/auto-reply.protected.js",
		Rel:     "functions/messaging/inbound/auto-reply.protected.js",
		Path:    "/messaging/inbound/auto-reply",
		Headers: []byte(benchEventHeaders), Cookies: []byte(benchEventCookies), Form: []byte(benchEventForm),
	}
	msg, err := encodeInvoke(1234567, inv)
	if err != nil {
		b.Fatal(err)
	}
	f, err := readFrame(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil || !bytes.HasSuffix(f.Body, []byte(benchEventForm)) {
		b.Fatalf("frame %q: %v", msg, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeInvoke(1234567, inv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadReply is the whole Go side of receiving a reply: reading
// the frame from the channel, then decoding its header and toReply.
func BenchmarkReadReply(b *testing.B) {
	enc, err := encodeFrame([]byte(benchReplyHeader), []byte(benchReplyBody))
	if err != nil {
		b.Fatal(err)
	}
	src := bytes.NewReader(enc)
	r := bufio.NewReaderSize(src, 64<<10)
	var dec headerDecoder
	read := func() (*Reply, error) {
		src.Reset(enc)
		r.Reset(src)
		f, err := readFrame(r)
		if err != nil {
			return nil, err
		}
		h, err := dec.decode(f.Header)
		if err != nil {
			return nil, err
		}
		return h.toReply(f.Body)
	}
	rep, err := read()
	if err != nil {
		b.Fatal(err)
	}
	checkBenchReply(b, rep)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := read(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchResponseFn reads event.request.headers and cookies and the form,
// and answers a Twilio.Response with three headers, two cookies and a JSON
// body: a realistic reply crossing the channel both ways.
const benchResponseFn = `exports.handler = function (context, event, callback) {
  const h = event.request.headers;
  const r = new Twilio.Response();
  r.appendHeader('Content-Type', 'application/json');
  r.appendHeader('Cache-Control', 'no-store');
  r.appendHeader('X-Lang', h['accept-language'].split(',')[0]);
  r.setCookie('session', event.request.cookies.session, ['Path=/', 'Max-Age=3600', 'SameSite=Lax']);
  r.setCookie('theme', event.request.cookies.theme, ['Path=/']);
  r.setBody({ ok: true, ua: h['user-agent'], from: event.From, body: event.Body });
  callback(null, r);
};
`

// BenchmarkInvokeResponse measures the IPC path under concurrency: parallel
// invocations through a 2-worker pool of a Function that reads the request
// headers and answers a Twilio.Response with headers and cookies.
func BenchmarkInvokeResponse(b *testing.B) {
	p := newProject(b, map[string]string{"functions/respond.js": benchResponseFn})
	b.Run("workers=2", func(b *testing.B) {
		pool, err := Start(context.Background(), Options{
			Count:   2,
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			Project: Project{Dir: p.dir, DomainName: "example.twil.io", EventRequest: true},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close(context.Background())
		inv := p.inv("respond")
		inv.Headers = json.RawMessage(benchEventHeaders)
		inv.Cookies = json.RawMessage(benchEventCookies)
		inv.Form = json.RawMessage(benchEventForm)
		ctx := context.Background()

		check := func(r *Reply, err error) bool {
			return err == nil && r.Kind == Response && r.Status == 200 && r.BodyKind == BodyJSON &&
				len(r.Headers) == 4 && r.Headers[2].Values[0] == "de-DE" &&
				r.Headers[3].Name == "Set-Cookie" && len(r.Headers[3].Values) == 2 &&
				bytes.Contains(r.Body, []byte(`"body":"Hi Jörg, see you at 5:30? 👋"`))
		}
		if r, err := pool.Invoke(ctx, inv); !check(r, err) {
			b.Fatalf("unexpected reply %+v (body %q), error %v", r, bodyOf(r), err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, err := pool.Invoke(ctx, inv)
				if err != nil || r.Kind != Response || len(r.Headers) != 4 {
					b.Errorf("unexpected reply %+v (body %q), error %v", r, bodyOf(r), err)
					return
				}
			}
		})
	})
}

func bodyOf(r *Reply) string {
	if r == nil {
		return ""
	}
	return strings.ToValidUTF8(string(r.Body), "?")
}
