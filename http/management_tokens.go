package http

import (
	"net/http"

	"github.com/stackgate/stackgate/service"
)

// handleManagementTokenList handles "GET /v3/stacks/management_tokens".
func (s *Server) handleManagementTokenList(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.svc.ManagementTokens(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeList(w, r, "tokens", managementTokenFields, mapSlice(ts, renderManagementToken))
}

// handleManagementTokenGet handles "GET /v3/stacks/management_tokens/{token_uid}".
func (s *Server) handleManagementTokenGet(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.ManagementToken(r.Context(), actor(r), r.PathValue("token_uid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": renderManagementToken(t)})
	return nil
}

// handleManagementTokenCreate handles "POST /v3/stacks/management_tokens".
// The reply is the only place the secret ever appears.
func (s *Server) handleManagementTokenCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeToken(r, service.ManagementScopeModules)
	if err != nil {
		return err
	}
	t, err := s.svc.CreateManagementToken(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"notice": "Management Token created successfully.", "token": renderManagementToken(t)})
	return nil
}

// handleManagementTokenUpdate handles "PUT /v3/stacks/management_tokens/{token_uid}".
func (s *Server) handleManagementTokenUpdate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeToken(r, service.ManagementScopeModules)
	if err != nil {
		return err
	}
	t, err := s.svc.UpdateManagementToken(r.Context(), actor(r), r.PathValue("token_uid"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Management Token updated successfully.", "token": renderManagementToken(t)})
	return nil
}

// handleManagementTokenDelete handles "DELETE /v3/stacks/management_tokens/{token_uid}".
func (s *Server) handleManagementTokenDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteManagementToken(r.Context(), actor(r), r.PathValue("token_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Management Token deleted successfully."})
	return nil
}
