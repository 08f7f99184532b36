package console

import (
	"errors"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"deputylink/config"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/broadcasts"

	"github.com/gin-gonic/gin"
)

// The office's pages of the broadcasts to deputies (空中讲堂,
// /console/broadcasts): the list of articles with their reads, sign-ups
// and attendance; the form that writes and sends one (kind, title, body,
// an optional attachment, the audience with a live count of who will get
// it, a training's session), confirmed before it is sent because sending
// notifies deputies' phones; an article's page with its recipients
// (filtered by read or not) and, for a training, the check-in form where
// staff tick who attended (broadcast_article.go). The county office (all
// deputies) and township users (their township's) may use them
// (requireManage); the rules, the notices and the weekly cap live in
// models/broadcasts.
// docs/ARCHITECTURE.md#broadcasts.

// Templates of the office's broadcast pages.
const (
	tplBroadcasts   = "broadcasts.html"
	tplBroadcastNew = "broadcast_new.html"
	tplBroadcast    = "broadcast.html"
)

const (
	// BroadcastsPath is the office's list of articles.
	BroadcastsPath = pagesBase + "/broadcasts"
	// BroadcastsCreateRoute takes a new article (multipart, with its
	// attachment); the router lets its body be up to MaxBroadcastBody.
	BroadcastsCreateRoute = BroadcastsPath
	// MaxBroadcastBody caps a new article: the largest attachment and the
	// text of the form (a body of 20,000 characters is 60 KB).
	MaxBroadcastBody = broadcasts.MaxDocumentBytes + 256<<10

	broadcastNewPath      = BroadcastsPath + "/new"
	broadcastAudiencePath = BroadcastsPath + "/audience"
	// broadcastListLimit is how many articles the list shows.
	broadcastListLimit = 200
)

// BroadcastPath is an article's page for the office.
func BroadcastPath(id uint64) string { return BroadcastsPath + "/" + strconv.FormatUint(id, 10) }

// errBroadcastTooLarge answers an article whose attachment passes
// MaxBroadcastBody.
var errBroadcastTooLarge = models.Invalid("attachment", "附件太大：PDF 和 Word 文档不能超过10MB，照片不能超过5MB")

// broadcastPages registers the office's pages under /broadcasts.
func (h *Handlers) broadcastPages(g *gin.RouterGroup) {
	g.GET("", h.pageBroadcasts)
	g.GET("/new", h.pageBroadcastNew)
	g.GET("/audience", h.pageBroadcastAudience)
	g.POST("", h.pageBroadcastCreate)
	g.GET("/:id", h.pageBroadcast)
	g.GET("/:id/file", h.pageBroadcastFile)
	g.POST("/:id/attendance", h.pageBroadcastAttend)
	g.POST("/:id/attendance/remove", h.pageBroadcastUnattend)
}

// broadcastRow is one article in the office's list and at the head of its
// page.
type broadcastRow struct {
	ID                           uint64
	Href, Kind, KindClass, Title string
	Sent, Audience               string
	Training                     bool
	Recipients, Notified, Capped int
	// Unbound is how many recipients have no WeChat bound (the article's
	// page only).
	Unbound                        int
	Read, Unread, SignedUp         int
	Attended                       int
	ReadRate                       string
	Session, Place, Until, Creator string
}

// kindClass is the CSS class of a kind's tag.
func kindClass(k models.BroadcastKind) string {
	return map[models.BroadcastKind]string{models.BroadcastTraining: "warn", models.BroadcastLaw: "ok"}[k]
}

// percent is n of total as "45%", "—" without a total.
func percent(n, total int) string {
	if total == 0 {
		return "—"
	}
	return strconv.Itoa((n*100+total/2)/total) + "%"
}

