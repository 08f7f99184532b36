package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/broadcasts"
	"deputylink/models/records"

	"github.com/gin-gonic/gin"
)

// The deputy's own pages (/console/me): web pages in WeChat's browser,
// reached from the official account's menu (代表履职) and from notices,
// signed in like the console (WeChat web authorization, or the desk's QR
// code). A deputy bound to the official account (models.BindDeputyInvite)
// signs in as a deputy; a person who is also staff gets both roles in one
// session (consoleSession.DeputyID beside StaffID). The pages are
// phone-first with large type and few steps: deputies are often older.

// MePath is the deputy's home: 我的履职.
const MePath = pagesBase + "/me"

// errNotDeputy answers a deputy's page opened by a staff member who is not
// signed in as a deputy.
var errNotDeputy = models.Coded(models.ErrForbidden, "not_deputy", "此页面只供已绑定微信的人大代表本人使用")

// deputyWho is the signed-in deputy as the layout shows them.
type deputyWho struct {
	ID   uint64
	Name string
}

// wechatIdentity is who an official-account openid is: an active staff
// member, a deputy in office, or both. Neither is the staff sign-in's
// refusal (models.ErrWeChatNotBound).
func (h *Handlers) wechatIdentity(ctx context.Context, openid string) (models.Staff, *models.Deputy, error) {
	s, serr := models.ActiveStaffByOAOpenID(ctx, h.DB, openid)
	if serr != nil && !errors.Is(serr, models.ErrUnauthorized) {
		return models.Staff{}, nil, serr
	}
	d, derr := models.ActiveDeputyByOAOpenID(ctx, h.DB, openid)
	if derr != nil && !errors.Is(derr, models.ErrUnauthorized) {
		return models.Staff{}, nil, derr
	}
	switch {
	case serr != nil && derr != nil:
		return models.Staff{}, nil, serr
	case derr != nil:
		return s, nil, nil
	case serr != nil:
		return models.Staff{}, &d, nil
	}
	return s, &d, nil
}

// sessionDeputy is the deputy of a session, loaded fresh: the zero Deputy
// when the session has none, or the deputy left office, was unbound or
// bound another WeChat since the sign-in.
func (h *Handlers) sessionDeputy(ctx context.Context, s consoleSession) (models.Deputy, error) {
	if s.DeputyID == 0 {
		return models.Deputy{}, nil
	}
	d, err := models.BoundDeputy(ctx, h.DB, s.DeputyID)
	if errors.Is(err, models.ErrUnauthorized) {
		return models.Deputy{}, nil
	}
	if err != nil {
		return models.Deputy{}, err
	}
	if sha256Hex(*d.OAOpenID) != s.DeputyWX {
		return models.Deputy{}, nil
	}
	return d, nil
}

// requireDeputy admits a deputy's session (alone or with a staff member)
// to the deputy's pages; a browser without a session goes to sign in, a
// staff member who is not a deputy gets the 403 page.
func (h *Handlers) requireDeputy(c *gin.Context) {
	_, dep, ok := h.pageSession(c)
	if !ok {
		return
	}
	if dep.ID == 0 {
		h.renderErr(c, errNotDeputy)
		return
	}
	c.Next()
}

// consoleDeputy is the signed-in deputy (requireDeputy ran).
func consoleDeputy(c *gin.Context) models.Deputy {
	v, _ := c.Get(ctxConsoleDeputy)
	d, _ := v.(models.Deputy)
	return d
}

// Templates of the deputy's pages.
const (
	tplMe            = "me_home.html"
	tplMeActivityNew = "me_activity_new.html"
	tplMeActivity    = "me_activity.html"
	tplMeOpinions    = "me_opinions.html"
	tplMeWeChat      = "me_wechat.html"
)

// Routes of the deputy's pages.
const (
	// MeActivitiesRoute takes a new activity (multipart, with evidence);
	// the router lets its body be up to MaxMeActivityBody.
	MeActivitiesRoute = MePath + "/activities"
	meNewActivityPath = MeActivitiesRoute + "/new"
	meOpinionsPath    = MePath + "/opinions"
	meWeChatPath      = MePath + "/wechat"
	meFilesPath       = MePath + "/files"
	// MaxMeActivityBody caps a new activity with its photos or PDF.
	MaxMeActivityBody = 20<<20 + 64<<10
	// meRecentEntries is how many entries the home page lists.
	meRecentEntries = 30
)

// deputyPages registers the deputy's own pages.
func (h *Handlers) deputyPages(pages *gin.RouterGroup) {
	me := pages.Group("/me", h.requireDeputy)
	me.GET("", h.pageMe)
	me.GET("/activities/new", h.pageMeNewActivity)
	me.POST("/activities", h.pageMeAddActivity)
	me.GET("/activities/:id", h.pageMeActivity)
	me.GET("/files/:id", h.pageMeFile)
	me.GET("/opinions", h.pageMeOpinions)
	me.GET("/self", h.pageMeSelf)
	me.GET("/report/:month", h.pageMeReport)
	me.POST("/self", h.pageMeSelfSave)
	me.GET("/wechat", h.pageMeWeChat)
	me.POST("/wechat/unbind", h.pageMeUnbind)
	h.meReviewPages(me)
	h.meBroadcastPages(me)
}

