package main

import (
	"flag"
	"fmt"
	"net/url"
	"time"

	"github.com/stackgate/stackgate/authz"
	sghttp "github.com/stackgate/stackgate/http"
)

// proxyFlags are serve's flags for stackgate as the enforcing reverse
// proxy: a CDA and a preview listener of their own, and the CMA's unserved
// routes forwarded from the main listener.
type proxyFlags struct {
	cdaAddr, cdaUpstream         string
	previewAddr, previewUpstream string
	cmaUpstream                  string
	timeout                      time.Duration
}

func (p *proxyFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&p.cdaAddr, "cda-addr", getenv("STACKGATE_CDA_ADDR"), "listen address of the Content Delivery proxy (env STACKGATE_CDA_ADDR); needs --cda-upstream")
	fs.StringVar(&p.cdaUpstream, "cda-upstream", getenv("STACKGATE_CDA_UPSTREAM"), "URL of the Content Delivery API behind it (env STACKGATE_CDA_UPSTREAM)")
	fs.StringVar(&p.previewAddr, "preview-addr", getenv("STACKGATE_PREVIEW_ADDR"), "listen address of the preview proxy (env STACKGATE_PREVIEW_ADDR); needs --preview-upstream")
	fs.StringVar(&p.previewUpstream, "preview-upstream", getenv("STACKGATE_PREVIEW_UPSTREAM"), "URL of the preview service behind it (env STACKGATE_PREVIEW_UPSTREAM)")
	fs.StringVar(&p.cmaUpstream, "cma-upstream", getenv("STACKGATE_CMA_UPSTREAM"), "URL of the Content Management API that /v3 routes stackgate does not serve are forwarded to (env STACKGATE_CMA_UPSTREAM)")
	timeout := 30 * time.Second
	if v := getenv("STACKGATE_UPSTREAM_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			timeout = d
		}
	}
	fs.DurationVar(&p.timeout, "upstream-timeout", timeout, "how long a proxy waits for an upstream's response headers (env STACKGATE_UPSTREAM_TIMEOUT)")
}

// apply configures the server's proxies.
func (p *proxyFlags) apply(srv *sghttp.Server) error {
	if p.timeout <= 0 {
		return fmt.Errorf("--upstream-timeout must be positive")
	}
	for _, l := range []struct {
		api            authz.API
		addr, upstream string
		name           string
	}{{authz.CDA, p.cdaAddr, p.cdaUpstream, "cda"}, {authz.Preview, p.previewAddr, p.previewUpstream, "preview"}} {
		if (l.addr == "") != (l.upstream == "") {
			return fmt.Errorf("--%s-addr and --%s-upstream go together", l.name, l.name)
		}
		if l.addr == "" {
			continue
		}
		u, err := upstreamURL(l.upstream)
		if err != nil {
			return fmt.Errorf("--%s-upstream: %w", l.name, err)
		}
		srv.AddProxyListener(l.api, l.addr, sghttp.ProxyConfig{Upstream: u, Timeout: p.timeout})
	}
	if p.cmaUpstream != "" {
		u, err := upstreamURL(p.cmaUpstream)
		if err != nil {
			return fmt.Errorf("--cma-upstream: %w", err)
		}
		srv.ProxyCMA(sghttp.ProxyConfig{Upstream: u, Timeout: p.timeout})
	}
	return nil
}

func upstreamURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an http(s) URL without query", s)
	}
	return u, nil
}
