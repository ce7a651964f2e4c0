package http_test

import (
	"strings"
	"testing"

	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestBadInputNeverFails5xx sends malformed bodies, wrong types, bad query
// parameters and bad credentials to every served route: each answer must be
// a 4xx (or a success), never a server error.
func TestBadInputNeverFails5xx(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	bodies := []any{nil, "", "{", "[]", "null", "1", `"x"`, `{"token":[]}`, `{"role":"x"}`, `{"token":{"scope":{}}}`, `{"token":{"scope":[null,1,"a",{"module":1}]}}`,
		`{"role":{"rules":[null,{"module":"taxonomy","content_types":[1]}],"users":"x"}}`, `{"environment":{"urls":"x"}}`, `{"locale":{"code":5}}`,
		`{"branch":{"uid":"../x"}}`, `{"branch_alias":{"target_branch":7}}`, `{"users":{"x":"y"}}`, `{"emails":"a"}`, `{"user":{"email":1}}`,
		`{"token":{"name":"n","expires_on":12,"scope":[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"]}]}}`}
	for _, r := range authz.Routes {
		if !r.Served {
			continue
		}
		path := r.Pattern
		for strings.Contains(path, "{") {
			path = path[:strings.Index(path, "{")] + "x" + path[strings.Index(path, "}")+1:]
		}
		for _, b := range bodies {
			for _, who := range []string{"owner", "none", "bad", "content_manager"} {
				for _, query := range []string{"", "?limit=x&query=[&include_count=maybe&force=perhaps"} {
					got := f.do(req{method: r.Method, path: path + query, headers: f.headersFor(who), body: b})
					if got.status >= 500 {
						t.Errorf("%s %s%s as %s with %v: %d %s", r.Method, path, query, who, b, got.status, got.raw)
					}
				}
			}
		}
	}
}
