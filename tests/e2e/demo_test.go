package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/internal/stack"
)

// make demo's program runs both demo bookings to the end on a stack of its
// own, and no card number reaches its output or any process's log.
func TestDemoRunsBothBookingsWithoutLeakingCardData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	state := t.TempDir()
	cmd := env.Proj.Command(ctx, stack.BinDevstack,
		"-demo", "-exit-after-demo", "-dynamic-ports", "-skip-build", "-bin", env.Proj.BinDir, "-state", state)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("devstack -demo: %v\n%s", err, out)
	}
	output := string(out)
	for _, want := range []string{
		"hold R$ 500,00 on a Visa ending 1111",
		"captured R$ 320,00, released R$ 180,00 (status captured)",
		"authorized R$ 500,00, captured R$ 320,00, released R$ 180,00, refunded R$ 45,00",
		"refunded R$ 45,00; R$ 45,00 refunded in all, R$ 275,00 left refundable (status captured)",
		"workflow finished: captured, R$ 320,00 captured (by request)",
		"awaiting 3DS: the booking site shows the challenge page http://",
		"authorized after 3DS: R$ 1.200,00 held",
		"released (status voided)",
		"workflow finished: voided, nothing captured",
		"── demo done ──",
		"/namespaces/default/workflows/booking-demo-hotel-",
		"booking system notified (signed, verified): #1 authorized R$ 500,00; #2 captured R$ 320,00",
		"booking system notified (signed, verified): #1 awaiting_3ds (url_3ds); #2 authorized R$ 1.200,00; #3 voided (cancel)",
	} {
		if !strings.Contains(output, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", output)
	}

	// Card data never appears in what the demo printed nor in any log.
	secrets := []string{"4111111111111111", "4000000000000101", `"cvv":"123"`, "ANA SOUZA"}
	texts := map[string]string{"devstack output": output}
	logs, _ := filepath.Glob(filepath.Join(state, "logs", "*.log"))
	if len(logs) < 5 {
		t.Fatalf("expected a log per process in %s, found %v", state, logs)
	}
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	for name, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains card data %q", name, s)
			}
		}
	}
}
