package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ParseDotenv parses .env content the way dotenv 6.2.0 (the version
// twilio-run uses, R31) does, except that it rejects lines dotenv would
// silently skip, so that a typo is caught at startup instead of showing up as
// a missing variable.
//
// Accepted, as in dotenv 6:
//   - blank lines, and comment lines whose first non-blank character is '#';
//   - KEY=value, where KEY is made of ASCII letters, digits, '_', '.' and
//     '-', with blanks allowed around KEY and '='.
//
// Values, as in dotenv 6:
//   - no inline comments: "A=b # c" gives "b # c" (dotenv 15 added them);
//   - no $VAR expansion and no escapes except \n inside double quotes;
//   - if the value (after the '=' and its following blanks, but with
//     trailing blanks kept) starts and ends with '"', each `\n` becomes a
//     newline;
//   - one leading and one trailing quote character (' or ") are removed
//     independently, then blanks are trimmed: `" a "` gives "a",
//     `"a'` gives "a", and `"a"  ` (blanks after the quote) gives `a"`;
//   - a key assigned twice keeps the last value (and its first position).
//
// Rejected here (dotenv 6 ignores these lines): a line without '=', an
// `export KEY=value` line (dotenv 6 has no export prefix), an invalid key,
// and a value broken by a carriage return or U+2028/U+2029 in its middle.
// The error names the line; it never quotes the line, which may hold a
// secret.
//
// Invalid UTF-8 bytes become U+FFFD, as when Node decodes the file.
func ParseDotenv(data []byte) ([]EnvVar, error) {
	src := decodeUTF8(data)
	var env []EnvVar
	index := map[string]int{}
	var firstErr error
	bad := 0
	// dotenv 6 splits on "\n" only; a "\r" before it is trailing blank.
	for i, line := range strings.Split(src, "\n") {
		key, value, err := parseDotenvLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", i+1, err)
			}
			bad++
			continue
		}
		if key == "" {
			continue
		}
		if j, ok := index[key]; ok {
			env[j].Value = value
			continue
		}
		index[key] = len(env)
		env = append(env, EnvVar{Key: key, Value: value})
	}
	if bad > 1 {
		return nil, fmt.Errorf("%w (and %d more bad lines)", firstErr, bad-1)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return env, nil
}

// parseDotenvLine parses one line. It returns key "" for a blank or comment
// line. The logic is dotenv 6's /^\s*([\w.-]+)\s*=\s*(.*)?\s*$/ with
// JavaScript's \s and '.', unrolled.
func parseDotenvLine(line string) (key, value string, err error) {
	rest := strings.TrimLeftFunc(line, isJSSpace)
	if rest == "" || rest[0] == '#' {
		return "", "", nil
	}
	k := 0
	for k < len(rest) && isKeyByte(rest[k]) {
		k++
	}
	key = rest[:k]
	after := strings.TrimLeftFunc(rest[k:], isJSSpace)
	if key == "" || !strings.HasPrefix(after, "=") {
		switch {
		case !strings.Contains(rest, "="):
			return "", "", errors.New(`not a KEY=value assignment (no "=")`)
		case key == "export":
			return "", "", errors.New(`"export KEY=value" is not supported by dotenv 6, which twilio-run ignores such lines: remove "export "`)
		default:
			return "", "", errors.New(`invalid key: a key may contain only ASCII letters, digits, "_", "." and "-"`)
		}
	}
	v := strings.TrimLeftFunc(after[1:], isJSSpace)
	// JavaScript's '.' stops at line terminators; the rest of the line must
	// then be blank for the regexp to match.
	end := strings.IndexFunc(v, isJSLineTerminator)
	if end >= 0 {
		if strings.TrimFunc(v[end:], isJSSpace) != "" {
			return "", "", fmt.Errorf("the value of %s contains a carriage return or line separator", key)
		}
		v = v[:end]
	}
	return key, dotenvValue(v), nil
}

