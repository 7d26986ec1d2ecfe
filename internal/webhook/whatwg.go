package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// twilio-node builds the URL variants it signs with Node's WHATWG URL class, so a signature only
// matches when Ahoy serialises URLs byte for byte like Node 20 (ada) does. This file is the subset
// of the WHATWG URL Standard that http and https URLs need. Two deliberate gaps, both refused
// (the request is then invalid) rather than guessed:
//   - hosts that contain non-ASCII after percent-decoding, or a label starting with "xn--": Node
//     maps them with UTS #46 / Punycode, which needs Unicode tables the standard library lacks.
//     Ahoy's own server never sees such Host headers (net/http only admits ASCII hosts).
//   - schemes other than http and https: Twilio only signs http(s) URLs.

var errUnsupported = errors.New("url not supported by ahoy's signature check")

// wurl is a parsed special (http/https) URL in WHATWG terms.
type wurl struct {
	scheme             string // "http" or "https"
	username, password string // already percent-encoded
	host               string // serialised host: domain, dotted IPv4 or [IPv6]
	port               int    // -1 when null (absent or the scheme's default)
	path               []string
	query              *string // nil when null
	fragment           *string
}

func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// parseURL runs the WHATWG basic URL parser without a base URL.
func parseURL(input string) (*wurl, error) {
	input = strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	input = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, input)

	colon := strings.IndexByte(input, ':')
	if colon <= 0 || !isASCIIAlpha(input[0]) {
		return nil, fmt.Errorf("no scheme in %q", input)
	}
	for i := 1; i < colon; i++ {
		c := input[i]
		if !isASCIIAlpha(c) && !isASCIIDigit(c) && c != '+' && c != '-' && c != '.' {
			return nil, fmt.Errorf("no scheme in %q", input)
		}
	}
	u := &wurl{scheme: strings.ToLower(input[:colon]), port: -1}
	if u.scheme != "http" && u.scheme != "https" {
		return nil, fmt.Errorf("scheme %q: %w", u.scheme, errUnsupported)
	}
	rest := strings.TrimLeft(input[colon+1:], `/\`) // special authority (ignore) slashes states

	end := strings.IndexAny(rest, `/\?#`)
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, pass, _ := strings.Cut(authority[:at], ":")
		u.username = percentEncode(user, isUserinfoSet)
		u.password = percentEncode(pass, isUserinfoSet)
		authority = authority[at+1:]
	}
	hostStr, portStr, hasPort := cutHostPort(authority)
	if hostStr == "" {
		return nil, fmt.Errorf("empty host in %q", input)
	}
	host, err := parseHost(hostStr)
	if err != nil {
		return nil, err
	}
	u.host = host
	if hasPort && portStr != "" {
		p := 0
		for i := 0; i < len(portStr); i++ {
			if !isASCIIDigit(portStr[i]) {
				return nil, fmt.Errorf("invalid port %q", portStr)
			}
			p = p*10 + int(portStr[i]-'0')
			if p > 65535 {
				return nil, fmt.Errorf("port %q out of range", portStr)
			}
		}
		if p != defaultPort(u.scheme) {
			u.port = p
		}
	}

	pathEnd := strings.IndexAny(rest, "?#")
	if pathEnd < 0 {
		pathEnd = len(rest)
	}
	u.path = parsePath(rest[:pathEnd])
	rest = rest[pathEnd:]
	frag, hasFrag := "", false
	if q, ok := strings.CutPrefix(rest, "?"); ok {
		q, frag, hasFrag = strings.Cut(q, "#")
		q = percentEncode(q, isSpecialQuerySet)
		u.query = &q
	} else {
		frag, hasFrag = strings.CutPrefix(rest, "#")
	}
	if hasFrag {
		f := percentEncode(frag, isFragmentSet)
		u.fragment = &f
	}
	return u, nil
}

