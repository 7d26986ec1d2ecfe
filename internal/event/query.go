package event

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// QueryLimits bounds query parsing like the qs options of the same names.
type QueryLimits struct {
	// Depth is how many bracket groups become nested objects; the rest of
	// the key stays one literal segment (qs `depth`). 0 keeps keys flat.
	Depth int
	// ArrayLimit is the largest array index (exclusive) and the longest
	// array qs builds; beyond it arrays turn into objects (qs `arrayLimit`).
	ArrayLimit int
	// ParameterLimit is how many '&'-separated parts are read; the rest is
	// ignored (qs `parameterLimit`).
	ParameterLimit int
}

// maxArrayLimit bounds ArrayLimit: qs materialises sparse arrays up to
// that index, and a huge limit would let one parameter allocate gigabytes.
const maxArrayLimit = 10000

// DefaultQueryLimits returns the qs defaults used by Express (R17).
func DefaultQueryLimits() QueryLimits {
	return QueryLimits{Depth: 5, ArrayLimit: 20, ParameterLimit: 1000}
}

func (l QueryLimits) normalized() QueryLimits {
	if l == (QueryLimits{}) {
		return DefaultQueryLimits()
	}
	l.Depth = max(l.Depth, 0)
	l.ArrayLimit = min(max(l.ArrayLimit, 0), maxArrayLimit)
	l.ParameterLimit = max(l.ParameterLimit, 0)
	return l
}

// ParseQuery parses a raw query string (the part after '?', still
// percent-encoded) with the semantics of the npm `qs` package (6.x, as
// installed in testdata/twilio) parse() called the way Express' "extended"
// query parser calls it, `qs.parse(str, {allowPrototypes: true})` (R17):
// repeated keys become arrays, bracket syntax nests objects and arrays
// (a[b]=1, a[]=1, a[0]=1), sparse arrays are compacted, indices at or above
// ArrayLimit produce objects, '+' and %20 become spaces, `e=` and a bare `f`
// give "", a value or key with an invalid escape is left undecoded, and
// `__proto__` keys are dropped. The zero QueryLimits means the defaults.
// It returns a JSON object and never fails.
func ParseQuery(raw string, lim QueryLimits) []byte {
	out := make([]byte, 0, len(raw)+16)
	return appendQuery(out, raw, lim.normalized())
}

func appendQuery(dst []byte, raw string, lim QueryLimits) []byte {
	if raw == "" {
		return append(dst, '{', '}')
	}
	if !utf8.ValidString(raw) {
		raw = strings.ToValidUTF8(raw, "\uFFFD")
	}
	p := qsParser{lim: lim}
	root := p.parse(raw)
	return root.appendJSON(dst)
}

// jsKind is the type of a JavaScript value qs can produce.
type jsKind uint8

const (
	kString jsKind = iota
	kArray
	kObject
)

// jsVal models the JavaScript values qs builds: strings, possibly sparse
// arrays (nil elements are holes) and ordinary objects. qs tags some
// containers through side channels ("overflow" objects that came from a too
// long array and "conflict" containers from a value colliding with an
// object); those tags live here as fields. Indices are float64 because qs
// does its index arithmetic on JavaScript numbers.
type jsVal struct {
	kind        jsKind
	str         string
	arr         []*jsVal
	obj         *jsObject
	overflow    bool
	maxIndex    float64
	conflict    bool
	conflictIdx float64
}

func newString(s string) *jsVal { return &jsVal{kind: kString, str: s} }
func newArray(elems ...*jsVal) *jsVal {
	return &jsVal{kind: kArray, arr: elems}
}
func newObject() *jsVal { return &jsVal{kind: kObject, obj: &jsObject{}} }

// jsObject is an ordinary JavaScript object: own string keys enumerated in
// JS order (array indices ascending, then insertion order).
type jsObject struct {
	keys  []string
	vals  []*jsVal
	index map[string]int // built once the object grows, for O(1) lookup
}

const objIndexThreshold = 8

func (o *jsObject) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range o.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

