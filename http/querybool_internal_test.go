package http

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestQueryBool: the spellings a boolean query parameter accepts (README,
// Compatibility: true/false in any case, 1/0), and that anything else is a
// 400 naming the parameter.
func TestQueryBool(t *testing.T) {
	for _, tc := range []struct {
		raw     string // the query string; "" for none
		def     bool
		want    bool
		refused bool
	}{
		{"", false, false, false},
		{"", true, true, false},
		{"flag=", true, true, false},
		{"flag=true", false, true, false},
		{"flag=TRUE", false, true, false},
		{"flag=True", false, true, false},
		{"flag=false", true, false, false},
		{"flag=False", true, false, false},
		{"flag=1", false, true, false},
		{"flag=0", true, false, false},
		{"flag=yes", false, false, true},
		{"flag=2", false, false, true},
		{"flag=-1", false, false, true},
		{"flag=t", false, false, true},
		{"flag=" + url.QueryEscape(" true"), false, false, true},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := queryBool(httptest.NewRequest("GET", "/?"+tc.raw, nil), "flag", tc.def)
			if tc.refused {
				e, ok := err.(interface{ Error() string })
				if !ok || statusOf(err) != 400 {
					t.Fatalf("queryBool = %v, %v; want a 400", got, e)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("queryBool = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
