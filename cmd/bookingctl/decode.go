package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/cardvault"
	"github.com/hotelpay/a55-temporal/internal/cardnum"
	"github.com/hotelpay/a55-temporal/internal/logging"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

// maxInputBytes bounds the authorize input read from a file or stdin.
const maxInputBytes = 1 << 20

// InputError is a problem with the authorize input JSON. Its text never
// quotes input values (they may be card data).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return "input: " + e.Msg }

// decodeAuthorizeInput reads exactly one JSON object with only known fields.
func decodeAuthorizeInput(r io.Reader) (workflows.BookingPaymentInput, error) {
	var in workflows.BookingPaymentInput
	if err := decodeObject(r, &in, "the booking JSON"); err != nil {
		return workflows.BookingPaymentInput{}, err
	}
	return in, nil
}

// replaceHoldInput is replace-hold's JSON (card data: a file or stdin only).
type replaceHoldInput struct {
	Card       a55client.Card        `json:"card,omitzero"`
	CardToken  *cardvault.Token      `json:"card_token,omitempty"`
	ThreeDS    bool                  `json:"threeds"`
	DeviceInfo *a55client.DeviceInfo `json:"device_info,omitempty"`
}

// decodeObject reads exactly one JSON object with only known fields into v;
// what names the expected input in the error for an empty one.
func decodeObject(r io.Reader, v any, what string) error {
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return &InputError{"reading: " + err.Error()}
	}
	if len(data) > maxInputBytes {
		return &InputError{fmt.Sprintf("larger than %d bytes", maxInputBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &InputError{"empty: pass " + what + " with -file or on stdin"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &InputError{describeJSONError(err, data)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &InputError{"trailing data after the JSON object"}
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("null")) {
		return &InputError{"want a JSON object, got null"}
	}
	return nil
}

func describeJSONError(err error, data []byte) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d", line, col)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fmt.Sprintf("want a JSON object, got %s", typ.Value)
		}
		return fmt.Sprintf("field %s: want %s, got %s", field, typeName(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The field name is attacker- or typo-controlled: redact before echoing.
		return "unknown field " + logging.Redact(strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	// time.Time and other TextUnmarshalers: say which kind of value is wrong
	// without quoting it.
	msg := err.Error()
	if strings.Contains(msg, "parsing time") {
		return "a time field is not RFC 3339 (e.g. 2026-12-01T11:00:00-03:00)"
	}
	return logging.Redact(msg)
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), goType == "time.Duration":
		return "an integer"
	case goType == "string", strings.HasSuffix(goType, "Currency"), strings.HasSuffix(goType, "Kind"), strings.HasSuffix(goType, "Action"):
		return "a string"
	case goType == "bool", goType == "*bool":
		return "true or false"
	}
	return "an object"
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// parseAmount reads either a decimal in major units ("320.00", "320") or,
// with minor=true, an integer of minor units, in the given currency. It uses
// integer arithmetic only.
func parseAmount(text string, currency money.Currency, minor bool) (money.Amount, error) {
	exp, ok := money.Exponent(currency)
	if !ok {
		return money.Amount{}, fmt.Errorf("-currency %q is not one of %v", string(currency), money.KnownCurrencies())
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return money.Amount{}, errors.New("-amount is empty")
	}
	whole, frac, hasFrac := strings.Cut(text, ".")
	if minor && hasFrac {
		return money.Amount{}, fmt.Errorf("-minor %q must be a whole number of minor units", text)
	}
	if !cardnum.AllDigits(whole) || (hasFrac && !cardnum.AllDigits(frac)) || (hasFrac && frac == "") {
		return money.Amount{}, fmt.Errorf("-amount %q is not a positive decimal such as 320.00", text)
	}
	if len(frac) > exp {
		return money.Amount{}, fmt.Errorf("-amount %q has more than %d decimals for %s", text, exp, currency)
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	if minor {
		digits = whole
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 17 {
		return money.Amount{}, fmt.Errorf("-amount %q is too large", text)
	}
	var n int64
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	return money.New(n, currency)
}
