package console

import (
	"net/http"
	"slices"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/broadcasts"

	"github.com/gin-gonic/gin"
)

// The deputy's side of the broadcasts (空中讲堂, /console/me/broadcasts):
// the articles they received, unread first; an article in large type,
// which records the read when it opens (the notice's link lands here,
// signed in through WeChat's web authorization like every /console/me
// page); for a training its session and a big button to sign up (and to
// withdraw) while sign-up is open; the attachment, for recipients only.
// Every article that did not go to the deputy is the 404 page.

// Templates of the deputy's broadcast pages.
const (
	tplMeBroadcasts = "me_broadcasts.html"
	tplMeBroadcast  = "me_broadcast.html"
)

// MeBroadcastsPath is the deputy's list of articles.
const MeBroadcastsPath = MePath + "/broadcasts"

// MeBroadcastPath is an article's page for a deputy: the link of its
// notice (models/notify_deputy.go).
func MeBroadcastPath(id uint64) string { return MeBroadcastsPath + "/" + strconv.FormatUint(id, 10) }

// meBroadcastLimit is how many articles the deputy's list shows.
const meBroadcastLimit = 100

// meBroadcastPages registers the deputy's broadcast pages on me
// (/console/me, requireDeputy).
func (h *Handlers) meBroadcastPages(me *gin.RouterGroup) {
	me.GET("/broadcasts", h.pageMeBroadcasts)
	me.GET("/broadcasts/:id", h.pageMeBroadcast)
	me.POST("/broadcasts/:id/signup", h.pageMeSignUp)
	me.POST("/broadcasts/:id/cancel", h.pageMeCancelSignUp)
	me.GET("/broadcasts/:id/file", h.pageMeBroadcastFile)
}

// meBroadcastRow is one article in the deputy's list.
type meBroadcastRow struct {
	Href, Kind, KindClass, Title, Date string
	Unread                             bool
	// Status is 已报名 or 已签到 for a training.
	Status string
}

// meBroadcastsData is the deputy's list.
type meBroadcastsData struct {
	Rows   []meBroadcastRow
	Unread int
}

func (h *Handlers) pageMeBroadcasts(c *gin.Context) {
	items, err := broadcasts.ForDeputy(c.Request.Context(), h.DB, consoleDeputy(c).ID, meBroadcastLimit)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	// Unread first, each part newest first as listed.
	slices.SortStableFunc(items, func(a, b broadcasts.DeputyItem) int {
		return boolRank(a.ReadAt == nil) - boolRank(b.ReadAt == nil)
	})
	var d meBroadcastsData
	for _, it := range items {
		b := it.Broadcast
		r := meBroadcastRow{Href: MeBroadcastPath(b.ID), Kind: b.Kind.Label(), KindClass: kindClass(b.Kind), Title: b.Title,
			Unread: it.ReadAt == nil}
		if b.SentAt != nil {
			r.Date = models.DateText(*b.SentAt, h.Location)
		}
		switch {
		case it.AttendedAt != nil:
			r.Status = "已签到"
		case it.SignedUpAt != nil:
			r.Status = "已报名"
		}
		if r.Unread {
			d.Unread++
		}
		d.Rows = append(d.Rows, r)
	}
	h.render(c, http.StatusOK, tplMeBroadcasts, page{Title: "空中讲堂", Nav: "me", Data: d})
}

// boolRank puts true first in an ascending sort.
func boolRank(b bool) int {
	if b {
		return -1
	}
	return 0
}

// meBroadcastData is an article's page for the deputy.
type meBroadcastData struct {
	Kind, KindClass, Title, Sent string
	// Sender is who sent it: the county office or a township's.
	Sender     string
	Paragraphs []string
	Attachment *attachmentLink
	// A training's session, and the deputy's sign-up.
	Training                 bool
	Session, Place, Until    string
	SignedUp, Attended       string
	CanSignUp, CanCancel     bool
	Closed                   string
	SignUpAction, CancelPath string
	ListHref                 string
}

