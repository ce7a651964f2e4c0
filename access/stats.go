package access

import (
	"sync/atomic"
	"time"
)

// loadBuckets are the upper bounds (seconds) of the snapshot load
// duration histogram.
var loadBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// cacheStats counts what the cache does, for metrics; access keeps the
// figures and http exports them.
type cacheStats struct {
	hits, misses, loads, loadErrors, outageServed atomic.Uint64
	buckets                                       [14]atomic.Uint64 // per loadBuckets, then +Inf
	sumMicros                                     atomic.Uint64
}

// loaded records one store load.
func (s *cacheStats) loaded(d time.Duration, err error) {
	s.loads.Add(1)
	if err != nil {
		s.loadErrors.Add(1)
	}
	i := len(loadBuckets)
	for j, b := range loadBuckets {
		if d.Seconds() <= b {
			i = j
			break
		}
	}
	s.buckets[i].Add(1)
	s.sumMicros.Add(uint64(d.Microseconds()))
}

func (s *cacheStats) read() CacheStats {
	st := CacheStats{Hits: s.hits.Load(), Misses: s.misses.Load(), Loads: s.loads.Load(),
		LoadErrors: s.loadErrors.Load(), OutageServed: s.outageServed.Load(),
		LoadBuckets: append(loadBuckets[:0:0], loadBuckets...), LoadCounts: make([]uint64, len(loadBuckets)),
		LoadSum: float64(s.sumMicros.Load()) / 1e6}
	var cum uint64
	for i := range loadBuckets {
		cum += s.buckets[i].Load()
		st.LoadCounts[i] = cum
	}
	return st
}
