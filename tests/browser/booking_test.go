package browser

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

func st() *starter.Starter { return starter.New(env.client, starter.WithCardKeys(env.cardKeys)) }

// Card data the tests look for on pages: distinctive enough that finding one
// of them anywhere means it leaked.
const (
	cardHolder = "ZELIA QUARESMA"
	cardCVV    = "7319"
)

// hotelStay is a hotel booking's input: R$ 500,00 held on card, check-out in
// two days, release at the deadline.
func hotelStay(id, card string) workflows.BookingPaymentInput {
	in := stack.HotelHold(id, "browser-hotel", "Copacabana, 2 nights", card, money.Amount{Minor: 50000, Currency: "BRL"})
	in.Card.HolderName, in.Card.CVV = cardHolder, cardCVV
	in.DeviceInfo = browserDeviceInfo(id)
	return in
}

// browserDeviceInfo is the 3DS device data of the tests' Chromium window.
func browserDeviceInfo(session string) *a55client.DeviceInfo {
	d := stack.SampleDeviceInfo(session, "Mozilla/5.0 (browser test)")
	d.HTTPBrowserScreenHeight, d.HTTPBrowserScreenWidth = "800", "1280"
	return d
}

func authorize(t *testing.T, ctx context.Context, in workflows.BookingPaymentInput) workflows.AuthorizationResult {
	t.Helper()
	return testkit.Authorize(t, ctx, st(), in)
}

// waitStatus polls the status query until the booking reaches want.
func waitStatus(t *testing.T, ctx context.Context, id string, want workflows.Status) workflows.PaymentState {
	t.Helper()
	return testkit.WaitStatus(t, ctx, st(), id, want)
}

// threeDSSignals lists the charge of every 3ds_complete signal in the
// booking's history.
func threeDSSignals(t *testing.T, ctx context.Context, id string) []string {
	t.Helper()
	it := env.client.GetWorkflowHistory(ctx, workflows.WorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var charges []string
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		if a == nil || a.GetSignalName() != workflows.Signal3DSComplete {
			continue
		}
		var s workflows.ThreeDSCompleteSignal
		if err := env.converter.FromPayloads(a.GetInput(), &s); err != nil {
			t.Fatalf("decode the %s signal: %v", workflows.Signal3DSComplete, err)
		}
		charges = append(charges, s.ChargeUUID)
	}
	return charges
}

// withoutWebhooks makes the sandbox drop its webhooks for the rest of the
// test, so that the checkout page's report is the workflow's only news of
// the challenge.
func withoutWebhooks(t *testing.T) {
	t.Helper()
	sandboxFaults(t, http.MethodPost, `{"webhook":{"drop_rate":1}}`)
	t.Cleanup(func() { sandboxFaults(t, http.MethodDelete, "") })
}

func sandboxFaults(t *testing.T, method, body string) {
	req, err := http.NewRequest(method, env.proj.SandboxURL()+"/_sandbox/faults", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s /_sandbox/faults: %s %s", method, resp.Status, b)
	}
}

// checkoutFor serves the checkout page wired to the real starter, recording
// what the page reported.
func checkoutFor(t *testing.T) (string, *reports) {
	got := &reports{next: st().Report3DSComplete}
	srv := serveMerchant(t, &Merchant{
		ChallengeOrigin:   env.proj.SandboxURL(),
		Report3DSComplete: got.report,
		PaymentStatus: func(ctx context.Context, id string) (workflows.Status, error) {
			s, err := st().Status(ctx, id)
			return s.Status, err
		},
	})
	return srv.URL, got
}