func (h *Handlers) broadcastRowOf(s broadcasts.Summary) broadcastRow {
	b := s.Broadcast
	r := broadcastRow{ID: b.ID, Href: BroadcastPath(b.ID), Kind: b.Kind.Label(), KindClass: kindClass(b.Kind), Title: b.Title,
		Audience: s.AudienceText, Training: b.Kind == models.BroadcastTraining, Recipients: s.Recipients,
		Notified: s.Notified, Capped: s.Capped, Read: s.Read, Unread: s.Recipients - s.Read,
		SignedUp: s.SignedUp, Attended: s.Attended, ReadRate: percent(s.Read, s.Recipients), Place: b.SessionPlace}
	if b.SentAt != nil {
		r.Sent = h.localTime(*b.SentAt)
	}
	if b.SessionAt != nil {
		r.Session = h.sessionText(*b.SessionAt)
	}
	if b.SignupUntil != nil {
		r.Until = h.localTime(*b.SignupUntil)
	}
	return r
}

// sessionText is a training's time with its weekday: "12月20日（星期三）14:30".
func (h *Handlers) sessionText(t time.Time) string {
	return models.DateText(t, h.Location) + "（" + models.WeekdayText(t, h.Location) + "）" + models.ClockText(t, h.Location)
}

// broadcastsData is the office's list.
type broadcastsData struct {
	Rows []broadcastRow
	All  bool
	More bool
}

func (h *Handlers) pageBroadcasts(c *gin.Context) {
	sc := manageScope(c)
	list, err := broadcasts.List(c.Request.Context(), h.DB, sc, broadcastListLimit)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := broadcastsData{All: sc.All, More: len(list) >= broadcastListLimit}
	for _, s := range list {
		d.Rows = append(d.Rows, h.broadcastRowOf(s))
	}
	h.render(c, http.StatusOK, tplBroadcasts, page{Title: "空中讲堂", Nav: "broadcasts", Notice: noticeOf(c), Data: d})
}

// ---- the new article ----

// broadcastFields are the text fields of the new article's form.
var broadcastFields = []string{"kind", "title", "body", "audience", "group_id", "session_at", "session_place", "signup_until"}

// broadcastFormData is the new article's form.
type broadcastFormData struct {
	Form map[string]string
	// Stations are the ticked stations' ids.
	Stations map[uint64]bool
	Bad      string
	Kinds    []option
	Groups   []option
	// StationList are the scope's stations to tick.
	StationList []models.Station
	AllCount    int
	// Preview is who the chosen audience reaches, Confirm the question
	// asked before sending.
	Preview           broadcasts.AudiencePreview
	PreviewText       string
	Confirm           string
	AudienceURL       string
	MaxMB, MaxPhotoMB int
	Township          string
	// PerWeek is the weekly cap on each deputy's notices.
	PerWeek int
}

// broadcastKinds are the kinds for the form, a training last.
func broadcastKinds() []option {
	var out []option
	for _, k := range []models.BroadcastKind{models.BroadcastNews, models.BroadcastLaw, models.BroadcastTraining} {
		out = append(out, option{string(k), k.Label()})
	}
	return out
}

