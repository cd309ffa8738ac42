package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// ReplaceHold is a new authorization for a booking that holds one: the
// guest presents a card again (a longer stay, a larger amount, another card,
// or a long stay's reauthorization).
type ReplaceHold struct {
	// ID is the booking system's id of this replacement: the same id sent
	// again is the same replacement (answered with its first result);
	// another replacement needs another id.
	ID string
	// Card is sealed by the starter (WithCardKeys) before anything is sent;
	// or send CardToken from the card intake instead.
	Card      a55client.Card
	CardToken *cardvault.Token
	// Amount is the new hold.
	Amount money.Amount
	// ExpectedCaptureAt, when set, moves the check-out / return.
	ExpectedCaptureAt time.Time
	ThreeDS           bool
	DeviceInfo        *a55client.DeviceInfo
}

// ReplaceHold authorizes a new hold for the booking and, once A55 approves
// it, releases the old one. The result says authorized (the booking now
// holds the new charge), awaiting_3ds (send the guest to URL3DS; Status's
// Replacement shows the end), declined (with A55's code: the booking keeps
// its old hold) or failed.
func (s *Starter) ReplaceHold(ctx context.Context, bookingID string, req ReplaceHold) (workflows.ReplaceHoldResult, error) {
	var res workflows.ReplaceHoldResult
	reject := func(reason string, err error) error {
		return &RejectedError{Operation: "replace_hold", BookingID: bookingID, Reason: reason, Type: "InvalidInput", Err: err}
	}
	if strings.TrimSpace(req.ID) == "" || len(req.ID) > 64 {
		return res, reject("id is required (1-64 characters): the same id is the same replacement", nil)
	}
	if err := req.Amount.Validate(); err != nil {
		return res, reject("amount: "+err.Error(), err)
	}
	token := req.CardToken
	switch {
	case token != nil && req.Card != (a55client.Card{}):
		return res, reject("card must be empty when card_token is given", nil)
	case token == nil:
		if err := workflows.ValidateCard(req.Card, s.now()); err != nil {
			return res, reject(err.Error(), err)
		}
		if s.cardKeys == nil {
			return res, reject("card: no card-key store to seal it (starter.WithCardKeys); nothing was sent", nil)
		}
		tok, err := cardvault.Seal(ctx, s.cardKeys, bookingID, req.Card, s.now(), cardvault.MaxKeyLifetime)
		if err != nil {
			return res, fmt.Errorf("replace_hold for booking %q: sealing the card (nothing was sent): %w", bookingID, err)
		}
		token = &tok
	}
	arg := workflows.ReplaceHoldRequest{
		CardToken: token, Amount: req.Amount, ExpectedCaptureAt: req.ExpectedCaptureAt,
		ThreeDS: req.ThreeDS, DeviceInfo: req.DeviceInfo,
	}
	err := s.update(ctx, bookingID, "replace_hold", ReplaceHoldUpdateID(req.ID), workflows.UpdateReplaceHold, arg, &res)
	var rejected *RejectedError
	if errors.As(err, &rejected) && token != req.CardToken {
		// Refused before the create call: the key sealed here opens nothing
		// more (the sweep destroys it at the end of its lifetime anyway).
		_, _ = s.cardKeys.Destroy(ctx, token.KeyID, cardvault.ReasonNoCharge, s.now())
	}
	return res, err
}

// ReplaceHoldUpdateID is the update id of the booking system's replacement id.
func ReplaceHoldUpdateID(id string) string { return "replace_hold:" + id }
