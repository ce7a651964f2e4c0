package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// tokenWebhookJSON is a stack's token webhook on the wire (a stackgate
// extension). Secret is set only in the replies that made it: the first
// PUT and rotate_secret.
type tokenWebhookJSON struct {
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	SecretHint string   `json:"secret_hint"`
	Secret     string   `json:"secret,omitempty"`
	CreatedBy  string   `json:"created_by"`
	UpdatedBy  string   `json:"updated_by"`
	CreatedAt  string   `json:"created_at"`
	UpdatedAt  string   `json:"updated_at"`
}

func renderTokenWebhook(w *stackgate.TokenWebhook, secret string) tokenWebhookJSON {
	return tokenWebhookJSON{URL: w.URL, Events: w.Events, SecretHint: w.SecretHint, Secret: secret,
		CreatedBy: w.CreatedBy, UpdatedBy: w.UpdatedBy,
		CreatedAt: stackgate.FormatTime(w.CreatedAt), UpdatedAt: stackgate.FormatTime(w.UpdatedAt)}
}

type tokenWebhookBody struct {
	TokenWebhook *struct {
		URL    *string  `json:"url"`
		Events []string `json:"events"`
	} `json:"token_webhook"`
}

// handleTokenWebhookGet handles "GET /v3/stacks/token_webhook".
func (s *Server) handleTokenWebhookGet(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.svc.TokenWebhook(r.Context(), principal(r).Stack.UID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_webhook": renderTokenWebhook(hook, "")})
	return nil
}

// handleTokenWebhookPut handles "PUT /v3/stacks/token_webhook": 201 with
// the new secret when it made the webhook, 200 without when it changed it.
func (s *Server) handleTokenWebhookPut(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[tokenWebhookBody](r, false)
	if err != nil {
		return err
	}
	if body.TokenWebhook == nil {
		return &stackgate.Error{Code: stackgate.EINVALID,
			Fields: map[string][]string{"token_webhook": {stackgate.ProblemRequired}}}
	}
	hook, secret, created, err := s.svc.PutTokenWebhook(r.Context(), actor(r),
		service.TokenWebhookInput{URL: body.TokenWebhook.URL, Events: body.TokenWebhook.Events})
	if err != nil {
		return err
	}
	if created {
		writeJSON(w, http.StatusCreated, map[string]any{"notice": "Token webhook created successfully.",
			"token_webhook": renderTokenWebhook(hook, secret)})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Token webhook updated successfully.",
		"token_webhook": renderTokenWebhook(hook, "")})
	return nil
}

// handleTokenWebhookRotateSecret handles "POST
// /v3/stacks/token_webhook/rotate_secret".
func (s *Server) handleTokenWebhookRotateSecret(w http.ResponseWriter, r *http.Request) error {
	hook, secret, err := s.svc.RotateTokenWebhookSecret(r.Context(), actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Token webhook secret rotated successfully.",
		"token_webhook": renderTokenWebhook(hook, secret)})
	return nil
}

// handleTokenWebhookDelete handles "DELETE /v3/stacks/token_webhook".
func (s *Server) handleTokenWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteTokenWebhook(r.Context(), actor(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Token webhook deleted successfully."})
	return nil
}
