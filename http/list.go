package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// listParams are the list conventions of the CMA: limit, skip,
// include_count, asc/desc=<field>, query=<JSON>.
type listParams struct {
	limit, skip  int
	includeCount bool
	sortField    string
	desc         bool
	query        map[string]any
}

// badParam refuses a query parameter. The cause kept for the log says what
// kind of value was wanted, never the value: a secret sent in the wrong
// parameter (limit=<token>) must not reach the log.
func badParam(name string, err error) error {
	return &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The query parameter " + name + " is not valid.",
		Fields: map[string][]string{name: {stackgate.ProblemNotValid}}, Err: paramCause(name, err)}
}

func paramCause(name string, err error) error {
	var num *strconv.NumError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &num):
		return fmt.Errorf("%s: not an integer in range", name)
	case name == "query":
		return fmt.Errorf("%s: not a supported JSON query", name)
	}
	return fmt.Errorf("%s: not valid", name)
}

// parseList reads list parameters. A negative or zero limit means no limit
// (the .NET SDK's tests send -1 and expect tokens back); a negative skip or
// a query that is not a JSON object is 400.
func parseList(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	p := listParams{limit: -1}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, badParam("limit", err)
		}
		if n > 0 {
			p.limit = n
		}
	}
	if v := q.Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, badParam("skip", err)
		}
		p.skip = n
	}
	var err error
	if p.includeCount, err = queryBool(r, "include_count", false); err != nil {
		return p, err
	}
	if !p.includeCount && q.Get("count") != "" {
		if p.includeCount, err = queryBool(r, "count", false); err != nil {
			return p, err
		}
	}
	if v := q.Get("asc"); v != "" {
		p.sortField = v
	}
	if v := q.Get("desc"); v != "" {
		p.sortField, p.desc = v, true
	}
	if v := q.Get("query"); v != "" {
		if err := json.Unmarshal([]byte(v), &p.query); err != nil || p.query == nil {
			return p, badParam("query", err)
		}
		if err := checkQuery(p.query); err != nil {
			return p, badParam("query", err)
		}
	}
	return p, nil
}

// checkQuery accepts field equality and the operators $in, $nin, $ne, $eq,
// $exists, combined by $and / $or.
func checkQuery(q map[string]any) error {
	for k, v := range q {
		switch k {
		case "$and", "$or":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s takes a list", k)
			}
			for _, sub := range list {
				m, ok := sub.(map[string]any)
				if !ok {
					return fmt.Errorf("%s takes a list of objects", k)
				}
				if err := checkQuery(m); err != nil {
					return err
				}
			}
		default:
			if m, ok := v.(map[string]any); ok {
				for op, arg := range m {
					switch op {
					case "$in", "$nin":
						if _, ok := arg.([]any); !ok {
							return fmt.Errorf("%s takes a list", op)
						}
					case "$ne", "$eq", "$exists":
					default:
						return fmt.Errorf("unsupported operator %s", op)
					}
				}
			}
		}
	}
	return nil
}

// kind is the type of a list field, which decides how it compares.
type kind int

const (
	kindNone   kind = iota // absent or null
	kindString             // compared as strings
	kindInt                // compared as numbers
	kindTime               // compared as instants (wire form stackgate.TimeFormat)
	kindDate               // compared as days (wire form 2006-01-02)
	kindBool               // false before true
	kindJSON               // an object or a list: equality only, never sorted
)

// value is one field of one item, typed.
type value struct {
	kind kind
	s    string
	n    int
	t    time.Time
	b    bool
	raw  any // kindJSON: the field as the query sees it (decoded JSON)
}

// field reads one wire field of an item of type T (a list's reply type).
type field[T any] func(T) value

// fields are the wire fields of one list's items by wire name: what its
// query can name and asc/desc can sort on.
type fields[T any] map[string]field[T]

func text[T any](get func(T) string) field[T] {
	return func(it T) value { return value{kind: kindString, s: get(it)} }
}

// optText is a string rendered as null (or omitted) when nil.
func optText[T any](get func(T) *string) field[T] {
	return func(it T) value {
		if s := get(it); s != nil {
			return value{kind: kindString, s: *s}
		}
		return value{}
	}
}

// omitText is a string omitted from the wire when empty.
func omitText[T any](get func(T) string) field[T] {
	return func(it T) value {
		if s := get(it); s != "" {
			return value{kind: kindString, s: s}
		}
		return value{}
	}
}

