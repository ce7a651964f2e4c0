// Package query evaluates the query language of Contentstack's Content
// Delivery API ("Queries" in the CDA reference, which the CMA Roles page
// points to for GET /roles?query=) over a typed view of one list item. It
// does no I/O and knows nothing of stackgate's types: the http layer hands it
// each item as a Doc and asks Match and Compare.
//
// Supported, as in the CDA reference: field equality, $eq, $ne, $in, $nin,
// $exists, $regex with $options, $lt, $lte, $gt, $gte, $and, $or, and dotted
// paths into nested objects and arrays ("rules.module", "rules.0.module").
// Like MongoDB, whose syntax the CDA borrows, a path that reaches an array
// matches when the array itself or any of its elements does.
package query

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxDepth bounds the nesting of $and/$or (and of objects compared whole):
// a query is a URL parameter, so this only refuses abuse.
const maxDepth = 16

// Query is a parsed, checked query; the zero value matches everything.
type Query struct {
	root matcher
}

// Error is a query the language does not accept. Its text names operators
// and the shape they want, never a value of the request (a secret pasted
// into the wrong parameter must not reach a log or a reply).
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func errorf(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// Parse reads a query: a JSON object.
func Parse(raw string) (Query, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Query{}, errorf("the query is not valid JSON")
	}
	if dec.More() {
		return Query{}, errorf("the query is not valid JSON")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return Query{}, errorf("the query must be a JSON object")
	}
	m, err := parseObject(normalize(obj).(map[string]any), 0)
	if err != nil {
		return Query{}, err
	}
	return Query{root: m}, nil
}

// normalize turns json.Number into float64 (the one number type of a
// document) after UseNumber kept integers beyond 2^53 from rounding silently
// into another number; such a number is kept as its text, which equals no
// number.
func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil || math.IsInf(f, 0) {
			return string(v)
		}
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
	}
	return v
}

// Match reports whether doc satisfies q.
func (q Query) Match(doc Doc) bool {
	if q.root == nil {
		return true
	}
	return q.root.match(doc)
}

// Empty reports whether q matches everything by construction.
func (q Query) Empty() bool { return q.root == nil }

// A matcher decides one part of a query over a document.
type matcher interface{ match(Doc) bool }

type and []matcher

func (a and) match(d Doc) bool {
	for _, m := range a {
		if !m.match(d) {
			return false
		}
	}
	return true
}

type or []matcher

func (o or) match(d Doc) bool {
	return slices.ContainsFunc(o, func(m matcher) bool { return m.match(d) })
}

// field is the conditions on one path, all of which must hold.
type field struct {
	path  []string
	conds []cond
}

func (f field) match(d Doc) bool {
	vals := resolve(d, f.path)
	for _, c := range f.conds {
		if !c.holds(vals) {
			return false
		}
	}
	return true
}

// cond is one operator and its checked argument.
type cond struct {
	op  string
	arg any // decoded JSON: nil, bool, float64, string, []any, map[string]any
	re  *regexp.Regexp
}

// The operators, by their place in the language.
var (
	comparisons = []string{"$lt", "$lte", "$gt", "$gte"}
	operators   = []string{"$eq", "$ne", "$in", "$nin", "$exists", "$regex", "$options", "$lt", "$lte", "$gt", "$gte"}
	regexFlags  = "ims" // RE2's flags that mean what MongoDB's do; "x" has no RE2 counterpart
)

func parseObject(obj map[string]any, depth int) (matcher, error) {
	if depth > maxDepth {
		return nil, errorf("the query nests deeper than %d levels", maxDepth)
	}
	var ms and
	// Map order is random; a stable order keeps evaluation (and the first
	// error reported) the same from one request to the next.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		switch {
		case k == "$and" || k == "$or":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, errorf("%s takes a non-empty list of queries", k)
			}
			var subs []matcher
			for _, e := range list {
				sub, ok := e.(map[string]any)
				if !ok {
					return nil, errorf("%s takes a non-empty list of queries", k)
				}
				m, err := parseObject(sub, depth+1)
				if err != nil {
					return nil, err
				}
				subs = append(subs, m)
			}
			if k == "$and" {
				ms = append(ms, and(subs))
			} else {
				ms = append(ms, or(subs))
			}
		case strings.HasPrefix(k, "$"):
			return nil, errorf("unsupported operator at the top of a query; supported: $and, $or, or a field name")
		case k == "" || slices.Contains(strings.Split(k, "."), ""):
			return nil, errorf("a field path has an empty segment")
		default:
			conds, err := parseConds(v, depth)
			if err != nil {
				return nil, err
			}
			ms = append(ms, field{path: strings.Split(k, "."), conds: conds})
		}
	}
	if len(ms) == 1 {
		return ms[0], nil
	}
	return ms, nil
}

