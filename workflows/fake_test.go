package workflows_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/money"
)

// fakeA55 is an in-memory A55 behind the activities' Gateway interface, for
// the workflow tests (which run on the SDK's mock clock, so the HTTP sandbox's
// real-time timers do not fit). It keeps the rules that matter to the
// workflow: idempotent replay per key, one hold per create, capture only of
// an authorized charge up to its amount, and fault injection before or after
// the work (a lost response).
type fakeA55 struct {
	mu      sync.Mutex
	charges map[string]*fakeCharge
	order   []string
	replies map[string]fakeReply // by idempotency key

	// faults per operation ("create", "get", "capture", "cancel").
	failNext  map[string]int // retryable error before any work
	lostNext  map[string]int // work done, answer lost
	limitNext map[string]int // 429 with Retry-After before any work
	hardNext  map[string]*a55client.Error

	// onCreate runs after a create did its work and before it answers (e.g.
	// to deliver the webhook before the answer, as A55 can).
	onCreate func(chargeUUID, status string)

	// effective operations, counted once per charge change
	creates, captures, cancels, calls map[string]int
}

type fakeCharge struct {
	uuid, wallet, ref string
	status            string // A55 vocabulary (seeds): pending, authorized, confirmed, canceled, error
	amount            money.Amount
	captured          money.Amount
	url3ds            string
	code, message     string
}

type fakeReply struct {
	charge *a55client.Charge
	err    error
}

func newFakeA55() *fakeA55 {
	return &fakeA55{
		charges:   map[string]*fakeCharge{},
		replies:   map[string]fakeReply{},
		failNext:  map[string]int{},
		lostNext:  map[string]int{},
		limitNext: map[string]int{},
		hardNext:  map[string]*a55client.Error{},
		creates:   map[string]int{}, captures: map[string]int{}, cancels: map[string]int{}, calls: map[string]int{},
	}
}

// Test cards (the seeds' numbers).
const (
	cardApprove   = "4111111111111111"
	cardChallenge = "4000000000000101"
	cardDecline   = "4000000000000002"
	// cardUndecided: A55 answers "issued" (not decided yet), a frictionless
	// charge still processing at the acquirer.
	cardUndecided = "5555555555554444"
)

var stateOf = map[string]a55client.State{
	"pending": a55client.StatePending3DS, "authorized": a55client.StateAuthorized,
	"confirmed": a55client.StateCaptured, "paid": a55client.StateCaptured,
	"canceled": a55client.StateCanceled, "error": a55client.StateFailed, "issued": a55client.StateProcessing,
}

func (c *fakeCharge) view() *a55client.Charge {
	amt := c.amount
	return &a55client.Charge{
		UUID: c.uuid, WalletUUID: c.wallet, Status: c.status, State: stateOf[c.status],
		URL3DS: c.url3ds, ReferenceExternalID: c.ref, Amount: &amt, Code: c.code, Message: c.message,
	}
}

func retryable(op string) *a55client.Error {
	return &a55client.Error{Op: op, HTTPStatus: 503, Code: "SERVICE_UNAVAILABLE", Message: "injected", Class: a55client.ClassRetryable}
}

// fault consumes one injected fault for op, before the work.
func (f *fakeA55) faultBefore(op string) error {
	f.calls[op]++
	if e := f.hardNext[op]; e != nil {
		delete(f.hardNext, op)
		return e
	}
	if f.limitNext[op] > 0 {
		f.limitNext[op]--
		return &a55client.Error{Op: op, HTTPStatus: 429, Code: "RATE_LIMIT_EXCEEDED", Class: a55client.ClassRetryable, RetryAfter: 3 * time.Second}
	}
	if f.failNext[op] > 0 {
		f.failNext[op]--
		return retryable(op)
	}
	return nil
}

func (f *fakeA55) lost(op string) bool {
	if f.lostNext[op] > 0 {
		f.lostNext[op]--
		return true
	}
	return false
}

// replay answers a key seen before; same key, same answer.
func (f *fakeA55) replay(key string) (fakeReply, bool) {
	r, ok := f.replies[key]
	return r, ok
}

func (f *fakeA55) CreateCharge(_ context.Context, p *a55client.CreateChargeParams, key string) (*a55client.Charge, error) {
	f.mu.Lock()
	if err := f.faultBefore("create"); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	if r, ok := f.replay(key); ok {
		f.mu.Unlock()
		return r.charge, r.err
	}
	if p.Capture {
		f.mu.Unlock()
		return nil, &a55client.Error{Op: "create_charge", Class: a55client.ClassInvalid, Message: "the fake only places holds"}
	}
	c := &fakeCharge{uuid: fmt.Sprintf("ch-%d", len(f.order)+1), wallet: p.WalletUUID, ref: p.ReferenceExternalID, amount: p.Amount}
	var reply fakeReply
	switch p.Card.Number {
	case cardApprove:
		c.status = "authorized"
	case cardChallenge:
		c.status, c.url3ds = "pending", "https://a55.test/3ds/"+c.uuid
	case cardUndecided:
		c.status = "issued"
	default:
		c.status, c.code, c.message = "error", "CARD_DECLINED", "Declined or validation failed"
		reply.err = &a55client.Error{Op: "create_charge", HTTPStatus: 200, Code: c.code, Message: c.message, Class: a55client.ClassDeclined}
	}
	f.charges[c.uuid] = c
	f.order = append(f.order, c.uuid)
	f.creates[p.ReferenceExternalID]++
	reply.charge = c.view()
	f.replies[key] = reply
	hook := f.onCreate
	lost := f.lost("create")
	f.mu.Unlock()
	if hook != nil {
		hook(c.uuid, c.status)
	}
	if lost {
		return nil, retryable("create_charge")
	}
	return reply.charge, reply.err
}

