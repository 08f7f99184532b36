package console

import (
	"net/http"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// consoleAdminRoutes registers the calendar and reception-rule settings and
// the opinion photos. Every staff member may read the calendar; only admins
// change it. A station's reception rule is read by its staff and changed by
// its head or an admin.
func (h *Handlers) consoleAdminRoutes(g *gin.RouterGroup) {
	g.GET("/holidays", h.consoleHolidays)
	g.PUT("/holidays/:date", h.consoleSetHoliday)
	g.DELETE("/holidays/:date", h.consoleDeleteHoliday)
	g.GET("/stations/:id/reception-rule", h.consoleReceptionRule)
	g.PUT("/stations/:id/reception-rule", h.consoleSetReceptionRule)
	g.GET("/opinions/:id/photos/:photo_id", h.consoleOpinionPhoto)
}

var errAdminOnly = models.Coded(models.ErrForbidden, "admin_only", "只有管理员可以进行此操作")

func staffActor(s models.Staff) models.Actor { return models.Actor{Kind: "staff", ID: s.ID} }

// consoleHolidays lists the holidays and make-up workdays of ?year= (default
// this year; models.CheckHolidayYear bounds it).
func (h *Handlers) consoleHolidays(c *gin.Context) {
	year := h.Now().In(h.Location).Year()
	if s := c.Query("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || len(s) != 4 {
			y = 0 // not a year: the same answer as one out of range
		}
		if err := models.CheckHolidayYear("year", y, h.Now(), h.Location); err != nil {
			shared.RespondErr(c, err)
			return
		}
		year = y
	}
	rows, err := models.ListHolidays(c.Request.Context(), h.DB, strconv.Itoa(year)+"-01-01", strconv.Itoa(year)+"-12-31")
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, shared.List[models.Holiday]{Items: rows})
}

type holidayBody struct {
	Kind models.HolidayKind `json:"kind"`
	Name string             `json:"name"`
}

// consoleSetHoliday adds or changes one date. Reception days move and open
// opinions' deadlines are recomputed by their jobs within the hour.
func (h *Handlers) consoleSetHoliday(c *gin.Context) {
	s := consoleStaff(c)
	if s.Role != models.RoleAdmin {
		shared.RespondErr(c, errAdminOnly)
		return
	}
	var b holidayBody
	if !bindConsoleJSON(c, &b, true) {
		return
	}
	hd := models.Holiday{Date: c.Param("date"), Kind: b.Kind, Name: b.Name}
	if err := models.SetHoliday(c.Request.Context(), h.DB, staffActor(s), hd, h.Now()); err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.Routes.Invalidate() // filings read the calendar from the cached world
	c.JSON(http.StatusOK, hd)
}

func (h *Handlers) consoleDeleteHoliday(c *gin.Context) {
	s := consoleStaff(c)
	if s.Role != models.RoleAdmin {
		shared.RespondErr(c, errAdminOnly)
		return
	}
	if err := models.DeleteHoliday(c.Request.Context(), h.DB, staffActor(s), c.Param("date"), h.Now()); err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.Routes.Invalidate()
	c.Status(http.StatusNoContent)
}

// scopedStation reads :id and checks the staff member covers that station.
func (h *Handlers) scopedStation(c *gin.Context) (models.Staff, uint64, bool) {
	s := consoleStaff(c)
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return s, 0, false
	}
	if !models.ScopeOf(s).Allows(id) {
		shared.RespondErr(c, models.ErrStationNotFound)
		return s, 0, false
	}
	return s, id, true
}

func (h *Handlers) consoleReceptionRule(c *gin.Context) {
	_, id, ok := h.scopedStation(c)
	if !ok {
		return
	}
	r, err := models.GetReceptionRule(c.Request.Context(), h.DB, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// consoleSetReceptionRule replaces a station's rule; the reception-days job
// regenerates future days that have no bookings and reports the others.
func (h *Handlers) consoleSetReceptionRule(c *gin.Context) {
	s, id, ok := h.scopedStation(c)
	if !ok {
		return
	}
	if s.Role != models.RoleAdmin && s.Role != models.RoleHead {
		shared.RespondErr(c, models.Coded(models.ErrForbidden, "head_only", "只有站长或管理员可以修改接待规则"))
		return
	}
	var r models.ReceptionRule
	if !bindConsoleJSON(c, &r, false) {
		return
	}
	r.ID, r.StationID = 0, id
	saved, err := models.SetReceptionRule(c.Request.Context(), h.DB, staffActor(s), r, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, saved)
}

// consoleOpinionPhoto serves an opinion's photo to the staff who may see
// the opinion (another station's → 404).
func (h *Handlers) consoleOpinionPhoto(c *gin.Context) {
	s := consoleStaff(c)
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	pid, ok := shared.ParseID(c, "photo_id")
	if !ok {
		return
	}
	u, err := models.StaffOpinionPhoto(c.Request.Context(), h.DB, s.ID, id, pid)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.ServeUpload(c, u)
}
