// Package intake is the card-intake HTTP endpoint: how a booking system in
// any language turns a card into a card token for the workflow's input
// (card_token), the way a payment gateway tokenizes cards. The card is
// sealed under a fresh key in the card-key store; the token is only
// ciphertext and the key's id, and it opens for one booking only, until its
// key is destroyed (A55 answered) or its lifetime ends.
//
//	POST /v1/card-tokens   Authorization: Bearer <CARD_INTAKE_TOKEN>
//	{"booking_id": "BK-1", "card": {"holder_name": "...", "number": "...",
//	 "expiry_month": 12, "expiry_year": 2030, "cvv": "123"}}
//	→ 201 {"card_token": {"key_id": "ck_…", "sealed": "…", "last4": "1111",
//	       "expiry_month": 12, "expiry_year": 2030, "expires_at": "…"}}
//	→ 400 {"error": "...", "problems": [{"field": "card.number", "reason": "..."}]}
//	→ 401 (no or wrong token), 503 (the card-key store is unreachable: retry)
//	GET /healthz
package intake

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Path is the intake's one endpoint.
const Path = "/v1/card-tokens"

// MaxBodyBytes bounds a request: a card is a few hundred bytes.
const MaxBodyBytes = 8 << 10

// Request is what a booking system posts.
type Request struct {
	BookingID string         `json:"booking_id"`
	Card      a55client.Card `json:"card"`
}

// Response is the created token.
type Response struct {
	CardToken cardvault.Token `json:"card_token"`
}

// Problem is a 4xx/5xx answer: never card data.
type Problem struct {
	Error    string                 `json:"error"`
	Problems []a55client.FieldError `json:"problems,omitempty"`
}

// Options configure the handler.
type Options struct {
	Store cardvault.Store
	// Token is the bearer token booking systems present (≥ 16 characters).
	Token string
	Now   func() time.Time // nil: time.Now
	// Logf records each token created and each refusal: ids and fields only.
	Logf func(msg string, keyvals ...any)
}

// New returns the intake handler.
func New(o Options) (http.Handler, error) {
	if o.Store == nil {
		return nil, errors.New("card intake: a card-key store is required")
	}
	if len(o.Token) < 16 {
		return nil, errors.New("card intake: the bearer token must be at least 16 characters")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	h := &handler{o: o, tokenHash: sha256.Sum256([]byte(o.Token))}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, h.create)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux, nil
}

type handler struct {
	o         Options
	tokenHash [32]byte
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(bearer))
	if !ok || subtle.ConstantTimeCompare(sum[:], h.tokenHash[:]) != 1 {
		w.Header().Set("WWW-Authenticate", "Bearer")
		reply(w, http.StatusUnauthorized, Problem{Error: "a valid bearer token (CARD_INTAKE_TOKEN) is required"})
		return
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		// The decoder's message may quote the body: say only what is wrong.
		reply(w, http.StatusBadRequest, Problem{Error: "the body must be one JSON object {booking_id, card} of at most 8 KiB with no other fields"})
		return
	}
	var problems []a55client.FieldError
	if err := workflows.ValidateBookingID(req.BookingID); err != nil {
		problems = append(problems, a55client.FieldError{Field: "booking_id", Reason: "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	var ie *workflows.InputError
	if errors.As(workflows.ValidateCard(req.Card, h.o.Now()), &ie) {
		problems = append(problems, ie.Problems...)
	}
	if len(problems) > 0 {
		fields := make([]string, len(problems))
		for i, p := range problems {
			fields[i] = p.Field
		}
		h.o.Logf("card intake refused a request", "fields", strings.Join(fields, ","))
		reply(w, http.StatusBadRequest, Problem{Error: "invalid card or booking id", Problems: problems})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	tok, err := cardvault.Seal(ctx, h.o.Store, req.BookingID, req.Card, h.o.Now(), cardvault.MaxKeyLifetime)
	req.Card = a55client.Card{}
	if err != nil {
		h.o.Logf("card intake: the card-key store failed", "booking_id", req.BookingID, "error", err.Error())
		reply(w, http.StatusServiceUnavailable, Problem{Error: "the card-key store is unavailable: retry"})
		return
	}
	h.o.Logf("card key created", "booking_id", req.BookingID, "key_id", tok.KeyID, "expires_at", tok.ExpiresAt.Format(time.RFC3339))
	reply(w, http.StatusCreated, Response{CardToken: tok})
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
