package config

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// NotifyTemplates are the WeChat templates of the reception-day
// notifications. A template that is not configured is skipped: nothing is
// queued for it (the HTTP answer and the mini-program still show everything).
//
// Each is written like every DEPUTYLINK_TPL_* variable (see
// ParseTemplateSpec): "TEMPLATE_ID|ourfield=keyword,…", using the field
// names below.
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

// Our field names in the reception-day notifications. Values of free text
// (thing keywords) are cut to 20 characters, WeChat's limit.
const (
	NotifyFieldResult     = "result"     // 预约成功 / 已进入候补 / 候补成功 / 改约成功
	NotifyFieldStation    = "station"    // the station's name
	NotifyFieldTime       = "time"       // "2026-03-10 09:00~09:30" local time
	NotifyFieldCode       = "code"       // the check-in code, e.g. "K7Q2MX"
	NotifyFieldTopic      = "topic"      // what the voter wants to raise, or 未填写
	NotifyFieldAddress    = "address"    // the station's address
	NotifyFieldNote       = "note"       // a hint for the voter or staff
	NotifyFieldDeputies   = "deputies"   // the deputies on duty, 、-separated
	NotifyFieldTitle      = "title"      // 明日接待安排
	NotifyFieldDate       = "date"       // "2026-03-10"
	NotifyFieldBooked     = "booked"     // confirmed seats, digits
	NotifyFieldWaitlisted = "waitlisted" // waitlisted voters, digits
	NotifyFieldSummary    = "summary"    // "已约12人，候补3人"
	NotifyFieldSlots      = "slots"      // per-slot counts, "09:00 4人 09:30 6人…"
)

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
	l.template(EnvTplBookingResult, &n.BookingResult)
	l.template(EnvTplReceptionReminder, &n.ReceptionReminder)
	l.template(EnvTplStaffRoster, &n.StaffRoster)
	if len(l.errs) > 0 {
		return NotifyTemplates{}, errors.Join(l.errs...)
	}
	return n, nil
}

// BookingPage is the mini-program page that shows one booking; the voter's
// notifications open it with "?id=<booking id>".
const BookingPage = "pages/booking/detail"

// ThingMax is the most characters WeChat takes in a thing keyword's value.
const ThingMax = 20

// Thing fits free text into a thing keyword: trimmed and, when longer than
// ThingMax characters, cut to end in "…". WeChat refuses a longer value
// (47003) instead of cutting it.
func Thing(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= ThingMax {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:ThingMax-1])) + "…"
}

// SlotTime renders a slot as "2026-03-10 09:00~09:30" in loc, a value
// WeChat's time keyword takes.
func SlotTime(start, end time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return start.In(loc).Format("2006-01-02 15:04") + "~" + end.In(loc).Format("15:04")
}
