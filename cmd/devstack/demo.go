package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// demo runs bookings through the running stack the way a booking system
// would: through the starter package, card data in the input only.
type demo struct {
	st    *starter.Starter
	proj  *stack.Project
	admin stack.SandboxAdmin
	out   io.Writer
}

func runDemo(ctx context.Context, proj *stack.Project, out io.Writer) error {
	c, err := config.Temporal{Env: config.Map(proj.ClientEnv())}.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	keys, err := proj.OpenCardKeys(ctx)
	if err != nil {
		return err
	}
	defer keys.Close()
	d := &demo{st: starter.New(c, starter.WithCardKeys(keys)), proj: proj, admin: stack.SandboxAdmin{BaseURL: proj.SandboxURL()}, out: out}

	// Booking ids are unique per run: the dev server's database persists.
	suffix := time.Now().UTC().Format("20060102-150405")
	fmt.Fprintln(out, "── demo 1: hotel stay, frictionless hold, partial capture at check-out ──")
	if err := d.hotelStay(ctx, "demo-hotel-"+suffix); err != nil {
		return err
	}
	fmt.Fprintln(out, "── demo 2: car rental, 3DS challenge, released when the rental is cancelled ──")
	if err := d.carRental3DS(ctx, "demo-car-"+suffix); err != nil {
		return err
	}
	fmt.Fprintln(out, "── demo done ──")
	// The browser tests (make test) photograph the 3DS challenge and the
	// Web UI at each step; say where, so a newcomer can look at them.
	fmt.Fprintln(out, "  screenshots of the 3DS challenge and the Web UI, taken by the browser tests (make test): screenshots/browser/")
	return nil
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.out, "  • "+format+"\n", args...)
}

// demoRefundWindow is the demo hotel stay's refund window.
const demoRefundWindow = 10 * time.Second

