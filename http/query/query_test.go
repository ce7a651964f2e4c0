package query_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate/http/query"
)

// doc types JSON as the http layer does: created_at and updated_at are
// times, expires_on a date, anywhere in the document.
func doc(t *testing.T, raw string) query.Value {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return query.FromJSON(v, func(key, s string) query.Value {
		switch key {
		case "created_at", "updated_at":
			if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return query.Instant(tm)
			}
		case "expires_on":
			if tm, err := time.Parse(time.DateOnly, s); err == nil {
				return query.Day(tm)
			}
		}
		return query.Str(s)
	})
}

// docs are three roles-like items whose fields disagree on every order:
// "10" sorts before "9" as text, 9 before 10 as numbers.
func docs(t *testing.T) map[string]query.Value {
	return map[string]query.Value{
		"a": doc(t, `{"name":"Alpha","_version":10,"created_at":"2026-01-02T00:00:00.000Z","expires_on":"2026-03-01",
			"active":true,"description":null,"users":["u1","u2"],"tags":[],
			"rules":[{"module":"branch","branches":["main"],"acl":{"read":true}},
			         {"module":"environment","environments":["production","staging"],"acl":{"read":true}}],
			"stack":{"name":"My Site","created_at":"2025-01-01T00:00:00.000Z"}}`),
		"b": doc(t, `{"name":"beta","_version":9,"created_at":"2026-01-10T00:00:00.000Z","expires_on":"2026-02-01",
			"active":false,"description":"B","users":[],"tags":["x"],
			"rules":[{"module":"branch","branches":["$all"],"acl":{"read":true}},
			         {"module":"locale","locales":["en-us"],"restrict":true,"acl":{"read":false}}],
			"stack":{"name":"Other","created_at":"2025-06-01T00:00:00.000Z"}}`),
		"c": doc(t, `{"name":"Gamma","_version":2,"created_at":"2025-12-31T23:59:59.999Z",
			"users":["u2"],
			"rules":[{"module":"environment","environments":["production"],"acl":{"read":false}}]}`),
	}
}

