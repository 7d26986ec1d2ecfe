package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/ahoy-run/ahoy/internal/metrics"
	"github.com/ahoy-run/ahoy/internal/worker"
)

// Stats is the current pool's state, with restarts counted across reloads.
func (s *Server) Stats() worker.Stats {
	s.mu.Lock()
	pool, base := s.pool, s.restartsBefore
	s.mu.Unlock()
	st := pool.Stats()
	st.Restarts += base
	return st
}

// startAdmin serves /healthz, /readyz, /metrics and /debug/pprof/ on their own address, so
// no path of the project is taken and the port can stay private.
func (s *Server) startAdmin(addr string, m *metrics.Metrics) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on --admin-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	// Ready while serving with at least one live worker; not ready once a
	// shutdown has begun, so a load balancer stops sending new requests.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		}
		if s.Stats().Workers == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("no live workers\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", m.Handler())
	// Profiles for diagnosing a slow replica in place; the admin address is
	// private, like /metrics.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	s.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	s.adminLn = ln
	go func() {
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin server stopped", "error", err)
		}
	}()
	return nil
}

// AdminAddr is the admin listener's address, nil when there is none.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}

func (s *Server) stopAdmin(ctx context.Context) error {
	if s.admin == nil {
		return nil
	}
	return s.admin.Shutdown(ctx)
}
