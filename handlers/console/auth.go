package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// Console sessions. A staff login gets one opaque token, usable two ways:
//   - the browser console keeps it in the HttpOnly cookie ConsoleCookie and
//     sends the session's CSRF token in ConsoleCSRFHeader with every unsafe
//     request (POST, PUT, PATCH, DELETE);
//   - a JSON API client sends "Authorization: Bearer <token>" and needs no
//     CSRF token: a cross-site page cannot set that header.
//
// Redis keeps the session under the SHA-256 of the token (a dump cannot be
// replayed) for ConsoleSessionTTL, extended on every use, but never past
// ConsoleSessionMaxAge after the sign-in: then the staff member signs in
// again, however busy the session was.
const (
	ConsoleCookie        = "dl_console"
	ConsoleCSRFHeader    = "X-CSRF-Token"
	ConsoleSessionTTL    = 12 * time.Hour
	ConsoleSessionMaxAge = 7 * 24 * time.Hour
	consoleCookiePath    = "/console"
	ctxConsoleStaff      = "console_staff"
	ctxConsoleDeputy     = "console_deputy"
	ctxConsoleSession    = "console_session"
	consoleTokenMaxLen   = 100
)

// consoleLoginLimit caps login requests per client address, on top of the
// login throttle (login_throttle.go). It is fixed rather than part of
// Deps.Limits so that no configuration can switch it off.
var consoleLoginLimit = shared.RateLimit{N: 20, Window: time.Minute}

// The console's refusals of a request.
var (
	errLoginNotJSON   = models.Coded(shared.ErrUnsupportedMediaType, "unsupported_media_type", "登录信息格式不正确，请刷新页面后重试")
	errNotSignedIn    = models.Coded(models.ErrUnauthorized, "unauthorized", "请先登录")
	errSessionExpired = models.Coded(models.ErrUnauthorized, "unauthorized", "登录已过期，请重新登录")
	errSessionRevoked = models.Coded(models.ErrUnauthorized, "unauthorized", "登录已失效，请重新登录")
	errCSRF           = models.Coded(models.ErrForbidden, "csrf_failed", "页面已过期，请刷新后重试")
	errNotStaff       = models.Coded(models.ErrForbidden, "not_staff", "此功能只供工作人员使用")
)

// consoleSession is what Redis keeps for a console token. A session is a
// staff member's (StaffID), a deputy's (DeputyID, StaffID 0), or both: a
// person who is both, signed in with their WeChat (deputy_pages.go).
type consoleSession struct {
	StaffID uint64 `json:"s"`
	// DeputyID is the deputy signed in with WeChat, and DeputyWX the
	// SHA-256 of that openid: unbinding or rebinding ends the deputy's part.
	DeputyID uint64 `json:"d,omitempty"`
	DeputyWX string `json:"w,omitempty"`
	CSRF     string `json:"c"`
	// Created (Unix ms, the sign-in) is checked against the last password
	// change and ConsoleSessionMaxAge.
	Created int64 `json:"t"`
}

// consoleAuth is how the current request authenticated.
type consoleAuth struct {
	key       string
	csrf      string
	viaCookie bool
}

// ConsoleStaffView is the signed-in staff member.
type ConsoleStaffView struct {
	ID        uint64           `json:"id"`
	Name      string           `json:"name"`
	Username  string           `json:"username"`
	Role      models.StaffRole `json:"role"`
	RoleLabel string           `json:"role_label"`
	Stations  []models.NameRef `json:"stations"`
}

// ConsoleSessionView answers a login: the token for Bearer clients (the
// browser gets it as a cookie too), the CSRF token for cookie clients.
type ConsoleSessionView struct {
	Token     string           `json:"token"`
	CSRFToken string           `json:"csrf_token"`
	ExpiresAt time.Time        `json:"expires_at"`
	Staff     ConsoleStaffView `json:"staff"`
}

// ConsoleMeView is GET /console/api/me: who is signed in, and the CSRF
// token again for a console page reloaded with only the cookie.
type ConsoleMeView struct {
	CSRFToken string           `json:"csrf_token"`
	Staff     ConsoleStaffView `json:"staff"`
}

func consoleStaffView(s models.Staff) ConsoleStaffView {
	v := ConsoleStaffView{ID: s.ID, Name: s.Name, Role: s.Role, RoleLabel: s.Role.Label(), Stations: []models.NameRef{}}
	if s.Username != nil {
		v.Username = *s.Username
	}
	for _, st := range s.Stations {
		v.Stations = append(v.Stations, models.NameRef{ID: st.ID, Name: st.Name})
	}
	return v
}

