package http

import (
	"encoding/json"
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

func decodeLocale(r *http.Request) (service.LocaleInput, error) {
	body, err := decode[struct {
		Locale *struct {
			Code           *string         `json:"code"`
			Name           *string         `json:"name"`
			FallbackLocale json.RawMessage `json:"fallback_locale"`
		} `json:"locale"`
	}](r, false)
	if err != nil {
		return service.LocaleInput{}, err
	}
	if body.Locale == nil {
		// On PUT too, the wire has always said "creation" here, not the route's "update".
		return service.LocaleInput{}, &stackgate.Error{Code: stackgate.EINVALID, Message: "Language creation failed. Please try again.",
			Fields: map[string][]string{"locale": {stackgate.ProblemRequired}}}
	}
	in := service.LocaleInput{Code: body.Locale.Code, Name: body.Locale.Name}
	if len(body.Locale.FallbackLocale) > 0 && string(body.Locale.FallbackLocale) != "null" {
		var fb string
		if err := json.Unmarshal(body.Locale.FallbackLocale, &fb); err != nil {
			return in, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "Please send a valid JSON body.",
				Fields: map[string][]string{"locale.fallback_locale": {"is of the wrong type."}}}
		}
		in.FallbackLocale = &fb
	}
	return in, nil
}

// handleLocaleList handles "GET /v3/locales".
func (s *Server) handleLocaleList(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.svc.Locales(r.Context(), principal(r).Stack.UID)
	if err != nil {
		return err
	}
	return writeList(w, r, "locales", localeFields, mapSlice(ls, renderLocale))
}

// handleLocaleGet handles "GET /v3/locales/{locale_code}".
func (s *Server) handleLocaleGet(w http.ResponseWriter, r *http.Request) error {
	l, err := s.svc.Locale(r.Context(), principal(r).Stack.UID, r.PathValue("locale_code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"locale": renderLocale(l)})
	return nil
}

// handleLocaleCreate handles "POST /v3/locales".
func (s *Server) handleLocaleCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeLocale(r)
	if err != nil {
		return err
	}
	l, err := s.svc.CreateLocale(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"notice": "Language added successfully.", "locale": renderLocale(l)})
	return nil
}

// handleLocaleUpdate handles "PUT /v3/locales/{locale_code}".
func (s *Server) handleLocaleUpdate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeLocale(r)
	if err != nil {
		return err
	}
	l, err := s.svc.UpdateLocale(r.Context(), actor(r), r.PathValue("locale_code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Language updated successfully.", "locale": renderLocale(l)})
	return nil
}

// handleLocaleDelete handles "DELETE /v3/locales/{locale_code}".
func (s *Server) handleLocaleDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteLocale(r.Context(), actor(r), r.PathValue("locale_code")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Language removed successfully."})
	return nil
}
