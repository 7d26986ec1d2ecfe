package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ahoy-run/ahoy/bench/load"
)

// The two load generators. Both are closed loops over keep-alive
// connections sending the same GET; wrk is the default because it costs the
// shared cores far less CPU per response than the in-process Go generator.
const (
	genWrk = "wrk" // wrk(1) driven by bench/wrk/report.lua, one process per cell
	genGo  = "go"  // bench/load, in the runner's own process
)

// generator is the load generator a run uses, resolved from -load.
type generator struct {
	name    string // genWrk or genGo
	wrk     string // the wrk binary (genWrk)
	script  string // bench/wrk/report.lua, absolute (genWrk)
	version string // wrk's version line (genWrk)
	note    string // why the Go generator is used, when it was not asked for
}

// resolveGenerator picks the generator for -load (empty: wrk when on PATH,
// else Go).
func resolveGenerator(want, script string) (*generator, error) {
	path, lookErr := exec.LookPath("wrk")
	switch want {
	case genGo:
		return &generator{name: genGo}, nil
	case genWrk, "":
		if lookErr != nil {
			if want == genWrk {
				return nil, fmt.Errorf("-load wrk: %v", lookErr)
			}
			return &generator{name: genGo, note: "wrk is not on PATH"}, nil
		}
	default:
		return nil, fmt.Errorf("-load: %q is neither wrk nor go", want)
	}
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("-wrk-script: %v", err)
	}
	// wrk -v prints "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will
	// Glozer" and the usage, and exits 1.
	out, _ := exec.Command(path, "-v").CombinedOutput()
	version, _, _ := strings.Cut(string(out), "\n")
	version, _, _ = strings.Cut(version, " Copyright")
	return &generator{name: genWrk, wrk: path, script: script, version: strings.TrimSpace(version)}, nil
}

// describe is the generator in one line, for stderr and the report.
func (g *generator) describe() string {
	if g.name == genWrk {
		return fmt.Sprintf("wrk (%s, %s)", g.version, g.wrk)
	}
	s := "the in-process Go generator (bench/load)"
	if g.note != "" {
		s += ", because " + g.note
	}
	return s
}

