package stack

import (
	"testing"
	"time"

	"github.com/hotelpay/a55-temporal/money"
	"github.com/hotelpay/a55-temporal/workflows"
)

func TestHotelHoldIsAValidBooking(t *testing.T) {
	in := HotelHold("fixture-1", "fixture-hotel", "two nights", "4111111111111111", money.Amount{Minor: 50000, Currency: "BRL"})
	if err := workflows.ValidateInput(in, time.Now()); err != nil {
		t.Fatalf("HotelHold: %v", err)
	}
	if in.BookingID != "fixture-1" || in.MerchantID != "fixture-hotel" || in.Description != "two nights" ||
		in.Card.Number != "4111111111111111" || in.Amount.Minor != 50000 {
		t.Errorf("HotelHold did not keep its arguments: %+v", in)
	}

	in.ThreeDS = true
	in.ReturnURL = "https://booking.example/3ds-return"
	in.DeviceInfo = SampleDeviceInfo("session-1", "Mozilla/5.0 fixture")
	if err := workflows.ValidateInput(in, time.Now()); err != nil {
		t.Fatalf("HotelHold with 3DS and SampleDeviceInfo: %v", err)
	}
}

func TestSampleDataIsFreshPerCall(t *testing.T) {
	a, b := SamplePayer(), SamplePayer()
	a.Address.City = "Curitiba"
	if b.Address.City != "Rio de Janeiro" {
		t.Errorf("SamplePayer shares its address between calls: %q", b.Address.City)
	}
	d1, d2 := SampleDeviceInfo("s1", "ua"), SampleDeviceInfo("s2", "ua")
	*d1.HTTPBrowserJavaEnabled = true
	if *d2.HTTPBrowserJavaEnabled {
		t.Error("SampleDeviceInfo shares its flags between calls")
	}
}
