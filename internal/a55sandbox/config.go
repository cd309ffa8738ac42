// Package a55sandbox is an in-memory simulator of the A55 HTTP API: OAuth
// client credentials, card charges (create, get, list, capture, cancel,
// refund), the 3DS challenge page and validate call, webhooks with A55's retry
// schedule, idempotency keys, authorization expiry and fault injection.
//
// It is the A55 client's counterpart and deliberately shares no decoding code
// with it: a bug copied into both would pass every test. Where the users'
// documents (the "seeds") and A55's public docs disagree, it behaves as the
// seeds describe, unless Config.Vocabulary asks for the public documents'
// words.
//
// Use New for an http.Handler, NewServer or Start for a listening server on
// 127.0.0.1, or the a55sandbox command for a standalone process.
package a55sandbox

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Default credentials and wallets.
const (
	DefaultClientID     = "sandbox-client"
	DefaultClientSecret = "sandbox-secret"
	// DefaultWallet is the wallet of the seeds' create-charge examples.
	DefaultWallet = "00000000-0000-4000-8000-000000000001"
	// SecondWallet is the wallet of the seeds' capture examples.
	SecondWallet = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
)

// Config configures a Sandbox. The zero value is usable: every field has a
// default. For durations, zero means the default and a negative value means
// "never" where the field says so.
type Config struct {
	ClientID     string // default "sandbox-client"
	ClientSecret string // default "sandbox-secret"
	// TokenLifetime is expires_in of issued tokens (default 3600 s).
	TokenLifetime time.Duration
	// Wallets maps wallet UUID to its currency. Default: DefaultWallet and
	// SecondWallet, both BRL.
	Wallets map[string]string
	// HoldWindow is how long an uncaptured "authorized" charge lives before it
	// lapses to "canceled" (default 7 days; negative: never).
	HoldWindow time.Duration
	// SettlementDelay is how long a captured ("confirmed") charge waits before
	// it settles to "paid" (default 2 s; negative: never).
	SettlementDelay time.Duration
	// ChallengeTimeout is how long a "pending" 3DS challenge waits for the card
	// holder before the charge becomes "canceled" (default 15 min; negative: never).
	ChallengeTimeout time.Duration
	// WebhookRetryScale multiplies A55's retry gaps (immediately, +1m, +5m,
	// +30m, +2h, +6h, +24h). Default 1; tests use e.g. 0.0001.
	WebhookRetryScale float64
	// WebhookTimeout bounds one webhook delivery attempt (default 30 s).
	WebhookTimeout time.Duration
	// WebhookSigningSecret, when set, signs webhooks: X-Webhook-Timestamp is
	// unix seconds and X-Webhook-Signature is hex HMAC-SHA256 of
	// "<timestamp>.<raw body>".
	WebhookSigningSecret string
	// DefaultWebhookURL receives webhooks of charges created without
	// webhook_url (A55's dashboard default). Empty: such charges send none.
	DefaultWebhookURL string
	// PublicURL is the base of url_3ds links (e.g. http://127.0.0.1:8055).
	// Empty: derived from each request's Host.
	PublicURL string
	// Clock returns the current time (default time.Now). Hold expiry,
	// settlement, challenge timeout, token expiry and idempotency-key expiry
	// read it; webhook retry gaps use real time (scaled).
	Clock func() time.Time
	// Seed seeds the random source used for faults and last-digit-9 cards.
	Seed uint64
	// SweepInterval is how often the background sweeper applies expiry,
	// settlement and challenge timeouts (default 100 ms). Every API request
	// also sweeps first, so state is never stale when read.
	SweepInterval time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered (default 24 h).
	IdempotencyTTL time.Duration
	// Faults are the initial fault settings per endpoint (see Fault).
	Faults map[string]Fault
	// Logger receives one line per request (never bodies, never card data).
	// Nil: no logging.
	Logger *slog.Logger
	// Vocabulary is the status words the API answers with: VocabularySeeds
	// (the default: a hold is "authorized", a captured hold "confirmed") or
	// VocabularyPublicDocs (A55's public documents: a hold is "confirmed", a
	// captured hold "pre_captured", then "paid"). The ledger always speaks
	// the seeds' words (LedgerEntry.APIStatus has the API's).
	Vocabulary string
	// Acquirer is how the acquirer behind A55 captures: AcquirerPartialCapture
	// (the default: what the capture asks, the rest released) or
	// AcquirerFullCapture (no partial capture: the whole authorization is
	// captured whatever amount is asked, and the answer says so).
	Acquirer string
}

// Vocabularies (Config.Vocabulary).
const (
	VocabularySeeds      = "seeds"
	VocabularyPublicDocs = "public-docs"
)

// Acquirers (Config.Acquirer).
const (
	AcquirerPartialCapture = "partial-capture"
	AcquirerFullCapture    = "full-capture"
)

// Validate reports a Vocabulary or Acquirer the sandbox does not know.
func (c Config) Validate() error {
	return Modes{Vocabulary: c.Vocabulary, Acquirer: c.Acquirer}.validate()
}

// Modes are the settings a running sandbox may change (SetModes,
// POST /_sandbox/modes); empty fields mean the defaults.
type Modes struct {
	Vocabulary string `json:"vocabulary"`
	Acquirer   string `json:"acquirer"`
}

// modeChoices are each mode's values, the default first.
var modeChoices = []struct {
	name   string
	field  func(*Modes) *string
	values []string
}{
	{"vocabulary", func(m *Modes) *string { return &m.Vocabulary }, []string{VocabularySeeds, VocabularyPublicDocs}},
	{"acquirer", func(m *Modes) *string { return &m.Acquirer }, []string{AcquirerPartialCapture, AcquirerFullCapture}},
}

func (m Modes) validate() error {
	for _, c := range modeChoices {
		if v := *c.field(&m); v != "" && !slices.Contains(c.values, v) {
			return fmt.Errorf("a55sandbox: %s %q is not %s", c.name, v, strings.Join(c.values, " or "))
		}
	}
	return nil
}

func (m Modes) withDefaults() Modes {
	for _, c := range modeChoices {
		if v := c.field(&m); *v == "" {
			*v = c.values[0]
		}
	}
	return m
}

func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = time.Hour
	}
	wallets := make(map[string]string)
	for w, cur := range c.Wallets {
		wallets[w] = cur
	}
	if len(wallets) == 0 {
		wallets[DefaultWallet] = "BRL"
		wallets[SecondWallet] = "BRL"
	}
	c.Wallets = wallets
	if c.HoldWindow == 0 {
		c.HoldWindow = 7 * 24 * time.Hour
	}
	if c.SettlementDelay == 0 {
		c.SettlementDelay = 2 * time.Second
	}
	if c.ChallengeTimeout == 0 {
		c.ChallengeTimeout = 15 * time.Minute
	}
	if c.WebhookRetryScale <= 0 {
		c.WebhookRetryScale = 1
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 100 * time.Millisecond
	}
	if c.IdempotencyTTL <= 0 {
		c.IdempotencyTTL = 24 * time.Hour
	}
	m := Modes{Vocabulary: c.Vocabulary, Acquirer: c.Acquirer}.withDefaults()
	c.Vocabulary, c.Acquirer = m.Vocabulary, m.Acquirer
	return c
}
