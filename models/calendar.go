package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// DateLayout is how dates ("YYYY-MM-DD") are written in the database and the API.
const DateLayout = "2006-01-02"

// HolidayKind tells a day off from a make-up working day.
type HolidayKind string

// The kinds of calendar exception.
const (
	// HolidayOff is a public holiday or a day off in lieu (放假).
	HolidayOff HolidayKind = "holiday"
	// HolidayWorkday is a make-up working day on a weekend (调休上班).
	HolidayWorkday HolidayKind = "workday"
)

// Valid reports whether k is a known kind.
func (k HolidayKind) Valid() bool { return k == HolidayOff || k == HolidayWorkday }

// Holiday is one exception to the Monday–Friday working week. The table
// ships with the State Council's official arrangements (holidays_data.go)
// and admins can edit it.
type Holiday struct {
	Date      string      `gorm:"primaryKey;size:10" json:"date"`
	Kind      HolidayKind `gorm:"size:16;not null" json:"kind"`
	Name      string      `gorm:"size:50;not null" json:"name"`
	CreatedAt time.Time   `json:"-"`
	UpdatedAt time.Time   `json:"-"`
}

// Calendar answers working-day questions from a snapshot of the Holiday
// table. A nil *Calendar knows weekends only.
type Calendar struct {
	days map[string]HolidayKind
}

// NewCalendar builds a calendar from holiday rows.
func NewCalendar(days []Holiday) *Calendar {
	c := &Calendar{days: make(map[string]HolidayKind, len(days))}
	for _, h := range days {
		c.days[h.Date] = h.Kind
	}
	return c
}

// LoadCalendar reads the whole Holiday table (a few dozen rows a year).
func LoadCalendar(ctx context.Context, db *gorm.DB) (*Calendar, error) {
	var rows []Holiday
	if err := db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return NewCalendar(rows), nil
}

// IsWorkingDay reports whether the calendar date of day, read in day's own
// location, is a working day: Monday to Friday unless it is a holiday, and a
// weekend day only when it is a make-up working day.
func (c *Calendar) IsWorkingDay(day time.Time) bool {
	if c != nil {
		switch c.days[day.Format(DateLayout)] {
		case HolidayOff:
			return false
		case HolidayWorkday:
			return true
		}
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// NextWorkingDay returns day itself (at midnight, in day's location) when it
// is a working day, otherwise the first working day after it. Reception days
// that fall on a weekend or holiday move with it.
func (c *Calendar) NextWorkingDay(day time.Time) time.Time {
	d := midnight(day)
	for i := 0; i < 366 && !c.IsWorkingDay(d); i++ {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// AddWorkingDays returns the date (midnight in loc) of the n-th working day
// after the local date of start; the start day itself never counts. n = 0
// returns the start date, and a negative n counts backwards. Deadlines such
// as "accept within 2 working days" end when that day ends, see
// WorkingDeadline.
func (c *Calendar) AddWorkingDays(start time.Time, n int, loc *time.Location) time.Time {
	d := midnight(start.In(loc))
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDeadline is the instant (UTC) at which the n-th working day after
// start ends in loc: the deadline of "within n working days".
func (c *Calendar) WorkingDeadline(start time.Time, n int, loc *time.Location) time.Time {
	return c.AddWorkingDays(start, n, loc).AddDate(0, 0, 1).UTC()
}

// midnight is the start of t's calendar day in t's location.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// localDate is the "YYYY-MM-DD" date of the instant t in loc.
func localDate(t time.Time, loc *time.Location) string { return t.In(loc).Format(DateLayout) }

// parseDate reads a "YYYY-MM-DD" date as midnight in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation(DateLayout, strings.TrimSpace(s), loc)
	return t, err == nil
}

// ErrHolidayNotFound is a date with no holiday row.
var ErrHolidayNotFound = Coded(ErrNotFound, "holiday_not_found", "这一天没有节假日或调休记录")

// holidayEntityID turns "2026-02-15" into 20260215 for the audit log.
func holidayEntityID(date string) uint64 {
	n, _ := strconv.ParseUint(strings.ReplaceAll(date, "-", ""), 10, 64)
	return n
}

// Validate checks a holiday row an admin entered.
func (h *Holiday) Validate() error {
	d, ok := parseDate(h.Date, time.UTC)
	if !ok {
		return Invalid("date", "日期格式不正确（例如2026-03-10）")
	}
	h.Date = d.Format(DateLayout)
	if !h.Kind.Valid() {
		return Invalid("kind", "类型应为放假或调休上班")
	}
	h.Name = CleanLine(h.Name)
	if h.Name == "" || utf8.RuneCountInString(h.Name) > 50 {
		return Invalid("name", "名称不能为空，且不能超过50个字")
	}
	return nil
}

// HolidayMinYear is the first year of the calendar; the last is
// HolidayYearsAhead years after the current one. No notice is published
// further ahead, and a typo such as 2206 would otherwise be stored.
const (
	HolidayMinYear    = 2000
	HolidayYearsAhead = 2
)

// CheckHolidayYear refuses a calendar year outside HolidayMinYear … the
// current year (now in loc; nil is UTC+8) + HolidayYearsAhead. The error
// names field ("year" for a query, "date" for a date).
func CheckHolidayYear(field string, year int, now time.Time, loc *time.Location) error {
	last := now.In(orLoc(loc)).Year() + HolidayYearsAhead
	if year >= HolidayMinYear && year <= last {
		return nil
	}
	what := "年份"
	if field == "date" {
		what = "日期的年份"
	}
	return Invalid(field, fmt.Sprintf("%s应在%d年至%d年之间", what, HolidayMinYear, last))
}

// SetHoliday creates or replaces the calendar entry of one date and writes
// the audit log. The date's year must pass CheckHolidayYear. Reception
// days already generated move at the next GenerateReceptionDays run
// (unless they have bookings).
func SetHoliday(ctx context.Context, db *gorm.DB, who Actor, h Holiday, now time.Time) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if y, _ := strconv.Atoi(h.Date[:4]); CheckHolidayYear("date", y, now, nil) != nil {
		return CheckHolidayYear("date", y, now, nil)
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old Holiday
		found, err := lockFind(tx, &old, "date = ?", h.Date)
		if err != nil {
			return err
		}
		h.UpdatedAt = now.UTC()
		if !found {
			h.CreatedAt = now.UTC()
			if err := tx.Create(&h).Error; err != nil {
				return translate(err)
			}
		} else if err := tx.Model(&Holiday{}).Where("date = ?", h.Date).
			Updates(map[string]any{"kind": h.Kind, "name": h.Name, "updated_at": h.UpdatedAt}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, who, "holiday.set", "holiday", holidayEntityID(h.Date),
			string(old.Kind), string(h.Kind), strings.TrimSpace(CalendarFullDateText(h.Date)+" "+h.Name))
	})
}

// DeleteHoliday removes the calendar entry of one date, so it becomes an
// ordinary weekday or weekend day, and writes the audit log.
func DeleteHoliday(ctx context.Context, db *gorm.DB, who Actor, date string, now time.Time) error {
	d, ok := parseDate(date, time.UTC)
	if !ok {
		return Invalid("date", "日期格式不正确（例如2026-03-10）")
	}
	date = d.Format(DateLayout)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old Holiday
		if err := lockingUpdate(tx).Where("date = ?", date).First(&old).Error; err != nil {
			return notFoundAs(err, ErrHolidayNotFound)
		}
		if err := tx.Where("date = ?", date).Delete(&Holiday{}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, who, "holiday.delete", "holiday", holidayEntityID(date),
			string(old.Kind), "", strings.TrimSpace(CalendarFullDateText(date)+" "+old.Name))
	})
}