// A booking whose card needs 3DS: the card holder answers the challenge in the
// checkout page's iframe, the page reports it through starter.Report3DSComplete,
// and the workflow (which gets no webhook here) reaches authorized or declined.
func TestBooking3DSThroughTheCheckoutPage(t *testing.T) {
	withoutWebhooks(t)
	for _, tc := range []struct {
		button     string
		want       workflows.Status
		wantCharge string // the sandbox's charge status afterwards
	}{
		{"approve", workflows.StatusAuthorized, a55sandbox.StatusAuthorized},
		{"fail", workflows.StatusDeclined, a55sandbox.StatusError},
	} {
		t.Run(tc.button, func(t *testing.T) {
			ctx := newTab(t, 90*time.Second)
			id := newBookingID("3ds-" + tc.button)
			in := hotelStay(id, "4000000000000101")
			in.ThreeDS = true
			auth := authorize(t, ctx, in)
			if auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" || auth.ChargeUUID == "" {
				t.Fatalf("authorization = %+v, want awaiting_3ds with url_3ds", auth)
			}
			merchantURL, got := checkoutFor(t)

			openCheckout(t, ctx, merchantURL, id, auth.URL3DS)
			screenshot(t, ctx, "1-challenge")
			clickInChallenge(t, ctx, tc.button)
			waitJS(t, ctx, "the page to show the payment status "+string(tc.want),
				`document.getElementById('payment').dataset.status === `+jsString(string(tc.want)))
			screenshot(t, ctx, "2-"+string(tc.want))

			s := waitStatus(t, ctx, id, tc.want)
			if calls := got.all(); len(calls) != 1 || calls[0] != (report{id, auth.ChargeUUID}) {
				t.Errorf("the page reported %+v, want one report of booking %s, charge %s", calls, id, auth.ChargeUUID)
			}
			if sigs := threeDSSignals(t, ctx, id); len(sigs) != 1 || sigs[0] != auth.ChargeUUID {
				t.Errorf("%s signals for charges %v, want exactly one for %s", workflows.Signal3DSComplete, sigs, auth.ChargeUUID)
			}
			if tc.want == workflows.StatusAuthorized && s.Authorized != in.Amount {
				t.Errorf("authorized %v, want %v", s.Authorized, in.Amount)
			}
			if tc.want == workflows.StatusDeclined && s.DeclineCode == "" {
				t.Errorf("declined with no decline code: %+v", s)
			}
			e, err := env.sandbox.Charge(ctx, auth.ChargeUUID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Status != tc.wantCharge || e.Captured.Minor != 0 {
				t.Errorf("sandbox charge %s captured %d, want %s and nothing captured", e.Status, e.Captured.Minor, tc.wantCharge)
			}
		})
	}
}

// The card holder closes the checkout page without answering: nothing is
// reported; A55 (the sandbox, with a short challenge timeout) gives up on the
// challenge and cancels the charge, its webhook wakes the workflow, and the
// booking is declined as abandoned well before its own ThreeDSTimeout.
func TestBooking3DSAbandonedWhenThePageCloses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tab := newTab(t, 90*time.Second)
	id := newBookingID("3ds-abandon")
	in := hotelStay(id, "4000000000000101")
	in.ThreeDS = true
	in.ThreeDSTimeout = time.Minute // the shortest the workflow accepts; the sandbox gives up first
	auth := authorize(t, ctx, in)
	if auth.Status != workflows.StatusAwaiting3DS {
		t.Fatalf("authorization = %+v, want awaiting_3ds", auth)
	}
	merchantURL, got := checkoutFor(t)
	openCheckout(t, tab, merchantURL, id, auth.URL3DS)
	screenshot(t, tab, "1-challenge")
	if err := chromedp.Cancel(tab); err != nil { // closes the tab, as the card holder closes the window
		t.Fatalf("close the tab: %v", err)
	}

	s := waitStatus(t, ctx, id, workflows.StatusDeclined)
	if s.Reason != workflows.Reason3DSAbandoned || s.Captured.Minor != 0 {
		t.Errorf("declined with reason %q, captured %v; want %q and nothing captured", s.Reason, s.Captured, workflows.Reason3DSAbandoned)
	}
	if calls := got.all(); len(calls) != 0 {
		t.Errorf("the closed page reported %+v", calls)
	}
	if sigs := threeDSSignals(t, ctx, id); len(sigs) != 0 {
		t.Errorf("%s signals %v after the page was closed", workflows.Signal3DSComplete, sigs)
	}
	e, err := env.sandbox.Charge(ctx, auth.ChargeUUID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != a55sandbox.StatusCanceled || e.Captured.Minor != 0 {
		t.Errorf("sandbox charge %s, captured %d; want canceled, nothing captured", e.Status, e.Captured.Minor)
	}
}