func (o *jsObject) get(k string) (*jsVal, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

func (o *jsObject) set(k string, v *jsVal) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.index != nil {
		o.index[k] = len(o.keys) - 1
	} else if len(o.keys) > objIndexThreshold {
		o.index = make(map[string]int, len(o.keys)*2)
		for i, kk := range o.keys {
			o.index[kk] = i
		}
	}
}

// ordered returns the key positions in JS enumeration order.
func (o *jsObject) ordered() []int {
	if ord := jsOrder(o.keys); ord != nil {
		return ord
	}
	ord := make([]int, len(o.keys))
	for i := range ord {
		ord[i] = i
	}
	return ord
}

// isObjectLike is JavaScript's `v && typeof v === 'object'`.
func isObjectLike(v *jsVal) bool { return v != nil && v.kind != kString }

// countElements counts the non-hole elements of an array.
func countElements(a []*jsVal) int {
	n := 0
	for _, e := range a {
		if e != nil {
			n++
		}
	}
	return n
}

// arrayToObject is qs utils.arrayToObject: defined elements under their
// index keys.
func arrayToObject(a []*jsVal) *jsVal {
	o := newObject()
	for i, e := range a {
		if e != nil {
			o.obj.set(strconv.Itoa(i), e)
		}
	}
	return o
}

func markOverflow(v *jsVal, idx float64) *jsVal {
	v.overflow, v.maxIndex = true, idx
	return v
}

func markConflict(v *jsVal, idx float64) *jsVal {
	v.conflict, v.conflictIdx = true, idx
	return v
}

