package codecserver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/cardvault/cardvaulttest"
	"github.com/hotelpay/a55-temporal/cardvault/sqlitestore"
)

// A decoded booking input shows its card token's state, never its
// ciphertext: live while A55 has not answered, destroyed after.
func TestCardTokensShowTheirState(t *testing.T) {
	ctx := context.Background()
	keys, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "cardkeys.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	now := time.Now()
	tok, err := cardvault.Seal(ctx, keys, "BK-1", cardvaulttest.TestCard, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	input := `{"booking_id":"BK-1","card_token":{"key_id":"` + tok.KeyID + `","sealed":"` + tok.Sealed + `","last4":"1111"}}`

	live := string(showCardTokens(ctx, []byte(input), keys, now))
	if !strings.Contains(live, CardStateLive) || strings.Contains(live, tok.Sealed) || !strings.Contains(live, `"last4":"1111"`) {
		t.Errorf("live token shown as %s", live)
	}
	if _, err := keys.Destroy(ctx, tok.KeyID, cardvault.ReasonAnswered, now); err != nil {
		t.Fatal(err)
	}
	gone := string(showCardTokens(ctx, []byte(input), keys, now))
	if !strings.Contains(gone, CardStateDestroyed+" at ") || !strings.Contains(gone, cardvault.ReasonAnswered) || strings.Contains(gone, tok.Sealed) {
		t.Errorf("destroyed token shown as %s", gone)
	}
	if got := string(showCardTokens(ctx, []byte(input), nil, now)); !strings.Contains(got, CardStateUnknown) || strings.Contains(got, tok.Sealed) {
		t.Errorf("without a store: %s", got)
	}
	if got := string(showCardTokens(ctx, []byte(`{"amount":1}`), keys, now)); got != `{"amount":1}` {
		t.Errorf("a payload without a token changed: %s", got)
	}
}
