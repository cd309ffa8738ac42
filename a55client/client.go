package a55client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Config configures a Client. Base URL and token URL are independent: A55's
// documents name several hosts for each.
type Config struct {
	BaseURL      string // e.g. https://core-manager.a55.tech (the client appends /api/v1/...)
	TokenURL     string // e.g. https://.../oauth2/token
	ClientID     string
	ClientSecret string // never logged nor put in errors
	HTTPClient   *http.Client
	Timeout      time.Duration // per request; default 30s
	UserAgent    string
	Vocabulary   Vocabulary
}

// Client talks to A55. It is safe for concurrent use.
type Client struct{ cfg Config }

var errTODO = errors.New("a55client: not implemented yet")

// New validates the configuration and returns a client.
func New(cfg Config) (*Client, error) { return &Client{cfg: cfg}, nil }

// CreateCharge creates a charge. A decline comes back as both the charge (with
// its UUID, State failed) and an *Error of class ClassDeclined.
func (c *Client) CreateCharge(ctx context.Context, p *CreateChargeParams, idempotencyKey string) (*Charge, error) {
	return nil, errTODO
}

// GetCharge reads a charge: the source of truth after any webhook or ambiguous failure.
func (c *Client) GetCharge(ctx context.Context, walletUUID, chargeUUID string) (*Charge, error) {
	return nil, errTODO
}

// ListCharges lists charges of a wallet.
func (c *Client) ListCharges(ctx context.Context, p *ListChargesParams) (*ChargeList, error) {
	return nil, errTODO
}

// CaptureCharge captures an authorized charge, fully or partly.
func (c *Client) CaptureCharge(ctx context.Context, p *CaptureParams, idempotencyKey string) (*Charge, error) {
	return nil, errTODO
}

// CancelCharge voids an uncaptured charge (releases the hold).
func (c *Client) CancelCharge(ctx context.Context, p *CancelParams, idempotencyKey string) (*Charge, error) {
	return nil, errTODO
}

// RefundCharge refunds a captured charge, fully or partly.
func (c *Client) RefundCharge(ctx context.Context, p *RefundParams, idempotencyKey string) (*Charge, error) {
	return nil, errTODO
}

// Validate3DS calls the public validate endpoint after a challenge.
func (c *Client) Validate3DS(ctx context.Context, chargeUUID, transactionID, idempotencyKey string) (*ThreeDSValidation, error) {
	return nil, errTODO
}
