package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// handlerPackage is the npm name of the runtime handler.
const handlerPackage = "@twilio/runtime-handler"

// newestHandler is the newest runtime-handler version Ahoy knows (R73). A
// project that does not say which version it wants behaves as this one.
var newestHandler = [3]int{2, 1, 2}

// HandlerVersion is the project's @twilio/runtime-handler dependency
// (R72–R75).
type HandlerVersion struct {
	Declared string // as written in package.json ("" when missing)

	// Major, Minor and Patch are the version the project behaves as: the
	// declared exact version; the lowest version a range such as ^1.2.0,
	// ~1.1.0 or >=1.2.0 allows (as npm's semver.minVersion); or, when the
	// declaration is missing or not a version ("latest", "*", a git URL),
	// the newest known version, 2.1.2. Prerelease and build tags are ignored.
	Major, Minor, Patch int

	Exact bool // Declared is an exact semver version (what R72 demands)
}

// AtLeast reports whether the version is >= major.minor.patch.
func (v HandlerVersion) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// EventRequest reports whether event.request and the Response header and
// cookie API exist, which they do from 1.2.0 on (R21, R74).
func (v HandlerVersion) EventRequest() bool { return v.AtLeast(1, 2, 0) }

// String returns the version behaved as, e.g. "1.2.0".
func (v HandlerVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

func versionOf(n [3]int, declared string, exact bool) HandlerVersion {
	return HandlerVersion{Declared: declared, Major: n[0], Minor: n[1], Patch: n[2], Exact: exact}
}

// readHandlerVersion reads the runtime-handler dependency from
// dir/package.json. A missing file or dependency is not an error (twilio-run
// accepts both); it yields the newest version and a warning.
func readHandlerVersion(dir string) (HandlerVersion, []string, error) {
	file := filepath.Join(dir, "package.json")
	newest := versionOf(newestHandler, "", false)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return newest, []string{fmt.Sprintf(
			"no package.json in %s: behaving as %s %s, the newest version Ahoy knows; add %q: %q to \"dependencies\" to pin the version production uses (R72)",
			dir, handlerPackage, newest, handlerPackage, newest.String())}, nil
	}
	if err != nil {
		return HandlerVersion{}, nil, fmt.Errorf("read package.json: %w", err)
	}
	declared, where, isString, err := parseHandlerDeclaration(data)
	if err != nil {
		return HandlerVersion{}, nil, fmt.Errorf("%s: %w", file, err)
	}
	if where == "" {
		return newest, []string{fmt.Sprintf(
			"%s has no %s in \"dependencies\": behaving as the newest version, %s; add %q: %q to pin the version production uses (R72)",
			file, handlerPackage, newest, handlerPackage, newest.String())}, nil
	}
	v, warnings := handlerVersionOf(declared)
	if !isString {
		v = versionOf(newestHandler, declared, false)
		warnings = []string{notAVersion(declared, v)}
	}
	if where == "devDependencies" {
		warnings = append([]string{fmt.Sprintf(
			"%s declares %s in \"devDependencies\": twilio-run refuses to start and deployments ignore devDependencies; move it to \"dependencies\" (R72)",
			file, handlerPackage)}, warnings...)
	}
	return v, warnings, nil
}

