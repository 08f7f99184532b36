package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// The departments' pages close the transfer (转办) loop
// (docs/ARCHITECTURE.md#departments). A department contact
// (models.RoleDepartment) signs in like staff — WeChat's web authorization
// or the desk's QR code, after binding by an invite — and sees only
// departmentAllowed's pages: their list of items transferred to their
// department (/console/dept), one item with the reply form, the transfer
// slip and the attachments. Everything else of the console, pages and API,
// is the 404 page for them (departmentGate). The station reviews a reply
// on its item page: adopt (采用) or send back (退回). The county office
// invites contacts on /console/dept/contacts.

// Templates of the departments' pages.
const (
	tplDeptInbox    = "dept_inbox.html"
	tplDeptOpinion  = "dept_opinion.html"
	tplDeptContacts = "dept_contacts.html"
	tplDeptInvite   = "dept_invite.html"
	tplTransferSlip = "transfer_slip.html"
)

const (
	// DeptPath is a department contact's list; DeptOpinionPath(id) one item.
	DeptPath = pagesBase + "/dept"
	// DeptReplyRoute is the reply form's route, whose body (the
	// attachments) may be up to MaxDeptReplyBody: the router gives it that
	// cap (handlers/router.go).
	DeptReplyRoute = DeptPath + "/opinions/:id/reply"
	// MaxDeptReplyBody caps a reply with its attachments.
	MaxDeptReplyBody = 20<<20 + 64<<10
	// deptContactsPath is the office's list of contacts and invites.
	deptContactsPath = DeptPath + "/contacts"
	// deptScenePrefix starts the scene of a department invite's QR code;
	// the rest is the invite code.
	deptScenePrefix = "dept:"
	// deptInviteTTL is how long an invite shown on screen stays valid.
	deptInviteTTL = 72 * time.Hour
)

// DeptOpinionPath is a department contact's page of one item (their
// template messages link here).
func DeptOpinionPath(id uint64) string { return DeptPath + "/opinions/" + strconv.FormatUint(id, 10) }

// SlipPath is the printable transfer slip of an item.
func SlipPath(id uint64) string { return OpinionPagePath(id) + "/slip" }

// departmentPages registers the departments' pages, the office's contacts
// page, the transfer slip and the station's review of replies.
func (h *Handlers) departmentPages(_, signedIn *gin.RouterGroup) {
	signedIn.GET("/dept", h.pageDeptInbox)
	signedIn.GET("/dept/opinions/:id", h.pageDeptOpinion)
	signedIn.GET("/dept/opinions/:id/photos/:photo_id", h.pageDeptPhoto)
	signedIn.POST("/dept/opinions/:id/reply", h.pageDeptReply)
	signedIn.GET("/dept/contacts", h.pageDeptContacts)
	signedIn.POST("/dept/contacts", h.pageDeptInvite)
	signedIn.POST("/dept/contacts/:id/deactivate", h.pageDeptDeactivate)
	signedIn.GET("/opinions/:id/slip", h.pageTransferSlip)
	signedIn.GET("/opinions/:id/dept-files/:file_id", h.pageDeptFile)
	signedIn.POST("/opinions/:id/dept-replies/:reply_id/adopt", h.pageDeptAdopt)
	signedIn.POST("/opinions/:id/dept-replies/:reply_id/sendback", h.pageDeptSendBack)
	h.OnScan(deptScenePrefix, h.deptInviteScan)
}

// departmentAllowed are the routes a department contact may use.
var departmentAllowed = map[string]bool{
	pagesBase + "/dept":                               true,
	pagesBase + "/dept/opinions/:id":                  true,
	pagesBase + "/dept/opinions/:id/photos/:photo_id": true,
	DeptReplyRoute:                                    true,
	pagesBase + "/opinions/:id/slip":                  true,
	pagesBase + "/opinions/:id/dept-files/:file_id":   true,
	logoutPath:                true,
	pagesBase + "/api/me":     true,
	pagesBase + "/api/logout": true,
}

// departmentGate keeps a department contact on their own pages: the
// console's home and the inbox send them to their list, anything else is
// the 404 page (the JSON API's 404). It reports whether the request may go
// on; other staff always may.
func (h *Handlers) departmentGate(c *gin.Context, staff models.Staff) bool {
	if staff.Role != models.RoleDepartment || departmentAllowed[c.FullPath()] {
		return true
	}
	route := c.FullPath()
	switch {
	case c.Request.Method == http.MethodGet && (route == pagesBase+"/" || route == opinionsPath):
		c.Redirect(http.StatusSeeOther, DeptPath)
		c.Abort()
	case strings.HasPrefix(route, pagesBase+"/api/"):
		shared.RespondErr(c, models.ErrNotFound)
		c.Abort()
	default:
		h.renderErr(c, models.ErrNotFound)
	}
	return false
}

// deptRow is one item of a department's list.
type deptRow struct {
	Href, TrackingNo, Category, Station, Summary, Status, StatusClass, Due, Reply string
	Lead, Open, Overdue                                                           bool
}

