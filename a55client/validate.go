package a55client

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
	"github.com/hotelpay/a55-temporal/money"
)

// Local validation: bad input is refused before any request, with every
// problem listed. Reasons name the rule and never echo card data.

// MaxInstallments is the largest installment_count A55 accepts.
const MaxInstallments = 12

// problems collects FieldErrors.
type problems []FieldError

func (p *problems) add(field, reason string, args ...any) {
	*p = append(*p, FieldError{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

// err returns a ClassInvalid *Error listing every problem, or nil.
func (p problems) err(op string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Op: op, Class: ClassInvalid, Message: "invalid request", Fields: p}
}

// checkSegment validates an identifier that goes into a URL path or query.
func (p *problems) checkSegment(field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.add(field, "is required")
	case strings.ContainsAny(v, "/?#"):
		p.add(field, "must not contain '/', '?' or '#'")
	}
}

// checkIdempotencyKey: A55 recommends a UUID (16–128 characters) but its own
// example uses "ord_001", so the client accepts 1–255 printable ASCII
// characters without spaces.
func (p *problems) checkIdempotencyKey(key string) {
	if key == "" {
		p.add("idempotency_key", "is required for every mutating call")
		return
	}
	if len(key) > 255 {
		p.add("idempotency_key", "must be at most 255 characters (got %d)", len(key))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			p.add("idempotency_key", "must be printable ASCII without spaces")
			break
		}
	}
}

func (p *problems) checkAmount(field string, a money.Amount) {
	if err := a.Validate(); err != nil {
		p.add(field, "%v", err)
	}
}

// threeDSDeviceFields are the device_info fields A55's own sample requires
// before a 3DS charge, in its order.
var threeDSDeviceFields = []string{
	"user_agent", "ip_address", "http_accept_content",
	"http_browser_language", "http_browser_screen_height",
	"http_browser_screen_width", "http_browser_time_difference",
	"http_accept_browser_value", "http_browser_color_depth",
	"http_browser_java_enabled", "http_browser_javascript_enabled",
}

func missingDeviceFields(d *DeviceInfo) []string {
	if d == nil {
		return threeDSDeviceFields
	}
	present := map[string]bool{
		"user_agent":                      d.UserAgent != "",
		"ip_address":                      d.IPAddress != "",
		"http_accept_content":             d.HTTPAcceptContent != "",
		"http_browser_language":           d.HTTPBrowserLanguage != "",
		"http_browser_screen_height":      d.HTTPBrowserScreenHeight != "",
		"http_browser_screen_width":       d.HTTPBrowserScreenWidth != "",
		"http_browser_time_difference":    d.HTTPBrowserTimeDifference != "",
		"http_accept_browser_value":       d.HTTPAcceptBrowserValue != "",
		"http_browser_color_depth":        d.HTTPBrowserColorDepth != "",
		"http_browser_java_enabled":       d.HTTPBrowserJavaEnabled != nil,
		"http_browser_javascript_enabled": d.HTTPBrowserJavascriptEnabled != nil,
	}
	var missing []string
	for _, f := range threeDSDeviceFields {
		if !present[f] {
			missing = append(missing, f)
		}
	}
	return missing
}

func (p *problems) checkCard(c Card, now time.Time) {
	if rule := cardnum.NumberProblem(cardnum.Digits(c.Number)); rule != "" {
		p.add("card_number", "%s", rule)
	}
	monthRule, yearRule := cardnum.MonthProblem(c.ExpiryMonth), cardnum.YearProblem(c.ExpiryYear)
	if monthRule != "" {
		p.add("card_expiry_month", "%s (got %d)", monthRule, c.ExpiryMonth)
	}
	if yearRule != "" {
		p.add("card_expiry_year", "%s (got %d)", yearRule, c.ExpiryYear)
	}
	if monthRule == "" && yearRule == "" && cardnum.Expired(c.ExpiryMonth, c.ExpiryYear, now) {
		p.add("card_expiry_year", "card expired in %02d/%d", c.ExpiryMonth, c.ExpiryYear)
	}
	if rule := cardnum.CVVProblem(c.CVV); rule != "" {
		p.add("card_cvv", "%s", rule)
	}
	if strings.TrimSpace(c.HolderName) == "" {
		p.add("card_name", "is required (the holder's name as printed on the card)")
	}
}