// meEntry is one entry of the deputy's list.
type meEntry struct {
	Href, Date, Type, Title, Status, StatusClass, Reason, Source string
	Voters                                                       int
}

// meHomeData is 我的履职.
type meHomeData struct {
	Name, Station, Level string
	Year                 int
	Counts               []records.TypeCount
	Approved, Pending    int
	Rejected             int
	Voters               int
	Opinions             int
	Entries              []meEntry
	More                 bool
	Locked               bool
	// SelfOpen offers the year's self-assessment (代表自评) while the
	// deputy's evaluation is open; SelfDone says one was handed in.
	SelfOpen, SelfDone bool
	// Reviews counts the reviews of departments the deputy may see
	// (me_reviews.go); ReviewsToVote those open and not voted in yet.
	Reviews, ReviewsToVote int
	// Unread is how many of the office's articles (空中讲堂) the deputy
	// has not opened (me_broadcasts.go).
	Unread int
	// Reports link the monthly 履职通报 of the past months (report_pages.go).
	Reports []reportMonthLink
}

func meEntryOf(a records.ActivityView) meEntry {
	e := meEntry{Href: MeActivitiesRoute + "/" + strconv.FormatUint(a.ID, 10), Date: a.DateText, Type: a.TypeLabel,
		Title: a.Title, Status: a.StatusLabel, Reason: a.RejectReason, Source: a.SourceLabel, Voters: a.Voters,
		StatusClass: string(a.Status)}
	return e
}