func (h *Handlers) showBroadcastForm(c *gin.Context, status int, p page, f map[string]string, stations []uint64, bad string) {
	ctx, sc := c.Request.Context(), manageScope(c)
	ch, err := broadcasts.Choices(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if f == nil {
		f = map[string]string{"kind": string(models.BroadcastNews), "audience": string(models.AudienceAll)}
	}
	d := broadcastFormData{Form: f, Stations: idSet(stations), Bad: bad, Kinds: broadcastKinds(), StationList: ch.Stations,
		AllCount: ch.AllCount, AudienceURL: broadcastAudiencePath, MaxMB: broadcasts.MaxDocumentBytes >> 20,
		MaxPhotoMB: models.MaxReplyPhotoBytes >> 20, Township: sc.Township, PerWeek: h.DeputyNotify.PerWeek}
	if d.PerWeek <= 0 {
		d.PerWeek = config.DefaultDeputyNoticesPerWeek
	}
	for _, g := range ch.Groups {
		d.Groups = append(d.Groups, option{strconv.FormatUint(g.ID, 10), g.Name + "（" + strconv.Itoa(g.MemberCount) + "人）"})
	}
	groupID, _ := models.ParseID(f["group_id"])
	d.Preview, err = broadcasts.Preview(ctx, h.DB, sc, models.BroadcastAudience(f["audience"]), groupID, stations)
	if err != nil && !errors.Is(err, models.ErrInvalid) && !errors.Is(err, models.ErrNotFound) {
		h.renderErr(c, err)
		return
	}
	d.PreviewText, d.Confirm = previewTexts(d.Preview)
	p.Title, p.Nav, p.Data = "发布新文章", "broadcasts", d
	h.render(c, status, tplBroadcastNew, p)
}

// previewTexts are the line under the audience and the question asked
// before sending, for a preview.
func previewTexts(pv broadcasts.AudiencePreview) (line, confirm string) {
	if pv.Count == 0 {
		return "所选范围内没有在职代表，请重新选择。", "所选范围内没有在职代表，仍要提交吗？"
	}
	n, b := strconv.Itoa(pv.Count), strconv.Itoa(pv.Bound)
	line = "将发给 " + n + " 位代表，其中 " + b + " 位已绑定微信，会收到通知；其余代表可在“我的履职”中查看。"
	confirm = "确定发送吗？这篇文章将发给 " + n + " 位代表，" + b + " 位代表的微信会收到通知。发送后不能撤回。"
	return line, confirm
}

func (h *Handlers) pageBroadcastNew(c *gin.Context) {
	h.showBroadcastForm(c, http.StatusOK, page{}, nil, nil, "")
}

// audienceAnswer is the live count of the new article's form.
type audienceAnswer struct {
	Count   int    `json:"count"`
	Bound   int    `json:"bound"`
	Text    string `json:"text"`
	Confirm string `json:"confirm"`
}

// pageBroadcastAudience answers the form's script with who the chosen
// audience reaches (?audience=&group_id=&station_ids=…), as JSON.
func (h *Handlers) pageBroadcastAudience(c *gin.Context) {
	groupID, _ := models.ParseID(c.Query("group_id"))
	stations, err := formIDs(c.QueryArray("station_ids"), "station_ids", "所选的联络站不存在")
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	pv, err := broadcasts.Preview(c.Request.Context(), h.DB, manageScope(c), models.BroadcastAudience(c.Query("audience")), groupID, stations)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	text, confirm := previewTexts(pv)
	c.JSON(http.StatusOK, audienceAnswer{Count: pv.Count, Bound: pv.Bound, Text: text, Confirm: confirm})
}

// formIDs reads ids from a form's values; a malformed one is a
// validation error on field.
func formIDs(vals []string, field, msg string) ([]uint64, error) {
	var out []uint64
	for _, s := range vals {
		if s == "" {
			continue
		}
		id, ok := models.ParseID(s)
		if !ok {
			return nil, models.Invalid(field, msg)
		}
		out = append(out, id)
	}
	return out, nil
}

// localInput reads a datetime-local field ("2026-12-20T14:30") in the
// console's time zone; empty is the zero time.
func (h *Handlers) localInput(f map[string]string, field, label string) (time.Time, error) {
	s := strings.TrimSpace(f[field])
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", s, h.Location)
	if err != nil {
		return time.Time{}, models.Invalid(field, label+"的格式不对，请重新选择日期和时间")
	}
	return t, nil
}

// broadcastInput reads the new article's form.
func (h *Handlers) broadcastInput(f map[string]string, stations []uint64) (broadcasts.NewBroadcast, error) {
	in := broadcasts.NewBroadcast{Kind: models.BroadcastKind(f["kind"]), Title: f["title"], Body: f["body"],
		Audience: models.BroadcastAudience(f["audience"]), StationIDs: stations}
	if in.Audience == models.AudienceGroup {
		id, ok := models.ParseID(f["group_id"])
		if !ok {
			return in, models.Invalid("group_id", "请选择代表小组")
		}
		in.GroupID = id
	}
	if in.Kind != models.BroadcastTraining {
		return in, nil
	}
	var err error
	if in.SessionAt, err = h.localInput(f, "session_at", "培训时间"); err != nil {
		return in, err
	}
	in.SessionPlace = f["session_place"]
	in.SignupUntil, err = h.localInput(f, "signup_until", "报名截止时间")
	return in, err
}

func (h *Handlers) pageBroadcastCreate(c *gin.Context) {
	ctx, sc := c.Request.Context(), manageScope(c)
	att, stored, perr := h.storeBroadcastAttachment(c)
	f := postedForm(c, broadcastFields...)
	stations, err := formIDs(c.PostFormArray("station_ids"), "station_ids", "所选的联络站不存在")
	refuse := func(err error) {
		if stored != "" {
			removeFiles([]string{stored})
		}
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			if stored != "" {
				p.Error += "（附件需要重新选择）"
			}
			h.showBroadcastForm(c, status, p, f, stations, bad)
		})
	}
	if perr != nil {
		refuse(perr)
		return
	}
	if err != nil {
		refuse(err)
		return
	}
	in, err := h.broadcastInput(f, stations)
	if err != nil {
		refuse(err)
		return
	}
	in.Attachment = att
	sent, err := broadcasts.Create(ctx, h.DB, sc, in, h.NotifyConfig(shared.Logger(c)), h.Now())
	if err != nil {
		refuse(err)
		return
	}
	shared.Logger(c).InfoContext(ctx, "Broadcast sent", "broadcast_id", sent.Broadcast.ID, "staff_id", consoleStaff(c).ID,
		"recipients", sent.Recipients, "notified", sent.Notified, "capped", sent.Capped)
	notice := "已发送给" + strconv.Itoa(sent.Recipients) + "位代表，" + strconv.Itoa(sent.Notified) + "位将在微信收到通知"
	if sent.Capped > 0 {
		notice += "，" + strconv.Itoa(sent.Capped) + "位本周通知已达上限"
	}
	seeOther(c, BroadcastPath(sent.Broadcast.ID), notice)
}

