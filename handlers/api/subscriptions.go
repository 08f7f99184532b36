package api

import (
	"net/http"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// maxTemplatesPerRequest is how many templates wx.requestSubscribeMessage
// asks about at once.
const maxTemplatesPerRequest = models.MaxConsentAsk

// ConsentView is how many subscribe messages of one template the voter
// still allows. Purpose names the voter notice a configured template is for
// (models.VoterNotice: "booking_result", "reception_reminder",
// "opinion_accepted", "opinion_result", "opinion_ask_result"); it is empty
// for others. LongTerm marks a long-term template (长期订阅): Remaining
// above zero then means "on" and no send spends it.
type ConsentView struct {
	TemplateID string `json:"template_id"`
	Purpose    string `json:"purpose,omitempty"`
	Remaining  int    `json:"remaining"`
	LongTerm   bool   `json:"long_term"`
}

type subscriptionsRequest struct {
	TemplateIDs []string `json:"template_ids"`
}

// grantSubscriptions records the one-time consents the voter just gave in
// wx.requestSubscribeMessage: one more send of each template. Ids we do not
// use are recorded too (the mini-program may know templates we learn of
// later); the answer gives the counts now.
func (h *Handlers) grantSubscriptions(c *gin.Context) {
	var req subscriptionsRequest
	if !shared.BindJSON(c, &req) {
		return
	}
	if len(req.TemplateIDs) == 0 || len(req.TemplateIDs) > maxTemplatesPerRequest {
		shared.RespondErr(c, models.Invalid("template_ids", "请提供1到3个消息模板编号"))
		return
	}
	var ids []string
	seen := map[string]bool{}
	for _, id := range req.TemplateIDs {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 64 || !shared.ValidRequestID(id) {
			shared.RespondErr(c, models.Invalid("template_ids", "消息模板编号格式不正确"))
			return
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	openid, ok := h.sessionOpenID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := models.GrantConsents(ctx, h.DB, openid, ids, h.Now()); err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.respondConsents(c, openid, ids)
}

// listSubscriptions tells the mini-program which templates to ask consent
// for at a moment (?moment=booking after booking, filing after filing an
// opinion, replied when viewing a replied item; booking when absent, as
// before moments existed), at most the 3 one tap asks for, and how many
// sends of each the voter still allows (models.SubscribeOffers).
func (h *Handlers) listSubscriptions(c *gin.Context) {
	moment := models.MomentBooking
	if q := strings.TrimSpace(c.Query("moment")); q != "" {
		m, err := models.ParseConsentMoment(q)
		if err != nil {
			shared.RespondErr(c, err)
			return
		}
		moment = m
	}
	openid, ok := h.sessionOpenID(c)
	if !ok {
		return
	}
	var ids []string
	for _, o := range models.SubscribeOffers(h.NotifyConfig(shared.Logger(c)), moment) {
		ids = append(ids, o.Template.ID)
	}
	h.respondConsents(c, openid, ids)
}

func (h *Handlers) respondConsents(c *gin.Context, openid string, ids []string) {
	cfg := h.NotifyConfig(shared.Logger(c))
	out := shared.List[ConsentView]{Items: make([]ConsentView, 0, len(ids))}
	for _, id := range ids {
		n, err := models.ConsentsLeft(c.Request.Context(), h.DB, openid, id)
		if err != nil {
			shared.RespondErr(c, err)
			return
		}
		purpose := models.SubscribePurpose(cfg, id)
		long := purpose != "" && cfg.VoterTemplate(models.VoterNotice(purpose)).LongTerm
		out.Items = append(out.Items, ConsentView{TemplateID: id, Purpose: purpose, Remaining: n, LongTerm: long})
	}
	c.JSON(http.StatusOK, out)
}

// sessionOpenID is the voter's mini-program openid: the session's, or the
// voter row's for a session without one.
func (h *Handlers) sessionOpenID(c *gin.Context) (string, bool) {
	if o := voterOpenID(c); o != "" {
		return o, true
	}
	v, err := models.GetVoter(c.Request.Context(), h.DB, voterID(c))
	if err != nil {
		shared.RespondErr(c, err)
		return "", false
	}
	if v.MPOpenID == nil || *v.MPOpenID == "" {
		shared.RespondErr(c, models.Coded(models.ErrConflict, "mp_openid_missing", "请从小程序登录后再订阅消息"))
		return "", false
	}
	return *v.MPOpenID, true
}
