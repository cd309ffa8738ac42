// Package cardvault keeps card data out of everything that persists
// (crypto-shredding, PCI DSS 3.3.1).
//
// A booking's card is sealed (AES-256-GCM) under a fresh data key made for
// that booking alone. The sealed card travels as a Token in the workflow's
// input; the data key lives only in a Store (a database shared by the
// starters, the card intake and the workers). The authorize activity reads
// the key to open the card for the create-charge call and its retries, and
// the workflow destroys the key as soon as A55's definite answer is in the
// history: from then on the ciphertext in Temporal's history, in backups or
// anywhere else opens with nothing, whatever payload keys one holds. A key
// nobody destroys (a booking that never got an answer) stops opening at its
// ExpiresAt and is deleted by the next sweep (MaxKeyLifetime).
//
// The store holds keys and their ids, never card data. Two
// implementations share one contract test (cardvaulttest): sqlitestore,
// embedded, for the dev stack and tests, and pgstore, PostgreSQL, for
// production.
package cardvault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/cardnum"
)

// MaxKeyLifetime is the longest a data key lives: the authorization's whole
// retry budget (10 minutes) with room for a slow start and one operator
// retry. A key older than this opens nothing and the next sweep deletes it.
const MaxKeyLifetime = 30 * time.Minute

// KeySize is the data key's length (AES-256).
const KeySize = 32

// ErrKeyGone: the key was destroyed, has passed its ExpiresAt, or never
// existed. The card it sealed cannot be opened any more: the booking system
// must ask the guest for the card again.
var ErrKeyGone = errors.New("card data expired: the card's key is destroyed or past its lifetime")

// ErrTokenInvalid: the token is malformed, tampered with, or sealed for
// another booking; it opens with no key.
var ErrTokenInvalid = errors.New("card token does not open")

// Reasons a key is destroyed, recorded with its tombstone.
const (
	ReasonAnswered = "a55_answered" // A55 answered the create call definitely
	ReasonNoCharge = "no_charge"    // A55 refused the request: no charge exists
	ReasonExpired  = "expired"      // MaxKeyLifetime passed
)

// Token is a sealed card: what the workflow input carries instead of the
// card. Only Sealed holds card data, and it opens only with the key KeyID
// names, while that key lives. Last4 and the expiry are kept in clear for
// the booking's summary and checks (PCI DSS allows the last four digits).
type Token struct {
	KeyID       string    `json:"key_id"`
	Sealed      string    `json:"sealed"` // base64 of nonce || AES-256-GCM ciphertext
	Last4       string    `json:"last4"`
	ExpiryMonth int       `json:"expiry_month"`
	ExpiryYear  int       `json:"expiry_year"`
	ExpiresAt   time.Time `json:"expires_at"` // the key's end of life
}

// String never shows the sealed card.
func (t Token) String() string { return "card token " + t.KeyID + " (card ending " + t.Last4 + ")" }

