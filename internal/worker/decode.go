package worker

import (
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// headerDecoder decodes the JSON headers of a worker's frames. encoding/json's
// reflection was a tenth of the gateway's CPU per request, so the frames the
// worker actually sends take a fastjson path that reuses one parser per
// reading goroutine; anything of an unexpected shape falls back to
// decodeHeader, which stays the definition of what is accepted.
type headerDecoder struct {
	p fastjson.Parser
}

// decode is decodeHeader, faster. Not safe for concurrent use.
func (d *headerDecoder) decode(b []byte) (*inHeader, error) {
	if h, ok := d.fast(b); ok {
		return h, nil
	}
	return decodeHeader(b)
}

// fast decodes b when it has exactly the shape worker.js produces; ok is
// false for anything else (including every malformed frame).
func (d *headerDecoder) fast(b []byte) (*inHeader, bool) {
	// fastjson is lenient where encoding/json is not (unknown escapes, raw
	// control characters, lone surrogates, invalid UTF-8, numbers like 00
	// or nan): JSON.stringify never writes any of those, so a header with a
	// backslash or a control byte goes to encoding/json, and numbers are
	// checked below.
	if !plain(b) {
		return nil, false
	}
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, false
	}
	h := &inHeader{}
	ok := members(v, func(key []byte, v *fastjson.Value) bool {
		ok := true
		switch string(key) {
		case "type":
			h.Type, ok = str(v)
		case "node":
			h.Node, ok = str(v)
		case "twilio":
			h.Twilio, ok = boolean(v)
		case "id":
			switch v.Type() {
			case fastjson.TypeNull:
			case fastjson.TypeNumber:
				raw := v.MarshalTo(nil)
				n, err := strconv.ParseUint(string(raw), 10, 64)
				h.ID, ok = &n, err == nil && validNumber(raw)
			default:
				ok = false
			}
		case "level":
			h.Level, ok = str(v)
		case "inv":
			h.Inv, ok = str(v)
		case "fn":
			h.Function, ok = str(v)
		case "kind":
			h.Kind, ok = str(v)
		case "bodyKind":
			h.BodyKind, ok = str(v)
		case "status":
			switch v.Type() {
			case fastjson.TypeNumber:
				raw := v.MarshalTo(nil)
				h.status, ok = decodeStatus(raw), validNumber(raw)
			case fastjson.TypeString, fastjson.TypeNull, fastjson.TypeTrue, fastjson.TypeFalse:
				h.status = 0 // R48: not an integer
			default:
				ok = false
			}
		case "headers":
			h.headers, ok = headerPairs(v)
		case "error":
			if v.Type() == fastjson.TypeNull {
				break
			}
			h.Error, ok = functionError(v)
		default:
			// An unknown key: encoding/json's case-insensitive matching
			// may still assign it, so let it decide.
			ok = false
		}
		return ok
	})
	if !ok || checkHeader(h) != nil {
		return nil, false
	}
	return h, true
}

func str(v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b), true
	case fastjson.TypeNull:
		return "", true // encoding/json leaves the field empty
	}
	return "", false
}

func boolean(v *fastjson.Value) (bool, bool) {
	switch v.Type() {
	case fastjson.TypeTrue:
		return true, true
	case fastjson.TypeFalse, fastjson.TypeNull:
		return false, true
	}
	return false, false
}

// headerPairs decodes [[name, value], [name, [values…]], …].
func headerPairs(v *fastjson.Value) ([]Header, bool) {
	if v.Type() == fastjson.TypeNull {
		return nil, true
	}
	pairs, err := v.Array()
	if err != nil {
		return nil, false
	}
	if len(pairs) == 0 {
		return nil, true // as the encoding/json path leaves it
	}
	out := make([]Header, 0, len(pairs))
	for _, p := range pairs {
		kv, err := p.Array()
		if err != nil || len(kv) != 2 || kv[0].Type() != fastjson.TypeString {
			return nil, false
		}
		name, _ := kv[0].StringBytes()
		h := Header{Name: string(name)}
		switch kv[1].Type() {
		case fastjson.TypeString:
			s, _ := kv[1].StringBytes()
			h.Values = []string{string(s)}
		case fastjson.TypeArray:
			items, _ := kv[1].Array()
			h.Array = true
			h.Values = make([]string, 0, len(items))
			for _, it := range items {
				s, ok := str(it)
				if !ok {
					return nil, false
				}
				h.Values = append(h.Values, s)
			}
		default:
			return nil, false
		}
		out = append(out, h)
	}
	return out, true
}

func functionError(v *fastjson.Value) (*FunctionError, bool) {
	e := &FunctionError{}
	ok := members(v, func(key []byte, v *fastjson.Value) bool {
		ok := false
		switch string(key) {
		case "name":
			e.Name, ok = str(v)
		case "message":
			e.Message, ok = str(v)
		case "stack":
			e.Stack, ok = str(v)
		}
		return ok
	})
	return e, ok
}

// members calls accept for each member of the object v, in order, until it
// returns false; it reports whether v is an object and every member was
// accepted.
func members(v *fastjson.Value, accept func(key []byte, v *fastjson.Value) bool) bool {
	o, err := v.Object()
	if err != nil {
		return false
	}
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if ok {
			ok = accept(key, v)
		}
	})
	return ok
}

// plain reports whether b has no backslash, no control byte and only valid
// UTF-8: one pass, with the UTF-8 check only when a byte needs it.
func plain(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

// validNumber reports whether b is a JSON number (RFC 8259 §6).
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}
