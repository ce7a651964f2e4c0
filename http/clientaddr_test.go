package http_test

import (
	"net/http/httptest"
	"testing"

	sghttp "github.com/stackgate/stackgate/http"
)

func TestClientAddr(t *testing.T) {
	trusted, err := sghttp.ParseTrustedProxies("10.0.0.0/8, 192.0.2.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		peer    string
		xff     []string
		trusted bool // use the trusted list
		want    string
	}{
		{"no trusted proxies: the peer, XFF ignored", "192.0.2.1:5000", []string{"203.0.113.7"}, false, "192.0.2.1"},
		{"untrusted peer: XFF ignored", "198.51.100.2:5000", []string{"203.0.113.7"}, true, "198.51.100.2"},
		{"trusted peer: right-most untrusted", "192.0.2.1:5000", []string{"6.6.6.6, 203.0.113.7, 10.1.2.3"}, true, "203.0.113.7"},
		{"several headers count as one list", "192.0.2.1:5000", []string{"6.6.6.6", "203.0.113.8, 10.0.0.9"}, true, "203.0.113.8"},
		{"all trusted: the left-most", "192.0.2.1:5000", []string{"10.0.0.1, 10.0.0.2"}, true, "10.0.0.1"},
		{"no XFF: the peer", "192.0.2.1:5000", nil, true, "192.0.2.1"},
		{"garbage: the trusted hop that received it", "192.0.2.1:5000", []string{"203.0.113.7, not-an-ip, 10.9.9.9"}, true, "10.9.9.9"},
		{"garbage right after the peer", "192.0.2.1:5000", []string{"evil"}, true, "192.0.2.1"},
		{"IPv6 peer trusted", "[::1]:5000", []string{"2001:db8::5"}, true, "2001:db8::5"},
		{"IPv4-mapped entries are unmapped", "192.0.2.1:5000", []string{"::ffff:10.0.0.3, ::ffff:203.0.113.9"}, true, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			list := trusted
			if !tc.trusted {
				list = nil
			}
			if got := sghttp.ClientAddr(r, list); got != tc.want {
				t.Errorf("ClientAddr = %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "1.2.3"} {
		if _, err := sghttp.ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}