// storeBroadcastAttachment stores the form's "attachment", if one was
// chosen, under <DataDir>/uploads/broadcasts/<yyyy>/<mm>/; stored is its
// path on disk, for removal when the article is refused.
func (h *Handlers) storeBroadcastAttachment(c *gin.Context) (att *broadcasts.Attachment, stored string, err error) {
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", errBroadcastTooLarge
		}
		return nil, "", models.Invalid("attachment", "附件没有上传成功，请重新选择")
	}
	var fh *multipart.FileHeader
	if mf := c.Request.MultipartForm; mf != nil {
		for _, f := range mf.File["attachment"] {
			if f.Size > 0 || f.Filename != "" {
				fh = f
				break
			}
		}
	}
	if fh == nil {
		return nil, "", nil
	}
	if h.DataDir == "" {
		return nil, "", shared.ErrNoUploads
	}
	now := h.Now().In(h.Location)
	f, err := h.storeUpload(fh, broadcasts.AttachmentDir, now.Format("2006"), now.Format("01"), attachmentRules)
	if err != nil {
		return nil, "", err
	}
	return &broadcasts.Attachment{Kind: f.Kind, Name: f.Name, Path: f.Path, Size: f.Size},
		filepath.Join(h.DataDir, filepath.FromSlash(f.Path)), nil
}

// attachmentRules take a broadcast's attachment: a photo, a PDF or a
// Word document (models/broadcasts/attachment.go).
var attachmentRules = uploadRules{field: "attachment", max: broadcasts.MaxDocumentBytes,
	sniff: broadcasts.SniffAttachment, check: broadcasts.CheckAttachment}
