package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// opinionRoutes registers the categories (public), the uploads and the
// voter's opinions and ratings (docs/ARCHITECTURE.md#contracts).
//
// Writes go through a per-IP limit before authentication and a per-voter
// limit after it; reads have their own counters, so refreshing the list
// never uses up the budget of a filing.
func (h *Handlers) opinionRoutes(api *gin.RouterGroup) {
	api.GET("/categories", h.listCategories)

	l := h.Limits
	chain := func(name string, ip, voter shared.RateLimit, hs ...gin.HandlerFunc) []gin.HandlerFunc {
		return append([]gin.HandlerFunc{h.LimitIP(name, ip), h.requireVoter, h.limitVoter(name, voter)}, hs...)
	}
	api.POST(UploadRoute, chain("upload", l.OpinionPerIP, l.UploadPerUser, h.createUpload)...)
	api.GET("/uploads/:id", chain("upload_read", l.OpinionPerIP, readLimit(l.UploadPerUser), h.getUpload)...)
	api.POST("/opinions", chain("opinion", l.OpinionPerIP, l.OpinionVoter, h.Idempotent("opinions", voterID), h.createOpinion)...)
	api.GET("/opinions", chain("opinion_read", l.OpinionPerIP, readLimit(l.OpinionVoter), h.listOpinions)...)
	api.GET("/opinions/:id", chain("opinion_read", l.OpinionPerIP, readLimit(l.OpinionVoter), h.getOpinion)...)
	api.POST("/opinions/:id/ratings", chain("rating", l.OpinionPerIP, l.OpinionVoter, h.rateOpinion)...)
}

// readLimit allows reads six times the writes' rate: lists and photos are
// looked at far more often than anything is filed or uploaded.
func readLimit(l shared.RateLimit) shared.RateLimit {
	l.N *= 6
	return l
}

// CategoryView is an opinion category as the mini-program shows it.
type CategoryView struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Hint string `json:"hint"`
	// Fields are the category's extra fields (models.CategoryFieldsOf).
	Fields []models.CategoryField `json:"fields"`
}

func (h *Handlers) listCategories(c *gin.Context) {
	cats, err := models.ListCategories(c.Request.Context(), h.DB)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	items := make([]CategoryView, 0, len(cats))
	for _, cat := range cats {
		items = append(items, CategoryView{Code: cat.Code, Name: cat.Name, Hint: cat.Hint, Fields: models.CategoryFieldsOf(cat.Code)})
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, shared.List[CategoryView]{Items: items})
}

// createOpinionRequest is the body of POST /api/v1/opinions (docs/ARCHITECTURE.md#contracts).
type createOpinionRequest struct {
	Content     string            `json:"content"`
	Category    string            `json:"category"`
	Code        string            `json:"code"`
	StationID   uint64            `json:"station_id"`
	CommunityID uint64            `json:"community_id"`
	Lat         *float64          `json:"lat"`
	Lng         *float64          `json:"lng"`
	Anonymous   bool              `json:"anonymous"`
	PhotoIDs    []uint64          `json:"photo_ids"`
	Extra       map[string]string `json:"extra"`
}

