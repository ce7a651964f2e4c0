package http

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
)

type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pg: " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

func TestStoreUnreachable(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("connect: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), true},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"cut mid-reply", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection failure SQLSTATE", sqlStateErr("08006"), true},
		{"admin shutdown SQLSTATE", fmt.Errorf("x: %w", sqlStateErr("57P01")), true},
		{"unique violation", sqlStateErr("23505"), false},
		{"a bug", errors.New("sql: converting argument"), false},
	} {
		if got := storeUnreachable(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
