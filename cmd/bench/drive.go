package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Paths a booking takes.
const (
	pathHappy = "happy" // frictionless authorization, then capture
	path3DS   = "3ds"   // challenge completed on the sandbox's page, webhook → receiver → update
	pathFloor = "floor" // the floor's single shape
	pathHold  = "hold"  // hold mode: authorized, captured after the worker restart
)

// Test cards of the sandbox.
const (
	cardApproved  = "4111111111111111"
	cardChallenge = "4000000000000101"
)

// sample is one booking as the booking system saw it.
type sample struct {
	WorkflowID string
	Path       string
	Err        error

	Authorize time.Duration // update-with-start round trip
	Signal    time.Duration // floor: the signal's round trip
	Capture   time.Duration // capture update round trip
	// 3DS: from the challenge's answer page to the status query reporting
	// authorized (webhook → receiver → charge_changed update → workflow reads
	// the charge).
	Webhook       time.Duration
	ChallengeDone time.Time
	Polls         int // status queries sent while waiting
}

// booker runs booking number i.
type booker func(ctx context.Context, i int) sample

// runBookings runs n bookings with c at a time and returns them in order
// with the wall time of the whole batch.
func runBookings(ctx context.Context, n, c int, book booker, progress func(done int)) ([]sample, time.Duration) {
	out := make([]sample, n)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				out[i] = book(ctx, i)
				if d := done.Add(1); progress != nil {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	return out, time.Since(start)
}

// ours drives our workflow through the starter package, as a booking system does.
type ours struct {
	st        *starter.Starter
	sandbox   stack.SandboxAdmin
	prefix    string
	pollEvery time.Duration
	timeout   time.Duration
}

func newOurs(c client.Client, cardKeys cardvault.Store, sandboxURL, prefix string, conc int, pollEvery time.Duration) *ours {
	// The card holder's browser: one keep-alive connection per concurrent booking.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conc
	return &ours{
		st:        starter.New(c, starter.WithCardKeys(cardKeys)),
		sandbox:   stack.SandboxAdmin{BaseURL: sandboxURL, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}},
		prefix:    prefix,
		pollEvery: pollEvery,
		timeout:   2 * time.Minute,
	}
}

func (o *ours) bookingID(i int) string { return fmt.Sprintf("%s-%d", o.prefix, i) }

// pathOf alternates the paths so both see the same load over time.
func pathOf(i int) string {
	if i%2 == 1 {
		return path3DS
	}
	return pathHappy
}

func (o *ours) book(ctx context.Context, i int) sample {
	s := o.authorize(ctx, i, pathOf(i))
	if s.Err != nil {
		return s
	}
	o.capture(ctx, &s)
	return s
}

// authorize places the hold; on the 3DS path it also completes the challenge
// and waits until the workflow reports authorized.
func (o *ours) authorize(ctx context.Context, i int, path string) sample {
	id := o.bookingID(i)
	s := sample{WorkflowID: workflows.WorkflowID(id), Path: path}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	card := cardApproved
	if path == path3DS {
		card = cardChallenge
	}
	in := bookingInput(id, card, path == path3DS)
	t := time.Now()
	auth, err := o.st.Authorize(ctx, in)
	s.Authorize = time.Since(t)
	if err != nil {
		s.Err = fmt.Errorf("authorize: %w", err)
		return s
	}
	if path != path3DS {
		if auth.Status != workflows.StatusAuthorized {
			s.Err = fmt.Errorf("authorize: status %s (%s %s %s)", auth.Status, auth.DeclineCode, auth.DeclineMessage, auth.Reason)
		}
		return s
	}
	if auth.Status != workflows.StatusAwaiting3DS || auth.URL3DS == "" {
		s.Err = fmt.Errorf("authorize: status %s, want awaiting_3ds with url_3ds", auth.Status)
		return s
	}
	if err := o.sandbox.CompleteChallenge(ctx, auth.URL3DS, true); err != nil {
		s.Err = fmt.Errorf("3DS challenge: %w", err)
		return s
	}
	s.ChallengeDone = time.Now()
	for {
		st, err := o.st.Status(ctx, id)
		s.Polls++
		if err == nil && st.Status == workflows.StatusAuthorized {
			s.Webhook = time.Since(s.ChallengeDone)
			return s
		}
		if err == nil && st.Status.Terminal() {
			s.Err = fmt.Errorf("after 3DS: status %s (%s)", st.Status, st.Reason)
			return s
		}
		select {
		case <-ctx.Done():
			s.Err = fmt.Errorf("after 3DS: not authorized in %v (last status %s, err %v)", o.timeout, st.Status, err)
			return s
		case <-time.After(o.pollEvery):
		}
	}
}

