package a55sandbox

import (
	"net/http"
	"time"
)

// Charge statuses the sandbox uses (the seeds' vocabulary): its state
// machine and its ledger speak these words whatever Config.Vocabulary says.
const (
	StatusPending    = "pending"    // waiting for the 3DS challenge
	StatusAuthorized = "authorized" // hold placed (capture:false), not captured
	StatusConfirmed  = "confirmed"  // captured
	StatusPaid       = "paid"       // settled
	StatusCanceled   = "canceled"   // voided, lapsed hold, or abandoned challenge
	StatusError      = "error"      // declined or failed
	StatusRefunded   = "refunded"   // fully or partly refunded
)

// StatusPreCaptured is the public documents' word for a captured hold
// waiting to settle (VocabularyPublicDocs only).
const StatusPreCaptured = "pre_captured"

// apiStatus is the word the API answers for a charge in status (a status of
// the sandbox's own, in the seeds' words). Under VocabularyPublicDocs an
// approved hold is "confirmed" and a captured hold "pre_captured"; a
// capture:true charge is "confirmed" once approved in both.
func (s *Sandbox) apiStatus(c *charge, status string) string {
	if s.modes.Vocabulary != VocabularyPublicDocs {
		return status
	}
	switch {
	case status == StatusAuthorized:
		return StatusConfirmed
	case status == StatusConfirmed && !c.captureFlag:
		return StatusPreCaptured
	}
	return status
}

// charge is the sandbox's record of one charge. Card data is reduced to the
// last four digits and the brand as soon as the outcome is decided.
type charge struct {
	uuid, walletUUID     string
	clientID             string
	status               string
	history              []StatusChange
	currency             string
	exp                  int
	authorized           int64
	captured             int64
	captureRequested     int64 // what the capture call asked (the whole hold when it named no amount)
	released             int64
	refunded             int64
	installmentCount     int
	captureFlag          bool
	threeDS              bool
	dataOnly             bool
	challenged           bool // a 3DS challenge was started
	challengeDone        bool // the challenge was answered (page or validate)
	cardLast4, cardBrand string
	referenceExternalID  string
	transactionReference string
	webhookURL           string
	redirectURL          string
	url3DS               string
	description          string
	dueDate              string
	typeCharge           string
	merchantID           string
	eci, authStatus      string
	cavv                 string
	code, message        string
	createdAt, updatedAt time.Time
	authorizedAt         time.Time
	pendingAt            time.Time
	capturedAt           time.Time
	calls                CallCounts
	webhooks             WebhookStats
	webhookChain         chan struct{} // closed when the charge's latest event had its first attempt
	heldWebhook          chan struct{} // closed to release an event held by a reorder fault
}

// setStatusLocked moves the charge now, records the history and sends the webhook.
func (s *Sandbox) setStatusLocked(c *charge, status, reason string) {
	s.setStatusAtLocked(c, status, reason, s.now())
}

// setStatusAtLocked is setStatusLocked for a transition that fell due at a
// given time (a lapse noticed by a later sweep is recorded when it happened).
func (s *Sandbox) setStatusAtLocked(c *charge, status, reason string, now time.Time) {
	c.status = status
	c.updatedAt = now
	c.history = append(c.history, StatusChange{Status: status, At: now, Reason: reason})
	switch status {
	case StatusAuthorized:
		c.authorizedAt = now
	case StatusPending:
		c.pendingAt = now
	case StatusConfirmed:
		c.capturedAt = now
	}
	s.enqueueWebhookLocked(c)
}

// applyTimersLocked applies the clock-driven transitions due at now.
func (s *Sandbox) applyTimersLocked(c *charge, now time.Time) {
	switch c.status {
	case StatusAuthorized:
		if due := c.authorizedAt.Add(s.cfg.HoldWindow); s.cfg.HoldWindow > 0 && !now.Before(due) {
			c.released = c.authorized
			s.setStatusAtLocked(c, StatusCanceled, "authorization expired before capture", due)
		}
	case StatusPending:
		if due := c.pendingAt.Add(s.cfg.ChallengeTimeout); s.cfg.ChallengeTimeout > 0 && !now.Before(due) {
			c.released = c.authorized
			s.setStatusAtLocked(c, StatusCanceled, "3DS challenge not completed in time", due)
		}
	case StatusConfirmed:
		if due := c.capturedAt.Add(s.cfg.SettlementDelay); s.cfg.SettlementDelay > 0 && !now.Before(due) {
			s.setStatusAtLocked(c, StatusPaid, "settled", due)
		}
	}
}

