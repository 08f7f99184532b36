package api

import (
	"net/http"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The public results (办理结果公开, docs/ARCHITECTURE.md#public-results):
// the summaries of closed items the staff published, per-station figures
// over the last 12 months, and the communities a voter may declare as
// theirs. All public but /me/community; every read is limited per IP.

// resultRoutes registers the public results and the communities.
func (h *Handlers) resultRoutes(g *gin.RouterGroup) {
	perIP := h.LimitIP("results", h.Limits.BookingPerIP)
	g.GET("/results", perIP, h.listResults)
	g.GET("/results/stats", perIP, h.resultStats)
	g.GET("/results/:id", perIP, h.getResult)
	g.GET("/results/:id/photos/:photo_id", perIP, h.getResultPhoto)
	g.GET("/communities", perIP, h.listCommunities)
	g.PUT("/me/community", h.requireVoter, h.limitVoter("me", h.Limits.BookingVoter), h.setCommunity)
}

// listResults lists the published results, newest first; the cursor is
// the last id of the previous page.
func (h *Handlers) listResults(c *gin.Context) {
	q := models.PublicResultQuery{Limit: 20}
	var ok bool
	if q.StationID, ok = shared.QueryID(c, "station_id"); !ok {
		return
	}
	if q.CategoryID, ok = shared.QueryID(c, "category_id"); !ok {
		return
	}
	if q.BeforeID, ok = shared.QueryID(c, "cursor"); !ok {
		return
	}
	if !shared.QueryLimit(c, &q.Limit, 50) {
		return
	}
	items, next, err := models.ListPublicResults(c.Request.Context(), h.DB, q, h.Location)
	shared.RespondPage(c, items, next, err)
}

func (h *Handlers) getResult(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetPublicResult(c.Request.Context(), h.DB, id, h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// getResultPhoto serves an approved photo of a published result; once the
// result is withdrawn it is 404, so it is not kept by shared caches.
func (h *Handlers) getResultPhoto(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	photoID, ok := shared.ParseID(c, "photo_id")
	if !ok {
		return
	}
	u, err := models.PublicResultPhoto(c.Request.Context(), h.DB, id, photoID)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.ServeUpload(c, u)
}

// resultStats answers the per-station figures of the last 12 months,
// counted by the dashboard's own function (shared.Figures) for every
// station and shaped by models.ResultStatsOf.
func (h *Handlers) resultStats(c *gin.Context) {
	sid, ok := shared.QueryID(c, "station_id")
	if !ok {
		return
	}
	from, to := models.ResultWindow(h.Now(), h.Location)
	figs, _, err := h.Figures(c.Request.Context(), from, to, nil)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	stats, err := models.ResultStatsOf(figs, h.ResultsMinSample, sid)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, stats)
}

// listCommunities lists the communities, or those matching ?q=.
func (h *Handlers) listCommunities(c *gin.Context) {
	items, err := models.ListCommunityItems(c.Request.Context(), h.DB, c.Query("q"))
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// setCommunity records the voter's community ({"community_id": null}
// clears it) and answers the voter.
func (h *Handlers) setCommunity(c *gin.Context) {
	var req struct {
		CommunityID *uint64 `json:"community_id"`
	}
	if !shared.BindJSON(c, &req) {
		return
	}
	v, err := models.SetVoterCommunity(c.Request.Context(), h.DB, voterID(c), req.CommunityID, h.Now())
	h.respondVoter(c, v, err)
}
