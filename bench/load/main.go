// Command load sends GET requests to one URL from C concurrent clients for a
// fixed time and prints one line: requests per second and latency quantiles.
//
//	go run ./bench/load -url http://127.0.0.1:3000/hello?name=Ada -c 16 -d 10s
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to GET")
	conc := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "duration")
	label := flag.String("label", "", "name printed at the start of the line")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "load: -url is required")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		wg        sync.WaitGroup
	)
	stop := time.Now().Add(*dur)
	for range *conc {
		wg.Go(func() {
			var local []time.Duration
			bad := 0
			for time.Now().Before(stop) {
				start := time.Now()
				req, _ := http.NewRequest(http.MethodGet, *target, nil)
				req.Header.Set("User-Agent", "ahoy-bench")
				req.Header.Set("Cookie", "session=abc; seen=1")
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad++
					continue
				}
				local = append(local, time.Since(start))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(latencies)
	q := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))]
	}
	fmt.Printf("%s\treq/s=%.0f\tp50=%v\tp99=%v\terrors=%d\n", *label,
		float64(len(latencies))/dur.Seconds(), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), errs)
}
