// Command runner is the side-by-side benchmark behind bench/run.sh. On one
// machine in one run it serves bench/project with Ahoy, twilio-run (forked
// and inline) and a hand-written node:http server, drives each over
// loopback with wrk (bench/wrk/report.lua) or, without wrk, the in-process
// bench/load generator, in interleaved rounds, and prints a
// Markdown report (throughput, latency, CPU per request, cold start, memory
// and Ahoy's ratios to the others) to stdout. Raw data and server logs go to
// -results/<timestamp>/. Progress goes to stderr.
//
// It is a program, not a test: the numbers depend on the machine, so only
// ratios measured side by side mean anything.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ahoy-run/ahoy/bench/load"
)

// endpoint is one URL of bench/project and a fragment its 200 body holds.
type endpoint struct {
	Name, Path, Want string
}

var endpoints = []endpoint{
	{"hello", "/hello?name=Ada", "Hello Ada"},
	{"twiml", "/twiml", "<Say voice=\"alice\">"},
	{"headers", "/headers", `"session":"abc"`},
	{"async", "/async", `"ok":true`},
	{"static", "/static.txt", "public Asset"},
}

// request is what every load connection sends: a browser-ish GET with the
// header and cookies /headers reads. bench/wrk/report.lua sets the same
// headers for wrk; keep the two alike.
func request(addr, path string) []byte {
	return load.NewGET(addr, path, "User-Agent: ahoy-bench/1.0", "Accept: */*", "Cookie: session=abc; theme=dark")
}

// workDir holds the scratch project copies; the interrupt handler removes it.
var workDir string

// config is the runner's flags, resolved.
type config struct {
	dur, warmup, timeout time.Duration
	rounds, cold         int
	conns                []int
	endpoints            []endpoint
	kinds                []*kind
	tools                tools
	gen                  *generator
	project, results     string
	quick                bool
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
	becomeSubreaper()
	// On SIGINT/SIGTERM stop every server before exiting; the load in
	// progress is abandoned.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "\nrunner: %v: stopping the servers\n", sig)
		servers.stopAll()
		if workDir != "" {
			os.RemoveAll(workDir)
		}
		os.Exit(130)
	}()
	err = run(cfg)
	servers.stopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func parseFlags() (*config, error) {
	var (
		cfg                                    config
		conns, eps, srvs                       string
		ahoy, node, modules, nodeHTTP, project string
		loadGen, wrkScript                     string
	)
	flag.DurationVar(&cfg.dur, "d", 3*time.Second, "duration of each load cell (one server × endpoint × connection count)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds; each runs every cell once for every server, in rotated server order")
	flag.StringVar(&conns, "conns", "1,8,64", "connection counts, comma-separated")
	flag.StringVar(&eps, "endpoints", "hello,twiml,headers,async,static", "endpoints, comma-separated")
	flag.StringVar(&srvs, "servers", "ahoy,node-http,twilio-run-inline,twilio-run", "servers, comma-separated")
	flag.BoolVar(&cfg.quick, "quick", false, "only /headers at 64 connections, one round (for iterating)")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "load per endpoint at 8 connections after a server starts, not measured")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout (then the connection is replaced)")
	flag.IntVar(&cfg.cold, "cold", 5, "cold-start launches per server (the median is reported)")
	flag.IntVar(&cfg.tools.workers, "workers", 0, "Ahoy's --workers (default: one per CPU, Ahoy's own default)")
	flag.StringVar(&ahoy, "ahoy", "", "the ahoy binary to measure (required)")
	flag.StringVar(&node, "node", "node", "node binary for twilio-run and node-http")
	flag.StringVar(&modules, "modules", "bench/twilio-run/node_modules", "installed twilio-run, runtime handler and twilio")
	flag.StringVar(&nodeHTTP, "node-http", "bench/node-http/server.js", "the hand-written node:http server")
	flag.StringVar(&project, "project", "bench/project", "the project every server serves")
	flag.StringVar(&cfg.results, "results", "bench/results", "where the <timestamp>/ folder of raw results goes")
	flag.StringVar(&loadGen, "load", "", "load generator: wrk or go (default: wrk when it is on PATH, else go)")
	flag.StringVar(&wrkScript, "wrk-script", "bench/wrk/report.lua", "the wrk script (request headers and the JSON summary line)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: runner -ahoy PATH [flags]   (normally run by bench/run.sh)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	if ahoy == "" {
		return nil, errors.New("-ahoy is required")
	}
	if cfg.quick {
		conns, eps, cfg.rounds = "64", "headers", 1
	}
	if cfg.dur <= 0 || cfg.rounds < 1 || cfg.cold < 0 || cfg.timeout <= 0 {
		return nil, errors.New("-d and -timeout must be positive, -rounds at least 1")
	}
	if cfg.tools.workers <= 0 {
		cfg.tools.workers = numCPU()
	}
	for _, c := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conns: bad count %q", c)
		}
		cfg.conns = append(cfg.conns, n)
	}
	for _, name := range strings.Split(eps, ",") {
		i := slices.IndexFunc(endpoints, func(e endpoint) bool { return e.Name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("-endpoints: unknown %q (have hello, twiml, headers, async, static)", name)
		}
		cfg.endpoints = append(cfg.endpoints, endpoints[i])
	}
	for _, name := range strings.Split(srvs, ",") {
		k := kindByName(strings.TrimSpace(name))
		if k == nil {
			return nil, fmt.Errorf("-servers: unknown %q (have ahoy, node-http, twilio-run-inline, twilio-run)", name)
		}
		cfg.kinds = append(cfg.kinds, k)
	}
	var err error
	abs := func(p string) string {
		if err == nil {
			p, err = filepath.Abs(p)
		}
		return p
	}
	cfg.tools.ahoy, cfg.tools.modules, cfg.tools.nodeHTTP = abs(ahoy), abs(modules), abs(nodeHTTP)
	cfg.project, cfg.results = abs(project), abs(cfg.results)
	wrkScript = abs(wrkScript)
	cfg.tools.node = node
	if err != nil {
		return nil, err
	}
	if cfg.gen, err = resolveGenerator(loadGen, wrkScript); err != nil {
		return nil, err
	}
	if cfg.gen.name == genWrk {
		if err := checkWrkDurations(map[string]time.Duration{"-d": cfg.dur, "-timeout": cfg.timeout, "-warmup": cfg.warmup}); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.tools.modules, "twilio")); err != nil {
		return nil, fmt.Errorf("-modules: %v (bench/run.sh installs it)", err)
	}
	return &cfg, nil
}

