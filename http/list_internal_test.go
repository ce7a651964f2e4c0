package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// wireKeys returns the top-level keys of v's JSON form, in order.
func wireKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func sortedKeys[T any](fs fields[T]) []string {
	var out []string
	for k := range fs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestListFieldsCoverReplies holds each list's fields to the keys its reply
// type renders when every field is set: a field added to a reply and not to
// its list cannot be filtered on silently.
func TestListFieldsCoverReplies(t *testing.T) {
	s, now := "x", stackgate.FormatTime(time.Now())
	rules := []wire.Rule{}
	perms := map[string][]perm{}
	all := func(keys []string) []string { slices.Sort(keys); return keys }
	for _, tc := range []struct {
		name       string
		item       any
		fieldNames []string
	}{
		{"roles", roleJSON{Description: &s, CreatedAt: now, Rules: &rules, Permissions: &perms, OrgUID: "o", APIKey: "k"}, sortedKeys(roleFields)},
		{"delivery tokens", deliveryTokenJSON{PreviewToken: "p", ExpiresOn: &s, LastUsedAt: now, PreviewUsed: now}, sortedKeys(deliveryTokenFields)},
		{"audit logs", auditLogJSON{Branch: "main"}, sortedKeys(auditLogFields)},
		{"management tokens", managementTokenJSON{Token: "t", LastUsedAt: now}, sortedKeys(managementTokenFields)},
		{"stacks", stackJSON{}, sortedKeys(stackFields)},
		{"environments", environmentJSON{}, sortedKeys(environmentFields)},
		{"locales", localeJSON{}, sortedKeys(localeFields)},
		{"branches", branchJSON{}, sortedKeys(branchFields)},
		{"branch aliases", branchAliasJSON{}, sortedKeys(branchAliasFields)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(all(wireKeys(t, tc.item)), tc.fieldNames); diff != "" {
				t.Errorf("fields differ from the reply's keys (-reply +fields):\n%s", diff)
			}
		})
	}
}

func listReply(t *testing.T, key, rawQuery string, fs fields[environmentJSON], items []environmentJSON) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	err := writeList(w, httptest.NewRequest("GET", "/v3/environments?"+rawQuery, nil), key, fs, items)
	if err != nil {
		return 400, ""
	}
	return w.Code, w.Body.String()
}

