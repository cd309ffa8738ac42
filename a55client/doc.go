// Package a55client is a Go client for A55's card-charge API: OAuth2 client
// credentials, create / get / list charges, capture, cancel, refund and the
// public 3DS validate call.
//
// Amounts are money.Amount (integer minor units) on the Go side and decimal
// major units on the wire (BRL 32000 minor is 320.00); amount.go is the only
// place that converts. Every mutating call takes the caller's idempotency key,
// which must stay the same on every retry of one business operation.
//
// Errors are *Error values with a Class that says what to do next:
// ClassRetryable (network, timeouts, 5xx, 429 with RetryAfter, 409 "in
// progress"), ClassDeclined (a 2xx answer with status "error": the charge is
// returned too and is final at A55), ClassInvalid (local validation or
// 400/422), ClassNotFound, ClassConflict (idempotency key reused with another
// body), ClassNotCapturable and ClassUnauthorized. The client never loops on
// retryable errors (Temporal activities retry); its one internal retry is a
// token refresh after a 401.
//
// Card data, tokens and the client secret never appear in errors or fmt
// output: Card and Config format themselves masked.
package a55client
