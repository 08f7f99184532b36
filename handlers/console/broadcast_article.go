package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/broadcasts"

	"github.com/gin-gonic/gin"
)

// An article's page for the office (/console/broadcasts/<id>): its text
// and attachment, its figures, the recipients filtered by read or not and,
// for a training from its session's day, the check-in where staff tick who
// came (broadcasts.MarkAttendance), which goes into each deputy's record
// as 学习培训; a wrong tick is undone. broadcast_pages.go has the list and
// the form.

// recipientView is one recipient in the office's table.
type recipientView struct {
	DeputyID                 uint64
	Name, Station            string
	Read, SignedUp, Attended *stamp
	Bound, Notified, Capped  bool
}

// stamp is a time in the recipients' table: the date above the clock,
// so that four columns fit a phone.
type stamp struct {
	Date, Clock string
}

func (h *Handlers) stampOf(t *time.Time) *stamp {
	if t == nil {
		return nil
	}
	return &stamp{Date: models.DateText(*t, h.Location), Clock: models.ClockText(*t, h.Location)}
}

// filterLink is one of the recipients' filters.
type filterLink struct {
	Href, Label string
	Count       int
	On          bool
}

// broadcastData is an article's page for the office.
type broadcastData struct {
	Row        broadcastRow
	Paragraphs []string
	Attachment *attachmentLink
	Filters    []filterLink
	Show       string
	Rows       []recipientView
	// CanAttend: a training on or after its session's day takes the
	// check-in; AttendAction and UnattendAction are its forms.
	CanAttend                    bool
	AttendAction, UnattendAction string
	// Unticked is true when a shown recipient is not checked in yet.
	Unticked bool
}

// attachmentLink is an article's attachment as a link.
type attachmentLink struct {
	Href, Name, Size, Kind string
}

// attachmentOf is b's attachment under href, nil without one.
func attachmentOf(b models.Broadcast, href string) *attachmentLink {
	if b.AttachmentPath == "" {
		return nil
	}
	kind, _ := broadcasts.AttachmentType(b.AttachmentPath)
	label := map[string]string{models.ReplyFilePhoto: "照片", models.ReplyFilePDF: "PDF", broadcasts.AttachmentWord: "Word"}[kind]
	return &attachmentLink{Href: href, Name: b.AttachmentName, Size: sizeText(b.AttachmentSize), Kind: label}
}