func (h *Handlers) pageDeptInbox(c *gin.Context) {
	staff := consoleStaff(c)
	items, err := models.ListDepartmentOpinions(c.Request.Context(), h.DB, staff.ID, h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var rows []deptRow
	for _, it := range items {
		r := deptRow{Href: DeptOpinionPath(it.ID), TrackingNo: it.TrackingNo, Category: it.Category, Station: it.Station,
			Summary: it.Summary, Status: it.StatusLabel, StatusClass: "status-" + string(it.Status),
			Due: models.DueText(it.DueAt, h.Location), Lead: it.Lead, Open: it.Open, Overdue: it.Overdue}
		if it.Reply != "" {
			r.Reply = models.DeptReplyStatusLabel(it.Reply)
		}
		rows = append(rows, r)
	}
	h.render(c, http.StatusOK, tplDeptInbox, page{Title: "转办事项", Nav: "dept", Notice: noticeOf(c), Data: rows})
}

// deptReplyRow is a department reply on a page.
type deptReplyRow struct {
	ID                                                 uint64
	Department, Staff, Text, Status, Status2, At, Note string
	Reviewed                                           string
	Pending                                            bool
	Files                                              []deptFileRow
}

type deptFileRow struct {
	Href, Name string
	Photo      bool
}

func (h *Handlers) deptReplyRows(opID uint64, rs []models.DeptReplyView) []deptReplyRow {
	out := make([]deptReplyRow, 0, len(rs))
	for _, r := range rs {
		row := deptReplyRow{ID: r.ID, Department: r.Department, Staff: r.Staff, Text: r.Text, Status: r.StatusLabel,
			Status2: r.Status, At: h.localTime(r.CreatedAt), Note: r.ReviewNote, Pending: r.Status == models.DeptReplyPending}
		if r.ReviewedAt != nil {
			row.Reviewed = h.localTime(*r.ReviewedAt)
		}
		for _, f := range r.Files {
			name := f.Name
			if name == "" {
				name = "附件"
			}
			row.Files = append(row.Files, deptFileRow{Href: OpinionPagePath(opID) + "/dept-files/" + strconv.FormatUint(f.ID, 10),
				Name: name + "（" + sizeText(f.Size) + "）", Photo: f.Kind == models.ReplyFilePhoto})
		}
		out = append(out, row)
	}
	return out
}

// sizeText writes a file size the Chinese way.
func sizeText(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MB"
	}
	return strconv.FormatInt(max(n>>10, 1), 10) + "KB"
}

// deptOpinionData is a department's page of one item.
type deptOpinionData struct {
	Op                 models.DeptOpinionView
	Created, Due       string
	Transferred        string
	Photos             []string
	Replies            []deptReplyRow
	Text               string
	Slip, Action       string
	MaxFiles, MaxPDFMB int
	MaxPhotoMB         int
}

func (h *Handlers) pageDeptOpinion(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	h.showDeptOpinion(c, id, http.StatusOK, page{Notice: noticeOf(c)}, "")
}

func (h *Handlers) showDeptOpinion(c *gin.Context, id uint64, status int, p page, text string) {
	staff := consoleStaff(c)
	v, err := models.GetDepartmentOpinion(c.Request.Context(), h.DB, staff.ID, id, h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := deptOpinionData{Op: v, Created: h.localTime(v.CreatedAt), Due: models.DueText(v.DueAt, h.Location),
		Transferred: h.localTime(v.TransferredAt), Replies: h.deptReplyRows(id, v.Replies), Text: text,
		Slip: SlipPath(id), Action: DeptOpinionPath(id) + "/reply",
		MaxFiles: models.MaxReplyFiles, MaxPDFMB: models.MaxReplyPDFBytes >> 20, MaxPhotoMB: models.MaxReplyPhotoBytes >> 20}
	for _, ph := range v.Photos {
		d.Photos = append(d.Photos, DeptOpinionPath(id)+"/photos/"+strconv.FormatUint(ph.ID, 10))
	}
	p.Title, p.Nav, p.Data = "转办件 "+v.TrackingNo, "dept", d
	h.render(c, status, tplDeptOpinion, p)
}

func (h *Handlers) pageDeptPhoto(c *gin.Context) {
	id, ok1 := models.ParseID(c.Param("id"))
	pid, ok2 := models.ParseID(c.Param("photo_id"))
	if !ok1 || !ok2 {
		shared.RespondErr(c, models.ErrUploadNotFound)
		return
	}
	u, err := models.DepartmentOpinionPhoto(c.Request.Context(), h.DB, consoleStaff(c).ID, id, pid)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.ServeUpload(c, u)
}

// pageDeptReply stores the attachments, then the reply pending review
// with the station's notice, in one transaction; a refused reply shows the
// page again with the message and the typed text (the files are chosen
// again), and removes what it stored.
func (h *Handlers) pageDeptReply(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	text := c.PostForm("text")
	staff := consoleStaff(c)
	// Checked before any file is stored: a contact of another department
	// stores nothing.
	if _, err := models.GetDepartmentOpinion(ctx, h.DB, staff.ID, id, h.Now(), h.Location); err != nil {
		h.renderErr(c, err)
		return
	}
	files, stored, err := h.storeReplyFiles(c)
	if err == nil {
		err = models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
			_, events, err := models.SubmitDepartmentReply(ctx, tx, staff.ID, id, models.DeptReplyInput{Text: text, Files: files}, h.Now())
			if err != nil {
				return err
			}
			return h.EnqueueOpinionEvents(ctx, tx, events)
		})
	}
	if err != nil {
		removeFiles(stored)
		status, d := shared.ErrorOf(c, err)
		if status == http.StatusNotFound || status >= 500 || errors.Is(err, errCSRF) {
			h.renderErr(c, err)
			return
		}
		msg := d.Message
		if len(stored) > 0 || c.Request.MultipartForm != nil && len(c.Request.MultipartForm.File["files"]) > 0 {
			msg += "（附件需要重新选择）"
		}
		h.showDeptOpinion(c, id, status, page{Error: msg}, text)
		return
	}
	seeOther(c, DeptOpinionPath(id), "已提交答复，等待联络站审核")
}

