package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// The opinion pages: the inbox, one item with a form for every action the
// staff member may take on it now, and the entry of opinions received
// offline. They are scoped exactly like the JSON API (opinions.go), through
// the same models calls: a clerk or head sees their stations' items, an
// admin every item; any other id is the 404 page. Every action posts a
// form with the CSRF token, asks for a confirmation in the page
// (data-confirm) and answers 303 back to the item with a notice; a refused
// one shows the item again with the Chinese message and what was typed.

// Templates of the opinion pages.
const (
	tplInbox      = "inbox.html"
	tplOpinion    = "opinion.html"
	tplOpinionNew = "opinion_new.html"
)

// errNoDataKey answers a phone to seal or open without the data key.
var errNoDataKey = models.Coded(shared.ErrUnavailable, "no_data_key", "暂时无法处理电话号码（未配置数据密钥），请联系管理员")

// opinionsPath is the inbox; an item is opinionsPath/<id>.
const opinionsPath = pagesBase + "/opinions"

// OpinionPagePath is the console page of one item (template messages link here).
func OpinionPagePath(id uint64) string { return opinionsPath + "/" + strconv.FormatUint(id, 10) }

// NewOpinionPath is the offline entry form; the desk links here with
// channel, station, day, name, content and deputy prefilled.
const NewOpinionPath = opinionsPath + "/new"

// opinionPages registers the inbox, the item and its actions, and the
// entry of opinions received offline.
func (h *Handlers) opinionPages(signedIn *gin.RouterGroup) {
	signedIn.GET("/opinions", h.pageInbox)
	signedIn.GET("/opinions/new", h.pageOpinionNew)
	signedIn.POST("/opinions", h.pageOpinionCreate)
	signedIn.GET("/opinions/:id", h.pageOpinion)
	signedIn.POST("/opinions/:id/accept", h.pageAccept)
	signedIn.POST("/opinions/:id/transfer", h.pageTransfer)
	signedIn.POST("/opinions/:id/reply", h.pageReply)
	signedIn.POST("/opinions/:id/return", h.pageReturn)
	signedIn.POST("/opinions/:id/close", h.pageClose)
	signedIn.POST("/opinions/:id/reopen", h.pageReopen)
	signedIn.POST("/opinions/:id/note", h.pageNote)
	signedIn.POST("/opinions/:id/callback", h.pageCallback)
	signedIn.POST("/opinions/:id/reveal-phone", h.pageRevealPhone)
	signedIn.POST("/opinions/:id/erase-contact", h.pageEraseContact)
}

// option is one choice of a select or radio group.
type option struct {
	Value, Label string
}

// inboxRow is one item of the inbox.
type inboxRow struct {
	ID                                           uint64
	Href, TrackingNo, Category, Station, Status  string
	Channel, DueLabel, Due, Summary, StatusClass string
	Overdue, Escalated, Offline                  bool
}

// inboxData is the inbox page.
type inboxData struct {
	Rows                                      []inboxRow
	Statuses, Categories, Stations, Channels  []option
	Status, Category, Station, Channel, Query string
	Overdue                                   bool
	Next                                      string
}

