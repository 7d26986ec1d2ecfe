package setcookie

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func rules(domain string) Rules {
	return Rules{Domain: domain, Now: func() time.Time { return testNow }}
}

func TestRewrite_R54(t *testing.T) {
	in2days := testNow.Add(48 * time.Hour).Format(time.RFC1123)
	in23h := testNow.Add(23 * time.Hour).Format("Mon, 02 Jan 2006 15:04:05 GMT")
	in25hDash := testNow.Add(25 * time.Hour).Format("Mon, 02-Jan-2006 15:04:05 MST")
	in25hANSIC := testNow.Add(25 * time.Hour).Format(time.ANSIC)
	past := testNow.Add(-1000 * time.Hour).Format(time.RFC1123)

	tests := []struct {
		name    string
		rules   Rules
		in      string
		want    string
		wantErr error // ErrTooLong, or errAny for a non-ErrTooLong error
	}{
		{"R54.1 bare cookie gets HttpOnly and Secure", rules(""), "a=b", "a=b; HttpOnly; Secure", nil},
		{"R54.1 setCookie wire format (R52)", rules(""), "Hello=World;HttpOnly;Secure;SameSite=Strict;Max-Age=86400",
			"Hello=World; HttpOnly; Secure; SameSite=Strict; Max-Age=86400", nil},
		{"R54.1 lower-case httponly not duplicated", rules(""), "a=b; httponly", "a=b; httponly; Secure", nil},
		{"R54.1 SECURE upper-case not duplicated", rules(""), "a=b;SECURE", "a=b; SECURE; HttpOnly", nil},
		{"R54.1 HttpOnly with a value still counts", rules(""), "a=b; HttpOnly=1; Secure", "a=b; HttpOnly=1; Secure", nil},
		{"R54.2 Domain replaced in place", rules("example.twil.io"), "a=b; Path=/; Domain=evil.com; SameSite=Lax",
			"a=b; Path=/; Domain=example.twil.io; SameSite=Lax; HttpOnly; Secure", nil},
		{"R54.2 Domain lower-case and repeated collapse to one", rules("x.twil.io"), "a=b; domain=.evil.com; DOMAIN=other",
			"a=b; Domain=x.twil.io; HttpOnly; Secure", nil},
		{"R54.2 Domain forced when the Function set none", rules("x.twil.io"), "a=b",
			"a=b; Domain=x.twil.io; HttpOnly; Secure", nil},
		{"R54.2 empty rules Domain drops Domain", rules(""), "a=b; Domain=evil.com; Path=/", "a=b; Path=/; HttpOnly; Secure", nil},
		{"R54.4 Max-Age 86400 allowed", rules(""), "a=b; Max-Age=86400", "a=b; Max-Age=86400; HttpOnly; Secure", nil},
		{"R54.4 Max-Age 86401 too long", rules(""), "a=b; Max-Age=86401", "", ErrTooLong},
		{"R54.4 huge Max-Age too long", rules(""), "a=b; max-age=99999999999999999999999", "", ErrTooLong},
		{"R54.4 custom limit", Rules{MaxAge: time.Hour, Now: rules("").Now}, "a=b; Max-Age=3601", "", ErrTooLong},
		{"R54.4 custom limit allows its own value", Rules{MaxAge: time.Hour, Now: rules("").Now}, "a=b; Max-Age=3600",
			"a=b; Max-Age=3600; HttpOnly; Secure", nil},
		{"R54.4 Expires two days ahead too long", rules(""), "a=b; Expires=" + in2days, "", ErrTooLong},
		{"R54.4 Expires 25h ahead dash format too long", rules(""), "a=b; expires=" + in25hDash, "", ErrTooLong},
		{"R54.4 Expires 25h ahead ANSIC too long", rules(""), "a=b; Expires=" + in25hANSIC, "", ErrTooLong},
		{"R54.4 Expires 23h ahead allowed", rules(""), "a=b; Expires=" + in23h, "a=b; Expires=" + in23h + "; HttpOnly; Secure", nil},
		{"R54.4 Expires in the past allowed", rules(""), "a=b; Expires=" + past, "a=b; Expires=" + past + "; HttpOnly; Secure", nil},
		{"R54.4 too-long Expires refused even beside a short Max-Age", rules(""), "a=b; Max-Age=60; Expires=" + in2days, "", ErrTooLong},
		{"R54.3 Max-Age wins: Expires dropped", rules(""), "a=b; Expires=" + in23h + "; Path=/; Max-Age=60",
			"a=b; Path=/; Max-Age=60; HttpOnly; Secure", nil},
		{"R54.3 invalid Max-Age is absent: Expires kept", rules(""), "a=b; Max-Age=abc; Expires=" + in23h,
			"a=b; Max-Age=abc; Expires=" + in23h + "; HttpOnly; Secure", nil},
		{"R54.3 invalid Max-Age is not checked", rules(""), "a=b; Max-Age=+999999", "a=b; Max-Age=+999999; HttpOnly; Secure", nil},
		{"R54.3 unparsable Expires kept and not checked", rules(""), "a=b; Expires=someday",
			"a=b; Expires=someday; HttpOnly; Secure", nil},
		{"R54 attribute order and unknown attributes kept", rules(""), "id=1;  Path=/x ; SameSite=None;Partitioned; Foo=Bar=Baz;;",
			"id=1; Path=/x; SameSite=None; Partitioned; Foo=Bar=Baz; HttpOnly; Secure", nil},
		{"R53 removeCookie output", rules(""), "zzz=;Max-Age=0", "zzz=; Max-Age=0; HttpOnly; Secure", nil},
		{"R53 negative Max-Age allowed", rules(""), "a=b; Max-Age=-1", "a=b; Max-Age=-1; HttpOnly; Secure", nil},
		{"R52 value kept verbatim", rules(""), `f=x y;z`, `f=x y; z; HttpOnly; Secure`, nil},
		{"R52 quoted value kept", rules(""), `f="q"`, `f="q"; HttpOnly; Secure`, nil},
		{"CRLF rejected", rules(""), "a=b\r\nSet-Cookie: evil=1", "", errAny},
		{"LF rejected", rules(""), "a=b; Path=/\nX: y", "", errAny},
		{"NUL rejected", rules(""), "a=b\x00", "", errAny},
		{"CRLF in configured domain rejected", rules("x\r\nY: z"), "a=b", "", errAny},
		{"no equals sign rejected", rules(""), "justaname", "", errAny},
		{"empty value rejected", rules(""), "", "", errAny},
		{"invalid cookie name rejected", rules(""), "a b=c", "", errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rules.Rewrite(tt.in)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Rewrite(%q) error = %v, want %q", tt.in, err, tt.want)
			case tt.wantErr == ErrTooLong && !errors.Is(err, ErrTooLong):
				t.Fatalf("Rewrite(%q) = %q, %v; want ErrTooLong", tt.in, got, err)
			case tt.wantErr == errAny && (err == nil || errors.Is(err, ErrTooLong)):
				t.Fatalf("Rewrite(%q) = %q, %v; want an error other than ErrTooLong", tt.in, got, err)
			case tt.wantErr == nil && got != tt.want:
				t.Fatalf("Rewrite(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// errAny marks cases that must fail with an error other than ErrTooLong.
var errAny = errors.New("any error")

func TestRewrite_R54_DefaultNowAndLimit(t *testing.T) {
	// Zero Rules: real clock, 24h limit.
	far := time.Now().Add(25 * time.Hour).UTC().Format(time.RFC1123)
	if _, err := (Rules{}).Rewrite("a=b; Expires=" + far); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Expires 25h ahead with zero Rules: err = %v, want ErrTooLong", err)
	}
	near := time.Now().Add(23 * time.Hour).UTC().Format(time.RFC1123)
	if _, err := (Rules{}).Rewrite("a=b; Expires=" + near); err != nil {
		t.Fatalf("Expires 23h ahead with zero Rules: err = %v", err)
	}
}

func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"a=b", "a=b; HttpOnly; Secure", "a=b; Domain=x; Max-Age=86401", "zzz=;Max-Age=0",
		"a=b; Expires=Mon, 02 Jan 2006 15:04:05 GMT; Max-Age=5", "a=b\r\n", "=", ";", "a=b;;;domain",
		"a=b; max-age=-0", "a=b; Max-Age=0099999",
	} {
		f.Add(s, "example.twil.io")
	}
	f.Fuzz(func(t *testing.T, v, domain string) {
		r := Rules{Domain: domain, Now: func() time.Time { return testNow }}
		got, err := r.Rewrite(v)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "\r\n\x00") {
			t.Fatalf("Rewrite(%q) = %q contains CR/LF/NUL", v, got)
		}
		nameValue := strings.Trim(strings.Split(v, ";")[0], " \t")
		if !strings.HasPrefix(got, nameValue) {
			t.Fatalf("Rewrite(%q) = %q does not start with %q", v, got, nameValue)
		}
		lower := strings.ToLower(got)
		if !strings.Contains(lower, "httponly") || !strings.Contains(lower, "secure") {
			t.Fatalf("Rewrite(%q) = %q lacks HttpOnly or Secure", v, got)
		}
		// Idempotent: production rules applied twice change nothing.
		again, err := r.Rewrite(got)
		if err != nil || again != got {
			t.Fatalf("Rewrite not idempotent: %q -> %q -> %q, %v", v, got, again, err)
		}
	})
}
