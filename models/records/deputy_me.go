package records

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// DeputyOpinionRow is an opinion voters filed through a deputy's codes, as
// the deputy's own page shows it: what it was about, how it stands or
// ended, and how the voter rated it. Never the voter's name or phone: a
// run of digits in the text (a phone typed into it) is masked too.
type DeputyOpinionRow struct {
	TrackingNo  string
	FiledText   string
	Category    string
	Summary     string
	Status      models.OpinionStatus
	StatusLabel string
	// Closed is true once the item is finished (办结).
	Closed bool
	// ReplyRating and ResultRating are the voter's ratings of the current
	// round ("满意", …), "" when not rated.
	ReplyRating, ResultRating string
}

// digitRunRe is a run of seven or more digits (with spaces or dashes): a
// phone number or an ID number typed into an opinion.
var digitRunRe = regexp.MustCompile(`[0-9][0-9 \-]{5,}[0-9]`)

// maskDigits hides phone and ID numbers in a text shown to a deputy.
func maskDigits(s string) string {
	return digitRunRe.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		if n < 7 {
			return m
		}
		return "****"
	})
}

// DeputyOpinions lists the opinions voters filed through the deputy's
// codes (Opinion.DeputyID) in year, newest first, at most limit (default
// 100). Context for the deputy's record, read-only.
func DeputyOpinions(ctx context.Context, db *gorm.DB, deputyID uint64, year, limit int, loc *time.Location) ([]DeputyOpinionRow, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	from, to := yearSpan(year, loc)
	tx := db.WithContext(ctx)
	var ops []models.Opinion
	if err := tx.Select("id", "tracking_no", "category_id", "content", "status", "round", "created_at").
		Where("deputy_id = ? AND created_at >= ? AND created_at < ?", deputyID, from, to).
		Order("created_at DESC, id DESC").Limit(limit).Find(&ops).Error; err != nil {
		return nil, models.Translate(err)
	}
	out := make([]DeputyOpinionRow, 0, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	ids := make([]uint64, 0, len(ops))
	catIDs := map[uint64]bool{}
	for _, o := range ops {
		ids = append(ids, o.ID)
		catIDs[o.CategoryID] = true
	}
	var cats []models.Category
	cids := make([]uint64, 0, len(catIDs))
	for id := range catIDs {
		cids = append(cids, id)
	}
	if err := tx.Select("id", "name").Where("id IN ?", cids).Find(&cats).Error; err != nil {
		return nil, models.Translate(err)
	}
	catName := map[uint64]string{}
	for _, c := range cats {
		catName[c.ID] = c.Name
	}
	var ratings []models.OpinionRating
	if err := tx.Select("opinion_id", "round", "stage", "score").Where("opinion_id IN ?", ids).
		Order("round, id").Find(&ratings).Error; err != nil {
		return nil, models.Translate(err)
	}
	type key struct {
		id    uint64
		stage string
	}
	latest := map[key]string{}
	for _, r := range ratings {
		latest[key{r.OpinionID, r.Stage}] = r.Score // later rounds overwrite
	}
	for _, o := range ops {
		row := DeputyOpinionRow{
			TrackingNo: o.TrackingNo, FiledText: models.DateText(o.CreatedAt, models.OrLoc(loc)), Category: catName[o.CategoryID],
			Summary: models.Shorten(maskDigits(models.CleanLine(o.Content)), 60, "…"), Status: o.Status,
			StatusLabel: o.Status.Label(), Closed: o.Status == models.OpinionClosed,
		}
		if s := latest[key{o.ID, models.StageReply}]; s != "" {
			row.ReplyRating = models.ScoreLabel(s)
		}
		if s := latest[key{o.ID, models.StageResult}]; s != "" {
			row.ResultRating = models.ScoreLabel(s)
		}
		out = append(out, row)
	}
	return out, nil
}

// DeputyActivity is one of the deputy's own entries; another deputy's, or
// none, is ErrActivityNotFound.
func DeputyActivity(ctx context.Context, db *gorm.DB, deputyID, id uint64, loc *time.Location) (ActivityView, error) {
	if !models.ValidID(id) {
		return ActivityView{}, ErrActivityNotFound
	}
	var a models.Activity
	if err := db.WithContext(ctx).Where("id = ? AND deputy_id = ?", id, deputyID).First(&a).Error; err != nil {
		return ActivityView{}, models.NotFoundAs(err, ErrActivityNotFound)
	}
	views, err := activityViews(ctx, db, []models.Activity{a}, loc)
	if err != nil {
		return ActivityView{}, err
	}
	if len(views) != 1 {
		return ActivityView{}, fmt.Errorf("activity %d: no view", id)
	}
	return views[0], nil
}