func (h *Handlers) consoleKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return h.RedisPrefix + "csess:" + hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type consoleLoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// consoleLogin checks a username and password and opens a session.
func (h *Handlers) consoleLogin(c *gin.Context) {
	// JSON only: a cross-site HTML form cannot send application/json, so
	// nobody can sign a victim's browser into another account (login CSRF).
	if c.ContentType() != "application/json" {
		shared.RespondErr(c, errLoginNotJSON)
		return
	}
	var req consoleLoginRequest
	if !bindConsoleJSON(c, &req, false) {
		return
	}
	switch {
	case strings.TrimSpace(req.Username) == "":
		shared.RespondErr(c, models.Invalid("username", "请输入用户名"))
		return
	case req.Password == "":
		shared.RespondErr(c, models.Invalid("password", "请输入密码"))
		return
	}
	ctx := c.Request.Context()
	now := h.Now()
	pair, addr := h.loginKeys(req.Username, c.ClientIP())
	wait, err := h.reserveLogin(ctx, pair, addr, now)
	if err != nil {
		shared.Logger(c).WarnContext(ctx, "Console login: throttle unavailable", "err", err)
		shared.RespondErr(c, errLoginUnavailable)
		return
	}
	if wait > 0 {
		shared.Logger(c).InfoContext(ctx, "Console login throttled", "user_tag", userTag(req.Username),
			"client_ip", c.ClientIP(), "wait_ms", wait.Milliseconds())
		h.loginThrottled(c, wait, now)
		return
	}
	s, err := models.AuthenticateStaff(ctx, h.DB, req.Username, req.Password, now)
	if err != nil {
		if errors.Is(err, models.ErrUnauthorized) {
			// No typed username in the log: it may be a password typed in
			// the wrong field.
			shared.Logger(c).WarnContext(ctx, "Console login refused", "user_tag", userTag(req.Username),
				"client_ip", c.ClientIP(), "err", err)
		}
		shared.RespondErr(c, err)
		return
	}
	h.forgiveLogin(c, pair, addr)
	token, csrf, err := h.startSession(c, s, nil)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	shared.Logger(c).InfoContext(ctx, "Console login", "staff_id", s.ID, "client_ip", c.ClientIP())
	c.JSON(http.StatusOK, ConsoleSessionView{
		Token: token, CSRFToken: csrf, Staff: consoleStaffView(s),
		ExpiresAt: h.Now().Add(ConsoleSessionTTL).In(h.Location).Truncate(time.Second),
	})
}

// requestIsHTTPS reports whether the browser reached us over HTTPS: TLS
// here, or a trusted local reverse proxy that says so.
func requestIsHTTPS(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	if !strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
		return false
	}
	ip := net.ParseIP(c.RemoteIP())
	return ip != nil && ip.IsLoopback()
}

