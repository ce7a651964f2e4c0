package http

import (
	"context"
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// rotateBody is the body of the rotate routes; an empty body is a rotation
// without grace.
type rotateBody struct {
	GracePeriodSeconds *int64 `json:"grace_period_seconds"`
}

// previousExpiresAt renders when the replaced value stops working: null
// when it already has (no grace).
func previousExpiresAt(r service.Rotation) *string {
	if r.PreviousExpiresAt.IsZero() {
		return nil
	}
	s := stackgate.FormatTime(r.PreviousExpiresAt)
	return &s
}

// handleDeliveryTokenRotate handles "POST /v3/stacks/delivery_tokens/{token_uid}/rotate".
func (s *Server) handleDeliveryTokenRotate(w http.ResponseWriter, r *http.Request) error {
	return s.rotateDelivery(w, r, "token_uid", "Delivery Token rotated successfully.", s.svc.RotateDeliveryToken)
}

// handlePreviewTokenRotate handles "POST /v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token/rotate".
func (s *Server) handlePreviewTokenRotate(w http.ResponseWriter, r *http.Request) error {
	return s.rotateDelivery(w, r, "delivery_token_uid", "Preview token rotated successfully.", s.svc.RotatePreviewToken)
}

func (s *Server) rotateDelivery(w http.ResponseWriter, r *http.Request, wildcard, note string,
	rotate func(ctx context.Context, by stackgate.Actor, uid string, grace *int64) (*service.DeliveryTokenView, service.Rotation, error)) error {
	body, err := decode[rotateBody](r, true)
	if err != nil {
		return err
	}
	t, rot, err := rotate(r.Context(), actor(r), r.PathValue(wildcard), body.GracePeriodSeconds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": note, "token": renderDeliveryToken(t.DeliveryToken, t.Environments),
		"previous_token_expires_at": previousExpiresAt(rot)})
	return nil
}

// handleManagementTokenRotate handles "POST /v3/stacks/management_tokens/{token_uid}/rotate".
// The reply carries the new value: the only time it is shown.
func (s *Server) handleManagementTokenRotate(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[rotateBody](r, true)
	if err != nil {
		return err
	}
	t, rot, err := s.svc.RotateManagementToken(r.Context(), actor(r), r.PathValue("token_uid"), body.GracePeriodSeconds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Management Token rotated successfully.", "token": renderManagementToken(t),
		"previous_token_expires_at": previousExpiresAt(rot)})
	return nil
}