func (h *Handlers) pageInbox(c *gin.Context) {
	ctx := c.Request.Context()
	staff := consoleStaff(c)
	d := inboxData{Status: c.Query("status"), Category: c.Query("category"), Station: c.Query("station_id"),
		Channel: c.Query("channel"), Overdue: c.Query("overdue") == "1"}
	q := models.StaffQuery{Status: models.OpinionStatus(d.Status), Category: d.Category, Source: d.Channel, Overdue: d.Overdue, Limit: 30}
	var bad error
	if d.Station != "" {
		if d.Station == "office" && staff.Role == models.RoleAdmin {
			q.Office = true
		} else if id, ok := models.ParseID(d.Station); ok {
			q.StationID = id
		} else {
			bad = models.Invalid("station_id", "请选择有效的联络站")
		}
	}
	if s := c.Query("cursor"); s != "" {
		if id, ok := models.ParseID(s); ok {
			q.BeforeID = id
		}
	}
	var items []models.StaffOpinionView
	var next uint64
	if bad == nil {
		items, next, bad = models.ListStaffOpinions(ctx, h.DB, staff.ID, q, h.Now(), h.Location)
	}
	status := http.StatusOK
	p := page{Title: "意见建议", Nav: "opinions", Notice: noticeOf(c)}
	if bad != nil {
		st, det := shared.ErrorOf(c, bad)
		if st != http.StatusBadRequest {
			h.renderErr(c, bad)
			return
		}
		status, p.Error = st, det.Message
	}
	for _, v := range items {
		d.Rows = append(d.Rows, h.inboxRow(v))
	}
	cats, err := models.ListCategories(ctx, h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Statuses = []option{{"", "全部状态"}}
	for _, s := range models.OpinionStatuses {
		d.Statuses = append(d.Statuses, option{string(s), s.Label()})
	}
	d.Categories = []option{{"", "全部类别"}}
	for _, cat := range cats {
		d.Categories = append(d.Categories, option{cat.Code, cat.Name})
	}
	d.Channels = []option{{"", "全部来源"}}
	for _, s := range models.AllSources {
		d.Channels = append(d.Channels, option{s, models.SourceLabel(s)})
	}
	stations, err := h.stationChoices(c, staff)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Stations = []option{{"", "全部联络站"}}
	if staff.Role == models.RoleAdmin {
		d.Stations = append(d.Stations, option{"office", models.OfficeName})
	}
	for _, s := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
	}
	if next != 0 {
		v := c.Request.URL.Query()
		v.Set("cursor", strconv.FormatUint(next, 10))
		v.Del("ok")
		d.Next = opinionsPath + "?" + v.Encode()
	}
	p.Data = d
	h.render(c, status, tplInbox, p)
}

// inboxRow writes one item for the inbox, its running deadline the Chinese way.
func (h *Handlers) inboxRow(v models.StaffOpinionView) inboxRow {
	r := inboxRow{ID: v.ID, Href: OpinionPagePath(v.ID), TrackingNo: v.TrackingNo, Category: v.CategoryName,
		Station: v.Station.Name, Status: v.StatusLabel, Channel: v.SourceLabel,
		Summary: models.Shorten(strings.Join(strings.Fields(v.Content), " "), 40, "…"),
		Overdue: v.OverdueAccept || v.OverdueReply, Escalated: v.Escalated, Offline: v.Offline,
		StatusClass: "status-" + string(v.Status)}
	switch v.Status {
	case models.OpinionSubmitted, models.OpinionReturned:
		r.DueLabel, r.Due = "受理期限", models.DueText(v.AcceptDueAt, h.Location)
	case models.OpinionAccepted, models.OpinionTransferred, models.OpinionReopened:
		r.DueLabel, r.Due = "答复期限", models.DueText(v.ReplyDueAt, h.Location)
	case models.OpinionReplied:
		if v.RepliedAt != nil {
			r.DueLabel, r.Due = "答复于", h.localTime(*v.RepliedAt)
		}
	case models.OpinionClosed:
		if v.ClosedAt != nil {
			r.DueLabel, r.Due = "办结于", h.localTime(*v.ClosedAt)
		}
	}
	return r
}

// stationChoices are the stations staff may pick: their own, or every
// station for an admin.
func (h *Handlers) stationChoices(c *gin.Context, staff models.Staff) ([]models.NameRef, error) {
	if staff.Role != models.RoleAdmin {
		out := make([]models.NameRef, 0, len(staff.Stations))
		for _, s := range staff.Stations {
			out = append(out, models.NameRef{ID: s.ID, Name: s.Name})
		}
		return out, nil
	}
	world, err := h.routeWorld(c.Request.Context())
	if err != nil {
		return nil, err
	}
	out := make([]models.NameRef, 0, len(world.Stations))
	for _, s := range world.Stations {
		out = append(out, models.NameRef{ID: s.ID, Name: s.Name})
	}
	slices.SortFunc(out, func(a, b models.NameRef) int { return int(a.ID) - int(b.ID) })
	return out, nil
}

