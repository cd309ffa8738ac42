package a55client

import "time"

// Class says what a caller may do about an error.
type Class int

const (
	ClassUnknown       Class = iota
	ClassRetryable           // network errors, timeouts, 5xx, 429, 409 "request in progress"
	ClassDeclined            // card declined, insufficient funds, 3DS failed, processing error: final for this charge
	ClassInvalid             // 400/422 validation, amount over the authorization; also local validation
	ClassNotFound            // unknown charge or wallet
	ClassConflict            // idempotency key reused with a different body
	ClassNotCapturable       // errors.wallet.charge_capture_not_available
	ClassUnauthorized        // credentials rejected even after a token refresh
)

// Error is every error the client returns about an A55 call.
type Error struct {
	Op         string // "create_charge", "capture", ...
	HTTPStatus int    // 0 when no response arrived
	Code       string // A55's code, e.g. CARD_DECLINED, errors.wallet.charge_capture_not_available
	Message    string
	RequestID  string
	Class      Class
	RetryAfter time.Duration // from Retry-After on 429/503, zero if absent
	Fields     []FieldError  // validation details, when A55 or local validation names fields
	Charge     *Charge       // the charge, when the error came with one (declines)
	Err        error         // underlying transport error, if any
}

// FieldError names a field and the rule it broke.
type FieldError struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return "a55: " + e.Op + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Helpers the activities read like rules (implemented with errors.As).
func IsRetryable(err error) bool     { return classOf(err) == ClassRetryable }
func IsDeclined(err error) bool      { return classOf(err) == ClassDeclined }
func IsInvalid(err error) bool       { return classOf(err) == ClassInvalid }
func IsNotFound(err error) bool      { return classOf(err) == ClassNotFound }
func IsConflict(err error) bool      { return classOf(err) == ClassConflict }
func IsNotCapturable(err error) bool { return classOf(err) == ClassNotCapturable }

func classOf(err error) Class { return ClassUnknown }