// buildChargeRequest validates p and turns it into the wire body.
func buildChargeRequest(p *CreateChargeParams, now time.Time) (*ChargeRequest, error) {
	const op = "create_charge"
	var probs problems
	if p == nil {
		probs.add("params", "are required")
		return nil, probs.err(op)
	}
	probs.checkSegment("wallet_uuid", p.WalletUUID)
	probs.checkAmount("amount", p.Amount)
	count := p.InstallmentCount
	if count == 0 {
		count = 1
	}
	if count < 1 || count > MaxInstallments {
		probs.add("installment_count", "must be 1 to %d (got %d)", MaxInstallments, p.InstallmentCount)
	} else if p.Amount.Minor > 0 && p.Amount.Minor%int64(count) != 0 {
		probs.add("installment_count", "amount %s does not divide into %d equal installments", p.Amount, count)
	}
	probs.checkCard(p.Card, now)
	dueDate := p.DueDate
	if dueDate == "" {
		dueDate = now.UTC().Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, dueDate); err != nil {
		probs.add("due_date", "must be a date YYYY-MM-DD")
	}
	if p.ThreeDS && p.DataOnly {
		probs.add("data_only", "cannot be combined with threeds_authentication")
	}
	if p.ThreeDS {
		for _, f := range missingDeviceFields(p.DeviceInfo) {
			probs.add("device_info."+f, "is required for 3DS")
		}
	}
	items := make([]ItemWire, 0, len(p.Items))
	for i, it := range p.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(it.Name) == "" {
			probs.add(field+".name", "is required")
		}
		if it.Quantity < 1 {
			probs.add(field+".quantity", "must be at least 1 (got %d)", it.Quantity)
		}
		if it.UnitAmount.Currency != p.Amount.Currency {
			probs.add(field+".unit_amount", "currency %q differs from the charge's %q", string(it.UnitAmount.Currency), string(p.Amount.Currency))
			continue
		}
		if it.UnitAmount.Minor < 0 {
			probs.add(field+".unit_amount", "must not be negative")
			continue
		}
		if it.Quantity < 1 {
			continue
		}
		unit, err1 := FormatAmount(it.UnitAmount)
		total, err2 := FormatAmount(money.Amount{Minor: it.UnitAmount.Minor * int64(it.Quantity), Currency: it.UnitAmount.Currency})
		if err1 != nil || err2 != nil || it.UnitAmount.Minor > (1<<62)/int64(it.Quantity) {
			probs.add(field+".unit_amount", "is not a valid amount")
			continue
		}
		items = append(items, ItemWire{
			Name: it.Name, Description: it.Description, Quantity: it.Quantity,
			Value: &unit, UnitAmount: &unit, TotalAmount: &total, SKU: it.SKU, Code: it.Code,
		})
	}
	if err := probs.err(op); err != nil {
		return nil, err
	}

	amount, _ := FormatAmount(p.Amount) // validated above
	installment, _ := FormatAmount(money.Amount{Minor: p.Amount.Minor / int64(count), Currency: p.Amount.Currency})
	typeCharge := p.TypeCharge
	if typeCharge == "" {
		typeCharge = "credit_card"
	}
	capture := p.Capture
	req := &ChargeRequest{
		WalletUUID:            p.WalletUUID,
		MerchantID:            p.MerchantID,
		PayerName:             p.Payer.Name,
		PayerEmail:            p.Payer.Email,
		PayerCellPhone:        p.Payer.CellPhone,
		PayerTaxID:            p.Payer.TaxID,
		Items:                 items,
		Currency:              string(p.Amount.Currency),
		Amount:                &amount,
		InstallmentValue:      &installment,
		InstallmentCount:      count,
		DueDate:               dueDate,
		Description:           p.Description,
		TypeCharge:            typeCharge,
		CardName:              p.Card.HolderName,
		CardNumber:            cardnum.Digits(p.Card.Number),
		CardExpiryMonth:       p.Card.ExpiryMonth,
		CardExpiryYear:        p.Card.ExpiryYear,
		CardCVV:               p.Card.CVV,
		ReferenceExternalID:   p.ReferenceExternalID,
		Capture:               &capture,
		ThreeDSAuthentication: p.ThreeDS,
		DataOnly:              p.DataOnly,
		DeviceInfo:            p.DeviceInfo,
		WebhookURL:            p.WebhookURL,
		RedirectURL:           p.RedirectURL,
	}
	if len(items) == 0 {
		req.Items = nil
	}
	if a := p.Payer.Address; a != nil {
		req.PayerAddress = &AddressWire{Address: *a, ZipCode: a.PostalCode, PostalCode: a.PostalCode}
	}
	return req, nil
}
