package jobs

import (
	"context"
	"time"

	"deputylink/models"
)

// Reception-day job names.
const (
	JobReceptionDays      = "reception-days"
	JobCloseReceptionDays = "close-reception-days"
	JobReceptionReminders = "reception-reminders"
	JobStaffRoster        = "staff-roster"
)

// When the daily reception-day jobs run, in local hours.
const (
	// ReminderHour is when voters are reminded of tomorrow's booking: the
	// hour booking closes by default, so the list is final.
	ReminderHour = 18
	// RosterHour is when staff get tomorrow's roster and bookings.
	RosterHour = 17
	// closeHour closes yesterday's days (no-shows, reception records).
	closeHour = 1
	// generateHour keeps the coming reception days generated.
	generateHour = 2
)

// ReceptionMonthsAhead is how many months beyond the current one the
// reception-days job keeps generated.
const ReceptionMonthsAhead = 2

// dailyJob runs once a day at hour:00 local time. A process that starts
// after the hour runs the day's missed run at once, so the reminder and
// roster jobs work out the reception date from the run's period, not from
// now.
func dailyJob(name string, hour int, loc *time.Location, run func(context.Context, Deps, time.Time) (int, error)) Job {
	return Job{Name: name, Every: 24 * time.Hour, Run: run, poll: time.Minute, daily: true, dailyAt: hour,
		slot: func(now time.Time) time.Time { return dailySlot(now, hour, loc) }}
}

// GenerateReceptionDays keeps every station's reception days generated for
// this month and the next ReceptionMonthsAhead (models.GenerateReceptionDays,
// idempotent). Days whose rule changed but that have bookings keep their
// shape and are logged as conflicts for an admin. It returns how many days
// it created, regenerated or removed.
func GenerateReceptionDays(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	rep, err := models.GenerateReceptionDays(ctx, d.DB, now, opt.Location, ReceptionMonthsAhead)
	log := d.log().With("job", JobReceptionDays)
	for _, c := range rep.Conflicts {
		log.WarnContext(ctx, "Reception day not regenerated", "conflict", c)
	}
	if err != nil {
		return 0, err
	}
	log.InfoContext(ctx, "Reception days generated", "created", rep.Created, "regenerated", rep.Regenerated,
		"removed", rep.Removed, "unchanged", rep.Unchanged, "conflicts", len(rep.Conflicts))
	return rep.Created + rep.Regenerated + rep.Removed, nil
}

// CloseReceptionDays closes the open days dated before today: no-shows are
// marked, the waitlist expires and each deputy on duty gets a reception
// record (models.CloseFinishedDays). It returns how many days it closed.
func CloseReceptionDays(ctx context.Context, d Deps, now time.Time) (int, error) {
	return models.CloseFinishedDays(ctx, d.DB, now, d.Opt.withDefaults().Location)
}

// receptionDate is the date the run of the daily period holding now is
// about: the day after the period's start.
func receptionDate(now time.Time, hour int, loc *time.Location) string {
	return dailySlot(now, hour, loc).AddDate(0, 0, 1).Format(models.DateLayout)
}

// ReceptionReminders queues the reminder of tomorrow's reception to every
// voter with a confirmed booking (models.NotifyReceptionReminders). It
// returns how many reminders it queued.
func ReceptionReminders(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	date := receptionDate(now, ReminderHour, opt.Location)
	return models.NotifyReceptionReminders(ctx, d.DB, d.notifyConfig(d.log().With("job", JobReceptionReminders)), date, now)
}

// StaffRoster queues, for every open reception day tomorrow, the roster to
// the station's bound staff (models.NotifyStaffRoster). It returns how many
// messages it queued.
func StaffRoster(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	date := receptionDate(now, RosterHour, opt.Location)
	return models.NotifyStaffRoster(ctx, d.DB, d.notifyConfig(d.log().With("job", JobStaffRoster)), date, now)
}