func matching(t *testing.T, raw string) ([]string, error) {
	t.Helper()
	q, err := query.Parse(raw)
	if err != nil {
		return nil, err
	}
	ds := docs(t)
	got := []string{}
	for name, d := range ds {
		if q.Match(d) {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	return got, nil
}

// TestMatch: each operator, over each type, nested and through arrays.
func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"empty query", `{}`, []string{"a", "b", "c"}},
		// equality and types
		{"string equality", `{"name":"beta"}`, []string{"b"}},
		{"string equality is exact (case)", `{"name":"Beta"}`, []string{}},
		{"number equality", `{"_version":9}`, []string{"b"}},
		{"number equality, 9.0 is 9", `{"_version":9.0}`, []string{"b"}},
		{"number equality with an integer string", `{"_version":"10"}`, []string{"a"}},
		{"a string is not a number", `{"name":1}`, []string{}},
		{"bool equality", `{"active":false}`, []string{"b"}},
		{"bool equality with a string", `{"active":"true"}`, []string{"a"}},
		{"null matches null and absent", `{"description":null}`, []string{"a", "c"}},
		{"an unknown field is null", `{"nope":null}`, []string{"a", "b", "c"}},
		{"an unknown field equals nothing else", `{"nope":"x"}`, []string{}},
		{"time equality, another spelling of the instant", `{"created_at":"2026-01-02T01:00:00+01:00"}`, []string{"a"}},
		{"date equality", `{"expires_on":"2026-02-01"}`, []string{"b"}},
		{"a list equals a list", `{"users":["u1","u2"]}`, []string{"a"}},
		{"a list's order counts", `{"users":["u2","u1"]}`, []string{}},
		{"an empty list", `{"users":[]}`, []string{"b"}},
		{"a list holds an element", `{"users":"u2"}`, []string{"a", "c"}},
		{"an object equals an object", `{"stack":{"name":"Other","created_at":"2025-06-01T00:00:00Z"}}`, []string{"b"}},
		{"an object equal to a part is not equal", `{"stack":{"name":"Other"}}`, []string{}},
		// dotted paths
		{"dotted path into an object", `{"stack.name":"My Site"}`, []string{"a"}},
		{"dotted path into an array of objects", `{"rules.module":"environment"}`, []string{"a", "c"}},
		{"dotted path to an array in an array", `{"rules.environments":"staging"}`, []string{"a"}},
		{"dotted path with an index", `{"rules.0.module":"environment"}`, []string{"c"}},
		{"dotted path with an index past the end", `{"rules.5.module":{"$exists":true}}`, []string{}},
		{"dotted path to a nested bool", `{"rules.acl.read":false}`, []string{"b", "c"}},
		{"dotted path to a nested time", `{"stack.created_at":{"$gt":"2025-03-01"}}`, []string{"b"}},
		{"dotted path through a scalar", `{"name.x":{"$exists":true}}`, []string{}},
		// $eq $ne
		{"$eq", `{"name":{"$eq":"Gamma"}}`, []string{"c"}},
		{"$ne", `{"_version":{"$ne":10}}`, []string{"b", "c"}},
		{"$ne on an absent field", `{"expires_on":{"$ne":"2026-02-01"}}`, []string{"a", "c"}},
		{"$ne through an array: no element equals", `{"rules.module":{"$ne":"branch"}}`, []string{"c"}},
		{"$ne null: exists", `{"description":{"$ne":null}}`, []string{"b"}},
		// $in $nin
		{"$in numbers", `{"_version":{"$in":[9,2]}}`, []string{"b", "c"}},
		{"$in over a list field", `{"users":{"$in":["u1","zz"]}}`, []string{"a"}},
		{"$in with null finds absent", `{"expires_on":{"$in":[null,"2026-03-01"]}}`, []string{"a", "c"}},
		{"$in empty", `{"name":{"$in":[]}}`, []string{}},
		{"$nin", `{"_version":{"$nin":[2,10]}}`, []string{"b"}},
		{"$nin through an array", `{"rules.module":{"$nin":["locale"]}}`, []string{"a", "c"}},
		// $exists
		{"$exists true", `{"expires_on":{"$exists":true}}`, []string{"a", "b"}},
		{"$exists false", `{"expires_on":{"$exists":false}}`, []string{"c"}},
		{"$exists: null does not exist", `{"description":{"$exists":true}}`, []string{"b"}},
		{"$exists on a nested field", `{"rules.restrict":{"$exists":true}}`, []string{"b"}},
		{"$exists: an empty list exists", `{"users":{"$exists":true}}`, []string{"a", "b", "c"}},
		// $regex
		{"$regex", `{"name":{"$regex":"^[A-Z]"}}`, []string{"a", "c"}},
		{"$regex is case-sensitive", `{"name":{"$regex":"^b"}}`, []string{"b"}},
		{"$regex with $options i", `{"name":{"$regex":"^B","$options":"i"}}`, []string{"b"}},
		{"$regex with $options m", `{"description":{"$regex":"^B$","$options":"m"}}`, []string{"b"}},
		{"$regex through an array", `{"rules.environments":{"$regex":"^stag"}}`, []string{"a"}},
		{"$regex never matches a number", `{"_version":{"$regex":"9"}}`, []string{}},
		{"$regex never matches null", `{"description":{"$regex":".*"}}`, []string{"b"}},
		// $lt $lte $gt $gte
		{"$gt numbers as numbers", `{"_version":{"$gt":9}}`, []string{"a"}},
		{"$gte", `{"_version":{"$gte":9}}`, []string{"a", "b"}},
		{"$lt", `{"_version":{"$lt":9}}`, []string{"c"}},
		{"$lte", `{"_version":{"$lte":9}}`, []string{"b", "c"}},
		{"range", `{"_version":{"$gt":2,"$lt":10}}`, []string{"b"}},
		{"$gt a string on a number does not compare", `{"_version":{"$gt":"1"}}`, []string{}},
		{"$gt dates as instants", `{"created_at":{"$gt":"2026-01-01T00:00:00Z"}}`, []string{"a", "b"}},
		{"$lt a bare date is its midnight UTC", `{"created_at":{"$lt":"2026-01-02"}}`, []string{"c"}},
		{"$lte the same instant, another offset", `{"created_at":{"$lte":"2026-01-02T01:00:00+01:00"}}`, []string{"a", "c"}},
		{"$gte on a date field", `{"expires_on":{"$gte":"2026-02-15"}}`, []string{"a"}},
		{"$lt on a date field never matches absent", `{"expires_on":{"$lt":"2100-01-01"}}`, []string{"a", "b"}},
		{"$gt strings as strings", `{"name":{"$gt":"Beta"}}`, []string{"b", "c"}},
		{"$gt a number on a string does not compare", `{"name":{"$gt":1}}`, []string{}},
		// $and $or, nesting
		{"$or", `{"$or":[{"name":"Alpha"},{"_version":2}]}`, []string{"a", "c"}},
		{"$and", `{"$and":[{"_version":{"$in":[9,10,2]}},{"name":{"$ne":"beta"}}]}`, []string{"a", "c"}},
		{"fields beside $or are and-ed", `{"$or":[{"name":"Alpha"},{"_version":2}],"users":"u2"}`, []string{"a", "c"}},
		{"nested $or in $and", `{"$and":[{"$or":[{"active":true},{"active":false}]},{"rules.module":"locale"}]}`, []string{"b"}},
		{"several fields are and-ed", `{"rules.module":"environment","users":"u1"}`, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := matching(t, tc.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseRefuses: what is not the language is an *Error that names the
// problem and none of the request's values.
func TestParseRefuses(t *testing.T) {
	deep := strings.Repeat(`{"$and":[`, 20) + `{"a":1}` + strings.Repeat(`]}`, 20)
	deepValue := `{"a":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`
	for _, tc := range []struct{ name, query, want string }{
		{"not JSON", `{bad`, "not valid JSON"},
		{"trailing data", `{} {}`, "not valid JSON"},
		{"an array", `[1]`, "must be a JSON object"},
		{"a string", `"secretvalue"`, "must be a JSON object"},
		{"unknown operator", `{"name":{"$where":"secretvalue"}}`, "unsupported operator"},
		{"unknown top-level operator", `{"$nor":[{"a":1}]}`, "unsupported operator"},
		{"operators mixed with fields", `{"name":{"$eq":"a","b":1}}`, "mixes operators and field names"},
		{"$in not a list", `{"name":{"$in":"a"}}`, "$in takes a list"},
		{"$nin not a list", `{"name":{"$nin":{"a":1}}}`, "$nin takes a list"},
		{"$exists not a bool", `{"name":{"$exists":"yes"}}`, "$exists takes true or false"},
		{"$regex not a string", `{"name":{"$regex":1}}`, "$regex takes a string"},
		{"$regex not valid", `{"name":{"$regex":"(secretvalue"}}`, "not a valid regular expression"},
		{"$regex with a backreference (not RE2)", `{"name":{"$regex":"(a)\\1"}}`, "not a valid regular expression"},
		{"$options without $regex", `{"name":{"$options":"i"}}`, "$options needs $regex"},
		{"$options unknown flag", `{"name":{"$regex":"a","$options":"x"}}`, "flags i, m and s"},
		{"$options not a string", `{"name":{"$regex":"a","$options":1}}`, "flags i, m and s"},
		{"$lt an object", `{"_version":{"$lt":{"a":1}}}`, "$lt takes a number, a date or a string"},
		{"$gte null", `{"_version":{"$gte":null}}`, "$gte takes a number, a date or a string"},
		{"$gt a bool", `{"_version":{"$gt":true}}`, "$gt takes a number, a date or a string"},
		{"$and not a list", `{"$and":{"a":1}}`, "$and takes a non-empty list"},
		{"$or empty", `{"$or":[]}`, "$or takes a non-empty list"},
		{"$or not objects", `{"$or":[1]}`, "$or takes a non-empty list"},
		{"empty path segment", `{"rules..module":"x"}`, "empty segment"},
		{"empty field name", `{"":"x"}`, "empty segment"},
		{"too deep", deep, "nests deeper"},
		{"a value too deep", deepValue, "nests deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := query.Parse(tc.query)
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse = %v, want a *query.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secretvalue") {
				t.Errorf("error %q repeats a value of the query", err)
			}
		})
	}
}

// TestSortKey: asc/desc order by type, through paths and arrays.
func TestSortKey(t *testing.T) {
	ds := docs(t)
	for _, tc := range []struct {
		path string
		desc bool
		want []string
	}{
		{"_version", false, []string{"c", "b", "a"}},
		{"_version", true, []string{"a", "b", "c"}},
		{"name", false, []string{"a", "c", "b"}}, // byte order: upper case first
		{"created_at", false, []string{"c", "a", "b"}},
		{"created_at", true, []string{"b", "a", "c"}},
		{"expires_on", false, []string{"c", "b", "a"}}, // absent first
		{"expires_on", true, []string{"a", "b", "c"}},
		{"active", false, []string{"c", "b", "a"}}, // absent, false, true
		{"stack.created_at", true, []string{"b", "a", "c"}},
		{"users", false, []string{"b", "a", "c"}}, // least element: none, u1, u2
		{"users", true, []string{"a", "c", "b"}},  // greatest element: u2, u2, none (stable)
		{"rules.module", false, []string{"a", "b", "c"}},
		{"nope", true, []string{"a", "b", "c"}}, // all null: stable
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := []string{"a", "b", "c"}
			slices.SortStableFunc(got, func(x, y string) int {
				c := query.Compare(query.SortKey(ds[x], tc.path, tc.desc), query.SortKey(ds[y], tc.path, tc.desc))
				if tc.desc {
					return -c
				}
				return c
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompareKinds: values of different kinds order by MongoDB's type
// order; a time and a date compare as instants.
func TestCompareKinds(t *testing.T) {
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	ordered := []query.Value{{}, query.Num(-1), query.Num(3), query.Str(""), query.Str("a"),
		query.Obj(nil), query.List(nil), query.List([]query.Value{query.Num(1)}), query.Boolean(false), query.Boolean(true),
		query.Instant(day.Add(-time.Second)), query.Day(day), query.Instant(day.Add(time.Second))}
	for i := range ordered {
		for j := range ordered {
			got := query.Compare(ordered[i], ordered[j])
			want := i - j
			if (got < 0) != (want < 0) || (got > 0) != (want > 0) {
				t.Errorf("Compare(#%d, #%d) = %d, want the sign of %d", i, j, got, want)
			}
		}
	}
}
