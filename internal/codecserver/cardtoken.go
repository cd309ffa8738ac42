package codecserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hotelpay/a55-temporal/cardvault"
)

// Card token states the codec server shows in place of the sealed card.
const (
	CardStateDestroyed = "destroyed"
	CardStateLive      = "sealed, key live"
	CardStateUnknown   = "sealed, key state unknown"
)

// showCardTokens replaces every card token's ciphertext with what an operator
// needs: whether its card can still be opened, and since when it cannot. The
// ciphertext itself is never shown. keys nil: the state is unknown.
func showCardTokens(ctx context.Context, data []byte, keys cardvault.Store, now time.Time) []byte {
	if !bytes.Contains(data, []byte(`"card_token"`)) {
		return data
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return data
	}
	changed := false
	cardvault.EachToken(v, func(tok map[string]any) {
		delete(tok, "sealed")
		tok["card_data"] = cardState(ctx, keys, tok["key_id"].(string), now)
		changed = true
	})
	if !changed {
		return data
	}
	out, err := json.Marshal(v)
	if err != nil {
		return data
	}
	return out
}

// cardState is one line: destroyed (when, why), live (until when), or unknown.
func cardState(ctx context.Context, keys cardvault.Store, id string, now time.Time) string {
	if keys == nil {
		return CardStateUnknown + " (no card-key store configured)"
	}
	info, err := keys.Info(ctx, id)
	switch {
	case errors.Is(err, cardvault.ErrKeyGone):
		return CardStateDestroyed + ": no such key in the store; the card cannot be recovered"
	case err != nil:
		return CardStateUnknown + " (the card-key store did not answer)"
	case !info.DestroyedAt.IsZero():
		return CardStateDestroyed + " at " + info.DestroyedAt.Format(time.RFC3339) + " (" + info.DestroyReason + "); the card cannot be recovered"
	case info.Destroyed(now):
		return CardStateDestroyed + ": its key's lifetime ended at " + info.ExpiresAt.Format(time.RFC3339) + "; the card cannot be recovered"
	}
	return CardStateLive + " until " + info.ExpiresAt.Format(time.RFC3339) + " at the latest (destroyed once A55 answers)"
}
