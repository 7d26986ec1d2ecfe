package setcookie

import (
	"testing"
	"time"
)

// BenchmarkRewrite applies the production cookie rules (R54) to the
// Set-Cookie values Functions typically produce. Each case checks its output
// once before the timed loop.
//
//	go test -run '^$' -bench . -benchmem ./internal/setcookie
func BenchmarkRewrite(b *testing.B) {
	r := Rules{Domain: "example.twil.io"} // as the gateway builds it: real clock, 24h limit
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC1123)
	cases := []struct{ name, in, want string }{
		{"setCookie", "session=s3ss10n;Path=/;Max-Age=3600;SameSite=Lax",
			"session=s3ss10n; Path=/; Max-Age=3600; SameSite=Lax; Domain=example.twil.io; HttpOnly; Secure"},
		{"bare", "theme=dark",
			"theme=dark; Domain=example.twil.io; HttpOnly; Secure"},
		{"domainAndFlags", "id=a3fWa; Domain=evil.com; Path=/; Secure; HttpOnly",
			"id=a3fWa; Domain=example.twil.io; Path=/; Secure; HttpOnly"},
		{"expires", "old=1; Path=/; Expires=" + past,
			"old=1; Path=/; Expires=" + past + "; Domain=example.twil.io; HttpOnly; Secure"},
		{"maxAgeAndExpires", "both=1; Max-Age=60; Expires=" + past,
			"both=1; Max-Age=60; Domain=example.twil.io; HttpOnly; Secure"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			got, err := r.Rewrite(c.in)
			if err != nil || got != c.want {
				b.Fatalf("Rewrite(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Rewrite(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
