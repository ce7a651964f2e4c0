package access

import "time"

// SetSessionUsesSweep sets how often MarkFlushed forgets session records,
// and returns a func restoring it.
func SetSessionUsesSweep(d time.Duration) func() {
	old := sessionUsesSweep
	sessionUsesSweep = d
	return func() { sessionUsesSweep = old }
}
