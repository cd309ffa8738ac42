package a55client

import (
	"time"

	"github.com/hotelpay/a55-temporal/money"
)

// CONTRACT (written first so the workflow, sandbox and client can be built in
// parallel): the exported names in this file and the method signatures in
// client.go are what other packages use. Implementation details may change;
// these names should not without updating their callers.

// Payer is who pays. Field names mirror A55's payer_* fields.
type Payer struct {
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	CellPhone string   `json:"cell_phone,omitempty"`
	TaxID     string   `json:"tax_id,omitempty"`
	Address   *Address `json:"address,omitempty"`
}

// Address is the payer's billing address (A55's payer_address).
// The seeds call the postal code zip_code and the public docs postal_code; the
// client sends both names.
type Address struct {
	Street        string `json:"street"`
	AddressNumber string `json:"address_number,omitempty"`
	Complement    string `json:"complement,omitempty"`
	Neighborhood  string `json:"neighborhood,omitempty"`
	City          string `json:"city"`
	State         string `json:"state"`
	PostalCode    string `json:"postal_code"`
	Country       string `json:"country"`
}

// Item is one line of the charge (A55's items[]).
type Item struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Quantity    int          `json:"quantity"`
	UnitAmount  money.Amount `json:"unit_amount"`
	SKU         string       `json:"sku,omitempty"`
	Code        string       `json:"code,omitempty"`
}

// Card is the card data for an H2H charge. It is sensitive: it is used only to
// build the create-charge request, and String/GoString/Format (every fmt verb)
// never reveal the PAN, CVV or holder name; see Masked. JSON marshalling is
// the default on purpose: the card travels, encrypted by the payload codec, in
// the workflow input.
type Card struct {
	HolderName  string `json:"holder_name"`
	Number      string `json:"number"`
	ExpiryMonth int    `json:"expiry_month"`
	ExpiryYear  int    `json:"expiry_year"`
	CVV         string `json:"cvv"`
}

// DeviceInfo is the browser data A55 needs for 3DS (device_info).
type DeviceInfo struct {
	IPAddress                    string `json:"ip_address"`
	UserAgent                    string `json:"user_agent"`
	HTTPAcceptContent            string `json:"http_accept_content"`
	HTTPAcceptBrowserValue       string `json:"http_accept_browser_value"`
	HTTPBrowserLanguage          string `json:"http_browser_language"`
	HTTPBrowserJavaEnabled       *bool  `json:"http_browser_java_enabled"`
	HTTPBrowserJavascriptEnabled *bool  `json:"http_browser_javascript_enabled"`
	HTTPBrowserColorDepth        string `json:"http_browser_color_depth"`
	HTTPBrowserScreenHeight      string `json:"http_browser_screen_height"`
	HTTPBrowserScreenWidth       string `json:"http_browser_screen_width"`
	HTTPBrowserTimeDifference    string `json:"http_browser_time_difference"`
	DeviceID                     string `json:"device_id,omitempty"`
	SessionID                    string `json:"session_id,omitempty"`
}

// CreateChargeParams creates a card charge. Amount is the total; the client
// sends installment_value = Amount / InstallmentCount and refuses amounts that
// do not divide exactly.
type CreateChargeParams struct {
	WalletUUID          string
	MerchantID          string
	Payer               Payer
	Items               []Item
	Amount              money.Amount
	InstallmentCount    int    // 0 means 1
	DueDate             string // YYYY-MM-DD; empty means today (UTC)
	Description         string
	TypeCharge          string // empty means "credit_card"
	Card                Card
	Capture             bool // false = authorization only (a hold); always sent explicitly
	ThreeDS             bool // threeds_authentication
	DataOnly            bool // data_only
	DeviceInfo          *DeviceInfo
	WebhookURL          string
	RedirectURL         string
	ReferenceExternalID string
}

// CaptureParams captures an authorized charge. A nil Amount captures in full;
// a smaller amount captures part and releases the rest of the hold.
type CaptureParams struct {
	WalletUUID string
	ChargeUUID string
	Amount     *money.Amount
}

// CancelParams voids an uncaptured charge.
type CancelParams struct {
	WalletUUID string
	ChargeUUID string
	Reason     string
}

// RefundParams refunds a captured charge; nil Amount refunds what remains.
type RefundParams struct {
	WalletUUID string
	ChargeUUID string
	Amount     *money.Amount
	Reason     string
}

// ListChargesParams filters List charges (GET /charges/).
type ListChargesParams struct {
	WalletUUID   string
	MerchantUUID string
	DateStart    string
	DateEnd      string
	Page         int
	Limit        int
	Filter       string
	Sort         string
}

// ChargeList is one page of charges.
type ChargeList struct {
	Charges []Charge
	Page    int
	Limit   int
	Total   int
}

// State is the project's own view of a charge, the same whichever vocabulary
// A55 answered in (see Vocabulary).
type State string

const (
	StatePending3DS   State = "pending_3ds"   // waiting for the card holder's 3DS challenge
	StateProcessing   State = "processing"    // issued / pending at the acquirer, not decided yet
	StateAuthorized   State = "authorized"    // hold placed, not captured
	StateCaptured     State = "captured"      // captured (confirmed after capture, pre_captured, paid)
	StateCanceled     State = "canceled"      // voided, lapsed, or 3DS abandoned
	StateFailed       State = "failed"        // status "error": declined or failed
	StateRefunded     State = "refunded"      // fully or partly refunded
	StateRefundFailed State = "refund_failed" // refund_error
	StateDisputed     State = "disputed"      // any chargeback status
	StateUnknown      State = "unknown"       // a status this client does not know: re-read later
)

// Vocabulary says which meaning of "confirmed" the A55 deployment speaks.
type Vocabulary int

const (
	// VocabularySeeds: authorized = hold, confirmed = captured, paid = settled.
	// The default: it is what the documents our users gave us describe.
	VocabularySeeds Vocabulary = iota
	// VocabularyPublicDocs: confirmed = approved hold (for capture:false
	// charges), pre_captured / paid = captured.
	VocabularyPublicDocs
)

// Charge is a decoded A55 charge, whichever endpoint returned it.
type Charge struct {
	UUID                 string // uuid or charge_uuid
	WalletUUID           string
	Status               string // A55's status as sent
	State                State  // Status mapped through the client's Vocabulary
	URL3DS               string // url_3ds (or action_url)
	ReferenceExternalID  string
	TransactionReference string
	ECI                  string
	AuthenticationStatus string
	Amount               *money.Amount // local_currency / value / amount when A55 sent one
	Refunded             *money.Amount // refunded_amount: all A55 has refunded of the charge, when it said
	AmountRemaining      *money.Amount // amount_remaining: what A55 can still refund (a refund's answer), when it said
	Code                 string        // error code when Status is "error"
	Message              string        // human-readable message, flattened from any shape
	CreatedAt            time.Time     // created_at when A55 sent one it could be read as (UTC); zero otherwise
	Raw                  []byte        // the response body, for diagnostics (never contains card data: A55 does not echo it)
}

// ThreeDSValidation is the answer of the public 3DS validate call.
type ThreeDSValidation struct {
	ChargeUUID           string
	AuthenticationStatus string // authenticated | failed | attempted
	ECI                  string
	CAVV                 string
	Status               string
	State                State
	Message              string
}

// Token is an OAuth access token and when it stops being used.
type Token struct {
	AccessToken string
	ExpiresAt   time.Time
}
