// Package server wires a project, a worker pool and the gateway into a
// running HTTP server with a graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ahoy-run/ahoy/internal/gateway"
	"github.com/ahoy-run/ahoy/internal/metrics"
	"github.com/ahoy-run/ahoy/internal/project"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// Config is everything `ahoy serve` and `ahoy dev` need; the CLI builds it
// from flags and environment variables.
type Config struct {
	Dir        string
	EnvFile    string // "" means Dir/.env
	Host       string
	Port       int
	Workers    int // <= 0: one per CPU
	Node       string
	DomainName string // "" means host:port
	WorkerMB   int    // V8 heap limit per worker, MB; 0 = Node's default
	Gateway    gateway.Config
	Logger     *slog.Logger
	// Out receives the one-line "listening" message.
	Out io.Writer
	// AdminAddr, when set, serves /healthz, /readyz and /metrics there.
	AdminAddr string
	// Watch reloads the project when its files change (dev mode, R14).
	Watch bool
	// WatchDebounce groups bursts of file events; 0 means 250ms (twilio-run's).
	WatchDebounce time.Duration
}

// Server is a started Ahoy: listening, with warm workers.
type Server struct {
	cfg     Config
	gwCfg   gateway.Config
	domain  string
	gw      *gateway.Handler
	http    *http.Server
	ln      net.Listener
	log     *slog.Logger
	stopped chan struct{}
	serr    error

	stopWatch context.CancelFunc
	watching  sync.WaitGroup

	admin    *http.Server
	adminLn  net.Listener
	draining atomic.Bool // a shutdown has begun: /readyz says so

	mu             sync.Mutex // guards snap, pool and restartsBefore, which a reload replaces
	snap           *project.Snapshot
	pool           *worker.Pool
	restartsBefore uint64         // worker restarts of pools retired by reloads
	retiring       sync.WaitGroup // old pools draining after a reload
}

// Start loads the project, starts the workers and begins listening. It
// returns an error that tells the user what to fix when the project, the
// settings or Node are not usable.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	gw := cfg.Gateway
	gw.Logger = log
	snap, err := load(cfg, gw)
	if err != nil {
		return nil, err
	}
	for _, w := range snap.Warnings {
		log.Warn(w)
	}
	if n := countProtected(snap); gw.Unprotected && n > 0 {
		log.Warn(fmt.Sprintf("--unprotected: %d protected Function(s)/Asset(s) are served WITHOUT signature checks; never expose this server", n))
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen on %s:%d: %w (is another server using the port? pass --port)", cfg.Host, cfg.Port, err)
	}
	domain := cfg.DomainName
	if domain == "" {
		domain = displayHost(ln.Addr().(*net.TCPAddr), cfg.Host)
	}
	gw.DomainName = domain
	s := &Server{cfg: cfg, gwCfg: gw, domain: domain, ln: ln, log: log, stopped: make(chan struct{}), snap: snap}

	pool, err := worker.Start(ctx, s.workerOptions(snap))
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s.pool = pool
	var m *metrics.Metrics
	if cfg.AdminAddr != "" {
		m = metrics.New(s.Stats)
		gw.Observer = m
	}
	h, err := gateway.New(gw, snap, pool)
	if err == nil && m != nil {
		err = s.startAdmin(cfg.AdminAddr, m)
	}
	if err != nil {
		_ = ln.Close()
		_ = pool.Close(context.Background())
		return nil, err
	}
	s.gw = h
	s.http = &http.Server{
		Handler: h,
		// Slow-loris safety: a client must send its headers and body in time.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Larger than the R62 limit so the 431 is Ahoy's documented one, not
		// net/http's bare answer.
		MaxHeaderBytes: max(4*gw.MaxHeaderBytes, 64<<10),
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.stopped)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serr = err
		}
	}()
	wctx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	if cfg.Watch {
		if err := s.watch(wctx); err != nil {
			log.Warn("cannot watch the project for changes; restart ahoy after editing", "error", err)
		}
	}
	if cfg.Out != nil {
		fmt.Fprintf(cfg.Out, "ahoy: serving %d Functions and %d Assets from %s on http://%s (%d workers)\n",
			len(snap.Functions), len(snap.Assets), snap.Dir, ln.Addr(), poolSize(cfg.Workers))
	}
	return s, nil
}