// numCPU is the CPU count Ahoy's own default would use.
func numCPU() int {
	n := 0
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(data), "\nprocessor")
		if strings.HasPrefix(string(data), "processor") {
			n++
		}
	}
	return max(n, 1)
}

// cellRecord is one load cell's raw result, one JSON line in cells.jsonl.
type cellRecord struct {
	Round     int       `json:"round"`
	Position  int       `json:"position"` // the server's place (0-based) in this cell's order
	Server    string    `json:"server"`
	Endpoint  string    `json:"endpoint"`
	Started   time.Time `json:"started"`
	Generator string    `json:"generator"` // genWrk or genGo
	*load.Result
	// Unfinished hides load.Result's field of that name in the JSON (the
	// shallower field wins): requests cut by the end of the cell, counted
	// by the Go generator only, so absent for wrk rather than a false 0.
	Unfinished *int64     `json:"unfinished,omitempty"`
	RPS        float64    `json:"rps"`
	P50        int64      `json:"p50_ns"`
	P99        int64      `json:"p99_ns"`
	Max        int64      `json:"max_ns"`
	CPUTicks   int64      `json:"server_cpu_ticks"` // over the server's session, at 100 per second
	GenCPU     int64      `json:"generator_cpu_ns"` // wrk's CPU (its rusage), or the runner's own during the cell for the Go generator
	PeakRSS    int64      `json:"peak_rss_bytes,omitempty"`
	PeakProcs  int        `json:"peak_procs,omitempty"`
	SettleMS   int64      `json:"settle_ms"`           // waited afterwards for the server to go idle
	Restarted  bool       `json:"restarted,omitempty"` // not idle within settleLimit, so restarted
	Histogram  [][2]int64 `json:"latency_histogram_ns"`
	serverKind *kind
}

// coldRecord is one cold-start launch.
type coldRecord struct {
	Server string  `json:"server"`
	Launch int     `json:"launch"`
	MS     float64 `json:"ms"`
	Error  string  `json:"error,omitempty"`
}

// memRecord is a server's memory: idle after start-up, and the peak sampled
// during the cells at the highest connection count.
type memRecord struct {
	Server    string `json:"server"`
	IdleRSS   int64  `json:"idle_rss_bytes"`
	IdleProcs int    `json:"idle_procs"`
	PeakRSS   int64  `json:"peak_rss_bytes"`
	PeakProcs int    `json:"peak_procs"`
}