func (o *ours) capture(ctx context.Context, s *sample) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	id := s.WorkflowID[len(workflows.WorkflowID("")):]
	t := time.Now()
	res, err := o.st.Capture(ctx, id, nil)
	s.Capture = time.Since(t)
	if err != nil {
		s.Err = fmt.Errorf("capture: %w", err)
		return
	}
	if res.Status != workflows.StatusCaptured {
		s.Err = fmt.Errorf("capture: status %s", res.Status)
	}
}

// bookingInput is a hotel stay of R$ 500,00 checking out in two days.
func bookingInput(id, card string, threeDS bool) workflows.BookingPaymentInput {
	in := workflows.BookingPaymentInput{
		BookingID: id, Kind: workflows.KindHotelStay, MerchantID: "bench-hotel",
		WalletUUID: a55sandbox.DefaultWallet,
		Payer: a55client.Payer{
			Name: "Ana Souza", Email: "ana.souza@example.com", CellPhone: "+5511987654321", TaxID: "12345678909",
			Address: &a55client.Address{Street: "Avenida Atlântica", AddressNumber: "1702", Neighborhood: "Copacabana",
				City: "Rio de Janeiro", State: "RJ", PostalCode: "22021-001", Country: "BR"},
		},
		Amount:      money.Amount{Minor: 50000, Currency: "BRL"},
		Description: "bench stay",
		Card: a55client.Card{HolderName: "ANA SOUZA", Number: card, ExpiryMonth: 12,
			ExpiryYear: time.Now().Year() + 3, CVV: "123"},
		ExpectedCaptureAt: time.Now().Add(48 * time.Hour),
		DeadlinePolicy:    workflows.DeadlinePolicy{Action: workflows.DeadlineRelease},
		// The bench measures a booking's whole life, to its close: a
		// captured booking closes a second after the capture (its refund
		// window's timer and patch marker are in the figures) instead of
		// after the default 30 days.
		RefundWindow: time.Second,
	}
	if threeDS {
		yes, no := true, false
		in.ThreeDS = true
		in.ReturnURL = "http://127.0.0.1/booking/" + id + "/3ds-done"
		in.DeviceInfo = &a55client.DeviceInfo{
			IPAddress: "127.0.0.1", UserAgent: "Mozilla/5.0 bench", HTTPAcceptContent: "text/html",
			HTTPAcceptBrowserValue: "text/html", HTTPBrowserLanguage: "pt-BR",
			HTTPBrowserJavaEnabled: &no, HTTPBrowserJavascriptEnabled: &yes, HTTPBrowserColorDepth: "24",
			HTTPBrowserScreenHeight: "1080", HTTPBrowserScreenWidth: "1920", HTTPBrowserTimeDifference: "180",
			SessionID: id,
		}
	}
	return in
}

// floor drives a floor workflow with the raw client: update-with-start,
// signal, update.
type floor struct {
	c            client.Client
	workflowType string
	prefix       string
	timeout      time.Duration
}

func (f *floor) book(ctx context.Context, i int) sample {
	id := fmt.Sprintf("%s-%d", f.prefix, i)
	s := sample{WorkflowID: id, Path: pathFloor}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	in := FloorInput{BookingID: id, Minor: 50000}

	t := time.Now()
	start := f.c.NewWithStartWorkflowOperation(floorStartOptions(id), f.workflowType, in)
	h, err := f.c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: floorUpdateAuth, UpdateName: floorUpdateAuth, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var r FloorResult
	if err == nil {
		err = h.Get(ctx, &r)
	}
	s.Authorize = time.Since(t)
	if err != nil {
		s.Err = fmt.Errorf("authorize: %w", err)
		return s
	}

	t = time.Now()
	err = f.c.SignalWorkflow(ctx, id, "", floorSignalWebhook, map[string]string{"status": "authorized"})
	s.Signal = time.Since(t)
	if err != nil {
		s.Err = fmt.Errorf("signal: %w", err)
		return s
	}

	t = time.Now()
	h, err = f.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateID: floorUpdateCapture, UpdateName: floorUpdateCapture,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &r)
	}
	s.Capture = time.Since(t)
	if err != nil {
		s.Err = fmt.Errorf("capture: %w", err)
	} else if r.Status != "captured" {
		s.Err = errors.New("capture: status " + r.Status)
	}
	return s
}
