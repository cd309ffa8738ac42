package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hotelpay/a55-temporal/cardvault/cardstore"
	"github.com/hotelpay/a55-temporal/internal/config"
	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/starter"
	"github.com/hotelpay/a55-temporal/workflows"
)

func TestDecodeTheExampleBooking(t *testing.T) {
	f, err := os.Open("testdata/booking.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := decodeAuthorizeInput(f)
	if err != nil {
		t.Fatal(err)
	}
	if in.BookingID != "BK-2026-0001" || in.Amount != (money.Amount{Minor: 50000, Currency: "BRL"}) ||
		in.Card.Number != "4111111111111111" || !in.ThreeDS || in.DeadlinePolicy.Action != workflows.DeadlineRelease ||
		in.ExpectedCaptureAt.UTC().Hour() != 14 {
		t.Fatalf("decoded %+v", in)
	}
	// The example is what the README shows: the workflow must accept it when
	// booked three days before its check-out.
	if err := workflows.ValidateInput(in, in.ExpectedCaptureAt.Add(-72*time.Hour)); err != nil {
		t.Fatalf("the example booking is invalid: %v", err)
	}
}

func TestDecodeErrorsNameTheFieldAndNeverQuoteCardData(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"unknown field":        {`{"booking_id":"B1","cardnumber":"4111111111111111"}`, `unknown field "cardnumber"`},
		"PAN as a field name":  {`{"4111111111111111":1}`, `unknown field`},
		"wrong type":           {`{"amount":{"minor":"500.00","currency":"BRL"}}`, "field amount.minor: want an integer, got string"},
		"card number a number": {`{"card":{"number":4111111111111111}}`, "field card.number: want a string, got number"},
		"syntax":               {"{\n  \"booking_id\": \"B1\",\n  oops\n}", "invalid JSON at line 3"},
		"truncated":            {`{"booking_id":"B1"`, "truncated"},
		"two objects":          {`{} {}`, "trailing data"},
		"array":                {`[1]`, "want a JSON object"},
		"null":                 {`null`, "want a JSON object"},
		"empty":                {"  \n", "empty"},
		"bad time":             {`{"expected_capture_at":"tomorrow"}`, "RFC 3339"},
		"duration as text":     {`{"capture_grace":"24h"}`, "field capture_grace: want an integer"},
		"too large":            {`{"description":"` + strings.Repeat("x", maxInputBytes) + `"}`, "larger than"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decodeAuthorizeInput(strings.NewReader(tc.body))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "4111111111111111") {
				t.Errorf("error quotes the card number: %q", err)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	good := []struct {
		text     string
		currency money.Currency
		minor    bool
		want     int64
	}{
		{"320.00", "BRL", false, 32000},
		{"320", "BRL", false, 32000},
		{"320.5", "BRL", false, 32050},
		{"0.01", "USD", false, 1},
		{"32000", "BRL", true, 32000},
		{"15000", "CLP", false, 15000},
	}
	for _, g := range good {
		a, err := parseAmount(g.text, g.currency, g.minor)
		if err != nil || a.Minor != g.want || a.Currency != g.currency {
			t.Errorf("parseAmount(%q, %s, %v) = %v, %v; want %d", g.text, g.currency, g.minor, a, err, g.want)
		}
	}
	bad := []struct {
		text     string
		currency money.Currency
		minor    bool
	}{
		{"320.001", "BRL", false}, {"1.5", "CLP", false}, {"-5", "BRL", false}, {"0", "BRL", false},
		{"3e2", "BRL", false}, {"320,00", "BRL", false}, {"", "BRL", false}, {"320.", "BRL", false},
		{"320.00", "BRL", true}, {"10", "EUR", false}, {"99999999999999999999", "BRL", false}, {" 1 2", "BRL", false},
	}
	for _, b := range bad {
		if a, err := parseAmount(b.text, b.currency, b.minor); err == nil {
			t.Errorf("parseAmount(%q, %s, %v) = %v, want an error", b.text, b.currency, b.minor, a)
		}
	}
}

func newTestApp(stdin string) (*app, *bytes.Buffer, *bytes.Buffer, *int) {
	var out, errOut bytes.Buffer
	dials := 0
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, env: config.Map{}}
	a.dial = func(context.Context, bool) (client.Client, error) {
		dials++
		return nil, errors.New("dial refused in this test")
	}
	return a, &out, &errOut, &dials
}

func TestUsageErrorsExit2WithoutContactingTemporal(t *testing.T) {
	cases := map[string]struct {
		args  []string
		stdin string
	}{
		"no command":               {nil, ""},
		"unknown command":          {[]string{"rebate"}, ""},
		"unknown flag":             {[]string{"status", "-booking", "B1", "-pan", "4111"}, ""},
		"missing booking":          {[]string{"capture"}, ""},
		"bad booking id":           {[]string{"status", "-booking", "B1;rm -rf /"}, ""},
		"amount and minor":         {[]string{"capture", "-booking", "B1", "-amount", "1.00", "-minor", "100"}, ""},
		"bad amount":               {[]string{"capture", "-booking", "B1", "-amount", "1.001"}, ""},
		"bad currency":             {[]string{"capture", "-booking", "B1", "-amount", "1.00", "-currency", "EUR"}, ""},
		"bad time":                 {[]string{"move-checkout", "-booking", "B1", "-at", "friday"}, ""},
		"3ds without charge":       {[]string{"3ds-complete", "-booking", "B1"}, ""},
		"extra arguments":          {[]string{"status", "B1", "B2"}, ""},
		"authorize bad json":       {[]string{"authorize"}, `{"booking_id":`},
		"authorize unknown":        {[]string{"authorize"}, `{"booking_id":"B1","pan":"4111111111111111"}`},
		"authorize no input":       {[]string{"authorize"}, ``},
		"authorize no file":        {[]string{"authorize", "-file", "/nonexistent/booking.json"}, ``},
		"resolve amount and minor": {[]string{"resolve", "-booking", "B1", "-action", "mark-captured", "-amount", "1.00", "-minor", "100"}, ""},
		"resolve bad amount":       {[]string{"resolve", "-booking", "B1", "-action", "mark-captured", "-amount", "x"}, ""},
		"resolve missing booking":  {[]string{"resolve", "-action", "retry"}, ""},
		"refund without amount":    {[]string{"refund", "-booking", "B1", "-id", "r1"}, ""},
		"refund without id":        {[]string{"refund", "-booking", "B1", "-amount", "1.00"}, ""},
		"refund bad amount":        {[]string{"refund", "-booking", "B1", "-id", "r1", "-amount", "1.001"}, ""},
		"replace without amount":   {[]string{"replace-hold", "-booking", "B1", "-id", "r1"}, `{"card":{}}`},
		"replace bad checkout":     {[]string{"replace-hold", "-booking", "B1", "-id", "r1", "-amount", "900.00", "-checkout", "friday"}, `{"card":{}}`},
		"replace unknown field":    {[]string{"replace-hold", "-booking", "B1", "-id", "r1", "-amount", "900.00"}, `{"pan":"4111111111111111"}`},
		"replace no card store":    {[]string{"replace-hold", "-booking", "B1", "-id", "r1", "-amount", "900.00"}, `{"card":{"number":"4111111111111111"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, _, errOut, dials := newTestApp(tc.stdin)
			if code := a.run(context.Background(), tc.args); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitUsage, errOut)
			}
			if *dials != 0 {
				t.Error("contacted Temporal for a usage error")
			}
			if strings.Contains(errOut.String(), "4111111111111111") {
				t.Errorf("stderr quotes card data: %s", errOut)
			}
		})
	}
}

func TestExitCodesOfErrors(t *testing.T) {
	a, _, errOut, _ := newTestApp("")
	cases := []struct {
		err  error
		want int
	}{
		{&starter.RejectedError{Operation: "capture", BookingID: "B1", Reason: "amount exceeds", Type: "InvalidCapture"}, exitRejected},
		{&starter.RejectedError{Operation: "authorize", BookingID: "B1", Reason: "amount", Type: "InvalidInput"}, exitUsage},
		{errors.Join(errors.New("status"), starter.ErrBookingNotFound), exitNotFound},
		{config.Errorf("PAYLOAD_KEYS", "missing"), exitUsage},
		{errors.New("connection refused"), exitFailure},
	}
	for _, tc := range cases {
		if got := a.fail(tc.err); got != tc.want {
			t.Errorf("fail(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if !strings.Contains(errOut.String(), `"reason":"amount exceeds"`) {
		t.Errorf("rejection not reported as JSON: %s", errOut)
	}
}

func TestBookingIDMayLeadTheFlags(t *testing.T) {
	for _, args := range [][]string{
		{"capture", "BK-1", "-amount", "320.00"},
		{"capture", "-amount", "320.00", "BK-1"},
		{"capture", "-booking", "BK-1", "-amount", "320.00"},
		{"resolve", "BK-1", "-action", "mark-captured", "-amount", "320.00", "-who", "ana", "-why", "captured by hand"},
	} {
		a, _, errOut, dials := newTestApp("")
		if code := a.run(context.Background(), args); code != exitFailure || *dials != 1 {
			t.Errorf("%q: exit %d after %d dials (stderr %s); want to reach Temporal", args, code, *dials, errOut)
		}
	}
}

func TestValidInputReachesTemporal(t *testing.T) {
	body, err := os.ReadFile("testdata/booking.json")
	if err != nil {
		t.Fatal(err)
	}
	a, _, _, dials := newTestApp(string(body))
	a.env = config.Map{cardstore.EnvStore: "sqlite:" + filepath.Join(t.TempDir(), "cardkeys.db")}
	if code := a.run(context.Background(), []string{"authorize"}); code != exitFailure || *dials != 1 {
		t.Fatalf("exit %d after %d dials; want the dial failure (1) after one dial", code, *dials)
	}
}

// Without the card-key store a card cannot be sealed: usage error, nothing
// contacted; with a store that cannot be opened, a failure before Temporal.
func TestAuthorizeNeedsTheCardKeyStore(t *testing.T) {
	body, err := os.ReadFile("testdata/booking.json")
	if err != nil {
		t.Fatal(err)
	}
	a, _, errOut, dials := newTestApp(string(body))
	if code := a.run(context.Background(), []string{"authorize"}); code != exitUsage || *dials != 0 || !strings.Contains(errOut.String(), cardstore.EnvStore) {
		t.Fatalf("no store: exit %d after %d dials, stderr %s", code, *dials, errOut)
	}
	a, _, errOut, dials = newTestApp(string(body))
	a.env = config.Map{cardstore.EnvStore: "postgres://cardkeys:pw@127.0.0.1:1/cardkeys?sslmode=disable&connect_timeout=2"}
	if code := a.run(context.Background(), []string{"authorize"}); code != exitFailure || *dials != 0 || strings.Contains(errOut.String(), "pw@") {
		t.Fatalf("unreachable store: exit %d after %d dials, stderr %s", code, *dials, errOut)
	}
}