// routeWorld is the cached routing world (stations, deputies), or a fresh
// load without the cache.
func (h *Handlers) routeWorld(ctx context.Context) (models.RouteWorld, error) {
	if h.Routes != nil {
		return h.Routes.Get(ctx, h.DB)
	}
	return models.LoadRouteWorld(ctx, h.DB)
}

// timeRow is a dated line of the item: a timeline step, a note, a call-back,
// an audit row.
type timeRow struct {
	At, Who, Text, Detail string
}

// opinionData is the item page.
type opinionData struct {
	Op models.StaffOpinionView
	// Dates written the Chinese way.
	Created, AcceptDue, ReplyDue, TransferDue, AcceptedAt, RepliedAt, ClosedAt, Received string
	Overdue                                                                              bool
	Photos                                                                               []string
	Deputy                                                                               string
	Timeline, Notes, Callbacks, Trail                                                    []timeRow
	// Can lists the actions the staff member may take now.
	Can                   map[string]bool
	IsAdmin               bool
	Departments           []option
	Leads                 []option
	ReturnStations        []option
	ReplyScores, Results  []option
	ReplyDone, ResultDone bool
	// Phone is the full number, on the answer to the reveal only.
	Phone string
	// Form keeps what was typed into the refused form Open.
	Form map[string]string
	Open string
	// Dept is the transfer slip's link and the departments' replies.
	Dept deptReviewData
	// Pub is the 办理结果公开 card of a closed item (publication_pages.go).
	Pub publicationData
}

func (h *Handlers) pageOpinion(c *gin.Context) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, models.ErrOpinionNotFound)
		return
	}
	h.showOpinion(c, id, http.StatusOK, page{Notice: noticeOf(c)}, nil)
}

