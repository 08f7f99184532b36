package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Signing in to the console's pages. Three ways end in the same session
// (startSession):
//   - inside WeChat, one tap: the official account's web authorization
//     (snsapi_base) tells us the openid, which must be an active staff
//     member's (models.ActiveStaffByOAOpenID) or a deputy's in office
//     (models.ActiveDeputyByOAOpenID), or both: one session, two roles. The state that goes to
//     WeChat and back is single use and bound to this browser by a secret
//     in a cookie, so nobody can finish a sign-in someone else started, nor
//     sign a victim's browser into their own account (docs/WECHAT.md);
//   - at a desk, the official account's one-time QR code (desklogin.go);
//   - a username and password, optional: staff created by an invite have
//     none. The form carries a pre-session CSRF token (double submit: a
//     cookie and the same value in the form), so no other site can sign a
//     browser in to an account of its choosing.
const (
	tplLogin = "login.html"

	authCallbackPath = pagesBase + "/auth/callback"
	logoutPath       = pagesBase + "/logout"

	// loginCSRFCookie holds the sign-in form's pre-session CSRF token.
	loginCSRFCookie = "dl_login"
	// webAuthCookie binds a web authorization's state to the browser.
	webAuthCookie = "dl_oauth"
	// webAuthTTL is how long a started web authorization may take; WeChat's
	// code itself lives five minutes.
	webAuthTTL = 10 * time.Minute
)

// consoleLoginPageLimit caps the sign-in page per client address: each
// showing of the desk's page asks WeChat for a new QR code.
var consoleLoginPageLimit = shared.RateLimit{N: 30, Window: time.Minute}

// The refusals of a sign-in.
var (
	errAuthState   = models.Coded(models.ErrInvalid, "auth_state", "登录链接已失效，请重新登录")
	errAuthBrowser = models.Coded(models.ErrForbidden, "auth_browser", "请在同一个浏览器中完成登录，请重新登录")
	errAuthCode    = models.Coded(models.ErrInvalid, "auth_code", "微信登录凭证已失效，请重新登录")
	errWebAuthDown = models.Coded(shared.ErrUnavailable, "wechat_unavailable", "微信登录暂时不可用，请稍后再试，或用密码登录")
	errWebAuthOff  = models.Coded(models.ErrNotFound, "wechat_login_off", "本系统未开通微信登录，请用密码登录")
	errLoginCSRF   = models.Coded(models.ErrForbidden, "csrf_failed", "登录页面已过期，请重新输入后登录")
	errBadHost     = models.Coded(models.ErrInvalid, "bad_host", "访问地址有误，请从工作台的正式网址打开")
)

// signInPages registers the sign-in pages: the password form, the desk's
// QR code, WeChat's web authorization, and signing out.
func (h *Handlers) signInPages(pages, signedIn *gin.RouterGroup) {
	pages.GET("/login", h.LimitIP("console_login_page", consoleLoginPageLimit), h.loginPage)
	pages.POST("/login", h.LimitIP("console_login_form", consoleLoginLimit), h.loginSubmit)
	pages.GET("/login/qr/:id", h.LimitIP("console_login_poll", deskQRPollLimit), h.deskQRPoll)
	pages.GET("/auth/wechat", h.webAuthStart)
	pages.GET("/auth/callback", h.LimitIP("console_auth_callback", consoleLoginLimit), h.webAuthCallback)
	signedIn.POST("/logout", h.logoutPage)
	h.OnScan(deskQRScenePrefix, h.onDeskQRScan)
}

// loginData is the sign-in page's content.
type loginData struct {
	// Next is where the browser goes once signed in.
	Next string
	// WeChatURL, when set, starts WeChat's web authorization (a button
	// inside WeChat).
	WeChatURL string
	// QR is the desk's one-time QR code; QRError says why there is none.
	QR      *deskQRView
	QRError string
	// Username is what was typed, shown again after a refusal.
	Username string
}