// paragraphs splits an article's plain text at blank lines; the page
// keeps the single line breaks within a paragraph.
func paragraphs(body string) []string {
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	var out []string
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.Trim(p, "\n "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// recipientFilters are the article page's filters: all, read, unread and,
// for a training, signed up and attended.
var recipientFilters = []struct {
	value, label string
	training     bool
	keep         func(r broadcasts.RecipientRow) bool
}{
	{"", "全部", false, func(broadcasts.RecipientRow) bool { return true }},
	{"read", "已读", false, func(r broadcasts.RecipientRow) bool { return r.ReadAt != nil }},
	{"unread", "未读", false, func(r broadcasts.RecipientRow) bool { return r.ReadAt == nil }},
	{"signed", "已报名", true, func(r broadcasts.RecipientRow) bool { return r.SignedUpAt != nil }},
	{"attended", "已签到", true, func(r broadcasts.RecipientRow) bool { return r.AttendedAt != nil }},
}

func (h *Handlers) pageBroadcast(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	det, err := broadcasts.Get(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	b := det.Broadcast
	row := h.broadcastRowOf(det.Summary)
	d := broadcastData{Row: row, Paragraphs: paragraphs(b.Body), Attachment: attachmentOf(b, row.Href+"/file"),
		Show: c.Query("show"), AttendAction: row.Href + "/attendance", UnattendAction: row.Href + "/attendance/remove"}
	if row.Training && b.SessionAt != nil {
		d.CanAttend = !h.Now().Before(startOfLocalDay(*b.SessionAt, h.Location))
	}
	keep := recipientFilters[0].keep
	for _, f := range recipientFilters {
		if f.training && !row.Training {
			continue
		}
		n := 0
		for _, r := range det.Rows {
			if f.keep(r) {
				n++
			}
		}
		href := row.Href
		if f.value != "" {
			href += "?show=" + f.value
		}
		d.Filters = append(d.Filters, filterLink{Href: href, Label: f.label, Count: n, On: f.value == d.Show})
		if f.value == d.Show {
			keep = f.keep
		}
	}
	for _, r := range det.Rows {
		if !r.Bound {
			d.Row.Unbound++
		}
		if keep(r) {
			d.Rows = append(d.Rows, h.recipientViewOf(r))
			d.Unticked = d.Unticked || r.AttendedAt == nil
		}
	}
	title := b.Title
	h.render(c, http.StatusOK, tplBroadcast, page{Title: title, Nav: "broadcasts", Notice: noticeOf(c), Data: d})
}

func (h *Handlers) recipientViewOf(r broadcasts.RecipientRow) recipientView {
	return recipientView{DeputyID: r.DeputyID, Name: r.Name, Station: r.Station, Bound: r.Bound,
		Notified: r.NotifiedAt != nil, Capped: r.Capped, Read: h.stampOf(r.ReadAt), SignedUp: h.stampOf(r.SignedUpAt),
		Attended: h.stampOf(r.AttendedAt)}
}

// startOfLocalDay is 00:00 of t's day in loc.
func startOfLocalDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func (h *Handlers) pageBroadcastFile(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	b, err := broadcasts.StaffAttachment(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.serveBroadcastFile(c, b)
}

// serveBroadcastFile writes an article's attachment: a photo inline,
// anything else as a download under its Chinese name.
func (h *Handlers) serveBroadcastFile(c *gin.Context, b models.Broadcast) {
	kind, ctype := broadcasts.AttachmentType(b.AttachmentPath)
	h.serveEvidenceFile(c, broadcasts.AttachmentDir, kind, ctype, b.AttachmentName, b.AttachmentPath)
}

// attendanceRefused answers a refused check-in with the error page and
// its Chinese reason.
func (h *Handlers) attendanceRefused(c *gin.Context, err error) {
	status, det := shared.ErrorOf(c, err)
	if status == http.StatusNotFound || status >= 500 {
		h.renderErr(c, err)
		return
	}
	h.render(c, status, tplError, page{Title: "未能登记签到", Nav: "broadcasts", Data: det})
}

func (h *Handlers) pageBroadcastAttend(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	ids, err := formIDs(c.PostFormArray("deputy_ids"), "deputy_ids", "所选的代表不存在")
	if err == nil && len(ids) == 0 {
		err = models.Invalid("deputy_ids", "请勾选参加培训的代表")
	}
	if err != nil {
		h.attendanceRefused(c, err)
		return
	}
	n, err := broadcasts.MarkAttendance(c.Request.Context(), h.DB, manageScope(c), id, ids, h.Now(), h.Location)
	if err != nil {
		h.attendanceRefused(c, err)
		return
	}
	shared.Logger(c).InfoContext(c.Request.Context(), "Broadcast attendance", "broadcast_id", id,
		"staff_id", consoleStaff(c).ID, "marked", n)
	seeOther(c, BroadcastPath(id)+"?show=attended", "已登记"+strconv.Itoa(n)+"位代表签到，已计入履职档案（学习培训）")
}

func (h *Handlers) pageBroadcastUnattend(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	dep, ok := models.ParseID(c.PostForm("deputy_id"))
	if !ok {
		h.attendanceRefused(c, models.Invalid("deputy_id", "所选的代表不存在"))
		return
	}
	if err := broadcasts.UnmarkAttendance(c.Request.Context(), h.DB, manageScope(c), id, dep, h.Now(), h.Location); err != nil {
		h.attendanceRefused(c, err)
		return
	}
	seeOther(c, BroadcastPath(id), "已撤销这位代表的签到")
}
