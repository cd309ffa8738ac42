package a55client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

// ChargeRequest is the create-charge body exactly as A55 reads it: the seeds'
// field names and JSON types. Amounts are Decimal (major units).
type ChargeRequest struct {
	WalletUUID            string       `json:"wallet_uuid"`
	MerchantID            string       `json:"merchant_id,omitempty"`
	PayerName             string       `json:"payer_name,omitempty"`
	PayerEmail            string       `json:"payer_email,omitempty"`
	PayerCellPhone        string       `json:"payer_cell_phone,omitempty"`
	PayerTaxID            string       `json:"payer_tax_id,omitempty"`
	Items                 []ItemWire   `json:"items,omitempty"`
	PayerAddress          *AddressWire `json:"payer_address,omitempty"`
	Currency              string       `json:"currency"`
	Amount                *Decimal     `json:"amount,omitempty"`
	InstallmentValue      *Decimal     `json:"installment_value,omitempty"`
	InstallmentCount      int          `json:"installment_count,omitempty"`
	DueDate               string       `json:"due_date,omitempty"`
	Description           string       `json:"description,omitempty"`
	TypeCharge            string       `json:"type_charge"`
	CardName              string       `json:"card_name"`
	CardNumber            string       `json:"card_number"`
	CardExpiryMonth       int          `json:"card_expiry_month"`
	CardExpiryYear        int          `json:"card_expiry_year"`
	CardCVV               string       `json:"card_cvv"`
	ReferenceExternalID   string       `json:"reference_external_id,omitempty"`
	Capture               *bool        `json:"capture,omitempty"` // the client always sets it
	ThreeDSAuthentication bool         `json:"threeds_authentication"`
	DataOnly              bool         `json:"data_only,omitempty"`
	DeviceInfo            *DeviceInfo  `json:"device_info,omitempty"`
	WebhookURL            string       `json:"webhook_url,omitempty"`
	RedirectURL           string       `json:"redirect_url,omitempty"`
}

// ChargeRequest carries card data: fmt prints a summary without it.
func (r ChargeRequest) String() string {
	return fmt.Sprintf("ChargeRequest{wallet_uuid:%s currency:%s amount:%v installment_count:%d card:%s}",
		r.WalletUUID, r.Currency, decOrEmpty(r.Amount), r.InstallmentCount, Card{Number: r.CardNumber})
}

// GoString is String.
func (r ChargeRequest) GoString() string { return r.String() }

// Format implements fmt.Formatter for every verb.
func (r ChargeRequest) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

func decOrEmpty(d *Decimal) string {
	if d == nil {
		return ""
	}
	return string(*d)
}

// ItemWire is one items[] entry. The seeds call the unit price "value", the
// public docs "unit_amount" (with "total_amount"); the client sends all three.
type ItemWire struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Quantity    int      `json:"quantity"`
	Value       *Decimal `json:"value,omitempty"`
	UnitAmount  *Decimal `json:"unit_amount,omitempty"`
	TotalAmount *Decimal `json:"total_amount,omitempty"`
	SKU         string   `json:"sku,omitempty"`
	Code        string   `json:"code,omitempty"`
}

// AddressWire is payer_address: the Address, with the postal code sent as
// both zip_code (seeds) and postal_code (public docs). Its own PostalCode
// shadows the Address's in JSON, so that an empty one is left out.
type AddressWire struct {
	Address
	ZipCode    string `json:"zip_code,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

type captureRequest struct {
	ChargeUUID string   `json:"charge_uuid"`
	WalletUUID string   `json:"wallet_uuid"`
	Amount     *Decimal `json:"amount,omitempty"`
}

type cancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

type refundRequest struct {
	Amount *Decimal `json:"amount,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

type validate3DSRequest struct {
	TransactionID string `json:"transaction_id"`
}

// looseString decodes a JSON string, number or bool as text and anything else
// (null, objects, arrays) as empty, so an odd type in a field the client only
// reports never makes a whole answer undecodable.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = looseString(v)
	case '{', '[', 'n':
		*s = ""
	default:
		*s = looseString(b)
	}
	return nil
}

// looseInt decodes a JSON number or numeric string; anything else is zero.
type looseInt int

func (n *looseInt) UnmarshalJSON(b []byte) error {
	var s looseString
	_ = s.UnmarshalJSON(b)
	var v int
	if _, err := fmt.Sscan(string(s), &v); err == nil {
		*n = looseInt(v)
	}
	return nil
}

