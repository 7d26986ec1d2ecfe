package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ahoy-run/ahoy/bench/load"
)

// The targets (issue 4), checked on /headers at 64 connections.
const (
	targetEndpoint      = "headers"
	targetConns         = 64
	targetVsNodeHTTP    = 0.75 // Ahoy throughput ≥ 0.75 × node:http
	targetVsInline      = 5.0  // Ahoy throughput ≥ 5 × twilio-run --no-fork-process --no-live
	targetP99VsNodeHTTP = 2.0  // Ahoy p99 ≤ 2 × node:http's
	targetColdStart     = 250 * time.Millisecond
	targetIdleMemory    = 150 << 20 // bytes, the whole process tree with 2 workers
)

// agg is one server × endpoint × connection count over every round.
type agg struct {
	res      *load.Result // merged: summed counts and durations, merged latencies
	cpuTicks int64
	genCPU   time.Duration
	cells    int
}

func (a *agg) cpuPerReq() time.Duration { return cpuPerReq(a.cpuTicks, a.res.OK) }

// cpuPerReq is the server's CPU time per OK response.
func cpuPerReq(ticks, ok int64) time.Duration {
	if ok == 0 {
		return 0
	}
	return time.Duration(cpuSeconds(ticks) / float64(ok) * float64(time.Second))
}

type aggKey struct {
	server, endpoint string
	conns            int
}

func aggregate(cells []cellRecord) map[aggKey]*agg {
	out := map[aggKey]*agg{}
	for _, c := range cells {
		k := aggKey{c.Server, c.Endpoint, c.Conns}
		a := out[k]
		if a == nil {
			a = &agg{res: &load.Result{Conns: c.Conns, Latency: load.NewHistogram()}}
			out[k] = a
		}
		a.res.Merge(c.Result)
		a.cpuTicks += c.CPUTicks
		a.genCPU += time.Duration(c.GenCPU)
		a.cells++
	}
	return out
}

