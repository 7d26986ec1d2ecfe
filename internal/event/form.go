package event

import "strings"

// defaultMaxParams is body-parser's default urlencoded parameterLimit.
const defaultMaxParams = 1000

// ParseForm parses an application/x-www-form-urlencoded body the way
// twilio-run does (body-parser urlencoded with extended:false, i.e. Node's
// querystring.parse, R18): the body is decoded as UTF-8 (invalid sequences
// become U+FFFD), split on '&' and '=', '+' becomes a space, keys and
// values containing a valid %XX escape are decodeURIComponent-decoded
// (falling back to Node's byte-wise unescape when that throws), repeated
// keys collect into an array of strings, and brackets are NOT interpreted
// (`z[k]=5` gives key "z[k]"). At most maxParams pairs are read (<=0 means
// 1000).
//
// params is the number of parameters body-parser counts before parsing:
// one more than the number of '&' (0 for an empty body). The caller should
// answer 413 "too many parameters" when params > the limit, as body-parser
// does.
func ParseForm(body []byte, maxParams int) (obj []byte, params int) {
	if maxParams <= 0 {
		maxParams = defaultMaxParams
	}
	if len(body) == 0 {
		return []byte("{}"), 0
	}
	s := decodeUTF8(body)
	params = strings.Count(s, "&") + 1
	f := parseQuerystring(s, maxParams, params)
	out := make([]byte, 0, len(s)+16)
	return appendMultiObject(out, f.keys, f.vals), params
}

type formObject struct {
	keys  []string
	vals  [][]string
	index map[string]int
	slab  []string // backing for single values, so a key costs no slice of its own
}

// newFormObject sizes a formObject for about n pairs.
func newFormObject(n int) *formObject {
	return &formObject{
		keys:  make([]string, 0, n),
		vals:  make([][]string, 0, n),
		index: make(map[string]int, n),
		slab:  make([]string, 0, n),
	}
}

func (f *formObject) add(k, v string) {
	if i, ok := f.index[k]; ok {
		f.vals[i] = append(f.vals[i], v) // cap 1: a repeated key gets its own slice
		return
	}
	f.index[k] = len(f.keys)
	f.keys = append(f.keys, k)
	if len(f.slab) == cap(f.slab) {
		f.slab = make([]string, 0, 16)
	}
	f.slab = append(f.slab, v)
	n := len(f.slab)
	f.vals = append(f.vals, f.slab[n-1:n:n])
}

func isHexByte(c byte) bool {
	_, ok := unhex(c)
	return ok
}

// nodeDecode is Node's qsUnescape: decodeURIComponent, or the byte-wise
// unescapeBuffer when that throws.
func nodeDecode(s string) string {
	if d, ok := decodeURIComponent(s); ok {
		return d
	}
	return nodeUnescapeBuffer(s)
}

// parseQuerystring is a transcription of Node's querystring.parse with the
// default separators and decoder. It scans UTF-8 bytes instead of UTF-16
// units; that is equivalent because every byte it reacts to is ASCII and
// the bytes of a multi-byte character all behave like one "other" character.
// Only keys/values in which a valid %XX was seen are decoded at all, which
// matters for the fallback decoder, so the flags are tracked exactly.
// pairsHint is the caller's count of parameters, used to size the result.
func parseQuerystring(qs string, maxKeys, pairsHint int) *formObject {
	obj := newFormObject(min(pairsHint, maxKeys))
	pairs := maxKeys
	var (
		lastPos, encodeCheck   int
		eqSeen                 bool
		key, value             []byte // reused between pairs
		keyEncoded, valEncoded bool
	)
	addKeyVal := func() {
		k, v := string(key), string(value)
		if len(k) > 0 && keyEncoded {
			k = nodeDecode(k)
		}
		if len(v) > 0 && valEncoded {
			v = nodeDecode(v)
		}
		obj.add(k, v)
	}
	for i := 0; i < len(qs); i++ {
		code := qs[i]
		if code == '&' {
			end := i
			if !eqSeen {
				if lastPos < end {
					key = append(key, qs[lastPos:end]...)
				} else if len(key) == 0 {
					// An empty part between separators still uses up a pair.
					pairs--
					if pairs == 0 {
						return obj
					}
					lastPos = i + 1
					eqSeen = false
					continue
				}
			} else if lastPos < end {
				value = append(value, qs[lastPos:end]...)
			}
			addKeyVal()
			pairs--
			if pairs == 0 {
				return obj
			}
			keyEncoded, valEncoded = false, false
			key, value = key[:0], value[:0]
			encodeCheck = 0
			lastPos = i + 1
			eqSeen = false
			continue
		}
		if !eqSeen {
			if code == '=' {
				eqSeen = true
				if lastPos < i {
					key = append(key, qs[lastPos:i]...)
				}
				encodeCheck = 0
				lastPos = i + 1
				continue
			}
			if !keyEncoded {
				if code == '%' {
					encodeCheck = 1
					continue
				} else if encodeCheck > 0 {
					if isHexByte(code) {
						encodeCheck++
						if encodeCheck == 3 {
							keyEncoded = true
						}
						continue
					}
					encodeCheck = 0
				}
			}
			if code == '+' {
				if lastPos < i {
					key = append(key, qs[lastPos:i]...)
				}
				key = append(key, ' ')
				lastPos = i + 1
				continue
			}
		}
		if code == '+' {
			if lastPos < i {
				value = append(value, qs[lastPos:i]...)
			}
			value = append(value, ' ')
			lastPos = i + 1
		} else if !valEncoded {
			if code == '%' {
				encodeCheck = 1
			} else if encodeCheck > 0 {
				if isHexByte(code) {
					encodeCheck++
					if encodeCheck == 3 {
						valEncoded = true
					}
				} else {
					encodeCheck = 0
				}
			}
		}
	}
	if lastPos < len(qs) {
		if !eqSeen {
			key = append(key, qs[lastPos:]...)
		} else {
			value = append(value, qs[lastPos:]...)
		}
	} else if !eqSeen && len(key) == 0 {
		return obj
	}
	addKeyVal()
	return obj
}
