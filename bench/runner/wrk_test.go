package main

import (
	"testing"
	"time"
)

// wrkOutput is wrk's stdout with bench/wrk/report.lua: its own summary, then
// the JSON line.
const wrkOutput = `Running 2s test @ http://127.0.0.1:40000/headers
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.20ms  30.00ms   90.00%
    Req/Sec     7.80k   300.00    8.20k    70.00%
  31200 requests in 2.00s, 9.10MB read
  Non-2xx or 3xx responses: 200
Requests/sec:  15600.00
Transfer/sec:      4.55MB
{"requests":31200,"duration_us":2000000,"bytes":9542000,"ok":31000,"non_2xx":200,"connect_errors":1,"read_errors":2,"write_errors":3,"timeouts":4,"p50_us":4000,"p99_us":9000,"max_us":30000,"mean_us":4100.5,"quantiles_us":[[1,1000],[50,4000],[99,9000],[99.9,12000],[100,30000]]}
`

func TestParseWrk(t *testing.T) {
	s, err := parseWrk([]byte(wrkOutput))
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 31200 || s.OK != 31000 || s.Non2xx != 200 || s.DurationUS != 2000000 || s.P99US != 9000 || len(s.Quantiles) != 5 {
		t.Fatalf("parsed %+v", s)
	}
	r := s.result(64)
	if r.Conns != 64 || r.OK != 31000 || r.Non2xx != 200 || len(r.Status) != 0 {
		t.Fatalf("counts: %+v", r)
	}
	if r.ConnectErrors != 1 || r.IOErrors != 5 || r.Timeouts != 4 || r.Errors() != 10 || r.Unfinished != 0 {
		t.Fatalf("errors: %+v", r)
	}
	if r.Duration != 2*time.Second || r.RPS() != 15500 { // (31200 - 200) / 2 s
		t.Fatalf("duration %v, rate %v", r.Duration, r.RPS())
	}
	h := r.Latency
	if h.N != 31000 || h.Max != int64(30*time.Millisecond) || h.Min != int64(time.Millisecond) {
		t.Fatalf("histogram N=%d Min=%d Max=%d", h.N, h.Min, h.Max)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.01, time.Millisecond}, {0.5, 4 * time.Millisecond}, {0.99, 9 * time.Millisecond}, {0.999, 12 * time.Millisecond}, {1, 30 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if d := got - c.want; d < -c.want/100 || d > c.want/100 {
			t.Errorf("Quantile(%v) = %v, want %v within 1%%", c.q, got, c.want)
		}
	}

	// Merged with a second cell the rate and the weights add up.
	r2 := s.result(64)
	r.Merge(r2)
	if r.RPS() != 15500 || r.Latency.N != 62000 || r.Latency.Quantile(0.99) != h.Quantile(0.99) {
		t.Fatalf("merged: rate %v, N %d", r.RPS(), r.Latency.N)
	}
}

func TestParseWrkEmptyAndBad(t *testing.T) {
	// No response completed: a zero rate and an empty histogram.
	s, err := parseWrk([]byte(`{"requests":0,"duration_us":2001000,"bytes":0,"ok":0,"non_2xx":0,"connect_errors":0,"read_errors":0,"write_errors":0,"timeouts":64,"p50_us":0,"p99_us":0,"max_us":0,"mean_us":0.0,"quantiles_us":[]}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.result(64); r.OK != 0 || r.RPS() != 0 || r.Latency.N != 0 || r.Timeouts != 64 {
		t.Fatalf("empty: %+v", r)
	}
	for _, bad := range []string{
		"Running 2s test\nunable to connect to 127.0.0.1:1 Connection refused\n",    // no JSON line
		`{"requests":10,"duration_us":1000000,"ok":9,"non_2xx":0}`,                  // counts do not add up
		`{"requests":10,"duration_us":0,"ok":10,"non_2xx":0}`,                       // no duration
		`{"requests":10,"duration_us":1000000,"ok":10,"non_2xx":0,"quantiles_us":[`, // cut short
	} {
		if _, err := parseWrk([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestWrkDurations(t *testing.T) {
	if got := wrkDuration(3 * time.Second); got != "3s" {
		t.Errorf("wrkDuration(3s) = %q", got)
	}
	if err := checkWrkDurations(map[string]time.Duration{"-d": 2 * time.Second, "-warmup": 0}); err != nil {
		t.Error(err)
	}
	if err := checkWrkDurations(map[string]time.Duration{"-d": 1500 * time.Millisecond}); err == nil {
		t.Error("1.5s accepted")
	}
}