// PhotoRef is an attached photo with the URL that serves it to its owner.
type PhotoRef struct {
	ID     uint64 `json:"id"`
	URL    string `json:"url,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// OpinionResponse is the opinion resource with its photos linked.
type OpinionResponse struct {
	models.OpinionView
	Photos []PhotoRef `json:"photos,omitempty"`
}

// createOpinion files the voter's opinion: routed, numbered, with its
// deadlines, and the staff's notification queued in the same transaction.
// A repeat with the same Idempotency-Key answers 200 with the first one.
func (h *Handlers) createOpinion(c *gin.Context) {
	var req createOpinionRequest
	if !shared.BindJSON(c, &req) {
		return
	}
	ctx, vid := c.Request.Context(), voterID(c)
	if len(req.PhotoIDs) > models.MaxOpinionPhotos {
		shared.RespondErr(c, models.Invalid("photo_ids", "最多上传3张照片"))
		return
	}
	photos, err := models.VoterPhotos(ctx, h.DB, vid, req.PhotoIDs, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	in := models.FileInput{
		VoterID: vid, Category: req.Category, Content: req.Content, Extra: req.Extra, Code: req.Code,
		StationID: req.StationID, CommunityID: req.CommunityID, Lat: req.Lat, Lng: req.Lng,
		Anonymous: req.Anonymous, Photos: photos, Source: models.SourceMiniProgram,
		IdempotencyKey: c.GetHeader("Idempotency-Key"),
	}
	op, err := h.FileOpinion(ctx, in)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	status := http.StatusCreated
	if op.Replayed {
		status = http.StatusOK
		c.Header("Idempotent-Replayed", "true")
	}
	if v, ok := models.FiledView(op, h.Location); ok && len(v.Photos) == 0 {
		// Just filed: answered from what the filing wrote, not read back.
		c.JSON(status, OpinionResponse{OpinionView: v})
		return
	}
	h.respondOpinion(c, status, vid, op.ID)
}

// respondOpinion answers with the voter's item, its timeline and its photos.
func (h *Handlers) respondOpinion(c *gin.Context, status int, vid, id uint64) {
	out, err := h.voterOpinion(c.Request.Context(), vid, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(status, out)
}

// voterOpinion loads the voter's item and links its photos to the upload
// URLs that serve them.
func (h *Handlers) voterOpinion(ctx context.Context, vid, id uint64) (OpinionResponse, error) {
	v, err := models.GetVoterOpinion(ctx, h.DB, vid, id, h.Location)
	if err != nil {
		return OpinionResponse{}, err
	}
	out := OpinionResponse{OpinionView: v}
	if len(v.Photos) == 0 {
		return out, nil
	}
	paths := make([]string, len(v.Photos))
	for i, p := range v.Photos {
		paths[i] = p.Path
	}
	ups, err := models.UploadsByPath(ctx, h.DB, vid, paths)
	if err != nil {
		return OpinionResponse{}, err
	}
	for _, p := range v.Photos {
		ref := PhotoRef{ID: p.ID, SHA256: p.SHA256}
		if u, ok := ups[p.Path]; ok {
			ref.URL = uploadURL(u.ID)
		}
		out.Photos = append(out.Photos, ref)
	}
	return out, nil
}

// listOpinions lists the voter's own items, newest first. The cursor is
// the id the next page starts below.
func (h *Handlers) listOpinions(c *gin.Context) {
	before, ok := shared.QueryID(c, "cursor")
	if !ok {
		return
	}
	limit := 20
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			shared.RespondErr(c, models.Invalid("limit", "每页数量必须在 1 到 100 之间"))
			return
		}
		limit = n
	}
	items, next, err := models.ListVoterOpinions(c.Request.Context(), h.DB, voterID(c), before, limit, h.Location)
	shared.RespondPage(c, items, next, err)
}

// getOpinion returns one of the voter's own items; anyone else's is 404.
func (h *Handlers) getOpinion(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	h.respondOpinion(c, http.StatusOK, voterID(c), id)
}

type rateRequest struct {
	Stage   string `json:"stage"`
	Score   string `json:"score"`
	Comment string `json:"comment"`
}

// RatingResponse is a rating and the item as it stands after it.
type RatingResponse struct {
	Rating  models.RatingView `json:"rating"`
	Opinion OpinionResponse   `json:"opinion"`
}

// rateOpinion records the voter's rating of the reply or the result; an
// unsatisfied result reopens the item (or escalates it after the last
// round), and the staff's notifications are queued in the same transaction.
func (h *Handlers) rateOpinion(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var req rateRequest
	if !shared.BindJSON(c, &req) {
		return
	}
	ctx, vid, now := c.Request.Context(), voterID(c), h.Now()
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	var r models.OpinionRating
	err = models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
		var events []models.OpinionEvent
		var err error
		if r, _, events, err = models.RateOpinion(ctx, tx, vid, id, strings.TrimSpace(req.Stage),
			strings.TrimSpace(req.Score), req.Comment, now, h.Location, cal); err != nil {
			return err
		}
		return h.EnqueueOpinionEvents(ctx, tx, events)
	})
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	v, err := h.voterOpinion(ctx, vid, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, RatingResponse{
		Rating: models.RatingView{Round: r.Round, Stage: r.Stage, Score: r.Score, ScoreLabel: models.ScoreLabel(r.Score),
			Comment: r.Comment, At: r.CreatedAt.In(h.Location)},
		Opinion: v,
	})
}
