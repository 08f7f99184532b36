package jobs

import (
	"context"
	"fmt"
	"time"

	"deputylink/models"
)

// StuckDigest is the daily digest job. It counts, per station, the
// notifications that went dead since the previous digest and those overdue
// by more than OverdueAfter, logs them, and enqueues the digest to the
// station heads and admins (models.NotifyStuckDigest). It returns how many
// messages it enqueued.
func StuckDigest(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	day := dailySlot(now, opt.DigestHour, opt.Location)
	since := day.AddDate(0, 0, -1)
	counts, err := models.StuckNotifications(ctx, d.DB, now, since, opt.OverdueAfter)
	if err != nil {
		return 0, fmt.Errorf("count stuck notifications: %w", err)
	}
	if len(counts) == 0 {
		return 0, nil
	}
	log := d.log().With("job", JobStuckDigest)
	for _, c := range counts {
		log.WarnContext(ctx, "Stuck notifications", "station", c.StationID, "dead", c.Dead, "overdue", c.Overdue)
	}
	if sample, err := models.ListStuck(ctx, d.DB, now, since, opt.OverdueAfter, 20); err == nil {
		for _, n := range sample {
			log.WarnContext(ctx, "Stuck notification", "notification", n.ID, "channel", n.Channel,
				"status", n.Status, "attempts", n.Attempts, "due", n.NextAttemptAt, "last_error", n.LastError)
		}
	}
	return models.NotifyStuckDigest(ctx, d.DB, d.notifyConfig(log), day.Format("2006-01-02"), counts, now)
}