// renderReport writes the Markdown report.
func renderReport(res *results) string {
	cfg := res.cfg
	aggs := aggregate(res.cells)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := res.meta

	p("# Ahoy side-by-side benchmark, %s\n\n", m["timestamp"])
	p("Machine: %s CPUs (%s), %s RAM, %s; load average %s at the start, %s at the end. Node %s, %s; Ahoy at commit %s.\n\n",
		m["cpus"], m["cpu"], m["memory"], m["kernel"], m["loadavg_at_start"], m["loadavg_at_end"], m["node"], m["go"], m["commit"])
	genCost := "–"
	if per, ok := genCPUPerResponse(aggs); ok {
		genCost = fmtDur(per)
	}
	switch cfg.gen.name {
	case genWrk:
		p("Load generator: **wrk** (%s), `wrk -t min(2, conns) -c conns -d %s --timeout %s -s bench/wrk/report.lua`, one process per cell; "+
			"it used **%s of CPU per response** (its own user+system time).\n\n", cfg.gen.version, wrkDuration(cfg.dur), wrkDuration(cfg.timeout), genCost)
	default:
		why := ""
		if cfg.gen.note != "" {
			why = " (" + cfg.gen.note + ")"
		}
		p("Load generator: **the in-process Go generator** (`bench/load`, in the runner's own process)%s; "+
			"it used **%s of CPU per response**, on the same cores as the servers.\n\n", why, genCost)
	}
	p("Every server serves a copy of `bench/project` on 127.0.0.1 and is loaded from the same machine "+
		"(closed loop: each connection sends its next keep-alive GET when the previous response is in). "+
		"%d round(s); each round runs every endpoint × connection count for every server, %v per cell, servers in rotated order. "+
		"Ahoy: `ahoy serve --workers %d --max-inflight 0`, production rules on. Runner flags: `%s`.\n\n",
		cfg.rounds, cfg.dur, cfg.tools.workers, m["args"])
	if cfg.gen.name == genWrk {
		p("Columns: **req/s** = responses with a status below 400 per second (wrk counts 400 and above as errors; every server answers 200) over all rounds; "+
			"**p50/p99** = latency of the responses, request written to last byte read, as wrk measures it; "+
			"**CPU/req** = CPU time of the server's whole process tree (user+system, children included) per such response; "+
			"**errors** = connect, read and write failures and timeouts (per-request timeout %v); **non-2xx** = responses with a status of 400 or above; "+
			"requests still in flight when a cell ends are dropped by wrk, neither counted nor errors.\n\n", cfg.timeout)
	} else {
		p("Columns: **req/s** = 2xx responses per second (over all rounds); **p50/p99** = latency of 2xx responses, request written to last byte read; "+
			"**CPU/req** = CPU time of the server's whole process tree (user+system, children included) per 2xx response; "+
			"**errors** = connect/read failures and timeouts (per-request timeout %v); **non-2xx** = complete responses with another status; "+
			"requests still in flight when a cell ends are dropped, neither counted nor errors (raw `unfinished`).\n\n", cfg.timeout)
	}

	// Results per endpoint.
	for _, e := range cfg.endpoints {
		p("## `GET %s`\n\n", e.Path)
		p("| conns | server | req/s | p50 | p99 | CPU/req | errors | non-2xx |\n|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range cfg.conns {
			for _, k := range cfg.kinds {
				a := aggs[aggKey{k.Name, e.Name, c}]
				if a == nil {
					continue
				}
				name := k.Title
				if k.Name == "ahoy" {
					name = "**" + name + "**"
				}
				rate := fmtRate(a.res.RPS())
				if a.res.OK == 0 {
					if cfg.gen.name == genGo {
						rate = fmt.Sprintf("0 (%d cut at the cells' end)", a.res.Unfinished)
					} else {
						rate = "0 (none completed within the cells)"
					}
				}
				p("| %d | %s | %s | %s | %s | %s | %s | %s |\n", c, name, rate,
					fmtDur(a.res.Latency.Quantile(0.5)), fmtDur(a.res.Latency.Quantile(0.99)), fmtCPU(a),
					fmtErrors(a.res), fmtNon2xx(a.res))
			}
		}
		p("\n")
	}

	restarts := map[string]int{}
	for _, c := range res.cells {
		if c.Restarted {
			restarts[c.Server]++
		}
	}
	for _, k := range cfg.kinds {
		if n := restarts[k.Name]; n > 0 {
			p("%s was still busy %v after %d of its cells (work left over by dropped requests) and was restarted after each, so that work could not run into the next server's cell.\n\n",
				k.Title, settleLimit, n)
		}
	}

	// Cold start and memory.
	maxConns := slices.Max(cfg.conns)
	p("## Cold start and memory\n\n")
	p("Cold start: from launching the process to the first 200 on `/hello`, polled every 3 ms on fresh connections; median (and range) of %d launches per server, interleaved. "+
		"Memory: resident memory (RSS) summed over every process in the server's session (Ahoy and its Node workers; twilio-run and its forked processes), "+
		"idle = after start-up, a few requests to each endpoint and 1 s of rest; under load = the peak of 100 ms samples during the %d-connection cells.\n\n",
		cfg.cold, maxConns)
	p("| server | cold start | range | idle RSS | processes | RSS under load (%d conns) | processes |\n|---|---:|---:|---:|---:|---:|---:|\n", maxConns)
	for _, k := range cfg.kinds {
		med, lo, hi, n, errs := coldStats(res.cold, k.Name)
		cs, rng := "–", "–"
		if n > 0 {
			cs, rng = fmtDur(med), fmtDur(lo)+" – "+fmtDur(hi)
		}
		if errs > 0 {
			rng += fmt.Sprintf(" (%d failed)", errs)
		}
		mm := res.mem[k.Name]
		if mm == nil {
			mm = &memRecord{}
		}
		p("| %s | %s | %s | %s | %d | %s | %d |\n", k.Title, cs, rng, mib(mm.IdleRSS), mm.IdleProcs, mib(mm.PeakRSS), mm.PeakProcs)
	}
	p("\n")

	// Ratios.
	ahoy := kindByName("ahoy")
	if !slices.Contains(cfg.kinds, ahoy) || len(cfg.kinds) < 2 {
		return b.String()
	}
	others := slices.DeleteFunc(slices.Clone(cfg.kinds), func(k *kind) bool { return k == ahoy })
	ratioCell := pickTargetCell(cfg)
	p("## Ahoy ÷ each server\n\n")
	p("On `%s` at %d connections. Throughput: above 1 means Ahoy serves more; p99, CPU/request, memory and cold start: below 1 means Ahoy needs less.\n\n",
		pathOf(cfg, ratioCell.endpoint), ratioCell.conns)
	p("| Ahoy ÷ | throughput | p99 | CPU/request | idle memory | memory under load | cold start |\n|---|---:|---:|---:|---:|---:|---:|\n")
	ah := aggs[aggKey{"ahoy", ratioCell.endpoint, ratioCell.conns}]
	for _, k := range others {
		o := aggs[aggKey{k.Name, ratioCell.endpoint, ratioCell.conns}]
		var tput, p99, cpu float64 = math.NaN(), math.NaN(), math.NaN()
		if ah != nil && o != nil {
			tput = ratio(ah.res.RPS(), o.res.RPS())
			if ah.res.OK > 0 && o.res.OK > 0 { // no latency or CPU per request without responses
				p99 = ratio(float64(ah.res.Latency.Quantile(0.99)), float64(o.res.Latency.Quantile(0.99)))
				cpu = ratio(float64(ah.cpuPerReq()), float64(o.cpuPerReq()))
			}
		}
		am, om := res.mem["ahoy"], res.mem[k.Name]
		idle, peak := math.NaN(), math.NaN()
		if am != nil && om != nil {
			idle, peak = ratio(float64(am.IdleRSS), float64(om.IdleRSS)), ratio(float64(am.PeakRSS), float64(om.PeakRSS))
		}
		ac, _, _, an, _ := coldStats(res.cold, "ahoy")
		oc, _, _, on, _ := coldStats(res.cold, k.Name)
		cold := math.NaN()
		if an > 0 && on > 0 {
			cold = ratio(float64(ac), float64(oc))
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", k.Title, fmtRatio(tput), fmtRatio(p99), fmtRatio(cpu), fmtRatio(idle), fmtRatio(peak), fmtRatio(cold))
	}
	p("\n")
	if len(cfg.endpoints) > 1 || len(cfg.conns) > 1 {
		p("Ahoy's throughput ÷ each server's, every endpoint and connection count:\n\n")
		p("| endpoint | conns |")
		for _, k := range others {
			p(" %s |", k.Title)
		}
		p("\n|---|---:|%s\n", strings.Repeat("---:|", len(others)))
		for _, e := range cfg.endpoints {
			for _, c := range cfg.conns {
				ah := aggs[aggKey{"ahoy", e.Name, c}]
				p("| `%s` | %d |", e.Path, c)
				for _, k := range others {
					o := aggs[aggKey{k.Name, e.Name, c}]
					r := math.NaN()
					if ah != nil && o != nil {
						r = ratio(ah.res.RPS(), o.res.RPS())
					}
					p(" %s |", fmtRatio(r))
				}
				p("\n")
			}
		}
		p("\n")
	}

	// The targets.
	p("## Issue targets\n\n")
	p("| target | measured | |\n|---|---:|---|\n")
	at := aggs[aggKey{"ahoy", targetEndpoint, targetConns}]
	vs := func(name string) *agg { return aggs[aggKey{name, targetEndpoint, targetConns}] }
	where := fmt.Sprintf("`/%s`, %d conns", targetEndpoint, targetConns)
	row := func(target, measured string, met, known bool) {
		verdict := "n/a (not measured in this run)"
		if known {
			verdict = "**not met**"
			if met {
				verdict = "met"
			}
		} else {
			measured = "–"
		}
		p("| %s | %s | %s |\n", target, measured, verdict)
	}
	if n := vs("node-http"); at != nil && n != nil {
		r := ratio(at.res.RPS(), n.res.RPS())
		row(fmt.Sprintf("throughput ≥ %.2f × node:http (%s)", targetVsNodeHTTP, where), fmtRatio(r), r >= targetVsNodeHTTP, true)
		r = ratio(float64(at.res.Latency.Quantile(0.99)), float64(n.res.Latency.Quantile(0.99)))
		row(fmt.Sprintf("p99 ≤ %.0f × node:http's (%s)", targetP99VsNodeHTTP, where), fmtRatio(r)+fmt.Sprintf(" (%s vs %s)",
			fmtDur(at.res.Latency.Quantile(0.99)), fmtDur(n.res.Latency.Quantile(0.99))), r <= targetP99VsNodeHTTP, true)
	} else {
		row(fmt.Sprintf("throughput ≥ %.2f × node:http (%s)", targetVsNodeHTTP, where), "", false, false)
		row(fmt.Sprintf("p99 ≤ %.0f × node:http's (%s)", targetP99VsNodeHTTP, where), "", false, false)
	}
	if n := vs("twilio-run-inline"); at != nil && n != nil {
		r := ratio(at.res.RPS(), n.res.RPS())
		row(fmt.Sprintf("throughput ≥ %.0f × twilio-run --no-fork-process --no-live (%s)", targetVsInline, where), fmtRatio(r), r >= targetVsInline, true)
	} else {
		row(fmt.Sprintf("throughput ≥ %.0f × twilio-run --no-fork-process --no-live (%s)", targetVsInline, where), "", false, false)
	}
	med, _, _, n, _ := coldStats(res.cold, "ahoy")
	row(fmt.Sprintf("cold start ≤ %v", targetColdStart), fmtDur(med), med <= targetColdStart, n > 0)
	if am := res.mem["ahoy"]; am != nil {
		note := ""
		if cfg.tools.workers != 2 {
			note = fmt.Sprintf(" (with %d workers, not 2)", cfg.tools.workers)
		}
		row(fmt.Sprintf("idle memory ≤ %s, whole process tree, 2 workers", mib(targetIdleMemory)), mib(am.IdleRSS)+note, am.IdleRSS <= targetIdleMemory, true)
	}
	p("\n")
	if per, ok := genCPUPerResponse(aggs); ok {
		p("The load generator itself (%s) used %s of CPU per response on average (it shares the machine with the servers).\n",
			cfg.gen.name, fmtDur(per))
	}
	return b.String()
}

// genCPUPerResponse is the load generator's CPU time over every cell divided
// by the responses counted as OK; false when there were none.
func genCPUPerResponse(aggs map[aggKey]*agg) (time.Duration, bool) {
	var gen time.Duration
	var ok int64
	for _, a := range aggs {
		gen += a.genCPU
		ok += a.res.OK
	}
	if ok == 0 {
		return 0, false
	}
	return gen / time.Duration(ok), true
}

// pickTargetCell is /headers at 64 connections when measured, otherwise
// the first endpoint at the highest connection count.
func pickTargetCell(cfg *config) aggKey {
	ep := cfg.endpoints[0].Name
	if slices.ContainsFunc(cfg.endpoints, func(e endpoint) bool { return e.Name == targetEndpoint }) {
		ep = targetEndpoint
	}
	c := slices.Max(cfg.conns)
	if slices.Contains(cfg.conns, targetConns) {
		c = targetConns
	}
	return aggKey{endpoint: ep, conns: c}
}

func pathOf(cfg *config, name string) string {
	for _, e := range cfg.endpoints {
		if e.Name == name {
			return e.Path
		}
	}
	return name
}

// coldStats returns the median, minimum and maximum of a server's
// successful cold starts, how many there were and how many failed.
func coldStats(recs []coldRecord, server string) (med, lo, hi time.Duration, n, failed int) {
	var ds []time.Duration
	for _, r := range recs {
		if r.Server != server {
			continue
		}
		if r.Error != "" {
			failed++
			continue
		}
		ds = append(ds, time.Duration(r.MS*float64(time.Millisecond)))
	}
	if len(ds) == 0 {
		return 0, 0, 0, 0, failed
	}
	slices.Sort(ds)
	med = ds[len(ds)/2]
	if len(ds)%2 == 0 {
		med = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return med, ds[0], ds[len(ds)-1], len(ds), failed
}

func ratio(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return math.NaN()
		}
		return math.Inf(1)
	}
	return a / b
}

