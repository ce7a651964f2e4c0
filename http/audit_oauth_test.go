package http_test

import (
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestAuditLogOAuth: a grant (consent) and a revocation are entries of the
// user's log, shown in the stacks they are a member of; neither the code in
// the consent's redirect nor the issued tokens appear in it.
func TestAuditLogOAuth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		apps := f.oauthApps()
		code := f.pkceCode(Developer, apps.public)
		tok := f.token("", form("grant_type", "authorization_code", "client_id", apps.public.ClientID, "code", code,
			"redirect_uri", testRedirect, "code_verifier", testVerifier), nil)
		if tok.status != 200 {
			t.Fatalf("token: %d %s", tok.status, tok.raw)
		}
		logs := mustDo(t, f, f.as(Owner), "GET", auditLogsPath, nil, 200)
		e := jobj(t, logs.body["logs"].([]any)[0])
		if e["module"] != "oauth" || e["event_type"] != "create" || e["created_by"] != f.users[Developer].UID {
			t.Errorf("newest entry: %v, want the developer's grant", e)
		}
		for name, v := range map[string]string{"code": code, "access token": tok.body["access_token"].(string),
			"refresh token": tok.body["refresh_token"].(string)} {
			if contains(logs.raw, v) {
				t.Errorf("the audit log holds the %s", name)
			}
		}
	})
}
