package webhook

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Node's legacy querystring module, as withLegacyQuerystring in twilio-node uses it: parse into an
// object, then stringify that object. The round trip reorders keys (JavaScript objects list
// array-index keys first, ascending), groups repeated keys at their first position, and re-encodes
// everything except A–Z a–z 0–9 - . _ ~ ! ' ( ) *.

type qsEntry struct {
	key    string
	values []string
}

// legacyQuerystring returns querystring.stringify(querystring.parse(q)).
func legacyQuerystring(q string) string {
	var entries []*qsEntry
	index := map[string]*qsEntry{}
	pairs := 1000 // querystring.parse's default maxKeys counts pairs, empty ones included
	segs := strings.Split(q, "&")
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == "" {
			if last {
				break
			}
			if pairs--; pairs == 0 {
				break
			}
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, v = qsUnescape(k), qsUnescape(v)
		if e, ok := index[k]; ok {
			e.values = append(e.values, v)
		} else {
			e := &qsEntry{key: k, values: []string{v}}
			index[k] = e
			entries = append(entries, e)
		}
		if !last {
			if pairs--; pairs == 0 {
				break
			}
		}
	}

	// Object.keys order: array indices ascending, then the rest in insertion order.
	var indices, others []*qsEntry
	for _, e := range entries {
		if isArrayIndex(e.key) {
			indices = append(indices, e)
		} else {
			others = append(others, e)
		}
	}
	sortByIndex(indices)

	var sb strings.Builder
	for _, e := range append(indices, others...) {
		for _, v := range e.values {
			if sb.Len() > 0 {
				sb.WriteByte('&')
			}
			sb.WriteString(qsEscape(e.key))
			sb.WriteByte('=')
			sb.WriteString(qsEscape(v))
		}
	}
	return sb.String()
}

// qsUnescape is querystring.unescape after '+' became a space: valid escapes decoded, invalid
// ones kept, bytes decoded as UTF-8 with replacement.
func qsUnescape(s string) string {
	return decodeUTF8(percentDecode(strings.ReplaceAll(s, "+", " ")))
}

func qsEscape(s string) string {
	return percentEncode(s, func(r rune) bool {
		if r >= 0x80 {
			return true
		}
		c := byte(r)
		return !isASCIIAlpha(c) && !isASCIIDigit(c) && strings.IndexByte("-._~!'()*", c) < 0
	})
}

// isArrayIndex reports whether JavaScript treats key as an array index (canonical uint32 < 2^32-1).
func isArrayIndex(key string) bool {
	if key == "" || len(key) > 10 || (key[0] == '0' && key != "0") {
		return false
	}
	n, err := strconv.ParseUint(key, 10, 64)
	return err == nil && n < 1<<32-1
}

func sortByIndex(es []*qsEntry) {
	num := func(e *qsEntry) uint64 { n, _ := strconv.ParseUint(e.key, 10, 64); return n }
	slices.SortFunc(es, func(a, b *qsEntry) int { return cmp.Compare(num(a), num(b)) })
}

// formValue is URLSearchParams.get: the first value named name in an
// application/x-www-form-urlencoded string, and whether there was one.
func formValue(q, name string) (string, bool) {
	for _, seg := range strings.Split(q, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		if qsUnescape(k) == name {
			return qsUnescape(v), true
		}
	}
	return "", false
}
