package shared

import (
	"context"

	"deputylink/config"
	"deputylink/models"

	"gorm.io/gorm"
)

// EnqueueOpinionEvents writes the notifications of opinion events in tx, the
// transaction of the change that caused them (filing, rating, or a console
// workflow action), so they exist exactly when the change commits; the
// dispatcher job delivers them. Who gets what, over which channel, is
// models.OpinionNotifications; a recipient without a configured template
// or channel is skipped and logged at debug level.
func (h *Base) EnqueueOpinionEvents(ctx context.Context, tx *gorm.DB, events []models.OpinionEvent) error {
	if len(events) == 0 {
		return nil
	}
	_, skips, err := models.EnqueueOpinionEvents(ctx, tx, events, opinionNotifyConfig(h.OpinionNotify), h.Now(), h.Location)
	for _, s := range skips {
		h.Log.DebugContext(ctx, "Opinion notification skipped", "dedupe_key", s.DedupeKey, "reason", s.Reason)
	}
	return err
}

// opinionNotifyConfig converts the loaded configuration into the plain
// values models.OpinionNotifications takes (jobs has the same conversion:
// models does not import config, and jobs may not import handlers).
func opinionNotifyConfig(n config.OpinionNotify) models.OpinionNotifyConfig {
	return models.OpinionNotifyConfig{
		Staff: models.NotifyTemplate(n.Staff), Result: models.NotifyTemplate(n.Result),
		VoterOA: models.NotifyTemplate(n.VoterOA), PublicURL: n.PublicURL, Page: n.Page,
		AskResultDays: n.AskResultDays,
	}
}