// results is everything measured, what the report is made from.
type results struct {
	cfg   *config
	meta  map[string]string
	cells []cellRecord
	cold  []coldRecord
	mem   map[string]*memRecord
}

func run(cfg *config) error {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	outDir := filepath.Join(cfg.results, stamp)
	logDir := filepath.Join(outDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "ahoy-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	workDir = work
	progress("results in %s", outDir)
	if cfg.gen.note != "" {
		// The fallback: say so on one line, with what it costs.
		progress("load generator: %s; it takes more of the servers' shared CPU per response than wrk (the report gives the figure; apt-get install wrk)", cfg.gen.describe())
	} else {
		progress("load generator: %s", cfg.gen.describe())
	}
	wrkDir := ""
	if cfg.gen.name == genWrk {
		wrkDir = filepath.Join(outDir, "wrk")
		if err := os.MkdirAll(wrkDir, 0o755); err != nil {
			return err
		}
	}

	// One scratch copy of the project per server, each with the same
	// node_modules symlinked in (twilio for every server; twilio-run and
	// its runtime handler for twilio-run).
	dirs := map[string]string{}
	for _, k := range cfg.kinds {
		dir := filepath.Join(work, k.Name)
		if err := exec.Command("cp", "-R", cfg.project, dir).Run(); err != nil {
			return fmt.Errorf("copy the project: %w", err)
		}
		_ = os.RemoveAll(filepath.Join(dir, "node_modules"))
		if err := os.Symlink(cfg.tools.modules, filepath.Join(dir, "node_modules")); err != nil {
			return err
		}
		dirs[k.Name] = dir
	}
	res := &results{cfg: cfg, meta: collectMeta(cfg, stamp), mem: map[string]*memRecord{}}
	rawCells, err := os.Create(filepath.Join(outDir, "cells.jsonl"))
	if err != nil {
		return err
	}
	defer rawCells.Close()

	// 1. Cold starts, interleaved across servers, before anything else runs.
	if cfg.cold > 0 {
		for i := range cfg.cold {
			for _, k := range rotate(cfg.kinds, i) {
				rec := coldRecord{Server: k.Name, Launch: i + 1}
				d, err := coldStart(cfg, k, dirs[k.Name], filepath.Join(logDir, k.Name+"-cold.log"))
				if err != nil {
					rec.Error = err.Error()
					progress("cold start %d/%d %-18s error: %v", i+1, cfg.cold, k.Name, err)
				} else {
					rec.MS = float64(d) / float64(time.Millisecond)
					progress("cold start %d/%d %-18s %7.1f ms", i+1, cfg.cold, k.Name, rec.MS)
				}
				res.cold = append(res.cold, rec)
			}
		}
	}

	// 2. Start every server; check each endpoint; idle memory; warm up.
	live := map[string]*server{}
	for _, k := range cfg.kinds {
		s, err := launch(cfg, k, dirs[k.Name], filepath.Join(logDir, k.Name+".log"))
		if err != nil {
			return err
		}
		live[k.Name] = s
		for _, e := range cfg.endpoints {
			for range 3 {
				if err := s.check(request(s.addr, e.Path), e.Want); err != nil {
					return fmt.Errorf("%s %s: %w", k.Name, e.Path, err)
				}
			}
		}
		time.Sleep(time.Second)
		u := sessionUsage(s.sid)
		res.mem[k.Name] = &memRecord{Server: k.Name, IdleRSS: u.rss, IdleProcs: u.procs}
		progress("%-18s up on %s, idle %s in %d processes", k.Name, s.addr, mib(u.rss), u.procs)
		if cfg.warmup > 0 {
			for _, e := range cfg.endpoints {
				if _, _, err := cfg.gen.run(s.addr, e.Path, min(8, slices.Max(cfg.conns)), cfg.warmup, cfg.timeout, ""); err != nil {
					return fmt.Errorf("warm-up of %s: %w", k.Name, err)
				}
			}
			s.waitQuiet(15 * time.Second)
		}
	}

	// 3. The rounds. Cell k of round r runs the servers rotated by
	// r×cells+k, so over a run each server takes each place in the order
	// equally often and machine drift hits all alike.
	type cell struct {
		e     endpoint
		conns int
	}
	var cells []cell
	for _, e := range cfg.endpoints {
		for _, c := range cfg.conns {
			cells = append(cells, cell{e, c})
		}
	}
	maxConns := slices.Max(cfg.conns)
	total := cfg.rounds * len(cells) * len(cfg.kinds)
	done := 0
	began := time.Now()
	for r := range cfg.rounds {
		for ci, c := range cells {
			for pos, k := range rotate(cfg.kinds, r*len(cells)+ci) {
				s := live[k.Name]
				if s.exited() {
					return fmt.Errorf("%s exited during the run (%v); see %s", k.Name, s.err, filepath.Join(logDir, k.Name+".log"))
				}
				raw := ""
				if wrkDir != "" {
					raw = filepath.Join(wrkDir, fmt.Sprintf("r%d-%s-c%d-%s.txt", r+1, c.e.Name, c.conns, k.Name))
				}
				rec, err := measureCell(cfg, s, c.e, c.conns, c.conns == maxConns, raw)
				if err != nil {
					return err
				}
				rec.Round, rec.Position = r+1, pos
				if rec.SettleMS >= settleLimit.Milliseconds() {
					// Still busy with work the load left behind (twilio-run's
					// forked processes run on after their clients have gone):
					// start it afresh rather than let that work run into the
					// next server's cell.
					progress("%s still busy %v after its cell: restarting it", k.Name, settleLimit)
					s.stop()
					if s, err = launch(cfg, k, dirs[k.Name], filepath.Join(logDir, k.Name+".log")); err != nil {
						return err
					}
					live[k.Name] = s
					s.waitQuiet(settleLimit)
					rec.Restarted = true
				}
				res.cells = append(res.cells, rec)
				line, _ := json.Marshal(rec)
				rawCells.Write(append(line, '\n'))
				done++
				eta := time.Duration(float64(time.Since(began)) / float64(done) * float64(total-done)).Round(time.Second)
				progress("[%d/%d, eta %v] round %d %-8s c=%-3d %-18s %8.0f req/s p99 %9s cpu %s/req err %d non2xx %d%s",
					done, total, eta, r+1, c.e.Name, c.conns, k.Name, rec.RPS, fmtDur(time.Duration(rec.P99)),
					fmtDur(cpuPerReq(rec.CPUTicks, rec.OK)), rec.Errors(), rec.Non2xx,
					settleNote(rec.SettleMS))
			}
		}
	}
	for _, k := range cfg.kinds {
		live[k.Name].stop()
	}
	for _, rec := range res.cells {
		if m := res.mem[rec.Server]; m != nil && rec.PeakRSS > m.PeakRSS {
			m.PeakRSS, m.PeakProcs = rec.PeakRSS, rec.PeakProcs
		}
	}

	// 4. Raw files and the report. Request logs of a long run reach
	// hundreds of MB; their head and tail are what anyone reads.
	if entries, err := os.ReadDir(logDir); err == nil {
		for _, e := range entries {
			trimLog(filepath.Join(logDir, e.Name()), 2<<20)
		}
	}
	res.meta["loadavg_at_end"] = loadavg()
	if err := writeJSON(filepath.Join(outDir, "coldstart.json"), res.cold); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(outDir, "memory.json"), res.mem); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(outDir, "meta.json"), res.meta); err != nil {
		return err
	}
	md := renderReport(res)
	if err := os.WriteFile(filepath.Join(outDir, "report.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	if per, ok := genCPUPerResponse(aggregate(res.cells)); ok {
		progress("load generator %s used %s of CPU per response", cfg.gen.name, fmtDur(per))
	}
	progress("done in %v; raw results, logs and report.md in %s", time.Since(began).Round(time.Second), outDir)
	return nil
}

