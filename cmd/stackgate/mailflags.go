package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/stackgate/stackgate/mail"
	"github.com/stackgate/stackgate/service"
)

// mailFlags are serve's flags for the expiry notices of management tokens
// and the SMTP server they are sent through.
type mailFlags struct {
	addr, from, username, passwordFile, tlsMode, caFile string
	interval                                            time.Duration
}

func (m *mailFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&m.addr, "smtp-addr", getenv("STACKGATE_SMTP_ADDR"), "HOST:PORT of the SMTP server expiry notices are sent through (env STACKGATE_SMTP_ADDR); without it notices are logged")
	fs.StringVar(&m.from, "smtp-from", getenv("STACKGATE_SMTP_FROM"), "From address of the notices, e.g. 'stackgate <noreply@example.com>' (env STACKGATE_SMTP_FROM); required with --smtp-addr")
	fs.StringVar(&m.username, "smtp-username", getenv("STACKGATE_SMTP_USERNAME"), "SMTP AUTH PLAIN user (env STACKGATE_SMTP_USERNAME); needs --smtp-password-file")
	fs.StringVar(&m.passwordFile, "smtp-password-file", getenv("STACKGATE_SMTP_PASSWORD_FILE"), "file holding the SMTP password, read at start (env STACKGATE_SMTP_PASSWORD_FILE)")
	fs.StringVar(&m.tlsMode, "smtp-tls", envOr(getenv, "STACKGATE_SMTP_TLS", "starttls"), "none, starttls (required when chosen) or tls (implicit, port 465) (env STACKGATE_SMTP_TLS)")
	fs.StringVar(&m.caFile, "smtp-ca-file", getenv("STACKGATE_SMTP_CA_FILE"), "PEM file of CA certificates to trust for the SMTP server, besides the system's (env STACKGATE_SMTP_CA_FILE)")
	interval := time.Hour
	if v := getenv("STACKGATE_NOTIFY_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			interval = d
		}
	}
	fs.DurationVar(&m.interval, "notify-interval", interval, "how often each node looks for management tokens to warn about (env STACKGATE_NOTIFY_INTERVAL)")
}

// notifier validates the flags and builds the notifier: over SMTP with
// --smtp-addr, else writing notices to the log. The password is read from
// its file here and goes nowhere but the SMTP AUTH exchange.
func (m *mailFlags) notifier(svc *service.Service, log *slog.Logger) (*service.Notifier, error) {
	if m.interval <= 0 {
		return nil, errors.New("--notify-interval must be positive")
	}
	mode, err := mail.ParseTLSMode(m.tlsMode)
	if err != nil {
		return nil, fmt.Errorf("--smtp-tls: %w", err)
	}
	cfg := service.NoticeConfig{Interval: m.interval, From: m.from}
	if m.from != "" {
		if _, err := netmail.ParseAddress(m.from); err != nil {
			return nil, fmt.Errorf("--smtp-from %q: %v", m.from, err)
		}
	}
	if m.addr == "" {
		if m.username != "" || m.passwordFile != "" || m.caFile != "" {
			return nil, errors.New("--smtp-username, --smtp-password-file and --smtp-ca-file need --smtp-addr")
		}
		log.Info("expiry notices are logged, not mailed (no --smtp-addr)", "interval", m.interval.String())
		return svc.NewNotifier(nil, cfg), nil
	}
	if _, _, err := net.SplitHostPort(m.addr); err != nil {
		return nil, fmt.Errorf("--smtp-addr %q: want HOST:PORT", m.addr)
	}
	if m.from == "" {
		return nil, errors.New("--smtp-addr needs --smtp-from")
	}
	if (m.username == "") != (m.passwordFile == "") {
		return nil, errors.New("--smtp-username and --smtp-password-file go together")
	}
	s := &mail.SMTP{Addr: m.addr, TLS: mode, Username: m.username}
	if m.passwordFile != "" {
		b, err := os.ReadFile(m.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		s.Password = strings.TrimRight(string(b), "\r\n")
	}
	if m.caFile != "" {
		pem, err := os.ReadFile(m.caFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--smtp-ca-file %s: no PEM certificate in it", m.caFile)
		}
		s.RootCAs = pool
	}
	log.Info("expiry notices are mailed", "smtp", m.addr, "tls", string(mode), "auth", m.username != "",
		"from", m.from, "interval", m.interval.String())
	return svc.NewNotifier(s, cfg), nil
}
