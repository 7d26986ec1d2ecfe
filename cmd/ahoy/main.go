// Command ahoy serves a Twilio Functions project folder: `ahoy dev` for local
// development, `ahoy serve` for production.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/ahoy-run/ahoy/internal/event"
	"github.com/ahoy-run/ahoy/internal/gateway"
	"github.com/ahoy-run/ahoy/internal/logs"
	"github.com/ahoy-run/ahoy/internal/server"
)

func main() {
	// The CPUs this process may use, cgroup limits included (Go 1.25+).
	cpus := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") == "" {
		// Most of an invocation's CPU is in the Node workers, which are
		// processes of their own: a Go scheduler with as many Ps as CPUs
		// spins idle Ps looking for work and fights the workers for the
		// same cores. On 2 cores, half the CPUs measured 1.2× the
		// throughput with a quarter less Go CPU per request and a third of
		// the p99 (/headers at 64 connections, wrk, side by side).
		runtime.GOMAXPROCS(goProcs(cpus))
	}
	if os.Getenv("GOGC") == "" {
		// The gateway's live heap is a few MB, so the default GOGC=100
		// collects every few MB of requests: a steady share of the CPU for
		// nothing. 400 keeps the heap in tens of MB, beside workers of
		// 50 MB each. GOGC still overrides it.
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, cpus))
}

// goProcs is how many CPUs the gateway's Go code runs on: half, rounded up.
func goProcs(cpus int) int {
	return max(1, (cpus+1)/2)
}

// run is main without the process: it returns the exit status. cpus is
// the default number of workers.
func run(args []string, stdout, stderr io.Writer, cpus int) int {
	var cli CLI
	exit := -1
	parser, err := kong.New(&cli,
		kong.Name("ahoy"),
		kong.Description("Run Twilio Functions projects anywhere, with the hosted runtime's rules."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.UsageOnError(),
	)
	if err != nil {
		fmt.Fprintln(stderr, "ahoy:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "ahoy:", err)
		return 2
	}
	dev := kctx.Command() == "dev" || strings.HasPrefix(kctx.Command(), "dev ")
	var flags *ServeFlags
	switch {
	case dev:
		flags = &cli.Dev.ServeFlags
	case strings.HasPrefix(kctx.Command(), "serve"):
		flags = &cli.Serve.ServeFlags
	default:
		fmt.Fprintln(stdout, "ahoy", version)
		return 0
	}
	cfg, err := flags.config(dev)
	if err != nil {
		fmt.Fprintln(stderr, "ahoy:", err)
		return 2
	}
	if cfg.Workers <= 0 {
		cfg.Workers = cpus
	}
	cfg.Watch = dev && !cli.Dev.NoWatch
	// One line per request: batch them so logging is not a write(2) each.
	logOut := logs.NewBatchWriter(stderr)
	defer logOut.Close()
	cfg.Logger = logs.New(logOut, dev, slog.LevelInfo)
	cfg.Out = stdout
	return serve(cfg, logOut)
}

// version is set with -ldflags "-X main.version=…" by release builds.
var version = "dev"

// serve runs until SIGINT or SIGTERM, then shuts down gracefully.
func serve(cfg server.Config, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "ahoy:", err)
		return 1
	}
	select {
	case <-ctx.Done():
	case <-s.Done():
	}
	stop() // a second signal kills the process the default way
	cfg.Logger.Info("shutting down: finishing requests in flight")
	// In-flight invocations may run up to the execution limit, plus a margin
	// for the workers to exit.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.Timeout+5*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		cfg.Logger.Error("shutdown", "error", err)
		return 1
	}
	return 0
}

// CLI is the command line.
type CLI struct {
	Serve   ServeCmd   `cmd:"" help:"Serve a project in production mode: JSON logs, no stack traces to clients."`
	Dev     DevCmd     `cmd:"" help:"Serve a project for local development: readable logs, stack traces in error responses."`
	Version VersionCmd `cmd:"" help:"Print the version."`
}

// ServeCmd is `ahoy serve`.
type ServeCmd struct{ ServeFlags }

// DevCmd is `ahoy dev`.
type DevCmd struct {
	ServeFlags
	NoWatch bool `help:"Do not reload when Functions, Assets, package.json or the env file change."`
}

// VersionCmd is `ahoy version`.
type VersionCmd struct{}

