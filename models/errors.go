package models

import (
	"errors"
	"fmt"
)

// Sentinel errors that every caller of models can test with errors.Is.
// handlers/shared/respond.go maps them to HTTP statuses in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
	// ErrForbidden is an action the actor's role does not allow (403).
	ErrForbidden = errors.New("forbidden")
)

// ValidationError is a user's mistake in one field. It wraps ErrInvalid.
type ValidationError struct {
	Field string
	// Msg is shown to the user, so it is in Chinese.
	Msg string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Msg) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Invalid returns a ValidationError for field with a Chinese message.
func Invalid(field, msg string) error { return &ValidationError{Field: field, Msg: msg} }

// CodedError carries a stable machine code (such as "code_not_found") and a
// Chinese message for the user, and wraps one of the sentinel errors.
type CodedError struct {
	Code string
	Msg  string
	Kind error
}

func (e *CodedError) Error() string { return e.Code + ": " + e.Msg }

// Unwrap returns the sentinel the error belongs to.
func (e *CodedError) Unwrap() error { return e.Kind }

// Coded builds a CodedError.
func Coded(kind error, code, msg string) error { return &CodedError{Code: code, Msg: msg, Kind: kind} }
