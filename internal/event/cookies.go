package event

import "strings"

// ParseCookies builds event.request.cookies from the values of every Cookie
// request header, in arrival order (R25), with the semantics of
// cookie-parser / cookie 0.7 as used by twilio-run: the values are joined
// with "; " (as Node joins repeated Cookie headers) and decoded as latin1
// (each byte is one character, as Node's HTTP parser does); pairs are split
// on ';', names and values trimmed of spaces and tabs, pairs without '='
// skipped, empty values kept as "", the first occurrence of a name wins,
// one pair of surrounding double quotes is removed and values containing
// '%' are decodeURIComponent-decoded (left raw when that fails). So
// `J%C3%B6rg` gives "Jörg" while raw UTF-8 bytes give latin1 mojibake.
//
// Values are always strings: cookie-parser's `j:` JSON cookies are a
// twilio-run divergence deliberately not reproduced. A cookie named
// `__proto__` is dropped, as assigning it on a plain object does nothing in
// twilio-run. The result is a JSON object, "{}" when there are no cookies.
func ParseCookies(values []string) []byte {
	if len(values) == 0 {
		return []byte("{}")
	}
	str := values[0]
	if len(values) > 1 {
		str = strings.Join(values, "; ")
	}
	keys, vals := parseCookieString(str)
	out := make([]byte, 0, len(str)+16)
	return appendStringObject(out, keys, vals)
}

// parseCookieString transcribes cookie 0.7's parse(). It works on the raw
// header bytes, which index like the latin1 JavaScript string.
func parseCookieString(str string) (keys, vals []string) {
	n := len(str)
	if n < 2 {
		return nil, nil
	}
	seen := map[string]struct{}{}
	index := 0
	for index < n {
		eqRel := strings.IndexByte(str[index:], '=')
		if eqRel < 0 {
			break
		}
		eqIdx := index + eqRel
		endIdx := n
		if semi := strings.IndexByte(str[index:], ';'); semi >= 0 {
			endIdx = index + semi
			if eqIdx > endIdx {
				// The '=' belongs to a later pair: restart at the ';' before it.
				index = strings.LastIndexByte(str[:eqIdx], ';') + 1
				continue
			}
		}
		keyStart := cookieStart(str, index, eqIdx)
		keyEnd := cookieEnd(str, eqIdx, keyStart)
		key := Latin1(str[keyStart:keyEnd])
		if _, dup := seen[key]; !dup && key != "__proto__" {
			valStart := cookieStart(str, eqIdx+1, endIdx)
			valEnd := cookieEnd(str, endIdx, valStart)
			if valStart < n && str[valStart] == '"' && valEnd-1 >= 0 && valEnd-1 < n && str[valEnd-1] == '"' {
				valStart++
				valEnd--
			}
			val := ""
			if valStart < valEnd {
				val = Latin1(str[valStart:valEnd])
			}
			if strings.IndexByte(val, '%') >= 0 {
				if d, ok := decodeURIComponent(val); ok {
					val = d
				}
			}
			seen[key] = struct{}{}
			keys = append(keys, key)
			vals = append(vals, val)
		}
		index = endIdx + 1
	}
	return keys, vals
}

func cookieStart(str string, index, maxIdx int) int {
	for {
		if index >= len(str) || (str[index] != ' ' && str[index] != '\t') {
			return index
		}
		index++
		if index >= maxIdx {
			return maxIdx
		}
	}
}

func cookieEnd(str string, index, minIdx int) int {
	for index > minIdx {
		index--
		if str[index] != ' ' && str[index] != '\t' {
			return index + 1
		}
	}
	return minIdx
}
