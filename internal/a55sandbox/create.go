package a55sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
	"github.com/hotelpay/a55-temporal/money"
)

// fieldErr is one validation failure.
type fieldErr struct {
	status int // 400 malformed/missing, 422 semantically wrong
	code   string
	field  string
	text   string
}

// form reads a decoded JSON object field by field, collecting errors that
// name the field and the rule.
type form struct {
	m    map[string]any
	errs []fieldErr
}

func (f *form) fail(status int, code, field, format string, args ...any) {
	f.errs = append(f.errs, fieldErr{status: status, code: code, field: field, text: field + " " + fmt.Sprintf(format, args...)})
}

func (f *form) has(name string) bool {
	v, ok := f.m[name]
	return ok && v != nil
}

// str reads a string field; numbers are refused so types stay as documented.
func (f *form) str(name string, required bool) string {
	v, ok := f.m[name]
	if !ok || v == nil {
		if required {
			f.fail(400, "VALIDATION_ERROR", name, "is required")
		}
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		f.fail(400, "VALIDATION_ERROR", name, "must be a string")
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		f.fail(400, "VALIDATION_ERROR", name, "must not be empty")
	}
	return s
}

// integer reads a JSON integer or a numeric string ("07").
func (f *form) integer(name string, required bool) (int, bool) {
	v, ok := f.m[name]
	if !ok || v == nil {
		if required {
			f.fail(400, "VALIDATION_ERROR", name, "is required")
		}
		return 0, false
	}
	text, isNumber := numberText(v)
	if !isNumber {
		f.fail(400, "VALIDATION_ERROR", name, "must be an integer")
		return 0, false
	}
	n, err := parseDecimal(text, 0)
	if err != nil || strings.HasPrefix(text, "+") || n > 1<<31 || n < -(1<<31) {
		f.fail(400, "VALIDATION_ERROR", name, "must be an integer, got %q", text)
		return 0, false
	}
	return int(n), true
}

// numberText is the text of a JSON number or of a numeric string (A55
// accepts both, "07" as well as 7); isNumber is false for any other value.
func numberText(v any) (text string, isNumber bool) {
	switch t := v.(type) {
	case json.Number:
		return t.String(), true
	case string:
		return strings.TrimSpace(t), true
	default:
		return "", false
	}
}

// boolean reads a JSON boolean.
func (f *form) boolean(name string, def bool) bool {
	v, ok := f.m[name]
	if !ok || v == nil {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		f.fail(400, "VALIDATION_ERROR", name, "must be a boolean (true or false)")
		return def
	}
	return b
}

// amount reads a positive decimal amount (JSON number or numeric string) in minor units.
func (f *form) amount(name string, exp int) (int64, bool) { return f.decimal(name, exp, false) }

// decimal reads a decimal amount; zero is refused unless allowZero.
func (f *form) decimal(name string, exp int, allowZero bool) (int64, bool) {
	v, ok := f.m[name]
	if !ok || v == nil {
		return 0, false
	}
	text, isNumber := numberText(v)
	if !isNumber {
		f.fail(422, "AMOUNT_INVALID", name, "must be a decimal number such as 320.00")
		return 0, false
	}
	minor, err := parseDecimal(text, exp)
	if err != nil {
		f.fail(422, "AMOUNT_INVALID", name, "%v (got %s)", err, text)
		return 0, false
	}
	if minor < 0 || minor == 0 && !allowZero {
		f.fail(422, "AMOUNT_INVALID", name, "must be greater than zero (got %s)", text)
		return 0, false
	}
	return minor, true
}

func (f *form) object(name string, required bool) map[string]any {
	v, ok := f.m[name]
	if !ok || v == nil {
		if required {
			f.fail(400, "VALIDATION_ERROR", name, "is required")
		}
		return nil
	}
	o, isObj := v.(map[string]any)
	if !isObj {
		f.fail(400, "VALIDATION_ERROR", name, "must be an object")
		return nil
	}
	return o
}

// response turns the collected errors into one error answer: 400 when any
// field is malformed or missing, otherwise 422.
func (f *form) response(requestID string) *response {
	if len(f.errs) == 0 {
		return nil
	}
	status := 422
	items := make([]errorItem, len(f.errs))
	for i, e := range f.errs {
		if e.status == 400 {
			status = 400
		}
		items[i] = errorItem{Message: e.text, Code: e.code, Field: e.field}
	}
	code := f.errs[0].code
	for _, e := range f.errs {
		if e.status == status {
			code = e.code
			break
		}
	}
	return jsonResponse(status, errorBody{Status: "error", Code: code, Message: items, RequestID: requestID})
}

