package a55client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

// Config configures a Client. Base URL and token URL are independent: A55's
// documents name several hosts for each.
type Config struct {
	BaseURL      string // e.g. https://core-manager.a55.tech (the client appends /api/v1/...)
	TokenURL     string // e.g. https://.../oauth2/token
	ClientID     string
	ClientSecret string        // never logged nor put in errors
	HTTPClient   *http.Client  // transport, jar, timeout are used; redirects are never followed
	Timeout      time.Duration // per request; default 30s
	UserAgent    string
	Vocabulary   Vocabulary
	// Now is the clock for token expiry, card expiry and the default due
	// date; nil means time.Now.
	Now func() time.Time
}

// DefaultTimeout is the per-request timeout when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "hotelpay-a55-temporal/1 (+go)"

// String describes the configuration with the secret masked, so a Config can
// be logged.
func (c Config) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("a55client.Config{BaseURL:%q TokenURL:%q ClientID:%q ClientSecret:%s Timeout:%s UserAgent:%q Vocabulary:%d}",
		c.BaseURL, c.TokenURL, c.ClientID, secret, c.Timeout, c.UserAgent, int(c.Vocabulary))
}

// GoString is String: %#v masks the secret too.
func (c Config) GoString() string { return c.String() }

// Format implements fmt.Formatter so every verb masks the secret.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// Client talks to A55. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string // BaseURL without trailing slash
	tokens *tokenSource
}

