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
	"github.com/stackgate/stackgate/http/query"
	"github.com/stackgate/stackgate/http/wire"
)

// listParams are the list conventions of the CMA: limit, skip,
// include_count, asc/desc=<field>, query=<JSON>.
type listParams struct {
	limit, skip  int
	includeCount bool
	sortField    string
	desc         bool
	query        query.Query
}

// badParam refuses a query parameter. The cause kept for the log says what
// kind of value was wanted, never the value: a secret sent in the wrong
// parameter (limit=<token>) must not reach the log.
func badParam(name string, err error) error {
	return &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The query parameter " + name + " is not valid.",
		Fields: map[string][]string{name: {stackgate.ProblemNotValid}}, Err: paramCause(name, err)}
}

// badQuery refuses a query the language does not accept, saying why: the
// query package's words name operators and shapes, never the request's
// values.
// queryBudget bounds the time one list request spends matching its query:
// the audit log holds tens of thousands of entries with their request and
// response bodies, and a $regex over all of them can cost a core for
// seconds (regexp is linear, but in the bytes of every body).
var queryBudget = time.Second // a variable for its test

// errQueryTooCostly refuses a query that ran past queryBudget.
var errQueryTooCostly = &stackgate.Error{Code: stackgate.EBADREQUEST,
	Message: "The query parameter query is too costly to run over this list: narrow it (fewer $regex, or a field that is not a body).",
	Fields:  map[string][]string{"query": {stackgate.ProblemNotValid}}}

func badQuery(err error) error {
	return &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The query parameter query is not valid: " + err.Error() + ".",
		Fields: map[string][]string{"query": {stackgate.ProblemNotValid}}}
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
		if p.query, err = query.Parse(v); err != nil {
			return p, badQuery(err)
		}
	}
	return p, nil
}

// field reads one wire field of an item of type T (a list's reply type) as
// the query language sees it.
type field[T any] func(T) query.Value

// fields are the wire fields of one list's items by wire name: what its
// query can name and asc/desc can sort on.
type fields[T any] map[string]field[T]

// item is one list item as a query document.
type item[T any] struct {
	fs fields[T]
	it T
}

// Field returns the named field; a field the list does not have is null.
func (d item[T]) Field(name string) query.Value {
	if get, ok := d.fs[name]; ok {
		return get(d.it)
	}
	return query.Value{}
}

func text[T any](get func(T) string) field[T] {
	return func(it T) query.Value { return query.Str(get(it)) }
}

// optText is a string rendered as null (or omitted) when nil.
func optText[T any](get func(T) *string) field[T] {
	return func(it T) query.Value {
		if s := get(it); s != nil {
			return query.Str(*s)
		}
		return query.Value{}
	}
}

// omitText is a string omitted from the wire when empty.
func omitText[T any](get func(T) string) field[T] {
	return func(it T) query.Value {
		if s := get(it); s != "" {
			return query.Str(s)
		}
		return query.Value{}
	}
}

func number[T any](get func(T) int) field[T] {
	return func(it T) query.Value { return query.Num(float64(get(it))) }
}

func boolean[T any](get func(T) bool) field[T] {
	return func(it T) query.Value { return query.Boolean(get(it)) }
}

// stamp is a time in its wire form, stackgate.TimeFormat.
func stamp[T any](get func(T) string) field[T] {
	return func(it T) query.Value { return wireString("created_at", get(it)) }
}

// omitStamp is a stamp omitted from the wire when empty.
func omitStamp[T any](get func(T) string) field[T] {
	st := stamp(get)
	return func(it T) query.Value {
		if get(it) == "" {
			return query.Value{}
		}
		return st(it)
	}
}

// day is a date (2006-01-02) rendered as null when nil.
func day[T any](get func(T) *string) field[T] {
	return func(it T) query.Value {
		if s := get(it); s != nil {
			return wireString("expires_on", *s)
		}
		return query.Value{}
	}
}

// wireString types a string of a reply by the key it sits under, at any
// depth: the times and dates of stackgate's replies compare as instants and
// days (a role's stack.created_at, a token's scope.environments.created_at).
func wireString(key, s string) query.Value {
	switch key {
	case "created_at", "updated_at", "deleted_at":
		if t, err := time.Parse(stackgate.TimeFormat, s); err == nil {
			return query.Instant(t)
		}
	case "expires_on":
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return query.Day(t)
		}
	}
	return query.Str(s)
}

