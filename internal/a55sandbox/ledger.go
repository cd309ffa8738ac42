package a55sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

// StatusChange is one step of a charge's history.
type StatusChange struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// CallCounts counts state-changing calls that changed something; Replays
// counts idempotent replays (answered from the stored response, nothing done).
type CallCounts struct {
	Create   int `json:"create"`
	Capture  int `json:"capture"`
	Cancel   int `json:"cancel"`
	Refund   int `json:"refund"`
	Validate int `json:"validate"` // 3DS challenge answered (page or validate call)
	Replays  int `json:"replays"`
}

// WebhookStats counts webhook deliveries of a charge.
type WebhookStats struct {
	Attempts   int `json:"attempts"`    // HTTP requests sent (retries and duplicates included)
	Delivered  int `json:"delivered"`   // answered 2xx
	Failed     int `json:"failed"`      // events given up (4xx, or every retry failed)
	Dropped    int `json:"dropped"`     // events dropped by a fault
	Duplicated int `json:"duplicated"`  // extra deliveries injected by a fault
	LastStatus int `json:"last_status"` // HTTP status of the latest attempt (0: no response)
}

// LedgerEntry is everything the sandbox knows about one charge (never card data beyond last4).
type LedgerEntry struct {
	ChargeUUID           string         `json:"charge_uuid"`
	WalletUUID           string         `json:"wallet_uuid"`
	Status               string         `json:"status"` // the seeds' word, whatever the vocabulary
	APIStatus            string         `json:"api_status"`
	Code                 string         `json:"code,omitempty"`
	ReferenceExternalID  string         `json:"reference_external_id,omitempty"`
	TransactionReference string         `json:"transaction_reference"`
	CaptureFlag          bool           `json:"capture"`
	ThreeDS              bool           `json:"threeds_authentication"`
	CardLast4            string         `json:"card_last4"`
	CardBrand            string         `json:"card_brand"`
	Authorized           money.Amount   `json:"authorized"`
	Captured             money.Amount   `json:"captured"`
	CaptureRequested     money.Amount   `json:"capture_requested"` // what the capture call asked (differs from Captured under AcquirerFullCapture)
	Released             money.Amount   `json:"released"`
	Refunded             money.Amount   `json:"refunded"`
	History              []StatusChange `json:"history"`
	Calls                CallCounts     `json:"calls"`
	Webhooks             WebhookStats   `json:"webhooks"`
	CreatedAt            time.Time      `json:"created_at"`
}

// Ledger is the admin view: every charge and the faults injected so far.
type Ledger struct {
	Vocabulary     string         `json:"vocabulary"`
	Acquirer       string         `json:"acquirer"`
	Charges        []LedgerEntry  `json:"charges"`
	FaultsInjected map[string]int `json:"faults_injected"`
	// IdempotencyKeyReused counts requests answered 409
	// IDEMPOTENCY_KEY_REUSED for real (not injected): a client sent another
	// body under a key it had used.
	IdempotencyKeyReused int `json:"idempotency_key_reused"`
	// ReplaysAcrossMidnight counts idempotent replays answered on another
	// UTC day (the sandbox's clock) than the answer they replay.
	ReplaysAcrossMidnight int `json:"replays_across_midnight"`
}

func (s *Sandbox) entryLocked(c *charge) LedgerEntry {
	amt := func(minor int64) money.Amount {
		return money.Amount{Minor: minor, Currency: money.Currency(c.currency)}
	}
	return LedgerEntry{
		ChargeUUID: c.uuid, WalletUUID: c.walletUUID, Status: c.status, APIStatus: s.apiStatus(c, c.status), Code: c.code,
		ReferenceExternalID: c.referenceExternalID, TransactionReference: c.transactionReference,
		CaptureFlag: c.captureFlag, ThreeDS: c.threeDS, CardLast4: c.cardLast4, CardBrand: c.cardBrand,
		Authorized: amt(c.authorized), Captured: amt(c.captured), CaptureRequested: amt(c.captureRequested), Released: amt(c.released), Refunded: amt(c.refunded),
		History: append([]StatusChange(nil), c.history...), Calls: c.calls, Webhooks: c.webhooks, CreatedAt: c.createdAt,
	}
}

// Ledger returns every charge in creation order and the fault counters.
func (s *Sandbox) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	l := Ledger{Vocabulary: s.modes.Vocabulary, Acquirer: s.modes.Acquirer, Charges: []LedgerEntry{},
		FaultsInjected: map[string]int{}, IdempotencyKeyReused: s.keyReused,
		ReplaysAcrossMidnight: s.replaysAcrossMidnight}
	for _, c := range s.order {
		l.Charges = append(l.Charges, s.entryLocked(c))
	}
	for k, v := range s.faultCounts {
		l.FaultsInjected[k] = v
	}
	return l
}