func (f *fakeA55) GetCharge(_ context.Context, wallet, uuid string) (*a55client.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.faultBefore("get"); err != nil {
		return nil, err
	}
	c, ok := f.charges[uuid]
	if !ok || c.wallet != wallet {
		return nil, &a55client.Error{Op: "get_charge", HTTPStatus: 404, Code: "NOT_FOUND", Class: a55client.ClassNotFound}
	}
	return c.view(), nil
}

func (f *fakeA55) CaptureCharge(_ context.Context, p *a55client.CaptureParams, key string) (*a55client.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.faultBefore("capture"); err != nil {
		return nil, err
	}
	if r, ok := f.replay(key); ok {
		return r.charge, r.err
	}
	c, ok := f.charges[p.ChargeUUID]
	if !ok {
		return nil, &a55client.Error{Op: "capture", HTTPStatus: 404, Code: "NOT_FOUND", Class: a55client.ClassNotFound}
	}
	if c.status != "authorized" {
		err := &a55client.Error{Op: "capture", HTTPStatus: 400, Code: "errors.wallet.charge_capture_not_available", Class: a55client.ClassNotCapturable}
		f.replies[key] = fakeReply{err: err}
		return nil, err
	}
	amount := c.amount
	if p.Amount != nil {
		amount = *p.Amount
	}
	if amount.Currency != c.amount.Currency || amount.Minor > c.amount.Minor || amount.Minor <= 0 {
		return nil, &a55client.Error{Op: "capture", HTTPStatus: 422, Code: "INVALID_AMOUNT", Class: a55client.ClassInvalid}
	}
	c.status, c.captured = "confirmed", amount
	f.captures[c.ref]++
	reply := fakeReply{charge: c.view()}
	reply.charge.Amount = &amount // a capture answer's local_currency is the captured amount
	f.replies[key] = reply
	if f.lost("capture") {
		return nil, retryable("capture")
	}
	return reply.charge, nil
}

func (f *fakeA55) CancelCharge(_ context.Context, p *a55client.CancelParams, key string) (*a55client.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.faultBefore("cancel"); err != nil {
		return nil, err
	}
	if r, ok := f.replay(key); ok {
		return r.charge, r.err
	}
	c, ok := f.charges[p.ChargeUUID]
	if !ok {
		return nil, &a55client.Error{Op: "cancel", HTTPStatus: 404, Code: "NOT_FOUND", Class: a55client.ClassNotFound}
	}
	if c.status != "authorized" && c.status != "pending" && c.status != "issued" {
		return nil, &a55client.Error{Op: "cancel", HTTPStatus: 409, Code: "CANCEL_NOT_ALLOWED", Class: a55client.ClassConflict}
	}
	c.status = "canceled"
	f.cancels[c.ref]++
	reply := fakeReply{charge: c.view()}
	f.replies[key] = reply
	if f.lost("cancel") {
		return nil, retryable("cancel")
	}
	return reply.charge, nil
}

func (f *fakeA55) RefundCharge(_ context.Context, p *a55client.RefundParams, _ string) (*a55client.Charge, error) {
	return nil, &a55client.Error{Op: "refund", Class: a55client.ClassInvalid, Message: "not simulated"}
}

// complete3DS finishes a challenge as the card holder would.
func (f *fakeA55) complete3DS(uuid string, approve bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.charges[uuid]
	if c == nil || c.status != "pending" {
		return
	}
	if approve {
		c.status = "authorized"
	} else {
		c.status, c.code, c.message = "error", "3DS_FAILED", "authentication failed"
	}
}

// setStatus forces a charge's status (an operator at A55, a lapse).
func (f *fakeA55) setStatus(uuid, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.charges[uuid]; c != nil {
		c.status = status
	}
}

func (f *fakeA55) charge(uuid string) fakeCharge {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.charges[uuid]; c != nil {
		return *c
	}
	return fakeCharge{}
}

func (f *fakeA55) counts(ref string) (creates, captures, cancels int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates[ref], f.captures[ref], f.cancels[ref]
}

func (f *fakeA55) inject(kind map[string]int, op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kind[op] += n
}

// chargeFor returns the uuid of the booking's charge ("" before the create).
func (f *fakeA55) chargeFor(ref string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, uuid := range f.order {
		if f.charges[uuid].ref == ref {
			return uuid
		}
	}
	return ""
}
