package http

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/service"
)

// axiosForm serialises v as axios (toURLEncodedForm, the official SDK's
// client) does: nested keys in brackets, nested arrays by index, a top-level
// array of scalars as key[], nulls and empty arrays and objects dropped,
// scalars as their text.
func axiosForm(v map[string]any) string {
	var parts []string
	add := func(k string, x any) {
		var s string
		switch x := x.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		}
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(s))
	}
	var build func(prefix string, x any)
	build = func(prefix string, x any) {
		switch x := x.(type) {
		case nil:
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if prefix == "" {
					build(k, x[k])
				} else {
					build(prefix+"["+k+"]", x[k])
				}
			}
		case []any:
			for i, el := range x {
				build(prefix+"["+strconv.Itoa(i)+"]", el)
			}
		default:
			add(prefix, x)
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if arr, ok := v[k].([]any); ok && flat(arr) {
			for _, el := range arr {
				if el != nil {
					add(k+"[]", el)
				}
			}
			continue
		}
		build(k, v[k])
	}
	return strings.Join(parts, "&")
}

func flat(arr []any) bool {
	for _, el := range arr {
		switch el.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// decodeBoth decodes body as JSON and as its axios form into T and returns
// both, canonicalised (raw JSON fields compared by value).
func decodeBoth[T any](t *testing.T, body string) (fromJSON, fromForm any) {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	canon := func(contentType, b string) any {
		r := httptest.NewRequest("POST", "/", strings.NewReader(b))
		r.Header.Set("Content-Type", contentType)
		v, err := decode[T](r, false)
		if err != nil {
			t.Fatalf("%s %q: %v", contentType, b, err)
		}
		out, _ := json.Marshal(v)
		var c any
		_ = json.Unmarshal(out, &c)
		return c
	}
	return canon("application/json", body), canon("application/x-www-form-urlencoded; charset=utf-8", axiosForm(m))
}

// TestFormBodiesAsJSON: the bodies the SDK sends, form-encoded, decode as
// their JSON does, into the request types the handlers use.
func TestFormBodiesAsJSON(t *testing.T) {
	type roleBody struct {
		Role *service.RoleInput `json:"role"`
	}
	roles := []string{
		`{"role":{"name":"editor","description":"edits","rules":[{"module":"branch","branches":["main"],"acl":{"read":true}},
			{"module":"content_type","content_types":["$all"],"acl":{"read":true,"sub_acl":{"read":true,"create":false}}},
			{"module":"locale","locales":["fr-fr"],"restrict":true,"acl":{"read":true}},
			{"module":"taxonomy","taxonomies":["colors"],"terms":["colors.red"],"content_types":[{"uid":"$all","acl":{"read":true,"sub_acl":{"publish":true}}}]}],
			"users":["blt1","blt2"]}}`,
		// (An empty list cannot be sent: axios drops it, so "users":[] reaches
		// stackgate as no users field at all, which keeps the role's holders.)
		`{"role":{"name":"one rule","rules":[{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`,
	}
	for _, body := range roles {
		j, f := decodeBoth[roleBody](t, body)
		if d := cmp.Diff(j, f); d != "" {
			t.Errorf("role body (-json +form):\n%s", d)
		}
	}
	for _, body := range []string{
		`{"token":{"name":"dt","description":"d","scope":[{"module":"environment","environments":["production"],"acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`,
		`{"token":{"name":"mt","scope":[{"module":"$all","acl":{"read":true,"write":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}],"expires_on":"2030-01-01","is_email_notification_enabled":true}}`,
		`{"token":{"name":"mt","is_email_notification_enabled":false,"expires_on":null}}`,
	} {
		j, f := decodeBoth[tokenBody](t, body)
		if d := cmp.Diff(j, f); d != "" {
			t.Errorf("token body (-json +form):\n%s", d)
		}
	}
	for _, body := range []string{
		`{"environment":{"name":"staging","urls":[{"url":"https://s.example.com","locale":"en-us"}]}}`,
	} {
		j, f := decodeBoth[environmentBody](t, body)
		if d := cmp.Diff(j, f); d != "" {
			t.Errorf("environment body (-json +form):\n%s", d)
		}
	}
	type users struct {
		Users map[string][]string `json:"users"`
	}
	j, f := decodeBoth[users](t, `{"users":{"blt1":["r1","r2"],"blt2":["r3"]}}`)
	if d := cmp.Diff(j, f); d != "" {
		t.Errorf("users body (-json +form):\n%s", d)
	}
	type typed struct {
		N    int     `json:"n"`
		F    float64 `json:"f"`
		B    bool    `json:"b"`
		S    string  `json:"s"`
		List []int   `json:"list"`
	}
	j, f = decodeBoth[typed](t, `{"n":3,"f":1.5,"b":true,"s":"true","list":[1,2,3]}`)
	if d := cmp.Diff(j, f); d != "" {
		t.Errorf("typed body (-json +form):\n%s", d)
	}
}

// TestFormBodyOddities: what qs forms can say that JSON cannot, read so.
func TestFormBodyOddities(t *testing.T) {
	for _, tc := range []struct{ form, want string }{
		{"a=1&a=2", `{"a":"2"}`},                     // the last of a repeated scalar
		{"a[]=x&a[]=y", `{"a":["x","y"]}`},           // appended
		{"a[1]=y&a[0]=x", `{"a":["x","y"]}`},         // by index
		{"a[b=1", `{"a[b":"1"}`},                     // not bracketed: a literal key
		{"a[x]y=1", `{"a[x]y":"1"}`},                 // likewise
		{"a[0]=x&a[k]=y", `{"a":{"0":"x","k":"y"}}`}, // not all indexes: an object
		{"", `{}`},
		{"a[999999999]=x", `{"a":["x"]}`},                         // a sparse index allocates nothing: its place, not its value
		{"a[2]=z&a[999999999]=w", `{"a":["z","w"]}`},              // likewise
		{"__proto__[admin]=true", `{"__proto__":{"admin":true}}`}, // a key like any other
	} {
		got, err := formJSON(tc.form, nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.form, err)
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal([]byte(tc.want), &w)
		if d := cmp.Diff(w, g); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.form, d)
		}
	}
	if _, err := formJSON("a=%zz", nil); err == nil {
		t.Error("a bad escape is accepted")
	}
	// A key nested deeper than a body may be is refused before it is built
	// (200,000 levels cost seconds of CPU to turn into JSON).
	if _, err := formJSON("a"+strings.Repeat("[a]", maxBodyDepth)+"=1", nil); err != nil {
		t.Errorf("%d levels refused: %v", maxBodyDepth, err)
	}
	if _, err := formJSON("a"+strings.Repeat("[a]", maxBodyDepth+1)+"=1", nil); err == nil {
		t.Errorf("%d levels accepted", maxBodyDepth+1)
	}
	if _, err := formScopeJSON("a" + strings.Repeat("[a]", maxBodyDepth+1) + "=1"); err == nil {
		t.Errorf("the gate accepts %d levels", maxBodyDepth+1)
	}
	deep := httptest.NewRequest("POST", "/", strings.NewReader("role[rules]"+strings.Repeat("[a]", 200000)+"=1"))
	deep.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := decode[map[string]any](deep, false); statusOf(err) != 400 {
		t.Errorf("deep form: %v, want 400", err)
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader("a=%zz"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := decode[map[string]any](r, false); statusOf(err) != 400 {
		t.Errorf("bad form: %v, want 400", err)
	}
}

// normalForm is v as it survives a form: nulls and empty containers gone,
// numbers as text, "true"/"false" as booleans (where no type says
// otherwise, the reader cannot tell them apart).
func normalForm(v any) (any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if n, ok := normalForm(x); ok {
				out[k] = n
			}
		}
		return out, len(out) > 0
	case []any:
		out := []any{}
		for _, x := range v {
			if n, ok := normalForm(x); ok {
				out = append(out, n)
			}
		}
		return out, len(out) > 0
	case json.Number:
		return v.String(), true
	case string:
		switch v {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return v, true
	}
	return v, true
}

// formable reports whether every object key of v can be a qs key: not
// empty, no brackets, not an array index (which qs cannot tell from one).
func formable(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if _, err := strconv.Atoi(k); err == nil || k == "" || strings.ContainsAny(k, "[]&=") || !formable(x) {
				return false
			}
		}
	case []any:
		for _, x := range v {
			if !formable(x) {
				return false
			}
		}
	}
	return true
}

// FuzzFormBody: any JSON object that qs can express survives the form
// round trip, untyped, as normalForm says.
func FuzzFormBody(f *testing.F) {
	f.Add(`{"role":{"name":"x","rules":[{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`)
	f.Add(`{"a":[1,[2,{"b":null}],[]],"c":{"d":false},"e":"ü &=?"}`)
	f.Add(`{"users":{"blt1":["r1"]},"emails":["a@b.c"]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil || !formable(m) {
			t.Skip()
		}
		got, err := formJSON(axiosForm(m), nil)
		if err != nil {
			t.Fatal(err)
		}
		var g any
		dec = json.NewDecoder(bytes.NewReader(got))
		dec.UseNumber()
		if err := dec.Decode(&g); err != nil {
			t.Fatal(err)
		}
		want, ok := normalForm(m)
		if !ok {
			want = map[string]any{}
		}
		g, _ = normalForm(g)
		if g == nil {
			g = map[string]any{}
		}
		if !reflect.DeepEqual(want, g) {
			t.Fatalf("%s: form %q read as %s (-want +got):\n%s", body, axiosForm(m), got, cmp.Diff(want, g))
		}
	})
}