func number[T any](get func(T) int) field[T] {
	return func(it T) value { return value{kind: kindInt, n: get(it)} }
}

func boolean[T any](get func(T) bool) field[T] {
	return func(it T) value { return value{kind: kindBool, b: get(it)} }
}

// stamp is a time in its wire form, stackgate.TimeFormat.
func stamp[T any](get func(T) string) field[T] {
	return func(it T) value {
		t, err := time.Parse(stackgate.TimeFormat, get(it))
		if err != nil {
			return value{kind: kindString, s: get(it)}
		}
		return value{kind: kindTime, t: t}
	}
}

// omitStamp is a stamp omitted from the wire when empty.
func omitStamp[T any](get func(T) string) field[T] {
	st := stamp(get)
	return func(it T) value {
		if get(it) == "" {
			return value{}
		}
		return st(it)
	}
}

// day is a date (2006-01-02) rendered as null when nil.
func day[T any](get func(T) *string) field[T] {
	return func(it T) value {
		s := get(it)
		if s == nil {
			return value{}
		}
		t, err := time.Parse(time.DateOnly, *s)
		if err != nil {
			return value{kind: kindString, s: *s}
		}
		return value{kind: kindDate, t: t}
	}
}

// composite is an object or a list; nil (a nil pointer, slice or map) is
// absent. A query compares it with its JSON form.
func composite[T any, V any](get func(T) V) field[T] {
	return func(it T) value {
		v := get(it)
		if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map || rv.Kind() == reflect.Slice) && rv.IsNil() {
			return value{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return value{}
		}
		var raw any
		if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
			return value{}
		}
		return value{kind: kindJSON, raw: raw}
	}
}

// matches reports whether it satisfies the query q (already checked by
// checkQuery). A field the list does not have is absent.
func (fs fields[T]) matches(it T, q map[string]any) bool {
	for k, cond := range q {
		switch k {
		case "$and":
			for _, sub := range cond.([]any) {
				if !fs.matches(it, sub.(map[string]any)) {
					return false
				}
			}
			continue
		case "$or":
			if !slices.ContainsFunc(cond.([]any), func(sub any) bool { return fs.matches(it, sub.(map[string]any)) }) {
				return false
			}
			continue
		}
		var v value
		if get, ok := fs[k]; ok {
			v = get(it)
		}
		m, isOp := cond.(map[string]any)
		if !isOp {
			if !v.equal(cond) {
				return false
			}
			continue
		}
		for op, arg := range m {
			switch op {
			case "$eq":
				if !v.equal(arg) {
					return false
				}
			case "$ne":
				if v.equal(arg) {
					return false
				}
			case "$exists":
				if want, _ := arg.(bool); want != (v.kind != kindNone) {
					return false
				}
			case "$in", "$nin":
				if slices.ContainsFunc(arg.([]any), v.equal) != (op == "$in") {
					return false
				}
			}
		}
	}
	return true
}

// equal compares a field with a query value (decoded JSON). Null equals
// absent; a number field also equals a string holding that integer, a
// boolean the strings "true"/"false"; times and dates equal a string naming
// the same instant or day.
func (v value) equal(q any) bool {
	if q == nil {
		return v.kind == kindNone
	}
	switch v.kind {
	case kindString:
		s, ok := q.(string)
		return ok && s == v.s
	case kindInt:
		switch q := q.(type) {
		case float64:
			return q == float64(v.n)
		case string:
			n, err := strconv.Atoi(q)
			return err == nil && n == v.n
		}
	case kindBool:
		switch q := q.(type) {
		case bool:
			return q == v.b
		case string:
			return q == strconv.FormatBool(v.b)
		}
	case kindTime:
		if s, ok := q.(string); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			return err == nil && t.Equal(v.t)
		}
	case kindDate:
		if s, ok := q.(string); ok {
			t, err := time.Parse(time.DateOnly, s)
			return err == nil && t.Equal(v.t)
		}
	case kindJSON:
		return reflect.DeepEqual(v.raw, q)
	}
	return false
}