// showOpinion renders item id with status; p carries a notice or an error,
// fill sets what one answer adds (a revealed phone, a kept form).
func (h *Handlers) showOpinion(c *gin.Context, id uint64, status int, p page, fill func(*opinionData)) {
	ctx := c.Request.Context()
	staff := consoleStaff(c)
	v, err := models.GetStaffOpinion(ctx, h.DB, staff.ID, id, h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d, err := h.opinionData(c, staff, v)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if fill != nil {
		fill(&d)
	}
	p.Title, p.Nav, p.Data = "意见 "+v.TrackingNo, "opinions", d
	h.render(c, status, tplOpinion, p)
}

// actionLabels name the audit actions in the item's history.
var actionLabels = map[string]string{
	"opinion.file": "提交", "opinion.accept": "受理", "opinion.transfer": "转办", "opinion.reply": "答复",
	"opinion.return": "退回改派", "opinion.close": "办结", "opinion.reopen": "重新办理", "opinion.escalate": "提交督办",
	"opinion.note": "备注", "opinion.rate": "群众评价", "opinion.callback": "电话回访",
	"opinion.reveal_phone": "查看完整号码", "opinion.erase_contact": "删除来信人信息",
	"opinion.overdue": "超期提醒", "opinion.overdue_admins": "超期上报", "opinion.anonymise": "到期匿名化",
	"opinion.deadlines":  "期限调整",
	"opinion.dept_reply": "部门答复", "opinion.dept_adopt": "采用部门答复", "opinion.dept_sendback": "退回部门答复",
	"opinion.publish": "公开办理结果", "opinion.unpublish": "撤回公开",
}

func (h *Handlers) opinionData(c *gin.Context, staff models.Staff, v models.StaffOpinionView) (opinionData, error) {
	ctx := c.Request.Context()
	t := h.localTime
	d := opinionData{Op: v, Created: t(v.CreatedAt), AcceptDue: models.DueText(v.AcceptDueAt, h.Location),
		ReplyDue: models.DueText(v.ReplyDueAt, h.Location), Overdue: v.OverdueAccept || v.OverdueReply,
		IsAdmin: staff.Role == models.RoleAdmin, Form: map[string]string{}, Received: models.CalendarFullDateText(v.ReceivedOn)}
	if v.TransferDueAt != nil {
		d.TransferDue = models.DueText(*v.TransferDueAt, h.Location)
	}
	if v.AcceptedAt != nil {
		d.AcceptedAt = t(*v.AcceptedAt)
	}
	if v.RepliedAt != nil {
		d.RepliedAt = t(*v.RepliedAt)
	}
	if v.ClosedAt != nil {
		d.ClosedAt = t(*v.ClosedAt)
	}
	for _, ph := range v.Photos {
		d.Photos = append(d.Photos, pagesBase+"/api/opinions/"+strconv.FormatUint(v.ID, 10)+"/photos/"+strconv.FormatUint(ph.ID, 10))
	}
	for _, e := range v.Timeline {
		d.Timeline = append(d.Timeline, timeRow{At: t(e.At), Text: e.Text, Detail: e.Detail})
	}
	for _, n := range v.Notes {
		d.Notes = append(d.Notes, timeRow{At: t(n.CreatedAt), Who: n.Staff.Name, Text: n.Text})
	}
	for _, cb := range v.Callbacks {
		q := "对答复"
		if cb.Stage == models.StageResult {
			q = "解决了吗？"
		}
		d.Callbacks = append(d.Callbacks, timeRow{At: t(cb.At), Who: cb.Staff.Name,
			Text: "第" + strconv.Itoa(cb.Round) + "轮 " + q + cb.ScoreLabel, Detail: cb.Note})
		if cb.Round == v.Round {
			d.ReplyDone = d.ReplyDone || cb.Stage == models.StageReply
			d.ResultDone = d.ResultDone || cb.Stage == models.StageResult
		}
	}
	for _, r := range v.Ratings {
		if r.Round == v.Round {
			d.ReplyDone = d.ReplyDone || r.Stage == models.StageReply
			d.ResultDone = d.ResultDone || r.Stage == models.StageResult
		}
	}
	for _, a := range v.Trail {
		who := a.ActorName
		switch a.ActorKind {
		case "voter":
			who = "群众"
		case "system":
			who = "系统"
		}
		label, ok := actionLabels[a.Action]
		if !ok {
			label = "其他操作"
		}
		d.Trail = append(d.Trail, timeRow{At: t(a.At), Who: who, Text: label, Detail: a.Note})
	}
	can := func(a models.OpinionAction) bool { _, err := models.Transition(v.Status, a); return err == nil }
	d.Can = map[string]bool{
		"accept": can(models.ActionAccept), "transfer": can(models.ActionTransfer), "reply": can(models.ActionReply),
		"return": can(models.ActionReturn), "close": d.IsAdmin && can(models.ActionClose),
		"reopen":   d.IsAdmin && can(models.ActionReopen),
		"callback": v.RepliedAt != nil && (v.Status == models.OpinionReplied || (v.Status == models.OpinionClosed && !d.ReplyDone)),
		"reveal":   v.PhoneMasked != "",
		"erase":    (d.IsAdmin || staff.Role == models.RoleHead) && (v.ContactName != "" || (v.Offline && v.PhoneMasked != "")),
	}
	d.ReplyScores = []option{{models.ScoreSatisfied, "满意"}, {models.ScoreBasically, "基本满意"}, {models.ScoreUnsatisfied, "不满意"}}
	d.Results = []option{{models.ScoreSatisfied, "解决了"}, {models.ScoreBasically, "部分解决"}, {models.ScoreUnsatisfied, "没解决"}}
	world, err := h.routeWorld(ctx)
	if err != nil {
		return d, err
	}
	if d.Dept, err = h.deptReviewOf(c, v); err != nil {
		return d, err
	}
	if d.Pub, err = h.publicationOf(c, staff, v); err != nil {
		return d, err
	}
	if v.DeputyID != nil {
		if dep, ok := world.Deputies[*v.DeputyID]; ok {
			d.Deputy = dep.Name
		}
	}
	if d.Can["transfer"] {
		depts, err := models.ListDepartments(ctx, h.DB)
		if err != nil {
			return d, err
		}
		for _, x := range depts {
			d.Departments = append(d.Departments, option{strconv.FormatUint(x.ID, 10), x.Name})
		}
		leads, err := models.ListStationStaff(ctx, h.DB, models.ScopeOf(staff), v.Station.ID)
		if err != nil && !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrInvalid) {
			return d, err
		}
		for _, x := range leads {
			d.Leads = append(d.Leads, option{strconv.FormatUint(x.ID, 10), x.Name + "（" + x.RoleLabel + "）"})
		}
	}
	if d.Can["return"] {
		var ids []uint64
		for id := range world.Stations {
			if id != v.Station.ID {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			d.ReturnStations = append(d.ReturnStations, option{strconv.FormatUint(id, 10), world.Stations[id].Name})
		}
	}
	return d, nil
}

// itemID reads the item id of an action; a malformed one is the 404 page.
func (h *Handlers) itemID(c *gin.Context) (uint64, bool) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, models.ErrOpinionNotFound)
	}
	return id, ok
}

