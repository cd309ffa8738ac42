package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
)

// The Temporal UI's Request Cancellation (and `temporal workflow cancel`)
// on a booking holding money releases the hold and ends the payment, never
// a stuck workflow task with the hold live at A55.

func TestCancellationRequestReleasesTheHold(t *testing.T) {
	r := newSandboxRun(t, validInput("C-1"))
	r.at(time.Hour, func() { r.env.CancelWorkflow() })
	res := r.execute()
	if res.Status != workflows.StatusVoided || !strings.Contains(res.Reason, "cancellation requested") {
		t.Fatalf("result = %+v, want voided by the cancellation request", res)
	}
	entry, _ := r.sb.Charge(res.ChargeUUID)
	if entry.Status != "canceled" || entry.Captured.Minor != 0 || entry.Released.Minor != 50000 {
		t.Errorf("A55 ledger = %+v, want the hold released", entry)
	}
	if st := r.state(); st.Status != workflows.StatusVoided {
		t.Errorf("status query after the cancellation = %s", st.Status)
	}
}

func TestCancellationRequestDuring3DSCancelsThePendingCharge(t *testing.T) {
	in := validInput("C-2")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	r := newSandboxRun(t, in)
	r.at(time.Minute, func() { r.env.CancelWorkflow() })
	res := r.execute()
	if res.Status != workflows.StatusDeclined || !strings.Contains(res.Reason, "cancellation requested") {
		t.Fatalf("result = %+v, want declined by the cancellation request", res)
	}
	if entry, _ := r.sb.Charge(res.ChargeUUID); entry.Status != "canceled" {
		t.Errorf("A55 charge is %s, want canceled", entry.Status)
	}
}

// A capture already under way when the request comes finishes, and the
// payment reports it: the request cannot turn a capture into an unknown.
func TestCancellationRequestLetsACaptureInFlightFinish(t *testing.T) {
	r := newSandboxRun(t, validInput("C-3"))
	amount := brl(32000)
	var capture *outcome
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount})
		r.env.CancelWorkflow()
	})
	res := r.execute()
	if capture.err != nil || res.Status != workflows.StatusCaptured || res.Captured.Minor != 32000 {
		t.Fatalf("capture err %v, result %+v: want the capture reported", capture.err, res)
	}
	if entry, _ := r.sb.Charge(res.ChargeUUID); entry.Captured.Minor != 32000 {
		t.Errorf("A55 ledger = %+v", entry)
	}
}

// After the request, the booking system's capture is refused with a reason
// rather than racing the release.
func TestCaptureAfterACancellationRequestIsRefused(t *testing.T) {
	r := newSandboxRun(t, validInput("C-4"))
	var capture *outcome
	r.at(time.Hour, func() { r.env.CancelWorkflow() })
	r.at(time.Hour, func() { capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := r.execute()
	if res.Status != workflows.StatusVoided {
		t.Fatalf("result = %+v", res)
	}
	if capture.rejected == nil && capture.err == nil {
		t.Fatalf("capture after the cancellation request was accepted: %+v", capture)
	}
}
