package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/codec"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The helpers below are shared by the packages that test the whole stack
// (e2e, browser, security, faults) and the bench: what is the same in their
// harnesses lives here once.

// DialEncrypting connects to the project's dev server as a booking system
// does: with the payload codec keyed from the project's key file. The SDK's
// own logs are dropped. It returns the data converter too, for decoding
// payloads read from histories.
func (p *Project) DialEncrypting(ctx context.Context) (client.Client, converter.DataConverter, error) {
	ring, err := codec.KeyringFromFile(p.PayloadKeyFile())
	if err != nil {
		return nil, nil, err
	}
	dc, fc := codec.ClientOptions(ring)
	c, err := client.DialContext(ctx, client.Options{
		HostPort: p.Addrs.Temporal, Namespace: p.namespace(), DataConverter: dc, FailureConverter: fc,
		Logger: QuietLogger{},
	})
	if err != nil {
		return nil, nil, err
	}
	return c, dc, nil
}

// OpenCardKeys opens the stack's card-key store (CardKeyStore), for the
// starters of tests, the demo and the bench: they seal cards as the worker
// opens them.
func (p *Project) OpenCardKeys(ctx context.Context) (cardvault.Store, error) {
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return nil, err
	}
	dsn := p.CardKeyStore()
	if dsn == "" {
		return nil, errors.New("the production stack's card-key store exists once its server has started (Start)")
	}
	return cardstore.Open(ctx, dsn)
}

// DialPlain connects to the project's dev server with the SDK's default data
// converter: what someone without the payload keys sees. The SDK's own logs
// are dropped.
func (p *Project) DialPlain(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{HostPort: p.Addrs.Temporal, Namespace: p.namespace(), Logger: QuietLogger{}})
}

// WaitStatus polls the booking's status query until it reports want. When
// ctx ends first, the error names the last status seen and its history.
func WaitStatus(ctx context.Context, s *starter.Starter, id string, want workflows.Status) (workflows.PaymentState, error) {
	var last workflows.PaymentState
	var lastErr error
	for {
		st, err := s.Status(ctx, id)
		if err == nil {
			last = st
			if st.Status == want {
				return st, nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("booking %s: status %q (err %v), want %q; history %+v", id, last.Status, lastErr, want, last.History)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WriteOutputs writes the end of every process's output, at most n bytes
// each, for the diagnosis of a failed run.
func (p *Project) WriteOutputs(w io.Writer, n int) {
	for _, proc := range p.Group().Processes() {
		fmt.Fprintf(w, "\n----- %s (pid %d, last output) -----\n%s\n", proc.Name, proc.Pid(), Tail(proc.Output(), n))
	}
}

// Tail is the last n bytes of a process's output, from a line start.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
