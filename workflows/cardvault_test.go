package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/workflows"
)

// flakyStore fails Material while down is set: an unreachable store.
type flakyStore struct {
	cardvault.Store
	down  atomic.Bool
	reads atomic.Int32
}

func (f *flakyStore) Material(ctx context.Context, id string, now time.Time) ([]byte, error) {
	f.reads.Add(1)
	if f.down.Load() {
		return nil, errors.New("dial tcp 10.0.0.5:5432: connection refused")
	}
	return f.Store.Material(ctx, id, now)
}

// sealedRun is a run: every run's card is sealed now (newRun). The name
// stays for the tests that use it.
type sealedRun = run

// newSealedRun is newRun (the card sealed into a token) whose activities
// open the token through wrap(store) when wrap is set.
func newSealedRun(t *testing.T, in workflows.BookingPaymentInput, wrap func(cardvault.Store) cardvault.Store) *sealedRun {
	t.Helper()
	return newRunOpts(t, in, runOptions{wrapKeys: wrap})
}

// checkNoCardInActivities: with a token, no activity input carries the
// card in clear (the local activity's input included).
func (s *sealedRun) checkNoCardInActivities() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.activities {
		for _, secret := range []string{s.card.Number, s.card.Number[len(s.card.Number)-8:], s.card.HolderName, `"cvv"`} {
			if strings.Contains(a.args, secret) {
				s.t.Errorf("activity %s input carries card data (%q)", a.name, secret)
			}
		}
	}
}

// The key is destroyed as soon as A55 has answered (an authorized hold),
// while the booking goes on: the capture later needs no card.
func TestCardKeyIsDestroyedOnceTheHoldIsPlaced(t *testing.T) {
	s := newSealedRun(t, validInput("CV-1"), nil)
	var destroyedWhileHeld bool
	s.at(time.Hour, func() {
		destroyedWhileHeld, _ = s.keyDestroyed()
		s.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{})
	})
	res := s.execute()
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("result %+v", res)
	}
	if !destroyedWhileHeld {
		t.Error("the key still lived an hour after A55 authorized the hold")
	}
	if gone, why := s.keyDestroyed(); !gone || why != cardvault.ReasonAnswered {
		t.Errorf("key destroyed %v (%s), want by %s", gone, why, cardvault.ReasonAnswered)
	}
	if s.started(workflows.ActivityDestroyCardKey) != 1 {
		t.Errorf("DestroyCardKey ran %d times", s.started(workflows.ActivityDestroyCardKey))
	}
	// The card reached A55 intact.
	if n := len(s.sb.ChargesByReference("CV-1")); n != 1 {
		t.Fatalf("%d charges at A55", n)
	}
	s.checkNoCardInActivities()
}

// slowDestroy is a store whose Destroy takes a while (a loaded database).
type slowDestroy struct{ cardvault.Store }

func (s slowDestroy) Destroy(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	time.Sleep(300 * time.Millisecond)
	return s.Store.Destroy(ctx, id, reason, now)
}

// A booking that ends while its key's destruction is still running (its
// deadline already past: the hold is released at once) waits for it: no run
// closes with its key left to the sweep.
func TestABookingThatEndsAtOnceStillWaitsForItsKeyToGo(t *testing.T) {
	in := validInput("CV-9")
	in.ExpectedCaptureAt = t0.Add(-workflows.DefaultCaptureGrace - time.Hour)
	s := newSealedRun(t, in, func(st cardvault.Store) cardvault.Store { return slowDestroy{st} })
	if res := s.execute(); res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v", res)
	}
	if gone, _ := s.keyDestroyed(); !gone {
		t.Error("the booking ended with its card key alive")
	}
}

// A decline ends the booking only after its key is gone.
func TestCardKeyIsDestroyedBeforeADeclinedBookingEnds(t *testing.T) {
	in := validInput("CV-2")
	in.Card.Number = cardDecline
	s := newSealedRun(t, in, nil)
	res := s.execute()
	if res.Status != workflows.StatusDeclined || res.DeclineCode == "" {
		t.Fatalf("result %+v", res)
	}
	if gone, _ := s.keyDestroyed(); !gone {
		t.Error("the declined booking ended with its card key alive")
	}
	s.checkNoCardInActivities()
}

// pending + url_3ds is a definite answer: the key goes before the challenge ends.
func TestCardKeyIsDestroyedWhenTheIssuerAsksFor3DS(t *testing.T) {
	in := validInput("CV-3")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	s := newSealedRun(t, in, nil)
	var during bool
	s.at(time.Minute, func() {
		st := s.state()
		if st.Status != workflows.StatusAwaiting3DS {
			t.Errorf("status %s, want awaiting_3ds", st.Status)
		}
		during, _ = s.keyDestroyed()
		if err := s.sb.CompleteChallenge(st.ChargeUUID, true); err != nil {
			t.Error(err)
		}
		s.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: st.ChargeUUID})
	})
	s.at(time.Hour, func() { s.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	res := s.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v", res)
	}
	if !during {
		t.Error("the key lived on while the challenge was pending")
	}
}

// A refusal that proves no charge exists destroys the key too.
func TestCardKeyIsDestroyedWhenA55ProvesNoCharge(t *testing.T) {
	in := validInput("CV-4")
	in.WalletUUID = "00000000-0000-4000-8000-00000000dead" // unknown to A55: 404, nothing created
	s := newSealedRun(t, in, nil)
	res := s.execute()
	if res.Status != workflows.StatusFailed {
		t.Fatalf("result %+v", res)
	}
	if gone, why := s.keyDestroyed(); !gone || why != cardvault.ReasonNoCharge {
		t.Errorf("key destroyed %v (%s), want by %s", gone, why, cardvault.ReasonNoCharge)
	}
}

