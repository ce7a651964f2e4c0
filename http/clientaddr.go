package http

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/stackgate/stackgate"
)

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes (a bare
// address counts as a /32 or /128), as given to --trusted-proxies.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, ok := stackgate.ParseIPAllow(f) // the tokens' ip_allow rule
		if !ok {
			return nil, fmt.Errorf("trusted proxy %q: want an address or CIDR prefix", f)
		}
		out = append(out, p)
	}
	return out, nil
}

// ClientAddr returns the address of the client that sent r, for limiters and
// logs. It is the TCP peer, unless the peer is a trusted proxy: then it is
// the right-most X-Forwarded-For address that is not a trusted proxy (each
// proxy appends the address it received from, so everything left of the
// first untrusted entry was written by a client and cannot be believed). If
// every entry is trusted it is the left-most; if an entry is not an address,
// it is the trusted hop that received it (a client cannot choose its own
// key by writing garbage).
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddr(r.RemoteAddr)
	if len(trusted) == 0 || !isTrusted(peer, trusted) {
		return peer.String()
	}
	hop := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(entries[j]))
			if err != nil {
				return hop.String()
			}
			a = a.Unmap()
			if !isTrusted(a, trusted) {
				return a.String()
			}
			hop = a
		}
	}
	return hop.String()
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is ClientAddr under the server's trusted proxies.
func (s *Server) clientAddr(r *http.Request) string { return ClientAddr(r, s.TrustedProxies) }

// withClientAddr records the client address for the access log and the
// limiters.
func withClientAddr(addr func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info(r.Context()).client = addr(r)
			next.ServeHTTP(w, r)
		})
	}
}
