package config

import "errors"

// NotifyTemplates are the WeChat templates of the reception-day
// notifications. A template that is not configured is skipped: nothing is
// queued for it (the HTTP answer and the mini-program still show everything).
//
// Each is written like every DEPUTYLINK_TPL_* variable (see
// ParseTemplateSpec): "TEMPLATE_ID[;long_term]|ourfield=keyword,…", using
// the field names below (models.NotifyField*). The two voter templates
// must differ (checkVoterTemplates).
type NotifyTemplates struct {
	// BookingResult is the mini-program subscribe template telling a voter
	// what became of a booking: confirmed, waitlisted, promoted from the
	// waitlist, moved (DEPUTYLINK_TPL_BOOKING_RESULT). Our fields: result,
	// station, time, code, topic, address, note.
	BookingResult TemplateSpec
	// ReceptionReminder is the mini-program subscribe template of the
	// reminder sent at 18:00 the day before (DEPUTYLINK_TPL_RECEPTION_REMINDER).
	// Our fields: station, time, code, address, deputies, note.
	ReceptionReminder TemplateSpec
	// StaffRoster is the official-account template of the next day's roster
	// and bookings, sent to each station's bound staff at 17:00
	// (DEPUTYLINK_TPL_STAFF_ROSTER). Our fields: title, station, date, time,
	// deputies, booked, waitlisted, summary, slots.
	StaffRoster TemplateSpec
}

// The variables LoadNotify reads.
const (
	EnvTplBookingResult     = "DEPUTYLINK_TPL_BOOKING_RESULT"
	EnvTplReceptionReminder = "DEPUTYLINK_TPL_RECEPTION_REMINDER"
	EnvTplStaffRoster       = "DEPUTYLINK_TPL_STAFF_ROSTER"
)

// LoadNotify reads the reception-day notification templates from getenv
// (os.Getenv in production). An unset variable leaves its template
// unconfigured; a malformed one is an error naming the variable.
func LoadNotify(getenv func(string) string) (NotifyTemplates, error) {
	var n NotifyTemplates
	l := loader{getenv: getenv}
	l.subscribeTemplate(EnvTplBookingResult, &n.BookingResult)
	l.subscribeTemplate(EnvTplReceptionReminder, &n.ReceptionReminder)
	l.template(EnvTplStaffRoster, &n.StaffRoster)
	if len(l.errs) > 0 {
		return NotifyTemplates{}, errors.Join(l.errs...)
	}
	return n, nil
}
