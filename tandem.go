// Package tandem holds Tandem's domain: leads and their stages, the ledger of
// events that records every change to a lead, users and API tokens, and the
// error type every layer shares. It imports only the standard library, so the
// rules of the agreement between marketing and sales can be read and tested
// without a database or a web server.
//
// Storage lives in package sqldb, the HTTP API in package http, the agreement
// file in package agreement and CSV import in package csvimport.
package tandem

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes. Each maps to one HTTP status in package http and to one exit
// status in the command; the message is for people, the code for programs.
const (
	EINVALID      = "invalid"      // the input breaks a rule; Fields says which
	EMALFORMED    = "malformed"    // the input cannot be read at all
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the change conflicts with the current state
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	ETOOLARGE     = "too_large"    // the input is over a size limit
	EINTERNAL     = "internal"     // a bug or an outage; details are logged, not shown
)

// Error is the one error type that crosses package boundaries with a meaning.
// Anything that is not an *Error is an internal error.
type Error struct {
	Code    string
	Message string
	// Fields names each field that is wrong and why, for EINVALID.
	Fields []FieldError
}

// FieldError says which field of an input is wrong and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

func (e *Error) Error() string {
	if len(e.Fields) == 0 || e.Message != "" {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing the field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Fields: fields}
}

// ErrorCode returns the code of an *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error in err's chain, or
// "internal error" so that nothing internal leaks to a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// ErrorFields returns the field errors of an *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Clock is where all of Tandem's time comes from. Production uses the wall
// clock; tests use a fake one (package clock) and run weeks in milliseconds.
type Clock interface {
	Now() time.Time
}
