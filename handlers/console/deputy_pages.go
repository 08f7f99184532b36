package console

import (
	"context"
	"errors"
	"net/http"

	"deputylink/models"

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

// deputyPages registers the deputy's own pages.
func (h *Handlers) deputyPages(pages *gin.RouterGroup) {
	me := pages.Group("/me", h.requireDeputy)
	me.GET("", h.pageMe)
}

func (h *Handlers) pageMe(c *gin.Context) {
	d := consoleDeputy(c)
	c.String(http.StatusOK, d.Name)
}
