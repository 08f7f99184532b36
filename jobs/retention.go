package jobs

import (
	"context"
	"time"

	"deputylink/models"
)

// JobRetention anonymises the personal data held in items closed longer
// than the retention period (docs/ARCHITECTURE.md#personal-data).
const JobRetention = "retention"

// retentionHour is the local hour of the daily retention run, when nobody
// is handling items.
const retentionHour = 3

// retentionBatch is how many items one transaction anonymises;
// retentionMax bounds one run per kind of item (the next day goes on).
const (
	retentionBatch = 200
	retentionMax   = 20000
)

// Retention anonymises, batch by batch, the opinions and reception days
// closed more than Options.RetentionDays ago that still hold personal data
// (models.AnonymiseClosedOpinions, models.AnonymiseClosedReceptionDays).
// Anonymised items are not selected again, so a second run changes
// nothing. It returns how many items it anonymised.
func Retention(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	cutoff := now.AddDate(0, 0, -opt.RetentionDays)
	total := 0
	for _, anonymise := range []func(context.Context, time.Time, int, time.Time) (int, error){
		func(ctx context.Context, cutoff time.Time, limit int, now time.Time) (int, error) {
			return models.AnonymiseClosedOpinions(ctx, d.DB, cutoff, limit, now)
		},
		func(ctx context.Context, cutoff time.Time, limit int, now time.Time) (int, error) {
			return models.AnonymiseClosedReceptionDays(ctx, d.DB, cutoff, limit, now)
		},
	} {
		for done := 0; done < retentionMax && ctx.Err() == nil; {
			n, err := anonymise(ctx, cutoff, retentionBatch, now)
			total, done = total+n, done+n
			if err != nil {
				return total, err
			}
			if n < retentionBatch {
				break
			}
		}
	}
	return total, ctx.Err()
}
