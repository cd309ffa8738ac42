package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/tests/testkit"
	"github.com/hotelpay/a55-temporal/workflows"
)

// A hotel stay captured at check-out, then refunded on the real stack: a
// partial refund (the guest disputes the minibar), the status query and the
// RefundedAmount search attribute show it, an over-refund is refused by
// name, the rest is refunded, and the booking ends refunded at once. The
// sandbox's ledger shows what A55 did: the capture refunded in two calls.
func TestPartialRefundThenTheRest(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	id := ids.Next("refund")
	in := hold(id, "4111111111111111", 50000)
	in.RefundWindow = 10 * time.Minute // the test's refunds all fall within it
	auth := env.Authorize(t, ctx, in)
	if auth.Status != workflows.StatusAuthorized {
		t.Fatalf("authorization = %+v", auth)
	}
	s := env.Starter()
	bill := testkit.BRL(32000)
	if c, err := s.Capture(ctx, id, &bill); err != nil || c.Captured != bill {
		t.Fatalf("capture = %+v, %v", c, err)
	}

	first, err := s.Refund(ctx, id, "minibar-1", testkit.BRL(12000), "minibar charged in error")
	if err != nil || first.Refunded != testkit.BRL(12000) || first.Refundable != testkit.BRL(20000) || first.Status != workflows.StatusCaptured {
		t.Fatalf("partial refund = %+v, %v", first, err)
	}
	st, err := s.Status(ctx, id)
	if err != nil || st.Status != workflows.StatusCaptured || st.Refunded != testkit.BRL(12000) || len(st.Refunds) != 1 ||
		st.Refunds[0].State != workflows.RefundDone || st.RefundWindowEndsAt.IsZero() {
		t.Fatalf("status after the partial refund = %+v, %v", st, err)
	}
	waitListed(t, ctx, fmt.Sprintf(`BookingID = %q AND RefundedAmount = 12000`, id))

	var rej *starter.RejectedError
	if _, err := s.Refund(ctx, id, "too-much", testkit.BRL(20001), ""); !errors.As(err, &rej) || rej.Type != workflows.ErrTypeRefundExceedsCaptured {
		t.Fatalf("over-refund = %v, want %s", err, workflows.ErrTypeRefundExceedsCaptured)
	}
	rest, err := s.Refund(ctx, id, "stay-cancelled", testkit.BRL(20000), "")
	if err != nil || rest.Refunded != bill || rest.Refundable.Minor != 0 || rest.Status != workflows.StatusRefunded {
		t.Fatalf("refund of the rest = %+v, %v", rest, err)
	}
	res := result(t, ctx, id) // closes at once, not at the window's end
	if res.Status != workflows.StatusRefunded || res.Captured != bill || res.Refunded != bill {
		t.Fatalf("result = %+v", res)
	}
	waitListed(t, ctx, fmt.Sprintf(`BookingID = %q AND RefundedAmount = 32000 AND PaymentStatus = "refunded"`, id))
	e := ledgerCharge(t, ctx, id, auth.ChargeUUID)
	if e.Captured != bill || e.Refunded != bill || e.Calls.Refund != 2 {
		t.Fatalf("ledger: captured %v refunded %v in %d refund calls", e.Captured, e.Refunded, e.Calls.Refund)
	}
}

// waitListed waits until the visibility query finds a workflow.
func waitListed(t *testing.T, ctx context.Context, query string) {
	t.Helper()
	for {
		n, err := env.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err == nil && n.GetCount() > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no workflow matches %s (last error %v)", query, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