// chargeWire is every charge field A55 is known to send, in both
// vocabularies. Unknown fields are ignored.
type chargeWire struct {
	UUID                 looseString     `json:"uuid"`
	ChargeUUID           looseString     `json:"charge_uuid"`
	WalletUUID           looseString     `json:"wallet_uuid"`
	Status               looseString     `json:"status"`
	URL3DS               looseString     `json:"url_3ds"`
	ActionURL            looseString     `json:"action_url"`
	ReferenceExternalID  looseString     `json:"reference_external_id"`
	TransactionReference looseString     `json:"transaction_reference"`
	ECI                  looseString     `json:"eci"`
	AuthenticationStatus looseString     `json:"authentication_status"`
	CAVV                 looseString     `json:"cavv"`
	Currency             looseString     `json:"currency"`
	LocalCurrency        *Decimal        `json:"local_currency"`
	Value                *Decimal        `json:"value"`
	Amount               *Decimal        `json:"amount"`
	RefundedAmount       *Decimal        `json:"refunded_amount"`
	AmountRemaining      *Decimal        `json:"amount_remaining"`
	Code                 looseString     `json:"code"`
	Message              json.RawMessage `json:"message"`
	CreatedAt            looseString     `json:"created_at"`
}

func (w *chargeWire) id() string {
	if w.UUID != "" {
		return string(w.UUID)
	}
	return string(w.ChargeUUID)
}

func (w *chargeWire) url3DS() string {
	if w.URL3DS != "" {
		return string(w.URL3DS)
	}
	return string(w.ActionURL)
}

// DecodeCharge decodes a charge as A55 sends it (any endpoint's answer or a
// webhook body), mapping its status through the vocabulary. It is what every
// call of the client uses.
func DecodeCharge(body []byte, v Vocabulary) (*Charge, error) { return decodeCharge(body, v) }

// decodeCharge turns a charge body into a Charge. The only hard errors are a
// body that is not a JSON object and an amount that is not an exact decimal in
// the charge's currency: the client never guesses a sum of money.
func decodeCharge(body []byte, v Vocabulary) (*Charge, error) {
	var w chargeWire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decoding charge: %w", err)
	}
	return chargeFromWire(&w, body, v)
}

func chargeFromWire(w *chargeWire, raw []byte, v Vocabulary) (*Charge, error) {
	msg, code := flattenMessage(w.Message)
	if w.Code != "" {
		code = string(w.Code)
	}
	c := &Charge{
		UUID:                 w.id(),
		WalletUUID:           string(w.WalletUUID),
		Status:               string(w.Status),
		URL3DS:               w.url3DS(),
		ReferenceExternalID:  string(w.ReferenceExternalID),
		TransactionReference: string(w.TransactionReference),
		ECI:                  string(w.ECI),
		AuthenticationStatus: string(w.AuthenticationStatus),
		Code:                 code,
		Message:              msg,
		Raw:                  raw,
		CreatedAt:            parseCreatedAt(string(w.CreatedAt)),
	}
	c.State = MapStatus(c.Status, c.URL3DS, v)
	amt, err := w.amount()
	if err != nil {
		return nil, err
	}
	c.Amount = amt
	if c.Refunded, err = w.inCurrency(w.RefundedAmount, "refunded_amount"); err != nil {
		return nil, err
	}
	if c.AmountRemaining, err = w.inCurrency(w.AmountRemaining, "amount_remaining"); err != nil {
		return nil, err
	}
	return c, nil
}

// inCurrency reads one of the charge's figures (its amount; refunded_amount:
// what A55 has refunded of it in all; amount_remaining: what it can still
// refund) in the charge's currency; nil when A55 did not say.
func (w *chargeWire) inCurrency(d *Decimal, field string) (*money.Amount, error) {
	cur := money.Currency(strings.ToUpper(strings.TrimSpace(string(w.Currency))))
	if d == nil || !cur.Known() {
		return nil, nil
	}
	a, err := ParseAmount(*d, cur)
	if err != nil {
		return nil, fmt.Errorf("decoding charge %s: %w", field, err)
	}
	return &a, nil
}

