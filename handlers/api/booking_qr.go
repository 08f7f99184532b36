package api

import (
	"net/http"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/skip2/go-qrcode"
)

// bookingQRSize is the side of the booking's QR image in pixels: sharp on
// a phone's screen held up to the desk's scanner.
const bookingQRSize = 384

// bookingQR answers the QR code of one of the voter's own bookings as a
// PNG: it holds models.BookingQRText of the check-in code
// (docs/ARCHITECTURE.md#reception-desk), which the desk reads with WeChat's
// scanner. Another voter's booking is 404; a cancelled booking, or one
// already over as a no-show, has no code to show (404 booking_not_active).
func (h *Handlers) bookingQR(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetVoterBooking(c.Request.Context(), h.DB, voterID(c), id, h.Location)
	if err == nil && (v.Status == models.BookingCancelled || v.Status == models.BookingNoShow) {
		err = models.ErrBookingQRGone
	}
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	png, err := qrcode.Encode(models.BookingQRText(v.CheckinCode), qrcode.Medium, bookingQRSize)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/png", png)
}
