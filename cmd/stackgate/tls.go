package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// tlsFlags are --tls-cert and --tls-key: with both, every listener (the
// main one, --cda-addr, --preview-addr) speaks TLS with that certificate,
// re-read from disk on SIGHUP.
type tlsFlags struct {
	cert, key string
}

func (f *tlsFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.cert, "tls-cert", getenv("STACKGATE_TLS_CERT"), "PEM certificate chain: serve every listener over TLS (env STACKGATE_TLS_CERT; reloaded on SIGHUP)")
	fs.StringVar(&f.key, "tls-key", getenv("STACKGATE_TLS_KEY"), "PEM private key of --tls-cert (env STACKGATE_TLS_KEY)")
}

// config returns the listeners' TLS config and its reloader, or nils
// without TLS.
func (f *tlsFlags) config() (*tls.Config, *certReloader, error) {
	if (f.cert == "") != (f.key == "") {
		return nil, nil, errors.New("--tls-cert and --tls-key go together")
	}
	if f.cert == "" {
		return nil, nil, nil
	}
	r := &certReloader{certFile: f.cert, keyFile: f.key}
	if err := r.reload(); err != nil {
		return nil, nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get, NextProtos: []string{"http/1.1"}}, r, nil
}

// certReloader holds the certificate the listeners hand out; reload swaps
// in the files' current contents, or keeps the old pair when they do not
// load (a half-copied renewal must not take the server down).
type certReloader struct {
	certFile, keyFile string
	mu                sync.RWMutex
	cert              *tls.Certificate
}

func (r *certReloader) reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	r.mu.Lock()
	r.cert = &c
	r.mu.Unlock()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

// hangups receives SIGHUP for the whole process (main registers it first
// thing, so a SIGHUP never kills stackgate; serve reloads on it).
var hangups = make(chan os.Signal, 1)

// reloadOnHangup is what serve does on SIGHUP.
func reloadOnHangup(certs *certReloader, log *slog.Logger) {
	if certs == nil {
		log.Info("SIGHUP: nothing to reload (no --tls-cert)")
		return
	}
	if err := certs.reload(); err != nil {
		log.Error("SIGHUP: TLS certificate not reloaded; still serving the previous one", "error", err)
		return
	}
	log.Info("SIGHUP: TLS certificate reloaded", "cert", certs.certFile)
}