// parseHandlerDeclaration returns the runtime-handler declaration of a
// package.json and the field it came from ("dependencies",
// "devDependencies", or "" when absent). A declaration that is not a JSON
// string is returned as its JSON text, with isString false.
func parseHandlerDeclaration(data []byte) (declared, where string, isString bool, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // npm tolerates a BOM
	var pkg struct {
		Dependencies    json.RawMessage `json:"dependencies"`
		DevDependencies json.RawMessage `json:"devDependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := lineCol(data, syn.Offset)
			return "", "", false, fmt.Errorf("invalid JSON at line %d, column %d: %w; fix it (npm cannot read it either)", line, col, err)
		}
		return "", "", false, fmt.Errorf("not a package.json (the top level must be a JSON object): %w", err)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"dependencies", pkg.Dependencies}, {"devDependencies", pkg.DevDependencies}} {
		// Like twilio-run's optional chaining, a field that is not an object
		// counts as having no runtime-handler.
		var deps map[string]json.RawMessage
		if json.Unmarshal(f.raw, &deps) != nil {
			continue
		}
		raw, ok := deps[handlerPackage]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return string(raw), f.name, false, nil
		}
		return s, f.name, true, nil
	}
	return "", "", false, nil
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// handlerVersionOf interprets a declared version and explains, in warnings,
// how it differs from what production accepts.
func handlerVersionOf(declared string) (HandlerVersion, []string) {
	if n, ok := parseExactSemver(declared); ok {
		v := versionOf(n, declared, true)
		var w []string
		switch {
		case !v.EventRequest():
			w = append(w, fmt.Sprintf("%s %s is older than 1.2.0: event.request and the Response header and cookie API are unavailable (R74)", handlerPackage, v))
		case v == versionOf([3]int{2, 1, 0}, declared, true):
			w = append(w, fmt.Sprintf("%s 2.1.0 works locally but production rejects it at deploy (\"Error 20001: No matching version found\"); use %d.%d.%d (R73)",
				handlerPackage, newestHandler[0], newestHandler[1], newestHandler[2]))
		case v.AtLeast(newestHandler[0], newestHandler[1], newestHandler[2]+1):
			w = append(w, fmt.Sprintf("%s %s is newer than any version Ahoy knows (newest: %d.%d.%d); features are gated as for that version",
				handlerPackage, v, newestHandler[0], newestHandler[1], newestHandler[2]))
		}
		return v, w
	}
	if n, ok := lowestOfRange(declared); ok {
		v := versionOf(n, declared, false)
		w := []string{fmt.Sprintf("%s %q is a range, not an exact version: production refuses to deploy it (R72); behaving as %s, the lowest version it allows; pin an exact version such as %q",
			handlerPackage, declared, v, v.String())}
		if !v.EventRequest() {
			w = append(w, fmt.Sprintf("%s %s is older than 1.2.0: event.request and the Response header and cookie API are unavailable (R74)", handlerPackage, v))
		}
		return v, w
	}
	v := versionOf(newestHandler, declared, false)
	return v, []string{notAVersion(declared, v)}
}

func notAVersion(declared string, v HandlerVersion) string {
	return fmt.Sprintf("%s %q is not a version: production refuses to deploy it (R72); behaving as the newest version, %s; pin an exact version such as %q",
		handlerPackage, declared, v, v.String())
}

// exactSemver is node-semver's strict full version (what semver.parse
// accepts, and so what twilio-run calls exact, R72).
var exactSemver = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*))*)?` +
	`(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// maxSafeInteger bounds semver components, as in node-semver.
const maxSafeInteger = 1<<53 - 1

// parseExactSemver parses an exact version, after trimming blanks as
// semver.parse does.
func parseExactSemver(s string) ([3]int, bool) {
	s = strings.TrimFunc(s, isJSSpace)
	if len(s) > 256 {
		return [3]int{}, false
	}
	m := exactSemver.FindStringSubmatch(s)
	if m == nil {
		return [3]int{}, false
	}
	var n [3]int
	for i := range n {
		x, err := strconv.Atoi(m[i+1])
		if err != nil || x > maxSafeInteger {
			return [3]int{}, false
		}
		n[i] = x
	}
	return n, true
}

// lowestOfRange returns the lowest version an npm range allows, like
// semver.minVersion, for the forms people write: "^1.2.0", "~1.1", ">=1.2.0
// <2", "1.x", "1.2.3 - 2", "^1 || ^2". It returns false for anything else
// and for ranges without any version ("*", "", "latest"), which npm resolves
// to the newest release.
func lowestOfRange(r string) ([3]int, bool) {
	var best [3]int
	found := false
	for _, alt := range strings.Split(r, "||") {
		low, ok := lowestOfSet(strings.TrimSpace(alt))
		if !ok {
			continue
		}
		if !found || less(low, best) {
			best, found = low, true
		}
	}
	return best, found
}

// lowestOfSet handles one comparator set (no "||").
func lowestOfSet(set string) ([3]int, bool) {
	if l, _, ok := strings.Cut(set, " - "); ok { // hyphen range
		p, ok := parsePartial(strings.TrimSpace(l))
		if !ok || p.parts == 0 {
			return [3]int{}, false
		}
		return p.floor(), true
	}
	var comps []string
	pending := ""
	for _, f := range strings.Fields(set) {
		if strings.Trim(f, "<>=~^") == "" { // ">= 1.2.0": operator on its own
			pending += f
			continue
		}
		comps = append(comps, pending+f)
		pending = ""
	}
	if pending != "" || len(comps) == 0 {
		return [3]int{}, false
	}
	var low [3]int
	versioned := false
	for _, c := range comps {
		op := c[:len(c)-len(strings.TrimLeft(c, "<>=~^"))]
		p, ok := parsePartial(c[len(op):])
		if !ok {
			return [3]int{}, false
		}
		var floor [3]int
		switch op {
		case "", "=", "^", "~", "~>", ">=":
			floor = p.floor()
		case ">":
			floor = p.above()
		case "<", "<=":
			// No lower bound: semver.minVersion starts from 0.0.0.
		default:
			return [3]int{}, false
		}
		if p.parts > 0 {
			versioned = true
		}
		if less(low, floor) {
			low = floor
		}
	}
	return low, versioned
}

// partial is a version with 0–3 leading components given ("1.2" has 2;
// "1.x" has 1; "*" has 0).
type partial struct {
	n     [3]int
	parts int
}

func (p partial) floor() [3]int { return p.n }

// above is the lowest version greater than every version p matches.
func (p partial) above() [3]int {
	switch p.parts {
	case 3:
		return [3]int{p.n[0], p.n[1], p.n[2] + 1}
	case 2:
		return [3]int{p.n[0], p.n[1] + 1, 0}
	case 1:
		return [3]int{p.n[0] + 1, 0, 0}
	}
	return p.n
}

// parsePartial parses "1", "1.2", "1.2.3", "v1.2.3-beta+b", "1.x", "*".
func parsePartial(s string) (partial, bool) {
	s = strings.TrimLeft(s, "v=")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i] // prerelease/build: ignored for the lowest version
	}
	var p partial
	fields := strings.Split(s, ".")
	if len(fields) > 3 {
		return partial{}, false
	}
	for i, f := range fields {
		if f == "x" || f == "X" || f == "*" {
			break
		}
		x, err := strconv.Atoi(f)
		if err != nil || x < 0 || x > maxSafeInteger {
			return partial{}, false
		}
		p.n[i] = x
		p.parts = i + 1
	}
	return p, true
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
