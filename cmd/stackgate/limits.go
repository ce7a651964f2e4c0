package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/service"
)

// abuseFlags are serve's flags against abuse (README "Configuration"): who
// the client is behind proxies, connection timeouts, the gate's refusal
// limit, the cache bound and the per-stack limits.
type abuseFlags struct {
	trustedProxies string
	readTimeout    time.Duration
	refusalRate    float64

	proxies []netip.Prefix
}

func (a *abuseFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&a.trustedProxies, "trusted-proxies", getenv("STACKGATE_TRUSTED_PROXIES"),
		"comma-separated CIDRs of proxies whose X-Forwarded-For is believed for the client address (env STACKGATE_TRUSTED_PROXIES; default none)")
	fs.Func("read-timeout", "longest time to read a whole request, body included (env STACKGATE_READ_TIMEOUT; default 30s)",
		durationFlag(&a.readTimeout))
	fs.Func("gate-refusal-rate", "refusals per second each client may get from the gate before 429 (env STACKGATE_GATE_REFUSAL_RATE; default 0 = off)",
		floatFlag(&a.refusalRate))
	a.readTimeout = sghttp.DefaultReadTimeout
	if v := getenv("STACKGATE_READ_TIMEOUT"); v != "" {
		_ = durationFlag(&a.readTimeout)(v) // checked again in check
	}
	if v := getenv("STACKGATE_GATE_REFUSAL_RATE"); v != "" {
		_ = floatFlag(&a.refusalRate)(v)
	}
}

// check validates the flags after parsing (env values included).
func (a *abuseFlags) check(getenv func(string) string) error {
	for _, env := range []struct {
		name string
		set  func(string) error
	}{
		{"STACKGATE_READ_TIMEOUT", durationFlag(new(time.Duration))},
		{"STACKGATE_GATE_REFUSAL_RATE", floatFlag(new(float64))},
	} {
		if v := getenv(env.name); v != "" {
			if err := env.set(v); err != nil {
				return fmt.Errorf("%s: %w", env.name, err)
			}
		}
	}
	var err error
	if a.proxies, err = sghttp.ParseTrustedProxies(a.trustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	return nil
}

// service sets the service's side of the flags.
func (a *abuseFlags) service(cfg *service.Config) {}

// server sets the HTTP server's side of the flags.
func (a *abuseFlags) server(s *sghttp.Server) {
	s.TrustedProxies = a.proxies
	s.ReadTimeout = a.readTimeout
	s.SetGateRefusalRate(a.refusalRate)
}

func durationFlag(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s")
		}
		*p = d
		return nil
	}
}

func floatFlag(p *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("want a number >= 0")
		}
		*p = f
		return nil
	}
}
