package broadcasts

import (
	"context"
	"slices"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// AudiencePreview is who an audience reaches, shown on the office's form
// before sending: Count active deputies, Bound of them with WeChat bound
// (they get a notice, unless the weekly cap holds it back).
type AudiencePreview struct {
	Count, Bound int
}

// Preview is who Create would send to for this audience in the scope,
// without writing anything, with Create's refusals of the audience (no
// group or station chosen, one outside the scope). An audience with no
// active deputy is a zero preview, not an error: the form says so.
func Preview(ctx context.Context, db *gorm.DB, sc models.ManageScope, audience models.BroadcastAudience, groupID uint64, stationIDs []uint64) (AudiencePreview, error) {
	if !sc.All && sc.Township == "" {
		return AudiencePreview{}, models.ErrManageForbidden
	}
	// Create's checks of the audience, on an article that passes the rest.
	b, err := NewBroadcast{Kind: models.BroadcastNews, Title: "预览", Body: "预览", Audience: audience,
		GroupID: groupID, StationIDs: stationIDs}.normalize(sc, time.Time{})
	if err != nil {
		return AudiencePreview{}, err
	}
	tx := db.WithContext(ctx)
	ids, err := audienceIDs(ctx, tx, sc, &b)
	if err != nil {
		return AudiencePreview{}, err
	}
	pv := AudiencePreview{Count: len(ids)}
	for chunk := range slices.Chunk(ids, 500) {
		var n int64
		if err := tx.Model(&models.Deputy{}).Where("id IN ? AND oa_openid IS NOT NULL", chunk).Count(&n).Error; err != nil {
			return AudiencePreview{}, models.Translate(err)
		}
		pv.Bound += int(n)
	}
	return pv, nil
}
