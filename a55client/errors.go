package a55client

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

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

var classNames = [...]string{
	ClassUnknown:       "unknown",
	ClassRetryable:     "retryable",
	ClassDeclined:      "declined",
	ClassInvalid:       "invalid",
	ClassNotFound:      "not_found",
	ClassConflict:      "conflict",
	ClassNotCapturable: "not_capturable",
	ClassUnauthorized:  "unauthorized",
}

// String names the class in snake case ("retryable", "not_capturable"); the
// activities use it as the type of Temporal application errors.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

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

func (f FieldError) String() string { return f.Field + ": " + f.Reason }

// Error renders the operation, HTTP status, code, message and field problems.
// It never contains request bodies, tokens, secrets or card data: the client
// builds every part of it from A55's answer or from its own rule texts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("a55: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.HTTPStatus != 0 {
		b.WriteString("HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
		b.WriteString(": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	msg := e.Message
	if msg == "" {
		msg = e.Class.String() + " error"
	}
	b.WriteString(msg)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	if e.RequestID != "" {
		b.WriteString(" [request_id ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Helpers the activities read like rules (implemented with errors.As).
func IsRetryable(err error) bool     { return classOf(err) == ClassRetryable }
func IsDeclined(err error) bool      { return classOf(err) == ClassDeclined }
func IsInvalid(err error) bool       { return classOf(err) == ClassInvalid }
func IsNotFound(err error) bool      { return classOf(err) == ClassNotFound }
func IsConflict(err error) bool      { return classOf(err) == ClassConflict }
func IsNotCapturable(err error) bool { return classOf(err) == ClassNotCapturable }
func IsUnauthorized(err error) bool  { return classOf(err) == ClassUnauthorized }

// ClassOf returns the class of an *Error anywhere in err's chain, and
// ClassUnknown for nil or foreign errors.
func ClassOf(err error) Class { return classOf(err) }

// RetryAfter returns how long A55 asked the caller to wait (Retry-After), or
// zero when it did not or err is not an *Error.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func classOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassUnknown
}

// codes that mean "the first request with this idempotency key is still being
// processed": wait and send the same request again.
var inProgressCodes = map[string]bool{
	"REQUEST_IN_PROGRESS":     true,
	"IDEMPOTENCY_IN_PROGRESS": true,
}

// classify maps an HTTP error answer to a Class. Declines arrive as 2xx with
// status "error" and are classified by the caller, not here.
func classify(status int, code, message string) Class {
	if code == codeCaptureNotAvailable && status >= 400 && status < 500 {
		return ClassNotCapturable
	}
	switch {
	case status == 429 || status >= 500 || status == 408:
		return ClassRetryable
	case status == 409:
		if inProgressCodes[strings.ToUpper(code)] ||
			strings.Contains(strings.ToLower(code), "in_progress") ||
			strings.Contains(strings.ToLower(message), "in progress") {
			return ClassRetryable
		}
		return ClassConflict
	case status == 400 || status == 422:
		return ClassInvalid
	case status == 404:
		return ClassNotFound
	case status == 401 || status == 403:
		return ClassUnauthorized
	}
	return ClassUnknown
}

// codeCaptureNotAvailable is A55's answer to a capture of a charge that is not
// (or no longer) authorized.
const codeCaptureNotAvailable = "errors.wallet.charge_capture_not_available"
