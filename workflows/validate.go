package workflows

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/cardnum"
)

// MaxHoldWindow is the longest hold any acquirer grants (extended
// authorization for lodging and car rental).
const MaxHoldWindow = 30 * 24 * time.Hour

// InputError lists every problem of a BookingPaymentInput. Each problem names
// the JSON field and the rule; none echoes card data.
type InputError struct {
	Problems []a55client.FieldError
}

func (e *InputError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid booking payment input: " + strings.Join(parts, "; ")
}

type inputProblems []a55client.FieldError

func (p *inputProblems) add(field, format string, args ...any) {
	*p = append(*p, a55client.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// ValidateInput checks a booking payment input and lists every problem in an
// *InputError (nil when valid). It is pure: now is the caller's clock, used
// for the card expiry and the expected capture time; the zero time skips
// those two rules (the workflow does, see BookingPayment). A plain card is
// checked, not refused: the Go starter checks the input before it seals the
// card. The workflow refuses it (ChangeCardTokenOnly).
func ValidateInput(in BookingPaymentInput, now time.Time) error {
	return validateInput(in, now, true)
}

// PlainCardRefused is the rule a plain card breaks, named with the field
// "card" by the workflow (new bookings) and the Go starter without a
// card-key store.
const PlainCardRefused = "a card in clear is refused: it would stay in the booking's history, " +
	"encrypted or not, for the booking's whole life, and PCI DSS 3.3.1 forbids keeping it after authorization; " +
	"send card_token instead, from the card intake (POST /v1/card-tokens) or the Go starter (starter.WithCardKeys)"

// validateInput is ValidateInput; plainCardAllowed false refuses a card in
// clear (card) and requires card_token instead.
func validateInput(in BookingPaymentInput, now time.Time, plainCardAllowed bool) error {
	var p inputProblems
	if err := ValidateBookingID(in.BookingID); err != nil {
		p.add("booking_id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	switch in.Kind {
	case KindHotelStay, KindCarRental:
	default:
		p.add("kind", "must be %q or %q (got %q)", KindHotelStay, KindCarRental, string(in.Kind))
	}
	if strings.TrimSpace(in.MerchantID) == "" {
		p.add("merchant_id", "is required")
	}
	switch {
	case strings.TrimSpace(in.WalletUUID) == "":
		p.add("wallet_uuid", "is required")
	case strings.ContainsAny(in.WalletUUID, "/?# "):
		p.add("wallet_uuid", "must not contain '/', '?', '#' or spaces")
	}
	if strings.TrimSpace(in.Payer.Name) == "" {
		p.add("payer.name", "is required")
	}
	if in.Payer.Email == "" {
		p.add("payer.email", "is required")
	} else if a, err := mail.ParseAddress(in.Payer.Email); err != nil || a.Address != in.Payer.Email {
		p.add("payer.email", "must be a plain e-mail address like name@example.com")
	}
	if err := in.Amount.Validate(); err != nil {
		p.add("amount", "%v", err)
	}
	switch {
	case in.CardToken != nil && in.Card != (a55client.Card{}):
		p.add("card", "must be empty when card_token is given (send the card once, sealed)")
	case in.CardToken != nil:
		checkCardToken(&p, *in.CardToken, now)
	case !plainCardAllowed && in.Card != (a55client.Card{}):
		// Refused whole: what is wrong inside it no longer matters.
		p.add("card", "%s", PlainCardRefused)
	case !plainCardAllowed:
		p.add("card_token", "is required: a card token from the card intake (POST /v1/card-tokens) or the Go starter (starter.WithCardKeys)")
	default:
		checkCard(&p, in.Card, now)
	}
	if in.ThreeDS {
		checkDeviceInfo(&p, in.DeviceInfo)
	}

	hold := in.HoldWindow
	switch {
	case hold < 0:
		p.add("hold_window", "must not be negative")
	case hold > MaxHoldWindow:
		p.add("hold_window", "must be at most 30 days (720h); got %s", hold)
	}
	if hold <= 0 {
		hold = DefaultHoldWindow
	}
	margin := in.SafetyMargin
	if margin < 0 {
		p.add("safety_margin", "must not be negative")
	}
	if margin <= 0 {
		margin = DefaultSafetyMargin
	}
	if margin >= hold {
		p.add("safety_margin", "must be shorter than hold_window (%s ≥ %s)", margin, hold)
	}
	if in.CaptureGrace < 0 {
		p.add("capture_grace", "must not be negative")
	}
	if in.ThreeDSTimeout < 0 {
		p.add("threeds_timeout", "must not be negative")
	}
	if w := in.RefundWindow; w != 0 && (w < MinRefundWindow || w > MaxRefundWindow) {
		p.add("refund_window", "must be 0 (30 days) or from 1s to 400 days (9600h); got %s", w)
	}
	if in.ExpectedCaptureAt.IsZero() {
		p.add("expected_capture_at", "is required (the check-out or return time)")
	} else if grace := orDefault(in.CaptureGrace, DefaultCaptureGrace); !now.IsZero() && !in.ExpectedCaptureAt.Add(grace).After(now) {
		p.add("expected_capture_at", "plus capture_grace is already in the past")
	}

	checkLongStay(&p, in, now)

	switch in.DeadlinePolicy.Action {
	case DeadlineRelease:
		if in.DeadlinePolicy.Amount != nil {
			p.add("deadline_policy.amount", "must be empty when the action is release")
		}
	case DeadlineCapture:
		if a := in.DeadlinePolicy.Amount; a != nil {
			if err := a.Validate(); err != nil {
				p.add("deadline_policy.amount", "%v", err)
			} else if a.Currency != in.Amount.Currency {
				p.add("deadline_policy.amount", "currency %s differs from the hold's %s", a.Currency, in.Amount.Currency)
			} else if a.Minor > in.Amount.Minor {
				p.add("deadline_policy.amount", "%s is more than the hold %s", a.Display(), in.Amount.Display())
			}
		}
	default:
		p.add("deadline_policy.action", "must be %q or %q (got %q)", DeadlineRelease, DeadlineCapture, string(in.DeadlinePolicy.Action))
	}
	if in.WebhookBaseURL != "" {
		checkURL(&p, "webhook_base_url", in.WebhookBaseURL)
	}
	if in.ReturnURL != "" {
		checkURL(&p, "return_url", in.ReturnURL)
	}
	if in.NotificationURL != "" {
		checkURL(&p, "notification_url", in.NotificationURL)
		if u, err := url.Parse(in.NotificationURL); err == nil && u.User != nil {
			p.add("notification_url", "must not carry a user or password (the signing secret comes from the worker's configuration)")
		}
		if len(in.NotificationURL) > 2048 {
			p.add("notification_url", "must be at most 2048 characters")
		}
	}
	if in.HoldExpiringNotice < 0 {
		p.add("hold_expiring_notice", "must not be negative")
	}
	if len(in.Description) > 255 {
		p.add("description", "must be at most 255 characters")
	}
	if len(p) == 0 {
		return nil
	}
	return &InputError{Problems: p}
}

// IsInputError reports whether err is (or wraps) an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func checkURL(p *inputProblems, field, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(field, "must be an absolute http(s) URL")
	}
}

// ValidateCard checks a card alone (the card intake's rules, the same as a
// booking input's "card"), naming each field under "card."; the zero now
// skips the expiry-date rule.
func ValidateCard(c a55client.Card, now time.Time) error {
	var p inputProblems
	checkCard(&p, c, now)
	if len(p) == 0 {
		return nil
	}
	return &InputError{Problems: p}
}

func checkCard(p *inputProblems, c a55client.Card, now time.Time) {
	if rule := cardnum.NumberProblem(cardnum.Digits(c.Number)); rule != "" {
		p.add("card.number", "%s", rule)
	}
	checkExpiry(p, "card", c.ExpiryMonth, c.ExpiryYear, now)
	if rule := cardnum.CVVProblem(c.CVV); rule != "" {
		p.add("card.cvv", "%s", rule)
	}
	if strings.TrimSpace(c.HolderName) == "" {
		p.add("card.holder_name", "is required")
	}
}

// checkExpiry checks a card's expiry, naming the fields under prefix.
func checkExpiry(p *inputProblems, prefix string, month, year int, now time.Time) {
	monthRule, yearRule := cardnum.MonthProblem(month), cardnum.YearProblem(year)
	if monthRule != "" {
		p.add(prefix+".expiry_month", "%s", monthRule)
	}
	if yearRule != "" {
		p.add(prefix+".expiry_year", "%s", yearRule)
	}
	if monthRule == "" && yearRule == "" && !now.IsZero() && cardnum.Expired(month, year, now) {
		p.add(prefix+".expiry_year", "the card has expired")
	}
}

// checkCardToken checks what a token shows in clear; whether it opens is
// the authorize activity's to find out (the key lives in the store).
func checkCardToken(p *inputProblems, t cardvault.Token, now time.Time) {
	if !cardvault.ValidKeyID(t.KeyID) {
		p.add("card_token.key_id", "must be a card key id from the card intake (ck_ and 32 hex digits)")
	}
	if strings.TrimSpace(t.Sealed) == "" {
		p.add("card_token.sealed", "is required")
	}
	if len(t.Last4) != 4 || !cardnum.AllDigits(t.Last4) {
		p.add("card_token.last4", "must be 4 digits")
	}
	checkExpiry(p, "card_token", t.ExpiryMonth, t.ExpiryYear, now)
	if !now.IsZero() && !t.ExpiresAt.After(now) {
		p.add("card_token.expires_at", "the token has expired (a card key lives %s): seal the card again", cardvault.MaxKeyLifetime)
	}
}

func checkDeviceInfo(p *inputProblems, d *a55client.DeviceInfo) {
	if d == nil {
		p.add("device_info", "is required when threeds is true")
		return
	}
	required := []struct {
		field   string
		present bool
	}{
		{"ip_address", d.IPAddress != ""},
		{"user_agent", d.UserAgent != ""},
		{"http_accept_content", d.HTTPAcceptContent != ""},
		{"http_accept_browser_value", d.HTTPAcceptBrowserValue != ""},
		{"http_browser_language", d.HTTPBrowserLanguage != ""},
		{"http_browser_java_enabled", d.HTTPBrowserJavaEnabled != nil},
		{"http_browser_javascript_enabled", d.HTTPBrowserJavascriptEnabled != nil},
		{"http_browser_color_depth", d.HTTPBrowserColorDepth != ""},
		{"http_browser_screen_height", d.HTTPBrowserScreenHeight != ""},
		{"http_browser_screen_width", d.HTTPBrowserScreenWidth != ""},
		{"http_browser_time_difference", d.HTTPBrowserTimeDifference != ""},
	}
	for _, r := range required {
		if !r.present {
			p.add("device_info."+r.field, "is required when threeds is true")
		}
	}
}

// StaticSummary is the one line the Web UI shows for a booking's workflow,
// e.g. "Hotel stay H-1001 · hold R$ 500,00". No payer or card data: it is
// readable by anyone who can list workflows when the UI has the codec.
func StaticSummary(in BookingPaymentInput) string {
	kind := "Booking"
	switch in.Kind {
	case KindHotelStay:
		kind = "Hotel stay"
	case KindCarRental:
		kind = "Car rental"
	}
	return kind + " " + in.BookingID + " · hold " + in.Amount.Display()
}

// captureDeadline is min(expected + grace, hold expiry − margin).
func captureDeadline(expected time.Time, grace time.Duration, holdExpires time.Time, margin time.Duration) time.Time {
	d := expected.Add(grace)
	if last := holdExpires.Add(-margin); last.Before(d) {
		return last
	}
	return d
}