// dotenvValue post-processes a raw value exactly as dotenv 6 does.
func dotenvValue(v string) string {
	if len(v) > 0 && v[0] == '"' && v[len(v)-1] == '"' {
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	// /(^['"]|['"]$)/g: each end independently, so unbalanced quotes go too.
	if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		v = v[1:]
	}
	if len(v) > 0 && (v[len(v)-1] == '"' || v[len(v)-1] == '\'') {
		v = v[:len(v)-1]
	}
	return strings.TrimFunc(v, isJSSpace)
}

// decodeUTF8 turns data into a string the way Node's Buffer decoding does
// for the common cases: each invalid byte becomes U+FFFD. (Node folds a
// truncated multi-byte sequence into a single U+FFFD; that difference cannot
// affect a key, which is ASCII.)
func decodeUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) + 8)
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		b.WriteRune(r) // utf8.RuneError is U+FFFD
		data = data[n:]
	}
	return b.String()
}

// isKeyByte reports whether c matches JavaScript's [\w.-] (ASCII only).
func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// isJSLineTerminator reports whether r is one of the characters
// JavaScript's '.' does not match ("\n" cannot occur inside a line).
func isJSLineTerminator(r rune) bool {
	return r == '\r' || r == 0x2028 || r == 0x2029
}

// Production limits on environment variables (R30).
const (
	maxEnvKeyLen   = 128  // characters
	maxEnvValueLen = 450  // bytes, via the toolkit or API
	maxEnvJSONLen  = 3072 // "about 3 KB" of JSON-encoded variables
)

// loadEnv reads the env file named by envFile (see Options.EnvFile) into s.
func (s *Snapshot) loadEnv(envFile string) error {
	explicit := envFile != ""
	if !explicit {
		envFile = ".env"
	}
	if !filepath.IsAbs(envFile) {
		envFile = filepath.Join(s.Dir, envFile)
	}
	envFile = filepath.Clean(envFile)
	data, err := os.ReadFile(envFile)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil // R31: a project without .env has an empty environment
		}
		if explicit && errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("env file %s does not exist: create it or pass another file", envFile)
		}
		return fmt.Errorf("env file: %w", err)
	}
	env, err := ParseDotenv(data)
	if err != nil {
		return fmt.Errorf("%s: %w; fix the line or comment it out with #", envFile, err)
	}
	s.Env, s.EnvFile = env, envFile
	s.Warnings = append(s.Warnings, envLimitWarnings(env)...)
	return nil
}

// envLimitWarnings reports variables that run here but would make a
// production deployment fail (R30).
func envLimitWarnings(env []EnvVar) []string {
	var out []string
	total := 2 // {}
	for i, v := range env {
		if n := utf16Len(v.Key); n > maxEnvKeyLen {
			out = append(out, fmt.Sprintf("env key %.20s… is %d characters long: production allows at most %d (R30)", v.Key, n, maxEnvKeyLen))
		}
		if n := len(v.Value); n > maxEnvValueLen {
			out = append(out, fmt.Sprintf("env value of %s is %d bytes long: production allows at most %d (R30)", v.Key, n, maxEnvValueLen))
		}
		if i > 0 {
			total++ // ,
		}
		total += jsonStringLen(v.Key) + 1 + jsonStringLen(v.Value)
	}
	if total > maxEnvJSONLen {
		out = append(out, fmt.Sprintf("the environment is %d bytes as JSON: production deployments fail above about 3 KB (R30)", total))
	}
	return out
}

// jsonStringLen is the length of s as a JSON string literal, as
// JSON.stringify would write it.
func jsonStringLen(s string) int {
	n := 2
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\b' || r == '\f' || r == '\n' || r == '\r' || r == '\t':
			n += 2
		case r < 0x20:
			n += 6
		default:
			n += utf8.RuneLen(r)
		}
	}
	return n
}
