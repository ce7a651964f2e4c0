package http

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackgate/stackgate/service"
)

// noticeCollectors expose the expiry notices this process handled as
// stackgate_expiry_notices_total{outcome="sent|logged|failed"}.
func noticeCollectors(svc *service.Service) []prometheus.Collector {
	var out []prometheus.Collector
	for _, o := range []struct {
		outcome string
		value   func(service.NoticeCounts) uint64
	}{
		{"sent", func(c service.NoticeCounts) uint64 { return c.Sent }},
		{"logged", func(c service.NoticeCounts) uint64 { return c.Logged }},
		{"failed", func(c service.NoticeCounts) uint64 { return c.Failed }},
	} {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "stackgate_expiry_notices_total",
			Help:        "Expiry notices of management tokens: sent over SMTP, logged (no SMTP configured), failed sends (retried).",
			ConstLabels: prometheus.Labels{"outcome": o.outcome},
		}, func() float64 { return float64(o.value(svc.NoticeCounts())) }))
	}
	return out
}
