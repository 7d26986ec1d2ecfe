package event

import (
	"net/http"
	"sort"
	"strings"
)

// HeaderPolicy chooses which request headers are hidden from
// event.request.headers (R23).
type HeaderPolicy int

const (
	// Production removes the documented production list (Connection,
	// Proxy-Connection, Expect, Host, Proxy-Authorization,
	// Proxy-Authenticate, Referer, Trailer, Transfer-Encoding, Upgrade, Via,
	// X-Accel-*, X-Forwarded-*, X-Real-IP) plus twilio-run's internal
	// prefixes i-twilio-, i-t-, ot- and x-amz.
	Production HeaderPolicy = iota
	// TwilioRun removes exactly twilio-run's list, which keeps host.
	TwilioRun
)

// Restricted reports whether a lower-cased header name is removed from
// event.request.headers under policy p.
func (p HeaderPolicy) Restricted(lowerName string) bool {
	switch lowerName {
	case "host":
		return p != TwilioRun // R23: only twilio-run keeps host
	case "via", "referer", "transfer-encoding", "proxy-authorization",
		"proxy-authenticate", "x-real-ip", "connection", "proxy-connection",
		"expect", "trailer", "upgrade":
		return true // twilio-run's exact list, all documented for production
	}
	// Plain string prefixes of the lowercased name; "x-amz" has no dash, so
	// x-amzn-* goes too (R23).
	return strings.HasPrefix(lowerName, "x-forwarded-") ||
		strings.HasPrefix(lowerName, "x-accel-") ||
		strings.HasPrefix(lowerName, "i-twilio-") ||
		strings.HasPrefix(lowerName, "i-t-") ||
		strings.HasPrefix(lowerName, "ot-") ||
		strings.HasPrefix(lowerName, "x-amz")
}

// Headers builds event.request.headers (R22–R24) from Go's parsed header
// map and the request's Host (Go keeps Host out of the map; it is added as
// "host" unless restricted or empty). Names are lower-cased; a header
// received once gives a string, several times an array in arrival order
// (spellings that differ only in case are one header). Restricted headers
// are removed; Cookie stays (R24). Values are decoded as latin1 like Node
// does. Keys: "host" first (if kept), then the other names sorted, since Go
// does not keep the order between different names (JSON.parse still puts
// all-digit names first, as for any JavaScript object).
func Headers(h http.Header, host string, p HeaderPolicy) []byte {
	names := make([]string, 0, len(h))
	size := 0
	for name := range h {
		names = append(names, name)
		size += len(name)
	}
	sort.Strings(names)
	// All lowered names in one allocation: it runs for every request.
	arena := make([]byte, 0, size)
	for _, name := range names {
		arena = appendLower(arena, name)
	}
	lowered := string(arena)

	keys := make([]string, 0, len(h)+1)
	vals := make([][]string, 0, len(h)+1)
	var pos map[string]int // only for many headers; a scan is cheaper below that
	find := func(lower string) int {
		if pos != nil {
			if i, ok := pos[lower]; ok {
				return i
			}
			return -1
		}
		for i, k := range keys {
			if k == lower {
				return i
			}
		}
		return -1
	}
	add := func(lower string, vs []string) {
		if len(vs) == 0 {
			return
		}
		i := find(lower)
		if i < 0 {
			keys = append(keys, lower)
			vals = append(vals, latin1All(vs))
			if pos != nil {
				pos[lower] = len(keys) - 1
			} else if len(keys) > 16 {
				pos = make(map[string]int, len(h)+1)
				for j, k := range keys {
					pos[k] = j
				}
			}
			return
		}
		// Two spellings of one name (Go keeps non-token names as sent).
		merged := make([]string, 0, len(vals[i])+len(vs))
		merged = append(merged, vals[i]...)
		vals[i] = append(merged, latin1All(vs)...)
	}
	if host != "" && !p.Restricted("host") {
		add("host", []string{host})
	}
	off := 0
	for _, name := range names {
		lower := lowered[off : off+len(name)]
		off += len(name)
		if p.Restricted(lower) {
			continue
		}
		add(lower, h[name])
	}
	out := make([]byte, 0, 64*len(keys))
	return appendMultiObject(out, keys, vals)
}

// appendLower appends s in ASCII lower case: header names are tokens, and
// Node lowers only ASCII letters.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// latin1All is vs decoded as latin1, vs itself when every value is ASCII.
func latin1All(vs []string) []string {
	for i, v := range vs {
		if l := Latin1(v); l != v {
			out := make([]string, len(vs))
			copy(out, vs[:i])
			out[i] = l
			for j := i + 1; j < len(vs); j++ {
				out[j] = Latin1(vs[j])
			}
			return out
		}
	}
	return vs
}
