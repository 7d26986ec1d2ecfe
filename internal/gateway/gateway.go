// Package gateway is Ahoy's http.Handler: it takes each request through the
// flow of DESIGN.md once — header limits, routing on an immutable snapshot,
// method rules, CORS preflight, visibility and signatures, Assets, admission,
// event construction, invocation — and writes the Function's reply under the
// hosted runtime's rules.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ahoy-run/ahoy/internal/event"
	"github.com/ahoy-run/ahoy/internal/project"
	"github.com/ahoy-run/ahoy/internal/setcookie"
	"github.com/ahoy-run/ahoy/internal/webhook"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// Invoker runs one Function invocation; *worker.Pool implements it.
type Invoker interface {
	Invoke(ctx context.Context, inv worker.Invocation) (*worker.Reply, error)
}

// Config holds every setting of the request flow. Defaults (see Defaults)
// are the hosted runtime's values.
type Config struct {
	// Dev reveals stacks in error responses (JSON for programs, the HTML
	// "Runtime Error" page for browsers, R40/R41). Serve mode never sends a
	// stack or a file path to a client.
	Dev bool
	// HeaderPolicy chooses the restricted request headers (R23).
	HeaderPolicy event.HeaderPolicy
	// TwilioRunPreflight answers OPTIONS like twilio-run (R61) instead of
	// the documented production reply (R60).
	TwilioRunPreflight bool
	// AllowMethods lists methods besides GET, POST, HEAD and OPTIONS that
	// reach Functions (R13); others get 405.
	AllowMethods []string
	// Timeout is the execution limit of one invocation (R44): 504 after it.
	Timeout time.Duration
	// MaxHeaderBytes and MaxHeaders bound request and response headers,
	// cookies included (R62): 431 beyond them.
	MaxHeaderBytes int
	MaxHeaders     int
	// MaxBody bounds the request, headers included (R20): 413 beyond it.
	MaxBody int64
	// MaxResponseBody bounds a Function's response body (R20): 500 beyond it.
	MaxResponseBody int
	// MaxInFlight bounds concurrent invocations (R46): 429 beyond it.
	MaxInFlight int
	// CookieRules applies the production Set-Cookie rewriting (R54).
	CookieRules bool
	// PublicURL, when set, is the scheme and host clients use to reach this
	// server; signatures are checked against it (R67).
	PublicURL *url.URL
	// TrustProxy takes the public scheme and host from X-Forwarded-Proto and
	// X-Forwarded-Host when PublicURL is not set.
	TrustProxy bool
	// Unprotected turns signature checks off (R65) for local experiments.
	Unprotected bool
	// AuthToken signs requests to protected resources (R67); "" means the
	// project's AUTH_TOKEN from .env.
	AuthToken string
	// DomainName is context.DOMAIN_NAME; its host part is the cookie Domain (R54).
	DomainName string
	// Logger receives request and invocation logs.
	Logger *slog.Logger
	// Observer, when set, sees every request once it is answered (metrics).
	Observer Observer
}

// Observer receives one record per answered request.
type Observer interface {
	// ObserveRequest is called with what served the request ("function",
	// "asset", "preflight" or "none" when no resource did), its status and
	// how long it took.
	ObserveRequest(kind string, status int, d time.Duration)
}

// Defaults returns the production settings (spec §13).
func Defaults() Config {
	return Config{
		HeaderPolicy:    event.Production,
		Timeout:         10 * time.Second,
		MaxHeaderBytes:  15 * 1024,
		MaxHeaders:      90,
		MaxBody:         1 << 20,
		MaxResponseBody: 4 << 20,
		MaxInFlight:     30,
		CookieRules:     true,
	}
}

// routes is what one snapshot serves: swapped as a whole, so a request runs
// its Function on the workers that loaded the same snapshot it was routed by.
type routes struct {
	snap *project.Snapshot
	inv  Invoker // runs this snapshot's Functions
	// authToken checks signatures: the configured token or the snapshot's AUTH_TOKEN.
	authToken string
	// assets caches small Asset files of this snapshot: a reload brings a
	// new snapshot and so an empty cache.
	assets *assetCache
}

// Handler is the gateway. Create it with New.
type Handler struct {
	cfg      Config
	routes   atomic.Pointer[routes]
	inFlight atomic.Int64
	cookies  setcookie.Rules
	log      *slog.Logger
}

// New returns a gateway serving snap through inv.
func New(cfg Config, snap *project.Snapshot, inv Invoker) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	h.cookies = setcookie.Rules{Domain: cookieDomain(cfg.DomainName)}
	if err := h.Swap(snap, inv); err != nil {
		return nil, err
	}
	return h, nil
}