// launch starts a long-running server and waits for its first 200.
func launch(cfg *config, k *kind, dir, logPath string) (*server, error) {
	t0 := time.Now()
	s, err := start(&cfg.tools, k, dir, logPath)
	if err != nil {
		return nil, err
	}
	if _, err := s.waitReady(request(s.addr, "/hello?name=Ada"), t0, 5*time.Millisecond, 60*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return s, nil
}

// coldStart launches k, measures from just before the process is started
// to the first 200 on /hello (polled every 3 ms on fresh connections), and
// stops it.
func coldStart(cfg *config, k *kind, dir, logPath string) (time.Duration, error) {
	t0 := time.Now()
	s, err := start(&cfg.tools, k, dir, logPath)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	return s.waitReady(request(s.addr, "/hello?name=Ada"), t0, 3*time.Millisecond, 60*time.Second)
}

// settleLimit is how long a server may stay busy after its cell before it
// is restarted.
const settleLimit = 3 * time.Second

// measureCell runs one load cell against s and records the server's CPU
// (session CPU before and after), the generator's CPU, and, when sampleRSS,
// the session's peak resident memory sampled every 100 ms. rawPath, when
// not empty, gets wrk's output.
func measureCell(cfg *config, s *server, e endpoint, conns int, sampleRSS bool, rawPath string) (cellRecord, error) {
	rec := cellRecord{Server: s.kind.Name, Endpoint: e.Name, Started: time.Now().UTC(), serverKind: s.kind, Generator: cfg.gen.name}
	var (
		wg       sync.WaitGroup
		stopRSS  = make(chan struct{})
		peak     usage
		sampleMu sync.Mutex
	)
	if sampleRSS {
		wg.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				u := sessionUsage(s.sid)
				sampleMu.Lock()
				if u.rss > peak.rss {
					peak = u
				}
				sampleMu.Unlock()
				select {
				case <-stopRSS:
					return
				case <-t.C:
				}
			}
		})
	}
	before := sessionUsage(s.sid)
	r, genCPU, err := cfg.gen.run(s.addr, e.Path, conns, cfg.dur, cfg.timeout, rawPath)
	after := sessionUsage(s.sid)
	close(stopRSS)
	wg.Wait()
	if err != nil {
		return rec, fmt.Errorf("%s %s c=%d: %w", s.kind.Name, e.Path, conns, err)
	}
	rec.Result = r
	if cfg.gen.name == genGo {
		rec.Unfinished = &r.Unfinished
	}
	rec.RPS = r.RPS()
	rec.P50, rec.P99, rec.Max = int64(r.Latency.Quantile(0.5)), int64(r.Latency.Quantile(0.99)), r.Latency.Max
	rec.CPUTicks = max(after.ticks-before.ticks, 0)
	rec.GenCPU = int64(genCPU)
	if sampleRSS {
		rec.PeakRSS, rec.PeakProcs = max(peak.rss, after.rss), max(peak.procs, after.procs)
	}
	rec.Histogram = r.Latency.Sparse()
	rec.SettleMS = s.waitQuiet(settleLimit).Milliseconds()
	return rec, nil
}

