package web

import (
	"errors"
	"log/slog"
	"net/http"
)

// A StatusError carries the HTTP status a domain error maps to. Domain
// packages know nothing of HTTP: StatusOf classifies their errors through
// the small interfaces below, or through Classify functions given to it.
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string { return e.Err.Error() }

// Unwrap returns the error.
func (e *StatusError) Unwrap() error { return e.Err }

// Errorf wraps err with status code.
func Errorf(code int, err error) error { return &StatusError{Code: code, Err: err} }

// A Classifier maps the errors of one domain to a status, 0 when it does
// not know the error.
type Classifier func(error) int

// Errors maps errors to statuses: a StatusError's code, else the first
// classifier that knows the error, else 500.
type Errors []Classifier

// StatusOf returns the status err maps to.
func (cs Errors) StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	for _, c := range cs {
		if code := c(err); code != 0 {
			return code
		}
	}
	return http.StatusInternalServerError
}

// Write answers with err's status and text; a 500 hides the text from
// the caller and logs it for the operator.
func (cs Errors) Write(w http.ResponseWriter, log *slog.Logger, err error) {
	code := cs.StatusOf(err)
	if code >= 500 {
		log.Error("http request failed", "err", err)
		http.Error(w, http.StatusText(code), code)
		return
	}
	http.Error(w, err.Error(), code)
}
