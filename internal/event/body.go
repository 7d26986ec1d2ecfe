package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// mediaType returns the lower-cased type/subtype of a Content-Type value.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.ToLower(strings.TrimSpace(contentType))
}

// IsJSON reports whether a Content-Type's media type is exactly
// application/json, parameters such as charset allowed, case-insensitive
// (R18). application/vnd.api+json and other +json types are not JSON here,
// as body-parser's default `type` only matches application/json.
func IsJSON(contentType string) bool {
	return mediaType(contentType) == "application/json"
}

// IsForm reports whether a Content-Type's media type is
// application/x-www-form-urlencoded (R18).
func IsForm(contentType string) bool {
	return mediaType(contentType) == "application/x-www-form-urlencoded"
}

// ErrJSONTopLevel reports a JSON body whose top-level value is neither an
// object nor an array, which body-parser's strict mode rejects (R18).
var ErrJSONTopLevel = errors.New("top-level value must be an object or an array")

// CheckJSON validates a JSON request body like body-parser's strict mode
// (R18): the body must be valid JSON whose first non-whitespace character
// is '{' or '['. An empty body is accepted (body-parser turns it into {}).
// The error is one line without a stack, fit for a 400 response, e.g.
// "invalid JSON body: unexpected end of JSON input at byte 12".
func CheckJSON(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	// body-parser's firstchar skips only these four whitespace bytes.
	trimmed := bytes.TrimLeft(body, " \t\n\r")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return fmt.Errorf("invalid JSON body: %w", ErrJSONTopLevel)
	}
	if json.Valid(body) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(body, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON body: %w at byte %d", err, se.Offset)
	}
	if err == nil {
		// json.Valid and json.Unmarshal disagreeing would be a Go bug; still
		// refuse rather than forward something Valid rejected.
		err = errors.New("malformed JSON")
	}
	return fmt.Errorf("invalid JSON body: %w", err)
}
