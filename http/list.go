package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/stackgate/stackgate"
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

// apply filters, sorts and pages items, the wire objects of a list, and
// returns the page and the number of matches before paging.
func (p listParams) apply(items []map[string]any) ([]map[string]any, int) {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if matches(it, p.query) {
			out = append(out, it)
		}
	}
	if p.sortField != "" {
		sort.SliceStable(out, func(i, j int) bool {
			a, b := fmt.Sprint(out[i][p.sortField]), fmt.Sprint(out[j][p.sortField])
			if p.desc {
				return a > b
			}
			return a < b
		})
	}
	count := len(out)
	if p.skip >= len(out) {
		return []map[string]any{}, count
	}
	out = out[p.skip:]
	if p.limit > 0 && p.limit < len(out) {
		out = out[:p.limit]
	}
	return out, count
}

// checkQuery accepts field equality and the operators $in, $nin, $ne,
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

func matches(item map[string]any, q map[string]any) bool {
	for k, cond := range q {
		switch k {
		case "$and":
			for _, sub := range cond.([]any) {
				if !matches(item, sub.(map[string]any)) {
					return false
				}
			}
			continue
		case "$or":
			matched := false
			for _, sub := range cond.([]any) {
				if matches(item, sub.(map[string]any)) {
					matched = true
					break
				}
			}
			if !matched {
				return false
			}
			continue
		}
		val, present := item[k]
		m, isOp := cond.(map[string]any)
		if !isOp {
			if !equal(val, cond) {
				return false
			}
			continue
		}
		for op, arg := range m {
			switch op {
			case "$eq":
				if !equal(val, arg) {
					return false
				}
			case "$ne":
				if equal(val, arg) {
					return false
				}
			case "$exists":
				if want, _ := arg.(bool); want != (present && val != nil) {
					return false
				}
			case "$in", "$nin":
				in := false
				for _, a := range arg.([]any) {
					if equal(val, a) {
						in = true
						break
					}
				}
				if in != (op == "$in") {
					return false
				}
			}
		}
	}
	return true
}

// equal compares a wire value with a query value; JSON numbers and Go ints
// compare by value, and nil equals absent.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// toMaps turns wire objects into generic maps for filtering.
func toMaps[T any](items []T) ([]map[string]any, error) {
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out, nil
}

// writeList renders {"<key>": page[, "count": n]}.
func writeList[T any](w http.ResponseWriter, r *http.Request, key string, items []T) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	maps, err := toMaps(items)
	if err != nil {
		return err
	}
	page, count := p.apply(maps)
	body := map[string]any{key: page}
	if p.includeCount {
		body["count"] = count
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
