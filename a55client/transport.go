package a55client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds how much of an answer the client reads.
const maxBody = 1 << 20

// call is one A55 request.
type call struct {
	op             string
	method         string
	path           string     // already escaped, starting with /api/
	query          url.Values // nil for none
	body           any        // nil: no body
	idempotencyKey string     // sent as Idempotency-Key when non-empty
	public         bool       // public endpoints take no bearer token
}

// response is a 2xx answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do is the client's only transport: it builds the request, sets the
// headers, sends it, reads a bounded body and turns non-2xx answers into a
// classified *Error. Its only retry is one token refresh after a 401.
func (c *Client) do(ctx context.Context, cl *call) (*response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			// Never quote the body: it may hold card data.
			return nil, &Error{Op: cl.op, Class: ClassInvalid, Message: "encoding request failed"}
		}
	}
	target := c.base + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		var bearer string
		if !cl.public {
			tok, err := c.tokens.token(ctx)
			if err != nil {
				return nil, forOp(err, cl.op)
			}
			bearer = tok.AccessToken
		}
		if err := c.roomFor(ctx, cl); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, cl, target, payload, bearer)
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnauthorized && !cl.public && attempt == 0 {
			// The token expired early or was revoked: refresh once and
			// send the same request (same Idempotency-Key) again.
			c.tokens.invalidate(bearer)
			continue
		}
		if resp.status < 200 || resp.status > 299 {
			return nil, c.errorFromResponse(cl.op, resp)
		}
		return resp, nil
	}
}

// roomFor refuses to start a mutating request (one with an Idempotency-Key)
// that ctx's deadline would cut before the request's own timeout: a request
// cut on our side may still be running at A55 when the caller's next attempt
// sends the same key, so a slow A55 would get overlapping attempts from us.
// Not sending is safe (nothing reached A55) and retryable: the caller's next
// attempt, with a fresh deadline, sends it. Reads may be cut: they change
// nothing.
func (c *Client) roomFor(ctx context.Context, cl *call) error {
	if cl.idempotencyKey == "" {
		return nil
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	if left := time.Until(deadline); left < c.cfg.Timeout {
		return &Error{Op: cl.op, Class: ClassRetryable, Message: fmt.Sprintf(
			"not sent: %s left before the caller's deadline, less than the %s request timeout (the attempt must outlast the request)",
			left.Round(time.Millisecond), c.cfg.Timeout)}
	}
	return nil
}

func (c *Client) send(ctx context.Context, cl *call, target string, payload []byte, bearer string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, &Error{Op: cl.op, Class: ClassInvalid, Message: "building request failed: " + err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if cl.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", cl.idempotencyKey)
	}
	httpResp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, &Error{Op: cl.op, Class: ClassRetryable, Message: "request failed: " + transportReason(err), Err: err}
	}
	defer httpResp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBody+1))
	if err != nil {
		return nil, &Error{Op: cl.op, HTTPStatus: httpResp.StatusCode, Class: ClassRetryable,
			Message: "reading response failed: " + transportReason(err), Err: err}
	}
	if len(data) > maxBody {
		return nil, &Error{Op: cl.op, HTTPStatus: httpResp.StatusCode, Class: ClassUnknown,
			Message: "response body exceeds 1 MiB", RequestID: httpResp.Header.Get("X-Request-Id")}
	}
	return &response{status: httpResp.StatusCode, header: httpResp.Header, body: data}, nil
}

// transportReason describes a transport failure. Timeouts get a plain word;
// other errors keep Go's text (URLs in it carry only UUIDs, never secrets).
func transportReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return err.Error()
}

// errorFromResponse builds the *Error for a non-2xx answer, whatever its
// shape: seed {uuid,status,message:[{message}],code}, A {charge_uuid,status,
// message:[{code,source,description}]}, B {error:{code,message,details},
// request_id}, or plain {code,message}.
func (c *Client) errorFromResponse(op string, r *response) *Error {
	var w errorWire
	_ = json.Unmarshal(r.body, &w)
	code, msg, fields := parseErrorFields(&w)
	if msg == "" {
		msg = http.StatusText(r.status)
	}
	if r.status >= 300 && r.status < 400 {
		msg = "unexpected redirect (not followed)"
		if loc := r.header.Get("Location"); loc != "" {
			msg += " to " + quoteShort(loc)
		}
	}
	e := &Error{
		Op:         op,
		HTTPStatus: r.status,
		Code:       code,
		Message:    msg,
		RequestID:  requestID(&w, r.header),
		Class:      classify(r.status, code, msg),
		RetryAfter: c.retryAfter(r.header),
		Fields:     fields,
	}
	if ch, err := decodeCharge(r.body, c.cfg.Vocabulary); err == nil && ch.UUID != "" {
		e.Charge = ch
	}
	return e
}

// declined is the error that accompanies a charge whose status is "error":
// final at A55 for this charge and idempotency key.
func (r *response) declined(op string, ch *Charge) *Error {
	var w errorWire
	_ = json.Unmarshal(r.body, &w)
	msg := ch.Message
	if msg == "" {
		msg = "charge declined"
	}
	return &Error{
		Op:         op,
		HTTPStatus: r.status,
		Code:       ch.Code,
		Message:    msg,
		RequestID:  requestID(&w, r.header),
		Class:      ClassDeclined,
		Charge:     ch,
	}
}

// decodeError reports a 2xx answer the client could not read.
func (r *response) decodeError(op string, err error) *Error {
	return &Error{Op: op, HTTPStatus: r.status, Class: ClassUnknown, Message: err.Error(),
		RequestID: r.header.Get("X-Request-Id"), Err: err}
}

func requestID(w *errorWire, h http.Header) string {
	if w != nil && w.RequestID != "" {
		return string(w.RequestID)
	}
	return h.Get("X-Request-Id")
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func (c *Client) retryAfter(h http.Header) time.Duration {
	return parseRetryAfter(h.Get("Retry-After"), c.now())
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 24*3600 {
			secs = 24 * 3600
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
