package shared

import (
	"context"

	"deputylink/models"

	"gorm.io/gorm"
)

// FileOpinion files an opinion (routed, numbered, with its deadlines) in
// one transaction with the staff's notifications: the mini-program's
// filing and the official account's opinion chat both end here.
func (h *Base) FileOpinion(ctx context.Context, in models.FileInput) (models.Opinion, error) {
	var world models.RouteWorld
	var err error
	if h.Routes != nil {
		if world, err = h.Routes.Get(ctx, h.DB); err != nil {
			return models.Opinion{}, err
		}
	}
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		return models.Opinion{}, err
	}
	now := h.Now()
	// The number is taken before the transaction, from this process's
	// block of the day's numbers, so filings do not queue on the counter.
	if in.TrackingNo, err = models.TakeTrackingNo(ctx, h.DB, now, h.Location); err != nil {
		return models.Opinion{}, err
	}
	var op models.Opinion
	err = models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
		var events []models.OpinionEvent
		var err error
		if op, events, err = models.FileOpinion(ctx, tx, in, world, now, h.Location, cal); err != nil {
			return err
		}
		return h.EnqueueOpinionEvents(ctx, tx, events)
	})
	return op, err
}