// compare orders two values of one field: absent first, then by type.
// Objects and lists do not order (0).
func compare(a, b value) int {
	switch {
	case a.kind == kindNone || b.kind == kindNone:
		return boolInt(b.kind == kindNone) - boolInt(a.kind == kindNone)
	case a.kind != b.kind:
		return 0
	}
	switch a.kind {
	case kindString:
		return cmpStrings(a.s, b.s)
	case kindInt:
		return a.n - b.n
	case kindTime, kindDate:
		return a.t.Compare(b.t)
	case kindBool:
		return boolInt(a.b) - boolInt(b.b)
	}
	return 0
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// apply filters, sorts (stably; a field the list does not have, or cannot
// order, leaves the order as stored) and pages items, and returns the page
// and the number of matches before paging.
func (fs fields[T]) apply(p listParams, items []T) ([]T, int) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		if fs.matches(it, p.query) {
			out = append(out, it)
		}
	}
	if get, ok := fs[p.sortField]; ok {
		type keyed struct {
			it  T
			key value
		}
		ks := make([]keyed, len(out))
		for i, it := range out {
			ks[i] = keyed{it, get(it)}
		}
		slices.SortStableFunc(ks, func(a, b keyed) int {
			c := compare(a.key, b.key)
			if p.desc {
				return -c
			}
			return c
		})
		for i, k := range ks {
			out[i] = k.it
		}
	}
	count := len(out)
	if p.skip >= len(out) {
		return []T{}, count
	}
	out = out[p.skip:]
	if p.limit > 0 && p.limit < len(out) {
		out = out[:p.limit]
	}
	return out, count
}

// writeList renders {"<key>": page[, "count": n]}, each item in the key
// order of its single-object reply.
func writeList[T any](w http.ResponseWriter, r *http.Request, key string, fs fields[T], items []T) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	page, count := fs.apply(p, items)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(page); err != nil {
		return err
	}
	name, _ := json.Marshal(key)
	body := append(append(append([]byte("{"), name...), ':'), bytes.TrimSpace(buf.Bytes())...)
	if p.includeCount {
		body = append(body, `,"count":`+strconv.Itoa(count)...)
	}
	writeJSON(w, http.StatusOK, json.RawMessage(append(body, '}')))
	return nil
}

// The fields of each list, by wire name: every key of the reply type
// (TestListFieldsCoverReplies holds them to it).

var roleFields = fields[roleJSON]{
	"name":        text(func(j roleJSON) string { return j.Name }),
	"description": optText(func(j roleJSON) *string { return j.Description }),
	"uid":         text(func(j roleJSON) string { return j.UID }),
	"created_by":  text(func(j roleJSON) string { return j.CreatedBy }),
	"updated_by":  text(func(j roleJSON) string { return j.UpdatedBy }),
	"created_at":  stamp(func(j roleJSON) string { return j.CreatedAt }),
	"updated_at":  stamp(func(j roleJSON) string { return j.UpdatedAt }),
	"roles":       composite(func(j roleJSON) []any { return j.Roles }),
	"users":       composite(func(j roleJSON) []string { return j.Users }),
	"owner":       text(func(j roleJSON) string { return j.Owner }),
	"stack":       composite(func(j roleJSON) stackJSON { return j.Stack }),
	"SYS_ACL":     composite(func(j roleJSON) map[string]any { return j.SysACL }),
	"rules":       composite(func(j roleJSON) *[]wire.Rule { return j.Rules }),
	"permissions": composite(func(j roleJSON) *map[string][]perm { return j.Permissions }),
	"org_uid":     omitText(func(j roleJSON) string { return j.OrgUID }),
	"api_key":     omitText(func(j roleJSON) string { return j.APIKey }),
}

var deliveryTokenFields = fields[deliveryTokenJSON]{
	"name":                 text(func(j deliveryTokenJSON) string { return j.Name }),
	"description":          text(func(j deliveryTokenJSON) string { return j.Description }),
	"scope":                composite(func(j deliveryTokenJSON) []scopeEntryJSON { return j.Scope }),
	"uid":                  text(func(j deliveryTokenJSON) string { return j.UID }),
	"created_by":           text(func(j deliveryTokenJSON) string { return j.CreatedBy }),
	"updated_by":           text(func(j deliveryTokenJSON) string { return j.UpdatedBy }),
	"created_at":           stamp(func(j deliveryTokenJSON) string { return j.CreatedAt }),
	"updated_at":           stamp(func(j deliveryTokenJSON) string { return j.UpdatedAt }),
	"token":                text(func(j deliveryTokenJSON) string { return j.Token }),
	"type":                 text(func(j deliveryTokenJSON) string { return j.Type }),
	"preview_token":        omitText(func(j deliveryTokenJSON) string { return j.PreviewToken }),
	"expires_on":           day(func(j deliveryTokenJSON) *string { return j.ExpiresOn }),
	"last_used_at":         stamp(func(j deliveryTokenJSON) string { return j.LastUsedAt }),
	"preview_last_used_at": stamp(func(j deliveryTokenJSON) string { return j.PreviewUsed }),
}

