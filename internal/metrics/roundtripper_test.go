package metrics

import "testing"

func TestOperationKeepsCardinalityBounded(t *testing.T) {
	cases := map[string]string{
		"/api/v1/wallets/7f1e7d2a-1111-4d7e-9d3c-2b5a8f0c1e9a/charges": "POST /api/v1/wallets/:id/charges",
		"/api/v1/charges/abc123/capture":                                "POST /api/v1/charges/:id/capture",
		"/oauth2/token":                                                 "POST /oauth2/token",
	}
	for path, want := range cases {
		if got := Operation("POST", path); got != want {
			t.Errorf("Operation(%q) = %q, want %q", path, got, want)
		}
	}
}
