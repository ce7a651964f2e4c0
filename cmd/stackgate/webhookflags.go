package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/webhook"
)

// webhookFlags are serve's flags for the signed token-event webhook.
type webhookFlags struct {
	url, secretFile string
	timeout         time.Duration
	backoff         time.Duration
	maxBackoff      time.Duration
	maxAttempts     int
	interval        time.Duration
	retention       days
	// allowHTTP and allowPrivate loosen what a stack's own token webhook
	// may name (PUT /v3/stacks/token_webhook): the operator's --webhook-url
	// is trusted, a stack admin's URL is not.
	allowHTTP, allowPrivate bool
}

// webhookBatch is how many deliveries a node claims per run; the lease
// covers sending them all one after the other.
const webhookBatch = 10

func (w *webhookFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&w.url, "webhook-url", getenv("STACKGATE_WEBHOOK_URL"),
		"if set, POST signed token events of every stack without a token webhook of its own to this http(s) URL (env STACKGATE_WEBHOOK_URL)")
	fs.StringVar(&w.secretFile, "webhook-secret-file", getenv("STACKGATE_WEBHOOK_SECRET_FILE"),
		"file holding the HMAC-SHA256 key of X-Stackgate-Signature (at least 16 bytes; required with --webhook-url; env STACKGATE_WEBHOOK_SECRET_FILE)")
	fs.DurationVar(&w.timeout, "webhook-timeout", 10*time.Second, "how long one delivery attempt may take")
	fs.DurationVar(&w.backoff, "webhook-backoff", 10*time.Second, "the wait after a delivery's first failed attempt; it doubles after each")
	fs.DurationVar(&w.maxBackoff, "webhook-max-backoff", time.Hour, "the longest wait between attempts")
	fs.IntVar(&w.maxAttempts, "webhook-max-attempts", 10, "attempts before a delivery is given up")
	fs.DurationVar(&w.interval, "webhook-interval", 2*time.Second, "how often each node looks for deliveries due")
	fs.BoolVar(&w.allowHTTP, "webhook-allow-http", false,
		"let a stack's own token webhook use an http URL, not only https")
	fs.BoolVar(&w.allowPrivate, "webhook-allow-private", false,
		"let a stack's own token webhook reach loopback, private, link-local and other non-public addresses")
	w.retention = days(7 * 24 * time.Hour)
	fs.Var(&w.retention, "webhook-retention", "how long delivery records (sent, failed or pending) are kept: 7d, 48h")
}

// service sets the service's side of the flags: what a stack's own URL may
// be.
func (w *webhookFlags) service(cfg *service.Config) {
	cfg.WebhookAllowHTTP, cfg.WebhookAllowPrivate = w.allowHTTP, w.allowPrivate
}

// worker checks the flags and returns the worker to run on every node: it
// sends each stack's events to the stack's own webhook (stacks) or else to
// --webhook-url. Messages name the URL redacted only.
func (w *webhookFlags) worker(st webhook.Store, stacks webhook.Stacks, log *slog.Logger) (*webhook.Worker, error) {
	if w.timeout <= 0 || w.backoff <= 0 || w.maxBackoff < w.backoff || w.maxAttempts < 1 || w.interval <= 0 || w.retention <= 0 {
		return nil, errors.New("--webhook-timeout, --webhook-backoff, --webhook-interval and --webhook-retention must be positive, " +
			"--webhook-max-backoff at least --webhook-backoff, --webhook-max-attempts at least 1")
	}
	wk := &webhook.Worker{Store: st, Log: log, Lease: webhookBatch*w.timeout + 30*time.Second, Backoff: w.backoff,
		MaxBackoff: w.maxBackoff, MaxAttempts: w.maxAttempts, Batch: webhookBatch, Retention: time.Duration(w.retention),
		Stacks: stacks, StackClient: webhook.NewStackClient(w.timeout, w.allowPrivate)}
	if w.url == "" {
		if w.secretFile != "" {
			return nil, errors.New("--webhook-secret-file needs --webhook-url")
		}
		return wk, nil
	}
	u, err := url.Parse(w.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--webhook-url %s: want an http or https URL", stackgate.RedactURL(w.url))
	}
	if w.secretFile == "" {
		return nil, errors.New("--webhook-url needs --webhook-secret-file")
	}
	raw, err := os.ReadFile(w.secretFile)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret-file: %w", err)
	}
	key := []byte(strings.TrimRight(string(raw), "\r\n"))
	if len(key) < 16 {
		return nil, errors.New("--webhook-secret-file: the secret must be at least 16 bytes")
	}
	wk.Sender = &webhook.Sender{URL: w.url, Secret: key, Client: webhook.NewClient(w.timeout)}
	return wk, nil
}

// run drains the outbox until ctx ends; stop waits for it.
func (w *webhookFlags) run(ctx context.Context, wk *webhook.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); wk.Run(ctx, w.interval) }()
	return func() { cancel(); <-done }
}