// New validates the configuration and returns a client. Every problem is
// listed in the returned *Error's Fields (class ClassInvalid).
func New(cfg Config) (*Client, error) {
	var probs problems
	checkURL := func(field, v string) {
		if v == "" {
			probs.add(field, "is required")
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			probs.add(field, "must be an absolute http(s) URL")
			return
		}
		if u.RawQuery != "" || u.Fragment != "" {
			probs.add(field, "must not have a query or fragment")
		}
	}
	checkURL("BaseURL", cfg.BaseURL)
	checkURL("TokenURL", cfg.TokenURL)
	if strings.TrimSpace(cfg.ClientID) == "" {
		probs.add("ClientID", "is required")
	}
	if cfg.ClientSecret == "" {
		probs.add("ClientSecret", "is required")
	}
	if cfg.Timeout < 0 {
		probs.add("Timeout", "must not be negative")
	}
	if cfg.Vocabulary != VocabularySeeds && cfg.Vocabulary != VocabularyPublicDocs {
		probs.add("Vocabulary", "must be VocabularySeeds or VocabularyPublicDocs")
	}
	if err := probs.err("new"); err != nil {
		e := err.(*Error)
		e.Message = "invalid configuration"
		return nil, e
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	// A copy of the caller's client that never follows redirects: Go turns a
	// POST into a GET on 301/302, and a capture silently becoming a read is
	// the worst kind of wrong. A 3xx comes back as an error instead.
	hc := http.Client{}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.HTTPClient = &hc
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/")}
	c.tokens = &tokenSource{c: c}
	return c, nil
}

func (c *Client) now() time.Time { return c.cfg.Now() }

// Token returns the cached access token, fetching one if needed. Activities
// do not need it; it exists for diagnostics ("can the worker log in?").
func (c *Client) Token(ctx context.Context) (Token, error) {
	t, err := c.tokens.token(ctx)
	if err != nil {
		return Token{}, forOp(err, "token")
	}
	return t, nil
}

// Paths, exactly as A55 spells them (trailing slashes included).
const (
	pathCharge   = "/api/v1/bank/wallet/charge/"
	pathCharges  = "/api/v1/bank/wallet/charges/"
	pathCapture  = "/api/v1/bank/wallet/charge/capture/"
	pathValidate = "/api/v1/bank/public/charge/authentication/%s/validate"
)

// CreateCharge creates a charge. A decline comes back as both the charge (with
// its UUID, State failed) and an *Error of class ClassDeclined.
func (c *Client) CreateCharge(ctx context.Context, p *CreateChargeParams, idempotencyKey string) (*Charge, error) {
	const op = "create_charge"
	var probs problems
	probs.checkIdempotencyKey(idempotencyKey)
	req, err := buildChargeRequest(p, c.now())
	if err != nil {
		e := err.(*Error)
		e.Fields = append(probs, e.Fields...)
		return nil, e
	}
	if err := probs.err(op); err != nil {
		return nil, err
	}
	return c.chargeCall(ctx, &call{op: op, method: http.MethodPost, path: pathCharge, body: req, idempotencyKey: idempotencyKey})
}

// GetCharge reads a charge: the source of truth after any webhook or ambiguous
// failure. A charge whose status is "error" is a successful read: it comes
// back with State StateFailed (and its Code and Message) and a nil error.
func (c *Client) GetCharge(ctx context.Context, walletUUID, chargeUUID string) (*Charge, error) {
	const op = "get_charge"
	var probs problems
	probs.checkSegment("wallet_uuid", walletUUID)
	probs.checkSegment("charge_uuid", chargeUUID)
	if err := probs.err(op); err != nil {
		return nil, err
	}
	q := url.Values{"charge_uuid": {chargeUUID}, "wallet_uuid": {walletUUID}}
	ch, _, err := fetch(ctx, c, &call{op: op, method: http.MethodGet, path: pathCharge, query: q}, decodeCharge)
	return ch, err
}

// ListCharges lists charges of a wallet.
func (c *Client) ListCharges(ctx context.Context, p *ListChargesParams) (*ChargeList, error) {
	const op = "list_charges"
	var probs problems
	if p == nil {
		p = &ListChargesParams{}
	}
	probs.checkSegment("wallet_uuid", p.WalletUUID)
	if p.Page < 0 {
		probs.add("page", "must not be negative")
	}
	if p.Limit < 0 || p.Limit > 100 {
		probs.add("limit", "must be 0 (default) to 100")
	}
	if err := probs.err(op); err != nil {
		return nil, err
	}
	q := url.Values{"wallet_uuid": {p.WalletUUID}}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("merchant_uuid", p.MerchantUUID)
	set("date_start", p.DateStart)
	set("date_end", p.DateEnd)
	if p.Page > 0 {
		q.Set("page", fmt.Sprint(p.Page))
	}
	if p.Limit > 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
	set("filter", p.Filter)
	set("sort", p.Sort)
	list, _, err := fetch(ctx, c, &call{op: op, method: http.MethodGet, path: pathCharges, query: q}, decodeList)
	return list, err
}

// CaptureCharge captures an authorized charge, fully or partly.
func (c *Client) CaptureCharge(ctx context.Context, p *CaptureParams, idempotencyKey string) (*Charge, error) {
	if p == nil {
		p = &CaptureParams{}
	}
	return c.chargeOperation(ctx, idempotencyKey, chargeOperation{
		op: "capture", chargeUUID: p.ChargeUUID, walletUUID: p.WalletUUID, amount: p.Amount, path: pathCapture,
		body: func(amount *Decimal) any {
			return captureRequest{ChargeUUID: p.ChargeUUID, WalletUUID: p.WalletUUID, Amount: amount}
		},
	})
}

// CancelCharge voids an uncaptured charge (releases the hold).
func (c *Client) CancelCharge(ctx context.Context, p *CancelParams, idempotencyKey string) (*Charge, error) {
	if p == nil {
		p = &CancelParams{}
	}
	return c.chargeOperation(ctx, idempotencyKey, chargeOperation{
		op: "cancel", chargeUUID: p.ChargeUUID, walletUUID: p.WalletUUID, path: chargePath(p.ChargeUUID, "cancel", p.WalletUUID),
		body: func(*Decimal) any { return cancelRequest{Reason: p.Reason} },
	})
}

// RefundCharge refunds a captured charge, fully or partly.
func (c *Client) RefundCharge(ctx context.Context, p *RefundParams, idempotencyKey string) (*Charge, error) {
	if p == nil {
		p = &RefundParams{}
	}
	return c.chargeOperation(ctx, idempotencyKey, chargeOperation{
		op: "refund", chargeUUID: p.ChargeUUID, walletUUID: p.WalletUUID, amount: p.Amount, path: chargePath(p.ChargeUUID, "refund", p.WalletUUID),
		body: func(amount *Decimal) any { return refundRequest{Amount: amount, Reason: p.Reason} },
	})
}

// chargeOperation is a mutating call on an existing charge (capture, cancel,
// refund).
type chargeOperation struct {
	op                     string
	chargeUUID, walletUUID string
	amount                 *money.Amount // optional; sent as the body's amount
	path                   string
	body                   func(amount *Decimal) any
}

// chargeOperation checks what every operation on an existing charge carries
// (its idempotency key, the charge's and wallet's UUIDs, the amount when
// given) and sends it.
func (c *Client) chargeOperation(ctx context.Context, idempotencyKey string, o chargeOperation) (*Charge, error) {
	var probs problems
	probs.checkIdempotencyKey(idempotencyKey)
	probs.checkSegment("charge_uuid", o.chargeUUID)
	probs.checkSegment("wallet_uuid", o.walletUUID)
	var amount *Decimal
	if o.amount != nil {
		amount = probs.wireAmount("amount", *o.amount)
	}
	if err := probs.err(o.op); err != nil {
		return nil, err
	}
	return c.chargeCall(ctx, &call{op: o.op, method: http.MethodPost, path: o.path, body: o.body(amount), idempotencyKey: idempotencyKey})
}

// chargePath is the path of an operation on a charge of a wallet.
func chargePath(chargeUUID, operation, walletUUID string) string {
	return pathCharge + url.PathEscape(chargeUUID) + "/" + operation + "/" + url.PathEscape(walletUUID) + "/"
}

// Validate3DS calls the public validate endpoint after a challenge. It sends
// no bearer token. A failed authentication (status "error") returns both the
// validation and an *Error of class ClassDeclined.
func (c *Client) Validate3DS(ctx context.Context, chargeUUID, transactionID, idempotencyKey string) (*ThreeDSValidation, error) {
	const op = "validate_3ds"
	var probs problems
	probs.checkIdempotencyKey(idempotencyKey)
	probs.checkSegment("charge_uuid", chargeUUID)
	if strings.TrimSpace(transactionID) == "" {
		probs.add("transaction_id", "is required")
	}
	if err := probs.err(op); err != nil {
		return nil, err
	}
	ch, resp, err := fetch(ctx, c, &call{
		op: op, method: http.MethodPost, public: true,
		path:           fmt.Sprintf(pathValidate, url.PathEscape(chargeUUID)),
		body:           validate3DSRequest{TransactionID: transactionID},
		idempotencyKey: idempotencyKey,
	}, decodeCharge)
	if err != nil {
		return nil, err
	}
	var extra struct {
		CAVV looseString `json:"cavv"`
	}
	_ = json.Unmarshal(resp.body, &extra)
	v := &ThreeDSValidation{
		ChargeUUID:           ch.UUID,
		AuthenticationStatus: ch.AuthenticationStatus,
		ECI:                  ch.ECI,
		CAVV:                 string(extra.CAVV),
		Status:               ch.Status,
		State:                ch.State,
		Message:              ch.Message,
	}
	if v.ChargeUUID == "" {
		v.ChargeUUID = chargeUUID
		ch.UUID = chargeUUID
	}
	if ch.State == StateFailed {
		return v, resp.declined(op, ch)
	}
	return v, nil
}

// wireAmount validates a capture/refund amount and converts it.
func (p *problems) wireAmount(field string, a money.Amount) *Decimal {
	if err := a.Validate(); err != nil {
		p.add(field, "%v", err)
		return nil
	}
	d, err := FormatAmount(a)
	if err != nil {
		p.add(field, "%v", err)
		return nil
	}
	return &d
}

// chargeCall sends a mutating call whose answer is a charge, and turns a 2xx
// answer with status "error" into a decline: the charge plus a ClassDeclined
// *Error. A55 replays that answer for the same idempotency key, so it is final.
func (c *Client) chargeCall(ctx context.Context, cl *call) (*Charge, error) {
	ch, resp, err := fetch(ctx, c, cl, decodeCharge)
	if err != nil {
		return nil, err
	}
	if ch.State == StateFailed {
		return ch, resp.declined(cl.op, ch)
	}
	return ch, nil
}

// fetch sends cl and decodes its 2xx answer with decode; an answer that does
// not decode is the call's decode error. It returns the response too, for
// what the caller reads beyond the decoded value.
func fetch[T any](ctx context.Context, c *Client, cl *call, decode func([]byte, Vocabulary) (T, error)) (T, *response, error) {
	var zero T
	resp, err := c.do(ctx, cl)
	if err != nil {
		return zero, nil, err
	}
	v, derr := decode(resp.body, c.cfg.Vocabulary)
	if derr != nil {
		return zero, nil, resp.decodeError(cl.op, derr)
	}
	return v, resp, nil
}
