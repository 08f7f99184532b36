package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Signing in at a desk with the official account's one-time QR code:
//  1. the sign-in page asks WeChat for a temporary QR code of the scene
//     "login:<id>" (deskQRTTL), keeps the ticket in Redis under the id, and
//     binds it to this browser by a secret in an HttpOnly cookie: whoever
//     sees the screen cannot take the session;
//  2. the clerk scans it with WeChat; the account's SCAN push reaches
//     onDeskQRScan, which confirms the ticket for the scanner if they are an
//     active bound staff member or a deputy in office (or both), and tells
//     them so in the chat;
//  3. the page polls deskQRPoll every two seconds; once the ticket is
//     confirmed, the poll that presents the cookie deletes the ticket
//     (single use) and opens the session.
const (
	deskQRScenePrefix = "login:"
	// deskQRTTL is how long a desk's QR code signs in.
	deskQRTTL = 5 * time.Minute
	// deskQRCookie holds the secret that binds a ticket to the browser.
	deskQRCookie = "dl_deskqr"
	// deskQRPollEvery is how often the page asks (static/login.js).
	deskQRPollEvery = 2 * time.Second
)

// deskQRPollLimit caps the polls of an address: one page polls 30 times a
// minute; a few desks of one office may share an address.
var deskQRPollLimit = shared.RateLimit{N: 240, Window: time.Minute}

var deskQRIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// errDeskQRNotFound answers a poll of an address no QR code can have.
var errDeskQRNotFound = models.Coded(models.ErrNotFound, "not_found", "二维码已过期，请换一个二维码再扫。")

// The answers of a poll (deskQRPoll's state).
const (
	deskQRWaiting  = "waiting"
	deskQRExpired  = "expired"
	deskQRSignedIn = "signed_in"
)

// deskQRView is the desk's QR code on the sign-in page.
type deskQRView struct {
	// Image is the code, drawn by us (screenQR).
	Image template.URL
	// PollURL is where the page asks whether it was scanned.
	PollURL string
	// Until is when the code stops working, written the Chinese way.
	Until string
	// PollMs is the poll interval for static/login.js.
	PollMs int64
}

// DeskQRPoll is the answer of GET /console/login/qr/:id.
type DeskQRPoll struct {
	// State is waiting, expired (also: unknown, used, or another
	// browser's) or signed_in.
	State string `json:"state"`
	// Next is where to go once signed in.
	Next string `json:"next,omitempty"`
	// Message says it in Chinese.
	Message string `json:"message"`
}

func (h *Handlers) deskQRKey(id string) string { return h.RedisPrefix + "cdqr:" + id }

// newDeskQR makes a desk's QR code for this browser: the ticket in Redis
// (a hash: b the SHA-256 of the browser's secret, n next, e the expiry in
// Unix ms by our clock, s who confirmed it (deskQRWho) or 0), the secret in
// a cookie, the code from WeChat.
func (h *Handlers) newDeskQR(c *gin.Context, next string) (deskQRView, error) {
	ctx := c.Request.Context()
	id := randomToken()[:22]
	secret := randomToken()
	until := h.Now().Add(deskQRTTL)
	key := h.deskQRKey(id)
	_, err := h.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "b", sha256Hex(secret), "n", next, "e", until.UnixMilli(), "s", 0)
		p.Expire(ctx, key, deskQRTTL+time.Minute)
		return nil
	})
	if err != nil {
		return deskQRView{}, err
	}
	tk, err := h.WebAuth.QRTicket(ctx, deskQRScenePrefix+id, deskQRTTL, false)
	if err != nil {
		_ = h.Redis.Del(ctx, key).Err()
		return deskQRView{}, err
	}
	img, err := screenQR(tk.URL)
	if err != nil {
		_ = h.Redis.Del(ctx, key).Err()
		return deskQRView{}, err
	}
	h.setCookie(c, deskQRCookie, secret, signInPath, int((deskQRTTL+time.Minute)/time.Second), http.SameSiteStrictMode)
	return deskQRView{
		Image: img, PollURL: signInPath + "/qr/" + id,
		Until: models.ClockText(until, h.Location), PollMs: deskQRPollEvery.Milliseconds(),
	}, nil
}

