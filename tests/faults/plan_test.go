package faults

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/workflows"
)

func TestPlansAreReproducibleFromTheSeed(t *testing.T) {
	o := PlanOptions{Prefix: "s1", Bookings: 50, Seed: 7, Arrival: 100 * time.Millisecond, MaxActAfter: time.Second, ReportShare: 0.5}
	a, b := Plans(o), Plans(o)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same options gave different plans")
	}
	o.Seed = 8
	if reflect.DeepEqual(a, Plans(o)) {
		t.Fatal("another seed gave the same plans")
	}
	ids := map[string]bool{}
	for i, p := range a {
		if ids[p.BookingID] {
			t.Fatalf("booking id %s twice", p.BookingID)
		}
		ids[p.BookingID] = true
		if err := workflows.ValidateBookingID(p.BookingID); err != nil {
			t.Fatal(err)
		}
		if p.StartAfter != time.Duration(i)*100*time.Millisecond || p.ActAfter < 0 || p.ActAfter > time.Second {
			t.Fatalf("plan %d timing: start %s, act after %s", i, p.StartAfter, p.ActAfter)
		}
		if p.Capture.Minor <= 0 || p.Capture.Minor >= p.Hold.Minor {
			t.Fatalf("plan %d captures %s of %s: a partial capture must be part of the hold", i, p.Capture, p.Hold)
		}
	}
}

func TestPlansFollowTheMix(t *testing.T) {
	plans := Plans(PlanOptions{Prefix: "m", Bookings: 400, Seed: 1, Mix: Mix{Cancel: 1, Declined: 1}})
	cancels, declines := 0, 0
	for _, p := range plans {
		switch {
		case p.Card == CardApproved && p.Action == ActCancel:
			cancels++
		case p.Card == CardDeclined || p.Card == CardNoFunds:
			declines++
		default:
			t.Fatalf("plan %+v is outside the mix", p)
		}
	}
	if cancels < 150 || declines < 150 {
		t.Fatalf("%d cancels and %d declines of 400 for an even mix", cancels, declines)
	}
}

// Every generated input passes the workflow's own validation: a run must
// not fail on the harness's input.
func TestEveryPlanInputIsValid(t *testing.T) {
	now := time.Now()
	for n := 1; n <= ScenarioMidnight; n++ {
		sc, _ := NewScenario(n, 60, 0)
		for _, p := range Plans(PlanOptions{Prefix: "v", Bookings: 60, Seed: sc.Seed, Mix: sc.Mix}) {
			in := p.Input(now, sc.Timing)
			if err := workflows.ValidateInput(in, now); err != nil {
				t.Fatalf("scenario %d, plan %s (%s, %s): %v", n, p.BookingID, p.Card, p.Action, err)
			}
			if in.ThreeDS != (p.Card == CardChallenge || p.Card == CardChallengeBad) {
				t.Fatalf("plan %s: threeds %v for a %s card", p.BookingID, in.ThreeDS, p.Card)
			}
			switch p.Action {
			case ActDeadlineCapture:
				if in.DeadlinePolicy.Action != workflows.DeadlineCapture || *in.DeadlinePolicy.Amount != p.Capture {
					t.Fatalf("plan %s: deadline policy %+v", p.BookingID, in.DeadlinePolicy)
				}
			case ActDeadlineRelease:
				if due := in.ExpectedCaptureAt.Add(in.CaptureGrace); due.After(now.Add(time.Minute)) {
					t.Fatalf("plan %s: the deadline policy is due only at %s", p.BookingID, due)
				}
			}
		}
	}
}

func TestExpectedOutcomes(t *testing.T) {
	cases := []struct {
		card       CardKind
		action     Action
		allowLapse bool
		want       []workflows.Status
	}{
		{CardApproved, ActCaptureFull, false, []workflows.Status{workflows.StatusCaptured}},
		{CardApproved, ActDeadlineCapture, false, []workflows.Status{workflows.StatusCaptured}},
		{CardApproved, ActCancel, false, []workflows.Status{workflows.StatusVoided}},
		{CardChallenge, ActDeadlineRelease, false, []workflows.Status{workflows.StatusVoided}},
		{CardChallengeBad, ActCaptureFull, true, []workflows.Status{workflows.StatusDeclined}},
		{CardNoFunds, ActCancel, false, []workflows.Status{workflows.StatusDeclined}},
		{CardApproved, ActCapturePartial, true, []workflows.Status{workflows.StatusCaptured, workflows.StatusVoided, workflows.StatusExpired}},
	}
	for _, tc := range cases {
		p := Plan{Card: tc.card, Action: tc.action}
		if got := p.Expected(tc.allowLapse); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s/%s lapse=%v: %v, want %v", tc.card, tc.action, tc.allowLapse, got, tc.want)
		}
	}
}

func TestScenariosAreComplete(t *testing.T) {
	names := map[string]bool{}
	for n := 1; n <= ScenarioMidnight; n++ {
		sc, expect := NewScenario(n, 10, 0)
		if sc.Number != n || sc.Name == "" || sc.Title == "" || names[sc.Name] {
			t.Fatalf("scenario %d: number %d, name %q, title %q", n, sc.Number, sc.Name, sc.Title)
		}
		names[sc.Name] = true
		if sc.Seed != DefaultSeed(n) || len(expect) == 0 {
			t.Fatalf("scenario %d: seed %d, expects %v", n, sc.Seed, expect)
		}
		if len(sc.Faults) == 0 && sc.Chaos == nil {
			t.Fatalf("scenario %d injects nothing", n)
		}
		if strings.Join(sc.SandboxArgs[:len(BaseSandboxArgs)], " ") != strings.Join(BaseSandboxArgs, " ") {
			t.Fatalf("scenario %d sandbox args %v", n, sc.SandboxArgs)
		}
	}
	if sc, _ := NewScenario(3, 10, 99); sc.Seed != 99 {
		t.Fatalf("an explicit seed is ignored: %d", sc.Seed)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("scenario 14 exists")
		}
	}()
	NewScenario(ScenarioMidnight+1, 10, 0)
}
