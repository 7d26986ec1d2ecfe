// Package webhook validates X-Twilio-Signature headers for protected Functions and Assets
// (spec §10, R65–R69), accepting exactly what twilio-node 5's validateRequest and
// validateRequestWithBody accept for http(s) URLs with ASCII hosts.
package webhook

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Signature computes X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + for each param name in
// sorted order, name+value; for a repeated name, name+value for each distinct value in sorted
// order)) (R67). Names and values are sorted like JavaScript's Array.prototype.sort, i.e. by UTF-16
// code units, which differs from byte order only for characters above U+FFFF versus U+E000–U+FFFF;
// values repeated under one name count once, as twilio-node dedupes them with a Set.
func Signature(authToken, url string, params url.Values) string {
	return sign(hmac.New(sha1.New, []byte(authToken)), url, paramPayload(params))
}

// paramPayload is what the signature covers after the URL: for each name in
// sorted order, name+value for each distinct value in sorted order. Valid
// signs up to four URL variants with the same params, so it is built once.
func paramPayload(params url.Values) []byte {
	names := make([]string, 0, len(params))
	size := 0
	for name, values := range params {
		names = append(names, name)
		for _, v := range values {
			size += len(name) + len(v)
		}
	}
	slices.SortFunc(names, compareUTF16)
	payload := make([]byte, 0, size)
	for _, name := range names {
		values := params[name]
		if len(values) > 1 {
			values = slices.Compact(slices.SortedFunc(slices.Values(values), compareUTF16))
		}
		for _, v := range values {
			payload = append(payload, name...)
			payload = append(payload, v...)
		}
	}
	return payload
}

// sign returns the base64 HMAC of url+payload; mac is reset first.
func sign(mac hash.Hash, url string, payload []byte) string {
	mac.Reset()
	mac.Write([]byte(url))
	mac.Write(payload)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// compareUTF16 orders strings as JavaScript's default sort does: by UTF-16
// code units, which differs from byte order only for characters above U+FFFF
// (surrogate pairs, D800–DFFF) against U+E000–U+FFFF. It compares rune by
// rune without converting either string. Invalid UTF-8 decodes to U+FFFD as
// it does for Node; bytes break the ties that leaves, so that the order (and
// the signature) stays deterministic.
func compareUTF16(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if ra != rb {
			return cmp.Compare(firstUnit(ra), firstUnit(rb))
		}
		i += na
		j += nb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return strings.Compare(a, b)
}

// firstUnit is r's first UTF-16 code unit, widened so that two different
// runes never compare equal: a supplementary rune's high surrogate keeps its
// low one below it.
func firstUnit(r rune) int64 {
	if r < 0x10000 {
		return int64(r) << 16
	}
	hi, lo := utf16.EncodeRune(r)
	return int64(hi)<<16 | int64(lo)
}

// Request is what the validator needs from an HTTP request.
type Request struct {
	URL       string     // the full public URL as the client requested it: scheme://host[:port]/path?query (raw, as sent)
	Signature string     // X-Twilio-Signature header value
	Form      url.Values // POST params for application/x-www-form-urlencoded bodies, else nil
	Body      []byte     // raw body (used for bodySHA256)
}

// Validator checks signatures with one auth token.
type Validator struct{ AuthToken string }

// Valid reports whether r carries a valid signature (R66–R68). It accepts what twilio-node's
// validateRequest accepts: the signature over the URL with its port removed, with the default port
// added when none was given, or either of those with the query re-encoded by Node's legacy
// querystring module, each followed by the sorted form params (R67). When the query has a
// bodySHA256 parameter the params are empty and the hex SHA-256 of Body must equal that parameter,
// as in validateRequestWithBody; a body that is not form-encoded (Form nil) signs with empty params
// (R68). Comparisons are constant-time. An empty signature or auth token, a URL Node would refuse,
// and the unsupported URLs described in whatwg.go (non-http(s), non-ASCII or Punycode hosts) are
// invalid.
func (v Validator) Valid(r Request) bool {
	if r.Signature == "" || v.AuthToken == "" {
		return false
	}
	u, err := parseURL(r.URL)
	if err != nil {
		return false
	}
	params := r.Form
	bodyOK := true
	if u.query != nil {
		if want, ok := formValue(*u.query, "bodySHA256"); ok {
			sum := sha256.Sum256(r.Body)
			bodyOK = hmac.Equal([]byte(want), []byte(hex.EncodeToString(sum[:])))
			params = nil // R68: the body is covered by its hash, not by params
		}
	}
	variants, err := urlVariants(u)
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, []byte(v.AuthToken))
	payload := paramPayload(params)
	sigOK := false
	for _, variant := range variants {
		// Every variant is tried so the time taken does not depend on which one matched.
		if hmac.Equal([]byte(r.Signature), []byte(sign(mac, variant, payload))) {
			sigOK = true
		}
	}
	return sigOK && bodyOK
}

// urlVariants returns the four URLs twilio-node's validateRequest signs, in its order: port
// removed, default port added, and both with the legacy querystring.
func urlVariants(u *wurl) ([]string, error) {
	without := removePort(u)
	with := addPort(u)
	legacyWithout, err := withLegacyQuerystring(without)
	if err != nil {
		return nil, err
	}
	legacyWith, err := withLegacyQuerystring(with)
	if err != nil {
		return nil, err
	}
	return []string{without, with, legacyWithout, legacyWith}, nil
}

func removePort(u *wurl) string {
	c := *u
	c.port = -1
	return c.href()
}

// addPort writes the default port explicitly; Node's URL drops it from href, which is why
// twilio-node assembles this string by hand from the getters.
func addPort(u *wurl) string {
	if u.port >= 0 {
		return u.href()
	}
	var sb strings.Builder
	sb.WriteString(u.scheme + "://" + u.username)
	if u.password != "" {
		sb.WriteString(":" + u.password)
	}
	if u.username != "" || u.password != "" {
		sb.WriteString("@")
	}
	port := ":80"
	if u.scheme == "https" {
		port = ":443"
	}
	sb.WriteString(u.host + port + u.pathname() + u.search() + u.hash())
	return sb.String()
}

// withLegacyQuerystring re-parses s and, when it has a non-empty query, rebuilds it with Node's
// legacy querystring. Like twilio-node it appends the query after the fragment and, because the
// re-parse drops a default port, yields the same string for both port variants.
func withLegacyQuerystring(s string) (string, error) {
	u, err := parseURL(s)
	if err != nil {
		return "", err
	}
	if u.search() == "" {
		return s, nil
	}
	qs := legacyQuerystring(*u.query)
	c := *u
	c.query = nil
	return c.href() + "?" + qs, nil
}
