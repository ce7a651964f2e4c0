package http

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
)

// storeUnreachable reports whether err says the database could not be
// reached or went away mid-request (a network error, a connection the
// driver gave up, or PostgreSQL's connection-exception and shutdown
// SQLSTATEs), which is an outage to retry after (503), not a bug (500).
// It reads only standard interfaces, so http knows no driver.
func storeUnreachable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		code := st.SQLState()
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	return false
}