// parseConds reads a field's condition: an operator object, or a value the
// field must equal (an object without operators is such a value).
func parseConds(v any, depth int) ([]cond, error) {
	obj, ok := v.(map[string]any)
	if !ok || !hasOperator(obj) {
		if nested(v, depth) {
			return nil, errorf("the query nests deeper than %d levels", maxDepth)
		}
		return []cond{{op: "$eq", arg: v}}, nil
	}
	ops := make([]string, 0, len(obj))
	for op := range obj {
		if !strings.HasPrefix(op, "$") {
			return nil, errorf("an operator object mixes operators and field names")
		}
		if !slices.Contains(operators, op) {
			return nil, errorf("unsupported operator; supported: %s", strings.Join(operators, ", "))
		}
		ops = append(ops, op)
	}
	slices.Sort(ops)
	var conds []cond
	for _, op := range ops {
		arg := obj[op]
		c := cond{op: op, arg: arg}
		switch op {
		case "$eq", "$ne":
			if nested(arg, depth) {
				return nil, errorf("the query nests deeper than %d levels", maxDepth)
			}
		case "$in", "$nin":
			list, ok := arg.([]any)
			if !ok {
				return nil, errorf("%s takes a list", op)
			}
			if nested(list, depth) {
				return nil, errorf("the query nests deeper than %d levels", maxDepth)
			}
		case "$exists":
			if _, ok := arg.(bool); !ok {
				return nil, errorf("$exists takes true or false")
			}
		case "$lt", "$lte", "$gt", "$gte":
			switch arg.(type) {
			case float64, string:
			default:
				return nil, errorf("%s takes a number, a date or a string", op)
			}
		case "$options":
			opts, ok := arg.(string)
			if !ok || strings.Trim(opts, regexFlags) != "" {
				return nil, errorf("$options takes a string of the flags i, m and s")
			}
			if _, ok := obj["$regex"]; !ok {
				return nil, errorf("$options needs $regex")
			}
			continue // read with $regex
		case "$regex":
			pat, ok := arg.(string)
			if !ok {
				return nil, errorf("$regex takes a string")
			}
			flags, _ := obj["$options"].(string)
			if flags != "" {
				pat = "(?" + flags + ")" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, errorf("$regex is not a valid regular expression")
			}
			c.re = re
		}
		conds = append(conds, c)
	}
	return conds, nil
}

func hasOperator(obj map[string]any) bool {
	for k := range obj {
		if strings.HasPrefix(k, "$") {
			return true
		}
	}
	return false
}