// loginPage shows the sign-in page. Inside WeChat it goes straight to web
// authorization, unless the visitor just signed out or asked for the
// password form (how=password); at a desk it shows the official account's
// one-time QR code above the password form.
func (h *Handlers) loginPage(c *gin.Context) {
	next := signInNext(c.Query("next"))
	if h.signedIn(c) {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	notice := noticeOf(c)
	if inWeChat(c) && h.WebAuth != nil && c.Query("how") != "password" && notice == "" {
		c.Redirect(http.StatusSeeOther, webAuthPath+"?next="+url.QueryEscape(next))
		return
	}
	d := h.loginView(c, next, true)
	h.renderLogin(c, http.StatusOK, d, notice, "")
}

// loginView builds the sign-in page's content; withQR makes a new desk QR
// code (outside WeChat, when web authorization is configured).
func (h *Handlers) loginView(c *gin.Context, next string, withQR bool) loginData {
	d := loginData{Next: next}
	if h.WebAuth == nil {
		return d
	}
	if inWeChat(c) {
		d.WeChatURL = webAuthPath + "?next=" + url.QueryEscape(next)
		return d
	}
	if withQR {
		qr, err := h.newDeskQR(c, next)
		if err != nil {
			shared.Logger(c).WarnContext(c.Request.Context(), "Console sign-in: no desk QR code", "err", err)
			d.QRError = "扫码登录暂时不可用，请用密码登录，或稍后刷新页面。"
		} else {
			d.QR = &qr
		}
	}
	return d
}

// renderLogin writes the sign-in page with a fresh or kept pre-session
// CSRF token.
func (h *Handlers) renderLogin(c *gin.Context, status int, d loginData, notice, errMsg string) {
	h.render(c, status, tplLogin, page{
		Title: "登录", CSRF: h.loginCSRF(c), Notice: notice, Error: errMsg, Data: d,
	})
}

// loginFailed answers a refused sign-in with the sign-in page, the status
// and the Chinese message of the one error map, and a way to try again.
func (h *Handlers) loginFailed(c *gin.Context, err error, d loginData) {
	status, detail := shared.ErrorOf(c, err)
	h.renderLogin(c, status, d, "", detail.Message)
	c.Abort()
}

// signedIn reports whether the browser already has a working session.
func (h *Handlers) signedIn(c *gin.Context) bool {
	token, err := c.Cookie(ConsoleCookie)
	if err != nil || token == "" || len(token) > consoleTokenMaxLen {
		return false
	}
	_, _, _, _, err = h.openSession(c, token)
	return err == nil
}

// signInNext is where a sign-in may lead (safeNext), never back into
// signing in: that would go round in circles.
func signInNext(next string) string {
	next = safeNext(next)
	for _, p := range []string{signInPath, pagesBase + "/auth/", logoutPath} {
		if strings.HasPrefix(next, p) {
			return pagesBase + "/"
		}
	}
	return next
}

// loginCSRF is the browser's pre-session CSRF token, made and set in a
// cookie when it has none.
func (h *Handlers) loginCSRF(c *gin.Context) string {
	if t, err := c.Cookie(loginCSRFCookie); err == nil && validToken(t) {
		return t
	}
	t := randomToken()
	h.setCookie(c, loginCSRFCookie, t, signInPath, 0, http.SameSiteStrictMode)
	return t
}

// validToken reports whether t looks like a randomToken.
func validToken(t string) bool { return tokenRe.MatchString(t) }

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// setCookie sets an HttpOnly cookie of ours (Secure over HTTPS); maxAge 0
// lasts as long as the browser, below 0 deletes it.
func (h *Handlers) setCookie(c *gin.Context, name, value, path string, maxAge int, same http.SameSite) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: requestIsHTTPS(c), SameSite: same,
	})
}

