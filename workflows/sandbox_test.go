package workflows_test

import (
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/workflows"
)

// sandboxRun is a run (every run is on the sandbox now); the name stays for
// the tests that call it.
type sandboxRun struct {
	*run
	sb *a55sandbox.Server
}

func newSandboxRun(t *testing.T, in workflows.BookingPaymentInput) *sandboxRun {
	t.Helper()
	r := newRun(t, in)
	return &sandboxRun{run: r, sb: r.sb}
}

func TestSandboxPartialCapture(t *testing.T) {
	r := newSandboxRun(t, validInput("S-1"))
	amount := brl(32000)
	var capture *outcome
	r.at(time.Hour, func() {
		capture = r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{Amount: &amount})
	})
	res := r.execute()
	if capture.err != nil || res.Status != workflows.StatusCaptured {
		t.Fatalf("capture %v result %+v", capture.err, res)
	}
	entry, ok := r.sb.Charge(res.ChargeUUID)
	if !ok || entry.Captured.Minor != 32000 || entry.Released.Minor != 18000 || entry.CaptureFlag {
		t.Errorf("ledger = %+v", entry)
	}
}

func TestSandboxThreeDSThenCancel(t *testing.T) {
	in := validInput("S-2")
	in.Card.Number, in.ThreeDS = cardChallenge, true
	r := newSandboxRun(t, in)
	var auth *outcome
	r.at(0, func() { auth = r.update(workflows.UpdateAuthorization, "auth") })
	r.at(time.Minute, func() {
		uuid := r.state().ChargeUUID
		if err := r.sb.CompleteChallenge(uuid, true); err != nil {
			t.Error(err)
		}
		r.signal(workflows.Signal3DSComplete, workflows.ThreeDSCompleteSignal{ChargeUUID: uuid})
	})
	r.at(time.Hour, func() { r.update(workflows.UpdateCancel, "cancel", workflows.CancelRequest{Reason: "test"}) })
	res := r.execute()
	var a workflows.AuthorizationResult
	auth.decode(t, &a)
	if a.Status != workflows.StatusAwaiting3DS || a.URL3DS == "" {
		t.Errorf("authorization = %+v", a)
	}
	if res.Status != workflows.StatusVoided {
		t.Errorf("result = %+v", res)
	}
	if entry, _ := r.sb.Charge(res.ChargeUUID); entry.Status != "canceled" {
		t.Errorf("A55 charge is %s", entry.Status)
	}
}

func TestSandboxFaultsDoNotDuplicateMoney(t *testing.T) {
	r := newSandboxRun(t, validInput("S-3"))
	faults := map[string]a55sandbox.Fault{
		"create":  {LostResponseNext: 1, ErrorNext: 1},
		"capture": {LostResponseNext: 1, ErrorNext: 2, ErrorStatuses: []int{500, 503}},
		"get":     {ErrorNext: 1},
	}
	if err := r.sb.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	r.at(time.Hour, func() { r.update(workflows.UpdateCapture, "capture", workflows.CaptureRequest{}) })
	res := r.execute()
	if res.Status != workflows.StatusCaptured {
		t.Fatalf("result = %+v", res)
	}
	charges := r.sb.ChargesByReference("S-3")
	if len(charges) != 1 || charges[0].Calls.Capture != 1 || charges[0].Captured.Minor != 50000 {
		t.Fatalf("A55 ledger: %+v", charges)
	}
	counts := r.sb.FaultCounts()
	if counts["create:lost_response"] != 1 || counts["capture:lost_response"] != 1 {
		t.Errorf("faults injected: %v", counts)
	}
}