// nested reports whether v nests objects and lists deeper than the query
// may, counting from depth.
func nested(v any, depth int) bool {
	if depth > maxDepth {
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if nested(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if nested(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// holds reports whether the condition holds for the values a path reached
// (several when it went through an array; none when it reached nothing).
func (c cond) holds(vals []Value) bool {
	switch c.op {
	case "$exists":
		exists := slices.ContainsFunc(vals, func(v Value) bool { return v.kind != Null })
		return exists == c.arg.(bool)
	case "$ne":
		return !anyValue(vals, func(v Value) bool { return equal(v, c.arg) })
	case "$nin":
		return !anyValue(vals, func(v Value) bool { return slices.ContainsFunc(c.arg.([]any), func(q any) bool { return equal(v, q) }) })
	case "$eq":
		return anyValue(vals, func(v Value) bool { return equal(v, c.arg) })
	case "$in":
		return anyValue(vals, func(v Value) bool { return slices.ContainsFunc(c.arg.([]any), func(q any) bool { return equal(v, q) }) })
	case "$regex":
		return anyValue(vals, func(v Value) bool { return v.kind == String && c.re.MatchString(v.s) })
	case "$lt", "$lte", "$gt", "$gte":
		return anyValue(vals, func(v Value) bool {
			n, ok := order(v, c.arg)
			if !ok {
				return false
			}
			switch c.op {
			case "$lt":
				return n < 0
			case "$lte":
				return n <= 0
			case "$gt":
				return n > 0
			}
			return n >= 0
		})
	}
	return false
}

// anyValue applies pred to each value and, for an array, to each element:
// MongoDB's rule, so {"users": "blt1"} finds a role whose users hold blt1.
// A path that reached nothing is null (so {"f": null} matches it).
func anyValue(vals []Value, pred func(Value) bool) bool {
	if len(vals) == 0 {
		return pred(Value{})
	}
	for _, v := range vals {
		if pred(v) {
			return true
		}
		if v.kind == Array && slices.ContainsFunc(v.arr, pred) {
			return true
		}
	}
	return false
}

// resolve follows a dotted path. Through an array, a numeric segment picks
// an element and any other segment is followed into every element.
func resolve(d Doc, path []string) []Value {
	cur := []Value{d.Field(path[0])}
	for _, seg := range path[1:] {
		var next []Value
		for _, v := range cur {
			next = appendStep(next, v, seg)
		}
		cur = next
	}
	// Null is absent: a list item renders an unset field as null or not at all.
	return slices.DeleteFunc(cur, func(v Value) bool { return v.kind == Null })
}

func appendStep(out []Value, v Value, seg string) []Value {
	switch v.kind {
	case Object:
		return append(out, v.Field(seg))
	case Array:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && strconv.Itoa(i) == seg {
			if i < len(v.arr) {
				out = append(out, v.arr[i])
			}
			return out
		}
		for _, e := range v.arr {
			if e.kind == Object {
				out = append(out, e.Field(seg))
			}
		}
	}
	return out
}

// equal compares a document value with a query value. Null equals absent; a
// number also equals a string holding that integer and a boolean the strings
// "true"/"false" (the SDKs serialise query values they were given as
// strings); a time or a date equals a string naming the same instant or day.
func equal(v Value, q any) bool {
	switch q := q.(type) {
	case nil:
		return v.kind == Null
	case map[string]any:
		if v.kind != Object || len(q) != len(v.obj) {
			return false
		}
		for k, qe := range q {
			e, ok := v.obj[k]
			if !ok || !equal(e, qe) {
				return false
			}
		}
		return true
	case []any:
		if v.kind != Array || len(q) != len(v.arr) {
			return false
		}
		for i, qe := range q {
			if !equal(v.arr[i], qe) {
				return false
			}
		}
		return true
	}
	switch v.kind {
	case String:
		s, ok := q.(string)
		return ok && s == v.s
	case Number:
		switch q := q.(type) {
		case float64:
			return q == v.n
		case string:
			n, err := strconv.ParseInt(q, 10, 64)
			return err == nil && float64(n) == v.n
		}
	case Bool:
		switch q := q.(type) {
		case bool:
			return q == v.b
		case string:
			return q == strconv.FormatBool(v.b)
		}
	case Time:
		if t, ok := instant(q); ok {
			return t.Equal(v.t)
		}
	case Date:
		if s, ok := q.(string); ok {
			t, err := time.Parse(time.DateOnly, s)
			return err == nil && t.Equal(v.t)
		}
	}
	return false
}

// order compares a document value with a comparison's argument: numbers as
// numbers, times and dates as instants, strings as strings; anything else
// does not compare (false), as in MongoDB, where $gt never crosses types.
func order(v Value, q any) (int, bool) {
	switch v.kind {
	case Number:
		if f, ok := q.(float64); ok {
			return cmpFloat(v.n, f), true
		}
	case String:
		if s, ok := q.(string); ok {
			return strings.Compare(v.s, s), true
		}
	case Time, Date:
		if t, ok := instant(q); ok {
			return v.t.Compare(t), true
		}
	}
	return 0, false
}

// instant reads a query string as a time: RFC 3339 (any offset, any
// precision) or a bare date, which is its midnight UTC.
func instant(q any) (time.Time, bool) {
	s, ok := q.(string)
	if !ok {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
