package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// TestRuleJSON: rules come back out exactly as the Roles page writes them,
// the taxonomy module's content_types objects included.
func TestRuleJSON(t *testing.T) {
	for name, in := range map[string]string{
		"branch":           `{"module":"branch","branches":["main"],"acl":{"read":true}}`,
		"content_type":     `{"module":"content_type","content_types":["marketing_blogs"],"acl":{"read":true,"sub_acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}}}`,
		"taxonomy":         `{"module":"taxonomy","content_types":[{"uid":"$all","acl":{"read":true,"sub_acl":{"read":true}}}],"taxonomies":["regions"],"terms":["regions.north_america"],"acl":{"read":true}}`,
		"locale exception": `{"module":"locale","locales":["blt1"],"acl":{"read":true,"sub_acl":{"read":false,"create":false,"update":true,"delete":false}},"restrict":true}`,
		"entry":            `{"module":"entry","content_type":"blog","entries":["blt2"],"acl":{"read":true}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var r wire.Rule
			if err := json.Unmarshal([]byte(in), &r); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var want, got map[string]any
			_ = json.Unmarshal([]byte(in), &want)
			_ = json.Unmarshal(out, &got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round trip (-in +out):\n%s", diff)
			}
		})
	}
}

// TestACLStringBooleans: the .NET SDK sends "true"/"false" strings.
func TestACLStringBooleans(t *testing.T) {
	var a wire.ACL
	if err := json.Unmarshal([]byte(`{"read":"true","write":"false","sub_acl":{"create":"true"}}`), &a); err != nil {
		t.Fatal(err)
	}
	if !stackgate.True(a.Read) || a.Write == nil || *a.Write || !stackgate.True(a.SubACL.Create) {
		t.Fatalf("acl %+v", a)
	}
	for _, bad := range []string{`{"read":"yes"}`, `{"read":1}`, `{"read":[]}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestSubACLKeepsItsFiveRights: a sub_acl has no write and no sub_acl of its
// own; such keys are ignored, whatever they hold, and never rendered.
func TestSubACLKeepsItsFiveRights(t *testing.T) {
	var a wire.ACL
	if err := json.Unmarshal([]byte(`{"read":true,"sub_acl":{"read":"true","write":"yes","sub_acl":1}}`), &a); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"read":true,"sub_acl":{"read":true}}`; string(out) != want {
		t.Fatalf("rendered %s, want %s", out, want)
	}
}