// load scans the project and checks what the settings need of it.
func load(cfg Config, gw gateway.Config) (*project.Snapshot, error) {
	snap, err := project.Load(project.Options{Dir: cfg.Dir, EnvFile: cfg.EnvFile})
	if err != nil {
		return nil, err
	}
	protected := countProtected(snap)
	if protected > 0 && !gw.Unprotected && gw.AuthToken == "" && gateway.EnvValue(snap, "AUTH_TOKEN") == "" {
		return nil, fmt.Errorf("%d protected Function(s) or Asset(s) need AUTH_TOKEN to check X-Twilio-Signature: set AUTH_TOKEN in %s, or pass --unprotected for local experiments", protected, envFileName(snap))
	}
	return snap, nil
}

func (s *Server) workerOptions(snap *project.Snapshot) worker.Options {
	return worker.Options{
		Node:     s.cfg.Node,
		Count:    s.cfg.Workers,
		MemoryMB: s.cfg.WorkerMB,
		// A blocked event loop is killed once it has outlived the execution limit (R44).
		Unresponsive: max(s.gwCfg.Timeout, time.Second),
		Project:      workerProject(snap, s.domain),
		Logger:       s.log,
	}
}

// Reload rescans the project and serves it from fresh workers: new requests
// go to the new snapshot at once, requests in flight finish on the old
// workers, which then stop. On error the previous version keeps serving.
func (s *Server) Reload(ctx context.Context) error {
	snap, err := load(s.cfg, s.gwCfg)
	if err != nil {
		return err
	}
	pool, err := worker.Start(ctx, s.workerOptions(snap))
	if err != nil {
		return err
	}
	if err := s.gw.Swap(snap, pool); err != nil {
		_ = pool.Close(context.Background())
		return err
	}
	s.mu.Lock()
	old := s.pool
	s.snap, s.pool = snap, pool
	s.restartsBefore += old.Stats().Restarts
	s.mu.Unlock()
	s.retiring.Go(func() {
		cctx, cancel := context.WithTimeout(context.Background(), s.gwCfg.Timeout+5*time.Second)
		defer cancel()
		_ = old.Close(cctx)
	})
	for _, w := range snap.Warnings {
		s.log.Warn(w)
	}
	s.log.Info(fmt.Sprintf("reloaded: %d Functions and %d Assets", len(snap.Functions), len(snap.Assets)))
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Snapshot is the project being served.
func (s *Server) Snapshot() *project.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

// Shutdown stops accepting connections, lets in-flight requests finish until
// ctx is done, then stops the workers (gracefully, then their process groups).
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.stopWatch()
	s.watching.Wait()
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		_ = s.http.Close()
	}
	s.mu.Lock()
	pool := s.pool
	s.mu.Unlock()
	perr := pool.Close(ctx)
	s.retiring.Wait()
	<-s.stopped
	aerr := s.stopAdmin(ctx)
	return errors.Join(herr, perr, aerr, s.serr)
}

// Done is closed when the HTTP server has stopped serving.
func (s *Server) Done() <-chan struct{} { return s.stopped }

func countProtected(snap *project.Snapshot) int {
	n := 0
	for _, list := range [][]*project.Resource{snap.Functions, snap.Assets} {
		for _, r := range list {
			if r.Visibility == project.Protected {
				n++
			}
		}
	}
	return n
}

func envFileName(snap *project.Snapshot) string {
	if snap.EnvFile != "" {
		return snap.EnvFile
	}
	return ".env"
}

func workerProject(snap *project.Snapshot, domain string) worker.Project {
	p := worker.Project{Dir: snap.Dir, DomainName: domain, EventRequest: snap.Handler.EventRequest()}
	for _, v := range snap.Env {
		p.Env = append(p.Env, worker.EnvVar{Key: v.Key, Value: v.Value})
	}
	for _, f := range snap.Functions {
		p.Functions = append(p.Functions, worker.Resource{Key: f.Path[1:], File: f.File})
	}
	for _, a := range snap.Assets {
		if a.Visibility == project.Private {
			p.PrivateAssets = append(p.PrivateAssets, worker.Resource{Key: a.Path, File: a.File})
		}
	}
	return p
}

// displayHost is host:port as clients would write it (DOMAIN_NAME's default).
func displayHost(addr *net.TCPAddr, host string) string {
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

func poolSize(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}