// Swap makes snap, served through inv, the routes for new requests; requests
// in flight finish on the snapshot and invoker they started with.
func (h *Handler) Swap(snap *project.Snapshot, inv Invoker) error {
	if info, err := os.Stat(snap.Dir); err != nil || !info.IsDir() {
		return fmt.Errorf("project directory %s is not readable: %v", snap.Dir, err)
	}
	token := h.cfg.AuthToken
	if token == "" {
		token = EnvValue(snap, "AUTH_TOKEN")
	}
	h.routes.Store(&routes{snap: snap, inv: inv, authToken: token, assets: newAssetCache()})
	return nil
}

// request carries what the stages learn about one request.
type request struct {
	kind    string // for the Observer: "function", "asset", "preflight", "none"
	id      string
	rawPath string
	res     *project.Resource
	routes  *routes
	hdr     headerStats
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	req := &request{kind: "none", id: newRequestID(), rawPath: rawPath(r), routes: h.routes.Load()}
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("internal error while serving a request; please report it", "request", req.id, "panic", fmt.Sprint(p))
			if !rec.wrote {
				plain(rec, http.StatusInternalServerError, "Internal Server Error")
			}
		}
		h.logRequest(r, rec, req, time.Since(start))
	}()
	h.serve(rec, r, req)
}

// serve is the request flow; each stage answers or passes on.
func (h *Handler) serve(w *recorder, r *http.Request, req *request) {
	// R62: the header limits come first, before anything reads the request.
	req.hdr = measureRequestHeaders(r)
	if req.hdr.tooLarge(h.cfg.MaxHeaderBytes, h.cfg.MaxHeaders) {
		w.Header().Set("Connection", "close")
		plain(w, http.StatusRequestHeaderFieldsTooLarge, "Request headers or cookies too long")
		return
	}
	res, ok := req.routes.snap.Lookup(req.rawPath)
	if !ok || (res.Kind == project.Function && res.Visibility == project.Private) {
		// R8: private Functions are not reachable by URL.
		notFound(w)
		return
	}
	req.res = res
	if r.Method == http.MethodOptions {
		req.kind = "preflight"
		h.preflight(w) // R60, R61: the Function is not invoked
		return
	}
	if !h.methodAllowed(r.Method) {
		w.Header().Set("Allow", h.allowHeader())
		plain(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %s is not allowed; use GET or POST", r.Method))
		return
	}
	if r.Method == http.MethodGet && hasBody(r) {
		plain(w, http.StatusForbidden, "Forbidden: a GET request must not have a body") // R13
		return
	}
	if res.Kind == project.Asset && res.Visibility == project.Private {
		html(w, http.StatusForbidden, "This asset has been marked as private") // R9
		return
	}
	if res.Kind == project.Function {
		// R46: admission before the body is read, so an overloaded server
		// does not spend its time reading requests it will refuse.
		if !h.admit() {
			w.Header().Set("Retry-After", "1")
			plain(w, http.StatusTooManyRequests, "Too many concurrent requests; retry shortly")
			return
		}
		defer h.inFlight.Add(-1)
	}
	body, ok := h.readBody(w, r, req)
	if !ok {
		return
	}
	if res.Visibility == project.Protected && !h.cfg.Unprotected && !h.signed(r, req.routes, body) {
		plain(w, http.StatusForbidden, "Forbidden: invalid or missing X-Twilio-Signature") // R65, R66
		return
	}
	if res.Kind == project.Asset {
		req.kind = "asset"
		h.serveAsset(w, r, req)
		return
	}
	req.kind = "function"
	h.invoke(w, r, req, body)
}

// admit counts a Function invocation in, unless MaxInFlight are running:
// no queue, the client is told to come back (R46).
func (h *Handler) admit() bool {
	if n := h.inFlight.Add(1); h.cfg.MaxInFlight > 0 && n > int64(h.cfg.MaxInFlight) {
		h.inFlight.Add(-1)
		return false
	}
	return true
}

// readBody reads the request body within the request size limit (R20).
func (h *Handler) readBody(w *recorder, r *http.Request, req *request) ([]byte, bool) {
	if !hasBody(r) {
		return nil, true
	}
	limit := h.cfg.MaxBody - int64(req.hdr.bytes)
	if limit < 0 {
		limit = 0
	}
	body, err := readLimited(r, limit)
	switch {
	case errors.Is(err, errTooLarge):
		w.Header().Set("Connection", "close")
		plain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request too large: at most %d bytes including headers", h.cfg.MaxBody))
		return nil, false
	case errors.Is(err, errBadEncoding):
		plain(w, http.StatusBadRequest, "Bad request body: "+err.Error())
		return nil, false
	case err != nil:
		plain(w, http.StatusBadRequest, "Could not read the request body")
		return nil, false
	}
	return body, true
}

func (h *Handler) methodAllowed(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodHead:
		return true
	}
	return slices.Contains(h.cfg.AllowMethods, m)
}