// Charge returns one charge's ledger entry.
func (s *Sandbox) Charge(chargeUUID string) (LedgerEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.charges[chargeUUID]
	if !ok {
		return LedgerEntry{}, false
	}
	s.applyTimersLocked(c, s.now())
	return s.entryLocked(c), true
}

// ChargesByReference returns the ledger entries with this reference_external_id
// (e.g. every charge of one booking).
func (s *Sandbox) ChargesByReference(ref string) []LedgerEntry {
	var out []LedgerEntry
	for _, e := range s.Ledger().Charges {
		if e.ReferenceExternalID == ref {
			out = append(out, e)
		}
	}
	return out
}

// serveLedger is GET /_sandbox/ledger[?charge_uuid=…][&reference_external_id=…].
func (s *Sandbox) serveLedger(w http.ResponseWriter, r *http.Request) {
	l := s.Ledger()
	q := r.URL.Query()
	if id, ref := q.Get("charge_uuid"), q.Get("reference_external_id"); id != "" || ref != "" {
		kept := []LedgerEntry{}
		for _, e := range l.Charges {
			if (id == "" || e.ChargeUUID == id) && (ref == "" || e.ReferenceExternalID == ref) {
				kept = append(kept, e)
			}
		}
		l.Charges = kept
	}
	writeResponse(w, jsonResponse(http.StatusOK, l))
}

// serveFaults is GET /_sandbox/faults: the settings and the counters.
func (s *Sandbox) serveFaults(w http.ResponseWriter, _ *http.Request) {
	writeResponse(w, jsonResponse(http.StatusOK, map[string]any{"faults": s.Faults(), "faults_injected": s.FaultCounts()}))
}

// replaceFaults is POST or PUT /_sandbox/faults {endpoint: Fault}.
func (s *Sandbox) replaceFaults(w http.ResponseWriter, r *http.Request) {
	replaceSetting(w, r, "faults", 1<<20, s.SetFaults, s.serveFaults)
}

// replaceSetting serves an admin call that replaces a setting: the body
// decoded as T (unknown fields refused), applied by set, then shown.
func replaceSetting[T any](w http.ResponseWriter, r *http.Request, what string, maxBody int64, set func(T) error, show http.HandlerFunc) {
	var v T
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		writeResponse(w, apiError(http.StatusBadRequest, newRequestID(), "INVALID_JSON", "", what+" body: "+err.Error()))
		return
	}
	if err := set(v); err != nil {
		writeResponse(w, apiError(http.StatusBadRequest, newRequestID(), "VALIDATION_ERROR", "", err.Error()))
		return
	}
	show(w, r)
}

// clearFaults is DELETE /_sandbox/faults.
func (s *Sandbox) clearFaults(w http.ResponseWriter, r *http.Request) {
	s.SetFaults(nil)
	s.serveFaults(w, r)
}

// serveReset is POST /_sandbox/reset.
func (s *Sandbox) serveReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	writeResponse(w, jsonResponse(http.StatusOK, map[string]any{"status": "reset"}))
}

// serveClock is GET /_sandbox/clock: the sandbox's time.
func (s *Sandbox) serveClock(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	writeResponse(w, jsonResponse(http.StatusOK, map[string]any{
		"now": now.UTC().Format(time.RFC3339Nano), "offset": time.Duration(s.clockOffset.Load()).String()}))
}

// setClock is POST /_sandbox/clock {"now":"<RFC 3339>"}: see SetClock.
func (s *Sandbox) setClock(w http.ResponseWriter, r *http.Request) {
	type clockBody struct {
		Now time.Time `json:"now"`
	}
	replaceSetting(w, r, "clock", 1<<10, func(b clockBody) error {
		if b.Now.IsZero() {
			return errors.New(`clock body must be {"now":"<RFC 3339 time>"}`)
		}
		s.SetClock(b.Now)
		s.Sweep()
		return nil
	}, s.serveClock)
}

// resetClock is DELETE /_sandbox/clock: back to the configured clock.
func (s *Sandbox) resetClock(w http.ResponseWriter, r *http.Request) {
	s.SetClock(time.Time{})
	s.serveClock(w, r)
}

// serveModes is GET /_sandbox/modes: the vocabulary and the acquirer.
func (s *Sandbox) serveModes(w http.ResponseWriter, _ *http.Request) {
	writeResponse(w, jsonResponse(http.StatusOK, s.Modes()))
}

// replaceModes is POST /_sandbox/modes {"vocabulary","acquirer"}: see SetModes.
func (s *Sandbox) replaceModes(w http.ResponseWriter, r *http.Request) {
	replaceSetting(w, r, "modes", 1<<10, s.SetModes, s.serveModes)
}