// lookupLocked finds a charge of a wallet, answering A55's 404s.
func (s *Sandbox) lookupLocked(q *apiRequest, walletUUID, chargeUUID string) (*charge, *response) {
	if _, ok := s.cfg.Wallets[walletUUID]; !ok {
		return nil, apiError(http.StatusNotFound, q.requestID, "errors.wallet.not_found", "wallet_uuid", "wallet_uuid "+walletUUID+" does not exist")
	}
	c, ok := s.charges[chargeUUID]
	if !ok || c.walletUUID != walletUUID {
		return nil, apiError(http.StatusNotFound, q.requestID, "CHARGE_NOT_FOUND", "charge_uuid", "charge_uuid "+chargeUUID+" not found in wallet_uuid "+walletUUID)
	}
	s.applyTimersLocked(c, s.now())
	return c, nil
}

// amountLocal is the amount shown as local_currency: captured once captured, else authorized.
func (c *charge) amountLocal() int64 {
	if c.captured > 0 {
		return c.captured
	}
	return c.authorized
}

type installmentView struct {
	LocalCurrency     any    `json:"local_currency"`
	Currency          string `json:"currency"`
	USDCurrency       any    `json:"usd_currency"`
	EURCurrency       any    `json:"eur_currency"`
	DueDate           string `json:"due_date"`
	Status            string `json:"status"`
	InstallmentNumber int    `json:"installment_number"`
}

// view renders the charge the way create, get, list and capture answer.
func (s *Sandbox) view(c *charge) map[string]any {
	local := c.amountLocal()
	v := map[string]any{
		"uuid":                  c.uuid,
		"charge_uuid":           c.uuid,
		"wallet_uuid":           c.walletUUID,
		"status":                s.apiStatus(c, c.status),
		"reference_external_id": c.referenceExternalID,
		"transaction_reference": c.transactionReference,
		"currency":              c.currency,
		"local_currency":        decimalNumber(local, c.exp),
		"usd_currency":          decimalNumber(convert(local, c.exp, c.currency, 0), 2),
		"eur_currency":          decimalNumber(convert(local, c.exp, c.currency, 1), 2),
		"value":                 decimalNumber(c.authorized, c.exp),
		"authorized_amount":     decimalNumber(c.authorized, c.exp),
		"captured_amount":       decimalNumber(c.captured, c.exp),
		"refunded_amount":       decimalNumber(c.refunded, c.exp),
		"released_amount":       decimalNumber(c.released, c.exp),
		"type":                  c.typeCharge,
		"capture":               c.captureFlag,
		"date":                  c.createdAt.UTC().Format("2006-01-02"),
		"description":           c.description,
		"due_date":              c.dueDate,
		"installment_count":     c.installmentCount,
		"installments":          s.installments(c, local),
		"message":               nil,
		"created_at":            c.createdAt.UTC().Format(time.RFC3339),
		"updated_at":            c.updatedAt.UTC().Format(time.RFC3339),
	}
	// Fields A55 leaves out when they are empty.
	for field, value := range map[string]string{
		"merchant_id": c.merchantID, "redirect_url": c.redirectURL, "eci": c.eci, "authentication_status": c.authStatus,
	} {
		if value != "" {
			v[field] = value
		}
	}
	if c.status == StatusPending {
		v["url_3ds"] = c.url3DS
	}
	if c.status == StatusError {
		v["code"] = c.code
		v["message"] = []errorItem{{Message: c.message}}
	}
	return v
}

func (s *Sandbox) installments(c *charge, total int64) []installmentView {
	n := max(c.installmentCount, 1)
	per, rest := total/int64(n), total%int64(n)
	out := make([]installmentView, n)
	for i := range n {
		amt := per
		if i == 0 {
			amt += rest // the remainder rides on the first installment
		}
		out[i] = installmentView{
			LocalCurrency:     decimalNumber(amt, c.exp),
			Currency:          c.currency,
			USDCurrency:       decimalNumber(convert(amt, c.exp, c.currency, 0), 2),
			EURCurrency:       decimalNumber(convert(amt, c.exp, c.currency, 1), 2),
			DueDate:           c.dueDate,
			Status:            s.apiStatus(c, c.status),
			InstallmentNumber: i + 1,
		}
	}
	return out
}
