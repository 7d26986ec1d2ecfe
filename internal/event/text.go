package event

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Latin1 decodes s byte by byte, each byte becoming the rune of the same
// value. Node decodes header bytes this way, so a raw UTF-8 header value
// shows up in JavaScript as mojibake; mirroring it keeps values identical
// to twilio-run (R22, R25).
func Latin1(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + (len(s)-i)*2)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
		} else {
			b.WriteByte(0xC0 | c>>6)
			b.WriteByte(0x80 | c&0x3F)
		}
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeURIComponent is ECMAScript's decodeURIComponent on a UTF-8 string:
// every %XX escape is decoded and escaped multi-byte sequences must form one
// valid UTF-8 code point (no overlongs, surrogates or values above U+10FFFF).
// ok is false exactly where JavaScript would throw a URIError.
func decodeURIComponent(s string) (out string, ok bool) {
	first := strings.IndexByte(s, '%')
	if first < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:first]...)
	var oct [4]byte
	for i := first; i < len(s); {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			i++
			continue
		}
		v, ok := escapedByte(s, i)
		if !ok {
			return "", false
		}
		i += 3
		if v < 0x80 {
			b = append(b, v)
			continue
		}
		var n int
		switch {
		case v&0xE0 == 0xC0:
			n = 2
		case v&0xF0 == 0xE0:
			n = 3
		case v&0xF8 == 0xF0:
			n = 4
		default:
			return "", false
		}
		oct[0] = v
		for j := 1; j < n; j++ {
			if i >= len(s) || s[i] != '%' {
				return "", false
			}
			w, ok := escapedByte(s, i)
			if !ok || w&0xC0 != 0x80 {
				return "", false
			}
			oct[j] = w
			i += 3
		}
		if r, size := utf8.DecodeRune(oct[:n]); r == utf8.RuneError || size != n {
			// U+FFFD itself is legal (EF BF BD); anything else decoding to
			// RuneError is an overlong form, a surrogate or out of range.
			if !(n == 3 && oct[0] == 0xEF && oct[1] == 0xBF && oct[2] == 0xBD) {
				return "", false
			}
		}
		b = append(b, oct[:n]...)
	}
	return string(b), true
}

func escapedByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	h, ok1 := unhex(s[i+1])
	l, ok2 := unhex(s[i+2])
	if !ok1 || !ok2 {
		return 0, false
	}
	return h<<4 | l, true
}

// decodeUTF8 decodes bytes the way Node's Buffer#toString('utf8') and
// TextDecoder do (WHATWG): each maximal ill-formed subsequence becomes one
// U+FFFD. Go's own conversions replace per byte, which would differ.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	var (
		cp           rune
		needed, seen int
		lower, upper byte = 0x80, 0xBF
	)
	const repl = "\uFFFD"
	for i := 0; i < len(b); i++ {
		c := b[i]
		if needed == 0 {
			switch {
			case c < 0x80:
				out = append(out, c)
			case c >= 0xC2 && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				} else if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				} else if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				out = append(out, repl...)
			}
			continue
		}
		if c < lower || c > upper {
			cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF
			out = append(out, repl...)
			i-- // the offending byte starts afresh
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		if seen == needed {
			out = utf8.AppendRune(out, cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out = append(out, repl...)
	}
	return string(out)
}

// nodeUnescapeBuffer is Node's querystring.unescapeBuffer(s).toString():
// the fallback when decodeURIComponent throws. It works on UTF-16 code
// units and stores each unit into a byte (so non-Latin-1 characters keep
// only their low byte), then decodes the bytes as UTF-8 with replacement.
func nodeUnescapeBuffer(s string) string {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, len(units))
	maxLength := len(units) - 2
	hexOf := func(u uint16) (byte, bool) {
		if u > 0xFF {
			return 0, false
		}
		return unhex(byte(u))
	}
	for index := 0; index < len(units); {
		cur := units[index]
		if cur == '%' && index < maxLength {
			index++
			cur = units[index]
			hi, ok := hexOf(cur)
			if !ok {
				out = append(out, '%')
				continue
			}
			index++
			lo, ok := hexOf(units[index])
			if !ok {
				out = append(out, '%')
				index--
			} else {
				cur = uint16(hi)<<4 | uint16(lo)
			}
		}
		out = append(out, byte(cur))
		index++
	}
	return decodeUTF8(out)
}
