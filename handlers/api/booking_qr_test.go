package api_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"deputylink/models"

	"github.com/skip2/go-qrcode"
)

// Ensure a voter gets their own booking's QR code as a PNG that encodes
// models.BookingQRText of the check-in code, privately cached; another
// voter's booking is 404, and so is a cancelled one, with a Chinese error.
func TestBookingQRImage(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	slots := e.slots(0, bkDec)
	a, b := e.voter("oVoterQRA", 0), e.voter("oVoterQRB", 0)
	bk := e.book(a, slots[0].ID)
	path := fmt.Sprintf("/api/v1/bookings/%d/qr.png", bk.ID)

	r := e.call("GET", path, a, "")
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" || !strings.Contains(r.header.Get("Cache-Control"), "private") {
		t.Fatalf("qr: %d %s %q", r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
	}
	img, err := png.Decode(bytes.NewReader(r.raw))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != 384 || sz.Y != 384 {
		t.Errorf("size %v", sz)
	}
	want, err := qrcode.Encode("DLBK:"+bk.CheckinCode, qrcode.Medium, 384)
	must(t, err)
	if !bytes.Equal(r.raw, want) {
		t.Errorf("the image does not encode %q", "DLBK:"+bk.CheckinCode)
	}
	if models.BookingQRText(bk.CheckinCode) != "DLBK:"+bk.CheckinCode {
		t.Errorf("BookingQRText changed: %q", models.BookingQRText(bk.CheckinCode))
	}

	for _, c := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"another voter's", path, b, 404, "booking_not_found"},
		{"unknown", "/api/v1/bookings/99999/qr.png", a, 404, "booking_not_found"},
		{"bad id", "/api/v1/bookings/x/qr.png", a, 400, "invalid_id"},
		{"no token", path, "", 401, ""},
	} {
		r := e.call("GET", c.path, c.token, "")
		if r.status != c.status || (c.code != "" && r.code() != c.code) {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}

	if r := e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", bk.ID), a, ""); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	r = e.call("GET", path, a, "")
	if r.status != 404 || r.code() != "booking_not_active" || !strings.Contains(string(r.raw), "已取消") {
		t.Errorf("cancelled: %d %s", r.status, r.raw)
	}
}
