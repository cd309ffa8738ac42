package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/tests/testkit"
)

// ids names the package's bookings: ids.Next(purpose) is unique per run.
var ids = testkit.NewIDs("br")

// sandboxChallenge creates a charge that needs a 3DS challenge directly at
// the sandbox (no workflow), for the tests of the page alone.
func sandboxChallenge(t *testing.T, ctx context.Context, bookingID string) *a55client.Charge {
	t.Helper()
	c, err := a55client.New(a55client.Config{
		BaseURL: env.Proj.SandboxURL(), TokenURL: env.Proj.SandboxURL() + "/oauth2/token",
		ClientID: a55sandbox.DefaultClientID, ClientSecret: a55sandbox.DefaultClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.CreateCharge(ctx, &a55client.CreateChargeParams{
		WalletUUID: a55sandbox.DefaultWallet, MerchantID: "browser-hotel",
		Payer:               stack.SamplePayer(),
		Amount:              money.Amount{Minor: 50000, Currency: "BRL"},
		Description:         "browser test stay",
		Card:                stack.SampleCard("4000000000000101"),
		ThreeDS:             true,
		DeviceInfo:          browserDeviceInfo(""),
		ReferenceExternalID: bookingID,
	}, bookingID+"-authorize")
	if err != nil {
		t.Fatalf("create a challenged charge: %v", err)
	}
	if ch.State != a55client.StatePending3DS || ch.URL3DS == "" {
		t.Fatalf("card 4000000000000101 gave %s (url_3ds %q), want a pending challenge", ch.Status, ch.URL3DS)
	}
	return ch
}

// message is one entry of the page's "Messages received" list.
type message struct {
	Origin   string `json:"origin"`
	Accepted bool   `json:"accepted"`
	Charge   string `json:"charge"`
}

func receivedMessages(t *testing.T, ctx context.Context) []message {
	t.Helper()
	msgs, err := chromedp.Run(ctx, chromedp.Evaluate[[]message](`Array.from(document.querySelectorAll('#messages li')).map(function (li) {
		return {origin: li.dataset.origin, accepted: li.dataset.accepted === 'true', charge: li.dataset.charge};
	})`))
	if err != nil {
		t.Fatalf("read the messages: %v", err)
	}
	return msgs
}

// The card holder answers the challenge inside the merchant's iframe; the
// page hears the sandbox's 3ds-auth-complete message from the sandbox's origin
// and reports it once to its back end; the sandbox settled the charge.
func TestChallengeInIframeReportsTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		button     string
		wantStatus string // the sandbox's charge status afterwards
	}{
		{"approve", a55sandbox.StatusAuthorized},
		{"fail", a55sandbox.StatusError},
	} {
		t.Run(tc.button, func(t *testing.T) {
			ctx := newTab(t, 60*time.Second)
			bookingID := ids.Next("page-" + tc.button)
			ch := sandboxChallenge(t, ctx, bookingID)
			var got reports
			merchant := serveMerchant(t, &Merchant{ChallengeOrigin: env.Proj.SandboxURL(), Report3DSComplete: got.report})

			openCheckout(t, ctx, merchant.URL, bookingID, ch.URL3DS)
			screenshot(t, ctx, "1-challenge")
			clickInChallenge(t, ctx, tc.button)
			waitJS(t, ctx, "the page to report the challenge", `document.getElementById('state').dataset.state === 'reported'`)
			inChallenge(t, ctx, chromedp.WaitVisible[chromedp.CSS], "#result")
			screenshot(t, ctx, "2-answered")

			if calls := got.all(); len(calls) != 1 || calls[0] != (report{bookingID, ch.UUID}) {
				t.Errorf("the page reported %+v, want exactly one report of booking %s, charge %s", calls, bookingID, ch.UUID)
			}
			msgs := receivedMessages(t, ctx)
			if len(msgs) == 0 || msgs[0] != (message{Origin: env.Proj.SandboxURL(), Accepted: true, Charge: ch.UUID}) {
				t.Errorf("messages = %+v, want the first accepted, from %s, for charge %s", msgs, env.Proj.SandboxURL(), ch.UUID)
			}
			e, err := env.Sandbox.Charge(ctx, ch.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Status != tc.wantStatus {
				t.Errorf("after %s the sandbox charge is %q, want %q", tc.button, e.Status, tc.wantStatus)
			}
		})
	}
}

// A message that claims to be the challenge's but comes from another origin
// (here the merchant page itself, as an injected script or another frame
// would send it) is ignored and reported to nobody.
func TestCheckoutIgnoresMessagesFromOtherOrigins(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	bookingID := ids.Next("forged")
	ch := sandboxChallenge(t, ctx, bookingID)
	var got reports
	merchant := serveMerchant(t, &Merchant{ChallengeOrigin: env.Proj.SandboxURL(), Report3DSComplete: got.report})
	openCheckout(t, ctx, merchant.URL, bookingID, ch.URL3DS)

	forged := `window.postMessage({event: '3ds-auth-complete', chargeUuid: ` + jsString(ch.UUID) + `}, '*')`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](forged)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the forged message to be noted", `document.querySelectorAll('#messages li').length === 1`)
	screenshot(t, ctx, "forged")
	msgs := receivedMessages(t, ctx)
	if msgs[0].Accepted || msgs[0].Origin != merchant.URL {
		t.Errorf("forged message = %+v, want it ignored, from %s", msgs[0], merchant.URL)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('state').dataset.state`))
	if err != nil {
		t.Fatal(err)
	}
	if state != "waiting" || len(got.all()) != 0 {
		t.Errorf("after a forged message: state %q, reports %+v; want waiting and none", state, got.all())
	}
	if e, err := env.Sandbox.Charge(ctx, ch.UUID); err != nil || e.Status != a55sandbox.StatusPending {
		t.Errorf("the sandbox charge is %q (%v), want it still pending", e.Status, err)
	}

	// The real answer still goes through.
	clickInChallenge(t, ctx, "approve")
	waitJS(t, ctx, "the page to report the challenge", `document.getElementById('state').dataset.state === 'reported'`)
	if calls := got.all(); len(calls) != 1 || calls[0].ChargeUUID != ch.UUID {
		t.Errorf("reports = %+v, want one for charge %s", calls, ch.UUID)
	}
}
