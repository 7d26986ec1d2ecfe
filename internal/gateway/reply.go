package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ahoy-run/ahoy/internal/setcookie"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// Content types chosen for payloads (R38, R55, R56).
const (
	typeText  = "text/plain; charset=utf-8"
	typeJSON  = "application/json; charset=utf-8"
	typeXML   = "text/xml; charset=utf-8"
	typeBytes = "application/octet-stream"
)

// writeReply turns the Function's outcome into the HTTP response.
func (h *Handler) writeReply(w *recorder, r *http.Request, req *request, rep *worker.Reply) {
	switch rep.Kind {
	case worker.Failure:
		h.writeFailure(w, r, req, rep)
	case worker.Response:
		h.writeResponse(w, req, rep)
	default:
		h.writePayload(w, req, rep)
	}
}

// writePayload answers callback(null, value) (R38).
func (h *Handler) writePayload(w *recorder, req *request, rep *worker.Reply) {
	if !h.bodyFits(w, req, rep.Body) {
		return
	}
	switch rep.BodyKind {
	case worker.BodyNone:
		w.WriteHeader(http.StatusOK)
		return
	case worker.BodyText:
		w.Header().Set("Content-Type", typeText)
	case worker.BodyXML:
		w.Header().Set("Content-Type", typeXML)
	case worker.BodyBytes:
		w.Header().Set("Content-Type", typeBytes)
	default:
		w.Header().Set("Content-Type", typeJSON)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rep.Body)
}

// bodyFits enforces the response size limit (R20).
func (h *Handler) bodyFits(w *recorder, req *request, body []byte) bool {
	if h.cfg.MaxResponseBody <= 0 || len(body) <= h.cfg.MaxResponseBody {
		return true
	}
	h.functionError(w, req, fmt.Sprintf("response body of %d bytes is over the %d-byte limit", len(body), h.cfg.MaxResponseBody))
	return false
}

// functionError answers 500 for a reply that cannot be sent and logs why.
func (h *Handler) functionError(w *recorder, req *request, why string, attrs ...any) {
	h.log.Error("the Function's response cannot be sent: "+why,
		append([]any{"request", req.id, "function", req.res.Path, "code", 82002}, attrs...)...)
	plain(w, http.StatusInternalServerError, "Internal Server Error: the Function's response is invalid (see the server log)")
}

