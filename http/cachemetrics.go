package http

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackgate/stackgate/access"
)

// registerCache exports the access cache's figures: how many stacks are
// cached, and how many were evicted to stay within --cache-max-stacks.
func (m *metrics) registerCache(acc *access.Checker) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "stackgate_cache_stacks", Help: "Stacks whose snapshot is cached."},
			func() float64 { return float64(acc.CacheStats().Stacks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stackgate_cache_evictions_total", Help: "Stack snapshots evicted to stay within --cache-max-stacks."},
			func() float64 { return float64(acc.CacheStats().Evictions) }),
	)
}
