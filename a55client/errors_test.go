package a55client

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestErrorShapesAndClasses(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		class      Class
		code       string
		message    string
		requestID  string
		retryAfter time.Duration
		fields     []FieldError
		chargeUUID string
	}{
		{
			name: "seed shape on 400", status: 400,
			body:  `{"uuid":"u1","status":"error","message":[{"message":"Declined or validation failed"}],"code":"INVALID_CARD"}`,
			class: ClassInvalid, code: "INVALID_CARD", message: "Declined or validation failed", chargeUUID: "u1",
		},
		{
			name: "shape A cancel not allowed on 409", status: 409,
			body:  `{"charge_uuid":"c1","status":"error","message":[{"code":"CANCEL_NOT_ALLOWED","source":"charge","description":"already settled — use refund instead"}]}`,
			class: ClassConflict, code: "CANCEL_NOT_ALLOWED", message: "already settled — use refund instead", chargeUUID: "c1",
		},
		{
			name: "shape B rate limit", status: 429, header: map[string]string{"Retry-After": "7"},
			body:  `{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Too many requests","details":[{"field":"rate_limit","reason":"100 per minute"}]},"request_id":"req_1"}`,
			class: ClassRetryable, code: "RATE_LIMIT_EXCEEDED", message: "Too many requests", requestID: "req_1", retryAfter: 7 * time.Second,
			fields: []FieldError{{Field: "rate_limit", Reason: "100 per minute"}},
		},
		{
			name: "shape B validation", status: 422,
			body:  `{"error":{"code":"INVALID_CARD_NUMBER","message":"bad","details":[{"field":"card.number","reason":"luhn"}]},"request_id":"req_2"}`,
			class: ClassInvalid, code: "INVALID_CARD_NUMBER", message: "bad", requestID: "req_2",
			fields: []FieldError{{Field: "card.number", Reason: "luhn"}},
		},
		{
			name: "plain capture not available", status: 400,
			body:  `{"code":"errors.wallet.charge_capture_not_available","message":"Charge is not in a capturable state"}`,
			class: ClassNotCapturable, code: "errors.wallet.charge_capture_not_available", message: "Charge is not in a capturable state",
		},
		{
			name: "amount exceeds authorization", status: 422,
			body:  `{"code":"amount_exceeds_authorization","message":"Capture amount exceeds authorized amount"}`,
			class: ClassInvalid, code: "amount_exceeds_authorization", message: "Capture amount exceeds authorized amount",
		},
		{name: "wallet not found", status: 404, body: `{"code":"errors.wallet.not_found","message":"Wallet not found"}`, class: ClassNotFound, code: "errors.wallet.not_found", message: "Wallet not found"},
		{name: "charge not found", status: 404, body: `{"code":"CHARGE_NOT_FOUND","message":"Charge not found"}`, class: ClassNotFound, code: "CHARGE_NOT_FOUND", message: "Charge not found"},
		{name: "forbidden", status: 403, body: `{"code":"forbidden","message":"wallet not permitted"}`, class: ClassUnauthorized, code: "forbidden", message: "wallet not permitted"},
		{name: "idempotency reused", status: 409, body: `{"code":"IDEMPOTENCY_KEY_REUSED","message":"different body"}`, class: ClassConflict, code: "IDEMPOTENCY_KEY_REUSED", message: "different body"},
		{name: "duplicate request", status: 409, body: `{"code":"DUPLICATE_REQUEST","message":"key already used"}`, class: ClassConflict, code: "DUPLICATE_REQUEST", message: "key already used"},
		{name: "in progress code", status: 409, body: `{"code":"REQUEST_IN_PROGRESS","message":"wait"}`, class: ClassRetryable, code: "REQUEST_IN_PROGRESS", message: "wait"},
		{name: "idempotency in progress code", status: 409, body: `{"error":{"code":"IDEMPOTENCY_IN_PROGRESS","message":"busy"}}`, class: ClassRetryable, code: "IDEMPOTENCY_IN_PROGRESS", message: "busy"},
		{name: "in progress message", status: 409, body: `{"code":"CONFLICT","message":"A request with this key is in progress"}`, class: ClassRetryable, code: "CONFLICT", message: "A request with this key is in progress"},
		{name: "server error no body", status: 500, body: ``, class: ClassRetryable, message: "Internal Server Error"},
		{name: "bad gateway html", status: 502, body: `<html>bad gateway</html>`, class: ClassRetryable, message: "Bad Gateway"},
		{
			name: "503 with date", status: 503, header: map[string]string{"Retry-After": fixedNow.Add(90 * time.Second).Format(http.TimeFormat), "X-Request-Id": "hdr-1"},
			body: `{"message":"maintenance"}`, class: ClassRetryable, message: "maintenance", requestID: "hdr-1", retryAfter: 90 * time.Second,
		},
		{name: "string message", status: 400, body: `{"message":"payer_email is invalid"}`, class: ClassInvalid, message: "payer_email is invalid"},
		{name: "object message", status: 400, body: `{"message":{"message":"bad due_date"},"code":"X"}`, class: ClassInvalid, code: "X", message: "bad due_date"},
		{name: "teapot", status: 418, body: `{}`, class: ClassUnknown, message: "I'm a teapot"},
		{name: "request timeout", status: 408, body: `{}`, class: ClassRetryable, message: "Request Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			capAmt := brl(100)
			ch, err := f.client().CaptureCharge(ctxT(t), &CaptureParams{WalletUUID: testWallet, ChargeUUID: testCharge, Amount: &capAmt}, "idem-1")
			if ch != nil {
				t.Errorf("charge returned on HTTP error: %+v", ch)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if e.Class != tt.class || ClassOf(err) != tt.class {
				t.Errorf("class = %v, want %v", e.Class, tt.class)
			}
			if e.Op != "capture" || e.HTTPStatus != tt.status || e.Code != tt.code || e.Message != tt.message || e.RequestID != tt.requestID {
				t.Errorf("error = %+v", e)
			}
			if e.RetryAfter != tt.retryAfter || RetryAfter(err) != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
			if !reflect.DeepEqual(e.Fields, tt.fields) {
				t.Errorf("fields = %+v, want %+v", e.Fields, tt.fields)
			}
			if tt.chargeUUID != "" && (e.Charge == nil || e.Charge.UUID != tt.chargeUUID || e.Charge.State != StateFailed) {
				t.Errorf("error charge = %+v", e.Charge)
			}
			if tt.chargeUUID == "" && e.Charge != nil {
				t.Errorf("unexpected charge %+v", e.Charge)
			}
			if len(f.requests()) != 1 {
				t.Errorf("%d requests: the client must not retry by itself", len(f.requests()))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "a55: capture: HTTP ") {
				t.Errorf("Error() = %q", msg)
			}
			mustNotContain(t, "Error()", msg, "tok-1", testClientSecret, "idem-1")
		})
	}
}

