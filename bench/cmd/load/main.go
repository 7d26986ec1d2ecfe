// Command load sends one GET request over and over from C keep-alive
// connections for a fixed time and prints one line: OK requests per second,
// latency quantiles and the failures by kind. It is bench/load's generator
// on its own, for poking at one server by hand; bench/run.sh is the
// benchmark.
//
//	go run ./bench/cmd/load -url 'http://127.0.0.1:3000/hello?name=Ada' -c 16 -d 10s
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/ahoy-run/ahoy/bench/load"
)

func main() {
	target := flag.String("url", "", "http:// URL to GET")
	conns := flag.Int("c", 16, "concurrent keep-alive connections")
	dur := flag.Duration("d", 10*time.Second, "duration")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	label := flag.String("label", "", "name printed at the start of the line")
	flag.Parse()
	u, err := url.Parse(*target)
	if *target == "" || err != nil || u.Scheme != "http" || u.Host == "" {
		fmt.Fprintln(os.Stderr, "load: -url http://host:port/path is required")
		os.Exit(2)
	}
	req := load.NewGET(u.Host, u.RequestURI(),
		"User-Agent: ahoy-bench/1.0", "Accept: */*", "Cookie: session=abc; theme=dark")
	r := load.Run(load.Options{Addr: u.Host, Request: req, Conns: *conns, Duration: *dur, Timeout: *timeout})
	h := r.Latency
	fmt.Printf("%s\treq/s=%.0f\tp50=%v\tp99=%v\tmax=%v\terrors=%d\tnon2xx=%d\ttimeouts=%d\tunfinished=%d\n", *label,
		r.RPS(), h.Quantile(0.5).Round(time.Microsecond), h.Quantile(0.99).Round(time.Microsecond),
		time.Duration(h.Max).Round(time.Microsecond), r.Errors(), r.Non2xx, r.Timeouts, r.Unfinished)
}
