package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// SessionTTL is how long a mini-program session lives without use; every
// authenticated request extends it (sliding expiry).
const SessionTTL = 7 * 24 * time.Hour

// MiniProgram is what the session endpoints need from WeChat; *wechat.Client
// implements it.
type MiniProgram interface {
	Code2Session(ctx context.Context, jsCode string) (wechat.Session, error)
	PhoneNumber(ctx context.Context, code string) (string, error)
}

const ctxVoter = "voter"

// sessionData is what Redis keeps for a token. The token itself is never
// stored: the key is its SHA-256, so a Redis dump cannot be replayed.
type sessionData struct {
	VoterID uint64 `json:"v"`
	OpenID  string `json:"o"`
}

// SessionView is the session resource of docs/ARCHITECTURE.md#contracts.
type SessionView struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Voter     VoterView `json:"voter"`
}

// VoterView is the voter as the voter sees themselves.
type VoterView struct {
	ID          uint64 `json:"id"`
	PhoneMasked string `json:"phone_masked"`
	// Community is the community the voter declared (null until then).
	Community *models.NameRef `json:"community"`
}

// voterView is v as the voter sees themselves, their community named.
func (h *Handlers) voterView(ctx context.Context, v models.Voter) (VoterView, error) {
	comm, err := models.VoterCommunity(ctx, h.DB, v)
	return VoterView{ID: v.ID, PhoneMasked: v.PhoneMasked, Community: comm}, err
}

type codeRequest struct {
	Code string `json:"code"`
}

func (h *Handlers) sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return h.RedisPrefix + "sess:" + hex.EncodeToString(sum[:])
}

// bindCode reads {"code": "..."} and checks it is present and sane.
func bindCode(c *gin.Context) (string, bool) {
	var req codeRequest
	if !shared.BindJSON(c, &req) {
		return "", false
	}
	req.Code = strings.TrimSpace(req.Code)
	if req.Code == "" || len(req.Code) > 128 {
		shared.RespondErr(c, models.Invalid("code", "缺少微信登录凭证，请重新打开小程序"))
		return "", false
	}
	return req.Code, true
}

