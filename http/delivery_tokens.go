package http

import (
	"encoding/json"
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
	"github.com/stackgate/stackgate/service"
)

type tokenBody struct {
	Token *struct {
		Name              *string         `json:"name"`
		Description       *string         `json:"description"`
		Scope             json.RawMessage `json:"scope"`
		ExpiresOn         json.RawMessage `json:"expires_on"`                    // management tokens
		EmailNotification *bool           `json:"is_email_notification_enabled"` // management tokens
		RateLimit         json.RawMessage `json:"rate_limit"`
		IPAllow           json.RawMessage `json:"ip_allow"`
	} `json:"token"`
}

// decodeToken reads {"token":{…}}; allowed are the modules the token
// kind's scope may name.
func decodeToken(r *http.Request, allowed map[stackgate.Module]bool) (service.TokenInput, error) {
	body, err := decode[tokenBody](r, false)
	if err != nil {
		return service.TokenInput{}, err
	}
	t := body.Token
	if t == nil {
		return service.TokenInput{}, stackgate.FieldError(stackgate.EINVALID, "token", stackgate.ProblemRequired)
	}
	in := service.TokenInput{Name: t.Name, Description: t.Description, ExpiresOn: t.ExpiresOn, EmailNotification: t.EmailNotification,
		RateLimit: t.RateLimit, IPAllow: t.IPAllow}
	in.Scope, in.ScopeProblems = wire.DecodeScope(t.Scope, allowed)
	return in, nil
}

// deliveryTokenReply renders one token with its environments expanded.
func (s *Server) deliveryTokenReply(w http.ResponseWriter, status int, note string, t *service.DeliveryTokenView) error {
	body := map[string]any{"token": renderDeliveryToken(t.DeliveryToken, t.Environments)}
	if note != "" {
		body["notice"] = note
	}
	writeJSON(w, status, body)
	return nil
}

// handleDeliveryTokenList handles "GET /v3/stacks/delivery_tokens".
func (s *Server) handleDeliveryTokenList(w http.ResponseWriter, r *http.Request) error {
	l, err := s.svc.DeliveryTokens(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeList(w, r, "tokens", deliveryTokenFields, mapSlice(l.Tokens, func(t *stackgate.DeliveryToken) deliveryTokenJSON { return renderDeliveryToken(t, l.Environments) }))
}

// handleDeliveryTokenGet handles "GET /v3/stacks/delivery_tokens/{token_uid}".
func (s *Server) handleDeliveryTokenGet(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.DeliveryToken(r.Context(), actor(r), r.PathValue("token_uid"))
	if err != nil {
		return err
	}
	return s.deliveryTokenReply(w, http.StatusOK, "", t)
}

// handleDeliveryTokenCreate handles "POST /v3/stacks/delivery_tokens".
func (s *Server) handleDeliveryTokenCreate(w http.ResponseWriter, r *http.Request) error {
	withPreview, err := queryBool(r, "create_with_preview_token", false)
	if err != nil {
		return err
	}
	in, err := decodeToken(r, service.DeliveryScopeModules)
	if err != nil {
		return err
	}
	t, err := s.svc.CreateDeliveryToken(r.Context(), actor(r), in, withPreview)
	if err != nil {
		return err
	}
	return s.deliveryTokenReply(w, http.StatusCreated, "Delivery Token created successfully.", t)
}

// handleDeliveryTokenUpdate handles "PUT /v3/stacks/delivery_tokens/{token_uid}".
func (s *Server) handleDeliveryTokenUpdate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeToken(r, service.DeliveryScopeModules)
	if err != nil {
		return err
	}
	t, err := s.svc.UpdateDeliveryToken(r.Context(), actor(r), r.PathValue("token_uid"), in)
	if err != nil {
		return err
	}
	return s.deliveryTokenReply(w, http.StatusOK, "Delivery Token updated successfully.", t)
}

// handleDeliveryTokenDelete handles "DELETE /v3/stacks/delivery_tokens/{token_uid}".
// force=true|false is accepted; nothing else references a delivery token
// here, so it changes nothing.
func (s *Server) handleDeliveryTokenDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryBool(r, "force", false); err != nil {
		return err
	}
	if err := s.svc.DeleteDeliveryToken(r.Context(), actor(r), r.PathValue("token_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Delivery Token deleted successfully."})
	return nil
}

// handlePreviewTokenCreate handles "POST /v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token".
// It takes no body: an empty body of any content type is accepted.
func (s *Server) handlePreviewTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := decode[map[string]any](r, true); err != nil {
		return err
	}
	t, err := s.svc.CreatePreviewToken(r.Context(), actor(r), r.PathValue("delivery_token_uid"))
	if err != nil {
		return err
	}
	return s.deliveryTokenReply(w, http.StatusCreated, "Preview token created successfully.", t)
}

// handlePreviewTokenDelete handles "DELETE /v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token".
func (s *Server) handlePreviewTokenDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeletePreviewToken(r.Context(), actor(r), r.PathValue("delivery_token_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Preview token deleted successfully."})
	return nil
}