// pageTransferSlip is the printable transfer slip (交办单) on A4, without
// navigation: for the item's station staff and the departments it went to.
func (h *Handlers) pageTransferSlip(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	slip, err := models.GetTransferSlip(c.Request.Context(), h.DB, consoleStaff(c).ID, id, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var buf bytes.Buffer
	data := page{Title: "交办单 " + slip.TrackingNo, Data: struct {
		Slip          models.TransferSlip
		Office        string
		Printed, Back string
	}{slip, models.OfficeName, models.DateTimeText(h.Now(), h.Location), h.slipBack(c, id)}}
	if err := pageTemplates[tplTransferSlip].ExecuteTemplate(&buf, "print", data); err != nil {
		h.renderErr(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// slipBack is where the slip's "back" link goes.
func (h *Handlers) slipBack(c *gin.Context, id uint64) string {
	if consoleStaff(c).Role == models.RoleDepartment {
		return DeptOpinionPath(id)
	}
	return OpinionPagePath(id)
}

// pageDeptFile serves a reply's attachment: photos inline, PDFs as a
// download; never sniffed, never cached beyond the browser.
func (h *Handlers) pageDeptFile(c *gin.Context) {
	id, ok1 := models.ParseID(c.Param("id"))
	fid, ok2 := models.ParseID(c.Param("file_id"))
	if !ok1 || !ok2 {
		h.renderErr(c, models.ErrUploadNotFound)
		return
	}
	f, err := models.DepartmentReplyFileFor(c.Request.Context(), h.DB, consoleStaff(c).ID, id, fid)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.serveReplyFile(c, f)
}

// deptReview reads the item and reply ids of a review action.
func (h *Handlers) deptReview(c *gin.Context) (uint64, uint64, bool) {
	id, ok := h.itemID(c)
	if !ok {
		return 0, 0, false
	}
	rid, ok := models.ParseID(c.Param("reply_id"))
	if !ok {
		h.renderErr(c, models.ErrDeptReplyNotFound)
		return 0, 0, false
	}
	return id, rid, true
}

// pageDeptAdopt adopts a department's reply, edited or as it is, as the
// public reply, with the voter's notice, in one transaction.
func (h *Handlers) pageDeptAdopt(c *gin.Context) {
	id, rid, ok := h.deptReview(c)
	if !ok {
		return
	}
	text := c.PostForm("text")
	h.pageStep(c, "dept-"+strconv.FormatUint(rid, 10), "已采用部门答复并答复群众",
		func(ctx context.Context, tx *gorm.DB, staffID, _ uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
			return models.AdoptDepartmentReply(ctx, tx, staffID, id, rid, text, now)
		}, "text")
}

// pageDeptSendBack sends a department's reply back with a reason.
func (h *Handlers) pageDeptSendBack(c *gin.Context) {
	id, rid, ok := h.deptReview(c)
	if !ok {
		return
	}
	reason := c.PostForm("reason")
	h.pageStep(c, "dept-"+strconv.FormatUint(rid, 10), "已退回部门重新答复",
		func(ctx context.Context, tx *gorm.DB, staffID, _ uint64, now time.Time) (models.Opinion, []models.OpinionEvent, error) {
			events, err := models.SendBackDepartmentReply(ctx, tx, staffID, id, rid, reason, now)
			return models.Opinion{}, events, err
		}, "reason")
}

// deptReviewData is what the item page shows of the departments: the
// slip's link and their replies, with the review forms on pending ones.
type deptReviewData struct {
	Slip    string
	Replies []deptReplyRow
}

// deptReview loads the departments' part of a station's item page.
func (h *Handlers) deptReviewOf(c *gin.Context, v models.StaffOpinionView) (deptReviewData, error) {
	var d deptReviewData
	if v.Department != nil {
		d.Slip = SlipPath(v.ID)
	}
	rs, err := models.ListDepartmentReplies(c.Request.Context(), h.DB, v.ID, 0, h.Location)
	if err != nil {
		return d, err
	}
	d.Replies = h.deptReplyRows(v.ID, rs)
	return d, nil
}