// createSession exchanges a wx.login code for our own opaque token.
func (h *Handlers) createSession(c *gin.Context) {
	code, ok := bindCode(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if h.MP == nil {
		shared.RespondErr(c, errMPNotConfigured)
		return
	}
	s, err := h.MP.Code2Session(ctx, code)
	if err != nil {
		shared.RespondErr(c, wechatUserError(err, "code", "登录凭证无效或已过期，请重新进入小程序"))
		return
	}
	h.startSession(c, s)
}

// startSession signs in the voter of WeChat session s (found or created by
// openid) and answers the session: a new opaque token in Redis.
func (h *Handlers) startSession(c *gin.Context, s wechat.Session) {
	ctx := c.Request.Context()
	v, err := models.UpsertMPVoter(ctx, h.DB, s.OpenID, s.UnionID)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	data, _ := json.Marshal(sessionData{VoterID: v.ID, OpenID: s.OpenID})
	key := h.sessionKey(token)
	// The index first, the session after it: a session that can be seen
	// is already in the voter's index, so an erasure (endSessions) finds
	// it. The keys live on different Redis Cluster nodes, so no MULTI can
	// hold both (docs/SCALE.md section 2). A failure between the two leaves
	// an index entry without a session, which pruneSessions drops. The key
	// is added once more after the session exists: a concurrent sign-in's
	// pruneSessions may have dropped it while the session was not yet
	// written (pruneSessions re-checks what it dropped for the other
	// order).
	if _, err := h.indexSession(ctx, v.ID, key); err != nil {
		shared.RespondErr(c, err)
		return
	}
	pipe := h.Redis.Pipeline()
	pipe.Set(ctx, key, data, SessionTTL)
	// session_key stays on the server, for the legacy decrypt APIs.
	if s.SessionKey != "" {
		pipe.Set(ctx, h.RedisPrefix+"sk:"+s.OpenID, s.SessionKey, 24*time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		shared.RespondErr(c, err)
		return
	}
	indexed, err := h.indexSession(ctx, v.ID, key)
	if err != nil {
		// The session works but an erasure might miss it: end it.
		_ = h.Redis.Del(context.WithoutCancel(ctx), key).Err()
		shared.RespondErr(c, err)
		return
	}
	if indexed > maxIndexedSessions {
		h.pruneSessions(ctx, v.ID)
	}
	view, err := h.voterView(ctx, v)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, SessionView{
		Token: token, ExpiresAt: h.Now().Add(SessionTTL).In(h.Location).Truncate(time.Second), Voter: view,
	})
}

// requireVoter authenticates "Authorization: Bearer <token>" and slides the
// session's expiry.
func (h *Handlers) requireVoter(c *gin.Context) {
	token, ok := shared.BearerToken(c.GetHeader("Authorization"))
	if !ok || len(token) > 100 {
		shared.RespondErr(c, errNotSignedIn)
		return
	}
	ctx := c.Request.Context()
	key := h.sessionKey(token)
	get, err := shared.RDoCmd(ctx, h.Base, func(ctx context.Context, p redis.Pipeliner) *redis.StringCmd {
		return p.GetEx(ctx, key, SessionTTL)
	})
	var raw []byte
	if err == nil {
		raw, err = get.Bytes()
	}
	s, err := shared.DecodeSession(raw, err, errSessionExpired, func(s sessionData) bool { return s.VoterID != 0 })
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.Set(ctxVoter, s)
	c.Next()
}

// voterID is the authenticated voter's id (requireVoter ran before).
func voterID(c *gin.Context) uint64 {
	s, _ := c.Get(ctxVoter)
	sd, _ := s.(sessionData)
	return sd.VoterID
}

// bindPhone binds the voter's phone number from a getPhoneNumber code.
func (h *Handlers) bindPhone(c *gin.Context) {
	code, ok := bindCode(c)
	if !ok {
		return
	}
	if h.MP == nil || h.Sealer == nil {
		shared.RespondErr(c, errMPNotConfigured)
		return
	}
	ctx := c.Request.Context()
	phone, err := h.MP.PhoneNumber(ctx, code)
	if err != nil {
		shared.RespondErr(c, wechatUserError(err, "code", "获取手机号失败，请重试"))
		return
	}
	if _, err := models.SetVoterPhone(ctx, h.DB, h.Sealer, voterID(c), phone, h.Now()); err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.getMe(c)
}

// getMe returns the voter's own profile.
func (h *Handlers) getMe(c *gin.Context) {
	v, err := models.GetVoter(c.Request.Context(), h.DB, voterID(c))
	h.respondVoter(c, v, err)
}

// respondVoter answers voter v as they see themselves, or the error of
// the call that gave v.
func (h *Handlers) respondVoter(c *gin.Context, v models.Voter, err error) {
	var view VoterView
	if err == nil {
		view, err = h.voterView(c.Request.Context(), v)
	}
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, view)
}

var (
	errNotSignedIn    = models.Coded(models.ErrUnauthorized, "unauthorized", "请先登录")
	errSessionExpired = models.Coded(models.ErrUnauthorized, "unauthorized", "登录已过期，请重新进入小程序")
)

var errMPNotConfigured = models.Coded(shared.ErrUnavailable, "wechat_unavailable", "小程序服务暂未开通")

// wechatUserError maps WeChat's "bad code" answers to a 400 for the user and
// everything else (WeChat down, quota) to a 503.
func wechatUserError(err error, field, msg string) error {
	var ae *wechat.APIError
	if errors.As(err, &ae) {
		switch ae.ErrCode {
		case 40029, 40163, 40226, 41008, 40013, 40125, 47001:
			return models.Coded(models.ErrInvalid, "invalid_"+field, msg)
		}
	}
	return models.Coded(shared.ErrUnavailable, "wechat_unavailable", "微信服务暂时不可用，请稍后再试")
}

// sessionRoutes registers login and the voter's own profile, which the
// voter may also delete (erase.go).
func (h *Handlers) sessionRoutes(api *gin.RouterGroup) {
	api.POST("/session", h.LimitIP("session", h.Limits.SessionPerIP), h.createSession)
	api.POST("/session/dev", h.requireDevLogin, h.LimitIP("session", h.Limits.SessionPerIP), h.createDevSession)
	// Like the other voter reads: per IP before the session is looked up,
	// per voter after.
	api.GET("/me", h.LimitIP("me_read", h.Limits.BookingPerIP), h.requireVoter,
		h.limitVoter("me_read", readLimit(h.Limits.BookingVoter)), h.getMe)
	api.DELETE("/me", h.LimitIP("me", h.Limits.BookingPerIP), h.requireVoter,
		h.limitVoter("me", h.Limits.BookingVoter), h.deleteMe)
	api.POST("/me/phone", h.requireVoter, h.limitVoter("phone", h.Limits.BookingVoter), h.bindPhone)
}
