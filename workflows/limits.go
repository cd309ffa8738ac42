package workflows

import "github.com/hotelpay/a55-temporal/money"

// DefaultMaxHoldMinor caps a hold when nothing else is configured: 10,000,000
// minor units (R$ 100.000,00). A hotel night or a car rental is far below
// it; an amount above it is a mistake (a price sent in centavos twice, a
// test value), refused before any card is touched.
const DefaultMaxHoldMinor int64 = 10_000_000

// ErrTypeHoldLimit is the activity's refusal of a hold above the worker's
// limit: A55 was not asked, so no charge exists.
const ErrTypeHoldLimit = "HoldLimit"

// HoldLimits is the largest hold each merchant may place, in minor units of
// the booking's currency. The starter checks it before anything starts; the
// worker checks it again before asking A55 (a client in another language
// may not).
type HoldLimits struct {
	// Default applies to merchants not in Merchant (0 = DefaultMaxHoldMinor).
	Default int64 `json:"default,omitempty"`
	// Merchant maps merchant_id to its own maximum.
	Merchant map[string]int64 `json:"merchant,omitempty"`
}

// Max is the maximum hold of the merchant.
func (l HoldLimits) Max(merchantID string) int64 {
	if m, ok := l.Merchant[merchantID]; ok && m > 0 {
		return m
	}
	if l.Default > 0 {
		return l.Default
	}
	return DefaultMaxHoldMinor
}

// Check refuses an amount above the merchant's maximum with an *InputError
// naming the field and the rule.
func (l HoldLimits) Check(merchantID string, amount money.Amount) error {
	if max := l.Max(merchantID); amount.Minor > max {
		var p inputProblems
		p.add("amount", "must be at most %s for merchant %s (the configured maximum hold)",
			money.Amount{Minor: max, Currency: amount.Currency}.Display(), merchantID)
		return &InputError{Problems: p}
	}
	return nil
}
