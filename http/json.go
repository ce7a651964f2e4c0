package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/stackgate/stackgate"
)

// MaxBodyBytes is the largest request body accepted (413 beyond).
const MaxBodyBytes = 1 << 20

var errBadJSON = &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "Please send a valid JSON body.", Fields: map[string][]string{}}

// decode reads the JSON body of r into a fresh T. An empty body is an error
// unless allowEmpty; a body over MaxBodyBytes is 413; malformed JSON, a wrong
// top-level type or a field of the wrong type is 400. A form body is read as
// the JSON it stands for (formbody.go). Unknown fields are
// ignored: the SDKs send back read-only fields they fetched.
func decode[T any](r *http.Request, allowEmpty bool) (T, error) {
	var v T
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return v, &stackgate.Error{Code: stackgate.ETOOLARGE, Fields: map[string][]string{}}
		}
		return v, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The request body could not be read.", Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return v, nil
		}
		return v, errBadJSON
	}
	if isForm(r.Header) {
		// The SDK's bodies once it holds an OAuth token (formbody.go).
		if body, err = formJSON(string(body), reflect.TypeFor[T]()); err != nil {
			e := *errBadJSON
			e.Err = err
			return v, &e
		}
	}
	if err := json.Unmarshal(body, &v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return v, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "Please send a valid JSON body.",
				Fields: map[string][]string{typeErr.Field: {"is of the wrong type."}}, Err: err}
		}
		e := *errBadJSON
		e.Err = err
		return v, &e
	}
	return v, nil
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// notice is a reply that only says what happened.
type notice struct {
	Notice string `json:"notice"`
}

// queryBool parses a boolean query parameter (include_rules,
// include_permissions, include_count, count, force,
// create_with_preview_token, include_collaborators): "true"/"false" in any
// case, which is what Contentstack documents and every official SDK sends
// (Python's requests sends "True"), and "1"/"0", which form encoders and
// the qs library produce for numbers; absent or empty is def; anything else
// is 400 rather than a guess (README, Compatibility).
func queryBool(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "":
		return def, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The query parameter " + name + " must be true, false, 1 or 0.",
		Fields: map[string][]string{name: {stackgate.ProblemNotValid}}}
}
