package stackgate_test

import (
	"testing"

	"github.com/stackgate/stackgate"
)

func TestRedactJSON(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"token envelope kept, values removed", `{"token":{"name":"a","token":"cs1","preview_token":"cs2","scope":[]}}`, `{"token":{"name":"a","scope":[]}}`},
		{"login", `{"user":{"email":"a@b.c","password":"p"}}`, `{"user":{"email":"a@b.c"}}`},
		{"authtoken at any depth, any case", `{"user":{"AuthToken":"blt1","x":[{"authorization":"cs3"}]}}`, `{"user":{"x":[{}]}}`},
		{"locale code is no secret", `{"locale":{"code":"fr-fr"}}`, `{"locale":{"code":"fr-fr"}}`},
		{"keys as the decoder folds them (U+017F is s, U+212A is k)", `{"user":{"pa\u017f\u017fword":"p","PASSWORD":"q"},"to\u212aen":"cs1"}`, `{"user":{}}`},
		{"a URL without its query, user info or fragment", `{"token_webhook":{"url":"https://u:p@hooks.example.com/a?token=s3cr3t#f","events":["created"]}}`,
			`{"token_webhook":{"events":["created"],"url":"https://hooks.example.com/a"}}`},
		{"numbers too", `{"password":12345}`, `{}`},
		{"OAuth consent reply: the code in the redirect", `{"data":{"redirect_url":"https://app/cb?code=abc&state=s"}}`, `{"data":{}}`},
		{"OAuth token reply", `{"access_token":"a","refresh_token":"r","token_type":"Bearer"}`, `{"token_type":"Bearer"}`},
		{"not JSON is dropped", `token=cs1`, ``},
		{"empty", ``, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(stackgate.RedactJSON([]byte(tc.in))); got != tc.want {
				t.Errorf("RedactJSON(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
