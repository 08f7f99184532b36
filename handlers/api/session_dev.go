package api

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// The development login (docs/ARCHITECTURE.md#public-results): WeChat's
// developer tools hand out real wx.login codes, which only a real AppID's
// secret can exchange, so a mini-program run against `serve --demo` could
// never sign in. With DEPUTYLINK_DEV_LOGIN=1 (which config refuses in
// production, and which the server warns about at start),
// POST /api/v1/session/dev {"user": "demo-1"} signs in as the voter of
// that name without WeChat and answers as POST /api/v1/session. Off, the
// route answers 404 like an address that does not exist.

// devOpenIDPrefix starts the openid of a development voter: WeChat's
// openids are 28 characters of base64 starting "o", so none can collide.
const devOpenIDPrefix = "dev_"

// DevOpenID is the mini-program openid the development login gives user:
// the same user is always the same voter.
func DevOpenID(user string) string {
	sum := sha256.Sum256([]byte(user))
	return devOpenIDPrefix + hex.EncodeToString(sum[:])[:24]
}

var (
	errDevLoginOff = models.Coded(models.ErrNotFound, "route_not_found", "没有这个地址")
	errDevUser     = models.Invalid("user", "请填写开发登录的用户名（1到64个字符）")
)

// requireDevLogin answers 404 unless the development login is on.
func (h *Handlers) requireDevLogin(c *gin.Context) {
	if !h.DevLogin {
		shared.RespondErr(c, errDevLoginOff)
		return
	}
	c.Next()
}

// createDevSession signs in as the voter named in {"user"}.
func (h *Handlers) createDevSession(c *gin.Context) {
	var req struct {
		User string `json:"user"`
	}
	if !shared.BindJSON(c, &req) {
		return
	}
	user := models.CleanLine(req.User)
	if user == "" || utf8.RuneCountInString(user) > 64 {
		shared.RespondErr(c, errDevUser)
		return
	}
	h.startSession(c, wechat.Session{OpenID: DevOpenID(user)})
}