// consoleToken finds the session token: the Bearer header first, else the
// cookie. A malformed Authorization header is not a fallback to the cookie.
func consoleToken(c *gin.Context) (token string, viaCookie, ok bool) {
	if auth := c.GetHeader("Authorization"); auth != "" {
		t, found := shared.BearerToken(auth)
		return t, false, found && len(t) <= consoleTokenMaxLen
	}
	t, err := c.Cookie(ConsoleCookie)
	return t, true, err == nil && t != "" && len(t) <= consoleTokenMaxLen
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// requireConsoleStaff authenticates a console request (see ConsoleCookie),
// enforces the CSRF token for cookie sessions, slides the session's expiry
// and loads the staff member fresh: a deactivated member or a password
// changed since the login ends the session at once.
func (h *Handlers) requireConsoleStaff(c *gin.Context) {
	token, viaCookie, ok := consoleToken(c)
	if !ok {
		shared.RespondErr(c, errNotSignedIn)
		return
	}
	s, key, staff, _, err := h.openSession(c, token)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	if staff.ID == 0 {
		// A deputy's session: the staff API is not theirs.
		shared.RespondErr(c, errNotStaff)
		return
	}
	if viaCookie && unsafeMethod(c.Request.Method) && !csrfMatches(c.GetHeader(ConsoleCSRFHeader), s.CSRF) {
		shared.RespondErr(c, errCSRF)
		return
	}
	c.Set(ctxConsoleStaff, staff)
	c.Set(ctxConsoleSession, consoleAuth{key: key, csrf: s.CSRF, viaCookie: viaCookie})
	if !h.departmentGate(c, staff) {
		return
	}
	c.Next()
}

// csrfMatches compares a sent CSRF token with the session's in constant time.
func csrfMatches(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// openSession looks up a console token, slides its expiry and loads who
// it belongs to fresh: a deactivated member or a password changed since the
// login ends the session at once; a deputy who left office, was unbound or
// bound another WeChat loses the deputy's part (and a deputy-only session
// ends). staff.ID is 0 for a deputy-only session, deputy.ID 0 for a staff
// member's.
func (h *Handlers) openSession(c *gin.Context, token string) (consoleSession, string, models.Staff, models.Deputy, error) {
	ctx := c.Request.Context()
	key := h.consoleKey(token)
	raw, err := h.Redis.GetEx(ctx, key, ConsoleSessionTTL).Bytes()
	s, err := shared.DecodeSession(raw, err, errSessionExpired, func(s consoleSession) bool {
		return s.StaffID != 0 || (s.DeputyID != 0 && s.DeputyWX != "")
	})
	if err != nil {
		return s, key, models.Staff{}, models.Deputy{}, err
	}
	if h.Now().Sub(time.UnixMilli(s.Created)) > ConsoleSessionMaxAge {
		_ = h.Redis.Del(ctx, key).Err()
		return s, key, models.Staff{}, models.Deputy{}, errSessionExpired
	}
	var staff models.Staff
	if s.StaffID != 0 {
		acct, err := models.LoadConsoleAccount(ctx, h.DB, s.StaffID)
		if errors.Is(err, models.ErrNotFound) ||
			(err == nil && time.UnixMilli(s.Created).Before(acct.SessionsValidFrom.Truncate(time.Millisecond))) {
			_ = h.Redis.Del(ctx, key).Err()
			return s, key, models.Staff{}, models.Deputy{}, errSessionRevoked
		}
		if err != nil {
			return s, key, models.Staff{}, models.Deputy{}, err
		}
		staff = acct.Staff
	}
	dep, err := h.sessionDeputy(ctx, s)
	if err != nil {
		return s, key, models.Staff{}, models.Deputy{}, err
	}
	if dep.ID == 0 && s.StaffID == 0 {
		_ = h.Redis.Del(ctx, key).Err()
		return s, key, models.Staff{}, models.Deputy{}, errSessionRevoked
	}
	return s, key, staff, dep, nil
}

// startSession opens a console session for staff member s (after a password,
// a WeChat web authorization or a desk QR scan) and sets its cookie; dep,
// when set, is the deputy the same WeChat is bound to (s may then be the
// zero Staff: a deputy-only session).
func (h *Handlers) startSession(c *gin.Context, s models.Staff, dep *models.Deputy) (token, csrf string, err error) {
	token, csrf = randomToken(), randomToken()
	sess := consoleSession{StaffID: s.ID, CSRF: csrf, Created: h.Now().UnixMilli()}
	if dep != nil && dep.ID != 0 && dep.OAOpenID != nil {
		sess.DeputyID, sess.DeputyWX = dep.ID, sha256Hex(*dep.OAOpenID)
	}
	data, _ := json.Marshal(sess)
	if err := h.Redis.Set(c.Request.Context(), h.consoleKey(token), data, ConsoleSessionTTL).Err(); err != nil {
		return "", "", err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: ConsoleCookie, Value: token, Path: consoleCookiePath,
		HttpOnly: true, Secure: requestIsHTTPS(c), SameSite: http.SameSiteLaxMode,
	})
	return token, csrf, nil
}

// consoleStaff is the signed-in staff member (requireConsoleStaff ran).
func consoleStaff(c *gin.Context) models.Staff {
	v, _ := c.Get(ctxConsoleStaff)
	s, _ := v.(models.Staff)
	return s
}

func consoleSessionOf(c *gin.Context) consoleAuth {
	v, _ := c.Get(ctxConsoleSession)
	a, _ := v.(consoleAuth)
	return a
}

func (h *Handlers) consoleLogout(c *gin.Context) {
	a := consoleSessionOf(c)
	if err := h.Redis.Del(c.Request.Context(), a.key).Err(); err != nil {
		shared.RespondErr(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: ConsoleCookie, Value: "", Path: consoleCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: requestIsHTTPS(c), SameSite: http.SameSiteLaxMode,
	})
	c.Status(http.StatusNoContent)
}

func (h *Handlers) consoleMe(c *gin.Context) {
	c.JSON(http.StatusOK, ConsoleMeView{CSRFToken: consoleSessionOf(c).csrf, Staff: consoleStaffView(consoleStaff(c))})
}

// bindConsoleJSON decodes a JSON body strictly (shared.BindJSON): an
// unknown field, a value of the wrong type, a repeated key or trailing data
// is a 400. An empty body reads as {} when allowEmpty.
func bindConsoleJSON(c *gin.Context, dst any, allowEmpty bool) bool {
	opt := shared.RejectUnknownFields
	if allowEmpty {
		opt |= shared.EmptyBodyOK
	}
	return shared.BindJSON(c, dst, opt)
}