func brl(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

func (d *demo) hotelStay(ctx context.Context, bookingID string) error {
	in := workflows.BookingPaymentInput{
		BookingID: bookingID, Kind: workflows.KindHotelStay, MerchantID: "demo-hotel-copacabana",
		WalletUUID: a55sandbox.DefaultWallet, Payer: stack.SamplePayer(), Amount: brl(50000),
		Description:       "Hotel Copacabana, 3 nights",
		Card:              stack.SampleCard("4111111111111111"),
		ExpectedCaptureAt: time.Now().Add(72 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		// A hotel keeps a stay refundable for weeks (30 days by default);
		// the demo's closes in seconds so that it can show the result.
		RefundWindow: demoRefundWindow,
	}
	d.step("booking %s: hold %s on a Visa ending 1111 (no 3DS)", bookingID, in.Amount.Display())
	auth, err := d.st.Authorize(ctx, in)
	if err != nil {
		return fmt.Errorf("authorize %s: %w", bookingID, err)
	}
	if auth.Status != workflows.StatusAuthorized {
		return fmt.Errorf("authorize %s: status %s (%s %s)", bookingID, auth.Status, auth.DeclineCode, auth.DeclineMessage)
	}
	d.step("authorized: charge %s, %s held; deadline policy (release) runs at %s if nobody captures",
		auth.ChargeUUID, auth.Authorized.Display(), auth.CaptureDeadline.Local().Format(time.RFC1123))
	d.step("workflow: %s", d.proj.WorkflowUIURL(bookingID))

	d.step("guest checks out: the bill is %s, capturing that much", brl(32000).Display())
	amount := brl(32000)
	capt, err := d.st.Capture(ctx, bookingID, &amount)
	if err != nil {
		return fmt.Errorf("capture %s: %w", bookingID, err)
	}
	d.step("captured %s, released %s (status %s)", capt.Captured.Display(), capt.Released.Display(), capt.Status)

	d.step("the guest disputes a minibar charge: refunding %s (refund id minibar-1)", brl(4500).Display())
	ref, err := d.st.Refund(ctx, bookingID, "minibar-1", brl(4500), "minibar charged in error")
	if err != nil {
		return fmt.Errorf("refund %s: %w", bookingID, err)
	}
	d.step("refunded %s; %s refunded in all, %s left refundable (status %s)", ref.Amount.Display(), ref.Refunded.Display(), ref.Refundable.Display(), ref.Status)
	d.step("the booking takes refunds for %s after the capture (30 days unless the booking says), then its workflow completes", demoRefundWindow)
	return d.finish(ctx, bookingID, auth.ChargeUUID)
}

func (d *demo) carRental3DS(ctx context.Context, bookingID string) error {
	yes, no := true, false
	in := workflows.BookingPaymentInput{
		BookingID: bookingID, Kind: workflows.KindCarRental, MerchantID: "demo-car-rental",
		WalletUUID: a55sandbox.DefaultWallet, Payer: stack.SamplePayer(), Amount: brl(120000),
		Description:       "Compact car, 5 days",
		Card:              stack.SampleCard("4000000000000101"),
		ThreeDS:           true,
		ExpectedCaptureAt: time.Now().Add(5 * 24 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		ReturnURL:         "http://127.0.0.1/booking/" + bookingID + "/3ds-done",
		DeviceInfo: &a55client.DeviceInfo{
			IPAddress: "127.0.0.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) devstack-demo",
			HTTPAcceptContent: "text/html", HTTPAcceptBrowserValue: "text/html,application/xhtml+xml",
			HTTPBrowserLanguage: "pt-BR", HTTPBrowserJavaEnabled: &no, HTTPBrowserJavascriptEnabled: &yes,
			HTTPBrowserColorDepth: "24", HTTPBrowserScreenHeight: "1080", HTTPBrowserScreenWidth: "1920",
			HTTPBrowserTimeDifference: "180", SessionID: bookingID,
		},
	}
	d.step("booking %s: hold %s on a Visa ending 0101 (issuer asks for 3DS)", bookingID, in.Amount.Display())
	auth, err := d.st.Authorize(ctx, in)
	if err != nil {
		return fmt.Errorf("authorize %s: %w", bookingID, err)
	}
	if auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" {
		return fmt.Errorf("authorize %s: status %s, want awaiting_3ds with url_3ds", bookingID, auth.Status)
	}
	d.step("awaiting 3DS: the booking site shows the challenge page %s", auth.URL3DS)
	d.step("workflow: %s", d.proj.WorkflowUIURL(bookingID))

	d.step("card holder opens the page and approves (GET url_3ds, POST approve)")
	if err := d.admin.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
		return err
	}
	d.step("waiting for A55's webhook to reach the workflow through the receiver...")
	st, err := d.waitStatus(ctx, bookingID, workflows.StatusAuthorized, 60*time.Second)
	if err != nil {
		return err
	}
	d.step("authorized after 3DS: %s held on charge %s (A55 status %q)", st.Authorized.Display(), st.ChargeUUID, st.LastA55Status)

	d.step("customer cancels the rental: releasing the hold")
	res, err := d.st.Cancel(ctx, bookingID, "rental cancelled by the customer")
	if err != nil {
		return fmt.Errorf("cancel %s: %w", bookingID, err)
	}
	d.step("released (status %s)", res.Status)
	return d.finish(ctx, bookingID, st.ChargeUUID)
}

// waitStatus polls the workflow's status query until it reaches want.
func (d *demo) waitStatus(ctx context.Context, bookingID string, want workflows.Status, timeout time.Duration) (workflows.PaymentState, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last workflows.PaymentState
	for {
		st, err := d.st.Status(ctx, bookingID)
		if err == nil {
			last = st
			if st.Status == want {
				return st, nil
			}
			if st.Status.Terminal() {
				return st, fmt.Errorf("booking %s ended %s (%s), want %s", bookingID, st.Status, st.Reason, want)
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("booking %s: still %s after %s, want %s", bookingID, last.Status, timeout, want)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// finish prints the workflow's result and what the sandbox's ledger recorded.
func (d *demo) finish(ctx context.Context, bookingID, chargeUUID string) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := d.st.Result(rctx, bookingID)
	if err != nil {
		return fmt.Errorf("result of %s: %w", bookingID, err)
	}
	if res.Captured.IsZero() || res.Captured.Minor == 0 {
		d.step("workflow finished: %s, nothing captured", res.Status)
	} else {
		d.step("workflow finished: %s, %s captured (by %s)", res.Status, res.Captured.Display(), res.CapturedBy)
	}
	if !res.Refunded.IsZero() {
		d.step("refunded %s of it", res.Refunded.Display())
	}
	e, err := d.admin.Charge(ctx, chargeUUID)
	if err != nil {
		return err
	}
	var history []string
	for _, h := range e.History {
		history = append(history, h.Status)
	}
	d.step("A55 sandbox ledger: %s authorized %s, captured %s, released %s, refunded %s; status history %s; webhooks delivered %d",
		e.CardBrand, e.Authorized.Display(), e.Captured.Display(), e.Released.Display(), e.Refunded.Display(),
		strings.Join(history, " → "), e.Webhooks.Delivered)
	if e.Calls.Create != 1 {
		return errors.New("the ledger shows more than one authorization for one booking")
	}
	// The workflow closes once its events are delivered: all are in.
	if bs := d.proj.BookingSystem(); bs != nil {
		var got []string
		for _, ev := range bs.Events(bookingID) {
			got = append(got, eventLine(ev))
		}
		d.step("booking system notified (signed, verified): %s", strings.Join(got, "; "))
	}
	fmt.Fprintln(d.out)
	return nil
}

// eventLine is one notification as the demo prints it.
func eventLine(ev workflows.Event) string {
	line := fmt.Sprintf("#%d %s", ev.Sequence, ev.Type)
	switch ev.Type {
	case workflows.EventAuthorized:
		line += " " + ev.Authorized.Display()
	case workflows.EventCaptured:
		line += " " + ev.Captured.Display()
	case workflows.EventAwaiting3DS:
		line += " (url_3ds)"
	case workflows.EventVoided:
		line += " (" + ev.VoidedBy + ")"
	case workflows.EventDeclined:
		line += " (" + ev.DeclineCode + ")"
	}
	return line
}