// rotate returns ks rotated left by n.
func rotate(ks []*kind, n int) []*kind {
	n %= len(ks)
	return append(slices.Clone(ks[n:]), ks[:n]...)
}

func settleNote(ms int64) string {
	if ms < 500 {
		return ""
	}
	return fmt.Sprintf(" (busy for %.1fs after the cell)", float64(ms)/1000)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// collectMeta records what the numbers depend on: the machine, the
// versions, the checkout and the flags.
func collectMeta(cfg *config, stamp string) map[string]string {
	out := func(name string, args ...string) string {
		b, err := exec.Command(name, args...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	m := map[string]string{
		"timestamp": stamp,
		"cpus":      strconv.Itoa(numCPU()),
		"kernel":    out("uname", "-sr"),
		"node":      out(cfg.tools.node, "--version"),
		"go":        out("go", "env", "GOVERSION"),
		"commit":    out("git", "rev-parse", "--short", "HEAD"),
		"args":      strings.Join(os.Args[1:], " "),
		"load":      cfg.gen.describe(),
	}
	if out("git", "status", "--porcelain", "--untracked-files=no") != "" {
		m["commit"] += " (with uncommitted changes)"
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				m["cpu"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	m["loadavg_at_start"] = loadavg()
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 1 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			m["memory"] = mib(kb << 10)
		}
	}
	return m
}

// loadavg returns the 1, 5 and 15-minute load averages: a busy machine is
// the first suspect when numbers move between runs.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// trimLog keeps the first and last keep/2 bytes of a log longer than keep.
func trimLog(path string, keep int64) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() <= keep {
		return
	}
	head, tail := make([]byte, keep/2), make([]byte, keep/2)
	if _, err := f.ReadAt(head, 0); err != nil {
		return
	}
	if _, err := f.ReadAt(tail, st.Size()-keep/2); err != nil {
		return
	}
	note := fmt.Sprintf("\n[... bench runner: %d bytes of this log elided ...]\n", st.Size()-keep)
	_ = os.WriteFile(path, slices.Concat(head, []byte(note), tail), 0o644)
}