func fmtRatio(r float64) string {
	switch {
	case math.IsNaN(r):
		return "–"
	case math.IsInf(r, 1):
		return "∞"
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	default:
		return fmt.Sprintf("%.2f×", r)
	}
}

// fmtRate prints a rate with three significant figures at most.
func fmtRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

// fmtDur prints a duration with three significant figures in µs, ms or s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	default:
		return sig3(d.Seconds()) + " s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func fmtCPU(a *agg) string {
	if a.res.OK == 0 {
		return "–"
	}
	return fmtDur(a.cpuPerReq())
}

func fmtErrors(r *load.Result) string {
	n := r.Errors()
	if n == 0 {
		return "0"
	}
	var parts []string
	for _, x := range []struct {
		n    int64
		name string
	}{{r.Timeouts, "timeout"}, {r.IOErrors, "I/O"}, {r.ConnectErrors, "connect"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.name))
		}
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

func fmtNon2xx(r *load.Result) string {
	if r.Non2xx == 0 {
		return "0"
	}
	if len(r.Status) == 0 { // wrk counts them without their codes
		return fmt.Sprintf("%d (status ≥ 400)", r.Non2xx)
	}
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", r.Status[c], c))
	}
	return fmt.Sprintf("%d (%s)", r.Non2xx, strings.Join(parts, ", "))
}

// mib prints bytes in MiB (the "150 MB" is read as 150 MiB).
func mib(b int64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