// decodeJSONObject decodes a request body as one JSON object, keeping numbers exact.
func decodeJSONObject(body []byte, allowEmpty bool) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return map[string]any{}, nil
		}
		return nil, fmt.Errorf("request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("request body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("request body has data after the JSON object")
	}
	if m == nil {
		return nil, fmt.Errorf("request body must be a JSON object, not null")
	}
	return m, nil
}

// form reads the request body as a JSON object into a form; a body that is
// not one is answered at once (allowEmpty: no body reads as {}).
func (q *apiRequest) form(allowEmpty bool) (*form, *response) {
	m, err := decodeJSONObject(q.body, allowEmpty)
	if err != nil {
		return nil, badJSON(q.requestID, err)
	}
	return &form{m: m}, nil
}

func badJSON(requestID string, err error) *response {
	return apiError(http.StatusBadRequest, requestID, "INVALID_JSON", "", err.Error())
}

var deviceInfoStrings = []string{"ip_address", "user_agent", "http_accept_content", "http_accept_browser_value",
	"http_browser_language", "http_browser_color_depth", "http_browser_screen_height", "http_browser_screen_width",
	"http_browser_time_difference"}
var deviceInfoBools = []string{"http_browser_java_enabled", "http_browser_javascript_enabled"}

func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func cardBrand(pan string) string {
	switch {
	case strings.HasPrefix(pan, "4"):
		return "visa"
	case len(pan) > 1 && pan[0] == '5' && pan[1] >= '1' && pan[1] <= '5', strings.HasPrefix(pan, "2"):
		return "mastercard"
	case strings.HasPrefix(pan, "34"), strings.HasPrefix(pan, "37"):
		return "amex"
	case strings.HasPrefix(pan, "6"):
		return "discover"
	}
	return "unknown"
}

