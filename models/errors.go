// Package models holds Candor's plain domain types, their validation rules,
// status and reason constants, and the coded errors every layer shares.
//
// Every service interface that storage implements (customers, topics,
// consent, API keys, segments, content, campaigns) is declared in one
// file, services.go; every outbox event type is declared in event.go.
//
// It imports no framework (no gin, asynq or gorm): CI enforces this, so the
// domain can be tested and reasoned about without any infrastructure.
package models

import (
	"errors"
	"fmt"
)

// Error codes. Only the HTTP layer maps them to status codes.
const (
	EINVALID      = "invalid"      // well-formed input that breaks a rule (422)
	EMALFORMED    = "malformed"    // input that cannot be parsed (400)
	EUNAUTHORIZED = "unauthorized" // no or unknown credentials (401)
	EFORBIDDEN    = "forbidden"    // credentials too weak for the action (403)
	ENOTFOUND     = "not_found"    // the resource does not exist (404)
	ECONFLICT     = "conflict"     // the action conflicts with current state (409)
	ETOOLARGE     = "too_large"    // the request body is too large (413)
	EBUSY         = "busy"         // too many expensive requests run now; retry later (429)
	EUNAVAILABLE  = "unavailable"  // a backend is not reachable (503)
	EINTERNAL     = "internal"     // anything else; details are logged, never shown
)

// FieldError names one field of the input (as a JSON pointer such as
// "/preferred_windows/0/start"), the rule it breaks and a human explanation.
type FieldError struct {
	Field  string `json:"field"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

// Error is a domain error with a machine-readable code, a message that is
// safe to show to API clients, and optional field-level errors.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("candor error: code=%s message=%s", e.Code, e.Message)
	}
	return fmt.Sprintf("candor error: code=%s message=%s fields=%v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err. Errors that are not
// *Error get a generic message so internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field-level errors of err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Problems collects field errors during validation.
type Problems []FieldError

// Add records that field breaks rule.
func (p *Problems) Add(field, rule, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// Err returns nil when no problem was recorded, else an EINVALID *Error
// carrying every field error.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The request breaks one or more validation rules.", Fields: p}
}