// run sends one cell of load: conns connections GETting path on addr for
// dur. It returns what was measured and the generator's own CPU time: wrk's
// user+system time (all its threads) from its rusage, or the runner's own
// CPU during the cell for the Go generator. rawPath, when not empty, gets
// wrk's stdout (and stderr, if any).
func (g *generator) run(addr, path string, conns int, dur, timeout time.Duration, rawPath string) (*load.Result, time.Duration, error) {
	if g.name == genGo {
		before := selfCPU()
		r := load.Run(load.Options{Addr: addr, Request: request(addr, path), Conns: conns, Duration: dur, Timeout: timeout})
		return r, selfCPU() - before, nil
	}
	// wrk gives each thread conns/threads connections; two threads use both
	// cores without adding more threads than the machine has.
	threads := min(2, conns)
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", wrkDuration(dur), "--timeout", wrkDuration(timeout), "-s", g.script, "http://" + addr + path}
	// A wrk that hangs must not hang the run: it gets the cell, one timeout
	// and a margin.
	ctx, cancel := context.WithTimeout(context.Background(), dur+timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.wrk, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// wrk dies with the runner, even if the runner is SIGKILLed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if rawPath != "" {
		raw := fmt.Sprintf("$ %s\n%s", cmd.String(), stdout.Bytes())
		if stderr.Len() > 0 {
			raw += "--- stderr ---\n" + stderr.String()
		}
		_ = os.WriteFile(rawPath, []byte(raw), 0o644)
	}
	if err != nil {
		return nil, cpu, fmt.Errorf("wrk %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	s, err := parseWrk(stdout.Bytes())
	if err != nil {
		return nil, cpu, fmt.Errorf("wrk %s: %w", strings.Join(args, " "), err)
	}
	return s.result(conns), cpu, nil
}

// wrkDuration formats d for wrk's -d and --timeout, which take whole
// seconds only (checkWrkDurations makes sure d is).
func wrkDuration(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// checkWrkDurations fails unless every duration wrk is given is a whole,
// positive number of seconds (zero is allowed: that load is skipped).
func checkWrkDurations(ds map[string]time.Duration) error {
	for flag, d := range ds {
		if d < 0 || d%time.Second != 0 {
			return fmt.Errorf("%s %v: wrk takes whole seconds (or use -load go)", flag, d)
		}
	}
	return nil
}

// wrkSummary is the JSON line bench/wrk/report.lua's done() prints. Times
// are in µs.
type wrkSummary struct {
	Requests      int64        `json:"requests"`    // completed responses, any status
	DurationUS    int64        `json:"duration_us"` // how long wrk actually ran
	Bytes         int64        `json:"bytes"`
	OK            int64        `json:"ok"`      // requests - non_2xx (wrk counts status > 399 only)
	Non2xx        int64        `json:"non_2xx"` // wrk's errors.status
	ConnectErrors int64        `json:"connect_errors"`
	ReadErrors    int64        `json:"read_errors"`
	WriteErrors   int64        `json:"write_errors"`
	Timeouts      int64        `json:"timeouts"`
	P50US         int64        `json:"p50_us"`
	P99US         int64        `json:"p99_us"`
	MaxUS         int64        `json:"max_us"`
	MeanUS        float64      `json:"mean_us"`
	Quantiles     [][2]float64 `json:"quantiles_us"` // [percentile, µs], ascending, last at 100 = max
}

// parseWrk finds and parses the JSON line in wrk's output: the last line
// that starts with '{' (wrk's own summary comes before it).
func parseWrk(out []byte) (*wrkSummary, error) {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		line := bytes.TrimSpace(lines[i])
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var s wrkSummary
		if err := json.Unmarshal(line, &s); err != nil {
			return nil, fmt.Errorf("parse the report line %.200q: %w", line, err)
		}
		if s.DurationUS <= 0 || s.OK+s.Non2xx != s.Requests {
			return nil, fmt.Errorf("implausible report line %.200q", line)
		}
		return &s, nil
	}
	return nil, errors.New("no JSON report line in wrk's output (is bench/wrk/report.lua's done() running?)")
}

// result converts the summary to the runner's load.Result. The duration is
// the one wrk measured, so OK/Duration is (requests - non-2xx) per second.
// wrk does not say which statuses it counted as errors (Status stays
// empty), nor how many requests the end of the cell cut (Unfinished stays
// 0; the runner does not report it for wrk). The latency histogram is
// rebuilt from the percentile grid: at each grid point p the histogram
// holds p % of the responses at or below wrk's value, so its quantiles at
// the grid points (p50, p99 among them) are wrk's own, and cells merged
// across rounds keep their weights.
func (s *wrkSummary) result(conns int) *load.Result {
	r := &load.Result{
		Conns:         conns,
		Duration:      time.Duration(s.DurationUS) * time.Microsecond,
		OK:            s.OK,
		Non2xx:        s.Non2xx,
		Status:        map[int]int64{},
		ConnectErrors: s.ConnectErrors,
		IOErrors:      s.ReadErrors + s.WriteErrors,
		Timeouts:      s.Timeouts,
		Latency:       load.NewHistogram(),
	}
	// The latencies are of every response; their count is scaled to the OK
	// ones, which are what the report's latency columns describe (with the
	// servers answering 200, the two are the same).
	n := float64(s.OK)
	var below int64
	for _, q := range s.Quantiles {
		upTo := int64(math.Round(n * min(q[0], 100) / 100))
		if c := upTo - below; c > 0 {
			r.Latency.RecordN(time.Duration(q[1]*float64(time.Microsecond)), uint64(c))
			below = upTo
		}
	}
	return r
}
