package http

import (
	"net/http"
	"net/netip"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
)

// admitToken holds a request of a token with limits (rate_limit,
// ip_allow; access/limits.go) to them: 403 outside ip_allow, 429 past the
// rate, X-RateLimit-* whenever a rate applies. The client is the address
// --trusted-proxies defines (clientaddr.go), computed only for a token
// with an allow list, so an unlimited token costs one nil check. With
// count false it reports without counting (/gate/check). write is whether
// the decided request (not the gate's own) writes.
func (s *Server) admitToken(h http.Header, r *http.Request, p *access.Principal, write, count bool) error {
	if p == nil || !p.Limited() {
		return nil
	}
	var client netip.Addr
	if p.NeedsClient() {
		client, _ = netip.ParseAddr(s.clientAddr(r)) // an unparsable one is invalid: in no list
	}
	return s.admitFrom(h, p, client, write, count)
}

func (s *Server) admitFrom(h http.Header, p *access.Principal, client netip.Addr, write, count bool) error {
	ad, err := s.acc.Admit(p, client, write, count)
	if ad.Limit > 0 && h != nil {
		setRateHeaders(h, ad.Limit, ad.Remaining)
	}
	return err
}

// isWrite says whether a request method writes: all but GET and HEAD (as
// --cma-rate-limit counts them).
func isWrite(method string) bool { return method != http.MethodGet && method != http.MethodHead }

// limitReason is a check reply's reason for a refusal by the token's limits.
func limitReason(err error) string {
	if stackgate.ErrorCode(err) == stackgate.ERATELIMIT {
		return "the token's rate_limit is spent for now (per node)"
	}
	return access.ReasonIPAllow
}