func (h *Handlers) pageMe(c *gin.Context) {
	dep := consoleDeputy(c)
	year := h.Now().In(h.Location).Year()
	rec, err := records.DeputyRecord(c.Request.Context(), h.DB, dep.ID, year, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := meHomeData{Name: dep.Name, Station: rec.StationName, Level: dep.Level.Label(), Year: year,
		Counts: rec.Counts, Approved: rec.Approved, Pending: rec.Pending, Rejected: rec.Rejected,
		Voters: rec.VotersReceived, Opinions: rec.Context.Opinions, Locked: rec.Locked,
		Reports: h.reportMonthLinks(dep, reportMonthsHome, "", MeReportPath)}
	if ev, ok, err := records.EvaluationOfDeputy(c.Request.Context(), h.DB, dep.ID, year); err != nil {
		h.renderErr(c, err)
		return
	} else if ok && ev.Status == models.EvaluationOpen {
		d.SelfOpen = true
		if sheet, err := records.EvaluationSheet(c.Request.Context(), h.DB, ev.ID, dep.ID); err == nil {
			d.SelfDone = sheet.Self != nil
		}
	}
	d.Reviews, d.ReviewsToVote = h.meReviewCounts(c, dep)
	if d.Unread, err = broadcasts.Unread(c.Request.Context(), h.DB, dep.ID); err != nil {
		h.renderErr(c, err)
		return
	}
	for i, a := range rec.Entries {
		if i == meRecentEntries {
			d.More = true
			break
		}
		d.Entries = append(d.Entries, meEntryOf(a))
	}
	h.render(c, http.StatusOK, tplMe, page{Title: "我的履职", Nav: "me", Notice: noticeOf(c), Data: d})
}

// meActivityForm is the form to add an activity.
type meActivityForm struct {
	Types             []option
	Form              map[string]string
	Bad               string
	Today, MinDate    string
	MaxFiles          int
	MaxPhotoMB, PDFMB int
}

func (h *Handlers) showMeActivityForm(c *gin.Context, status int, p page, f map[string]string, bad string) {
	now := h.Now().In(h.Location)
	d := meActivityForm{Form: f, Bad: bad, Today: now.Format(models.DateLayout),
		MinDate: strconv.Itoa(now.Year()-1) + "-01-01", MaxFiles: records.MaxActivityFiles,
		MaxPhotoMB: models.MaxReplyPhotoBytes >> 20, PDFMB: models.MaxReplyPDFBytes >> 20}
	for _, t := range models.ActivityTypes {
		if t == models.ActReception {
			continue // accrues from the desk's sign-in
		}
		d.Types = append(d.Types, option{string(t), t.Label()})
	}
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	if d.Form["date"] == "" {
		d.Form["date"] = d.Today
	}
	p.Title, p.Nav, p.Data = "登记履职活动", "me", d
	h.render(c, status, tplMeActivityNew, p)
}

func (h *Handlers) pageMeNewActivity(c *gin.Context) {
	h.showMeActivityForm(c, http.StatusOK, page{}, nil, "")
}

func (h *Handlers) pageMeAddActivity(c *gin.Context) {
	dep := consoleDeputy(c)
	f := map[string]string{}
	for _, k := range []string{"type", "date", "title", "description"} {
		f[k] = c.PostForm(k)
	}
	refuse := func(err error) {
		status, det := shared.ErrorOf(c, err)
		if status >= 500 {
			h.renderErr(c, err)
			return
		}
		if status == http.StatusNotFound || status == http.StatusConflict {
			status = http.StatusBadRequest
		}
		h.showMeActivityForm(c, status, page{Error: det.Message}, f, det.Field)
	}
	files, stored, err := h.storeActivityFiles(c, "photos", "pdf")
	if err != nil {
		refuse(err)
		return
	}
	in := records.ActivityInput{Type: models.ActivityType(f["type"]), Date: f["date"], Title: f["title"],
		Description: f["description"], Files: files, Loc: h.Location}
	a, err := records.AddDeputyActivity(c.Request.Context(), h.DB, dep.ID, in, h.Now())
	if err != nil {
		removeFiles(stored)
		refuse(err)
		return
	}
	shared.Logger(c).InfoContext(c.Request.Context(), "Deputy added an activity", "deputy_id", dep.ID, "activity_id", a.ID)
	seeOther(c, MePath, "已提交，等待工作人员审核")
}

// meActivityData is one entry.
type meActivityData struct {
	A      records.ActivityView
	Photos []meFile
	PDFs   []meFile
}

// meFile is an evidence file's link.
type meFile struct {
	Href, Name string
}

func (h *Handlers) pageMeActivity(c *gin.Context) {
	id, _ := models.ParseID(c.Param("id"))
	a, err := records.DeputyActivity(c.Request.Context(), h.DB, consoleDeputy(c).ID, id, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := meActivityData{A: a}
	for _, f := range a.Files {
		mf := meFile{Href: meFilesPath + "/" + strconv.FormatUint(f.ID, 10), Name: f.Name}
		if f.Kind == records.ActivityFilePhoto {
			d.Photos = append(d.Photos, mf)
		} else {
			d.PDFs = append(d.PDFs, mf)
		}
	}
	h.render(c, http.StatusOK, tplMeActivity, page{Title: a.TypeLabel + "：" + a.Title, Nav: "me", Data: d})
}

func (h *Handlers) pageMeFile(c *gin.Context) {
	id, _ := models.ParseID(c.Param("id"))
	f, err := records.DeputyActivityFile(c.Request.Context(), h.DB, consoleDeputy(c).ID, id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.serveActivityFile(c, f)
}

// meOpinionsData is the opinions filed through the deputy's codes.
type meOpinionsData struct {
	Year    int
	Context records.RecordContext
	Rows    []records.DeputyOpinionRow
}

func (h *Handlers) pageMeOpinions(c *gin.Context) {
	ctx := c.Request.Context()
	dep := consoleDeputy(c)
	year := h.Now().In(h.Location).Year()
	rec, err := records.DeputyRecord(ctx, h.DB, dep.ID, year, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	rows, err := records.DeputyOpinions(ctx, h.DB, dep.ID, year, 200, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplMeOpinions, page{Title: "选民通过我反映的意见", Nav: "me",
		Data: meOpinionsData{Year: year, Context: rec.Context, Rows: rows}})
}

// meWeChatData is the binding page.
type meWeChatData struct {
	Name string
	// AlsoStaff is true when the same WeChat is also a staff member's.
	AlsoStaff bool
}

func (h *Handlers) pageMeWeChat(c *gin.Context) {
	dep := consoleDeputy(c)
	_, staff := c.Get(ctxConsoleStaff)
	h.render(c, http.StatusOK, tplMeWeChat, page{Title: "微信绑定", Nav: "me", Notice: noticeOf(c),
		Data: meWeChatData{Name: dep.Name, AlsoStaff: staff}})
}

// pageMeUnbind lets the deputy unbind their WeChat. Their deputy's part of
// the session ends with it (sessionDeputy); a person who is also staff
// stays signed in as staff.
func (h *Handlers) pageMeUnbind(c *gin.Context) {
	dep := consoleDeputy(c)
	err := models.UnbindDeputy(c.Request.Context(), h.DB, models.Actor{Kind: "deputy", ID: dep.ID}, dep.ID, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	shared.Logger(c).InfoContext(c.Request.Context(), "Deputy unbound their WeChat", "deputy_id", dep.ID)
	if _, staff := c.Get(ctxConsoleStaff); staff {
		seeOther(c, pagesBase+"/", "已解除代表身份的微信绑定")
		return
	}
	_ = h.Redis.Del(c.Request.Context(), consoleSessionOf(c).key).Err()
	h.setCookie(c, ConsoleCookie, "", consoleCookiePath, -1, http.SameSiteLaxMode)
	seeOther(c, signInPath, "已解除微信绑定")
}
