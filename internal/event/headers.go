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
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)

	keys := make([]string, 0, len(h)+1)
	vals := make([][]string, 0, len(h)+1)
	pos := make(map[string]int, len(h)+1)
	add := func(lower string, vs []string) {
		if len(vs) == 0 {
			return
		}
		i, ok := pos[lower]
		if !ok {
			i = len(keys)
			pos[lower] = i
			keys = append(keys, lower)
			vals = append(vals, make([]string, 0, len(vs)))
		}
		for _, v := range vs {
			vals[i] = append(vals[i], Latin1(v))
		}
	}
	if host != "" && !p.Restricted("host") {
		add("host", []string{host})
	}
	for _, name := range names {
		lower := strings.ToLower(name)
		if p.Restricted(lower) {
			continue
		}
		add(lower, h[name])
	}
	out := make([]byte, 0, 64*len(keys))
	return appendMultiObject(out, keys, vals)
}
