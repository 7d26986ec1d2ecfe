package project

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// resourcePath computes the URL path and visibility of a file from its
// slash-separated path inside its root (R3). It copies the toolkit's
// algorithm (serverless-api getPathAndAccessFromFileInfo) including its
// quirks, because `twilio serverless:deploy` uses that same algorithm: a
// path computed differently here would not exist once deployed.
//
// The quirks, beyond the documented rules:
//   - The marker is found by a substring search for ".protected"+ext
//     (then ".private"+ext) in the whole relative name, and the first
//     ".protected"/".private" of the base name is removed; for the normal
//     "x.private.js" that is exactly the marker before the extension.
//   - Without a marker, the first ".public" in the base name is removed
//     ("x.public.js" → "/x", "x.publicity.js" → "/xity").
//   - The extension is Node's path.extname: a dot-file such as ".htaccess"
//     has none, so it keeps its full name.
func resourcePath(inRoot string, kind Kind) (string, Visibility) {
	dir := path.Dir(inRoot)
	base := path.Base(inRoot)
	ext := nodeExtname(base)
	stem := strings.TrimSuffix(base, ext)

	vis := Public
	switch {
	case strings.Contains(inRoot, ".protected"+ext):
		vis = Protected
	case strings.Contains(inRoot, ".private"+ext):
		vis = Private
	}
	stem = strings.Replace(stem, "."+vis.String(), "", 1)

	p := "/" + path.Join(dir, stem)
	if kind == Asset {
		p += ext // Functions drop ".js"; Assets keep their extension.
	}
	p = strings.Map(func(r rune) rune {
		if isJSSpace(r) {
			return '-' // JavaScript's /\s/g, not Go's unicode.IsSpace
		}
		return r
	}, p)
	// The spec normalises Windows separators; on Unix a backslash is a file
	// name character, so this maps "a\b.js" to "/a/b" as on Windows.
	return strings.ReplaceAll(p, `\`, "/"), vis
}

// nodeExtname is Node's path.extname of a base name: from the last dot, or
// "" when there is no dot or the only dot-run starts the name (".env").
func nodeExtname(base string) string {
	i := strings.LastIndexByte(base, '.')
	if i <= 0 {
		return ""
	}
	// Node treats a name made only of leading dots before the last one
	// ("..js") as having extension ".js", and "..": "" — the latter cannot be
	// a file name, so only i <= 0 needs a special case.
	return base[i:]
}

// forbiddenPathChars are the characters twilio-run rejects in a path
// (checkForValidPath, R4), besides '#', which has its own message.
const forbiddenPathChars = ";,?:@+&$()'\" "

// maxPathLen is the exclusive upper bound on a path's length in UTF-16 code
// units (JavaScript string length), as in twilio-run; production documents
// at most 255 characters (R4).
const maxPathLen = 256

// checkPath applies twilio-run's path validity rules (R4). The returned
// error says which rule is broken.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("a path must start with /")
	}
	if !utf8.ValidString(p) {
		// Node would have decoded the name with U+FFFD replacements, giving a
		// route nobody can request; refuse it instead.
		return fmt.Errorf("the file name is not valid UTF-8")
	}
	if strings.Contains(p, "#") {
		return fmt.Errorf("a path cannot contain #")
	}
	if i := strings.IndexAny(p, forbiddenPathChars); i >= 0 {
		return fmt.Errorf("a path cannot contain %q (none of %s may appear)", p[i], forbiddenPathChars[:len(forbiddenPathChars)-1]+" or a space")
	}
	if n := utf16Len(p); n >= maxPathLen {
		return fmt.Errorf("a path must be shorter than %d characters, this one has %d", maxPathLen, n)
	}
	return nil
}

// utf16Len is the length JavaScript reports for s.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// isJSSpace reports whether r matches JavaScript's \s, which is also the set
// String.prototype.trim removes. It differs from unicode.IsSpace: it
// includes U+FEFF and excludes U+0085.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
