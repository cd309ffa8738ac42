package workflows_test

import (
	"testing"

	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// The maximum itself is allowed; a merchant's own maximum wins over the
// default, and a zero one means "not set".
func TestHoldLimitsBoundaries(t *testing.T) {
	l := workflows.HoldLimits{Default: 1000, Merchant: map[string]int64{"big": 5000, "unset": 0}}
	for _, c := range []struct {
		merchant string
		minor    int64
		ok       bool
	}{
		{"any", 1000, true}, {"any", 1001, false},
		{"big", 5000, true}, {"big", 5001, false},
		{"unset", 1000, true}, {"unset", 1001, false},
	} {
		err := l.Check(c.merchant, money.Amount{Minor: c.minor, Currency: "BRL"})
		if (err == nil) != c.ok {
			t.Errorf("%s, %d minor: err = %v, want ok=%v", c.merchant, c.minor, err, c.ok)
		}
	}
	if got := (workflows.HoldLimits{}).Max("any"); got != workflows.DefaultMaxHoldMinor {
		t.Errorf("empty limits: max %d, want the default %d", got, workflows.DefaultMaxHoldMinor)
	}
}
