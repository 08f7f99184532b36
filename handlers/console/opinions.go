package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// consoleOpinionRoutes registers the staff's opinion endpoints. A clerk or
// head sees and acts on their stations' items only; any other id answers
// 404, as if it did not exist. Every action runs in one transaction with
// the notifications it causes (the outbox).
func (h *Handlers) consoleOpinionRoutes(g *gin.RouterGroup) {
	g.GET("/opinions", h.consoleListOpinions)
	g.GET("/opinions/:id", h.consoleGetOpinion)
	g.POST("/opinions/:id/accept", h.consoleAccept)
	g.POST("/opinions/:id/transfer", h.consoleTransfer)
	g.POST("/opinions/:id/reply", h.consoleReply)
	g.POST("/opinions/:id/return", h.consoleReturn)
	g.POST("/opinions/:id/close", h.consoleClose)
	g.POST("/opinions/:id/reopen", h.consoleReopen)
	g.POST("/opinions/:id/notes", h.consoleAddNote)
	g.GET("/departments", h.consoleDepartments)
	g.GET("/staff", h.consoleStaffList)
}

// queryFlag reads a 0/1 (or false/true) query parameter.
func queryFlag(c *gin.Context, name string) (bool, bool) {
	switch strings.ToLower(c.Query(name)) {
	case "", "0", "false":
		return false, true
	case "1", "true":
		return true, true
	}
	shared.RespondErr(c, models.Invalid(name, "“"+name+"”应为 0 或 1"))
	return false, false
}

// queryUint reads an optional positive integer query parameter (0 when absent).
func queryUint(c *gin.Context, name string) (uint64, bool) {
	s := c.Query(name)
	if s == "" {
		return 0, true
	}
	n, ok := models.ParseID(s)
	if !ok {
		shared.RespondErr(c, models.Invalid(name, shared.FieldLabel(name)+"应为正整数"))
		return 0, false
	}
	return n, true
}

// consoleListOpinions lists the items the staff member may see, newest
// first: ?status=&category=&overdue=1&escalated=1&station_id=&office=1&cursor=&limit=.
func (h *Handlers) consoleListOpinions(c *gin.Context) {
	q := models.StaffQuery{Status: models.OpinionStatus(c.Query("status")), Category: c.Query("category")}
	var ok bool
	if q.Overdue, ok = queryFlag(c, "overdue"); !ok {
		return
	}
	if q.Escalated, ok = queryFlag(c, "escalated"); !ok {
		return
	}
	if q.Office, ok = queryFlag(c, "office"); !ok {
		return
	}
	if q.StationID, ok = queryUint(c, "station_id"); !ok {
		return
	}
	if q.BeforeID, ok = queryUint(c, "cursor"); !ok {
		return
	}
	limit, ok := queryUint(c, "limit")
	if !ok {
		return
	}
	if limit > 100 {
		shared.RespondErr(c, models.Invalid("limit", "每页最多100条"))
		return
	}
	q.Limit = int(limit)
	items, next, err := models.ListStaffOpinions(c.Request.Context(), h.DB, consoleStaff(c).ID, q, h.Now(), h.Location)
	shared.RespondPage(c, items, next, err)
}

func (h *Handlers) consoleGetOpinion(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	h.respondStaffOpinion(c, http.StatusOK, id)
}

func (h *Handlers) respondStaffOpinion(c *gin.Context, status int, id uint64) {
	v, err := models.GetStaffOpinion(c.Request.Context(), h.DB, consoleStaff(c).ID, id, h.Now(), h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(status, v)
}

// opinionStep is one workflow action, run inside the request's transaction.
type opinionStep func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error)

// ConsoleMovedView answers an action after which the actor no longer sees
// the item: it was returned (退办) to a station that is not theirs.
type ConsoleMovedView struct {
	ID         uint64               `json:"id"`
	TrackingNo string               `json:"tracking_no"`
	Status     models.OpinionStatus `json:"status"`
	StationID  uint64               `json:"station_id"`
	// Visible is false: the item left the staff member's stations.
	Visible bool `json:"visible"`
}

// consoleAct parses the item id and the body (into body, which may be
// nil), runs step and enqueues its events in one transaction, and answers
// the item as it is now. A refused step changes nothing.
func (h *Handlers) consoleAct(c *gin.Context, body any, step opinionStep) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	if body != nil && !bindConsoleJSON(c, body, true) {
		return
	}
	ctx := c.Request.Context()
	staffID, now := consoleStaff(c).ID, h.Now()
	var op models.Opinion
	err := models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
		var events []models.OpinionEvent
		var err error
		if op, events, err = step(ctx, tx, staffID, id, now); err != nil {
			return err
		}
		return h.EnqueueOpinionEvents(ctx, tx, events)
	})
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	v, err := models.GetStaffOpinion(ctx, h.DB, staffID, id, now, h.Location)
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.JSON(http.StatusOK, ConsoleMovedView{ID: op.ID, TrackingNo: op.TrackingNo, Status: op.Status, StationID: op.StationID})
	case err != nil:
		shared.RespondErr(c, err)
	default:
		c.JSON(http.StatusOK, v)
	}
}

