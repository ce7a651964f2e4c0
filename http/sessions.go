package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
)

// A user's own sessions (a stackgate extension; Contentstack has none): each
// authtoken the user logged in with and has not ended, named by a uid,
// never by the authtoken or its hash. Only an authtoken lists or ends them;
// a session of another user answers as an unknown uid does.

type sessionJSON struct {
	UID        string `json:"uid"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at,omitempty"` // absent until first used (flushed every ≤ 10 s), as the tokens'
	UserAgent  string `json:"user_agent"`             // the User-Agent at login, cut to 256 bytes
	RemoteAddr string `json:"remote_addr"`            // the client's address at login (--trusted-proxies)
	Current    bool   `json:"current"`                // the session of the authtoken asking
}

// handleSessionList handles "GET /v3/user/sessions".
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	list, err := s.svc.Sessions(r.Context(), uid, header(r, hAuthtoken))
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, sess := range list {
		out = append(out, sessionJSON{UID: sess.UID, CreatedAt: stackgate.FormatTime(sess.CreatedAt),
			LastUsedAt: renderUsed(sess.LastUsedAt), UserAgent: sess.UserAgent, RemoteAddr: sess.RemoteAddr, Current: sess.Current})
	}
	info(r.Context()).principal = "user:" + uid
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

// handleSessionDelete handles "DELETE /v3/user/sessions/{session_uid}".
func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	info(r.Context()).principal = "user:" + uid
	if err := s.svc.EndSession(r.Context(), uid, r.PathValue("session_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The session has been ended."})
	return nil
}