// cutHostPort splits at the first ':' outside brackets, as the host state does.
func cutHostPort(s string) (host, port string, ok bool) {
	inBrackets := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			inBrackets = true
		case ']':
			inBrackets = false
		case ':':
			if !inBrackets {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// parsePath runs the path start and path states for a special URL over the text before '?'/'#'.
func parsePath(s string) []string {
	if s != "" && (s[0] == '/' || s[0] == '\\') {
		s = s[1:]
	}
	var path []string
	for {
		i := strings.IndexAny(s, `/\`)
		last := i < 0
		seg := s
		if !last {
			seg = s[:i]
		}
		switch {
		case isDoubleDot(seg):
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			if last {
				path = append(path, "")
			}
		case isSingleDot(seg):
			if last {
				path = append(path, "")
			}
		default:
			path = append(path, percentEncode(seg, isPathSet))
		}
		if last {
			return path
		}
		s = s[i+1:]
	}
}

func isSingleDot(s string) bool { return s == "." || strings.EqualFold(s, "%2e") }

func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// parseHost runs the host parser for a special URL.
func parseHost(s string) (string, error) {
	if s[0] == '[' {
		if s[len(s)-1] != ']' {
			return "", fmt.Errorf("unclosed ipv6 host %q", s)
		}
		return parseIPv6(s[1 : len(s)-1])
	}
	decoded := percentDecode(s)
	for _, c := range decoded {
		if c >= 0x80 {
			return "", fmt.Errorf("non-ascii host %q: %w", s, errUnsupported)
		}
	}
	domain := strings.ToLower(string(decoded)) // UTS #46 maps ASCII only by lower-casing
	for _, label := range strings.Split(domain, ".") {
		if strings.HasPrefix(label, "xn--") {
			return "", fmt.Errorf("punycode host %q: %w", s, errUnsupported)
		}
	}
	for i := 0; i < len(domain); i++ {
		if isForbiddenDomainByte(domain[i]) {
			return "", fmt.Errorf("forbidden character in host %q", s)
		}
	}
	if endsInANumber(domain) {
		return parseIPv4(domain)
	}
	return domain, nil
}

func isForbiddenDomainByte(c byte) bool {
	return c <= 0x20 || c == 0x7f || strings.IndexByte("#%/:<>?@[\\]^|", c) >= 0
}

func endsInANumber(domain string) bool {
	parts := strings.Split(domain, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, err := parseIPv4Number(last)
	return err == nil
}

func parseIPv4(domain string) (string, error) {
	parts := strings.Split(domain, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", fmt.Errorf("ipv4 host %q has more than four parts", domain)
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, err := parseIPv4Number(p)
		if err != nil {
			return "", fmt.Errorf("ipv4 host %q: %w", domain, err)
		}
		if i < len(parts)-1 && n > 255 {
			return "", fmt.Errorf("ipv4 host %q: part out of range", domain)
		}
		nums[i] = n
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return "", fmt.Errorf("ipv4 host %q: last part out of range", domain)
	}
	addr := last
	for i, n := range nums[:len(nums)-1] {
		addr += n << (8 * (3 - i))
	}
	return fmt.Sprintf("%d.%d.%d.%d", addr>>24, addr>>16&0xff, addr>>8&0xff, addr&0xff), nil
}

// parseIPv4Number saturates above 2^32: any such value is out of range for every part anyway.
func parseIPv4Number(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty ipv4 part")
	}
	radix := uint64(10)
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, radix = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, radix = s[1:], 8
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d, ok := hexVal(s[i])
		if !ok || uint64(d) >= radix {
			return 0, fmt.Errorf("invalid ipv4 part %q", s)
		}
		if n < 1<<33 {
			n = n*radix + uint64(d)
		}
	}
	return n, nil
}

// parseIPv6 leans on netip, whose grammar matches the WHATWG IPv6 parser once zones and bare
// IPv4 are excluded; serialisation follows WHATWG (no dotted IPv4 tail).
func parseIPv6(s string) (string, error) {
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return "", fmt.Errorf("invalid ipv6 host %q", s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("invalid ipv6 host %q: %w", s, err)
	}
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	// Compress the first longest run of two or more zero pieces.
	bestStart, bestLen := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; i < 8; i++ {
		if i == bestStart {
			sb.WriteString("::")
			i += bestLen - 1
			continue
		}
		if i > 0 && i != bestStart+bestLen {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
	}
	sb.WriteByte(']')
	return sb.String(), nil
}

// Percent-encode sets as Node 20's URL parser applies them (ada; it leaves '^' and '|' alone in
// paths, unlike the 2024 Standard).
func isC0ControlSet(r rune) bool { return r < 0x20 || r > 0x7e }

func isFragmentSet(r rune) bool {
	return isC0ControlSet(r) || r == ' ' || r == '"' || r == '<' || r == '>' || r == '`'
}

func isQuerySet(r rune) bool {
	return isC0ControlSet(r) || r == ' ' || r == '"' || r == '#' || r == '<' || r == '>'
}

func isSpecialQuerySet(r rune) bool { return isQuerySet(r) || r == '\'' }

func isPathSet(r rune) bool {
	return isQuerySet(r) || r == '?' || r == '`' || r == '{' || r == '}'
}

func isUserinfoSet(r rune) bool {
	return isPathSet(r) || strings.ContainsRune("/:;=@[\\]^|", r)
}

// percentEncode UTF-8 percent-encodes the code points in set; invalid UTF-8 bytes count as U+FFFD,
// as they would after Go's caller turned them into a JavaScript string.
func percentEncode(s string, set func(rune) bool) string {
	var sb strings.Builder
	for _, r := range s {
		if !set(r) {
			sb.WriteRune(r)
			continue
		}
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			sb.WriteByte('%')
			sb.WriteByte("0123456789ABCDEF"[c>>4])
			sb.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return sb.String()
}

// percentDecode decodes valid %XX escapes and leaves everything else as is.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := hexVal(s[i+1])
			lo, ok2 := hexVal(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// decodeUTF8 is the WHATWG "UTF-8 decode without BOM": one U+FFFD per maximal invalid subpart,
// which differs from Go's one-per-byte replacement for truncated sequences.
func decodeUTF8(b []byte) string {
	var sb strings.Builder
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xbf)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if needed == 0 {
			switch {
			case c <= 0x7f:
				sb.WriteByte(c)
			case c >= 0xc2 && c <= 0xdf:
				needed, cp = 1, rune(c&0x1f)
			case c >= 0xe0 && c <= 0xef:
				if c == 0xe0 {
					lower = 0xa0
				}
				if c == 0xed {
					upper = 0x9f
				}
				needed, cp = 2, rune(c&0x0f)
			case c >= 0xf0 && c <= 0xf4:
				if c == 0xf0 {
					lower = 0x90
				}
				if c == 0xf4 {
					upper = 0x8f
				}
				needed, cp = 3, rune(c&0x07)
			default:
				sb.WriteRune(utf8.RuneError)
			}
			continue
		}
		if c < lower || c > upper {
			needed, seen, cp = 0, 0, 0
			lower, upper = 0x80, 0xbf
			sb.WriteRune(utf8.RuneError)
			i-- // reprocess this byte as a new sequence start
			continue
		}
		lower, upper = 0x80, 0xbf
		cp = cp<<6 | rune(c&0x3f)
		if seen++; seen == needed {
			sb.WriteRune(cp)
			needed, seen, cp = 0, 0, 0
		}
	}
	if needed != 0 {
		sb.WriteRune(utf8.RuneError)
	}
	return sb.String()
}

func hexVal(c byte) (byte, bool) {
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

func isASCIIAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// href is the URL serializer.
func (u *wurl) href() string {
	s := u.scheme + "://"
	if u.username != "" || u.password != "" {
		s += u.username
		if u.password != "" {
			s += ":" + u.password
		}
		s += "@"
	}
	s += u.host
	if u.port >= 0 {
		s += ":" + strconv.Itoa(u.port)
	}
	s += u.pathname()
	if u.query != nil {
		s += "?" + *u.query
	}
	if u.fragment != nil {
		s += "#" + *u.fragment
	}
	return s
}

func (u *wurl) pathname() string {
	var sb strings.Builder
	for _, seg := range u.path {
		sb.WriteByte('/')
		sb.WriteString(seg)
	}
	return sb.String()
}

// search and hash mirror the JavaScript getters: empty components read as "".
func (u *wurl) search() string {
	if u.query == nil || *u.query == "" {
		return ""
	}
	return "?" + *u.query
}

func (u *wurl) hash() string {
	if u.fragment == nil || *u.fragment == "" {
		return ""
	}
	return "#" + *u.fragment
}
