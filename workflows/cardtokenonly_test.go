package workflows_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The card-token-only patch (workflows.ChangeCardTokenOnly): a new booking
// whose input carries the card in clear is refused before anything happens;
// bookings started with a plain card before the patch go on (replayed from
// testdata/release-1 and the next directories, and below on DefaultVersion).

// refusal runs the booking to its end and returns its InvalidInput failure.
func (r *run) refusal() *temporal.ApplicationError {
	r.t.Helper()
	r.env.ExecuteWorkflow(workflows.WorkflowName, r.in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
	var app *temporal.ApplicationError
	if err := r.env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput || !app.NonRetryable() {
		r.t.Fatalf("workflow error = %v, want a non-retryable %s failure", err, workflows.ErrTypeInvalidInput)
	}
	return app
}

// A caller that skips the card token (another language's SDK, an old
// starter) gets the invalid-input failure naming card and the card token,
// and A55 is never asked: no activity, no charge.
func TestANewBookingWithAPlainCardIsRefusedAndChargesNothing(t *testing.T) {
	r := newPlainCardRun(t, validInput("P-1"))
	asked := 0
	r.env.OnGetVersion(workflows.ChangeCardTokenOnly, workflow.DefaultVersion, 1).Run(func(mock.Arguments) { asked++ }).Return(workflow.Version(1))
	// The booking system's authorization update (update-with-start) is
	// rejected with the refusal, not as an unknown update.
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth", workflows.AuthorizationRequestOf(r.in)) })
	app := r.refusal()
	if auth == nil || auth.accepted || auth.rejected == nil || !strings.Contains(auth.rejected.Error(), "card: a card in clear is refused") {
		t.Errorf("authorization update: %+v, want it rejected with the refusal", auth)
	}
	msg := app.Message()
	for _, want := range []string{"card: a card in clear is refused", "PCI DSS 3.3.1", "card_token", "POST /v1/card-tokens", "starter.WithCardKeys"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure %q does not say %q", msg, want)
		}
	}
	for _, secret := range []string{r.card.Number, r.card.Number[len(r.card.Number)-8:], r.card.HolderName} {
		if strings.Contains(msg, secret) {
			t.Errorf("the failure quotes card data (%q)", secret)
		}
	}
	if asked != 1 {
		t.Errorf("the workflow asked for %s %d times, want once", workflows.ChangeCardTokenOnly, asked)
	}
	if n := len(r.activities); n != 0 {
		t.Errorf("%d activities ran for a refused card", n)
	}
	if l := r.sb.Ledger(); len(l.Charges) != 0 {
		t.Errorf("A55 holds %d charges after a refused card: %+v", len(l.Charges), l.Charges)
	}
}

// Refused whole: a plain card's own problems are not listed (it is not
// used), and an input with neither card nor token asks for the token.
func TestCardTokenOnlyNamesWhatToSend(t *testing.T) {
	in := validInput("P-2")
	in.Card.Number = "4111111111111112" // fails Luhn
	in.Amount = brl(-1)
	msg := newPlainCardRun(t, in).refusal().Message()
	if !strings.Contains(msg, "card: a card in clear is refused") || !strings.Contains(msg, "amount") || strings.Contains(msg, "card.number") {
		t.Errorf("failure = %q, want the card refused whole and the amount named", msg)
	}
	in = validInput("P-3")
	in.Card = a55client.Card{}
	msg = newPlainCardRun(t, in).refusal().Message()
	if !strings.Contains(msg, "card_token: is required") || strings.Contains(msg, "card.number") {
		t.Errorf("failure = %q, want card_token required", msg)
	}
}

// A booking with a card token asks nothing: the patch costs it no marker.
func TestABookingWithACardTokenRecordsNoCardTokenOnlyMarker(t *testing.T) {
	r := newRun(t, validInput("P-4"))
	asked := 0
	r.env.OnGetVersion(workflows.ChangeCardTokenOnly, workflow.DefaultVersion, 1).Run(func(mock.Arguments) { asked++ }).Return(workflow.Version(1))
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{}) })
	if res := r.execute(); res.Status != workflows.StatusVoided {
		t.Fatalf("result %+v", res)
	}
	if asked != 0 {
		t.Errorf("a booking with a card token asked for %s %d times", workflows.ChangeCardTokenOnly, asked)
	}
}

// A booking that started with a plain card before the patch (its history
// has no card-token-only marker: DefaultVersion) goes on with its card:
// authorized at A55 with it, then captured.
func TestABookingStartedWithAPlainCardBeforeThePatchGoesOn(t *testing.T) {
	r := newPlainCardRun(t, validInput("P-5"))
	r.env.OnGetVersion(workflows.ChangeCardTokenOnly, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := r.execute() // also checks the card went to the Authorize activity only
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("result %+v", res)
	}
	if creates, captures, _ := r.counts("P-5"); creates != 1 || captures != 1 {
		t.Errorf("A55: %d creates, %d captures", creates, captures)
	}
}

// The recorded histories replay every branch (TestReplayRecordedHistories);
// here, that they hold what each branch needs: release-1's bookings started
// with a plain card and no card-token-only marker (the DefaultVersion path,
// accepted), and card-token-only holds a refused plain card whose marker
// says version 1, beside bookings with a token and no marker.
func TestRecordedHistoriesCoverBothCardTokenOnlyBranches(t *testing.T) {
	markers := func(file string) (plainCard bool, version int, failed bool) {
		hist := readHistory(t, file)
		version = -1
		for _, ev := range hist.Events {
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				var in workflows.BookingPaymentInput
				if err := json.Unmarshal(a.GetInput().GetPayloads()[0].GetData(), &in); err != nil {
					t.Fatalf("%s: start input: %v", file, err)
				}
				plainCard = in.CardToken == nil && in.Card.Number != ""
			}
			if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
				var id string
				_ = json.Unmarshal(m.GetDetails()["change-id"].GetPayloads()[0].GetData(), &id)
				if id == workflows.ChangeCardTokenOnly {
					_ = json.Unmarshal(m.GetDetails()["version"].GetPayloads()[0].GetData(), &version)
				}
			}
			failed = failed || ev.GetWorkflowExecutionFailedEventAttributes() != nil
		}
		return plainCard, version, failed
	}
	old, _ := filepath.Glob(filepath.Join("testdata", "release-1", "*.json"))
	if len(old) == 0 {
		t.Fatal("no release-1 histories")
	}
	for _, f := range old {
		if plain, v, _ := markers(f); !plain || v != -1 {
			t.Errorf("%s: plain card %v, card-token-only marker %d: want a plain card and no marker", f, plain, v)
		}
	}
	recorded, _ := filepath.Glob(filepath.Join("testdata", "card-token-only", "*.json"))
	refused := 0
	for _, f := range recorded {
		plain, v, failed := markers(f)
		switch {
		case plain && v == 1 && failed:
			refused++
		case plain || v != -1:
			t.Errorf("%s: plain card %v, card-token-only marker %d, failed %v", f, plain, v, failed)
		}
	}
	if refused != 1 || len(recorded) < 2 {
		t.Errorf("card-token-only: %d histories, %d of a refused plain card; want that one and the token paths", len(recorded), refused)
	}
}
