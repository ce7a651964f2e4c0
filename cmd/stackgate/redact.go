package main

import (
	"net/url"
	"strings"
)

// secretParams are the connection-string parameters that hold secrets.
var secretParams = []string{"password", "sslpassword", "passfile", "sslkey"}

// redact returns a database or upstream URL fit for a log line or an error
// message: its password (userinfo or a secret parameter) replaced by ***. A
// string that does not parse as a URL is never echoed: only its scheme is
// shown, since where its password is cannot be known.
func redact(raw string) string {
	if strings.HasPrefix(raw, "sqlite:") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || !strings.Contains(raw, "://") {
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || strings.ContainsAny(scheme, " =@:/") {
			return "(a connection string that is not a URL; not shown)"
		}
		return scheme + "://(unparsable; not shown)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	changed := false
	for k := range q {
		for _, p := range secretParams {
			if strings.EqualFold(k, p) {
				q.Set(k, "***")
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	out := u.String()
	return strings.ReplaceAll(out, "%2A%2A%2A", "***")
}