// refused shows the item again after a refused action: the Chinese
// message above it, the form open with what was typed. An item the staff
// member may not see is the 404 page.
func (h *Handlers) refused(c *gin.Context, id uint64, action string, err error, keep ...string) {
	status, d := shared.ErrorOf(c, err)
	if status == http.StatusNotFound || status >= 500 || status == http.StatusForbidden && errors.Is(err, errCSRF) {
		h.renderErr(c, err)
		return
	}
	h.showOpinion(c, id, status, page{Error: d.Message}, func(od *opinionData) {
		od.Open = action
		for _, k := range keep {
			od.Form[k] = c.PostForm(k)
		}
	})
}

// pageStep runs one workflow step and its notifications in one
// transaction, like the JSON API (consoleAct), and answers 303 back to the
// item with notice, or to the inbox when the item left the staff member's
// stations (a return).
func (h *Handlers) pageStep(c *gin.Context, action, notice string, step opinionStep, keep ...string) {
	id, ok := h.itemID(c)
	if !ok {
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
		h.refused(c, id, action, err, keep...)
		return
	}
	if _, err := models.GetStaffOpinion(ctx, h.DB, staffID, id, now, h.Location); errors.Is(err, models.ErrNotFound) {
		seeOther(c, opinionsPath, notice+"，意见"+op.TrackingNo+"已不在您的联络站")
		return
	}
	seeOther(c, OpinionPagePath(id), notice)
}

func (h *Handlers) pageAccept(c *gin.Context) {
	note := c.PostForm("note")
	h.pageStep(c, "accept", "已受理", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.AcceptOpinion(ctx, tx, staffID, id, note, now)
	}, "note")
}

func (h *Handlers) pageTransfer(c *gin.Context) {
	in := models.TransferInput{Note: c.PostForm("note")}
	var bad error
	if in.DepartmentID, _ = models.ParseID(c.PostForm("department_id")); in.DepartmentID == 0 {
		bad = models.Invalid("department_id", "请选择主办单位")
	}
	for _, s := range c.PostFormArray("co_department_ids") {
		if id, ok := models.ParseID(s); ok {
			in.CoDepartmentIDs = append(in.CoDepartmentIDs, id)
		}
	}
	if s := c.PostForm("lead_staff_id"); s != "" && s != "0" {
		if in.LeadStaffID, _ = models.ParseID(s); in.LeadStaffID == 0 {
			bad = models.Invalid("lead_staff_id", "承办人不存在")
		}
	}
	if s := strings.TrimSpace(c.PostForm("due_at")); s != "" && bad == nil {
		due, err := h.parseDue(s)
		if err != nil {
			bad = err
		} else {
			in.DueAt = &due
		}
	}
	h.pageStep(c, "transfer", "已转办", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		if bad != nil {
			return models.Opinion{}, nil, bad
		}
		return models.TransferOpinion(ctx, tx, staffID, id, in, now)
	}, "department_id", "lead_staff_id", "due_at", "note")
}

