package http

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Form bodies. Once the official SDK has an OAuth token it sends CMA bodies
// as application/x-www-form-urlencoded in qs bracket notation, as axios
// serialises an object: `role[name]=x&role[rules][0][module]=branch&
// role[rules][0][branches][0]=main`, a top-level array as `key[]=v`, empty
// arrays dropped, null as "", every scalar as its text. formJSON turns such a
// body back into the JSON its sender meant, so that decode reads it exactly
// as the JSON equivalent. The text of a scalar does not say whether it was a
// string, a number or a boolean, so the type the body is decoded into decides
// (a bool field takes "true"/"false", a number field a number); where the type
// does not say (json.RawMessage, any: role rules), "true" and "false" are
// booleans and everything else is a string.

// formNode is one bracket path of a form body: its values, or its children.
type formNode struct {
	vals  []string
	list  bool // written key[]: its values are an array
	kids  map[string]*formNode
	order []string // kids in first-seen order
}

func (n *formNode) kid(name string) *formNode {
	if n.kids == nil {
		n.kids = map[string]*formNode{}
	}
	k, ok := n.kids[name]
	if !ok {
		k = &formNode{}
		n.kids[name] = k
		n.order = append(n.order, name)
	}
	return k
}

// formKey splits `a[b][0][]` into a, b, 0 and a trailing "" (an append); a
// key that is not well bracketed is one literal name.
func formKey(key string) []string {
	i := strings.IndexByte(key, '[')
	if i <= 0 {
		return []string{key}
	}
	segs := []string{key[:i]}
	rest := key[i:]
	for rest != "" {
		if rest[0] != '[' {
			return []string{key}
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return []string{key}
		}
		segs = append(segs, rest[1:j])
		rest = rest[j+1:]
	}
	return segs
}

// formJSON returns the JSON of a form body, shaped for decoding into t.
func formJSON(body string, t reflect.Type) ([]byte, error) {
	root := &formNode{}
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		n := root
		segs := formKey(key)
		if len(segs)-1 > maxBodyDepth {
			// As deep as a JSON body may be, no deeper: building and
			// encoding a deeper tree costs seconds for a megabyte.
			return nil, errFormTooDeep
		}
		for i, s := range segs {
			if s == "" && i == len(segs)-1 && i > 0 {
				n.list = true
				break
			}
			n = n.kid(s)
		}
		n.vals = append(n.vals, val)
	}
	return json.Marshal(shapeForm(root, t))
}

var errFormTooDeep = errors.New("a form key is nested too deeply")

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// shapeForm is the JSON value of n when it is to be decoded into t (nil:
// unknown).
func shapeForm(n *formNode, t reflect.Type) any {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType || t != nil && t.Kind() == reflect.Interface {
		t = nil
	}
	if n.kids == nil && len(n.vals) == 0 { // an empty body
		return map[string]any{}
	}
	if n.kids == nil { // a scalar, or an array of scalars written key[]
		if n.list || t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			var et reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				et = t.Elem()
			}
			out := make([]any, len(n.vals))
			for i, v := range n.vals {
				out[i] = scalarForm(v, et)
			}
			return out
		}
		return scalarForm(n.vals[len(n.vals)-1], t)
	}
	if t != nil {
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			if idx, ok := indexed(n); ok {
				out := make([]any, len(idx))
				for i, k := range idx {
					out[i] = shapeForm(n.kids[k], t.Elem())
				}
				return out
			}
		case reflect.Map:
			out := make(map[string]any, len(n.kids))
			for _, k := range n.order {
				out[k] = shapeForm(n.kids[k], t.Elem())
			}
			return out
		case reflect.Struct:
			out := make(map[string]any, len(n.kids))
			for _, k := range n.order {
				out[k] = shapeForm(n.kids[k], fieldType(t, k))
			}
			return out
		}
		t = nil
	}
	if idx, ok := indexed(n); ok {
		out := make([]any, len(idx))
		for i, k := range idx {
			out[i] = shapeForm(n.kids[k], nil)
		}
		return out
	}
	out := make(map[string]any, len(n.kids))
	for _, k := range n.order {
		out[k] = shapeForm(n.kids[k], nil)
	}
	return out
}

// indexed returns n's children in index order when they are all array
// indexes (0, 1, …, as qs writes them).
func indexed(n *formNode) ([]string, bool) {
	if len(n.vals) > 0 {
		return nil, false
	}
	keys := append([]string(nil), n.order...)
	for _, k := range keys {
		if i, err := strconv.Atoi(k); err != nil || i < 0 || strconv.Itoa(i) != k {
			return nil, false
		}
	}
	sort.Slice(keys, func(a, b int) bool { x, _ := strconv.Atoi(keys[a]); y, _ := strconv.Atoi(keys[b]); return x < y })
	return keys, true
}

// scalarForm is the JSON value of the text v when decoded into t.
func scalarForm(v string, t reflect.Type) any {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType || t != nil && t.Kind() == reflect.Interface {
		t = nil
	}
	if t == nil {
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
		return v
	}
	switch t.Kind() {
	case reflect.Bool:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.Number(v)
		}
	}
	return v
}

// fieldType is the type of the field of struct t that JSON key k decodes
// into (as encoding/json matches it: exact tag or name, else case-folded);
// nil when none.
func fieldType(t reflect.Type, k string) reflect.Type {
	var folded reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag := f.Tag.Get("json"); tag != "" {
			if tag == "-" {
				continue
			}
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		if name == k {
			return f.Type
		}
		if folded == nil && strings.EqualFold(name, k) {
			folded = f.Type
		}
	}
	return folded
}

// formScopeJSON is formJSON for the gate, which must read a body as every
// upstream would: a key given twice (other than an appended key[]) is
// refused, since upstreams differ on which one counts.
func formScopeJSON(body string) ([]byte, error) {
	seen := map[string]bool{}
	for rest := body; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, _, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, bodyAmbiguous("form", "is not a valid form body.")
		}
		if pair == "" || strings.HasSuffix(key, "[]") {
			continue
		}
		if seen[key] {
			return nil, bodyAmbiguous(key, "is given twice.")
		}
		seen[key] = true
	}
	b, err := formJSON(body, nil)
	if err != nil {
		return nil, bodyAmbiguous("form", "is not a valid form body.")
	}
	return b, nil
}
