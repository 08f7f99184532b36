package console

import (
	"net/http"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// consoleDeskRoutes registers the reception-day desk: the day's bookings,
// check-in by code, walk-ins and the deputies on duty. A day of a station
// outside the staff member's stations answers 404.
func (h *Handlers) consoleDeskRoutes(g *gin.RouterGroup) {
	g.GET("/reception-days", h.consoleReceptionDays)
	g.GET("/reception-days/:id/bookings", h.consoleDayBookings)
	g.POST("/reception-days/:id/checkin", h.consoleCheckIn)
	g.POST("/reception-days/:id/walkins", h.consoleWalkIn)
	g.PUT("/reception-days/:id/roster", h.consoleRoster)
}

// consoleReceptionDays lists the reception days of ?date= (default: today)
// at the staff member's stations (every station for an admin), or at
// ?station_id= when given.
func (h *Handlers) consoleReceptionDays(c *gin.Context) {
	date := c.Query("date")
	if date == "" {
		date = h.Now().In(h.Location).Format(models.DateLayout)
	} else if _, err := time.Parse(models.DateLayout, date); err != nil {
		shared.RespondErr(c, models.Invalid("date", "日期格式不正确（例如2026-03-10）"))
		return
	}
	stationID, ok := queryUint(c, "station_id")
	if !ok {
		return
	}
	scope := models.ScopeOf(consoleStaff(c))
	if stationID != 0 && !scope.Allows(stationID) {
		shared.RespondErr(c, models.ErrStationNotFound)
		return
	}
	ctx := c.Request.Context()
	q := models.ReceptionQuery{Date: date, Loc: h.Location, Limit: 200}
	var stations []uint64
	switch {
	case stationID != 0:
		stations = []uint64{stationID}
	case !scope.All:
		stations = scope.StationIDs
	}
	if stations == nil {
		// Every station (an admin): one page at a time.
		q.Cursor = c.Query("cursor")
		items, next, err := models.ListReceptionDays(ctx, h.DB, q, h.Now())
		if err != nil {
			shared.RespondErr(c, err)
			return
		}
		c.JSON(http.StatusOK, shared.List[models.ReceptionDayView]{Items: items, NextCursor: next})
		return
	}
	// A few stations, one day each at most: no paging.
	out := shared.List[models.ReceptionDayView]{Items: []models.ReceptionDayView{}}
	for _, id := range stations {
		q.StationID = &id
		items, _, err := models.ListReceptionDays(ctx, h.DB, q, h.Now())
		if err != nil {
			shared.RespondErr(c, err)
			return
		}
		out.Items = append(out.Items, items...)
	}
	c.JSON(http.StatusOK, out)
}

// consoleDayBookings lists the day's bookings in slot and waitlist order.
func (h *Handlers) consoleDayBookings(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	rows, err := models.ListDayBookings(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	if rows == nil {
		rows = []models.Booking{}
	}
	c.JSON(http.StatusOK, shared.List[models.Booking]{Items: rows})
}

type checkinBody struct {
	Code string `json:"code"`
}

// consoleCheckIn checks a voter in by the code they read out.
func (h *Handlers) consoleCheckIn(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var b checkinBody
	if !bindConsoleJSON(c, &b, true) {
		return
	}
	if strings.TrimSpace(b.Code) == "" {
		shared.RespondErr(c, models.Invalid("code", "请输入签到码"))
		return
	}
	bk, err := models.CheckIn(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, b.Code, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, bk)
}

type walkInBody struct {
	Name  string `json:"name"`
	Topic string `json:"topic"`
}

// consoleWalkIn records a voter received without a booking.
func (h *Handlers) consoleWalkIn(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var b walkInBody
	if !bindConsoleJSON(c, &b, true) {
		return
	}
	w, err := models.RecordWalkIn(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, b.Name, b.Topic, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, w)
}

type rosterBody struct {
	DeputyIDs *[]uint64 `json:"deputy_ids"`
}

// consoleRoster replaces the deputies on duty and answers the day.
func (h *Handlers) consoleRoster(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var b rosterBody
	if !bindConsoleJSON(c, &b, true) {
		return
	}
	switch {
	case b.DeputyIDs == nil:
		shared.RespondErr(c, models.Invalid("deputy_ids", "请提供值班代表名单（可以为空列表）"))
		return
	case len(*b.DeputyIDs) > 100:
		shared.RespondErr(c, models.Invalid("deputy_ids", "值班代表不能超过100位"))
		return
	}
	ctx := c.Request.Context()
	scope := models.ScopeOf(consoleStaff(c))
	day, err := models.GetReceptionDay(ctx, h.DB, id, h.Now(), h.Location)
	if err == nil && !scope.Allows(day.Station.ID) {
		err = models.ErrReceptionDayNotFound
	}
	if err == nil {
		err = models.SetRoster(ctx, h.DB, scope.Actor, id, *b.DeputyIDs, h.Now())
	}
	if err == nil {
		day, err = models.GetReceptionDay(ctx, h.DB, id, h.Now(), h.Location)
	}
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, day)
}
