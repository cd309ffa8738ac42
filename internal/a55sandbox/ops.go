package a55sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleGet is GET /charge/?charge_uuid=&wallet_uuid= and GET /charge/{uuid}/ (wallet optional there).
func (s *Sandbox) handleGet(q *apiRequest) *response {
	query := q.r.URL.Query()
	chargeUUID := q.r.PathValue("charge_uuid")
	byPath := chargeUUID != ""
	if !byPath {
		chargeUUID = query.Get("charge_uuid")
	}
	walletUUID := query.Get("wallet_uuid")
	f := &form{}
	if chargeUUID == "" {
		f.fail(400, "VALIDATION_ERROR", "charge_uuid", "is required (query parameter)")
	}
	if walletUUID == "" && !byPath {
		f.fail(400, "VALIDATION_ERROR", "wallet_uuid", "is required (query parameter)")
	}
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	if walletUUID == "" {
		if c, ok := s.charges[chargeUUID]; ok {
			walletUUID = c.walletUUID
		} else {
			return apiError(http.StatusNotFound, q.requestID, "CHARGE_NOT_FOUND", "charge_uuid", "charge_uuid "+chargeUUID+" not found")
		}
	}
	c, resp := s.lookupLocked(q, walletUUID, chargeUUID)
	if resp != nil {
		return resp
	}
	return jsonResponse(http.StatusOK, s.view(c))
}

// handleList is GET /charges/?wallet_uuid=&page=&limit=&filter=status:x&sort=created:desc&date_start=&date_end=.
func (s *Sandbox) handleList(q *apiRequest) *response {
	query := q.r.URL.Query()
	f := &form{}
	wallet := query.Get("wallet_uuid")
	if wallet == "" {
		f.fail(400, "VALIDATION_ERROR", "wallet_uuid", "is required (query parameter)")
	}
	page, limit := 1, 20
	if v := query.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			f.fail(400, "VALIDATION_ERROR", "page", "must be an integer ≥ 1, got %q", v)
		} else {
			page = n
		}
	}
	if v := query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			f.fail(400, "VALIDATION_ERROR", "limit", "must be an integer between 1 and 100, got %q", v)
		} else {
			limit = n
		}
	}
	filters := map[string]string{}
	if v := query.Get("filter"); v != "" {
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(part, ":")
			if !ok || (k != "status" && k != "reference_external_id") || val == "" {
				f.fail(400, "VALIDATION_ERROR", "filter", "supports status:<status> and reference_external_id:<id>, got %q", part)
				continue
			}
			filters[k] = val
		}
	}
	desc := false
	switch v := query.Get("sort"); v {
	case "", "created:asc":
	case "created:desc":
		desc = true
	default:
		f.fail(400, "VALIDATION_ERROR", "sort", "supports created:asc and created:desc, got %q", v)
	}
	parseBound := func(name string) time.Time {
		v := query.Get(name)
		if v == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			f.fail(400, "VALIDATION_ERROR", name, "must be YYYY-MM-DD or RFC 3339, got %q", v)
		} else if name == "date_end" {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t
	}
	from, to := parseBound("date_start"), parseBound("date_end")
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cfg.Wallets[wallet]; !ok {
		return apiError(http.StatusNotFound, q.requestID, "errors.wallet.not_found", "wallet_uuid", "wallet_uuid "+wallet+" does not exist")
	}
	s.sweepLocked()
	var match []*charge
	for _, c := range s.order {
		if c.walletUUID != wallet ||
			filters["status"] != "" && s.apiStatus(c, c.status) != filters["status"] ||
			filters["reference_external_id"] != "" && c.referenceExternalID != filters["reference_external_id"] ||
			!from.IsZero() && c.createdAt.Before(from) || !to.IsZero() && c.createdAt.After(to) {
			continue
		}
		match = append(match, c)
	}
	if desc {
		for i, j := 0, len(match)-1; i < j; i, j = i+1, j-1 {
			match[i], match[j] = match[j], match[i]
		}
	}
	data := []map[string]any{}
	for i := (page - 1) * limit; i < len(match) && i < page*limit; i++ {
		data = append(data, s.view(match[i]))
	}
	return jsonResponse(http.StatusOK, map[string]any{"data": data, "page": page, "limit": limit, "total": len(match)})
}

// handleCapture is POST /charge/capture/ {charge_uuid, wallet_uuid, amount?}.
func (s *Sandbox) handleCapture(q *apiRequest) *response {
	f, bad := q.form(false)
	if bad != nil {
		return bad
	}
	chargeUUID := f.str("charge_uuid", true)
	walletUUID := f.str("wallet_uuid", true)
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, resp := s.lookupLocked(q, walletUUID, chargeUUID)
	if resp != nil {
		return resp
	}
	amount, partial := f.amount("amount", c.exp)
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	if c.status != StatusAuthorized {
		return apiError(http.StatusBadRequest, q.requestID, "errors.wallet.charge_capture_not_available", "charge_uuid",
			"charge must be "+s.apiStatus(c, StatusAuthorized)+" (an uncaptured hold) to be captured; it is "+s.apiStatus(c, c.status))
	}
	if !partial {
		amount = c.authorized
	}
	if amount > c.authorized {
		return apiError(http.StatusUnprocessableEntity, q.requestID, "amount_exceeds_authorization", "amount",
			"amount "+formatDecimal(amount, c.exp)+" exceeds the authorized "+formatDecimal(c.authorized, c.exp))
	}
	c.captureRequested = amount
	reason := "captured in full"
	if s.modes.Acquirer == AcquirerFullCapture && amount < c.authorized {
		// An acquirer without partial capture books the whole hold; the
		// answer's local_currency says so.
		reason = "captured in full: " + formatDecimal(amount, c.exp) + " asked, the acquirer does not capture in part"
		amount = c.authorized
	}
	c.captured = amount
	c.released = c.authorized - amount
	c.calls.Capture++
	if c.released > 0 {
		reason = "captured " + formatDecimal(amount, c.exp) + ", released " + formatDecimal(c.released, c.exp)
	}
	s.setStatusLocked(c, StatusConfirmed, reason)
	resp = jsonResponse(http.StatusOK, s.view(c))
	resp.chargeUUID = c.uuid
	return resp
}