// composite is an object or a list; nil (a nil pointer, slice or map) is
// absent. A query reads it in its JSON form, dotted paths included.
func composite[T any, V any](get func(T) V) field[T] {
	return func(it T) query.Value {
		v := get(it)
		if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map || rv.Kind() == reflect.Slice) && rv.IsNil() {
			return query.Value{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return query.Value{}
		}
		var raw any
		if err := json.Unmarshal(b, &raw); err != nil {
			return query.Value{}
		}
		return query.FromJSON(raw, wireString)
	}
}

// apply filters, sorts and pages items, and returns the page and the number
// of matches before paging. Items arrive oldest first (the store's order);
// a list is newest first unless asc/desc names a field, as Contentstack's
// (the management-token list sample is newest first, and the SDKs'
// findOne() and limit=1 mean the newest). A sort is stable: ties, and a
// field no item has, keep the newest first.
func (fs fields[T]) apply(p listParams, items []T) ([]T, int, error) {
	out := make([]T, 0, len(items))
	deadline := time.Now().Add(queryBudget)
	for i := len(items) - 1; i >= 0; i-- {
		if n := len(items) - 1 - i; !p.query.Empty() && n%32 == 0 && time.Now().After(deadline) {
			return nil, 0, errQueryTooCostly
		}
		if p.query.Match(item[T]{fs, items[i]}) {
			out = append(out, items[i])
		}
	}
	if p.sortField != "" {
		type keyed struct {
			it  T
			key query.Value
		}
		ks := make([]keyed, len(out))
		for i, it := range out {
			ks[i] = keyed{it, query.SortKey(item[T]{fs, it}, p.sortField, p.desc)}
		}
		slices.SortStableFunc(ks, func(a, b keyed) int {
			c := query.Compare(a.key, b.key)
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
		return []T{}, count, nil
	}
	out = out[p.skip:]
	if p.limit > 0 && p.limit < len(out) {
		out = out[:p.limit]
	}
	return out, count, nil
}

// writeList renders {"<key>": page[, "count": n]}, each item in the key
// order of its single-object reply.
func writeList[T any](w http.ResponseWriter, r *http.Request, key string, fs fields[T], items []T) error {
	return writeListShown(w, r, key, fs, items, nil)
}

// writeListShown is writeList for items rendered with more fields than the
// reply shows: the query and the sort see every field, show (when not nil)
// trims each item of the page to what the request asked for (a role's
// rules without include_rules).
func writeListShown[T any](w http.ResponseWriter, r *http.Request, key string, fs fields[T], items []T, show func(T) T) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	page, count, err := fs.apply(p, items)
	if err != nil {
		return err
	}
	if show != nil {
		for i := range page {
			page[i] = show(page[i])
		}
	}
	return writePage(w, key, page, p.includeCount, count)
}

// writePage renders one page of a list, with count when asked.
func writePage[T any](w http.ResponseWriter, key string, page []T, includeCount bool, count int) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(page); err != nil {
		return err
	}
	name, _ := json.Marshal(key)
	body := append(append(append([]byte("{"), name...), ':'), bytes.TrimSpace(buf.Bytes())...)
	if includeCount {
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
	"token":                         omitText(func(j managementTokenJSON) string { return j.Token }),
	"last_used_at":                  omitStamp(func(j managementTokenJSON) string { return j.LastUsedAt }),
}

var stackFields = fields[stackJSON]{
	"created_at":               stamp(func(j stackJSON) string { return j.CreatedAt }),
	"updated_at":               stamp(func(j stackJSON) string { return j.UpdatedAt }),
	"uid":                      text(func(j stackJSON) string { return j.UID }),
	"name":                     text(func(j stackJSON) string { return j.Name }),
	"description":              text(func(j stackJSON) string { return j.Description }),
	"org_uid":                  text(func(j stackJSON) string { return j.OrgUID }),
	"api_key":                  text(func(j stackJSON) string { return j.APIKey }),
	"master_locale":            text(func(j stackJSON) string { return j.MasterLocale }),
	"is_asset_download_public": boolean(func(j stackJSON) bool { return j.IsAssetDownloadPublic }),
	"owner_uid":                text(func(j stackJSON) string { return j.OwnerUID }),
	"user_uids":                composite(func(j stackJSON) []string { return j.UserUIDs }),
	"settings":                 composite(func(j stackJSON) stackSettings { return j.Settings }),
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
		fs[name] = func(j branchAliasJSON) query.Value { return get(j.branchJSON) }
	}
	return fs
}()
