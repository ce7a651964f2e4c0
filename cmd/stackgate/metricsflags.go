package main

import (
	"database/sql"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	sghttp "github.com/stackgate/stackgate/http"
)

// metricsFlags is --metrics-addr: /metrics and net/http/pprof on a listener
// of their own, to keep private (the main listener then answers /metrics
// with 404).
type metricsFlags struct {
	addr string
}

func (f *metricsFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.addr, "metrics-addr", getenv("STACKGATE_METRICS_ADDR"),
		"if set, serve /metrics and /debug/pprof/ on this address only (keep it private; env STACKGATE_METRICS_ADDR)")
}

// collectors registers what only cmd knows: the build and the store's pools.
func registerCollectors(srv *sghttp.Server, st store) error {
	b := readBuildInfo()
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackgate_build_info", Help: "The running binary: 1, labelled by version, revision and Go version.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.Go}})
	build.Set(1)
	cs := []prometheus.Collector{build}
	if p, ok := st.(interface{ Pools() map[string]*sql.DB }); ok {
		for name, db := range p.Pools() {
			cs = append(cs, collectors.NewDBStatsCollector(db, name))
		}
	}
	return srv.RegisterCollectors(cs...)
}

// open binds the private listener and serves it; the returned func stops it.
func (f *metricsFlags) open(srv *sghttp.Server, log *slog.Logger) (addr string, stop func(), err error) {
	if f.addr == "" {
		return "", func() {}, nil
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return "", nil, err
	}
	srv.PrivateMetrics = true
	mux := http.NewServeMux()
	mux.Handle("/metrics", srv.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "error", err)
		}
	}()
	return ln.Addr().String(), func() { hs.Close() }, nil
}