// noteBody is the body of accept, close and reopen.
type noteBody struct {
	Note string `json:"note"`
}

func (h *Handlers) consoleAccept(c *gin.Context) {
	var b noteBody
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.AcceptOpinion(ctx, tx, staffID, id, b.Note, now)
	})
}

type transferBody struct {
	DepartmentID    uint64   `json:"department_id"`
	CoDepartmentIDs []uint64 `json:"co_department_ids"`
	LeadStaffID     uint64   `json:"lead_staff_id"`
	// DueAt is RFC 3339, or a date (YYYY-MM-DD) meaning the end of that day.
	DueAt string `json:"due_at"`
	Note  string `json:"note"`
}

func (h *Handlers) consoleTransfer(c *gin.Context) {
	var b transferBody
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		if b.DepartmentID == 0 {
			return models.Opinion{}, nil, models.Invalid("department_id", "请选择主办单位")
		}
		in := models.TransferInput{DepartmentID: b.DepartmentID, CoDepartmentIDs: b.CoDepartmentIDs,
			LeadStaffID: b.LeadStaffID, Note: b.Note}
		if b.DueAt != "" {
			due, err := h.parseDue(b.DueAt)
			if err != nil {
				return models.Opinion{}, nil, err
			}
			in.DueAt = &due
		}
		return models.TransferOpinion(ctx, tx, staffID, id, in, now)
	})
}

// parseDue reads a deadline: RFC 3339, or a local date meaning its last second.
func (h *Handlers) parseDue(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseInLocation(models.DateLayout, s, h.Location); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Second), nil
	}
	return time.Time{}, models.Invalid("due_at", "办理期限格式不正确（例如2026-03-10）")
}

type replyBody struct {
	Text string `json:"text"`
	Note string `json:"note"`
}

func (h *Handlers) consoleReply(c *gin.Context) {
	var b replyBody
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReplyOpinion(ctx, tx, staffID, id, models.ReplyInput{Text: b.Text, Note: b.Note}, now)
	})
}

type returnBody struct {
	Reason      string `json:"reason"`
	ToStationID uint64 `json:"to_station_id"`
}

func (h *Handlers) consoleReturn(c *gin.Context) {
	var b returnBody
	cal, ok := h.consoleCalendar(c)
	if !ok {
		return
	}
	// Without the cache a zero world is loaded inside the transaction,
	// when re-routing needs it.
	var world models.RouteWorld
	if h.Routes != nil {
		var err error
		if world, err = h.Routes.Get(c.Request.Context(), h.DB); err != nil {
			shared.RespondErr(c, err)
			return
		}
	}
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReturnOpinion(ctx, tx, staffID, id,
			models.ReturnInput{Reason: b.Reason, ToStationID: b.ToStationID}, world, now, h.Location, cal)
	})
}

func (h *Handlers) consoleClose(c *gin.Context) {
	var b noteBody
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.CloseOpinion(ctx, tx, staffID, id, b.Note, now)
	})
}

func (h *Handlers) consoleReopen(c *gin.Context) {
	var b noteBody
	cal, ok := h.consoleCalendar(c)
	if !ok {
		return
	}
	h.consoleAct(c, &b, func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReopenOpinion(ctx, tx, staffID, id, b.Note, now, h.Location, cal)
	})
}

// consoleCalendar loads the working-day calendar, before any transaction
// opens (SQLite has one connection).
func (h *Handlers) consoleCalendar(c *gin.Context) (*models.Calendar, bool) {
	cal, err := models.LoadCalendar(c.Request.Context(), h.DB)
	if err != nil {
		shared.RespondErr(c, err)
		return nil, false
	}
	return cal, true
}

type noteTextBody struct {
	Text string `json:"text"`
}

// consoleAddNote adds an internal note (never shown to the voter).
func (h *Handlers) consoleAddNote(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var b noteTextBody
	if !bindConsoleJSON(c, &b, true) {
		return
	}
	s := consoleStaff(c)
	n, err := models.AddNote(c.Request.Context(), h.DB, s.ID, id, b.Text, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, models.NoteView{ID: n.ID, Staff: models.NameRef{ID: s.ID, Name: s.Name},
		Text: n.Text, CreatedAt: n.CreatedAt.In(h.Location)})
}

// consoleDepartments lists the departments for the transfer form.
func (h *Handlers) consoleDepartments(c *gin.Context) {
	rows, err := models.ListDepartments(c.Request.Context(), h.DB)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, shared.List[models.Department]{Items: rows})
}

// consoleStaffList lists who can lead an item of ?station_id= (default:
// any of the staff member's stations) for the transfer form.
func (h *Handlers) consoleStaffList(c *gin.Context) {
	stationID, ok := queryUint(c, "station_id")
	if !ok {
		return
	}
	rows, err := models.ListStationStaff(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), stationID)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, shared.List[models.StaffBrief]{Items: rows})
}
