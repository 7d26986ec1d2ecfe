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
	"time"

	"github.com/ahoy-run/ahoy/internal/gateway"
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
}

// Server is a started Ahoy: listening, with warm workers.
type Server struct {
	cfg     Config
	snap    *project.Snapshot
	pool    *worker.Pool
	gw      *gateway.Handler
	http    *http.Server
	ln      net.Listener
	log     *slog.Logger
	stopped chan struct{}
	serr    error
}

// Start loads the project, starts the workers and begins listening. It
// returns an error that tells the user what to fix when the project, the
// settings or Node are not usable.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	snap, err := project.Load(project.Options{Dir: cfg.Dir, EnvFile: cfg.EnvFile})
	if err != nil {
		return nil, err
	}
	for _, w := range snap.Warnings {
		log.Warn(w)
	}
	env := envMap(snap.Env)
	protected := countProtected(snap)
	gw := cfg.Gateway
	gw.Logger = log
	if gw.AuthToken == "" {
		gw.AuthToken = env["AUTH_TOKEN"]
	}
	if protected > 0 && !gw.Unprotected && gw.AuthToken == "" {
		return nil, fmt.Errorf("%d protected Function(s) or Asset(s) need AUTH_TOKEN to check X-Twilio-Signature: set AUTH_TOKEN in %s, or pass --unprotected for local experiments", protected, envFileName(snap))
	}
	if gw.Unprotected && protected > 0 {
		log.Warn(fmt.Sprintf("--unprotected: %d protected Function(s)/Asset(s) are served WITHOUT signature checks; never expose this server", protected))
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

	pool, err := worker.Start(ctx, worker.Options{
		Node:     cfg.Node,
		Count:    cfg.Workers,
		MemoryMB: cfg.WorkerMB,
		// A blocked event loop is killed once it has outlived the execution limit (R44).
		Unresponsive: max(gw.Timeout, time.Second),
		Project:      workerProject(snap, domain),
		Logger:       log,
	})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	h, err := gateway.New(gw, snap, pool)
	if err != nil {
		_ = ln.Close()
		_ = pool.Close(context.Background())
		return nil, err
	}
	s := &Server{cfg: cfg, snap: snap, pool: pool, gw: h, ln: ln, log: log, stopped: make(chan struct{})}
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
	if cfg.Out != nil {
		fmt.Fprintf(cfg.Out, "ahoy: serving %d Functions and %d Assets from %s on http://%s (%d workers)\n",
			len(snap.Functions), len(snap.Assets), snap.Dir, ln.Addr(), poolSize(cfg.Workers))
	}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Snapshot is the project being served.
func (s *Server) Snapshot() *project.Snapshot { return s.snap }

// Shutdown stops accepting connections, lets in-flight requests finish until
// ctx is done, then stops the workers (gracefully, then their process groups).
func (s *Server) Shutdown(ctx context.Context) error {
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		_ = s.http.Close()
	}
	perr := s.pool.Close(ctx)
	<-s.stopped
	return errors.Join(herr, perr, s.serr)
}

// Done is closed when the HTTP server has stopped serving.
func (s *Server) Done() <-chan struct{} { return s.stopped }

func envMap(vars []project.EnvVar) map[string]string {
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.Key] = v.Value
	}
	return m
}

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
