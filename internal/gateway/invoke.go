package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ahoy-run/ahoy/internal/event"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// maxFormParams is body-parser's urlencoded parameterLimit (spec §13).
const maxFormParams = 1000

// invoke builds the event and runs the Function.
func (h *Handler) invoke(w *recorder, r *http.Request, req *request, body []byte) {
	inv, status, msg := h.buildInvocation(r, req, body)
	if status != 0 {
		plain(w, status, msg)
		return
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
	defer cancel()
	reply, err := req.routes.inv.Invoke(ctx, inv)
	switch {
	case err == nil:
		h.writeReply(w, r, req, reply)
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		// R44: the client gets 504 at once; a later callback is ignored.
		h.log.Error("runtime application timed out", "request", req.id, "function", req.res.Path,
			"duration", time.Since(started).Round(time.Millisecond), "timeout", h.cfg.Timeout)
		plain(w, http.StatusGatewayTimeout, "Gateway Time-out")
	case r.Context().Err() != nil:
		h.log.Warn("client went away before the Function called back", "request", req.id, "function", req.res.Path)
		w.status = 499 // for the request log only: nothing can be written
	default:
		h.log.Error("invocation failed", "request", req.id, "function", req.res.Path, "error", err)
		msg := "Internal Server Error: " + err.Error()
		if errors.Is(err, worker.ErrWorkerExited) {
			msg = "Internal Server Error: the worker running this Function exited before it called back"
		}
		plain(w, http.StatusInternalServerError, msg)
	}
}

// buildInvocation turns the request into the parts of event (R16–R25). A
// non-zero status means the request is malformed and msg says why.
func (h *Handler) buildInvocation(r *http.Request, req *request, body []byte) (inv worker.Invocation, status int, msg string) {
	inv = worker.Invocation{
		ID:   req.id,
		File: req.res.File,
		Rel:  req.res.Rel,
		Path: req.res.Path,
	}
	if req.routes.snap.Handler.EventRequest() {
		inv.Headers = event.Headers(r.Header, r.Host, h.cfg.HeaderPolicy)
		inv.Cookies = event.ParseCookies(r.Header.Values("Cookie"))
	}
	if q := r.URL.RawQuery; q != "" {
		inv.Query = event.ParseQuery(q, event.DefaultQueryLimits())
	}
	ct := r.Header.Get("Content-Type")
	// body-parser decodes JSON and form bodies with iconv-lite, which drops
	// a UTF-8 byte-order mark (an editor's or a .NET client's) before parsing.
	if event.IsJSON(ct) || event.IsForm(ct) {
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	}
	if len(body) == 0 {
		return inv, 0, ""
	}
	switch {
	case event.IsJSON(ct):
		if err := event.CheckJSON(body); err != nil {
			return inv, http.StatusBadRequest, err.Error()
		}
		inv.JSONBody = body
	case event.IsForm(ct):
		form, n := event.ParseForm(body, maxFormParams)
		if n > maxFormParams {
			return inv, http.StatusRequestEntityTooLarge, fmt.Sprintf("too many form parameters: at most %d", maxFormParams) // as body-parser answers
		}
		inv.Form = form
	}
	// R18: any other content type leaves the body out of event.
	return inv, 0, ""
}

// isBrowser tells browsers from programs the way twilio-run's user-agent
// check does for its error pages (R40): browsers send "Mozilla/…".
func isBrowser(r *http.Request) bool {
	ua := r.Header.Get("User-Agent")
	return strings.HasPrefix(ua, "Mozilla/") && !strings.Contains(strings.ToLower(ua), "bot")
}