// ListHolidays returns the entries between two dates (inclusive), in order.
func ListHolidays(ctx context.Context, db *gorm.DB, from, to string) ([]Holiday, error) {
	var rows []Holiday
	err := db.WithContext(ctx).Where("date >= ? AND date <= ?", from, to).Order("date").Find(&rows).Error
	return rows, translate(err)
}

// EnsureHolidays inserts the shipped official dates (holidays_data.go) that
// the table lacks and returns how many it inserted. Rows that exist are left
// alone, so an admin's correction survives; migrations call it when a new
// year's notice is added to the data.
func EnsureHolidays(ctx context.Context, db *gorm.DB) (int, error) {
	db = db.WithContext(ctx)
	var have []string
	if err := db.Model(&Holiday{}).Pluck("date", &have).Error; err != nil {
		return 0, translate(err)
	}
	seen := make(map[string]bool, len(have))
	for _, d := range have {
		seen[d] = true
	}
	var missing []Holiday
	for _, h := range OfficialHolidays() {
		if !seen[h.Date] {
			missing = append(missing, h)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	if err := db.CreateInBatches(&missing, 100).Error; err != nil {
		return 0, translate(err)
	}
	return len(missing), nil
}

// ReceptionRule says when and how a station receives voters. Days are
// generated from it (GenerateReceptionDays); each generated day keeps a
// snapshot, so a rule change reaches only days nobody has booked yet.
type ReceptionRule struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	StationID uint64 `gorm:"not null;uniqueIndex" json:"station_id"`
	// Active false stops generating days (future days without bookings go).
	Active bool `gorm:"not null" json:"active"`
	// DayOfMonth is the nominal day (1–28); weekends and holidays move it
	// to the next working day.
	DayOfMonth int `gorm:"not null" json:"day_of_month"`
	// StartTime, EndTime and ClosesAt are local "HH:MM" clock times.
	StartTime   string `gorm:"size:5;not null" json:"start_time"`
	EndTime     string `gorm:"size:5;not null" json:"end_time"`
	SlotMinutes int    `gorm:"not null" json:"slot_minutes"`
	// SeatsPerSlot counts every seat; WalkInSeats of them are kept for
	// voters who come without booking, so a slot's online capacity is
	// SeatsPerSlot - WalkInSeats.
	SeatsPerSlot int  `gorm:"not null" json:"seats_per_slot"`
	WalkInSeats  int  `gorm:"not null" json:"walk_in_seats"`
	Waitlist     bool `gorm:"not null" json:"waitlist"`
	// WaitlistMax caps the waitlist of one slot; 0 means no cap.
	WaitlistMax int `gorm:"not null" json:"waitlist_max"`
	// Booking opens at 00:00 local OpensDaysBefore days before the day and
	// closes at ClosesAt local on the day before.
	OpensDaysBefore int       `gorm:"not null" json:"opens_days_before"`
	ClosesAt        string    `gorm:"size:5;not null" json:"closes_at"`
	CreatedAt       time.Time `json:"-"`
	UpdatedAt       time.Time `json:"-"`
}

// DefaultReceptionRule is the county-wide default (docs/ARCHITECTURE.md#reception-days): the 10th of
// each month, 09:00–11:30 in 30-minute slots, booking open 14 days ahead
// until 18:00 the day before.
func DefaultReceptionRule(stationID uint64) ReceptionRule {
	return ReceptionRule{
		StationID: stationID, Active: true, DayOfMonth: 10, StartTime: "09:00", EndTime: "11:30",
		SlotMinutes: 30, SeatsPerSlot: 6, WalkInSeats: 2, Waitlist: true, WaitlistMax: 10,
		OpensDaysBefore: 14, ClosesAt: "18:00",
	}
}

// parseClock reads "HH:MM".
func parseClock(s string) (h, m int, ok bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

// Validate checks a rule; the error names the bad field.
func (r ReceptionRule) Validate() error {
	sh, sm, ok1 := parseClock(r.StartTime)
	eh, em, ok2 := parseClock(r.EndTime)
	_, _, ok3 := parseClock(r.ClosesAt)
	switch {
	case r.StationID == 0:
		return Invalid("station_id", "缺少联络站")
	case r.DayOfMonth < 1 || r.DayOfMonth > 28:
		return Invalid("day_of_month", "接待日应为每月1日至28日")
	case !ok1:
		return Invalid("start_time", "开始时间格式不正确（例如09:00）")
	case !ok2:
		return Invalid("end_time", "结束时间格式不正确（例如11:30）")
	case !ok3:
		return Invalid("closes_at", "截止时间格式不正确（例如18:00）")
	case r.SlotMinutes < 5 || r.SlotMinutes > 240:
		return Invalid("slot_minutes", "每个时段应为5到240分钟")
	case (eh*60+em)-(sh*60+sm) < r.SlotMinutes:
		return Invalid("end_time", "结束时间应晚于开始时间，且至少容纳一个时段")
	case r.SeatsPerSlot < 1 || r.SeatsPerSlot > 500:
		return Invalid("seats_per_slot", "每个时段的名额应为1到500")
	case r.WalkInSeats < 0 || r.WalkInSeats > r.SeatsPerSlot:
		return Invalid("walk_in_seats", "现场名额不能为负数，也不能超过总名额")
	case r.WaitlistMax < 0 || r.WaitlistMax > 1000:
		return Invalid("waitlist_max", "候补人数上限应为0到1000")
	case r.OpensDaysBefore < 1 || r.OpensDaysBefore > 90:
		return Invalid("opens_days_before", "提前开放预约的天数应为1到90")
	}
	return nil
}

// ErrReceptionRuleNotFound is a station without a reception rule.
var ErrReceptionRuleNotFound = Coded(ErrNotFound, "reception_rule_not_found", "该联络站还没有设置接待规则")

// GetReceptionRule returns a station's rule.
func GetReceptionRule(ctx context.Context, db *gorm.DB, stationID uint64) (ReceptionRule, error) {
	var r ReceptionRule
	err := db.WithContext(ctx).Where("station_id = ?", stationID).First(&r).Error
	return r, notFoundAs(err, ErrReceptionRuleNotFound)
}

// SetReceptionRule creates or replaces a station's rule and writes the
// audit log. Generated days follow at the next GenerateReceptionDays run.
func SetReceptionRule(ctx context.Context, db *gorm.DB, who Actor, r ReceptionRule, now time.Time) (ReceptionRule, error) {
	if err := r.Validate(); err != nil {
		return ReceptionRule{}, err
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Station{}).Where("id = ?", r.StationID).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			return ErrStationNotFound
		}
		var old ReceptionRule
		found, err := lockFind(tx, &old, "station_id = ?", r.StationID)
		if err != nil {
			return err
		}
		r.ID, r.CreatedAt, r.UpdatedAt = old.ID, old.CreatedAt, now.UTC()
		if !found {
			r.CreatedAt = now.UTC()
		}
		// Save writes every column, false and zero included.
		if err := tx.Save(&r).Error; err != nil {
			return translate(err)
		}
		b, _ := json.Marshal(r)
		return Audit(ctx, tx, now, who, "reception_rule.set", "station", r.StationID, "", "", string(b))
	})
	return r, err
}