// loginSubmit checks the password form: its CSRF token, the throttle of the
// JSON login (login_throttle.go), then the password. A refusal shows the
// page again with the reason in Chinese; success goes to next.
func (h *Handlers) loginSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	user, pass := c.PostForm("username"), c.PostForm("password")
	d := loginData{Next: signInNext(c.PostForm("next")), Username: models.Shorten(models.CleanLine(user), 32, "")}
	if h.WebAuth != nil && inWeChat(c) {
		d.WeChatURL = webAuthPath + "?next=" + url.QueryEscape(d.Next)
	}
	sent, err := c.Cookie(loginCSRFCookie)
	if err != nil || !csrfMatches(c.PostForm(csrfField), sent) {
		h.loginFailed(c, errLoginCSRF, d)
		return
	}
	switch {
	case strings.TrimSpace(user) == "":
		h.loginFailed(c, models.Invalid("username", "请输入用户名"), d)
		return
	case pass == "":
		h.loginFailed(c, models.Invalid("password", "请输入密码"), d)
		return
	}
	now := h.Now()
	pair, addr := h.loginKeys(user, c.ClientIP())
	wait, err := h.reserveLogin(ctx, pair, addr, now)
	if err != nil {
		shared.Logger(c).WarnContext(ctx, "Console sign-in: throttle unavailable", "err", err)
		h.loginFailed(c, errLoginUnavailable, d)
		return
	}
	if wait > 0 {
		shared.Logger(c).InfoContext(ctx, "Console sign-in throttled", "user_tag", userTag(user),
			"client_ip", c.ClientIP(), "wait_ms", wait.Milliseconds())
		h.loginFailed(c, h.loginWaitErr(c, wait, now), d)
		return
	}
	s, err := models.AuthenticateStaff(ctx, h.DB, user, pass, now)
	if err != nil {
		if errors.Is(err, models.ErrUnauthorized) {
			shared.Logger(c).WarnContext(ctx, "Console sign-in refused", "method", "password",
				"user_tag", userTag(user), "client_ip", c.ClientIP())
		}
		h.loginFailed(c, err, d)
		return
	}
	h.forgiveLogin(c, pair, addr)
	h.finishSignIn(c, s, nil, "password", d.Next)
}

// finishSignIn opens the session of a staff member, a deputy (dep) or both
// who proved who they are, logs how, and sends the browser on. The sign-in
// form's token is spent.
func (h *Handlers) finishSignIn(c *gin.Context, s models.Staff, dep *models.Deputy, method, next string) {
	if _, _, err := h.startSession(c, s, dep); err != nil {
		h.renderErr(c, err)
		return
	}
	h.setCookie(c, loginCSRFCookie, "", signInPath, -1, http.SameSiteStrictMode)
	var depID uint64
	if dep != nil {
		depID = dep.ID
	}
	shared.Logger(c).InfoContext(c.Request.Context(), "Console sign-in", "method", method,
		"staff_id", s.ID, "deputy_id", depID, "client_ip", c.ClientIP())
	c.Redirect(http.StatusSeeOther, next)
}

// webAuthState is what Redis keeps of a started web authorization.
type webAuthState struct {
	// Browser is the SHA-256 (hex) of the secret in the browser's cookie.
	Browser string `json:"b"`
	Next    string `json:"n"`
}

var stateRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (h *Handlers) webAuthKey(state string) string { return h.RedisPrefix + "cauth:" + state }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// webAuthStart sends the browser to WeChat's web authorization with a new
// state, kept in Redis with where to go next and bound to this browser by
// a secret in a short-lived cookie.
func (h *Handlers) webAuthStart(c *gin.Context) {
	next := signInNext(c.Query("next"))
	if h.WebAuth == nil {
		c.Redirect(http.StatusSeeOther, signInPath+"?how=password&next="+url.QueryEscape(next))
		return
	}
	callback, err := h.absoluteURL(c, authCallbackPath)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	state := randomHex(16)
	secret := randomToken()
	data, _ := json.Marshal(webAuthState{Browser: sha256Hex(secret), Next: next})
	if err := h.Redis.Set(c.Request.Context(), h.webAuthKey(state), data, webAuthTTL).Err(); err != nil {
		h.renderErr(c, err)
		return
	}
	h.setCookie(c, webAuthCookie, secret, pagesBase+"/auth", int(webAuthTTL/time.Second), http.SameSiteLaxMode)
	c.Redirect(http.StatusFound, h.WebAuth.AuthorizeURL(callback, state))
}