// parseCreatedAt reads created_at (RFC 3339, with or without fractional
// seconds or a zone); anything else is unknown (zero): A55 documents the
// field's name, not its format.
func parseCreatedAt(v string) time.Time {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// amount reads local_currency (preferred), else value, else amount, in the
// charge's currency. Without a known currency there is nothing exact to say.
func (w *chargeWire) amount() (*money.Amount, error) {
	d := w.LocalCurrency
	field := "local_currency"
	if d == nil {
		d, field = w.Value, "value"
	}
	if d == nil {
		d, field = w.Amount, "amount"
	}
	return w.inCurrency(d, field)
}

// IsConfirmed reports whether A55 answered "confirmed": a capture in the
// seeds' words, an approved hold waiting for its capture in the public
// documents'. On its own it proves neither (MapStatus picks one meaning by
// the Vocabulary); callers that must not guess check it first.
func IsConfirmed(status string) bool {
	return strings.EqualFold(strings.TrimSpace(status), "confirmed")
}

// MapStatus maps A55's status to the project's State. "confirmed" depends on
// the vocabulary; "pending" is a 3DS wait only when a challenge URL came with
// it. Unknown statuses map to StateUnknown (re-read the charge later).
func MapStatus(status, url3DS string, v Vocabulary) State {
	s := strings.ToLower(strings.TrimSpace(status))
	switch s {
	case "authorized":
		return StateAuthorized
	case "pending":
		if url3DS != "" {
			return StatePending3DS
		}
		return StateProcessing
	case "issued":
		return StateProcessing
	case "pre_captured", "paid":
		return StateCaptured
	case "confirmed":
		if v == VocabularyPublicDocs {
			return StateAuthorized
		}
		return StateCaptured
	case "canceled", "cancelled":
		return StateCanceled
	case "error", "declined", "failed":
		return StateFailed
	case "refunded":
		return StateRefunded
	case "refund_error":
		return StateRefundFailed
	case "pre_chargeback_resolution":
		return StateDisputed
	}
	if strings.HasPrefix(s, "chargeback") {
		return StateDisputed
	}
	return StateUnknown
}

// messagePart is one element of A55's message array, in either shape:
// {"message"} (seeds) or {"code","source","description"} (public docs).
type messagePart struct {
	Message     looseString `json:"message"`
	Description looseString `json:"description"`
	Code        looseString `json:"code"`
	Source      looseString `json:"source"`
}

func (p messagePart) text() string {
	switch {
	case p.Description != "" && p.Message != "" && p.Description != p.Message:
		return string(p.Message) + ": " + string(p.Description)
	case p.Description != "":
		return string(p.Description)
	}
	return string(p.Message)
}

// flattenMessage turns message (array, object, string or null) into one
// line, and returns the first code found inside it.
func flattenMessage(raw json.RawMessage) (msg, code string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s, ""
	case '{':
		var p messagePart
		if json.Unmarshal(raw, &p) != nil {
			return "", ""
		}
		return p.text(), string(p.Code)
	case '[':
		var parts []json.RawMessage
		if json.Unmarshal(raw, &parts) != nil {
			return "", ""
		}
		var texts []string
		for _, part := range parts {
			m, c := flattenMessage(part)
			if m != "" {
				texts = append(texts, m)
			}
			if code == "" {
				code = c
			}
		}
		return strings.Join(texts, "; "), code
	}
	return "", ""
}

// errorBody is shape B ({"error":{code,message,details}}) and the OAuth shape
// ({"error":"invalid_client","error_description":...}).
type errorBody struct {
	Code    looseString `json:"code"`
	Message looseString `json:"message"`
	Details []struct {
		Field  looseString `json:"field"`
		Reason looseString `json:"reason"`
	} `json:"details"`
}

// errorWire is the part of an answer that explains an error; it has no amount
// fields, so an error body always decodes.
type errorWire struct {
	Code             looseString     `json:"code"`
	Message          json.RawMessage `json:"message"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription looseString     `json:"error_description"`
	RequestID        looseString     `json:"request_id"`
}

// parseErrorFields extracts code, message and field details from any of the
// error shapes A55 uses.
func parseErrorFields(w *errorWire) (code, msg string, fields []FieldError) {
	msg, code = flattenMessage(w.Message)
	if w.Code != "" {
		code = string(w.Code)
	}
	e := bytes.TrimSpace(w.Error)
	if len(e) > 0 {
		switch e[0] {
		case '{':
			var b errorBody
			if json.Unmarshal(e, &b) == nil {
				if b.Code != "" {
					code = string(b.Code)
				}
				if b.Message != "" {
					msg = string(b.Message)
				}
				for _, d := range b.Details {
					fields = append(fields, FieldError{Field: string(d.Field), Reason: string(d.Reason)})
				}
			}
		case '"':
			var s string
			_ = json.Unmarshal(e, &s)
			if code == "" {
				code = s
			}
		}
	}
	if msg == "" && w.ErrorDescription != "" {
		msg = string(w.ErrorDescription)
	}
	return code, msg, fields
}

// decodeList reads List charges: a bare array or an object with the list under
// data, charges, results or items, and optional page/limit/total.
func decodeList(body []byte, v Vocabulary) (*ChargeList, error) {
	body = bytes.TrimSpace(body)
	var items []json.RawMessage
	out := &ChargeList{}
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("decoding charge list: %w", err)
		}
	} else {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("decoding charge list: %w", err)
		}
		found := false
		for _, k := range []string{"data", "charges", "results", "items"} {
			if raw, ok := env[k]; ok && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '[' {
				if err := json.Unmarshal(raw, &items); err != nil {
					return nil, fmt.Errorf("decoding charge list %s: %w", k, err)
				}
				found = true
				break
			}
		}
		if !found {
			return nil, errors.New("decoding charge list: no data, charges, results or items array in the answer")
		}
		var meta struct {
			Page  looseInt `json:"page"`
			Limit looseInt `json:"limit"`
			Total looseInt `json:"total"`
		}
		_ = json.Unmarshal(body, &meta)
		out.Page, out.Limit, out.Total = int(meta.Page), int(meta.Limit), int(meta.Total)
	}
	out.Charges = make([]Charge, 0, len(items))
	for i, raw := range items {
		c, err := decodeCharge(raw, v)
		if err != nil {
			return nil, fmt.Errorf("charge %d: %w", i, err)
		}
		out.Charges = append(out.Charges, *c)
	}
	if out.Total == 0 && len(body) > 0 && body[0] == '[' {
		out.Total = len(out.Charges)
	}
	return out, nil
}
