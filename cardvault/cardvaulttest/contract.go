// Package cardvaulttest is the contract every cardvault.Store passes: the
// SQLite and the PostgreSQL stores run the same tests.
package cardvaulttest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
)

// TestCard is a sandbox card with every field set.
var TestCard = a55client.Card{HolderName: "ANA CONTRACT", Number: "4111111111111111", ExpiryMonth: 12, ExpiryYear: 2099, CVV: "737"}

// Run runs the contract against stores made by open: calls from the same
// (sub)test must give stores on the same database, as two processes would
// share it; different subtests may share one too.
func Run(t *testing.T, open func(t *testing.T) cardvault.Store) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0).UTC() // any instant: the store takes the clock from its caller

	t.Run("SealOpenDestroy", func(t *testing.T) {
		s := open(t)
		tok, err := cardvault.Seal(ctx, s, "BK-1", TestCard, now, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Last4 != "1111" || tok.ExpiryMonth != 12 || tok.ExpiryYear != 2099 || !tok.ExpiresAt.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("token %+v", tok)
		}
		// Another process opens it (the worker, while the starter sealed it).
		other := open(t)
		card, err := cardvault.Open(ctx, other, "BK-1", tok, now.Add(time.Minute))
		if err != nil || card != TestCard {
			t.Fatalf("open: %v %+v", err, card)
		}
		if _, err := cardvault.Open(ctx, other, "BK-2", tok, now); !errors.Is(err, cardvault.ErrTokenInvalid) {
			t.Fatalf("a token of another booking opened: %v", err)
		}
		destroyed, err := s.Destroy(ctx, tok.KeyID, cardvault.ReasonAnswered, now.Add(2*time.Minute))
		if err != nil || !destroyed {
			t.Fatalf("destroy: %v %v", destroyed, err)
		}
		if _, err := cardvault.Open(ctx, other, "BK-1", tok, now.Add(2*time.Minute)); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Fatalf("open after destroy: %v", err)
		}
		again, err := other.Destroy(ctx, tok.KeyID, cardvault.ReasonAnswered, now.Add(3*time.Minute))
		if err != nil || again {
			t.Fatalf("second destroy: %v %v", again, err)
		}
		info, err := s.Info(ctx, tok.KeyID)
		if err != nil {
			t.Fatal(err)
		}
		if info.BookingID != "BK-1" || info.DestroyReason != cardvault.ReasonAnswered || !info.DestroyedAt.Equal(now.Add(2*time.Minute)) ||
			!info.CreatedAt.Equal(now) || !info.Destroyed(now) {
			t.Fatalf("tombstone %+v", info)
		}
	})

	t.Run("LifetimeEndsTheKey", func(t *testing.T) {
		s := open(t)
		tok, err := cardvault.Seal(ctx, s, "BK-3", TestCard, now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		live, err := cardvault.Seal(ctx, s, "BK-4", TestCard, now, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cardvault.Open(ctx, s, "BK-3", tok, now.Add(time.Minute-time.Microsecond)); err != nil {
			t.Fatalf("open just before the end of life: %v", err)
		}
		if _, err := cardvault.Open(ctx, s, "BK-3", tok, now.Add(time.Minute)); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Fatalf("open at the end of life: %v", err)
		}
		ids, err := s.DestroyExpired(ctx, now.Add(time.Minute))
		if err != nil || !slices.Contains(ids, tok.KeyID) || slices.Contains(ids, live.KeyID) {
			t.Fatalf("swept %v (%v), want %s and not %s", ids, err, tok.KeyID, live.KeyID)
		}
		if ids, _ := s.DestroyExpired(ctx, now.Add(time.Minute)); slices.Contains(ids, tok.KeyID) {
			t.Fatal("a key was swept twice")
		}
		info, err := s.Info(ctx, tok.KeyID)
		if err != nil || info.DestroyReason != cardvault.ReasonExpired {
			t.Fatalf("tombstone %+v %v", info, err)
		}
		if _, err := cardvault.Open(ctx, s, "BK-4", live, now.Add(time.Minute)); err != nil {
			t.Fatalf("a live key was swept: %v", err)
		}
	})

	t.Run("LifetimeIsCapped", func(t *testing.T) {
		s := open(t)
		tok, err := cardvault.Seal(ctx, s, "BK-5", TestCard, now, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !tok.ExpiresAt.Equal(now.Add(cardvault.MaxKeyLifetime)) {
			t.Fatalf("expires %v, want now + %v", tok.ExpiresAt, cardvault.MaxKeyLifetime)
		}
	})

	t.Run("UnknownKey", func(t *testing.T) {
		s := open(t)
		id := "ck_00000000000000000000000000000000"
		if _, err := s.Material(ctx, id, now); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Fatalf("material: %v", err)
		}
		if _, err := s.Info(ctx, id); !errors.Is(err, cardvault.ErrKeyGone) {
			t.Fatalf("info: %v", err)
		}
		if d, err := s.Destroy(ctx, id, cardvault.ReasonAnswered, now); d || err != nil {
			t.Fatalf("destroy: %v %v", d, err)
		}
	})

	t.Run("DuplicateIDRefused", func(t *testing.T) {
		s := open(t)
		k := cardvault.Key{ID: "ck_11111111111111111111111111111111", BookingID: "BK-6", Material: make([]byte, cardvault.KeySize),
			CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		k.BookingID = "BK-7"
		if err := s.Create(ctx, k); err == nil {
			t.Fatal("a second key under the same id was stored")
		}
	})

	t.Run("ConcurrentProcesses", func(t *testing.T) {
		a, b := open(t), open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := a
				if i%2 == 1 {
					s = b
				}
				tok, err := cardvault.Seal(ctx, s, "BK-C", TestCard, now, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if _, err := cardvault.Open(ctx, b, "BK-C", tok, now); err != nil {
					errs <- err
				}
				if _, err := a.Destroy(ctx, tok.KeyID, cardvault.ReasonAnswered, now); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
