package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
)

// handleLogin handles "POST /v3/user-session".
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		User *struct {
			Email    *string `json:"email"`
			Password *string `json:"password"`
		} `json:"user"`
	}](r, false)
	if err != nil {
		return err
	}
	v := stackgate.Validation{}
	if body.User == nil {
		v.Add("user", stackgate.ProblemRequired)
	} else {
		if body.User.Email == nil || *body.User.Email == "" {
			v.Add("user.email", stackgate.ProblemRequired)
		}
		if body.User.Password == nil || *body.User.Password == "" {
			v.Add("user.password", stackgate.ProblemRequired)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, token, err := s.svc.LoginFrom(r.Context(), *body.User.Email, *body.User.Password, info(r.Context()).client, r.UserAgent())
	if err != nil {
		return err
	}
	info(r.Context()).principal = "user:" + u.UID
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Login Successful.", "user": renderUser(u, token)})
	return nil
}

// handleLogout handles "DELETE /v3/user-session".
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.svc.Logout(r.Context(), uid, header(r, hAuthtoken)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"You've logged out successfully!"})
	return nil
}

// handleUserGet handles "GET /v3/user".
func (s *Server) handleUserGet(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.routeUser(r, "GET", "/v3/user")
	if err != nil {
		return err
	}
	u, err := s.svc.CurrentUser(r.Context(), uid)
	if err != nil {
		return err
	}
	info(r.Context()).principal = "user:" + u.UID
	j := renderUser(u, "")
	if token := header(r, hAuthtoken); token != "" {
		sess, err := s.svc.SessionOf(r.Context(), token)
		switch {
		case err == nil:
			j.LastUsedAt = renderUsed(sess.LastUsedAt)
		case !stackgate.IsCode(err, stackgate.ENOTFOUND): // ended meanwhile: no last use to show
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": j})
	return nil
}