// meBroadcastView is the page of an article a deputy opened.
func (h *Handlers) meBroadcastView(a broadcasts.Article) meBroadcastData {
	b, r := a.Broadcast, a.Recipient
	href := MeBroadcastPath(b.ID)
	d := meBroadcastData{Kind: b.Kind.Label(), KindClass: kindClass(b.Kind), Title: b.Title, Paragraphs: paragraphs(b.Body),
		Attachment: attachmentOf(b, href+"/file"), Training: b.Kind == models.BroadcastTraining, Place: b.SessionPlace,
		CanSignUp: a.CanSignUp, CanCancel: a.CanCancel, SignUpAction: href + "/signup", CancelPath: href + "/cancel",
		ListHref: MeBroadcastsPath, Sender: b.Sender()}
	if b.SentAt != nil {
		d.Sent = models.FullDateText(*b.SentAt, h.Location)
	}
	if b.SessionAt != nil {
		d.Session = h.sessionText(*b.SessionAt)
	}
	until := b.SignupUntil
	if until == nil {
		until = b.SessionAt
	}
	if until != nil {
		d.Until = h.localTime(*until)
	}
	if r.SignedUpAt != nil {
		d.SignedUp = h.localTime(*r.SignedUpAt)
	}
	if r.AttendedAt != nil {
		d.Attended = h.localTime(*r.AttendedAt)
	}
	if d.Training && !a.CanSignUp && r.SignedUpAt == nil && until != nil {
		d.Closed = "报名已于" + d.Until + "截止。如需参加，请与" + d.Sender + "联系。"
	}
	return d
}

func (h *Handlers) renderMeBroadcast(c *gin.Context, status int, a broadcasts.Article, notice, msg string) {
	h.render(c, status, tplMeBroadcast, page{Title: a.Broadcast.Kind.Label(), Nav: "me", Notice: notice, Error: msg,
		Data: h.meBroadcastView(a)})
}

func (h *Handlers) pageMeBroadcast(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	dep := consoleDeputy(c)
	a, err := broadcasts.Read(c.Request.Context(), h.DB, dep.ID, id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.renderMeBroadcast(c, http.StatusOK, a, noticeOf(c), "")
}

// meSignUpAction runs a sign-up or its withdrawal; a refusal (sign-up
// closed, attended already) shows the article again with the reason.
func (h *Handlers) meSignUpAction(c *gin.Context, act func(deputyID, id uint64) (broadcasts.Article, error), done string) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	dep := consoleDeputy(c)
	_, err := act(dep.ID, id)
	if err == nil {
		shared.Logger(c).InfoContext(c.Request.Context(), "Deputy training sign-up", "deputy_id", dep.ID,
			"broadcast_id", id, "done", done)
		seeOther(c, MeBroadcastPath(id), done)
		return
	}
	status, det := shared.ErrorOf(c, err)
	if status == http.StatusNotFound || status >= 500 {
		h.renderErr(c, err)
		return
	}
	a, rerr := broadcasts.Read(c.Request.Context(), h.DB, dep.ID, id, h.Now())
	if rerr != nil {
		h.renderErr(c, rerr)
		return
	}
	h.renderMeBroadcast(c, status, a, "", det.Message)
}

func (h *Handlers) pageMeSignUp(c *gin.Context) {
	h.meSignUpAction(c, func(dep, id uint64) (broadcasts.Article, error) {
		return broadcasts.SignUp(c.Request.Context(), h.DB, dep, id, h.Now())
	}, "报名成功，请按时参加培训")
}

func (h *Handlers) pageMeCancelSignUp(c *gin.Context) {
	h.meSignUpAction(c, func(dep, id uint64) (broadcasts.Article, error) {
		return broadcasts.CancelSignUp(c.Request.Context(), h.DB, dep, id, h.Now())
	}, "已取消报名")
}

func (h *Handlers) pageMeBroadcastFile(c *gin.Context) {
	id, ok := h.pathID(c, broadcasts.ErrNotFound)
	if !ok {
		return
	}
	b, err := broadcasts.DeputyAttachment(c.Request.Context(), h.DB, consoleDeputy(c).ID, id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.serveBroadcastFile(c, b)
}
