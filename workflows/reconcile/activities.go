package reconcile

import (
	"context"
	"errors"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Lister lists a wallet's charges; *a55client.Client satisfies it.
type Lister interface {
	ListCharges(ctx context.Context, p *a55client.ListChargesParams) (*a55client.ChargeList, error)
}

// Gateway is what the reconciliation reads at A55: the open charges, and one
// charge again before acting on it; *a55client.Client satisfies it.
type Gateway interface {
	Lister
	GetCharge(ctx context.Context, walletUUID, chargeUUID string) (*a55client.Charge, error)
}

// Describer describes a workflow and queries it; client.Client satisfies it.
type Describer interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...interface{}) (converter.EncodedValue, error)
}

// Activities are the reconciliation's reads (its release is the booking
// workflow's Cancel activity).
type Activities struct {
	A55      Gateway
	Temporal Describer
}

// openStatuses are the statuses of a charge A55 may still hold money for,
// in both of A55's vocabularies.
var openStatuses = []string{"authorized", "pending", "confirmed"}

const pageSize = 100

// isOpenStatus reports whether A55's status is one the listing asks for: a
// charge A55 may still hold money for. "confirmed" counts whatever the
// vocabulary (a hold in the public documents' words; the booking workflow's
// isApprovedHold reads it the same way when no capture answer says more).
func isOpenStatus(status string) bool {
	for _, s := range openStatuses {
		if strings.EqualFold(strings.TrimSpace(status), s) {
			return true
		}
	}
	return false
}

// ReadCharge reads the charge at A55 now: the listing may be minutes old,
// and its booking may have captured or released it since.
func (a *Activities) ReadCharge(ctx context.Context, c OpenCharge) (OpenCharge, error) {
	got, err := a.A55.GetCharge(ctx, c.WalletUUID, c.ChargeUUID)
	if err != nil {
		return OpenCharge{}, err
	}
	now := c
	now.Status = got.Status
	if got.Amount != nil {
		now.Amount = got.Amount
	}
	return now, nil
}

// ListOpenCharges lists the wallet's charges in an open status, every page.
func (a *Activities) ListOpenCharges(ctx context.Context, wallet string) ([]OpenCharge, error) {
	var out []OpenCharge
	seen := map[string]bool{}
	for _, status := range openStatuses {
		for page := 1; ; page++ {
			list, err := a.A55.ListCharges(ctx, &a55client.ListChargesParams{WalletUUID: wallet, Filter: "status:" + status, Page: page, Limit: pageSize})
			if err != nil {
				return nil, err
			}
			for _, c := range list.Charges {
				if c.UUID == "" || seen[c.UUID] {
					continue
				}
				seen[c.UUID] = true
				out = append(out, OpenCharge{ChargeUUID: c.UUID, WalletUUID: wallet, Status: c.Status, BookingID: c.ReferenceExternalID, Amount: c.Amount})
			}
			activity.RecordHeartbeat(ctx, status, page)
			if len(list.Charges) < pageSize || (list.Total > 0 && page*pageSize >= list.Total) {
				break
			}
		}
	}
	return out, nil
}

// DescribeBookings says, for each booking id, whether its workflow exists,
// is open, and what its search attributes record.
func (a *Activities) DescribeBookings(ctx context.Context, bookingIDs []string) (map[string]Booking, error) {
	out := make(map[string]Booking, len(bookingIDs))
	dc := converter.GetDefaultDataConverter()
	listed := map[string]int{} // the booking's open charges (its id once per charge)
	for _, id := range bookingIDs {
		listed[id]++
	}
	for _, id := range bookingIDs {
		if _, done := out[id]; done {
			continue
		}
		resp, err := a.Temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			out[id] = Booking{}
			continue
		}
		if err != nil {
			return nil, err
		}
		info := resp.GetWorkflowExecutionInfo()
		b := Booking{Exists: true, Open: info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING}
		fields := info.GetSearchAttributes().GetIndexedFields()
		if p := fields[workflows.PaymentStatusKey.GetName()]; p != nil {
			_ = dc.FromPayload(p, &b.PaymentStatus)
		}
		if p := fields[workflows.ChargeUUIDKey.GetName()]; p != nil {
			_ = dc.FromPayload(p, &b.ChargeUUID)
		}
		if p := fields[workflows.AuthorizedAmountKey.GetName()]; p != nil {
			_ = dc.FromPayload(p, &b.Authorized)
		}
		if b.Open && listed[id] > 1 {
			b.Holding, b.Replacing = holding(ctx, a.Temporal, id)
		}
		out[id] = b
		activity.RecordHeartbeat(ctx, len(out))
	}
	return out, nil
}

// holding asks an open booking with more than one open charge which it
// holds, and whether it is replacing its hold (replace_hold): the ChargeUUID
// search attribute names a replacement only once A55 has approved it, and
// the replacement's charge id is known only once A55 has answered. Nothing
// when the query fails (the search attribute decides, as before).
func holding(ctx context.Context, c Describer, bookingID string) (held []string, replacing bool) {
	v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(bookingID), "", workflows.QueryStatus)
	if err != nil {
		activity.GetLogger(ctx).Warn("querying a booking with two open charges failed", "booking_id", bookingID, "error", err)
		return nil, false
	}
	var st workflows.PaymentState
	if err := v.Get(&st); err != nil {
		return nil, false
	}
	held = []string{st.ChargeUUID}
	if r := st.Replacement; r != nil && (r.Status == workflows.StatusAuthorizing || r.Status == workflows.StatusAwaiting3DS) {
		replacing = true
		if r.ChargeUUID != "" {
			held = append(held, r.ChargeUUID)
		}
	}
	return held, replacing
}
