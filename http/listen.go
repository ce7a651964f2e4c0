package http

import (
	"crypto/tls"
	"net"
)

// listen binds addr, speaking TLS when TLSConfig is set. The config's
// GetCertificate is asked at every handshake, so a certificate replaced on
// disk and reloaded (SIGHUP) serves new connections at once.
func (s *Server) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || s.TLSConfig == nil {
		return ln, err
	}
	return tls.NewListener(ln, s.TLSConfig), nil
}
