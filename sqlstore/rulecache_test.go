package sqlstore

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
)

// TestCloneRulesSharesNothing: every slice and pointer of a Rule, whatever
// fields it grows, is copied; the copy equals the original.
func TestCloneRulesSharesNothing(t *testing.T) {
	yes := true
	acl := stackgate.ACL{Read: &yes, Write: &yes, Create: &yes, Update: &yes, Delete: &yes, Publish: &yes,
		SubACL: &stackgate.ACL{Read: &yes, Create: &yes, Update: &yes, Delete: &yes, Publish: &yes}}
	r := stackgate.Rule{Module: "m", ContentType: "ct", Restrict: true, HasRestrict: true, ACL: acl,
		TaxonomyContentTypes: []stackgate.TaxonomyContentType{{UID: "u", ACL: acl}}}
	rv := reflect.ValueOf(&r).Elem()
	for i := range rv.NumField() {
		if f := rv.Field(i); f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String {
			f.Set(reflect.ValueOf([]string{"x"}))
		}
	}
	orig := []stackgate.Rule{r}
	cp := cloneRules(orig)
	if d := cmp.Diff(orig, cp); d != "" {
		t.Fatalf("clone differs: %s", d)
	}
	shared(t, reflect.ValueOf(orig[0]), reflect.ValueOf(cp[0]), "Rule")
}

// shared fails when a and b hold the same slice or pointer anywhere.
func shared(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s is shared", path)
		}
		for i := range a.Len() {
			shared(t, a.Index(i), b.Index(i), path+"[]")
		}
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s is shared", path)
		}
		if !a.IsNil() {
			shared(t, a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			shared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	}
}
