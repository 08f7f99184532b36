package shared

import (
	"context"
	"log/slog"

	"deputylink/models"

	"gorm.io/gorm"
)

// NotifyConfig is what models needs to build notices, logging to log.
func (h *Base) NotifyConfig(log *slog.Logger) models.NotifyConfig {
	return models.NotifyConfig{Reception: h.Notify, Opinion: h.OpinionNotify, Deputy: h.DeputyNotify, Location: h.Location, Log: log}
}

// EnqueueOpinionEvents writes the notifications of opinion events in tx, the
// transaction of the change that caused them (filing, rating, or a console
// workflow action), so they exist exactly when the change commits; the
// dispatcher job delivers them. Who gets what, over which channel, is
// models.NotifyOpinion; a recipient without a configured template or
// channel is skipped and logged at debug level.
func (h *Base) EnqueueOpinionEvents(ctx context.Context, tx *gorm.DB, events []models.OpinionEvent) error {
	if len(events) == 0 {
		return nil
	}
	_, err := models.NotifyOpinion(ctx, tx, events, h.NotifyConfig(h.Log), h.Now())
	return err
}
