package console

import (
	"context"
	"errors"
	"html/template"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// Binding a deputy's WeChat from their management page: 生成绑定二维码
// shows a one-time, expiring official-account QR code on screen (its scene
// is the invite code, which the official account's bot binds:
// handlers/official/deputy_bind.go); 解除绑定 removes the binding.

// deputyWeChat is the binding's part of a deputy's management page.
type deputyWeChat struct {
	Bound bool
	// QR is the live invite's code on screen, until Until; Note says why
	// there is none when there should be.
	QR          template.URL
	Until, Note string
}

// deputyWeChatView describes the deputy's binding and live invite.
func (h *Handlers) deputyWeChatView(c *gin.Context, dep models.Deputy) deputyWeChat {
	ctx := c.Request.Context()
	v := deputyWeChat{Bound: dep.OAOpenID != nil}
	inv, ok, err := models.DeputyInvite(ctx, h.DB, dep.ID, h.Now())
	if err != nil || !ok {
		return v
	}
	v.Until = h.localTime(*inv.ExpiresAt)
	qr := inv.QRURL
	if qr == "" {
		qr, err = h.deputyInviteQR(ctx, inv)
		if err != nil {
			shared.Logger(c).WarnContext(ctx, "Deputy invite QR code failed", "deputy", dep.ID, "err", err)
		}
	}
	if qr != "" {
		v.QR, err = screenQR(qr)
	}
	if v.QR == "" || err != nil {
		v.QR, v.Note = "", "绑定二维码暂时无法生成（公众号不可用），请稍后刷新本页。"
	}
	return v
}

// deputyInviteQR makes the temporary official-account QR code of a deputy's
// invite, living as long as the invite, and keeps its content on it.
func (h *Handlers) deputyInviteQR(ctx context.Context, inv models.Code) (string, error) {
	if h.WebAuth == nil {
		return "", errNoWebAuth
	}
	life := min(inv.ExpiresAt.Sub(h.Now()).Round(time.Second), wechat.MaxQRExpire)
	t, err := h.WebAuth.QRTicket(ctx, inv.Code, max(life, time.Second), false)
	if err != nil {
		return "", err
	}
	if t.URL == "" {
		return "", errors.New("deputy invite QR: WeChat returned no url")
	}
	if err := models.SetInviteQR(ctx, h.DB, inv.Code, t.URL); err != nil {
		return "", err
	}
	return t.URL, nil
}

// pageDeputyWeChatInvite makes a new binding invite (earlier unused ones
// are void) and shows the deputy's page with its QR code.
func (h *Handlers) pageDeputyWeChatInvite(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	inv, err := models.CreateDeputyInvite(ctx, h.DB, manageScope(c).Actor, dep.ID, models.DefaultInviteTTL, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) { h.showDeputy(c, dep, status, p, nil) })
		return
	}
	notice := "已生成绑定二维码，请" + dep.Name + "代表本人用微信扫码"
	if _, err := h.deputyInviteQR(ctx, inv); err != nil {
		shared.Logger(c).WarnContext(ctx, "Deputy invite QR code failed", "deputy", dep.ID, "err", err)
		notice = "已生成绑定邀请，但二维码暂时无法显示，请稍后刷新本页"
	}
	seeOther(c, ManageDeputyPath(dep.ID), notice)
}

// pageDeputyWeChatUnbind removes the deputy's WeChat binding.
func (h *Handlers) pageDeputyWeChatUnbind(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	if err := models.UnbindDeputy(c.Request.Context(), h.DB, manageScope(c).Actor, dep.ID, h.Now()); err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) { h.showDeputy(c, dep, status, p, nil) })
		return
	}
	seeOther(c, ManageDeputyPath(dep.ID), "已解除"+dep.Name+"代表的微信绑定")
}
