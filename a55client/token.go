package a55client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenSource fetches OAuth2 client-credentials tokens and caches them.
// Concurrent callers that find no usable token share one token request.
type tokenSource struct {
	c *Client

	mu       sync.Mutex
	tok      Token
	inflight *tokenFetch // non-nil while a token request runs
}

type tokenFetch struct {
	done chan struct{}
	tok  Token
	err  error
}

// defaultTokenLifetime is A55's documented expires_in, used when the token
// endpoint leaves it out.
const defaultTokenLifetime = 3600 * time.Second

// refreshBefore returns how long after issue a token of the given lifetime
// should be replaced: 60 s before it expires, or at 90% of its life when it
// lives less than 10 minutes (a 60 s margin would eat most of a short token).
func refreshBefore(lifetime time.Duration) time.Duration {
	if lifetime < 10*time.Minute {
		return lifetime * 9 / 10
	}
	return lifetime - 60*time.Second
}

// token returns a usable access token, fetching one if needed.
func (ts *tokenSource) token(ctx context.Context) (Token, error) {
	ts.mu.Lock()
	if ts.tok.AccessToken != "" && ts.c.now().Before(ts.tok.ExpiresAt) {
		t := ts.tok
		ts.mu.Unlock()
		return t, nil
	}
	f := ts.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		ts.inflight = f
		// The fetch outlives a caller that gives up: others may be waiting.
		go ts.run(context.WithoutCancel(ctx), f)
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return Token{}, &Error{Class: ClassRetryable, Message: "waiting for an access token: " + ctx.Err().Error(), Err: ctx.Err()}
	}
}

func (ts *tokenSource) run(ctx context.Context, f *tokenFetch) {
	tok, err := ts.fetch(ctx)
	ts.mu.Lock()
	if err == nil {
		ts.tok = tok
	}
	ts.inflight = nil
	ts.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
}

// invalidate drops the cached token if it is the one A55 just rejected; a
// token fetched meanwhile by another caller is kept.
func (ts *tokenSource) invalidate(rejected string) {
	ts.mu.Lock()
	if ts.tok.AccessToken == rejected {
		ts.tok = Token{}
	}
	ts.mu.Unlock()
}

type tokenResponse struct {
	AccessToken string   `json:"access_token"`
	ExpiresIn   looseInt `json:"expires_in"`
	TokenType   string   `json:"token_type"`
}

// fetch sends the client-credentials form. Errors never contain the secret:
// the form body is never quoted.
func (ts *tokenSource) fetch(ctx context.Context) (Token, error) {
	cfg := &ts.c.cfg
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {cfg.ClientID},
		"client_secret": {cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &Error{Class: ClassInvalid, Message: "building token request: invalid TokenURL"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", cfg.UserAgent)
	issued := ts.c.now()
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return Token{}, &Error{Class: ClassRetryable, Message: "token request failed: " + transportReason(err), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return Token{}, &Error{HTTPStatus: resp.StatusCode, Class: ClassRetryable, Message: "reading token response: " + err.Error(), Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Token{}, ts.c.tokenError(resp, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return Token{}, &Error{HTTPStatus: resp.StatusCode, Class: ClassUnknown, Message: "token response has no access_token"}
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return Token{}, &Error{HTTPStatus: resp.StatusCode, Class: ClassUnknown, Message: fmt.Sprintf("token type %q is not Bearer", tr.TokenType)}
	}
	lifetime := time.Duration(tr.ExpiresIn) * time.Second
	if tr.ExpiresIn <= 0 {
		lifetime = defaultTokenLifetime
	}
	return Token{AccessToken: tr.AccessToken, ExpiresAt: issued.Add(refreshBefore(lifetime))}, nil
}

// tokenError classifies a token endpoint failure: rejected credentials
// (OAuth "invalid_client" and friends, 400/401/403) are final; 429 and 5xx
// are worth retrying.
func (c *Client) tokenError(resp *http.Response, body []byte) error {
	var w errorWire
	_ = json.Unmarshal(body, &w)
	code, msg, fields := parseErrorFields(&w)
	e := &Error{
		HTTPStatus: resp.StatusCode,
		Code:       code,
		Message:    "token request rejected",
		RequestID:  requestID(&w, resp.Header),
		RetryAfter: c.retryAfter(resp.Header),
		Fields:     fields,
	}
	if msg != "" {
		e.Message += ": " + msg
	}
	switch s := resp.StatusCode; {
	case s == 400 || s == 401 || s == 403:
		e.Class = ClassUnauthorized
	case s == 429 || s >= 500:
		e.Class = ClassRetryable
	default:
		e.Class = ClassUnknown
	}
	return e
}

// forOp copies a shared token error so that each caller's error names its own operation.
func forOp(err error, op string) error {
	var e *Error
	if errors.As(err, &e) {
		cp := *e
		cp.Op = op
		return &cp
	}
	return &Error{Op: op, Class: ClassUnknown, Message: err.Error(), Err: err}
}
