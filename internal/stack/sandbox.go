package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/hotelpay/a55-temporal/internal/a55sandbox"
)

// SandboxAdmin reads a running sandbox's ledger and plays the card holder on
// its 3DS challenge page, over HTTP, the way a tester with curl would.
type SandboxAdmin struct {
	BaseURL string
	HTTP    *http.Client // nil = http.DefaultClient
}

func (s SandboxAdmin) http() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return http.DefaultClient
}

// Ledger lists the sandbox's charges; a non-empty reference keeps those with
// that reference_external_id.
func (s SandboxAdmin) Ledger(ctx context.Context, reference string) ([]a55sandbox.LedgerEntry, error) {
	u := strings.TrimRight(s.BaseURL, "/") + "/_sandbox/ledger"
	if reference != "" {
		u += "?reference_external_id=" + url.QueryEscape(reference)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET %s: %s %s", u, resp.Status, b)
	}
	var l a55sandbox.Ledger
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return l.Charges, nil
}

// SetFaults replaces the sandbox's fault settings (POST /_sandbox/faults);
// nil clears them.
func (s SandboxAdmin) SetFaults(ctx context.Context, faults map[string]a55sandbox.Fault) error {
	if faults == nil {
		faults = map[string]a55sandbox.Fault{}
	}
	body, err := json.Marshal(faults)
	if err != nil {
		return err
	}
	u := strings.TrimRight(s.BaseURL, "/") + "/_sandbox/faults"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("POST %s: %s %s", u, resp.Status, b)
	}
	return nil
}

// Charge returns one charge's ledger entry.
func (s SandboxAdmin) Charge(ctx context.Context, chargeUUID string) (a55sandbox.LedgerEntry, error) {
	entries, err := s.Ledger(ctx, "")
	if err != nil {
		return a55sandbox.LedgerEntry{}, err
	}
	for _, e := range entries {
		if e.ChargeUUID == chargeUUID {
			return e, nil
		}
	}
	return a55sandbox.LedgerEntry{}, fmt.Errorf("charge %s is not in the sandbox ledger", chargeUUID)
}

// The challenge form posts to its action, or to the page itself without one.
var challengeForm = regexp.MustCompile(`<form method="post"(?: action="([^"]*)")?`)

// CompleteChallenge opens the url_3ds page and presses Approve (approve
// true) or Fail, as the card holder would in a browser.
func (s SandboxAdmin) CompleteChallenge(ctx context.Context, url3DS string, approve bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url3DS, nil)
	if err != nil {
		return err
	}
	resp, err := s.http().Do(req)
	if err != nil {
		return fmt.Errorf("GET url_3ds: %w", err)
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET url_3ds: %s", resp.Status)
	}
	m := challengeForm.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("GET url_3ds: the page has no challenge form (already answered?)")
	}
	base, err := url.Parse(url3DS)
	if err != nil {
		return err
	}
	action, err := base.Parse(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	if err != nil {
		return err
	}
	answer := "fail"
	if approve {
		answer = "approve"
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, action.String(),
		strings.NewReader(url.Values{"action": {answer}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = s.http().Do(req)
	if err != nil {
		return fmt.Errorf("POST the challenge: %w", err)
	}
	result, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(result), `id="result"`) {
		return fmt.Errorf("POST the challenge: %s", resp.Status)
	}
	return nil
}
