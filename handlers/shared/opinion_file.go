package shared

import (
	"context"

	"deputylink/models"

	"gorm.io/gorm"
)

// FileOpinion files an opinion (routed, numbered, with its deadlines) in
// one transaction with the staff's notifications: the mini-program's
// filing and the official account's opinion chat both end here. The
// routing world, the categories and the holiday calendar come from the
// Routes cache; without one they are read at each filing.
func (h *Base) FileOpinion(ctx context.Context, in models.FileInput) (models.Opinion, error) {
	var world models.RouteWorld
	var err error
	if h.Routes != nil {
		if world, err = h.Routes.GetFor(ctx, h.DB, in.StationID, in.CommunityID); err != nil {
			return models.Opinion{}, err
		}
	}
	cal := world.Calendar
	if cal == nil {
		if cal, err = models.LoadCalendar(ctx, h.DB); err != nil {
			return models.Opinion{}, err
		}
	}
	now := h.Now()
	// The number is taken before the transaction, from this process's
	// block of the day's numbers, so filings do not queue on the counter.
	if in.TrackingNo, err = models.TakeTrackingNo(ctx, h.DB, now, h.Location); err != nil {
		return models.Opinion{}, err
	}
	return models.FileOpinionThen(ctx, h.DB, in, world, now, h.Location, cal, func(tx *gorm.DB, events []models.OpinionEvent) error {
		return h.EnqueueOpinionEvents(ctx, tx, events)
	})
}
