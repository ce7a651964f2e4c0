package http

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/service"
)

// registerOps exports what an operator graphs besides requests: the change
// listener and refused logins.
func (m *metrics) registerOps(svc *service.Service, acc *access.Checker) {
	m.registry.MustRegister(
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