// shapeA is the error shape A55 documents for cancel: {"charge_uuid","status":"error","message":[{code,source,description}]}.
func shapeA(status int, requestID, chargeUUID, code, source, description string) *response {
	return jsonResponse(status, map[string]any{
		"charge_uuid": chargeUUID,
		"status":      "error",
		"code":        code,
		"message":     []map[string]string{{"code": code, "source": source, "description": description}},
		"request_id":  requestID,
	})
}

// onCharge serves an operation on the charge named in the path (cancel,
// refund): it reads the body, an optional JSON object with an optional
// reason, looks the charge up and, holding the lock, answers with op.
func (s *Sandbox) onCharge(q *apiRequest, op func(q *apiRequest, f *form, reason string, c *charge) *response) *response {
	f, bad := q.form(true)
	if bad != nil {
		return bad
	}
	reason := f.str("reason", false)
	if invalid := f.response(q.requestID); invalid != nil {
		return invalid
	}
	chargeUUID, walletUUID := q.r.PathValue("charge_uuid"), q.r.PathValue("wallet_uuid")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, resp := s.lookupLocked(q, walletUUID, chargeUUID)
	if resp != nil {
		return resp
	}
	return op(q, f, reason, c)
}

// handleCancel is POST /charge/{charge_uuid}/cancel/{wallet_uuid}/ {reason?}.
func (s *Sandbox) handleCancel(q *apiRequest) *response {
	return s.onCharge(q, s.cancelLocked)
}

func (s *Sandbox) cancelLocked(q *apiRequest, _ *form, reason string, c *charge) *response {
	switch c.status {
	case StatusAuthorized, StatusPending:
	case StatusCanceled:
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "CANCEL_NOT_ALLOWED", "charge", "charge is already canceled")
	case StatusConfirmed, StatusPaid, StatusRefunded:
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "CANCEL_NOT_ALLOWED", "charge", "charge is already captured or settled; use refund instead")
	default:
		return shapeA(http.StatusBadRequest, q.requestID, c.uuid, "CANCEL_NOT_ALLOWED", "charge", "charge in status "+c.status+" cannot be canceled")
	}
	c.released = c.authorized
	c.calls.Cancel++
	if reason == "" {
		reason = "canceled by the merchant"
	}
	s.setStatusLocked(c, StatusCanceled, reason)
	resp := jsonResponse(http.StatusOK, map[string]any{
		"charge_uuid": c.uuid, "uuid": c.uuid, "wallet_uuid": c.walletUUID, "status": c.status,
		"currency": c.currency, "released_amount": decimalNumber(c.released, c.exp), "message": map[string]any{},
	})
	resp.chargeUUID = c.uuid
	return resp
}

// handleRefund is POST /charge/{charge_uuid}/refund/{wallet_uuid}/ {amount?, reason?}.
func (s *Sandbox) handleRefund(q *apiRequest) *response {
	return s.onCharge(q, s.refundLocked)
}

func (s *Sandbox) refundLocked(q *apiRequest, f *form, reason string, c *charge) *response {
	amount, partial := f.amount("amount", c.exp)
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}
	remaining := c.captured - c.refunded
	switch c.status {
	case StatusConfirmed, StatusPaid, StatusRefunded:
	case StatusAuthorized, StatusPending:
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "REFUND_NOT_ALLOWED", "charge", "charge is not captured; use cancel to release the hold")
	default:
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "REFUND_NOT_ALLOWED", "charge", "charge in status "+c.status+" cannot be refunded")
	}
	if remaining <= 0 {
		return shapeA(http.StatusConflict, q.requestID, c.uuid, "REFUND_NOT_ALLOWED", "charge", "charge is already fully refunded")
	}
	if !partial {
		amount = remaining
	}
	if amount > remaining {
		return apiError(http.StatusUnprocessableEntity, q.requestID, "amount_exceeds_refundable", "amount",
			"amount "+formatDecimal(amount, c.exp)+" exceeds the refundable "+formatDecimal(remaining, c.exp))
	}
	c.refunded += amount
	c.calls.Refund++
	if reason == "" {
		reason = "refunded " + formatDecimal(amount, c.exp)
	}
	s.setStatusLocked(c, StatusRefunded, reason)
	v := s.view(c)
	v["refund_amount"] = decimalNumber(amount, c.exp)
	v["amount_remaining"] = decimalNumber(c.captured-c.refunded, c.exp)
	resp := jsonResponse(http.StatusOK, v)
	resp.chargeUUID = c.uuid
	return resp
}