// TestListFilter runs each list parameter over environments whose names,
// versions and times disagree on the order: "10" sorts before "9" as text,
// 9 before 10 as numbers.
func TestListFilter(t *testing.T) {
	at := func(s string) string {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return stackgate.FormatTime(tm)
	}
	env := func(name string, version int, created string) environmentJSON {
		return renderEnvironment(&stackgate.Environment{UID: "blt" + name, Name: name, Version: version, CreatedAt: mustTime(t, created), UpdatedAt: mustTime(t, created)})
	}
	items := []environmentJSON{
		env("a", 10, "2026-01-02T00:00:00Z"),
		env("b", 9, "2026-01-10T00:00:00Z"),
		env("c", 2, "2025-12-31T23:59:59.999Z"),
		env("d", 100, "2026-01-02T00:00:00.001Z"),
	}

	for _, tc := range []struct {
		name  string
		query string
		want  []string // names, in order; nil: 400
		count int      // -1: no count in the reply
	}{
		{"newest first: the reverse of the store's order", "", []string{"d", "c", "b", "a"}, -1},
		{"desc _version: numbers, not text", "desc=_version", []string{"d", "a", "b", "c"}, -1},
		{"asc _version", "asc=_version", []string{"c", "b", "a", "d"}, -1},
		{"asc created_at: instants", "asc=created_at", []string{"c", "a", "d", "b"}, -1},
		{"desc updated_at", "desc=updated_at", []string{"b", "d", "a", "c"}, -1},
		{"desc name", "desc=name", []string{"d", "c", "b", "a"}, -1},
		{"unknown field keeps newest first", "asc=nope", []string{"d", "c", "b", "a"}, -1},
		{"equal lists keep newest first", "desc=tags", []string{"d", "c", "b", "a"}, -1},
		{"limit and skip after the sort", "desc=_version&skip=1&limit=2", []string{"a", "b"}, -1},
		{"skip past the end", "skip=9&include_count=true", []string{}, 4},
		{"limit 0 is no limit", "limit=0", []string{"d", "c", "b", "a"}, -1},
		{"limit -1 is no limit", "limit=-1&count=true", []string{"d", "c", "b", "a"}, 4},
		{"count counts matches before paging", `include_count=true&limit=1&query={"_version":{"$in":[9,10]}}`, []string{"b"}, 2},
		{"number equality", `query={"_version":9}`, []string{"b"}, -1},
		{"number equality with a string", `query={"_version":"10"}`, []string{"a"}, -1},
		{"number $ne", `query={"_version":{"$ne":10}}`, []string{"d", "c", "b"}, -1},
		{"number $nin", `query={"_version":{"$nin":[2,100]}}`, []string{"b", "a"}, -1},
		{"string equality", `query={"name":"c"}`, []string{"c"}, -1},
		{"string $eq", `query={"uid":{"$eq":"bltd"}}`, []string{"d"}, -1},
		{"a string is not a number", `query={"name":1}`, []string{}, -1},
		{"time equality, another spelling of the instant", `query={"created_at":"2026-01-02T01:00:00+01:00"}`, []string{"a"}, -1},
		{"time equality, wire form", `query={"created_at":"` + at("2026-01-10T00:00:00Z") + `"}`, []string{"b"}, -1},
		{"$exists on a field", `query={"tags":{"$exists":true}}`, []string{"d", "c", "b", "a"}, -1},
		{"$exists false on an unknown field", `query={"nope":{"$exists":false}}`, []string{"d", "c", "b", "a"}, -1},
		{"an unknown field is null", `query={"nope":null}`, []string{"d", "c", "b", "a"}, -1},
		{"an unknown field equals nothing", `query={"nope":"x"}`, []string{}, -1},
		{"a list field compares as JSON", `query={"tags":[]}`, []string{"d", "c", "b", "a"}, -1},
		{"$or", `query={"$or":[{"name":"a"},{"_version":2}]}`, []string{"c", "a"}, -1},
		{"$and", `query={"$and":[{"_version":{"$in":[9,10,2]}},{"name":{"$ne":"b"}}]}`, []string{"c", "a"}, -1},
		{"query, sort and paging", `query={"name":{"$in":["a","b","c"]}}&desc=_version&limit=2&include_count=true`, []string{"a", "b"}, 3},
		{"bad query: not JSON", `query={bad`, nil, 0},
		{"bad query: an array", `query=[1]`, nil, 0},
		{"$regex", `query={"name":{"$regex":"^[ab]$"}}`, []string{"b", "a"}, -1},
		{"$gt on a number", `query={"_version":{"$gt":9}}&asc=_version`, []string{"a", "d"}, -1},
		{"$lt on a time", `query={"created_at":{"$lt":"2026-01-02"}}`, []string{"c"}, -1},
		{"dotted path into a list", `query={"urls.url":"https://x.example"}`, []string{}, -1},
		{"bad query: an operator", `query={"name":{"$where":"a"}}`, nil, 0},
		{"bad query: $in not a list", `query={"name":{"$in":"a"}}`, nil, 0},
		{"bad query: $or not objects", `query={"$or":[1]}`, nil, 0},
		{"bad skip", "skip=-1", nil, 0},
		{"bad limit", "limit=x", nil, 0},
		{"bad include_count", "include_count=maybe", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rawQuery := tc.query
			if i := strings.Index(rawQuery, "query="); i >= 0 {
				rest := rawQuery[i+len("query="):]
				end := strings.Index(rest, "&")
				if end < 0 {
					end = len(rest)
				}
				rawQuery = rawQuery[:i] + "query=" + url.QueryEscape(rest[:end]) + rest[end:]
			}
			status, body := listReply(t, "environments", rawQuery, environmentFields, items)
			if tc.want == nil {
				if status != 400 {
					t.Fatalf("status %d, want a refusal; body %s", status, body)
				}
				return
			}
			var got struct {
				Environments []environmentJSON `json:"environments"`
				Count        *int              `json:"count"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			names := []string{}
			for _, e := range got.Environments {
				names = append(names, e.Name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			count := -1
			if got.Count != nil {
				count = *got.Count
			}
			if count != tc.count {
				t.Errorf("count %d, want %d", count, tc.count)
			}
		})
	}
}

// TestListDates sorts management tokens by expires_on, a date or null:
// null first ascending, then by day.
func TestListDates(t *testing.T) {
	day := func(s string) *time.Time {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	items := []managementTokenJSON{
		renderManagementToken(&stackgate.ManagementToken{Name: "late", ExpiresOn: day("2100-01-01")}),
		renderManagementToken(&stackgate.ManagementToken{Name: "never"}),
		renderManagementToken(&stackgate.ManagementToken{Name: "soon", ExpiresOn: day("2099-12-31")}),
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"asc=expires_on", []string{"never", "soon", "late"}},
		{"desc=expires_on", []string{"late", "soon", "never"}},
		{"query=" + url.QueryEscape(`{"expires_on":"2099-12-31"}`), []string{"soon"}},
		{"query=" + url.QueryEscape(`{"expires_on":null}`), []string{"never"}},
		{"query=" + url.QueryEscape(`{"expires_on":{"$exists":true}}`), []string{"soon", "late"}},
		{"query=" + url.QueryEscape(`{"is_email_notification_enabled":false}`), []string{"soon", "never", "late"}},
		{"query=" + url.QueryEscape(`{"expires_on":{"$gte":"2100-01-01"}}`), []string{"late"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			p, err := parseList(httptest.NewRequest("GET", "/?"+tc.query, nil))
			if err != nil {
				t.Fatal(err)
			}
			page, _, _ := managementTokenFields.apply(p, items)
			var got []string
			for _, it := range page {
				got = append(got, it.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestListKeyOrder: a list item renders its keys in the order of the
// single-object reply, the list key first, then count.
func TestListKeyOrder(t *testing.T) {
	w := httptest.NewRecorder()
	item := renderLocale(&stackgate.Locale{Code: "en-us", Name: "English"})
	if err := writeList(w, httptest.NewRequest("GET", "/?include_count=true", nil), "locales", localeFields, []localeJSON{item}); err != nil {
		t.Fatal(err)
	}
	single, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"locales":[` + string(single) + `],"count":1}`
	if diff := cmp.Diff(want, strings.TrimSpace(w.Body.String())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestListQueryBudget: a query that runs past queryBudget is refused with
// 400 naming query (a $regex over the audit log's bodies could hold a core
// for seconds); a list without a query is never cut short, and within the
// budget the same query answers.
func TestListQueryBudget(t *testing.T) {
	items := make([]managementTokenJSON, 100)
	for i := range items {
		items[i] = renderManagementToken(&stackgate.ManagementToken{Name: fmt.Sprint("token ", i)})
	}
	costly := "query=" + url.QueryEscape(`{"name":{"$regex":"(a*)*(a*)*b"}}`)
	for _, tc := range []struct {
		name   string
		budget time.Duration
		query  string
		status int
	}{
		{"past the budget", 0, costly, 400},
		{"no query, no budget", 0, "limit=5", 200},
		{"within the budget", time.Minute, costly, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(b time.Duration) { queryBudget = b }(queryBudget)
			queryBudget = tc.budget
			w := httptest.NewRecorder()
			err := writeList(w, httptest.NewRequest("GET", "/?"+tc.query, nil), "tokens", managementTokenFields, items)
			status := w.Code
			if err != nil {
				var se *stackgate.Error
				if !errors.As(err, &se) || se.Code != stackgate.EBADREQUEST || se.Fields["query"] == nil {
					t.Fatalf("error %v, want a bad request naming query", err)
				}
				status = 400
			}
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
		})
	}
}
