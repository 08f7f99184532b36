package jobs

import (
	"context"
	"time"

	"deputylink/models"
)

// JobMonthlyReport tells every bound deputy that last month's 履职通报 is
// ready (models.NotifyMonthlyReports), on the first working day of the
// month.
const JobMonthlyReport = "monthly-report"

// ReportHour is when the 通报's notices go out: office hours, after the
// night's accrual (accrueHour) has written last month's last reception days.
const ReportHour = 9

// MonthlyReport queues the notices of last month's 通报 when the day of the
// run's period (the daily period at ReportHour holding now) is the first
// working day of its month on the working-day calendar (holidays and
// make-up days: a 1st that is a Sunday or in the National Day holiday
// moves to the next working day), and does nothing on other days. Each
// deputy's notice has a dedupe key, so a second run, or several worker
// processes running it at once, queue nothing more. It returns how many
// notices it queued.
func MonthlyReport(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	loc := opt.Location
	day := dailySlot(now, ReportHour, loc)
	cal, err := models.LoadCalendar(ctx, d.DB)
	if err != nil {
		return 0, err
	}
	first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, loc)
	if !cal.NextWorkingDay(first).Equal(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)) {
		return 0, nil
	}
	log := d.log().With("job", JobMonthlyReport)
	return models.NotifyMonthlyReports(ctx, d.DB, d.notifyConfig(log), first.AddDate(0, -1, 0), now)
}
