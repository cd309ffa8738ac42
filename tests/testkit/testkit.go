// Package testkit is what the suites that run the whole stack (tests/e2e,
// tests/browser, tests/security) share: their TestMain's -short skip, unique
// booking IDs, test contexts and the starter calls that fail the test.
package testkit

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Main is a suite's TestMain: under -short (make unit) it says it skips,
// naming the suite and what it would start; otherwise it exits with run's
// code.
func Main(m *testing.M, suite, starts string, run func(*testing.M) int) {
	flag.Parse()
	if testing.Short() {
		fmt.Printf("%s: skipped with -short (it starts %s)\n", suite, starts)
		os.Exit(0)
	}
	os.Exit(run(m))
}

// IDs names bookings uniquely per run: prefix-purpose-hhmmss-n.
type IDs struct {
	prefix, nonce string
	n             atomic.Int64
}

// NewIDs returns the booking IDs of a suite, each starting with prefix.
func NewIDs(prefix string) *IDs {
	return &IDs{prefix: prefix, nonce: time.Now().UTC().Format("150405")}
}

// Next is a new booking ID that names the test's purpose.
func (b *IDs) Next(purpose string) string {
	return fmt.Sprintf("%s-%s-%s-%d", b.prefix, purpose, b.nonce, b.n.Add(1))
}

// BRL is an amount in reais, minor units.
func BRL(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "BRL"} }

// Context is a context that ends after d or with the test.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Authorize starts the booking's workflow and waits for its authorization;
// an error fails the test.
func Authorize(t testing.TB, ctx context.Context, s *starter.Starter, in workflows.BookingPaymentInput) workflows.AuthorizationResult {
	t.Helper()
	res, err := s.Authorize(ctx, in)
	if err != nil {
		t.Fatalf("authorize %s: %v", in.BookingID, err)
	}
	return res
}

// WaitStatus polls the status query until the booking reaches want; not
// reaching it fails the test.
func WaitStatus(t testing.TB, ctx context.Context, s *starter.Starter, id string, want workflows.Status) workflows.PaymentState {
	t.Helper()
	state, err := stack.WaitStatus(ctx, s, id, want)
	if err != nil {
		t.Fatal(err)
	}
	return state
}
