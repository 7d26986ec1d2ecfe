package event

import (
	"sort"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal, escaped like
// JSON.stringify does: only '"', '\\' and control characters are escaped.
// Invalid UTF-8 becomes U+FFFD so the output is always valid JSON text.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isArrayIndex reports whether JavaScript treats key as an array index
// (a canonical decimal integer in [0, 2^32-2]); such keys are enumerated
// before all others, in ascending numeric order.
func isArrayIndex(key string) bool {
	n := len(key)
	if n == 0 || n > 10 {
		return false
	}
	if key[0] == '0' {
		return n == 1
	}
	var v uint64
	for i := 0; i < n; i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + uint64(c-'0')
	}
	return v <= 4294967294
}

// indexValue returns the numeric value of a key known to be an array index.
func indexValue(key string) uint64 {
	var v uint64
	for i := 0; i < len(key); i++ {
		v = v*10 + uint64(key[i]-'0')
	}
	return v
}

// jsOrder returns the positions of keys (given in insertion order) in the
// order JavaScript enumerates an object's own string keys. It returns nil
// when that order is the insertion order, the common case, to avoid work.
func jsOrder(keys []string) []int {
	nIdx := 0
	for _, k := range keys {
		if len(k) > 0 && k[0] >= '0' && k[0] <= '9' && isArrayIndex(k) {
			nIdx++
		}
	}
	if nIdx == 0 {
		return nil
	}
	order := make([]int, 0, len(keys))
	for i, k := range keys {
		if isArrayIndex(k) {
			order = append(order, i)
		}
	}
	sort.Slice(order, func(a, b int) bool {
		return indexValue(keys[order[a]]) < indexValue(keys[order[b]])
	})
	if nIdx == len(keys) {
		return order
	}
	for i, k := range keys {
		if !isArrayIndex(k) {
			order = append(order, i)
		}
	}
	return order
}

// appendStringObject writes {"k":"v",...} for parallel slices in JS key order.
func appendStringObject(dst []byte, keys, vals []string) []byte {
	return appendObject(dst, keys, vals, AppendJSONString)
}

// appendMultiObject writes an object whose values are a string when a key
// has one value and an array of strings when it has several.
func appendMultiObject(dst []byte, keys []string, vals [][]string) []byte {
	return appendObject(dst, keys, vals, appendStringOrArray)
}

// appendObject writes an object from parallel key and value slices, keys in
// the order JavaScript enumerates them (integer-like keys first).
func appendObject[V any](dst []byte, keys []string, vals []V, appendVal func([]byte, V) []byte) []byte {
	order := jsOrder(keys)
	dst = append(dst, '{')
	for n := range keys {
		i := n
		if order != nil {
			i = order[n]
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, keys[i])
		dst = append(dst, ':')
		dst = appendVal(dst, vals[i])
	}
	return append(dst, '}')
}

func appendStringOrArray(dst []byte, vs []string) []byte {
	if len(vs) == 1 {
		return AppendJSONString(dst, vs[0])
	}
	dst = append(dst, '[')
	for j, v := range vs {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, v)
	}
	return append(dst, ']')
}
