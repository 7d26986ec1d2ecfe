// Package setcookie applies the hosted Twilio runtime's post-processing to the Set-Cookie values a
// Function produces (spec R54): HttpOnly and Secure are forced, Domain is forced to the serving
// domain, Max-Age wins over Expires, and lifetimes beyond a day are refused.
//
// Decisions where production is not documented (R54 says the exact spelling is unknown):
//   - Attributes are joined with "; ", added ones are spelled "HttpOnly", "Secure" and
//     "Domain=<domain>" and appended after the Function's own attributes in that order.
//   - Domain is forced: every Domain attribute the Function set is removed and, when Rules.Domain is
//     non-empty, exactly one Domain=<Rules.Domain> takes the place of the first one (or is appended
//     when the Function set none), because the docs say the Domain "is forced to the Function's
//     domain", not merely rewritten when present.
//   - A Max-Age that is not an integer ("", "abc", "+5", "1.5") is kept verbatim but otherwise treated
//     as absent, as browsers do (RFC 6265 §5.2.2); so is an Expires that does not parse.
//   - Both a valid Max-Age and a valid Expires are checked against the limit (R54.4 names either),
//     then Expires is dropped because Max-Age wins (R54.3).
//   - The cookie name must be a valid token (like net/http.ParseSetCookie); the value is kept
//     verbatim, because twilio-run sends setCookie values unvalidated (R52) and production's checks
//     are unknown. Only CR, LF and NUL are refused anywhere, since they could split the header.
package setcookie

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrTooLong is returned when a cookie's Max-Age or Expires is more than MaxAge ahead; the client
// then gets 400 "Cookies max-age cannot be greater than a day" instead of the Function's response (R54.4).
var ErrTooLong = errors.New("cookie lifetime exceeds the limit")

// defaultMaxAge is production's limit: "Cookies max-age cannot be greater than a day" (R54.4).
const defaultMaxAge = 24 * time.Hour

// Rules rewrites Set-Cookie values the way the hosted runtime does (R54).
type Rules struct {
	Domain string           // the serving domain: host part of DOMAIN_NAME, no port; "" means drop Domain attributes without adding one
	MaxAge time.Duration    // 0 (or negative) means 24h
	Now    func() time.Time // nil means time.Now
}

// attr is one attribute of a Set-Cookie value, kept as written (trimmed) so unknown attributes and
// the Function's spelling survive the rewrite.
type attr struct {
	text  string // the trimmed attribute as written, e.g. "max-age=60"
	lower string // lower-cased name of an attribute the rules look at, e.g. "max-age"; "" for others
	value string // the part after the first '=', trimmed
}

// attrName returns the known attribute name n spells in any case, or "":
// matching without strings.ToLower saves an allocation per attribute.
func attrName(n string) string {
	for _, k := range [...]string{"httponly", "secure", "max-age", "expires", "domain"} {
		if strings.EqualFold(n, k) {
			return k
		}
	}
	return ""
}

// Rewrite applies R54 to one Set-Cookie value: it adds HttpOnly and Secure unless present (any
// case), replaces any Domain attribute by Domain=<r.Domain> (added even when the Function set none;
// none at all when r.Domain is ""), drops Expires when a valid Max-Age is present, and returns
// ErrTooLong when a valid Max-Age or Expires is more than r.MaxAge ahead. The cookie's name=value
// and the order of the other attributes are kept; attributes are joined with "; ". A value
// containing CR, LF or NUL, or without a valid "name=", is an error other than ErrTooLong.
func (r Rules) Rewrite(v string) (string, error) {
	if strings.ContainsAny(v, "\r\n\x00") {
		return "", errors.New("set-cookie value contains CR, LF or NUL")
	}
	if strings.ContainsAny(r.Domain, "\r\n\x00;") {
		// The domain comes from configuration; refusing it keeps the header unsplittable.
		return "", fmt.Errorf("cookie domain %q contains CR, LF, NUL or ';'", r.Domain)
	}
	limit := r.MaxAge
	if limit <= 0 {
		limit = defaultMaxAge
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}

	parts := strings.Split(v, ";")
	nameValue := trim(parts[0])
	name, _, ok := strings.Cut(nameValue, "=")
	if !ok {
		return "", fmt.Errorf("set-cookie value %q has no name=value", nameValue)
	}
	if name = trim(name); !isToken(name) {
		return "", fmt.Errorf("set-cookie value %q has an invalid cookie name", nameValue)
	}

	attrs := make([]attr, 0, len(parts)+2)
	var hasHTTPOnly, hasSecure, hasMaxAge bool
	for _, p := range parts[1:] {
		p = trim(p)
		if p == "" {
			continue
		}
		n, val, _ := strings.Cut(p, "=")
		a := attr{text: p, lower: attrName(trim(n)), value: trim(val)}
		switch a.lower {
		case "httponly":
			hasHTTPOnly = true
		case "secure":
			hasSecure = true
		case "max-age":
			secs, valid := parseMaxAge(a.value)
			if !valid {
				break
			}
			hasMaxAge = true
			if secs > int64(limit/time.Second) {
				return "", fmt.Errorf("max-age=%s: %w", a.value, ErrTooLong) // R54.4
			}
		case "expires":
			exp, valid := parseExpires(a.value)
			if valid && exp.Sub(now()) > limit {
				return "", fmt.Errorf("expires=%s: %w", a.value, ErrTooLong) // R54.4
			}
		}
		attrs = append(attrs, a)
	}

	var b strings.Builder
	b.Grow(len(v) + len(r.Domain) + 32)
	b.WriteString(nameValue)
	domainDone := r.Domain == ""
	for _, a := range attrs {
		switch a.lower {
		case "domain": // R54.2
			if domainDone {
				continue
			}
			domainDone = true
			b.WriteString("; Domain=")
			b.WriteString(r.Domain)
			continue
		case "expires":
			if _, valid := parseExpires(a.value); valid && hasMaxAge {
				continue // R54.3: Max-Age wins
			}
		}
		b.WriteString("; ")
		b.WriteString(a.text)
	}
	if !domainDone {
		b.WriteString("; Domain=")
		b.WriteString(r.Domain)
	}
	if !hasHTTPOnly { // R54.1
		b.WriteString("; HttpOnly")
	}
	if !hasSecure {
		b.WriteString("; Secure")
	}
	return b.String(), nil
}

// parseMaxAge follows RFC 6265 §5.2.2: an optional '-' then digits only; anything else is ignored
// by browsers. Values too large for int64 saturate, which is still "too long" when positive.
func parseMaxAge(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	if len(digits) != len(s) {
		return -1, true // zero or negative: expire now (R53 removeCookie writes Max-Age=0)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 1<<63 - 1, true
	}
	return n, true
}

// parseExpires accepts the formats http.ParseTime accepts plus the one net/http's cookie parser adds.
func parseExpires(s string) (time.Time, bool) {
	layouts := [...]string{
		time.RFC1123,                    // "Mon, 02 Jan 2006 15:04:05 MST": http.TimeFormat and the cookie parser
		"Mon, 02-Jan-2006 15:04:05 MST", // the cookie parser's second try
		time.RFC850,                     // http.ParseTime
		time.ANSIC,                      // http.ParseTime
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// trim removes the whitespace net/textproto.TrimString removes (CR and LF are refused earlier).
func trim(s string) string {
	return strings.Trim(s, " \t")
}

// isToken reports whether s is an RFC 7230 token, the rule net/http applies to cookie names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
