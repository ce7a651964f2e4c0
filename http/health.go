package http

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// readyTimeout bounds the checks of one /readyz: a store slower than this
// is as good as down for the requests a load balancer would send.
const readyTimeout = 2 * time.Second

// readyCacheFor is how long one answer of /readyz is reused: probes from
// several load balancers every second cost one round of checks.
const readyCacheFor = time.Second

// readySentences are /readyz's words for a failed check; the cause goes to
// the log, never to this public reply (it may name hosts and users).
var readySentences = map[string]string{
	"store":      "the database does not answer",
	"migrations": "the database schema is not current: run stackgate migrate",
	"disk":       "the database's disk does not take writes (full or read-only)",
	"writable":   "the database does not take writes (read-only)",
	"listener":   "the change listener is not connected; reconnecting",
}

// readiness is the last answer of /readyz.
type readiness struct {
	mu     sync.Mutex
	at     time.Time
	status int
	body   any
}

// handleHealth handles "GET /healthz": the process is alive and serving
// HTTP. It checks nothing else, so that a supervisor restarts only a
// process that is truly stuck (/readyz says whether it can serve).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// handleReady handles "GET /readyz": 200 when every check passes, else 503;
// the body names each check and, for a failed one, what is wrong.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	if now := time.Now(); s.ready.body == nil || now.Sub(s.ready.at) >= readyCacheFor {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		checks := append(s.svc.Health(ctx), s.acc.ListenerHealth()...)
		cancel()
		out := map[string]map[string]any{}
		status := http.StatusOK
		for _, c := range checks {
			if c.Err == nil {
				out[c.Name] = map[string]any{"ok": true}
				continue
			}
			status = http.StatusServiceUnavailable
			out[c.Name] = map[string]any{"ok": false, "error": readySentences[c.Name]}
			s.log.Warn("not ready", "check", c.Name, "error", c.Err)
		}
		word := "ready"
		if status != http.StatusOK {
			word = "unready"
		}
		s.ready.at, s.ready.status, s.ready.body = now, status, map[string]any{"status": word, "checks": out}
	}
	writeJSON(w, s.ready.status, s.ready.body)
	return nil
}