// deskQRConfirm confirms a ticket (KEYS[1]) for a scanner (ARGV[1], deskQRWho)
// unless it is gone, past its time (ARGV[2], now in Unix ms) or confirmed
// for someone else: 1 confirmed, -1 gone or expired, 0 someone else's.
var deskQRConfirm = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if tonumber(redis.call('HGET', KEYS[1], 'e') or '0') <= tonumber(ARGV[2]) then return -1 end
local s = redis.call('HGET', KEYS[1], 's')
if s and s ~= '0' and s ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1])
return 1`)

// The replies a scanner reads in the chat.
const (
	deskQRReplyOK      = "已确认，电脑上的工作台正在以您的身份登录。如果不是您本人在电脑前操作，请立即联系管理员。"
	deskQRReplyExpired = "这个登录二维码已过期，请在电脑上刷新登录页面后重新扫码。"
	deskQRReplyTaken   = "这个登录二维码已被他人使用，请在电脑上刷新登录页面后重新扫码。"
)

// onDeskQRScan answers the scan of a desk's QR code (scene login:<id>): an
// active bound staff member confirms the ticket; anyone else is told why
// not.
func (h *Handlers) onDeskQRScan(ctx context.Context, openid, id string) (string, error) {
	if !deskQRIDRe.MatchString(id) {
		return deskQRReplyExpired, nil
	}
	s, dep, err := h.wechatIdentity(ctx, openid)
	if err != nil {
		var ce *models.CodedError
		if errors.Is(err, models.ErrUnauthorized) && errors.As(err, &ce) {
			h.Log.WarnContext(ctx, "Console desk sign-in refused", "openid_tag", openidTag(openid))
			return ce.Msg + "。", nil
		}
		return "", err
	}
	var depID uint64
	if dep != nil {
		depID = dep.ID
	}
	n, err := deskQRConfirm.Run(ctx, h.Redis, []string{h.deskQRKey(id)},
		deskQRWho(s.ID, depID), h.Now().UnixMilli()).Int()
	if err != nil {
		return "", err
	}
	switch n {
	case 1:
		h.Log.InfoContext(ctx, "Console desk sign-in confirmed", "staff_id", s.ID, "deputy_id", depID)
		return deskQRReplyOK, nil
	case 0:
		return deskQRReplyTaken, nil
	}
	return deskQRReplyExpired, nil
}

// deskQRPoll answers the desk's page whether its code was scanned. Only the
// browser that shows the code (its cookie) learns anything; once confirmed,
// the first poll deletes the ticket and signs in.
func (h *Handlers) deskQRPoll(c *gin.Context) {
	ctx := c.Request.Context()
	expired := DeskQRPoll{State: deskQRExpired, Message: "二维码已过期，请换一个二维码再扫。"}
	id := c.Param("id")
	if !deskQRIDRe.MatchString(id) {
		shared.RespondErr(c, errDeskQRNotFound)
		return
	}
	secret, err := c.Cookie(deskQRCookie)
	if err != nil || !validToken(secret) {
		c.JSON(http.StatusOK, expired)
		return
	}
	key := h.deskQRKey(id)
	t, err := h.Redis.HGetAll(ctx, key).Result()
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	if len(t) == 0 || subtle.ConstantTimeCompare([]byte(sha256Hex(secret)), []byte(t["b"])) != 1 {
		c.JSON(http.StatusOK, expired)
		return
	}
	until, _ := strconv.ParseInt(t["e"], 10, 64)
	staffID, depID := parseDeskQRWho(t["s"])
	if staffID == 0 && depID == 0 {
		if h.Now().UnixMilli() >= until {
			_ = h.Redis.Del(ctx, key).Err()
			c.JSON(http.StatusOK, expired)
			return
		}
		c.JSON(http.StatusOK, DeskQRPoll{State: deskQRWaiting, Message: "请用已绑定工作人员或代表身份的微信扫描二维码。"})
		return
	}
	// Single use: of two polls, one deletes the ticket.
	n, err := h.Redis.Del(ctx, key).Result()
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	if n != 1 {
		c.JSON(http.StatusOK, expired)
		return
	}
	var staff models.Staff
	if staffID != 0 {
		acct, err := models.LoadConsoleAccount(ctx, h.DB, staffID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			shared.RespondErr(c, err)
			return
		}
		staff = acct.Staff // zero when deactivated since the scan
	}
	var dep *models.Deputy
	if depID != 0 {
		d, err := models.BoundDeputy(ctx, h.DB, depID)
		if err != nil && !errors.Is(err, models.ErrUnauthorized) {
			shared.RespondErr(c, err)
			return
		}
		if err == nil {
			dep = &d
		}
	}
	if staff.ID == 0 && dep == nil {
		// Deactivated, retired or unbound since the scan.
		c.JSON(http.StatusOK, expired)
		return
	}
	if _, _, err := h.startSession(c, staff, dep); err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.setCookie(c, deskQRCookie, "", signInPath, -1, http.SameSiteStrictMode)
	shared.Logger(c).InfoContext(ctx, "Console sign-in", "method", "desk_qr", "staff_id", staffID, "deputy_id", depID, "client_ip", c.ClientIP())
	c.JSON(http.StatusOK, DeskQRPoll{State: deskQRSignedIn, Next: signInNext(t["n"]), Message: "已确认，正在进入工作台…"})
}

// deskQRWho is who confirmed a desk's ticket: "<staff id>/<deputy id>",
// either 0 when the scanner is not that.
func deskQRWho(staffID, deputyID uint64) string {
	return strconv.FormatUint(staffID, 10) + "/" + strconv.FormatUint(deputyID, 10)
}

// parseDeskQRWho reads deskQRWho; "0" (not confirmed) and a bare staff id
// (a ticket confirmed before deputies could sign in) read too.
func parseDeskQRWho(s string) (staffID, deputyID uint64) {
	a, b, _ := strings.Cut(s, "/")
	staffID, _ = strconv.ParseUint(a, 10, 64)
	deputyID, _ = strconv.ParseUint(b, 10, 64)
	return staffID, deputyID
}
