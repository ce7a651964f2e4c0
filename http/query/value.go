package query

import (
	"slices"
	"strings"
	"time"
)

// Kind is the type of a document value, which decides how it compares.
type Kind uint8

// The kinds, in the order asc sorts them when one field holds several
// (MongoDB's type order, which the CDA inherits): null first, dates last.
const (
	Null   Kind = iota // absent or null
	Number             // every JSON number
	String
	Object
	Array
	Bool
	Time // an instant (the wire's created_at, updated_at)
	Date // a day (the wire's expires_on)
)

// Value is one typed node of a document.
type Value struct {
	kind Kind
	s    string
	n    float64
	b    bool
	t    time.Time
	obj  map[string]Value
	arr  []Value
}

// Doc is a document a query reads: its fields by wire name. A field it does
// not have is the zero Value (null).
type Doc interface {
	Field(name string) Value
}

// Constructors of values.

func Str(s string) Value           { return Value{kind: String, s: s} }
func Num(n float64) Value          { return Value{kind: Number, n: n} }
func Boolean(b bool) Value         { return Value{kind: Bool, b: b} }
func Instant(t time.Time) Value    { return Value{kind: Time, t: t} }
func Day(t time.Time) Value        { return Value{kind: Date, t: t} }
func Obj(m map[string]Value) Value { return Value{kind: Object, obj: m} }
func List(vs []Value) Value        { return Value{kind: Array, arr: vs} }

// Kind returns v's kind.
func (v Value) Kind() Kind { return v.kind }

// Field returns a field of an object; any other value has none. A Value is
// thereby a Doc.
func (v Value) Field(name string) Value { return v.obj[name] }

// FromJSON types decoded JSON (encoding/json's any). Strings are typed by
// str, which is given the key they sit under (the element of a list sits
// under the list's key), so that "created_at" anywhere in a document can
// compare as a time; nil str keeps every string a string.
func FromJSON(v any, str func(key, s string) Value) Value {
	return fromJSON("", v, str)
}

func fromJSON(key string, v any, str func(key, s string) Value) Value {
	switch v := v.(type) {
	case string:
		if str != nil {
			return str(key, v)
		}
		return Str(v)
	case float64:
		return Num(v)
	case bool:
		return Boolean(v)
	case map[string]any:
		m := make(map[string]Value, len(v))
		for k, e := range v {
			m[k] = fromJSON(k, e, str)
		}
		return Obj(m)
	case []any:
		vs := make([]Value, len(v))
		for i, e := range v {
			vs[i] = fromJSON(key, e, str)
		}
		return List(vs)
	}
	return Value{}
}

// SortKey is the value a document sorts by on path: the value there or,
// through arrays, the least of the values reached for asc and the greatest
// for desc (MongoDB's rule for sorting on an array field).
func SortKey(d Doc, path string, desc bool) Value {
	segs := strings.Split(path, ".")
	if slices.Contains(segs, "") {
		return Value{}
	}
	var vals []Value
	for _, v := range resolve(d, segs) {
		if v.kind == Array {
			vals = append(vals, v.arr...)
		} else {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return Value{}
	}
	if desc {
		return slices.MaxFunc(vals, Compare)
	}
	return slices.MinFunc(vals, Compare)
}

// Compare orders two values: by kind first (Kind's order), then numbers as
// numbers, strings as strings, times and dates as instants, false before
// true, lists element by element; objects do not order among themselves
// (0), so a stable sort keeps their order.
func Compare(a, b Value) int {
	if a.kind != b.kind {
		if (a.kind == Time || a.kind == Date) && (b.kind == Time || b.kind == Date) {
			return a.t.Compare(b.t)
		}
		return int(a.kind) - int(b.kind)
	}
	switch a.kind {
	case Number:
		return cmpFloat(a.n, b.n)
	case String:
		return strings.Compare(a.s, b.s)
	case Bool:
		return boolInt(a.b) - boolInt(b.b)
	case Time, Date:
		return a.t.Compare(b.t)
	case Array:
		return slices.CompareFunc(a.arr, b.arr, Compare)
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
