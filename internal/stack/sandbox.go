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
	"time"

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
	l, err := s.FullLedger(ctx, reference)
	return l.Charges, err
}

// FullLedger is the sandbox's whole ledger: the charges (those with the
// reference_external_id when reference is not empty) and the fault counters.
func (s SandboxAdmin) FullLedger(ctx context.Context, reference string) (a55sandbox.Ledger, error) {
	var l a55sandbox.Ledger
	u := strings.TrimRight(s.BaseURL, "/") + "/_sandbox/ledger"
	if reference != "" {
		u += "?reference_external_id=" + url.QueryEscape(reference)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return l, err
	}
	resp, err := s.http().Do(req)
	if err != nil {
		return l, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return l, fmt.Errorf("GET %s: %s %s", u, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return l, fmt.Errorf("GET %s: %w", u, err)
	}
	return l, nil
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

// Token is an access token of the sandbox's client (SandboxClientID), for
// calling its API directly.
func (s SandboxAdmin) Token(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {SandboxClientID}, "client_secret": {SandboxClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http().Do(req)
	if err != nil {
		return "", fmt.Errorf("sandbox token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("sandbox token: %s, %v", resp.Status, err)
	}
	return tok.AccessToken, nil
}

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

// SetFaults replaces the sandbox's fault settings (POST /_sandbox/faults; nil: none).
func (s SandboxAdmin) SetFaults(ctx context.Context, faults map[string]a55sandbox.Fault) error {
	if faults == nil {
		faults = map[string]a55sandbox.Fault{}
	}
	return s.post(ctx, "/_sandbox/faults", faults)
}

// SetModes switches the running sandbox's vocabulary and acquirer
// (POST /_sandbox/modes; empty fields: the defaults).
func (s SandboxAdmin) SetModes(ctx context.Context, m a55sandbox.Modes) error {
	return s.post(ctx, "/_sandbox/modes", m)
}

// SetClock makes the sandbox's clock read now from this moment on
// (POST /_sandbox/clock); the process's clock is untouched.
func (s SandboxAdmin) SetClock(ctx context.Context, now time.Time) error {
	return s.post(ctx, "/_sandbox/clock", map[string]time.Time{"now": now})
}

func (s SandboxAdmin) post(ctx context.Context, path string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	u := strings.TrimRight(s.BaseURL, "/") + path
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
