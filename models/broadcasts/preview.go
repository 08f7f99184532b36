package broadcasts

import (
	"context"

	"deputylink/models"

	"gorm.io/gorm"
)

// AudiencePreview is who an audience reaches, shown on the office's form
// before sending: Count active deputies, Bound of them with a WeChat
// binding (they get a notice, unless the weekly cap holds it back).
type AudiencePreview struct {
	Count, Bound int
}

// Preview is who Create would send to for this audience in the scope,
// without writing anything; the same refusals as Create's for a group or
// a station outside the scope.
func Preview(ctx context.Context, db *gorm.DB, sc models.ManageScope, audience models.BroadcastAudience, groupID uint64, stationIDs []uint64) (AudiencePreview, error) {
	return AudiencePreview{}, errTODO
}