// webAuthCallback finishes a web authorization: the state must be one we
// gave this browser and not used before; WeChat's code gives the openid,
// which must be an active staff member's.
func (h *Handlers) webAuthCallback(c *gin.Context) {
	ctx := c.Request.Context()
	retry := loginData{Next: pagesBase + "/"}
	if h.WebAuth == nil {
		h.loginFailed(c, errWebAuthOff, retry)
		return
	}
	state, code := c.Query("state"), c.Query("code")
	secret, cookieErr := c.Cookie(webAuthCookie)
	h.setCookie(c, webAuthCookie, "", pagesBase+"/auth", -1, http.SameSiteLaxMode)
	if !stateRe.MatchString(state) {
		h.loginFailed(c, errAuthState, h.retryView(c, retry.Next))
		return
	}
	key := h.webAuthKey(state)
	raw, err := h.Redis.Get(ctx, key).Bytes()
	var st webAuthState
	if err == nil && json.Unmarshal(raw, &st) != nil {
		err = errAuthState
	}
	if err != nil {
		if errors.Is(err, redis.Nil) || errors.Is(err, errAuthState) {
			// Forged, expired or used already.
			h.loginFailed(c, errAuthState, h.retryView(c, retry.Next))
			return
		}
		h.renderErr(c, err)
		return
	}
	retry = h.retryView(c, signInNext(st.Next))
	if cookieErr != nil || subtle.ConstantTimeCompare([]byte(sha256Hex(secret)), []byte(st.Browser)) != 1 {
		shared.Logger(c).WarnContext(ctx, "Console sign-in: web authorization from another browser", "client_ip", c.ClientIP())
		h.loginFailed(c, errAuthBrowser, retry)
		return
	}
	// Single use: of two callbacks with the same state, one deletes it.
	if n, err := h.Redis.Del(ctx, key).Result(); err != nil || n != 1 {
		if err != nil {
			h.renderErr(c, err)
			return
		}
		h.loginFailed(c, errAuthState, retry)
		return
	}
	if code == "" || len(code) > 128 {
		h.loginFailed(c, errAuthCode, retry)
		return
	}
	openid, err := h.WebAuth.OAuthOpenID(ctx, code)
	if err != nil {
		if wechat.IsBadOAuthCode(err) {
			h.loginFailed(c, errAuthCode, retry)
			return
		}
		shared.Logger(c).WarnContext(ctx, "Console sign-in: web authorization failed", "err", err)
		h.loginFailed(c, errWebAuthDown, retry)
		return
	}
	s, dep, err := h.wechatIdentity(ctx, openid)
	if err != nil {
		if errors.Is(err, models.ErrUnauthorized) {
			shared.Logger(c).WarnContext(ctx, "Console sign-in refused", "method", "wechat",
				"openid_tag", openidTag(openid), "client_ip", c.ClientIP())
			retry.WeChatURL = ""
			h.loginFailed(c, err, retry)
			return
		}
		h.renderErr(c, err)
		return
	}
	h.finishSignIn(c, s, dep, "wechat", retry.Next)
}

// retryView is the sign-in page after a failed web authorization: a button
// to start again and the password form, no new QR code.
func (h *Handlers) retryView(c *gin.Context, next string) loginData {
	return loginData{Next: next, WeChatURL: webAuthPath + "?next=" + url.QueryEscape(next)}
}

// hostRe is a Host header we build addresses from: a name or an IPv4 or
// bracketed IPv6 address, and a port.
var hostRe = regexp.MustCompile(`^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?$`)

// absoluteURL is path on this site as the browser reaches it. The
// configured public address (DEPUTYLINK_PUBLIC_URL) wins; without it the
// request's Host is used, which a client can set to anything: WeChat sends
// a web authorization back only to the domain registered in the official
// account (网页授权域名), and its code is worthless without our AppSecret,
// so a forged Host gets the forger nothing but WeChat's error page. A Host
// that is not a host name is refused.
func (h *Handlers) absoluteURL(c *gin.Context, path string) (string, error) {
	if base := h.OpinionNotify.PublicURL; base != "" {
		return strings.TrimRight(base, "/") + path, nil
	}
	if !hostRe.MatchString(c.Request.Host) {
		return "", errBadHost
	}
	scheme := "http"
	if requestIsHTTPS(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + path, nil
}

// logoutPage ends the session and goes back to the sign-in page, which
// inside WeChat then waits for a tap instead of signing in again.
func (h *Handlers) logoutPage(c *gin.Context) {
	if err := h.Redis.Del(c.Request.Context(), consoleSessionOf(c).key).Err(); err != nil {
		h.renderErr(c, err)
		return
	}
	h.setCookie(c, ConsoleCookie, "", consoleCookiePath, -1, http.SameSiteLaxMode)
	shared.Logger(c).InfoContext(c.Request.Context(), "Console sign-out", "staff_id", consoleStaff(c).ID)
	seeOther(c, signInPath, "已退出登录")
}

// openidTag stands for an openid in the log: a keyed hash, never the
// openid itself.
func openidTag(openid string) string {
	m := hmac.New(sha256.New, loginTagKey)
	m.Write([]byte("openid\x00" + openid))
	return hex.EncodeToString(m.Sum(nil)[:6])
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
