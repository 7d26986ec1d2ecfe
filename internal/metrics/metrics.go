// Package metrics exposes Ahoy's Prometheus metrics: requests by what served
// them and their status, latency, workers, invocations in flight and worker
// restarts.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ahoy-run/ahoy/internal/worker"
)

// Metrics records request metrics and reads worker state on each scrape.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns metrics whose worker gauges read stats at scrape time.
func New(stats func() worker.Stats) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ahoy_requests_total",
			Help: "Requests answered, by what served them (function, asset, preflight, none) and status code.",
		}, []string{"kind", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ahoy_request_duration_seconds",
			Help:    "Time from the request's arrival to its answer, by what served it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ahoy_workers",
			Help: "Node worker processes alive and serving.",
		}, func() float64 { return float64(stats().Workers) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ahoy_invocations_in_flight",
			Help: "Function invocations running now (R46 limits them).",
		}, func() float64 { return float64(stats().InFlight) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "ahoy_worker_restarts_total",
			Help: "Workers replaced after a crash, a blocked event loop, running out of memory or a malformed frame.",
		}, func() float64 { return float64(stats().Restarts) }),
	)
	return m
}

// ObserveRequest implements gateway.Observer.
func (m *Metrics) ObserveRequest(kind string, status int, d time.Duration) {
	m.requests.WithLabelValues(kind, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
