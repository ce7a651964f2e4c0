package testdb

import (
	"syscall"
	"testing"
	"time"
)

// ReportCPU starts counting the CPU time (user and system) of the process
// and returns the function that stops and reports it, per iteration of b,
// as "cpu-ns/op": on a shared machine it varies far less than the wall
// time. Call it right before b's loop and the function right after.
func ReportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
