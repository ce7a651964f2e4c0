package stackgate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code classifies an error. Each code maps to exactly one HTTP status and one
// Contentstack error_code, at the HTTP edge (http/errors.go) and nowhere else.
type Code string

const (
	ENOTFOUND     Code = "not_found"    // 422 / 141: an object named by uid does not exist
	EINVALID      Code = "invalid"      // 422 / 141: validation failed; Fields says where
	ECONFLICT     Code = "conflict"     // 422 / 141: a unique name is taken
	EUNAUTHORIZED Code = "unauthorized" // 401 / 105: missing, unknown, revoked or expired credential
	EFORBIDDEN    Code = "forbidden"    // 403 / 316: valid credential, action not allowed
	ENOSTACK      Code = "no_stack"     // 412 / 109: missing or unknown api_key
	ELOGIN        Code = "login"        // 422 / 104: wrong email or password
	EBADREQUEST   Code = "bad_request"  // 400 / 400: malformed JSON, bad query parameter
	ETOOLARGE     Code = "too_large"    // 413 / 413: body over the limit
	ERATELIMIT    Code = "rate_limit"   // 429 / 429
	EROUTE        Code = "no_route"     // 404 / 404
	EMETHOD       Code = "bad_method"   // 405 / 405
	EINTERNAL     Code = "internal"     // 500 / 500: never shown; the cause is logged
	EUNAVAILABLE  Code = "unavailable"  // 503 / 503: shutting down, store unreachable
	ELOCKED       Code = "locked"       // 429 / 429: too many failed logins for one email
	EUPSTREAM     Code = "upstream"     // 502 / 502: the proxied upstream cannot be reached
	ETIMEOUT      Code = "timeout"      // 504 / 504: the proxied upstream did not answer in time
	ENOBRANCH     Code = "no_branch"    // 422 / 905: the branch header names no branch or alias of the stack
	EOFFBRANCH    Code = "off_branch"   // 403 / 901: the branch is outside every role's or the token's branches
)

// Error is the one error type that crosses layers. Stores and use cases set
// Code and Fields (the field problems, which go into errors) and Err (the
// private cause); the words of error_message belong to the HTTP edge: its
// route table (a route's "… failed. Please try again." for EINVALID and
// ECONFLICT), its table of fixed sentences per code, and Message, which only
// the HTTP layer sets, for a sentence of its own.
type Error struct {
	Code    Code
	Message string
	Fields  map[string][]string
	Err     error

	// RetryAfter, when positive, is sent as Retry-After (rounded up to whole
	// seconds) with a 429 or 503.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " [%s: %s]", k, strings.Join(e.Fields[k], " "))
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// FieldError returns an *Error whose errors map has one field with one problem.
func FieldError(code Code, field, problem string) *Error {
	return &Error{Code: code, Fields: map[string][]string{field: {problem}}}
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// Validation collects field errors and turns into one EINVALID *Error.
type Validation map[string][]string

// Add records problem for field.
func (v Validation) Add(field, problem string) { v[field] = append(v[field], problem) }

// Err returns nil when nothing was recorded, else an EINVALID error.
func (v Validation) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Fields: map[string][]string(v)}
}

// Common problems, worded once.
const (
	ProblemRequired  = "is a required field."
	ProblemNotValid  = "is not valid."
	ProblemNotUnique = "is not unique."
	// The stack's owner cannot be removed from it (RemoveMember).
	ProblemOwner     = "is the stack owner's: the owner cannot be removed from the stack."
	ProblemNotMember = "is neither a member of the stack nor invited to it."
	// ProblemIsRequired is the CDA's wording of a missing parameter
	// ({"environment": ["is required."]}), beside the CMA's ProblemRequired.
	ProblemIsRequired = "is required."
	// ProblemClientNotAllowed is a token's ip_allow refusing the client.
	ProblemClientNotAllowed = "does not include the client address."
)

// ErrNotFound is the error a store returns for a missing object; the HTTP edge
// renders it as "The requested object doesn't exist." with errors.uid.
func ErrNotFound(what string) error {
	return &Error{Code: ENOTFOUND,
		Fields: map[string][]string{"uid": {ProblemNotValid}}, Err: fmt.Errorf("%s not found", what)}
}

// ErrConflict is the error a store returns when a unique field is taken.
func ErrConflict(field string) error {
	return &Error{Code: ECONFLICT, Fields: map[string][]string{field: {ProblemNotUnique}}}
}