// ServeFlags are the settings shared by serve and dev. Every production limit
// defaults to production's value (spec §13).
type ServeFlags struct {
	Dir        string        `arg:"" optional:"" default:"." help:"Project folder (functions/ or src/, assets/ or static/)."`
	Port       int           `default:"3000" env:"PORT" help:"Port to listen on."`
	Host       string        `default:"127.0.0.1" env:"AHOY_HOST" help:"Address to listen on (0.0.0.0 for all interfaces)."`
	Env        string        `name:"env" placeholder:"FILE" help:"Environment file for context and process.env (default DIR/.env)."`
	Workers    int           `default:"0" env:"AHOY_WORKERS" help:"Node worker processes (default: one per CPU this process may use)."`
	Node       string        `default:"node" env:"AHOY_NODE" placeholder:"PATH" help:"Node.js binary (18 or newer)."`
	DomainName string        `env:"AHOY_DOMAIN_NAME" help:"context.DOMAIN_NAME and the cookie domain (default host:port)."`
	Timeout    time.Duration `default:"10s" env:"AHOY_TIMEOUT" help:"R44: execution limit per invocation; then 504."`

	MaxHeaderBytes byteSize `default:"15KB" env:"AHOY_MAX_HEADER_BYTES" help:"R62: request/response header block limit, cookies included; then 431."`
	MaxHeaders     int      `default:"90" env:"AHOY_MAX_HEADERS" help:"R62: request/response header count limit, each cookie counted; then 431."`
	MaxBody        byteSize `default:"1MB" env:"AHOY_MAX_BODY" help:"R20: request size limit, headers included; then 413."`
	MaxResponse    byteSize `name:"max-response-body" default:"4MB" env:"AHOY_MAX_RESPONSE_BODY" help:"R20: response body limit; then 500."`
	MaxInflight    int      `default:"30" env:"AHOY_MAX_INFLIGHT" help:"R46: concurrent invocations; then 429 (0: no limit)."`
	WorkerMemory   int      `default:"512" env:"AHOY_WORKER_MEMORY" help:"V8 heap limit per worker, in MB; a worker over it is replaced."`
	CookieRules    string   `default:"on" enum:"on,off" env:"AHOY_COOKIE_RULES" help:"R54: add HttpOnly/Secure, force Domain, refuse cookies over a day (on|off)."`
	PublicURL      string   `env:"AHOY_PUBLIC_URL" placeholder:"URL" help:"Scheme and host clients use (e.g. https://hooks.example.com); signatures are checked against it."`
	TrustProxy     bool     `env:"AHOY_TRUST_PROXY" help:"Take the public scheme and host from X-Forwarded-Proto/X-Forwarded-Host."`
	Unprotected    bool     `env:"AHOY_UNPROTECTED" help:"R65: serve protected Functions and Assets without checking X-Twilio-Signature."`
	AllowMethods   []string `env:"AHOY_ALLOW_METHODS" placeholder:"METHODS" help:"R13: methods besides GET, POST, HEAD, OPTIONS that reach Functions (e.g. PUT,DELETE)."`

	AdminAddr string `env:"AHOY_ADMIN_ADDR" placeholder:"HOST:PORT" help:"Serve /healthz, /readyz and Prometheus /metrics on this address (off by default)."`

	RestrictedHeaders string `default:"production" enum:"production,twilio-run" env:"AHOY_RESTRICTED_HEADERS" help:"R23: which request headers Functions never see: production (Host too) or twilio-run."`
	Preflight         string `default:"production" enum:"production,twilio-run" env:"AHOY_PREFLIGHT" help:"R60/R61: OPTIONS reply: production (Allow-Headers *) or twilio-run's."`
}

// config turns flags into the server configuration; it reads nothing else.
func (f *ServeFlags) config(dev bool) (server.Config, error) {
	gw := gateway.Defaults()
	gw.Dev = dev
	gw.Timeout = f.Timeout
	gw.MaxHeaderBytes = int(f.MaxHeaderBytes)
	gw.MaxHeaders = f.MaxHeaders
	gw.MaxBody = int64(f.MaxBody)
	gw.MaxResponseBody = int(f.MaxResponse)
	gw.MaxInFlight = f.MaxInflight
	gw.CookieRules = f.CookieRules == "on"
	gw.TrustProxy = f.TrustProxy
	gw.Unprotected = f.Unprotected
	gw.TwilioRunPreflight = f.Preflight == "twilio-run"
	if f.RestrictedHeaders == "twilio-run" {
		gw.HeaderPolicy = event.TwilioRun
	}
	for _, m := range f.AllowMethods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if m == "CONNECT" || m == "TRACE" {
			return server.Config{}, fmt.Errorf("--allow-methods: %s cannot reach Functions", m)
		}
		gw.AllowMethods = append(gw.AllowMethods, m)
	}
	if gw.Timeout <= 0 {
		return server.Config{}, errors.New("--timeout must be positive, e.g. 10s")
	}
	if f.PublicURL != "" {
		u, err := parsePublicURL(f.PublicURL)
		if err != nil {
			return server.Config{}, err
		}
		gw.PublicURL = u
	}
	envFile := f.Env
	if envFile != "" {
		// Relative to where the user typed it, not to the project.
		abs, err := filepath.Abs(envFile)
		if err != nil {
			return server.Config{}, fmt.Errorf("--env %s: %w", envFile, err)
		}
		envFile = abs
	}
	if f.Port < 0 || f.Port > 65535 {
		return server.Config{}, fmt.Errorf("--port %d is not a TCP port (0-65535)", f.Port)
	}
	return server.Config{
		Dir:        f.Dir,
		EnvFile:    envFile,
		Host:       f.Host,
		Port:       f.Port,
		Workers:    f.Workers,
		Node:       f.Node,
		DomainName: f.DomainName,
		WorkerMB:   f.WorkerMemory,
		AdminAddr:  f.AdminAddr,
		Gateway:    gw,
	}, nil
}