func TestClassHelpers(t *testing.T) {
	preds := map[Class]func(error) bool{
		ClassRetryable: IsRetryable, ClassDeclined: IsDeclined, ClassInvalid: IsInvalid, ClassNotFound: IsNotFound,
		ClassConflict: IsConflict, ClassNotCapturable: IsNotCapturable, ClassUnauthorized: IsUnauthorized,
	}
	for class := range preds {
		err := fmt.Errorf("activity: %w", &Error{Op: "x", Class: class})
		for other, pred := range preds {
			if pred(err) != (other == class) {
				t.Errorf("predicate for %v on %v error = %v", other, class, pred(err))
			}
		}
		if ClassOf(err) != class {
			t.Errorf("ClassOf = %v", ClassOf(err))
		}
	}
	if ClassOf(nil) != ClassUnknown || ClassOf(errors.New("x")) != ClassUnknown || RetryAfter(errors.New("x")) != 0 {
		t.Errorf("foreign errors are not unknown")
	}
	names := map[Class]string{
		ClassUnknown: "unknown", ClassRetryable: "retryable", ClassDeclined: "declined", ClassInvalid: "invalid",
		ClassNotFound: "not_found", ClassConflict: "conflict", ClassNotCapturable: "not_capturable", ClassUnauthorized: "unauthorized",
		Class(42): "class(42)",
	}
	for c, n := range names {
		if c.String() != n {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), n)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Op: "create_charge", HTTPStatus: 422, Code: "AMOUNT_INVALID", Message: "bad amount", RequestID: "req_9",
		Fields: []FieldError{{"amount", "too small"}, {"currency", "unknown"}}}
	want := "a55: create_charge: HTTP 422: AMOUNT_INVALID: bad amount (amount: too small; currency: unknown) [request_id req_9]"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
	}
	if got := (&Error{Op: "get_charge", Class: ClassRetryable}).Error(); got != "a55: get_charge: retryable error" {
		t.Errorf("Error() = %q", got)
	}
	inner := errors.New("boom")
	if !errors.Is(&Error{Err: inner}, inner) {
		t.Errorf("Unwrap lost the cause")
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"30", 30 * time.Second},
		{" 2 ", 2 * time.Second},
		{"999999999", 24 * time.Hour},
		{fixedNow.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{fixedNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, fixedNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNetworkErrorsAreRetryable(t *testing.T) {
	f := newFake(t)
	c := f.client()
	if _, err := c.Token(ctxT(t)); err != nil { // token first, then kill the API
		t.Fatal(err)
	}
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	})
	_, err := c.GetCharge(ctxT(t), testWallet, testCharge)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassRetryable || e.HTTPStatus != 0 || e.Err == nil {
		t.Fatalf("err = %#v", err)
	}
	mustNotContain(t, "network error", err.Error(), "tok-1", testClientSecret)
}

func TestTimeoutIsRetryable(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := f.client(func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.GetCharge(ctxT(t), testWallet, testCharge)
	if !IsRetryable(err) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
}
