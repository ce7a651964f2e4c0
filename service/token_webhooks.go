package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/webhook"
)

// TokenWebhookInput is the body of PUT /v3/stacks/token_webhook. URL is
// required; Events nil selects every event (stackgate.TokenWebhookEvents).
type TokenWebhookInput struct {
	URL    *string
	Events []string
}

// newWebhookSecret returns a fresh signing secret: "whsec_" and 26
// base32 characters (128 bits from a CSPRNG).
func newWebhookSecret() string { return "whsec_" + rand.Text() }

// TokenWebhook returns the stack's token webhook (its secret sealed) or
// ENOTFOUND.
func (s *Service) TokenWebhook(ctx context.Context, stackUID string) (*stackgate.TokenWebhook, error) {
	return s.store.FindTokenWebhook(ctx, stackUID)
}

// checkTokenWebhook validates in and returns the URL and the events, in
// their canonical order.
func (s *Service) checkTokenWebhook(in TokenWebhookInput) (string, []string, error) {
	v := stackgate.Validation{}
	var u string
	if in.URL == nil || strings.TrimSpace(*in.URL) == "" {
		v.Add("url", stackgate.ProblemRequired)
	} else {
		u = strings.TrimSpace(*in.URL)
		if p := webhook.CheckURL(u, s.cfg.WebhookAllowHTTP, s.cfg.WebhookAllowPrivate); p != "" {
			v.Add("url", p)
		}
	}
	events := stackgate.TokenWebhookEvents
	if in.Events != nil {
		if len(in.Events) == 0 {
			v.Add("events", "must select at least one event.")
		}
		for _, e := range in.Events {
			if !slices.Contains(stackgate.TokenWebhookEvents, e) {
				v.Add("events", fmt.Sprintf("%q is not an event: want created, rotated, revoked, expiring or expired.", e))
			}
		}
		events = []string{}
		for _, e := range stackgate.TokenWebhookEvents {
			if slices.Contains(in.Events, e) {
				events = append(events, e)
			}
		}
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	return u, slices.Clone(events), nil
}

// PutTokenWebhook sets the stack's token webhook. The first one is given a
// new secret, returned here (created true) and never again; a later PUT
// changes the URL and events and keeps the secret ("" then).
func (s *Service) PutTokenWebhook(ctx context.Context, by stackgate.Actor, in TokenWebhookInput) (*stackgate.TokenWebhook, string, bool, error) {
	u, events, err := s.checkTokenWebhook(in)
	if err != nil {
		return nil, "", false, err
	}
	for range 2 { // a concurrent first PUT may win the insert: then this one updates
		w, err := s.store.FindTokenWebhook(ctx, by.Stack.UID)
		switch {
		case err == nil:
			w.URL, w.Events, w.UpdatedBy, w.UpdatedAt = u, events, by.UID, s.Now()
			w.Secret = stackgate.Sealed{} // kept
			if err := s.store.UpdateTokenWebhook(ctx, w); err != nil {
				return nil, "", false, err
			}
			w, err = s.store.FindTokenWebhook(ctx, by.Stack.UID)
			return w, "", false, err
		case stackgate.ErrorCode(err) != stackgate.ENOTFOUND:
			return nil, "", false, err
		}
		now := s.Now()
		w = &stackgate.TokenWebhook{StackUID: by.Stack.UID, URL: u, Events: events,
			CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
		value, err := s.sealWebhookSecret(w)
		if err != nil {
			return nil, "", false, err
		}
		err = s.store.CreateTokenWebhook(ctx, w)
		if stackgate.ErrorCode(err) == stackgate.ECONFLICT {
			continue
		}
		if err != nil {
			return nil, "", false, err
		}
		return w, value, true, nil
	}
	return nil, "", false, stackgate.ErrConflict("token_webhook")
}

// sealWebhookSecret gives w a new secret and returns its value.
func (s *Service) sealWebhookSecret(w *stackgate.TokenWebhook) (string, error) {
	value := newWebhookSecret()
	sealed, err := s.keys.Seal(value)
	if err != nil {
		return "", err
	}
	w.Secret, w.SecretHint = sealed, value[len(value)-4:]
	return value, nil
}

// RotateTokenWebhookSecret replaces the stack's webhook secret and returns
// the new value (shown this once). Deliveries sent from then on, queued
// ones included, are signed with it; the old one signs nothing more.
func (s *Service) RotateTokenWebhookSecret(ctx context.Context, by stackgate.Actor) (*stackgate.TokenWebhook, string, error) {
	w, err := s.store.FindTokenWebhook(ctx, by.Stack.UID)
	if err != nil {
		return nil, "", err
	}
	value, err := s.sealWebhookSecret(w)
	if err != nil {
		return nil, "", err
	}
	w.UpdatedBy, w.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateTokenWebhook(ctx, w); err != nil {
		return nil, "", err
	}
	return w, value, nil
}

// DeleteTokenWebhook removes the stack's webhook: its events go to the
// node-wide webhook again, if there is one.
func (s *Service) DeleteTokenWebhook(ctx context.Context, by stackgate.Actor) error {
	return s.store.DeleteTokenWebhook(ctx, by.Stack.UID)
}

// TokenWebhookTarget returns the stack's webhook and its secret in clear,
// for the delivery worker (webhook.Stacks); ENOTFOUND when it has none.
func (s *Service) TokenWebhookTarget(ctx context.Context, stackUID string) (*stackgate.TokenWebhook, []byte, error) {
	w, err := s.store.FindTokenWebhook(ctx, stackUID)
	if err != nil {
		return nil, nil, err
	}
	value, err := s.keys.Open(w.Secret)
	if err != nil {
		return nil, nil, err
	}
	return w, []byte(value), nil
}
