package starter

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// Booking systems import this package: it may bring the Temporal SDK and the
// workflow's contract (workflows and the types it names), nothing of this
// project's processes (configuration, logging, metrics, the worker's code).
func TestStarterDependsOnlyOnTheSDKAndTheContract(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const project = "github.com/hotelpay/a55-temporal/"
	allowed := map[string]bool{"workflows": true, "a55client": true, "money": true, "internal/cardnum": true, "starter": true, "cardvault": true}
	for _, pkg := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(pkg, project); ok && !allowed[rest] {
			t.Errorf("starter depends on %s", pkg)
		}
		if strings.HasPrefix(pkg, "github.com/rs/zerolog") {
			t.Errorf("starter depends on %s (a logging library booking systems did not choose)", pkg)
		}
	}
}

// One update id per distinct request: a repeat is the same update (the
// first answer), another request is a new one the workflow validates.
func TestAuthorizationUpdateIDIsPerRequest(t *testing.T) {
	in := workflows.AuthorizationRequest{Amount: money.Amount{Minor: 50000, Currency: "BRL"}, WalletUUID: "w", MerchantID: "m", CardLast4: "1111", CardExpiry: "12/2099"}
	other := in
	other.Amount.Minor = 60000
	if AuthorizationUpdateID(in) != AuthorizationUpdateID(in) || AuthorizationUpdateID(in) == AuthorizationUpdateID(other) {
		t.Errorf("ids %s %s %s", AuthorizationUpdateID(in), AuthorizationUpdateID(in), AuthorizationUpdateID(other))
	}
}