var managementTokenFields = fields[managementTokenJSON]{
	"name":                          text(func(j managementTokenJSON) string { return j.Name }),
	"description":                   text(func(j managementTokenJSON) string { return j.Description }),
	"scope":                         composite(func(j managementTokenJSON) []scopeEntryJSON { return j.Scope }),
	"expires_on":                    day(func(j managementTokenJSON) *string { return j.ExpiresOn }),
	"is_email_notification_enabled": boolean(func(j managementTokenJSON) bool { return j.EmailNotification }),
	"uid":                           text(func(j managementTokenJSON) string { return j.UID }),
	"created_by":                    text(func(j managementTokenJSON) string { return j.CreatedBy }),
	"updated_by":                    text(func(j managementTokenJSON) string { return j.UpdatedBy }),
	"created_at":                    stamp(func(j managementTokenJSON) string { return j.CreatedAt }),
	"updated_at":                    stamp(func(j managementTokenJSON) string { return j.UpdatedAt }),
	"type":                          text(func(j managementTokenJSON) string { return j.Type }),
	"token":                         omitText(func(j managementTokenJSON) string { return j.Token }),
	"last_used_at":                  omitStamp(func(j managementTokenJSON) string { return j.LastUsedAt }),
}

var environmentFields = fields[environmentJSON]{
	"urls":                composite(func(j environmentJSON) []stackgate.EnvironmentURL { return j.URLs }),
	"name":                text(func(j environmentJSON) string { return j.Name }),
	"_version":            number(func(j environmentJSON) int { return j.Version }),
	"app_user_object_uid": text(func(j environmentJSON) string { return j.AppUserObjectUID }),
	"uid":                 text(func(j environmentJSON) string { return j.UID }),
	"created_by":          text(func(j environmentJSON) string { return j.CreatedBy }),
	"updated_by":          text(func(j environmentJSON) string { return j.UpdatedBy }),
	"created_at":          stamp(func(j environmentJSON) string { return j.CreatedAt }),
	"updated_at":          stamp(func(j environmentJSON) string { return j.UpdatedAt }),
	"ACL":                 composite(func(j environmentJSON) []any { return j.ACL }),
	"tags":                composite(func(j environmentJSON) []string { return j.Tags }),
}

var localeFields = fields[localeJSON]{
	"code":            text(func(j localeJSON) string { return j.Code }),
	"name":            text(func(j localeJSON) string { return j.Name }),
	"fallback_locale": optText(func(j localeJSON) *string { return j.FallbackLocale }),
	"uid":             text(func(j localeJSON) string { return j.UID }),
	"created_by":      text(func(j localeJSON) string { return j.CreatedBy }),
	"updated_by":      text(func(j localeJSON) string { return j.UpdatedBy }),
	"created_at":      stamp(func(j localeJSON) string { return j.CreatedAt }),
	"updated_at":      stamp(func(j localeJSON) string { return j.UpdatedAt }),
	"ACL":             composite(func(j localeJSON) []any { return j.ACL }),
	"_version":        number(func(j localeJSON) int { return j.Version }),
}

var branchFields = fields[branchJSON]{
	"uid":        text(func(j branchJSON) string { return j.UID }),
	"source":     text(func(j branchJSON) string { return j.Source }),
	"created_by": text(func(j branchJSON) string { return j.CreatedBy }),
	"updated_by": text(func(j branchJSON) string { return j.UpdatedBy }),
	"created_at": stamp(func(j branchJSON) string { return j.CreatedAt }),
	"updated_at": stamp(func(j branchJSON) string { return j.UpdatedAt }),
	"alias":      composite(func(j branchJSON) []aliasRef { return j.Alias }),
}

var branchAliasFields = func() fields[branchAliasJSON] {
	fs := fields[branchAliasJSON]{
		"target_branch": text(func(j branchAliasJSON) string { return j.TargetBranch }),
	}
	for name, get := range branchFields {
		fs[name] = func(j branchAliasJSON) value { return get(j.branchJSON) }
	}
	return fs
}()