// A key already gone when the create call needs it: the booking ends
// declined card_data_expired and nothing reaches A55.
func TestDestroyedKeyDeclinesCardDataExpired(t *testing.T) {
	s := newSealedRun(t, validInput("CV-5"), nil)
	if _, err := s.keys.Destroy(context.Background(), s.token.KeyID, cardvault.ReasonExpired, t0); err != nil {
		t.Fatal(err)
	}
	res := s.execute()
	if res.Status != workflows.StatusDeclined || res.DeclineCode != workflows.ReasonCardDataExpired || res.Reason != workflows.ReasonCardDataExpired {
		t.Fatalf("result %+v, want declined %s", res, workflows.ReasonCardDataExpired)
	}
	if n := len(s.sb.ChargesByReference("CV-5")); n != 0 {
		t.Errorf("%d charges at A55", n)
	}
	if n := s.started(workflows.ActivityAuthorize); n != 1 {
		t.Errorf("Authorize ran %d times: a gone key is not retried", n)
	}
}

// The store unreachable at authorize time: the activity retries (the
// booking waits in authorizing) and, once it is back, sends the one
// request; every attempt that reached A55 carried the identical body.
func TestUnreachableStoreIsRetriedWithTheSameRequest(t *testing.T) {
	var flaky *flakyStore
	s := newSealedRun(t, validInput("CV-6"), func(st cardvault.Store) cardvault.Store {
		flaky = &flakyStore{Store: st}
		flaky.down.Store(true)
		return flaky
	})
	var waiting workflows.Status
	s.at(20*time.Second, func() {
		waiting = s.state().Status
		flaky.down.Store(false)
	})
	s.at(time.Hour, func() { s.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	res := s.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v", res)
	}
	if waiting != workflows.StatusAuthorizing {
		t.Errorf("while the store was down the booking was %s, want authorizing", waiting)
	}
	if flaky.reads.Load() < 2 {
		t.Errorf("the store was read %d times: no retry", flaky.reads.Load())
	}
	if n := len(s.sb.ChargesByReference("CV-6")); n != 1 {
		t.Errorf("%d charges at A55", n)
	}
	var bodies []string
	s.mu.Lock()
	for _, a := range s.activities {
		if a.name == workflows.ActivityAuthorize {
			// Local attempts record the argument list, regular ones the argument.
			bodies = append(bodies, strings.TrimSuffix(strings.TrimPrefix(a.args, "["), "]"))
		}
	}
	s.mu.Unlock()
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("a retry sent another Authorize input:\n%s\n%s", bodies[0], b)
		}
	}
	if gone, _ := s.keyDestroyed(); !gone {
		t.Error("the key outlived A55's answer")
	}
}

// A lost answer to the create call: the retry opens the same token and
// sends the same body under the same Idempotency-Key; A55 replays the
// first charge, and the key goes only after that answer.
func TestLostCreateAnswerIsRecoveredWithTheSameCard(t *testing.T) {
	s := newSealedRun(t, validInput("CV-7"), nil)
	if err := s.sb.SetFault("create", lostResponses(1)); err != nil {
		t.Fatal(err)
	}
	s.at(time.Hour, func() { s.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	res := s.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v", res)
	}
	if n := len(s.sb.ChargesByReference("CV-7")); n != 1 {
		t.Errorf("%d charges at A55, want 1", n)
	}
	if n := s.started(workflows.ActivityAuthorize); n < 2 {
		t.Errorf("Authorize ran %d times: the lost answer was not retried", n)
	}
	if gone, _ := s.keyDestroyed(); !gone {
		t.Error("the key outlived A55's answer")
	}
}

// A token and a card together, or a malformed token, is refused by name.
func TestCardTokenInputRules(t *testing.T) {
	in := validInput("CV-8")
	tok := cardvault.Token{KeyID: "ck_" + strings.Repeat("a", 32), Sealed: "c2VhbGVk", Last4: "1111", ExpiryMonth: 12, ExpiryYear: 2099, ExpiresAt: t0.Add(time.Minute)}
	in.CardToken = &tok
	err := workflows.ValidateInput(in, t0)
	if err == nil || !strings.Contains(err.Error(), "card: must be empty when card_token is given") {
		t.Errorf("card and token: %v", err)
	}
	in.Card = a55client.Card{}
	if err := workflows.ValidateInput(in, t0); err != nil {
		t.Errorf("a valid token: %v", err)
	}
	bad := tok
	bad.KeyID, bad.Last4, bad.Sealed = "key-1", "11x1", ""
	in.CardToken = &bad
	err = workflows.ValidateInput(in, t0.Add(2*time.Minute))
	for _, want := range []string{"card_token.key_id", "card_token.last4", "card_token.sealed", "card_token.expires_at"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("malformed token: %v, want %s named", err, want)
		}
	}
	b, _ := json.Marshal(workflows.AuthorizationRequestOf(workflows.BookingPaymentInput{CardToken: &tok}))
	if !strings.Contains(string(b), `"card_last4":"1111"`) || !strings.Contains(string(b), `"card_expiry":"12/2099"`) {
		t.Errorf("authorization request of a token: %s", b)
	}
}
