package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/service"
)

// Where error_message comes from, first match wins (stores and use cases
// return codes and field problems, never words):
//
//  1. errorSentences: the sentence of one particular error of the service;
//  2. Message, set only here in http (a decoder's or the gate's own words, or
//     the route's "… failed. Please try again." that handle puts on an
//     EINVALID or ECONFLICT: route.failed in routes.go);
//  3. errorMapping: the fixed sentence of the code (always, for 5xx).

// errorMapping is the one table from a domain error code to what goes on the
// wire: HTTP status, Contentstack error_code, and the message used when the
// error carries none (spec §3).
var errorMapping = map[stackgate.Code]struct {
	status  int
	code    int
	message string
}{
	stackgate.ENOTFOUND:     {http.StatusUnprocessableEntity, 141, "The requested object doesn't exist."},
	stackgate.EINVALID:      {http.StatusUnprocessableEntity, 141, "Validation failed. Please try again."},
	stackgate.ECONFLICT:     {http.StatusUnprocessableEntity, 141, "Validation failed. Please try again."},
	stackgate.ELOGIN:        {http.StatusUnprocessableEntity, 104, "Looks like your email or password is invalid."},
	stackgate.EUNAUTHORIZED: {http.StatusUnauthorized, 105, "You're not allowed in here unless you're logged in."},
	stackgate.EFORBIDDEN:    {http.StatusForbidden, 316, "You don't have the permission to do this operation."},
	stackgate.ENOSTACK:      {http.StatusPreconditionFailed, 109, "We can't find that Stack. Please try again."},
	stackgate.EBADREQUEST:   {http.StatusBadRequest, 400, "Please send a valid JSON body."},
	stackgate.ETOOLARGE:     {http.StatusRequestEntityTooLarge, 413, "The request body is too large."},
	stackgate.ERATELIMIT:    {http.StatusTooManyRequests, 429, "Too many requests"},
	stackgate.ELOCKED:       {http.StatusTooManyRequests, 429, "Too many failed login attempts. Please try again later."},
	stackgate.EROUTE:        {http.StatusNotFound, 404, "The requested URL was not found on this server."},
	stackgate.EMETHOD:       {http.StatusMethodNotAllowed, 405, "The method is not allowed for the requested URL."},
	stackgate.EUNAVAILABLE:  {http.StatusServiceUnavailable, 503, "Service unavailable. Please try again."},
	stackgate.EINTERNAL:     {http.StatusInternalServerError, 500, "Internal server error."},
	stackgate.EUPSTREAM:     {http.StatusBadGateway, 502, "The upstream server cannot be reached. Please try again."},
	stackgate.ETIMEOUT:      {http.StatusGatewayTimeout, 504, "The upstream server did not answer in time. Please try again."},
	stackgate.ENOBRANCH:     {http.StatusUnprocessableEntity, 905, "The requested branch doesn't exist."},
	stackgate.EOFFBRANCH:    {http.StatusForbidden, 901, "Access denied. You have insufficient permissions to perform operation on this branch."},
}

// errorSentences words the service's errors that are not said by their code
// alone.
var errorSentences = map[*stackgate.Error]string{
	service.ErrSystemRole:     "System roles cannot be modified.",
	service.ErrNotRoleCreator: "Only the stack owner or the user who created this role can modify it.",
	access.ErrNoAPI:           msgGateAPI,
}

const msgGateAPI = "The gate request does not name the API it fronts."

// errorMessage returns the error_message e is sent with.
func errorMessage(e *stackgate.Error, status int, fallback string) string {
	if s, ok := errorSentences[e]; ok {
		return s
	}
	if status >= 500 || e.Message == "" {
		return fallback
	}
	return e.Message
}

// withFailure returns err with message when it is an EINVALID or ECONFLICT
// *stackgate.Error without a message of its own; other errors pass through.
func withFailure(err error, message string) error {
	var e *stackgate.Error
	if message == "" || !errors.As(err, &e) || e.Message != "" ||
		(e.Code != stackgate.EINVALID && e.Code != stackgate.ECONFLICT) {
		return err
	}
	cp := *e
	cp.Message = message
	return &cp
}

// errorBody is the Contentstack error shape.
type errorBody struct {
	ErrorMessage string              `json:"error_message"`
	ErrorCode    int                 `json:"error_code"`
	Errors       map[string][]string `json:"errors"`
}

// Error renders err in the spec's shape. Internal errors show nothing of
// their cause, which goes to the log with the request id; a request whose
// client went away is not a server error.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if writeOAuthError(w, err) { // the token endpoints speak RFC 6749 (oauth.go)
		return
	}
	var e *stackgate.Error
	if !errors.As(err, &e) {
		e = &stackgate.Error{Code: stackgate.EINTERNAL, Err: err}
		if errors.Is(err, context.Canceled) || storeUnreachable(err) { // storedown.go
			e.Code, e.RetryAfter = stackgate.EUNAVAILABLE, time.Second
		}
	}
	m, ok := errorMapping[e.Code]
	if !ok {
		m = errorMapping[stackgate.EINTERNAL]
	}
	body := errorBody{ErrorMessage: errorMessage(e, m.status, m.message), ErrorCode: m.code, Errors: e.Fields}
	if m.status >= 500 || body.Errors == nil {
		body.Errors = map[string][]string{}
	}
	if e.Code == stackgate.EINTERNAL && log != nil { // 503s (overload, shutdown) and 502/504 (upstream) are not faults
		log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
	if e.RetryAfter > 0 { // the error knows when (limiters, login budgets, overload)
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	if e.Err != nil {
		info(r.Context()).detail = e.Err.Error()
	}
	writeJSON(w, m.status, body)
}

// statusOf returns the HTTP status err renders as.
func statusOf(err error) int {
	m, ok := errorMapping[stackgate.ErrorCode(err)]
	if !ok {
		return http.StatusInternalServerError
	}
	return m.status
}

func asError(err error, target **stackgate.Error) bool { return errors.As(err, target) }
