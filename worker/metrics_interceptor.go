package worker

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hotelpay/a55-temporal/internal/metrics"
	"github.com/hotelpay/a55-temporal/workflows"
)

// businessMetrics derives the business metrics from what the booking-payment
// workflow already does in a replay-safe way: its PaymentStatus search
// attribute upserts (every status transition: authorizations, 3DS,
// needs_attention); the workflow counts its captures and releases itself
// (workflows.MetricCaptures, MetricReleases), when they happen.
// Counters go through workflow.GetMetricsHandler, which emits nothing
// while a workflow replays, so a worker restart never double counts.
type businessMetrics struct {
	interceptor.WorkerInterceptorBase
}

func (*businessMetrics) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	if workflow.GetInfo(ctx).WorkflowType.Name != workflows.WorkflowName {
		return next
	}
	return &paymentMetricsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

// paymentMetricsInbound lives as long as one workflow execution (in a worker's cache).
type paymentMetricsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	status workflows.Status
}

func (i *paymentMetricsInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&paymentMetricsOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, in: i})
}

func (i *paymentMetricsInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	// The starter sets PaymentStatus=authorizing at start, and the workflow
	// does not upsert it again: start from there.
	if s, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(workflows.PaymentStatusKey); ok {
		i.status = workflows.Status(s)
	}
	return i.Next.ExecuteWorkflow(ctx, in)
}

// transition turns a status change into authorization and 3DS metrics.
func (i *paymentMetricsInbound) transition(ctx workflow.Context, to workflows.Status) {
	from := i.status
	i.status = to
	if from == to {
		return
	}
	h := workflow.GetMetricsHandler(ctx)
	if to == workflows.StatusNeedsAttention {
		metrics.BookingNeedsAttention(h)
	}

	switch from {
	case workflows.StatusAuthorizing:
		switch to {
		case workflows.StatusAuthorized, workflows.StatusDeclined, workflows.StatusFailed, workflows.StatusAwaiting3DS:
			metrics.Authorization(h, string(to))
		}
		if to == workflows.StatusAwaiting3DS {
			metrics.ThreeDSChallenge(h)
		}
	case workflows.StatusAwaiting3DS:
		switch to {
		case workflows.StatusAuthorized, workflows.StatusDeclined, workflows.StatusFailed:
			metrics.ThreeDSOutcome(h, string(to))
		case workflows.StatusVoiding:
			metrics.ThreeDSOutcome(h, "abandoned") // timed out or cancelled during the challenge
		}
	}
}

type paymentMetricsOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	in *paymentMetricsInbound
}

func (o *paymentMetricsOutbound) UpsertTypedSearchAttributes(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) error {
	err := o.Next.UpsertTypedSearchAttributes(ctx, updates...)
	if err == nil {
		if s, ok := temporal.NewSearchAttributes(updates...).GetKeyword(workflows.PaymentStatusKey); ok {
			o.in.transition(ctx, workflows.Status(s))
		}
	}
	return err
}