func (h *Handlers) pageReply(c *gin.Context) {
	in := models.ReplyInput{Text: c.PostForm("text"), Note: c.PostForm("note")}
	h.pageStep(c, "reply", "已答复", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReplyOpinion(ctx, tx, staffID, id, in, now)
	}, "text", "note")
}

func (h *Handlers) pageReturn(c *gin.Context) {
	in := models.ReturnInput{Reason: c.PostForm("reason")}
	in.ToStationID, _ = models.ParseID(c.PostForm("to_station_id"))
	ctx := c.Request.Context()
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	world, err := h.routeWorld(ctx)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.pageStep(c, "return", "已退回改派", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReturnOpinion(ctx, tx, staffID, id, in, world, now, h.Location, cal)
	}, "reason", "to_station_id")
}

func (h *Handlers) pageClose(c *gin.Context) {
	note := c.PostForm("note")
	h.pageStep(c, "close", "已办结", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.CloseOpinion(ctx, tx, staffID, id, note, now)
	}, "note")
}

func (h *Handlers) pageReopen(c *gin.Context) {
	note := c.PostForm("note")
	cal, err := models.LoadCalendar(c.Request.Context(), h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.pageStep(c, "reopen", "已重新办理", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.ReopenOpinion(ctx, tx, staffID, id, note, now, h.Location, cal)
	}, "note")
}

