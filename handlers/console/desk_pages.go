package console

import "github.com/gin-gonic/gin"

// deskPages registers the reception-day desk: the days, one day's roster,
// bookings, check-in, walk-ins and its printable list.
func (h *Handlers) deskPages(signedIn *gin.RouterGroup) {}
