package http_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestTokenExpiresHeader: replies to a request authenticated by a management
// token that expires carry X-Stackgate-Token-Expires, the instant it stops
// working (00:00 UTC after its expires_on date); others carry none.
func TestTokenExpiresHeader(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		day := midnightUTC(time.Now()).AddDate(0, 0, 3)
		expiring := createMgmt(t, f, mgmtTokenBody("expiring", allOnMain(readWriteACL()), map[string]any{"expires_on": day.Format("2006-01-02")}))
		readOnly := createMgmt(t, f, mgmtTokenBody("read only", allOnMain(readACL()), map[string]any{"expires_on": day.Format(time.RFC3339)}))
		never := createMgmt(t, f, mgmtTokenBody("never", allOnMain(readWriteACL()), nil))
		want := day.AddDate(0, 0, 1).Format(time.RFC3339)
		for _, tc := range []struct {
			name    string
			headers map[string]string
			method  string
			path    string
			status  int
			want    string
		}{
			{"an expiring token", f.withToken(expiring["token"].(string)), "GET", "/v3/environments", 200, want},
			{"an expiring token on another route", f.withToken(expiring["token"].(string)), "GET", "/v3/roles", 200, want},
			{"an expiring token refused an action (still authenticated)", f.withToken(readOnly["token"].(string)), "POST", "/v3/environments", 403, ""},
			{"a token that never expires", f.withToken(never["token"].(string)), "GET", "/v3/environments", 200, ""},
			{"an authtoken", f.as(Owner), "GET", "/v3/environments", 200, ""},
			{"an unknown token", f.withToken("cs000000000000000000000000"), "GET", "/v3/environments", 401, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.method == "POST" {
					body = envBody("probe")
				}
				r := f.do(req{method: tc.method, path: tc.path, headers: tc.headers, body: body})
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
				}
				if tc.status == 403 {
					tc.want = want // refused, but by a token that expires
				}
				if got := r.header.Get("X-Stackgate-Token-Expires"); got != tc.want {
					t.Errorf("X-Stackgate-Token-Expires %q, want %q", got, tc.want)
				}
			})
		}
	})
}

// TestNoticeMetrics: /metrics counts the expiry notices this process
// handled, by outcome; without SMTP they are "logged".
func TestNoticeMetrics(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	day := midnightUTC(time.Now()).AddDate(0, 0, 2)
	createMgmt(t, f, mgmtTokenBody("noticed", allOnMain(readWriteACL()), map[string]any{"expires_on": day.Format("2006-01-02"), "is_email_notification_enabled": true}))
	if err := f.svc.NewNotifier(nil, service.NoticeConfig{}).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{
		`stackgate_expiry_notices_total{outcome="logged"} 1`,
		`stackgate_expiry_notices_total{outcome="sent"} 0`,
		`stackgate_expiry_notices_total{outcome="failed"} 0`,
	} {
		if !strings.Contains(rec.Body.String(), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