func (h *Handlers) pageCallback(c *gin.Context) {
	in := models.CallbackInput{ReplyScore: c.PostForm("reply_score"), ResultScore: c.PostForm("result_score"), Note: c.PostForm("note")}
	cal, err := models.LoadCalendar(c.Request.Context(), h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.pageStep(c, "callback", "已记录电话回访", func(ctx context.Context, tx *gorm.DB, staffID, id uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
		return models.RecordCallback(ctx, tx, staffID, id, in, now, h.Location, cal)
	}, "reply_score", "result_score", "note")
}

func (h *Handlers) pageNote(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	if _, err := models.AddNote(c.Request.Context(), h.DB, consoleStaff(c).ID, id, c.PostForm("text"), h.Now()); err != nil {
		h.refused(c, id, "note", err, "text")
		return
	}
	seeOther(c, OpinionPagePath(id), "已添加备注")
}

// pageRevealPhone shows the full number on this answer only (never in a
// link or a later page), after writing the reveal to the audit log.
func (h *Handlers) pageRevealPhone(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	phone, err := models.RevealOpinionPhone(c.Request.Context(), h.DB, h.Sealer, consoleStaff(c).ID, id, h.Now())
	if err != nil {
		if h.Sealer == nil {
			err = errNoDataKey
		}
		h.refused(c, id, "reveal", err)
		return
	}
	h.showOpinion(c, id, http.StatusOK, page{Notice: "已显示完整号码，此次查看已记录"}, func(d *opinionData) { d.Phone = phone })
}

func (h *Handlers) pageEraseContact(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	if err := models.EraseOpinionContact(c.Request.Context(), h.DB, consoleStaff(c).ID, id, h.Now()); err != nil {
		h.refused(c, id, "erase", err)
		return
	}
	seeOther(c, OpinionPagePath(id), "已删除来信人信息")
}

// newOpinionData is the offline entry form.
type newOpinionData struct {
	Channels, Stations, Categories, Deputies []option
	Form                                     map[string]string
	Nonce                                    string
}

// newNonce is the entry form's one-time key: a double submit files once.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// offlineFields are the entry form's fields, prefilled from the query
// (GET) or kept from the refused post.
var offlineFields = []string{"channel", "station_id", "category", "content", "received_on", "contact_name",
	"contact_phone", "deputy_id", "day_id"}

func (h *Handlers) pageOpinionNew(c *gin.Context) {
	form := map[string]string{}
	q := c.Request.URL.Query()
	alias := map[string]string{"station": "station_id", "day": "day_id", "deputy": "deputy_id", "name": "contact_name", "phone": "contact_phone"}
	for k, vs := range q {
		if to, ok := alias[k]; ok {
			k = to
		}
		if slices.Contains(offlineFields, k) && len(vs) > 0 {
			form[k] = models.Shorten(vs[0], 2000, "")
		}
	}
	h.showNewOpinion(c, http.StatusOK, page{}, form, newNonce())
}

func (h *Handlers) showNewOpinion(c *gin.Context, status int, p page, form map[string]string, nonce string) {
	staff := consoleStaff(c)
	stations, err := h.stationChoices(c, staff)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	cats, err := models.ListCategories(c.Request.Context(), h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	world, err := h.routeWorld(c.Request.Context())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := newOpinionData{Form: form, Nonce: nonce}
	if form["received_on"] == "" {
		form["received_on"] = h.Now().In(h.Location).Format(models.DateLayout)
	}
	if form["station_id"] == "" && len(stations) == 1 {
		form["station_id"] = strconv.FormatUint(stations[0].ID, 10)
	}
	for _, s := range models.OfflineSources {
		d.Channels = append(d.Channels, option{s, models.SourceLabel(s)})
	}
	mine := map[uint64]bool{}
	for _, s := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
		mine[s.ID] = true
	}
	for _, cat := range cats {
		d.Categories = append(d.Categories, option{cat.Code, cat.Name})
	}
	var deps []models.Deputy
	for _, dep := range world.Deputies {
		if mine[dep.StationID] && dep.Status != models.DeputyRetired {
			deps = append(deps, dep)
		}
	}
	slices.SortFunc(deps, func(a, b models.Deputy) int { return int(a.ID) - int(b.ID) })
	for _, dep := range deps {
		d.Deputies = append(d.Deputies, option{strconv.FormatUint(dep.ID, 10), dep.Name})
	}
	p.Title, p.Nav, p.Data = "登记线下意见", "opinions", d
	h.render(c, status, tplOpinionNew, p)
}

func (h *Handlers) pageOpinionCreate(c *gin.Context) {
	ctx := c.Request.Context()
	form := map[string]string{}
	for _, k := range offlineFields {
		form[k] = c.PostForm(k)
	}
	nonce := c.PostForm("nonce")
	in := models.OfflineInput{Channel: form["channel"], CategoryCode: form["category"], Content: form["content"],
		ReceivedOn: form["received_on"], ContactName: form["contact_name"], ContactPhone: form["contact_phone"],
		IdempotencyKey: nonce}
	var bad error
	parse := func(k string, dst *uint64, msg string) {
		if s := form[k]; s != "" && s != "0" {
			if *dst, _ = models.ParseID(s); *dst == 0 && bad == nil {
				bad = models.Invalid(k, msg)
			}
		}
	}
	parse("station_id", &in.StationID, "请选择收到意见的联络站")
	parse("deputy_id", &in.DeputyID, "所选的代表不存在")
	parse("day_id", &in.ReceptionDayID, "所选的接待日不存在")
	if in.ContactPhone != "" && h.Sealer == nil && bad == nil {
		bad = errNoDataKey
	}
	var op models.Opinion
	err := bad
	if err == nil {
		var world models.RouteWorld
		var cal *models.Calendar
		if world, err = h.routeWorld(ctx); err == nil {
			cal, err = models.LoadCalendar(ctx, h.DB)
		}
		if err == nil {
			now := h.Now()
			err = models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
				var events []models.OpinionEvent
				var err error
				if op, events, err = models.FileOfflineOpinion(ctx, tx, h.Sealer, consoleStaff(c).ID, in, world, now, h.Location, cal); err != nil {
					return err
				}
				return h.EnqueueOpinionEvents(ctx, tx, events)
			})
		}
	}
	if err != nil {
		status, d := shared.ErrorOf(c, err)
		if status >= 500 || errors.Is(err, errCSRF) {
			h.renderErr(c, err)
			return
		}
		if status == http.StatusNotFound {
			status = http.StatusBadRequest
		}
		h.showNewOpinion(c, status, page{Error: d.Message}, form, nonce)
		return
	}
	seeOther(c, OpinionPagePath(op.ID), "已登记，编号"+op.TrackingNo)
}
