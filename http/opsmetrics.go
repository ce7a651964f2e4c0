package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/service"
)

// registerOps exports what an operator graphs besides requests: the change
// listener and refused logins.
func (m *metrics) registerOps(svc *service.Service, acc *access.Checker) {
	m.registerAccess(acc)
	m.decisions = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "stackgate_gate_decision_duration_seconds", Help: "Time of the access checker's gate decisions, by API, credential kind and outcome.",
		Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1}},
		[]string{"api", "kind", "outcome"})
	m.registry.MustRegister(m.decisions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "stackgate_listener_up",
			Help: "1 while the change listener hears other nodes' and processes' writes; 0 while it reconnects (the cache is bypassed)."},
			func() float64 {
				if st := acc.ListenerStats(); st.Up || !st.Started {
					return 1
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stackgate_listener_reconnects_total",
			Help: "Times the change listener listened again after losing its connection."},
			func() float64 { return float64(acc.ListenerStats().Reconnects) }),
	)
	for _, r := range []struct {
		reason string
		get    func(service.LoginStats) uint64
	}{
		{"client_backoff", func(s service.LoginStats) uint64 { return s.ThrottledClient }},
		{"account_backoff", func(s service.LoginStats) uint64 { return s.ThrottledAccount }},
		{"busy", func(s service.LoginStats) uint64 { return s.Busy }},
	} {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stackgate_login_refused_total",
			Help:        "Logins refused before a password was checked: per-client backoff, account backoff (429), no password slot (503).",
			ConstLabels: prometheus.Labels{"reason": r.reason}},
			func() float64 { return float64(r.get(svc.LoginStats())) }))
	}
}

// registerAccess exports the cache's work: hits and misses of snapshot
// lookups, store loads (and failures) with their duration, and what the
// outage policy served.
func (m *metrics) registerAccess(acc *access.Checker) {
	counter := func(name, help string, get func(access.CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(get(acc.CacheStats())) })
	}
	m.registry.MustRegister(
		counter("stackgate_cache_hits_total", "Stack snapshot lookups answered from the cache.", func(s access.CacheStats) uint64 { return s.Hits }),
		counter("stackgate_cache_misses_total", "Stack snapshot lookups not in the cache.", func(s access.CacheStats) uint64 { return s.Misses }),
		counter("stackgate_cache_loads_total", "Stack snapshots read from the store.", func(s access.CacheStats) uint64 { return s.Loads }),
		counter("stackgate_cache_load_errors_total", "Stack snapshot reads that failed.", func(s access.CacheStats) uint64 { return s.LoadErrors }),
		counter("stackgate_outage_served_total", "Snapshots and sessions served from what was cached when the change listener was lost (--outage-grace).",
			func(s access.CacheStats) uint64 { return s.OutageServed }),
		loadHistogram{acc: acc, desc: prometheus.NewDesc("stackgate_cache_load_duration_seconds", "Time to read one stack snapshot from the store.", nil, nil)},
	)
}

// loadHistogram exports access's load duration histogram as it is.
type loadHistogram struct {
	acc  *access.Checker
	desc *prometheus.Desc
}

func (h loadHistogram) Describe(ch chan<- *prometheus.Desc) { ch <- h.desc }

func (h loadHistogram) Collect(ch chan<- prometheus.Metric) {
	st := h.acc.CacheStats()
	buckets := make(map[float64]uint64, len(st.LoadBuckets))
	for i, b := range st.LoadBuckets {
		buckets[b] = st.LoadCounts[i]
	}
	ch <- prometheus.MustNewConstHistogram(h.desc, st.Loads, st.LoadSum, buckets)
}

// decisionKey labels one decision histogram child.
type decisionKey struct {
	api, kind string
	status    int
}

// decided times one decision of the access checker, by API, credential
// kind and outcome; the histogram's counts are the decisions so labelled.
func (m *metrics) decided(api authz.API, d access.GateDecision, err error, took time.Duration) {
	if m == nil {
		return
	}
	key := decisionKey{api: api.String(), kind: "none", status: http.StatusOK}
	switch {
	case err != nil:
		key.status = statusOf(err)
	case d.Principal == nil:
		key.kind = "preflight"
	default:
		key.kind = d.Principal.Kind.String()
	}
	if err == nil && !d.Allowed {
		key.status = http.StatusForbidden
	}
	o, ok := m.decisionTimes.Load(key)
	if !ok {
		outcome := "allow"
		if key.status != http.StatusOK {
			outcome = "deny_" + strconv.Itoa(key.status)
		}
		o, _ = m.decisionTimes.LoadOrStore(key, m.decisions.WithLabelValues(key.api, key.kind, outcome))
	}
	o.(prometheus.Observer).Observe(took.Seconds())
}

// RegisterCollectors adds collectors to the server's metrics (the store's
// pools, build information: cmd/stackgate knows them). Call before serving.
func (s *Server) RegisterCollectors(cs ...prometheus.Collector) error {
	var err error
	for _, c := range cs {
		err = errors.Join(err, s.metrics.registry.Register(c))
	}
	return err
}

// MetricsHandler serves the Prometheus text format, for a private listener
// (--metrics-addr).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// handleMetrics handles "GET /metrics" (Prometheus text format) on the main
// listener, unless PrivateMetrics moved it to a listener of its own.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.PrivateMetrics {
		return &stackgate.Error{Code: stackgate.EROUTE} // as an unknown path
	}
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}
