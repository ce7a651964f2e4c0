package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape GETs url and parses it with the Prometheus client library's text
// parser: what it cannot parse, Prometheus could not either.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s is not valid Prometheus text: %v", url, err)
	}
	return fams
}

// value returns the value of the family's sample whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	t.Fatalf("no sample of %s with %v", name, want)
	return 0
}

// TestMetricsPrivateListener: with --metrics-addr, /metrics (valid
// Prometheus text, with build info, store pools, listener state, refused
// logins and latency histograms) and pprof are served there, and the main
// listener answers /metrics with 404.
func TestMetricsPrivateListener(t *testing.T) {
	db, _ := bootstrapDB(t, t.TempDir())
	lines, _ := serveLines(t, "--addr", "127.0.0.1:0", "--database", db, "--metrics-addr", "127.0.0.1:0")
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`msg="stackgate listening" addr=http://([0-9.:]+)`))[1]
	private := "http://" + waitLine(t, lines, regexp.MustCompile(`msg="stackgate metrics listening" addr=http://([0-9.:]+)`))[1]

	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("main listener /metrics: %v %v, want 404", resp, err)
	}
	// Wrong passwords from one client until one is refused with 429 (3 are
	// free, then the wait doubles from 1 s: however slow argon2id runs,
	// one soon arrives within its wait).
	attempts := 0
	for throttled := false; !throttled; {
		if attempts++; attempts > 12 {
			t.Fatal("no login was throttled")
		}
		resp, err := http.Post(base+"/v3/user-session", "application/json",
			strings.NewReader(`{"user":{"email":"o@example.com","password":"wrong-password"}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		throttled = resp.StatusCode == 429
	}
	fams := scrape(t, private+"/metrics")
	if v := value(t, fams, "stackgate_build_info", map[string]string{}); v != 1 {
		t.Errorf("stackgate_build_info = %v", v)
	}
	for _, pool := range []string{"sqlite_write", "sqlite_read"} {
		if v := value(t, fams, "go_sql_max_open_connections", map[string]string{"db_name": pool}); v < 1 {
			t.Errorf("%s max open connections = %v", pool, v)
		}
		value(t, fams, "go_sql_wait_count_total", map[string]string{"db_name": pool})
	}
	if v := value(t, fams, "stackgate_listener_up", nil); v != 1 {
		t.Errorf("stackgate_listener_up = %v", v)
	}
	value(t, fams, "stackgate_listener_reconnects_total", nil)
	if v := value(t, fams, "stackgate_login_refused_total", map[string]string{"reason": "client_backoff"}); v < 1 {
		t.Errorf("client_backoff refusals = %v after a 429", v)
	}
	value(t, fams, "stackgate_login_refused_total", map[string]string{"reason": "account_backoff"})
	value(t, fams, "stackgate_login_refused_total", map[string]string{"reason": "busy"})
	if v := value(t, fams, "stackgate_http_request_duration_seconds", map[string]string{"route": "POST /v3/user-session"}); v != float64(attempts) {
		t.Errorf("login latency histogram has %v samples, want %d", v, attempts)
	}
	if fams["stackgate_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Error("request latency is not a histogram")
	}
	resp, err := http.Get(private + "/debug/pprof/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pprof: %v %v", resp, err)
	}
	resp.Body.Close()
}
