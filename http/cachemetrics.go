package http

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackgate/stackgate/service"
)

// registerCache exports the service cache's figures: how many stacks are
// cached, and how many were evicted to stay within --cache-max-stacks.
func (m *metrics) registerCache(svc *service.Service) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "stackgate_cache_stacks", Help: "Stacks whose snapshot is cached."},
			func() float64 { return float64(svc.CacheStats().Stacks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stackgate_cache_evictions_total", Help: "Stack snapshots evicted to stay within --cache-max-stacks."},
			func() float64 { return float64(svc.CacheStats().Evictions) }),
	)
}
