package http

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are kept in a private registry so that several servers (tests,
// embedders) never collide on the global one.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	gate     *prometheus.CounterVec

	routes    map[string]*routeMetrics // by route pattern; written only before serving
	gateKinds sync.Map                 // gateKey → prometheus.Counter (a handful of keys)

	decisions     *prometheus.HistogramVec // opsmetrics.go
	decisionTimes sync.Map                 // decisionKey → prometheus.Observer
}

type gateKey struct {
	kind   string
	status int
}

func newMetrics() *metrics {
	m := &metrics{
		routes:   map[string]*routeMetrics{},
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stackgate_http_requests_total", Help: "HTTP requests by route pattern and status."},
			[]string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stackgate_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}},
			[]string{"route"}),
		gate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stackgate_gate_decisions_total", Help: "Gate decisions by credential kind and outcome."},
			[]string{"kind", "outcome"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.gate,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// routeMetrics are the labelled children of one route, created when the
// route table is built so that counting a request hashes no labels and
// takes no lock.
type routeMetrics struct {
	observer prometheus.Observer
	byStatus [600]atomic.Pointer[counterBox]
}

type counterBox struct{ c prometheus.Counter }

// register prepares the children of a route pattern. Call before serving.
func (m *metrics) register(route string) {
	if _, ok := m.routes[route]; !ok {
		m.routes[route] = &routeMetrics{observer: m.duration.WithLabelValues(route)}
	}
}

// observe counts a request.
func (m *metrics) observe(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	rm, ok := m.routes[route]
	if !ok || status < 0 || status >= len(rm.byStatus) {
		m.requests.WithLabelValues(route, statusLabel(status)).Inc()
		m.duration.WithLabelValues(route).Observe(d.Seconds())
		return
	}
	box := rm.byStatus[status].Load()
	if box == nil {
		box = &counterBox{m.requests.WithLabelValues(route, statusLabel(status))}
		rm.byStatus[status].Store(box)
	}
	box.c.Inc()
	rm.observer.Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *metrics) gateDecision(kind string, status int) {
	if m == nil {
		return
	}
	key := gateKey{kind, status}
	c, ok := m.gateKinds.Load(key)
	if !ok {
		outcome := "allow"
		if status != http.StatusOK {
			outcome = "deny_" + strconv.Itoa(status)
		}
		c, _ = m.gateKinds.LoadOrStore(key, m.gate.WithLabelValues(kind, outcome))
	}
	c.(prometheus.Counter).Inc()
}

// statusLabels holds the label of every status, so counting a request
// formats nothing.
var statusLabels = func() (l [600]string) {
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return
}()

func statusLabel(code int) string {
	if code >= 0 && code < len(statusLabels) {
		return statusLabels[code]
	}
	return strconv.Itoa(code)
}