// concatSpread is `[].concat(a, b)`: arrays are spread (holes kept), other
// values appended as one element.
func concatSpread(a, b *jsVal) []*jsVal {
	n := 2
	if a.kind == kArray {
		n += len(a.arr)
	}
	if b.kind == kArray {
		n += len(b.arr)
	}
	out := make([]*jsVal, 0, n)
	for _, v := range [2]*jsVal{a, b} {
		if v.kind == kArray {
			out = append(out, v.arr...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// jsNumberString is JavaScript's Number#toString for the values qs uses
// as keys.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if math.Abs(f) < 1e21 && f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if math.Abs(f) >= 1e21 {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	// Fractions never occur: qs only adds 1 to parsed integers.
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// isJSSpace reports JavaScript's WhiteSpace and LineTerminator characters,
// which parseInt skips.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// jsParseInt is JavaScript's parseInt(s, 10).
func jsParseInt(s string) float64 {
	s = strings.TrimLeftFunc(s, isJSSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s[:n], 64) // digits only: cannot fail but may be ±Inf
	if neg {
		f = -f
	}
	return f
}

// canonicalInt is `var n = parseInt(k, 10); String(n) === k`, qs's test
// for a key that is a plain integer.
func canonicalInt(k string) (float64, bool) {
	if k == "" || !(k[0] >= '0' && k[0] <= '9' || k[0] == '-') {
		return 0, false
	}
	n := jsParseInt(k)
	return n, !math.IsNaN(n) && jsNumberString(n) == k
}

type qsParser struct {
	lim  QueryLimits
	strs []jsVal // backing for the parts' string values: one allocation per 16, not one each
}

// newString is newString from a slab; the values stay valid (and mutable)
// because a full slab is replaced, never grown in place.
func (p *qsParser) newString(s string) *jsVal {
	if len(p.strs) == cap(p.strs) {
		p.strs = make([]jsVal, 0, 16)
	}
	p.strs = append(p.strs, jsVal{kind: kString, str: s})
	return &p.strs[len(p.strs)-1]
}

// sizedObject is an object value with room for n keys.
func sizedObject(n int) *jsVal {
	return &jsVal{kind: kObject, obj: &jsObject{keys: make([]string, 0, n), vals: make([]*jsVal, 0, n)}}
}

func (p *qsParser) parse(str string) *jsVal {
	temp := p.parseValues(str)
	obj := sizedObject(len(temp.keys))
	for _, i := range temp.ordered() {
		key := temp.keys[i]
		if key != "" && strings.IndexByte(key, '[') < 0 && p.lim.Depth > 0 {
			// Fast path for the common flat key: parseObject would build
			// {key: val} and merging it into obj without that key is a set.
			if key == "__proto__" {
				continue
			}
			if _, exists := obj.obj.get(key); !exists {
				obj.obj.set(key, temp.vals[i])
				continue
			}
		}
		if nv := p.parseKeys(key, temp.vals[i]); nv != nil {
			obj = p.merge(obj, nv)
		}
	}
	compact(obj)
	return obj
}

// decodeComponent is qs utils.decode with the utf-8 charset.
func decodeComponent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		if strings.IndexByte(s, '+') < 0 {
			return s
		}
		return strings.ReplaceAll(s, "+", " ")
	}
	s = strings.ReplaceAll(s, "+", " ")
	if d, ok := decodeURIComponent(s); ok {
		return d
	}
	return s
}

// replaceEscapedBrackets is `.replace(/%5B/gi, '[').replace(/%5D/gi, ']')`.
func replaceEscapedBrackets(s string) string {
	i := strings.Index(s, "%5")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for ; i >= 0 && i+2 < len(s); i = nextPct5(s, i) {
		switch s[i+2] {
		case 'B', 'b':
			b.WriteString(s[last:i])
			b.WriteByte('[')
			last = i + 3
		case 'D', 'd':
			b.WriteString(s[last:i])
			b.WriteByte(']')
			last = i + 3
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func nextPct5(s string, i int) int {
	j := strings.Index(s[i+1:], "%5")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// parseValues is qs parseValues: split on '&', decode keys and values and
// combine repeated raw keys.
func (p *qsParser) parseValues(str string) *jsObject {
	clean := replaceEscapedBrackets(str)
	limit := p.lim.ParameterLimit
	n := min(strings.Count(clean, "&")+1, max(limit, 0))
	obj := &jsObject{keys: make([]string, 0, n), vals: make([]*jsVal, 0, n)}
	for n := 0; n < limit; n++ {
		var part string
		amp := strings.IndexByte(clean, '&')
		if amp < 0 {
			part = clean
		} else {
			part, clean = clean[:amp], clean[amp+1:]
		}
		p.addPart(obj, part)
		if amp < 0 {
			break
		}
	}
	return obj
}

func (p *qsParser) addPart(obj *jsObject, part string) {
	pos := strings.Index(part, "]=")
	if pos >= 0 {
		pos++
	} else {
		pos = strings.IndexByte(part, '=')
	}
	// `[]` right before the split point marks an explicit array push.
	emptyBracket := pos > 1 && part[pos-2:pos] == "[]"
	var key, val string
	if pos < 0 {
		key = decodeComponent(part)
	} else {
		key = decodeComponent(part[:pos])
		val = decodeComponent(part[pos+1:])
	}
	v := p.newString(val)
	// With duplicates 'combine' (the default) a repeated key combines
	// whether or not it ends in "[]", so emptyBracket only documents qs.
	_ = emptyBracket
	if i := obj.find(key); i >= 0 {
		obj.vals[i] = p.combine(obj.vals[i], v)
		return
	}
	obj.set(key, v)
}

// combine is qs utils.combine.
func (p *qsParser) combine(a, b *jsVal) *jsVal {
	if a.overflow {
		bValues := []*jsVal{b}
		if b.kind == kArray {
			bValues = b.arr
		}
		idx := a.maxIndex
		for _, bv := range bValues {
			idx++
			if bv != nil {
				a.obj.set(jsNumberString(idx), bv)
			}
		}
		a.maxIndex = idx
		return a
	}
	res := concatSpread(a, b)
	if len(res) > p.lim.ArrayLimit {
		return markOverflow(arrayToObject(res), float64(len(res)-1))
	}
	return newArray(res...)
}

// splitKey is qs splitKeyIntoSegments with allowDots off and prototype
// keys allowed (Express passes allowPrototypes: true).
func (p *qsParser) splitKey(key string) []string {
	if p.lim.Depth <= 0 {
		return []string{key}
	}
	var segs []string
	first := strings.IndexByte(key, '[')
	parent := key
	if first >= 0 {
		parent = key[:first]
	}
	if parent != "" {
		segs = append(segs, parent)
	}
	open := first
	for collected := 0; open >= 0 && collected < p.lim.Depth; collected++ {
		level, closeAt := 1, -1
		for i := open + 1; i < len(key); i++ {
			if key[i] == '[' {
				level++
			} else if key[i] == ']' {
				level--
				if level == 0 {
					closeAt = i
					break
				}
			}
		}
		if closeAt < 0 {
			// Unterminated group: the raw remainder is one literal segment.
			return append(segs, "["+key[open:]+"]")
		}
		segs = append(segs, key[open:closeAt+1])
		next := strings.IndexByte(key[closeAt+1:], '[')
		if next < 0 {
			open = -1
		} else {
			open = closeAt + 1 + next
		}
	}
	if open >= 0 {
		// Deeper than Depth: the rest stays a literal key (R17).
		segs = append(segs, "["+key[open:]+"]")
	}
	return segs
}

func (p *qsParser) parseKeys(key string, val *jsVal) *jsVal {
	if key == "" {
		return nil
	}
	return p.parseObject(p.splitKey(key), val)
}

func stripWrappingBrackets(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	// qs checks charAt(0) and charAt(len-1): a lone "[" is not "wrapped".
	return s
}

// parseObject is qs parseObject for a parsed value (valuesParsed true).
func (p *qsParser) parseObject(chain []string, leaf *jsVal) *jsVal {
	for i := len(chain) - 1; i >= 0; i-- {
		root := chain[i]
		var obj *jsVal
		if root == "[]" {
			if leaf.overflow {
				obj = leaf
			} else {
				obj = p.combine(newArray(), leaf)
			}
		} else {
			clean := stripWrappingBrackets(root)
			idx, canon := canonicalInt(clean)
			valid := canon && root != clean && idx >= 0
			switch {
			case valid && idx < float64(p.lim.ArrayLimit):
				arr := make([]*jsVal, int(idx)+1)
				arr[int(idx)] = leaf
				obj = newArray(arr...)
			case valid:
				obj = newObject()
				obj.obj.set(clean, leaf)
				markOverflow(obj, idx)
			default:
				obj = newObject()
				if clean != "__proto__" { // qs never creates a __proto__ key
					obj.obj.set(clean, leaf)
				}
			}
		}
		leaf = obj
	}
	return leaf
}

// limitedPair is qs utils.limitedPair.
func (p *qsParser) limitedPair(a, b *jsVal) *jsVal {
	if 2 > p.lim.ArrayLimit {
		return markOverflow(arrayToObject([]*jsVal{a, b}), 1)
	}
	return newArray(a, b)
}

// maxNumericIndex is qs utils.maxNumericIndex.
func maxNumericIndex(o *jsObject, lo float64) float64 {
	m := lo
	for _, k := range o.keys {
		if n, ok := canonicalInt(k); ok && n > m {
			m = n
		}
	}
	return m
}

// merge is qs utils.merge with strictMerge on (the qs default).
func (p *qsParser) merge(target, source *jsVal) *jsVal {
	if source == nil || (source.kind == kString && source.str == "") {
		return target
	}
	if source.kind == kString {
		switch {
		case target != nil && target.kind == kArray:
			if countElements(target.arr) >= p.lim.ArrayLimit {
				next := len(target.arr)
				return markOverflow(arrayToObject(append(append([]*jsVal(nil), target.arr...), source)), float64(next))
			}
			target.arr = append(target.arr, source)
		case target != nil && target.kind == kObject:
			switch {
			case target.overflow:
				target.maxIndex++
				target.obj.set(jsNumberString(target.maxIndex), source)
			case target.conflict:
				target.conflictIdx++
				target.obj.set(jsNumberString(target.conflictIdx), source)
			default:
				c := p.limitedPair(target, source)
				if c.kind == kArray {
					markConflict(c, 1)
				}
				return c
			}
		default:
			return p.limitedPair(target, source)
		}
		return target
	}

	if target == nil || target.kind == kString {
		if source.overflow {
			res := newObject()
			res.obj.set("0", target)
			for _, i := range source.obj.ordered() {
				res.obj.set(jsNumberString(jsParseInt(source.obj.keys[i])+1), source.obj.vals[i])
			}
			return markOverflow(res, source.maxIndex+1)
		}
		combined := concatSpread(target, source)
		if len(combined) > p.lim.ArrayLimit {
			return markOverflow(arrayToObject(combined), float64(len(combined)-1))
		}
		return newArray(combined...)
	}

	mergeTarget := target
	if target.kind == kArray && source.kind != kArray {
		mergeTarget = arrayToObject(target.arr)
		if target.conflict {
			markConflict(mergeTarget, float64(len(target.arr)-1))
		}
	}

	if target.kind == kArray && source.kind == kArray {
		for i, item := range source.arr {
			if item == nil {
				continue
			}
			if i < len(target.arr) && target.arr[i] != nil {
				if ti := target.arr[i]; isObjectLike(ti) && isObjectLike(item) {
					target.arr[i] = p.merge(ti, item)
				} else {
					target.arr = append(target.arr, item)
				}
			} else {
				for len(target.arr) <= i {
					target.arr = append(target.arr, nil)
				}
				target.arr[i] = item
			}
		}
		if countElements(target.arr) > p.lim.ArrayLimit {
			return markOverflow(arrayToObject(target.arr), float64(len(target.arr)-1))
		}
		return target
	}

	acc := mergeTarget
	var skeys []string
	var svals []*jsVal
	if source.kind == kArray {
		for i, e := range source.arr {
			if e != nil {
				skeys = append(skeys, strconv.Itoa(i))
				svals = append(svals, e)
			}
		}
	} else {
		for _, i := range source.obj.ordered() {
			skeys = append(skeys, source.obj.keys[i])
			svals = append(svals, source.obj.vals[i])
		}
	}
	for n, key := range skeys {
		value := svals[n]
		if cur, ok := acc.obj.get(key); ok {
			acc.obj.set(key, p.merge(cur, value))
		} else {
			acc.obj.set(key, value)
		}
		if source.overflow && !acc.overflow {
			markOverflow(acc, maxNumericIndex(acc.obj, source.maxIndex))
		}
		if acc.overflow {
			if k, ok := canonicalInt(key); ok && k >= 0 && k > acc.maxIndex {
				acc.maxIndex = k
			}
		}
		if acc.conflict {
			if k, ok := canonicalInt(key); ok && k > acc.conflictIdx {
				acc.conflictIdx = k
			}
		}
	}
	return acc
}

// compact removes the holes of every array in the tree (qs utils.compact).
func compact(v *jsVal) {
	switch v.kind {
	case kArray:
		out := v.arr[:0]
		for _, e := range v.arr {
			if e != nil {
				compact(e)
				out = append(out, e)
			}
		}
		clear(v.arr[len(out):])
		v.arr = out
	case kObject:
		for _, e := range v.obj.vals {
			compact(e)
		}
	}
}

func (v *jsVal) appendJSON(dst []byte) []byte {
	switch v.kind {
	case kString:
		return AppendJSONString(dst, v.str)
	case kArray:
		dst = append(dst, '[')
		for i, e := range v.arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			if e == nil {
				dst = append(dst, "null"...)
			} else {
				dst = e.appendJSON(dst)
			}
		}
		return append(dst, ']')
	default:
		dst = append(dst, '{')
		ord := jsOrder(v.obj.keys)
		for n := range v.obj.keys {
			i := n
			if ord != nil {
				i = ord[n]
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, v.obj.keys[i])
			dst = append(dst, ':')
			dst = v.obj.vals[i].appendJSON(dst)
		}
		return append(dst, '}')
	}
}
