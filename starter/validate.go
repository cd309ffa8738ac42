package starter

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hotelpay/a55-temporal/a55client"
	"github.com/hotelpay/a55-temporal/workflows"
)

// MaxFieldBytes bounds every text field of a booking's input. Nothing a
// booking carries comes near it; without a bound, a runaway field reaches
// Temporal's payload size limit, whose error names no field.
const MaxFieldBytes = 16 << 10

// summary is the one-line StaticSummary shown in the UI and CLI (no PII).
func summary(in workflows.BookingPaymentInput) string { return workflows.StaticSummary(in) }

// validateInput runs the workflow's own input rules before anything starts,
// plus the size bound of every text field.
func validateInput(in workflows.BookingPaymentInput, limits workflows.HoldLimits) error {
	problems := oversized(reflect.ValueOf(in), "")
	var limit *workflows.InputError
	if errors.As(limits.Check(in.MerchantID, in.Amount), &limit) {
		problems = append(problems, limit.Problems...)
	}
	err := workflows.ValidateInput(in, time.Now())
	if len(problems) == 0 {
		return err
	}
	var ie *workflows.InputError
	if errors.As(err, &ie) {
		problems = append(problems, ie.Problems...)
	}
	return &workflows.InputError{Problems: problems}
}

// oversized lists the string fields of v longer than MaxFieldBytes, by JSON path.
func oversized(v reflect.Value, path string) []a55client.FieldError {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return oversized(v.Elem(), path)
		}
	case reflect.String:
		if v.Len() > MaxFieldBytes {
			return []a55client.FieldError{{Field: path, Reason: fmt.Sprintf("must be at most %d bytes (got %d)", MaxFieldBytes, v.Len())}}
		}
	case reflect.Struct:
		var out []a55client.FieldError
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			out = append(out, oversized(v.Field(i), name)...)
		}
		return out
	}
	return nil
}
