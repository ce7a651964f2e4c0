package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

type environmentBody struct {
	Environment *struct {
		Name *string                    `json:"name"`
		URLs []stackgate.EnvironmentURL `json:"urls"`
	} `json:"environment"`
}

func decodeEnvironment(r *http.Request) (service.EnvironmentInput, error) {
	body, err := decode[environmentBody](r, false)
	if err != nil {
		return service.EnvironmentInput{}, err
	}
	if body.Environment == nil {
		// On PUT too, the wire has always said "creation" here, not the route's "update".
		return service.EnvironmentInput{}, &stackgate.Error{Code: stackgate.EINVALID, Message: "Environment creation failed. Please try again.",
			Fields: map[string][]string{"environment": {stackgate.ProblemRequired}}}
	}
	return service.EnvironmentInput{Name: body.Environment.Name, URLs: body.Environment.URLs}, nil
}

// handleEnvironmentList handles "GET /v3/environments".
func (s *Server) handleEnvironmentList(w http.ResponseWriter, r *http.Request) error {
	envs, err := s.svc.Environments(r.Context(), principal(r).Stack.UID)
	if err != nil {
		return err
	}
	return writeList(w, r, "environments", environmentFields, mapSlice(envs, renderEnvironment))
}

// handleEnvironmentGet handles "GET /v3/environments/{environment_name}".
func (s *Server) handleEnvironmentGet(w http.ResponseWriter, r *http.Request) error {
	e, err := s.svc.Environment(r.Context(), principal(r).Stack.UID, r.PathValue("environment_name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"environment": renderEnvironment(e)})
	return nil
}

// handleEnvironmentCreate handles "POST /v3/environments".
func (s *Server) handleEnvironmentCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeEnvironment(r)
	if err != nil {
		return err
	}
	e, err := s.svc.CreateEnvironment(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"notice": "Environment created successfully.", "environment": renderEnvironment(e)})
	return nil
}

// handleEnvironmentUpdate handles "PUT /v3/environments/{environment_name}".
func (s *Server) handleEnvironmentUpdate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeEnvironment(r)
	if err != nil {
		return err
	}
	e, err := s.svc.UpdateEnvironment(r.Context(), actor(r), r.PathValue("environment_name"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Environment updated successfully.", "environment": renderEnvironment(e)})
	return nil
}

// handleEnvironmentDelete handles "DELETE /v3/environments/{environment_name}".
func (s *Server) handleEnvironmentDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteEnvironment(r.Context(), actor(r), r.PathValue("environment_name")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Environment deleted successfully."})
	return nil
}
