package gateway

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// headerStats measures a header block the way the limits of R62 count it.
type headerStats struct {
	bytes int // the header block as sent: "Name: value\r\n" per line
	count int // header lines, each cookie counted as a header of its own
}

func (s headerStats) tooLarge(maxBytes, maxCount int) bool {
	return (maxBytes > 0 && s.bytes > maxBytes) || (maxCount > 0 && s.count > maxCount)
}

// measureRequestHeaders measures the request's header block, request line
// and Host included (as Node's own limit counts it). net/http keeps every
// line's name and value, so the sum equals the raw block's size for a
// request without optional whitespace. A 50 KB query string is thus refused
// here, before any parser sees it.
func measureRequestHeaders(r *http.Request) headerStats {
	s := headerStats{bytes: len(r.Method) + len(r.RequestURI) + len(r.Proto) + len("  \r\n")}
	if r.Host != "" {
		s.add("Host", r.Host)
	}
	for name, values := range r.Header {
		for _, v := range values {
			s.add(name, v)
			if strings.EqualFold(name, "Cookie") {
				s.count += cookiePairs(v) - 1
			}
		}
	}
	return s
}

func (s *headerStats) add(name, value string) {
	s.bytes += len(name) + len(": ") + len(value) + len("\r\n")
	s.count++
}

// cookiePairs counts name=value pairs in a Cookie header (at least one, so a
// malformed header still counts as the header it is).
func cookiePairs(v string) int {
	n := 0
	for part := range strings.SplitSeq(v, ";") {
		if strings.Contains(part, "=") {
			n++
		}
	}
	return max(n, 1)
}

var (
	errTooLarge    = errors.New("request body too large")
	errBadEncoding = errors.New("bad content encoding")
)

// readLimited reads at most limit bytes of the body, inflating gzip and
// deflate bodies as body-parser does (R18); the limit applies to the
// inflated size too, so a small bomb cannot expand past it.
func readLimited(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, errTooLarge
	}
	var dec io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadEncoding, err)
		}
		dec = zr
	case "deflate": // RFC 9110: the zlib format, as Node's zlib.createInflate reads it
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadEncoding, err)
		}
		dec = zr
	default:
		return nil, fmt.Errorf("%w: unsupported Content-Encoding %q (use gzip, deflate or none)", errBadEncoding, enc)
	}
	out, err := io.ReadAll(io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadEncoding, err)
	}
	if int64(len(out)) > limit {
		return nil, errTooLarge
	}
	return out, nil
}