// Key is a data key as a Store keeps it.
type Key struct {
	ID        string
	BookingID string
	Material  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// KeyInfo is what a Store tells about a key without its material.
type KeyInfo struct {
	ID            string
	BookingID     string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	DestroyedAt   time.Time // zero while the key lives
	DestroyReason string
}

// Destroyed reports whether the key's material is gone (destroyed, or past
// its lifetime at now).
func (k KeyInfo) Destroyed(now time.Time) bool {
	return !k.DestroyedAt.IsZero() || !now.Before(k.ExpiresAt)
}

// Store keeps data keys. Implementations are safe for concurrent use by
// many processes; every method is idempotent.
type Store interface {
	// Create stores a new key; an existing id is an error.
	Create(ctx context.Context, k Key) error
	// Material returns a live key's material, or ErrKeyGone when it is
	// destroyed, past ExpiresAt at now, or unknown.
	Material(ctx context.Context, id string, now time.Time) ([]byte, error)
	// Destroy erases the key's material for good and keeps a tombstone
	// (id, booking, times, reason). destroyed is false when the key was
	// already gone (or unknown).
	Destroy(ctx context.Context, id, reason string, now time.Time) (destroyed bool, err error)
	// DestroyExpired destroys every key past its ExpiresAt at now and
	// returns their ids.
	DestroyExpired(ctx context.Context, now time.Time) ([]string, error)
	// Info describes a key (tombstones included); ErrKeyGone when unknown.
	Info(ctx context.Context, id string) (KeyInfo, error)
	Close() error
}

var keyIDPattern = regexp.MustCompile(`^ck_[0-9a-f]{32}$`)

// ValidKeyID reports whether id has the form NewKey gives ids.
func ValidKeyID(id string) bool { return keyIDPattern.MatchString(id) }

// Seal makes a fresh data key for the booking, stores it (living until
// now+ttl, at most MaxKeyLifetime) and returns the card sealed under it. The
// card is not validated here: the caller's input rules do that.
func Seal(ctx context.Context, s Store, bookingID string, card a55client.Card, now time.Time, ttl time.Duration) (Token, error) {
	if ttl <= 0 || ttl > MaxKeyLifetime {
		ttl = MaxKeyLifetime
	}
	var idBytes [16]byte
	material := make([]byte, KeySize)
	if _, err := rand.Read(idBytes[:]); err != nil {
		return Token{}, err
	}
	if _, err := rand.Read(material); err != nil {
		return Token{}, err
	}
	k := Key{ID: "ck_" + hex.EncodeToString(idBytes[:]), BookingID: bookingID, Material: material,
		CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(ttl)}
	plain, err := json.Marshal(card)
	if err != nil {
		return Token{}, err
	}
	sealed, err := seal(material, plain, aad(k.ID, bookingID))
	clear(plain)
	if err != nil {
		return Token{}, err
	}
	if err := s.Create(ctx, k); err != nil {
		return Token{}, fmt.Errorf("card-key store: storing the card's key: %w", err)
	}
	clear(material)
	return Token{KeyID: k.ID, Sealed: base64.StdEncoding.EncodeToString(sealed), Last4: cardnum.LastFour(card.Number),
		ExpiryMonth: card.ExpiryMonth, ExpiryYear: card.ExpiryYear, ExpiresAt: k.ExpiresAt}, nil
}

// Open returns the card a Token seals, reading its key from the store.
// ErrKeyGone when the key is destroyed or expired; any other error (the
// store unreachable) may pass on a retry. A token sealed for another booking
// does not open.
func Open(ctx context.Context, s Store, bookingID string, t Token, now time.Time) (a55client.Card, error) {
	if !ValidKeyID(t.KeyID) {
		return a55client.Card{}, fmt.Errorf("%w: card_token.key_id is not a card key id", ErrTokenInvalid)
	}
	material, err := s.Material(ctx, t.KeyID, now)
	if err != nil {
		return a55client.Card{}, err
	}
	defer clear(material)
	sealed, err := base64.StdEncoding.DecodeString(t.Sealed)
	if err != nil {
		return a55client.Card{}, fmt.Errorf("%w: card_token.sealed is not base64", ErrTokenInvalid)
	}
	plain, err := open(material, sealed, aad(t.KeyID, bookingID))
	if err != nil {
		return a55client.Card{}, fmt.Errorf("%w with its key (tampered, or sealed for another booking)", ErrTokenInvalid)
	}
	defer clear(plain)
	var c a55client.Card
	if err := json.Unmarshal(plain, &c); err != nil {
		return a55client.Card{}, fmt.Errorf("%w: card_token holds no card", ErrTokenInvalid)
	}
	return c, nil
}

// SealWithKey seals plain under material for keyID and bookingID: for tests
// that need a token without a store.
func SealWithKey(material []byte, keyID, bookingID string, plain []byte) ([]byte, error) {
	return seal(material, plain, aad(keyID, bookingID))
}

func aad(keyID, bookingID string) []byte {
	return []byte("a55-temporal/card/v1/" + keyID + "/" + bookingID)
}

func seal(key, plain, ad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plain)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, ad), nil
}

func open(key, sealed, ad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed card too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], ad)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("card key must be %d bytes", KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Compactor is a Store whose destroyed keys' bytes may linger in its files
// until it rewrites them (pgstore: PostgreSQL keeps a deleted row's bytes
// in its page until the space is reused). Sweep calls Compact after each
// round.
type Compactor interface {
	Compact(ctx context.Context) error
}

// Sweep destroys every key past its lifetime, every interval until ctx
// ends, then compacts a Compactor store; logf gets one line per destroyed
// key (its id, never its material) and per failed sweep.
func Sweep(ctx context.Context, s Store, interval time.Duration, now func() time.Time, logf func(msg string, keyvals ...any)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ids, err := s.DestroyExpired(ctx, now())
		if err != nil && ctx.Err() == nil {
			logf("card-key sweep failed (retried at the next interval)", "error", err.Error())
		}
		for _, id := range ids {
			logf("card key destroyed", "key_id", id, "reason", ReasonExpired)
		}
		if c, ok := s.(Compactor); ok {
			if err := c.Compact(ctx); err != nil && ctx.Err() == nil {
				logf("card-key store compaction failed (retried at the next interval)", "error", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EachToken calls fn with every "card_token" object inside v, a decoded
// JSON value (the codec server and the shredding proof look at decoded
// payloads this way); fn may change the object.
func EachToken(v any, fn func(token map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if tok, ok := child.(map[string]any); ok && k == "card_token" {
				if id, _ := tok["key_id"].(string); id != "" {
					fn(tok)
					continue
				}
			}
			EachToken(child, fn)
		}
	case []any:
		for _, child := range t {
			EachToken(child, fn)
		}
	}
}

// MigrationTx is one transaction of a store's database, as Migrate needs it:
// exec runs a statement, version reads the schema_version row (found false
// when it has none), setVersion is the UPDATE statement in the driver's
// placeholder syntax.
type MigrationTx struct {
	Exec       func(ctx context.Context, query string, args ...any) error
	Version    func(ctx context.Context) (version int, found bool, err error)
	SetVersion string
}

// Migrate brings a store's schema to the last of migrations inside tx: the
// stores keep their schema version in a one-row schema_version table and
// apply, in order, the migrations past it. A database newer than this
// program is an error.
func Migrate(ctx context.Context, tx MigrationTx, migrations []string) error {
	if err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	version, found, err := tx.Version(ctx)
	if err != nil {
		return err
	}
	if !found {
		if err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return err
		}
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return tx.Exec(ctx, tx.SetVersion, len(migrations))
}
