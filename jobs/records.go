package jobs

import (
	"context"
	"time"

	"deputylink/models/records"
)

// JobAccrueActivities turns the reception days deputies attended into
// their records' entries (records.AccrueActivities, idempotent).
const JobAccrueActivities = "accrue-activities"

// accrueHour runs the accrual after the night's closing of yesterday's
// reception days (closeHour), which writes the reception records.
const accrueHour = 4

// AccrueActivities creates the records' automatic entries of the reception
// records not yet accrued. Running it again creates nothing. It returns
// how many entries it created.
func AccrueActivities(ctx context.Context, d Deps, now time.Time) (int, error) {
	return records.AccrueActivities(ctx, d.DB, now, d.Opt.withDefaults().Location)
}