// handleCreate is POST /api/v1/bank/wallet/charge/.
func (s *Sandbox) handleCreate(q *apiRequest) *response {
	f, bad := q.form(false)
	if bad != nil {
		return bad
	}
	wallet := f.str("wallet_uuid", true)
	if len(f.errs) > 0 {
		return f.response(q.requestID)
	}
	walletCurrency, ok := s.cfg.Wallets[wallet]
	if !ok {
		return apiError(http.StatusNotFound, q.requestID, "errors.wallet.not_found", "wallet_uuid", "wallet_uuid "+wallet+" does not exist")
	}

	currency := f.str("currency", true)
	exp, known := money.Exponent(money.Currency(currency))
	if currency != "" && !known {
		f.fail(422, "CURRENCY_NOT_SUPPORTED", "currency", "%q is not supported (accepted: %v)", currency, money.KnownCurrencies())
	} else if known && currency != walletCurrency {
		f.fail(422, "CURRENCY_NOT_SUPPORTED", "currency", "%s does not match the wallet's currency %s", currency, walletCurrency)
	}

	typeCharge := f.str("type_charge", false)
	if typeCharge == "" {
		typeCharge = "credit_card"
	} else if typeCharge != "credit_card" && typeCharge != "debit_card" {
		f.fail(422, "VALIDATION_ERROR", "type_charge", "%q is not simulated; use credit_card or debit_card", typeCharge)
	}

	count := 1
	if n, ok := f.integer("installment_count", false); ok {
		if n < 1 || n > 12 {
			f.fail(422, "VALIDATION_ERROR", "installment_count", "must be between 1 and 12, got %d", n)
		} else {
			count = n
		}
	}

	var total int64
	if known {
		perInstallment, hasIV := f.amount("installment_value", exp)
		amount, hasAmount := f.amount("amount", exp)
		switch {
		case hasIV:
			total = perInstallment * int64(count)
			if hasAmount && amount != total {
				f.fail(422, "AMOUNT_INVALID", "amount", "(%s) disagrees with installment_value × installment_count (%s)",
					formatDecimal(amount, exp), formatDecimal(total, exp))
			}
		case hasAmount:
			total = amount
		case !f.has("installment_value") && !f.has("amount"):
			f.fail(400, "VALIDATION_ERROR", "installment_value", "is required (or amount)")
		}
	}

	dueDate := f.str("due_date", false)
	if dueDate != "" {
		if _, err := time.Parse("2006-01-02", dueDate); err != nil {
			f.fail(400, "VALIDATION_ERROR", "due_date", "must be a date YYYY-MM-DD, got %q", dueDate)
		}
	} else {
		dueDate = s.now().UTC().Format("2006-01-02")
	}

	f.str("card_name", true)
	pan := f.str("card_number", true)
	if pan != "" {
		switch {
		case strings.Trim(pan, "0123456789") != "":
			f.fail(400, "INVALID_CARD_NUMBER", "card_number", "must contain digits only")
		case len(pan) < 12 || len(pan) > 19:
			f.fail(400, "INVALID_CARD_NUMBER", "card_number", "must have 12 to 19 digits, got %d", len(pan))
		case !cardnum.Luhn(pan):
			f.fail(400, "INVALID_CARD_NUMBER", "card_number", "fails the Luhn check")
		}
	}
	month, okMonth := f.integer("card_expiry_month", true)
	if okMonth && (month < 1 || month > 12) {
		f.fail(400, "VALIDATION_ERROR", "card_expiry_month", "must be between 1 and 12, got %d", month)
		okMonth = false
	}
	year, okYear := f.integer("card_expiry_year", true)
	if okYear && (year < 1000 || year > 9999) {
		f.fail(400, "VALIDATION_ERROR", "card_expiry_year", "must have four digits, got %d", year)
		okYear = false
	}
	if okMonth && okYear {
		now := s.now().UTC()
		if year < now.Year() || year == now.Year() && month < int(now.Month()) {
			f.fail(422, "EXPIRED_CARD", "card_expiry_year", "is in the past: the card expired at the end of %02d/%d", month, year)
		}
	}
	if v, ok := f.m["card_cvv"]; !ok || v == nil {
		f.fail(400, "VALIDATION_ERROR", "card_cvv", "is required")
	} else if cvv, isStr := v.(string); !isStr {
		f.fail(400, "VALIDATION_ERROR", "card_cvv", "must be a string of 3 or 4 digits (a number loses leading zeros)")
	} else if len(cvv) < 3 || len(cvv) > 4 || strings.Trim(cvv, "0123456789") != "" {
		f.fail(400, "INVALID_CVC", "card_cvv", "must be 3 or 4 digits")
	}

	capture := f.boolean("capture", true)
	threeDS := f.boolean("threeds_authentication", false)
	dataOnly := f.boolean("data_only", false)
	if threeDS && dataOnly {
		f.fail(400, "VALIDATION_ERROR", "data_only", "cannot be true together with threeds_authentication")
	}
	if di := f.object("device_info", threeDS); di != nil {
		sub := &form{m: di}
		for _, k := range deviceInfoStrings {
			sub.str(k, threeDS)
		}
		for _, k := range deviceInfoBools {
			if v, ok := di[k]; !ok || v == nil {
				if threeDS {
					sub.fail(400, "VALIDATION_ERROR", k, "is required")
				}
			} else if _, isBool := v.(bool); !isBool {
				sub.fail(400, "VALIDATION_ERROR", k, "must be a boolean")
			}
		}
		for _, e := range sub.errs {
			e.field = "device_info." + e.field
			e.text = "device_info." + e.text
			f.errs = append(f.errs, e)
		}
	}
	webhookURL := f.str("webhook_url", false)
	if webhookURL != "" && !absoluteHTTPURL(webhookURL) {
		f.fail(400, "VALIDATION_ERROR", "webhook_url", "must be an absolute http(s) URL")
	}
	redirectURL := f.str("redirect_url", false)
	if redirectURL != "" && !absoluteHTTPURL(redirectURL) {
		f.fail(400, "VALIDATION_ERROR", "redirect_url", "must be an absolute http(s) URL")
	}
	payerEmail := f.str("payer_email", false)
	if payerEmail != "" && !strings.Contains(payerEmail, "@") {
		f.fail(400, "VALIDATION_ERROR", "payer_email", "must be an e-mail address")
	}
	for _, name := range []string{"payer_name", "payer_tax_id", "payer_cell_phone", "merchant_id", "description"} {
		f.str(name, false)
	}
	if addr := f.object("payer_address", false); addr != nil {
		sub := &form{m: addr}
		for _, k := range []string{"street", "address_number", "complement", "neighborhood", "city", "state", "zip_code", "postal_code", "country"} {
			sub.str(k, false)
		}
		for _, e := range sub.errs {
			e.field, e.text = "payer_address."+e.field, "payer_address."+e.text
			f.errs = append(f.errs, e)
		}
	}
	if v, ok := f.m["items"]; ok && v != nil {
		items, isArr := v.([]any)
		if !isArr {
			f.fail(400, "VALIDATION_ERROR", "items", "must be an array")
		}
		for i, it := range items {
			obj, isObj := it.(map[string]any)
			name := fmt.Sprintf("items[%d]", i)
			if !isObj {
				f.fail(400, "VALIDATION_ERROR", name, "must be an object")
				continue
			}
			sub := &form{m: obj}
			sub.str("name", false)
			if n, ok := sub.integer("quantity", false); ok && n < 1 {
				sub.fail(422, "VALIDATION_ERROR", "quantity", "must be at least 1, got %d", n)
			}
			if known {
				for _, k := range []string{"value", "unit_amount", "total_amount"} {
					sub.decimal(k, exp, true) // a free item (0.00) is fine
				}
			}
			for _, e := range sub.errs {
				e.field, e.text = name+"."+e.field, name+"."+e.text
				f.errs = append(f.errs, e)
			}
		}
	}
	refExt := f.str("reference_external_id", false)
	if resp := f.response(q.requestID); resp != nil {
		return resp
	}

	// Decide and forget the card: only the last four digits stay.
	now := s.now()
	c := &charge{
		uuid:                 uuid.NewString(),
		walletUUID:           wallet,
		clientID:             q.clientID,
		currency:             currency,
		exp:                  exp,
		authorized:           total,
		installmentCount:     count,
		captureFlag:          capture,
		threeDS:              threeDS,
		dataOnly:             dataOnly,
		cardLast4:            pan[len(pan)-4:],
		cardBrand:            cardBrand(pan),
		referenceExternalID:  refExt,
		transactionReference: "txn_" + randomHex(8),
		webhookURL:           webhookURL,
		redirectURL:          redirectURL,
		description:          orEmpty(f.m["description"]),
		merchantID:           orEmpty(f.m["merchant_id"]),
		dueDate:              dueDate,
		typeCharge:           typeCharge,
		createdAt:            now,
		updatedAt:            now,
	}
	c.calls.Create = 1
	if c.webhookURL == "" {
		c.webhookURL = s.cfg.DefaultWebhookURL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	outcome := s.decideLocked(pan)
	s.charges[c.uuid] = c
	s.order = append(s.order, c)
	switch {
	case outcome.challenge:
		c.challenged = true
		c.url3DS = s.publicURL(q.r) + "/3ds/challenge/" + c.uuid
		s.setStatusLocked(c, StatusPending, "3DS challenge required by the issuer")
	case outcome.approved:
		if threeDS {
			c.eci, c.authStatus = "05", "success"
		}
		s.approveLocked(c, "approved")
	default:
		c.code, c.message = outcome.code, outcome.message
		s.setStatusLocked(c, StatusError, outcome.message)
	}
	resp := jsonResponse(http.StatusOK, s.view(c))
	resp.chargeUUID = c.uuid
	return resp
}

func orEmpty(v any) string {
	s, _ := v.(string)
	return s
}

// approveLocked authorizes (capture:false) or captures (capture:true) the full amount.
func (s *Sandbox) approveLocked(c *charge, reason string) {
	if c.captureFlag {
		c.captured = c.authorized
		s.setStatusLocked(c, StatusConfirmed, reason+" and captured")
		return
	}
	s.setStatusLocked(c, StatusAuthorized, reason+"; hold placed")
}

func (s *Sandbox) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type cardOutcome struct {
	approved  bool
	challenge bool
	code      string
	message   string
}

// seedCards are the seeds' test cards and what the issuer answers for each.
var seedCards = map[string]cardOutcome{
	"4111111111111111": {approved: true},
	"5500000000000004": {approved: true},
	"4000000000000101": {challenge: true},
	"4000000000000002": {code: "CARD_DECLINED", message: "Declined or validation failed"},
	"5105105105105100": {code: "INSUFFICIENT_FUNDS", message: "Declined: insufficient funds"},
	"4000000000000069": {code: "PROCESSING_ERROR", message: "Processing error at the acquirer; retry later"},
}

// lastDigitOutcomes is A55's last-digit rule for any other card; a 9 is
// random (approved or timeout).
var lastDigitOutcomes = map[byte]cardOutcome{
	'0': {approved: true},
	'1': {approved: true},
	'4': {approved: true},
	'2': {code: "05", message: "Not authorized"},
	'3': {code: "57", message: "Not authorized: expired card"},
	'5': {code: "78", message: "Not authorized: blocked card"},
	'6': {code: "99", message: "Not authorized: timeout"},
	'7': {code: "77", message: "Not authorized: canceled card"},
	'8': {code: "70", message: "Not authorized: card problem"},
}

// decideLocked applies the seeds' test cards, then A55's last-digit rule.
func (s *Sandbox) decideLocked(pan string) cardOutcome {
	if o, ok := seedCards[pan]; ok {
		return o
	}
	if o, ok := lastDigitOutcomes[pan[len(pan)-1]]; ok {
		return o
	}
	if s.rng.IntN(2) == 0 {
		return cardOutcome{approved: true}
	}
	return cardOutcome{code: "99", message: "Not authorized: timeout"}
}
