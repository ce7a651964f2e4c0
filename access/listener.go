package access

import (
	"errors"

	"github.com/stackgate/stackgate"
)

// The states of the change listener (Checker.Listen).
const (
	listenerUnstarted int32 = iota // Listen not called: a tool, not a server
	listenerUp
	listenerDown // lost: the cache is bypassed until it listens again
)

var errListenerDown = errors.New("the change listener is not connected (reconnecting); the cache is bypassed")

func (c *Checker) listenerChanged(listening bool) {
	if listening && c.listener.Load() == listenerDown {
		c.reconnects.Add(1)
	}
	if listening {
		c.listener.Store(listenerUp)
	} else {
		c.listener.Store(listenerDown)
	}
}

// ListenerHealth is the change listener's readiness check, or none when
// the store has no listener or Listen was never called. A node whose
// listener is down still answers correctly (its cache is bypassed), but
// every request then costs a store round trip, and a load balancer should
// prefer its peers.
func (c *Checker) ListenerHealth() []stackgate.HealthCheck {
	if _, ok := c.store.(stackgate.ChangeListener); !ok {
		return nil
	}
	switch c.listener.Load() {
	case listenerUp:
		return []stackgate.HealthCheck{{Name: "listener"}}
	case listenerDown:
		return []stackgate.HealthCheck{{Name: "listener", Err: errListenerDown}}
	}
	return nil
}

// ListenerStats are the change listener's state and history, for metrics.
type ListenerStats struct {
	Started    bool   // Listen was called (a server, not a tool)
	Up         bool   // listening: other nodes' changes arrive
	Reconnects uint64 // times it listened again after losing its connection
}

// ListenerStats returns the listener's state.
func (c *Checker) ListenerStats() ListenerStats {
	st := c.listener.Load()
	return ListenerStats{Started: st != listenerUnstarted, Up: st == listenerUp, Reconnects: c.reconnects.Load()}
}