func (h *Handler) allowHeader() string {
	return strings.Join(append([]string{"GET", "HEAD", "POST", "OPTIONS"}, h.cfg.AllowMethods...), ", ")
}

// preflight answers OPTIONS for a known resource.
func (h *Handler) preflight(w *recorder) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	if h.cfg.TwilioRunPreflight {
		// R61: twilio-run's fixed reply, for test suites written against it.
		hd.Set("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, If-Unmodified-Since, User-Agent")
		hd.Set("Access-Control-Expose-Headers", "ETag")
		hd.Set("Access-Control-Max-Age", "86400")
		hd.Set("Access-Control-Allow-Credentials", "true")
		hd.Set("Content-Type", "text/plain; charset=UTF-8")
	} else {
		hd.Set("Access-Control-Allow-Headers", "*") // R60
	}
	w.WriteHeader(http.StatusNoContent)
}

// EnvValue returns the value of key in the project's .env ("" if unset).
func EnvValue(snap *project.Snapshot, key string) string {
	v := ""
	for _, e := range snap.Env {
		if e.Key == key {
			v = e.Value
		}
	}
	return v
}

// signed checks X-Twilio-Signature against the public URL (R66–R68).
func (h *Handler) signed(r *http.Request, routes *routes, body []byte) bool {
	wr := webhook.Request{URL: h.publicURL(r), Signature: r.Header.Get("X-Twilio-Signature"), Body: body}
	if r.Method == http.MethodPost && event.IsForm(r.Header.Get("Content-Type")) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return false
		}
		wr.Form = form
	}
	return webhook.Validator{AuthToken: routes.authToken}.Valid(wr)
}

// publicURL rebuilds the URL the client requested: the configured public
// base, or the forwarded scheme and host from a trusted proxy, or this
// server's own Host.
func (h *Handler) publicURL(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	switch {
	case h.cfg.PublicURL != nil:
		scheme, host = h.cfg.PublicURL.Scheme, h.cfg.PublicURL.Host
	case h.cfg.TrustProxy:
		if p := firstForwarded(r.Header.Get("X-Forwarded-Proto")); p != "" {
			scheme = p
		}
		if fh := firstForwarded(r.Header.Get("X-Forwarded-Host")); fh != "" {
			host = fh
		}
	}
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") { // absolute-form request target
		target = r.URL.RequestURI()
	}
	return scheme + "://" + host + target
}

func firstForwarded(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// rawPath is the request path as sent, without percent-decoding (R6).
func rawPath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && len(r.TransferEncoding) > 0)
}

// cookieDomain is the Domain that R54 forces on cookies: the host part of
// DOMAIN_NAME. For an IP address or a single-label host such as localhost
// it is "": browsers refuse Domain there, and a host-only cookie is
// already limited to that host.
func cookieDomain(domain string) string {
	host := domain
	if u, err := url.Parse("http://" + domain); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return ""
	}
	return host
}

// newRequestID returns an id in the shape of Twilio's request SIDs.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "RQ" + hex.EncodeToString(b[:])
}

func (h *Handler) logRequest(r *http.Request, w *recorder, req *request, d time.Duration) {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	} else if status >= 400 {
		level = slog.LevelWarn
	}
	if h.cfg.Observer != nil {
		h.cfg.Observer.ObserveRequest(req.kind, status, d)
	}
	ct := w.Header().Get("Content-Type")
	if h.cfg.Dev {
		// One readable line, like twilio-run's request log (R71).
		h.log.Log(context.Background(), level, fmt.Sprintf("%d %s %s %s %s", status, r.Method, req.rawPath, d.Round(10*time.Microsecond), ct))
		return
	}
	h.log.LogAttrs(context.Background(), level, "request",
		slog.Int("status", status),
		slog.String("method", r.Method),
		slog.String("path", req.rawPath),
		// An integer: slog formats floats through json.Marshal, a cost per request.
		slog.Int64("duration_us", d.Microseconds()),
		slog.String("content_type", ct),
		slog.String("request", req.id),
	)
}

// recorder remembers the status for the request log.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// plain writes a short text/plain answer.
func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

// html writes one of twilio-run's fixed text/html answers (R9, R10): fixed
// text, never user input.
func html(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

func notFound(w http.ResponseWriter) {
	html(w, http.StatusNotFound, "Could not find requested resource") // R10
}
