package console

import (
	"net/http"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/broadcasts"

	"github.com/gin-gonic/gin"
)

// The broadcasts (空中讲堂) in the console's JSON API, for the office's
// own tools: the articles with their counts, one article with every
// recipient, and the training's check-in. The same scope as the pages
// (models.ManageScopeOf): the county office sees all, a township user
// their township's, anyone else gets 403. Writing and sending an article
// stays on the page, where it is confirmed before deputies' phones ring.
func (h *Handlers) consoleBroadcastRoutes(g *gin.RouterGroup) {
	b := g.Group("/broadcasts", h.requireManageAPI)
	b.GET("", h.consoleBroadcasts)
	b.GET("/:id", h.consoleBroadcast)
	b.POST("/:id/attendance", h.consoleBroadcastAttendance)
}

// requireManageAPI is requireManage for the JSON API: the scope, or the
// JSON error.
func (h *Handlers) requireManageAPI(c *gin.Context) {
	sc, err := models.ManageScopeOf(consoleStaff(c))
	if err != nil {
		shared.RespondErr(c, err)
		c.Abort()
		return
	}
	c.Set(ctxManageScope, sc)
	c.Next()
}

// BroadcastSummary is one article in the console API, with its counts.
type BroadcastSummary struct {
	ID             uint64                   `json:"id"`
	Kind           models.BroadcastKind     `json:"kind"`
	KindLabel      string                   `json:"kind_label"`
	Title          string                   `json:"title"`
	Audience       models.BroadcastAudience `json:"audience"`
	AudienceText   string                   `json:"audience_text"`
	Township       string                   `json:"township"`
	SentAt         *time.Time               `json:"sent_at"`
	SessionAt      *time.Time               `json:"session_at,omitempty"`
	SessionPlace   string                   `json:"session_place,omitempty"`
	SignupUntil    *time.Time               `json:"signup_until,omitempty"`
	AttachmentName string                   `json:"attachment_name,omitempty"`
	Recipients     int                      `json:"recipients"`
	Notified       int                      `json:"notified"`
	Capped         int                      `json:"capped"`
	Read           int                      `json:"read"`
	SignedUp       int                      `json:"signed_up"`
	Attended       int                      `json:"attended"`
}

// BroadcastRecipient is one deputy an article went to, in the console API.
type BroadcastRecipient struct {
	DeputyID   uint64     `json:"deputy_id"`
	Name       string     `json:"name"`
	Station    string     `json:"station"`
	Bound      bool       `json:"bound"`
	Capped     bool       `json:"capped"`
	NotifiedAt *time.Time `json:"notified_at"`
	ReadAt     *time.Time `json:"read_at"`
	SignedUpAt *time.Time `json:"signed_up_at"`
	AttendedAt *time.Time `json:"attended_at"`
}

// BroadcastDetail is one article with its text and every recipient.
type BroadcastDetail struct {
	BroadcastSummary
	Body     string               `json:"body"`
	Deputies []BroadcastRecipient `json:"deputies"`
}

// localPtr is t in loc, nil stays nil.
func localPtr(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

func (h *Handlers) broadcastSummaryOf(s broadcasts.Summary) BroadcastSummary {
	b, loc := s.Broadcast, h.Location
	return BroadcastSummary{ID: b.ID, Kind: b.Kind, KindLabel: b.Kind.Label(), Title: b.Title, Audience: b.Audience,
		AudienceText: s.AudienceText, Township: b.Township, SentAt: localPtr(b.SentAt, loc),
		SessionAt: localPtr(b.SessionAt, loc), SessionPlace: b.SessionPlace, SignupUntil: localPtr(b.SignupUntil, loc),
		AttachmentName: b.AttachmentName, Recipients: s.Recipients, Notified: s.Notified, Capped: s.Capped,
		Read: s.Read, SignedUp: s.SignedUp, Attended: s.Attended}
}

// consoleBroadcasts lists the scope's articles, newest first (at most 200).
func (h *Handlers) consoleBroadcasts(c *gin.Context) {
	list, err := broadcasts.List(c.Request.Context(), h.DB, manageScope(c), broadcastListLimit)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	out := make([]BroadcastSummary, 0, len(list))
	for _, s := range list {
		out = append(out, h.broadcastSummaryOf(s))
	}
	c.JSON(http.StatusOK, shared.List[BroadcastSummary]{Items: out})
}

// consoleBroadcast is one article of the scope with every recipient.
func (h *Handlers) consoleBroadcast(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	det, err := broadcasts.Get(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	out := BroadcastDetail{BroadcastSummary: h.broadcastSummaryOf(det.Summary), Body: det.Broadcast.Body,
		Deputies: make([]BroadcastRecipient, 0, len(det.Rows))}
	for _, r := range det.Rows {
		out.Deputies = append(out.Deputies, BroadcastRecipient{DeputyID: r.DeputyID, Name: r.Name, Station: r.Station,
			Bound: r.Bound, Capped: r.Capped, NotifiedAt: localPtr(r.NotifiedAt, h.Location),
			ReadAt: localPtr(r.ReadAt, h.Location), SignedUpAt: localPtr(r.SignedUpAt, h.Location),
			AttendedAt: localPtr(r.AttendedAt, h.Location)})
	}
	c.JSON(http.StatusOK, out)
}

// attendanceBody is the check-in: the deputies present.
type attendanceBody struct {
	DeputyIDs []uint64 `json:"deputy_ids"`
}

// AttendanceResult is how many deputies a check-in newly marked.
type AttendanceResult struct {
	Marked int `json:"marked"`
}

// consoleBroadcastAttendance marks deputies present at a training
// (broadcasts.MarkAttendance): idempotent, each newly marked deputy gets
// one 学习培训 entry in their record.
func (h *Handlers) consoleBroadcastAttendance(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var b attendanceBody
	if !bindConsoleJSON(c, &b, false) {
		return
	}
	if len(b.DeputyIDs) == 0 {
		shared.RespondErr(c, models.Invalid("deputy_ids", "请选择参加培训的代表"))
		return
	}
	n, err := broadcasts.MarkAttendance(c.Request.Context(), h.DB, manageScope(c), id, b.DeputyIDs, h.Now(), h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, AttendanceResult{Marked: n})
}
