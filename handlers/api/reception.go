package api

import (
	"net/http"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// listReceptionDays lists reception days with their roster and slots
// (remaining seats), public. ?date= lists every station's day on one date,
// for a city-wide "find a free seat" page; ?from=&to= a range (to alone
// starts today); with neither, the days not yet over. ?station_id= narrows
// to one station.
func (h *Handlers) listReceptionDays(c *gin.Context) {
	q := models.ReceptionQuery{Cursor: c.Query("cursor"), Loc: h.Location, Limit: 50}
	if c.Query("station_id") != "" {
		id, ok := shared.QueryID(c, "station_id")
		if !ok {
			return
		}
		q.StationID = &id
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"date", &q.Date}, {"from", &q.From}, {"to", &q.To}} {
		s := c.Query(p.name)
		if s == "" {
			continue
		}
		if _, err := time.Parse(models.DateLayout, s); err != nil {
			shared.RespondErr(c, models.Invalid(p.name, "日期格式不正确（例如2026-03-10）"))
			return
		}
		*p.dst = s
	}
	if q.Date != "" && (q.From != "" || q.To != "") {
		shared.RespondErr(c, models.Invalid("date", "不能同时按某一天和按日期范围查询"))
		return
	}
	if q.From == "" && q.To != "" {
		q.From = h.Now().In(h.Location).Format(models.DateLayout)
	}
	if !shared.QueryLimit(c, &q.Limit, 200) {
		return
	}
	items, next, err := models.ListReceptionDays(c.Request.Context(), h.DB, q, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, shared.List[models.ReceptionDayView]{Items: items, NextCursor: next})
}

// getReceptionDay returns one reception day, public.
func (h *Handlers) getReceptionDay(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetReceptionDay(c.Request.Context(), h.DB, id, h.Now(), h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
