package a55client

import (
	"fmt"

	"github.com/hotelpay/a55-temporal/internal/cardnum"
)

// Card data must never reach a log line, an error or a query result. These
// methods make every fmt verb (%v, %+v, %#v, %s, %q) print only the masked
// number; JSON marshalling stays the default because the card travels,
// encrypted by the payload codec, in the workflow input.

// Masked returns the number in first-6/last-4 form ("411111******1111"),
// or only asterisks when the number is too short to mask safely.
func (c Card) Masked() string { return cardnum.MaskPAN(c.Number) }

// String returns "card ****1111": the last four digits only.
func (c Card) String() string { return "card ****" + cardnum.LastFour(c.Number) }

// GoString is String, so %#v reveals nothing either.
func (c Card) GoString() string { return c.String() }

// Format implements fmt.Formatter for every verb.
func (c Card) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }
