package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// The reception-day desk's pages (docs/ARCHITECTURE.md#reception-desk):
// the staff's days, one day's desk (check-in by code, typed or scanned
// with WeChat's scanner; walk-ins; the roster with the deputies' sign-in
// and its QR code; invited department heads; no-shows) and its printable
// list. Scoped like the JSON API (desk.go): another station's day is 404.

// The desk's page templates.
const (
	tplDeskDays  = "desk_days.html"
	tplDesk      = "desk.html"
	tplDeskPrint = "desk_print.html"
)

const (
	// deskScenePrefix starts the scene of a desk's attendance QR code:
	// "desk:<day id>:<token>".
	deskScenePrefix = "desk:"
	// deskQRLife is how long a desk's attendance QR code lives; the page
	// makes a new one when the cached one has less than deskQRMargin left.
	deskQRLife   = 12 * time.Hour
	deskQRMargin = time.Hour
	// jsSDKScript is WeChat's JS-SDK, loaded only inside WeChat.
	jsSDKScript = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
)

// errNoWebAuth answers the WeChat-only features when the official account
// is not configured or does not answer.
var errNoWebAuth = models.Coded(shared.ErrUnavailable, "wechat_unavailable", "公众号暂时不可用，请手动输入签到码")

// deskPages registers the reception-day desk: the days, one day's roster,
// bookings, check-in, walk-ins and its printable list.
func (h *Handlers) deskPages(signedIn *gin.RouterGroup) {
	h.OnScan(deskScenePrefix, h.deskScan)
	signedIn.GET("/desk", h.deskDaysPage)
	signedIn.GET("/desk/jsconfig", h.deskJSConfig)
	signedIn.GET("/desk/:day", h.deskPage)
	signedIn.GET("/desk/:day/print", h.deskPrintPage)
	signedIn.POST("/desk/:day/checkin", h.deskCheckIn)
	signedIn.POST("/desk/:day/walkins", h.deskWalkIn)
	signedIn.POST("/desk/:day/deputies", h.deskAddDeputy)
	signedIn.POST("/desk/:day/deputies/:deputy/signin", h.deskSignInDeputy)
	signedIn.POST("/desk/:day/guests", h.deskAddGuest)
	signedIn.POST("/desk/:day/guests/:guest/signin", h.deskSignInGuest)
	signedIn.POST("/desk/:day/guests/:guest/remove", h.deskRemoveGuest)
	signedIn.POST("/desk/:day/bookings/:booking/noshow", h.deskNoShow)
}

// deskPath is the address of a day's desk.
func deskPath(dayID uint64) string { return pagesBase + "/desk/" + strconv.FormatUint(dayID, 10) }

// pageID reads an id path parameter of a page; a bad one is the error page.
func (h *Handlers) pageID(c *gin.Context, name string) (uint64, bool) {
	id, ok := models.ParseID(c.Param(name))
	if !ok {
		h.renderErr(c, models.Invalid(name, "编号格式不正确"))
	}
	return id, ok
}

// deskDaysPage lists the reception days of the staff member's stations:
// today's first, then the upcoming ones, then the recent finished ones.
func (h *Handlers) deskDaysPage(c *gin.Context) {
	days, err := models.ListDeskDays(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplDeskDays, page{Title: "接待日", Nav: "desk", Notice: noticeOf(c), Data: days})
}

// deskData is what the desk page shows.
type deskData struct {
	Desk models.DeskView
	// Code is the code typed before a refused check-in, kept in the input.
	Code string
	// QR is the image address of the desk's attendance QR code for
	// deputies to scan; QRNote says why there is none when it fails.
	QR     template.URL
	QRNote string
	// Scanner shows the 扫一扫 button (inside WeChat, WebAuth configured);
	// JSSDK is WeChat's script, loaded only then.
	Scanner bool
	JSSDK   string
	// Opinion links ("记为意见") of checked-in bookings and walk-ins, by id.
	BookingOpinion, WalkInOpinion map[uint64]string
}

// deskPage shows one day's desk.
func (h *Handlers) deskPage(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	h.showDesk(c, id, http.StatusOK, "", "")
}

// showDesk renders the desk of a day with status, an error above the
// forms (after a refused action) and the code that was typed.
func (h *Handlers) showDesk(c *gin.Context, dayID uint64, status int, errMsg, code string) {
	ctx := c.Request.Context()
	desk, err := models.DeskDay(ctx, h.DB, models.ScopeOf(consoleStaff(c)), dayID, h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := deskData{Desk: desk, Code: code, BookingOpinion: map[uint64]string{}, WalkInOpinion: map[uint64]string{}}
	if h.WebAuth != nil && inWeChat(c) && desk.CheckinOpen {
		d.Scanner, d.JSSDK = true, jsSDKScript
	}
	if h.WebAuth != nil && desk.Today && !desk.Closed {
		if d.QR, err = h.deskQR(ctx, dayID); err != nil {
			shared.Logger(c).WarnContext(ctx, "Desk attendance QR code failed", "day", dayID, "err", err)
			d.QRNote = "暂时无法生成代表签到码，请由工作人员为代表签到。"
		}
	}
	// The opinion entry names the deputy who received the voter when
	// exactly one has signed in.
	deputy := ""
	var signed []uint64
	for _, r := range desk.Roster {
		if r.SignedIn {
			signed = append(signed, r.ID)
		}
	}
	if len(signed) == 1 {
		deputy = strconv.FormatUint(signed[0], 10)
	}
	link := func(name, content string) string {
		q := url.Values{"channel": {"reception"}, "station": {strconv.FormatUint(desk.Station.ID, 10)},
			"day": {strconv.FormatUint(desk.ID, 10)}}
		if name != "" {
			q.Set("name", name)
		}
		if content != "" {
			q.Set("content", content)
		}
		if deputy != "" {
			q.Set("deputy", deputy)
		}
		return pagesBase + "/opinions/new?" + q.Encode()
	}
	for _, s := range desk.Slots {
		for _, b := range s.Bookings {
			if b.Status == models.BookingCheckedIn {
				d.BookingOpinion[b.ID] = link("", b.Topic)
			}
		}
		for _, w := range s.WalkIns {
			d.WalkInOpinion[w.ID] = link(w.Name, w.Topic)
		}
	}
	h.render(c, status, tplDesk, page{Title: desk.Station.Name + " · " + desk.DateText, Nav: "desk",
		Notice: noticeOf(c), Error: errMsg, Data: d})
}

// deskFail answers a refused desk action: the day's desk again with the
// reason above the forms (the typed code kept), or the error page when
// the day itself is out of reach or something broke.
func (h *Handlers) deskFail(c *gin.Context, dayID uint64, err error, code string) {
	status, d := shared.ErrorOf(c, err)
	if errors.Is(err, models.ErrReceptionDayNotFound) || status >= 500 || status == http.StatusForbidden {
		h.renderErr(c, err)
		return
	}
	h.showDesk(c, dayID, status, d.Message, code)
}

// deskCheckIn checks a voter in by the code typed or scanned (the bare
// code or the booking QR's text).
func (h *Handlers) deskCheckIn(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	code := models.Shorten(strings.TrimSpace(c.PostForm("code")), 40, "")
	if code == "" {
		h.deskFail(c, id, models.Invalid("code", "请输入签到码"), "")
		return
	}
	ctx := c.Request.Context()
	bk, err := models.CheckIn(ctx, h.DB, models.ScopeOf(consoleStaff(c)), id, code, h.Now())
	if err != nil {
		h.deskFail(c, id, err, code)
		return
	}
	seeOther(c, deskPath(id), models.CheckInNotice(ctx, h.DB, bk, h.Location))
}

// deskWalkIn records a voter received without a booking.
func (h *Handlers) deskWalkIn(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	w, err := models.RecordWalkIn(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id,
		c.PostForm("name"), c.PostForm("topic"), h.Now())
	if err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	notice := "已登记现场来访"
	if w.Name != "" {
		notice += "：" + w.Name
	}
	if w.BeyondSeats {
		notice += "（现场名额已满）"
	}
	seeOther(c, deskPath(id), notice)
}

// deskSignInDeputy signs in a deputy of the roster who came.
func (h *Handlers) deskSignInDeputy(c *gin.Context) {
	h.deskSignIn(c, "deputy", models.SignInDeputy, "代表已签到", "这位代表已经签过到了")
}

// deskSignIn signs in at a day's desk the person of the path's param (a
// deputy of the roster, an invited guest) with signIn, and answers with
// done, or again when they had signed in already.
func (h *Handlers) deskSignIn(c *gin.Context, param string,
	signIn func(context.Context, *gorm.DB, models.StaffScope, uint64, uint64, time.Time) (bool, error), done, again string) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	who, ok := h.pageID(c, param)
	if !ok {
		return
	}
	already, err := signIn(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, who, h.Now())
	if err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	if already {
		done = again
	}
	seeOther(c, deskPath(id), done)
}

// deskAddDeputy adds a deputy who came unscheduled, signed in.
func (h *Handlers) deskAddDeputy(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	dep, ok := models.ParseID(c.PostForm("deputy_id"))
	if !ok {
		h.deskFail(c, id, models.Invalid("deputy_id", "请选择到场的代表"), "")
		return
	}
	if err := models.AddDeskDeputy(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, dep, h.Now()); err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	seeOther(c, deskPath(id), "已添加到场代表并签到")
}

// deskAddGuest invites a department head (or another guest) to the day.
func (h *Handlers) deskAddGuest(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	g, err := models.AddGuest(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, models.GuestInput{
		Department: c.PostForm("department"), Name: c.PostForm("name"), Title: c.PostForm("title"),
	}, h.Now())
	if err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	seeOther(c, deskPath(id), "已添加受邀人员："+g.Department+g.Name)
}

// deskSignInGuest signs in an invited guest who came.
func (h *Handlers) deskSignInGuest(c *gin.Context) {
	h.deskSignIn(c, "guest", models.SignInGuest, "受邀人员已签到", "这位受邀人员已经签过到了")
}

// deskRemoveGuest withdraws an invitation.
func (h *Handlers) deskRemoveGuest(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	g, ok := h.pageID(c, "guest")
	if !ok {
		return
	}
	if err := models.RemoveGuest(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, g, h.Now()); err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	seeOther(c, deskPath(id), "已删除受邀人员")
}

// deskNoShow marks a confirmed booking whose slot has ended as a no-show.
func (h *Handlers) deskNoShow(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	b, ok := h.pageID(c, "booking")
	if !ok {
		return
	}
	bk, err := models.MarkNoShow(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, b, h.Now())
	if err != nil {
		h.deskFail(c, id, err, "")
		return
	}
	seeOther(c, deskPath(id), "已标记未到：签到码"+bk.CheckinCode)
}

// deskPrintData is what the printed list shows.
type deskPrintData struct {
	Desk models.DeskView
	// Blank holds one element per empty row for walk-ins written by hand.
	Blank   []int
	Printed string
}

// deskPrintPage is the day's list on A4: slots, bookings (masked phones,
// codes), roster, guests and blank rows for walk-ins, without navigation.
func (h *Handlers) deskPrintPage(c *gin.Context) {
	id, ok := h.pageID(c, "day")
	if !ok {
		return
	}
	desk, err := models.DeskDay(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id, h.Now(), h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var buf bytes.Buffer
	data := page{Title: desk.Station.Name + "接待日名单", Data: deskPrintData{Desk: desk, Blank: make([]int, 8),
		Printed: models.DateTimeText(h.Now(), h.Location)}}
	if err := pageTemplates[tplDeskPrint].ExecuteTemplate(&buf, "print", data); err != nil {
		h.renderErr(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// deskJSConfig signs the JS-SDK configuration of a desk page (?url=, the
// page's address without its #fragment) for WeChat's scanner. Only our
// own console's addresses are signed.
func (h *Handlers) deskJSConfig(c *gin.Context) {
	if h.WebAuth == nil {
		shared.RespondErr(c, errNoWebAuth)
		return
	}
	raw := c.Query("url")
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 1000 || (u.Scheme != "http" && u.Scheme != "https") || u.Host != c.Request.Host ||
		u.User != nil || u.Fragment != "" || !strings.HasPrefix(u.Path, pagesBase+"/") {
		shared.RespondErr(c, models.Invalid("url", "只能为本工作台的页面签名"))
		return
	}
	cfg, err := h.WebAuth.JSConfig(c.Request.Context(), raw)
	if err != nil {
		shared.Logger(c).WarnContext(c.Request.Context(), "JS-SDK config failed", "err", err)
		shared.RespondErr(c, errNoWebAuth)
		return
	}
	c.JSON(http.StatusOK, cfg)
}

// deskQRCode is a desk's attendance QR code, cached in Redis per day.
type deskQRCode struct {
	Token string `json:"token"`
	// URL is what the official account's QR code encodes.
	URL     string    `json:"url"`
	Ticket  string    `json:"ticket"`
	Expires time.Time `json:"expires"`
}

func (h *Handlers) attendQRKey(dayID uint64) string {
	return h.RedisPrefix + "deskqr:" + strconv.FormatUint(dayID, 10)
}

// deskQR returns the image address of a day's attendance QR code, making
// a new temporary official-account QR code when there is none or the
// cached one is about to expire. Its scene carries a random token that
// the scan hook checks, so only a code this desk showed signs in.
func (h *Handlers) deskQR(ctx context.Context, dayID uint64) (template.URL, error) {
	key := h.attendQRKey(dayID)
	now := h.Now()
	var q deskQRCode
	raw, err := h.Redis.Get(ctx, key).Bytes()
	switch {
	case err == nil && json.Unmarshal(raw, &q) == nil && q.URL != "" && q.Expires.After(now.Add(deskQRMargin)):
		return screenQR(q.URL)
	case err != nil && !errors.Is(err, redis.Nil):
		return "", err
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	t, err := h.WebAuth.QRTicket(ctx, deskScenePrefix+strconv.FormatUint(dayID, 10)+":"+token, deskQRLife, false)
	if err != nil {
		return "", err
	}
	q = deskQRCode{Token: token, URL: t.URL, Ticket: t.Ticket, Expires: now.Add(deskQRLife)}
	raw, _ = json.Marshal(q)
	if err := h.Redis.Set(ctx, key, raw, deskQRLife).Err(); err != nil {
		return "", err
	}
	return screenQR(q.URL)
}

// Replies to a deputy's scan of a desk's attendance code.
const (
	deskScanStale    = "这个签到码已经失效，请扫描接待台上最新的签到码。"
	deskScanNotBound = "您的微信还没有绑定代表身份，请联系联络站工作人员签到。"
	deskScanNotOn    = "您不在今天的值班代表名单中，请联系联络站工作人员签到。"
	deskScanEarly    = "接待还没有开始，请在接待开始前一小时内扫码签到。"
	deskScanClosed   = "这个接待日已经结束。"
)

// deskScan answers a scan of a desk's attendance code (scene
// "desk:<day id>:<token>"): the scanner is signed in when they are a bound
// deputy on that day's roster and the token is the one the desk shows.
func (h *Handlers) deskScan(ctx context.Context, openid, rest string) (string, error) {
	dayPart, token, ok := strings.Cut(rest, ":")
	dayID, idOK := models.ParseID(dayPart)
	if !ok || !idOK || token == "" {
		return deskScanStale, nil
	}
	raw, err := h.Redis.Get(ctx, h.attendQRKey(dayID)).Bytes()
	var q deskQRCode
	switch {
	case errors.Is(err, redis.Nil):
		return deskScanStale, nil
	case err != nil:
		return "", err
	case json.Unmarshal(raw, &q) != nil || q.Token != token:
		return deskScanStale, nil
	}
	res, err := models.SignInDeputyByScan(ctx, h.DB, dayID, openid, h.Now())
	switch {
	case err == nil:
		return res.Reply(), nil
	case errors.Is(err, models.ErrDeputyNotBound):
		return deskScanNotBound, nil
	case errors.Is(err, models.ErrNotOnRoster):
		return deskScanNotOn, nil
	case errors.Is(err, models.ErrCheckinNotOpen):
		return deskScanEarly, nil
	case errors.Is(err, models.ErrReceptionClosed), errors.Is(err, models.ErrReceptionDayNotFound):
		return deskScanClosed, nil
	}
	return "", err
}