// writeResponse sends a Twilio.Response (R47–R57).
func (h *Handler) writeResponse(w *recorder, req *request, rep *worker.Reply) {
	status := rep.Status
	if status < 200 || status > 599 {
		// 1xx are interim answers, not a Function's final one (R48 leaves
		// the check to the sender).
		h.functionError(w, req, fmt.Sprintf("status code %d is not a final status between 200 and 599", status))
		return
	}
	out := make(http.Header, len(rep.Headers)+2)
	for _, hd := range rep.Headers {
		if !validHeaderName(hd.Name) {
			h.functionError(w, req, fmt.Sprintf("invalid header name %q", hd.Name))
			return
		}
		if managedHeader(hd.Name) {
			// The connection's framing is the server's: a Function's
			// Transfer-Encoding or Content-Length could corrupt the response.
			h.log.Warn(fmt.Sprintf("the Function set %s, which Ahoy manages; ignored", hd.Name), "request", req.id, "function", req.res.Path)
			continue
		}
		if hd.Array && !req.routes.snap.Handler.EventRequest() {
			// R57, R74: arrays need @twilio/runtime-handler 1.2.0.
			h.functionError(w, req, fmt.Sprintf("error 82009: Multi-valued headers not supported (header %q); set @twilio/runtime-handler to 1.2.0 or newer in package.json", hd.Name), "code", 82009)
			return
		}
		key := http.CanonicalHeaderKey(hd.Name)
		for _, v := range hd.Values {
			if !validHeaderValue(v) {
				h.functionError(w, req, fmt.Sprintf("header %q has a value with a control character (CR, LF or NUL)", hd.Name))
				return
			}
			out[key] = append(out[key], v)
		}
	}
	if len(out["Content-Type"]) > 1 {
		h.functionError(w, req, "Content-Type has more than one value")
		return
	}
	if h.cfg.CookieRules && len(out["Set-Cookie"]) > 0 {
		cookies := make([]string, 0, len(out["Set-Cookie"]))
		for _, c := range out["Set-Cookie"] {
			rewritten, err := h.cookies.Rewrite(c)
			if errors.Is(err, setcookie.ErrTooLong) {
				// R54.4: the client gets 400 instead of the Function's response.
				h.log.Warn("cookie lives longer than a day", "request", req.id, "function", req.res.Path, "cookie", cookieName(c))
				plain(w, http.StatusBadRequest, "Cookies max-age cannot be greater than a day")
				return
			}
			if err != nil {
				h.functionError(w, req, fmt.Sprintf("invalid Set-Cookie %q: %v", cookieName(c), err))
				return
			}
			cookies = append(cookies, rewritten)
		}
		out["Set-Cookie"] = cookies
	}

	body := rep.Body
	if _, set := out["Content-Type"]; !set {
		switch rep.BodyKind {
		case worker.BodyJSON:
			out.Set("Content-Type", typeJSON)
		case worker.BodyText, worker.BodyBytes:
			out.Set("Content-Type", typeBytes) // R56: production's observed default
		case worker.BodyXML:
			out.Set("Content-Type", typeXML)
		}
	}
	if status == http.StatusNoContent || status == http.StatusNotModified || (status >= 100 && status < 200) {
		body = nil // R55: no body, no content headers
		out.Del("Content-Type")
		out.Del("Content-Length")
	} else {
		out.Set("Content-Length", strconv.Itoa(len(body)))
	}
	var stats headerStats
	for name, vs := range out {
		for _, v := range vs {
			stats.add(name, v)
		}
	}
	if stats.tooLarge(h.cfg.MaxHeaderBytes, h.cfg.MaxHeaders) {
		// R62: error 82008.
		h.log.Error("error 82008: Response headers or cookies too long", "request", req.id, "function", req.res.Path,
			"code", 82008, "headers", stats.count, "bytes", stats.bytes)
		plain(w, http.StatusRequestHeaderFieldsTooLarge, "Response headers or cookies too long")
		return
	}
	if !h.bodyFits(w, req, body) {
		return
	}
	dst := w.Header()
	for k, vs := range out {
		dst[k] = vs
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

// writeFailure answers callback(err), a throw or a rejection with 500 (R37,
// R40–R43) and logs the cause.
func (h *Handler) writeFailure(w *recorder, r *http.Request, req *request, rep *worker.Reply) {
	attrs := []any{"request", req.id, "function", req.res.Path, "code", 82002}
	if e := rep.Error; e != nil {
		attrs = append(attrs, "error", e.Name+": "+e.Message)
		if e.Stack != "" {
			attrs = append(attrs, "stack", e.Stack)
		}
		h.log.Error("the Function failed", attrs...)
		switch {
		case h.cfg.Dev && isBrowser(r):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_ = errorPage.Execute(w, e) // R41
		case h.cfg.Dev:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": e.Message, "name": e.Name, "stack": e.Stack})
		default:
			// Serve mode never reveals a stack or a file path: paths inside
			// the project become relative (e.g. a failed require's message).
			msg := strings.ReplaceAll(e.Message, req.routes.snap.Dir+string(filepath.Separator), "")
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": msg, "name": e.Name})
		}
		return
	}
	h.log.Error("the Function called back with an error value", append(attrs, "value", truncate(string(rep.Body), 500))...)
	switch rep.BodyKind {
	case worker.BodyText:
		// R40: text/plain, never text/html — the text often echoes user input.
		w.Header().Set("Content-Type", typeText)
	case worker.BodyBytes:
		w.Header().Set("Content-Type", typeBytes)
	default:
		w.Header().Set("Content-Type", typeJSON)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(rep.Body)
}

func writeJSON(w http.ResponseWriter, code int, v map[string]string) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", typeJSON)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func cookieName(c string) string {
	name, _, _ := strings.Cut(c, "=")
	return truncate(name, 64)
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

// managedHeader reports hop-by-hop and framing headers (RFC 9110 §7.6.1,
// RFC 9112 §6) that only the server may set.
func managedHeader(name string) bool {
	// EqualFold, not ToLower: no allocation for every header of every reply.
	for _, m := range [...]string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"} {
		if len(name) == len(m) && strings.EqualFold(name, m) {
			return true
		}
	}
	return false
}

// validHeaderValue rejects what could split or end a header (RFC 9110 §5.5).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// errorPage is the dev-mode "Runtime Error" page for browsers (R41).
var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Runtime Error</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #121c2d; }
h1 { color: #d61f1f; }
pre { background: #f4f4f6; padding: 1rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>Runtime Error</h1>
<p><strong>{{.Name}}:</strong> {{.Message}}</p>
{{if .Stack}}<pre class="stack-trace">{{.Stack}}</pre>{{end}}
</body>
</html>
`))
