package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// cst is Asia/Shanghai without depending on the host's tzdata.
var cst = time.FixedZone("Asia/Shanghai", 8*3600)

// at is a local (CST) time.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, cst) }

// The fixture's clock: days are generated on 20 Feb 2026, the reception
// day is Tue 10 Mar 2026, and booking is open from 24 Feb 00:00 to 9 Mar
// 18:00 (CST).
var (
	genNow  = at(2026, 2, 20, 10, 0)
	bookNow = at(2026, 3, 1, 10, 0)
)

const (
	recDate  = "2026-03-10"
	nextDate = "2026-04-10"
)

// fixture is a database with stations, deputies, rules and generated days.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	db       *gorm.DB
	stations []models.Station
}

// newFixture creates n stations with two active deputies and one retired
// each, gives them the default rule changed by edit, and generates days.
func newFixture(t *testing.T, db *gorm.DB, n int, edit func(*models.ReceptionRule)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: db}
	for i := range n {
		st := models.Station{Kind: models.KindStation, Name: fmt.Sprintf("测试联络站%d", i+1), Address: "测试路1号",
			District: "测试镇", OpenHours: "每月10日"}
		f.must(db.Create(&st).Error)
		for j, status := range []models.DeputyStatus{models.DeputyActive, models.DeputyActive, models.DeputyRetired} {
			f.must(db.Create(&models.Deputy{Name: fmt.Sprintf("代表%d-%d", i+1, j+1), Level: models.LevelCounty,
				StationID: st.ID, Status: status}).Error)
		}
		r := models.DefaultReceptionRule(st.ID)
		if edit != nil {
			edit(&r)
		}
		_, err := models.SetReceptionRule(f.ctx, db, models.SystemActor, r, genNow)
		f.must(err)
		f.stations = append(f.stations, st)
	}
	_, err := models.GenerateReceptionDays(f.ctx, db, genNow, cst, 2)
	f.must(err)
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// day returns the day of station i (0-based) on a date.
func (f *fixture) day(i int, date string) models.ReceptionDay {
	f.t.Helper()
	var d models.ReceptionDay
	f.must(f.db.Where("station_id = ? AND date = ?", f.stations[i].ID, date).First(&d).Error)
	return d
}

// slots returns the slots of station i on a date, in order.
func (f *fixture) slots(i int, date string) []models.Slot {
	f.t.Helper()
	var s []models.Slot
	f.must(f.db.Where("day_id = ?", f.day(i, date).ID).Order("seq").Find(&s).Error)
	return s
}

func (f *fixture) slot(id uint64) models.Slot {
	f.t.Helper()
	var s models.Slot
	f.must(f.db.First(&s, id).Error)
	return s
}

func (f *fixture) booking(id uint64) models.Booking {
	f.t.Helper()
	var b models.Booking
	f.must(f.db.First(&b, id).Error)
	return b
}

// checkInvariants checks every slot's counters against its bookings and
// that no voter holds two active bookings on one date.
func checkInvariants(t *testing.T, db *gorm.DB) {
	t.Helper()
	var bad []struct {
		ID                                    uint64
		Capacity, Confirmed, Waitlisted, C, W int
	}
	err := db.Raw(`SELECT s.id, s.capacity, s.confirmed, s.waitlisted,
		(SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('confirmed','checked_in','no_show')) AS c,
		(SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status = 'waitlisted') AS w
		FROM slots s`).Scan(&bad).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bad {
		if s.Confirmed != s.C || s.Waitlisted != s.W || s.Confirmed > s.Capacity {
			t.Errorf("slot %d: confirmed %d (rows %d) of %d, waitlisted %d (rows %d)", s.ID, s.Confirmed, s.C, s.Capacity, s.Waitlisted, s.W)
		}
	}
	var dup []struct {
		VoterID uint64
		Date    string
		N       int
	}
	if err := db.Raw(`SELECT voter_id, date, COUNT(*) AS n FROM bookings WHERE status IN ('confirmed','waitlisted','checked_in')
		GROUP BY voter_id, date HAVING COUNT(*) > 1`).Scan(&dup).Error; err != nil {
		t.Fatal(err)
	}
	for _, d := range dup {
		t.Errorf("voter %d has %d active bookings on %s", d.VoterID, d.N, d.Date)
	}
}

// wantCode fails unless err is a CodedError with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ce *models.CodedError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("err = %v, want code %q", err, code)
	}
}

func TestPlanReceptionDayMovesOffWeekendsAndHolidays(t *testing.T) {
	cal := models.NewCalendar(models.OfficialHolidays())
	cases := []struct {
		name  string
		dom   int
		year  int
		month time.Month
		want  string
	}{
		{"working Tuesday stays", 10, 2026, time.March, "2026-03-10"},
		{"Saturday 10th moves to Monday", 10, 2026, time.January, "2026-01-12"},
		{"Saturday 10th in 2025 moves to Monday", 10, 2025, time.May, "2025-05-12"},
		{"Saturday make-up workday stays", 10, 2026, time.October, "2026-10-10"},
		{"inside National Day moves past the holiday", 3, 2025, time.October, "2025-10-09"},
		{"inside Spring Festival moves past it", 20, 2026, time.February, "2026-02-24"},
		{"Spring Festival make-up Saturday stays", 14, 2026, time.February, "2026-02-14"},
		{"Labour Day 2026 moves to Wednesday", 1, 2026, time.May, "2026-05-06"},
		{"Sunday with no data moves to Monday", 10, 2027, time.January, "2027-01-11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := models.DefaultReceptionRule(1)
			r.DayOfMonth = c.dom
			p, err := models.PlanReceptionDay(r, cal, c.year, c.month, cst)
			if err != nil {
				t.Fatal(err)
			}
			if p.Date != c.want {
				t.Fatalf("date = %s, want %s", p.Date, c.want)
			}
		})
	}
}

func TestPlanReceptionDayWindowAndSlots(t *testing.T) {
	r := models.DefaultReceptionRule(1) // 09:00–11:30, 30 min, 6 seats, 2 walk-in, 14 days, 18:00
	p, err := models.PlanReceptionDay(r, models.NewCalendar(models.OfficialHolidays()), 2026, time.March, cst)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(2026, 2, 24, 0, 0); !p.BookingOpensAt.Equal(want) || p.BookingOpensAt.Location() != time.UTC {
		t.Errorf("opens %v, want %v in UTC", p.BookingOpensAt, want)
	}
	if want := at(2026, 3, 9, 18, 0); !p.BookingClosesAt.Equal(want) {
		t.Errorf("closes %v, want %v", p.BookingClosesAt, want)
	}
	if len(p.Slots) != 5 || !p.Slots[0].StartAt.Equal(at(2026, 3, 10, 9, 0)) || !p.EndsAt.Equal(at(2026, 3, 10, 11, 30)) {
		t.Fatalf("slots %+v ends %v", p.Slots, p.EndsAt)
	}
	for _, s := range p.Slots {
		if s.Capacity != 4 || s.WalkInSeats != 2 || s.EndAt.Sub(s.StartAt) != 30*time.Minute {
			t.Errorf("slot %+v: want capacity 4 (6 seats - 2 walk-in), 30 minutes", s)
		}
	}
	r.SlotMinutes = 45 // 09:00, 09:45, 10:30; a slot ending after 11:30 is dropped
	p, _ = models.PlanReceptionDay(r, nil, 2026, time.March, cst)
	if len(p.Slots) != 3 || !p.EndsAt.Equal(at(2026, 3, 10, 11, 15)) {
		t.Errorf("45-minute slots: %d slots ending %v, want 3 ending 11:15", len(p.Slots), p.EndsAt)
	}
}

func TestCheckBookingWindowEdges(t *testing.T) {
	d := models.ReceptionDay{Status: models.DayOpen, BookingOpensAt: at(2026, 2, 24, 0, 0).UTC(),
		BookingClosesAt: at(2026, 3, 9, 18, 0).UTC()}
	cases := []struct {
		name string
		now  time.Time
		open bool
	}{
		{"a nanosecond before it opens", at(2026, 2, 24, 0, 0).Add(-time.Nanosecond), false},
		{"exactly at 00:00 N days before", at(2026, 2, 24, 0, 0), true},
		{"in the middle", bookNow, true},
		{"a nanosecond before 18:00 the day before", at(2026, 3, 9, 18, 0).Add(-time.Nanosecond), true},
		{"exactly 18:00 the day before", at(2026, 3, 9, 18, 0), false},
		{"on the day", at(2026, 3, 10, 9, 0), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := d.CheckBookingWindow(c.now); (err == nil) != c.open {
				t.Fatalf("open = %v, want %v", err == nil, c.open)
			}
		})
	}
	d.Status = models.DayClosed
	if d.CheckBookingWindow(bookNow) == nil {
		t.Error("a closed day accepts bookings")
	}
}

func TestReceptionRuleValidate(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*models.ReceptionRule)
	}{
		{"", func(*models.ReceptionRule) {}},
		{"day_of_month", func(r *models.ReceptionRule) { r.DayOfMonth = 29 }},
		{"start_time", func(r *models.ReceptionRule) { r.StartTime = "9:00" }},
		{"end_time", func(r *models.ReceptionRule) { r.EndTime = "09:10" }},
		{"walk_in_seats", func(r *models.ReceptionRule) { r.WalkInSeats = 7 }},
		{"seats_per_slot", func(r *models.ReceptionRule) { r.SeatsPerSlot = 0 }},
		{"opens_days_before", func(r *models.ReceptionRule) { r.OpensDaysBefore = 0 }},
		{"closes_at", func(r *models.ReceptionRule) { r.ClosesAt = "25:00" }},
	}
	for _, c := range cases {
		r := models.DefaultReceptionRule(1)
		c.edit(&r)
		err := r.Validate()
		var ve *models.ValidationError
		if c.field == "" && err != nil || c.field != "" && (!errors.As(err, &ve) || ve.Field != c.field) {
			t.Errorf("%s: err = %v", c.field, err)
		}
	}
}

func TestGenerateReceptionDays(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, nil)
	ctx := f.ctx
	feb25 := at(2026, 2, 25, 10, 0) // booking for March is open; the horizon is still Feb–Apr
	gen := func(now time.Time) models.GenerateReport {
		t.Helper()
		rep, err := models.GenerateReceptionDays(ctx, db, now, cst, 2)
		f.must(err)
		return rep
	}
	// newFixture generated Mar and Apr (Feb's day has passed) for 2 stations.
	if rep := gen(genNow); rep.Created != 0 || rep.Unchanged != 4 || rep.Regenerated+rep.Removed != 0 || len(rep.Conflicts) != 0 {
		t.Fatalf("second run: %+v, want 4 unchanged", rep)
	}
	if d := f.day(0, recDate); len(f.slots(0, recDate)) != 5 || d.Waitlist != true {
		t.Fatalf("day %+v", d)
	}
	var roster []models.RosterEntry
	db.Where("day_id = ?", f.day(0, recDate).ID).Find(&roster)
	if len(roster) != 2 {
		t.Fatalf("roster has %d deputies, want the 2 active ones", len(roster))
	}

	// A booking on station 1's March day pins that day.
	if _, _, err := models.BookSlot(ctx, db, 1, f.slots(0, recDate)[0].ID, "", feb25); err != nil {
		t.Fatal(err)
	}
	oldMarchSlots := f.slots(1, recDate)
	r, _ := models.GetReceptionRule(ctx, db, f.stations[0].ID)
	r.SeatsPerSlot = 10
	f.must(errOnly(models.SetReceptionRule(ctx, db, models.SystemActor, r, feb25)))
	r2, _ := models.GetReceptionRule(ctx, db, f.stations[1].ID)
	r2.DayOfMonth = 12
	f.must(errOnly(models.SetReceptionRule(ctx, db, models.SystemActor, r2, feb25)))
	rep := gen(feb25)
	if rep.Regenerated != 3 || rep.Created != 0 || len(rep.Conflicts) != 1 || !strings.Contains(rep.Conflicts[0], "（"+models.CalendarDateText(recDate)+"）") {
		t.Fatalf("after rule changes: %+v, want 3 regenerated and station 1's %s in conflicts", rep, recDate)
	}
	if s := f.slots(0, recDate); s[0].Capacity != 4 {
		t.Errorf("booked day changed: capacity %d", s[0].Capacity)
	}
	if s := f.slots(0, nextDate); s[0].Capacity != 8 {
		t.Errorf("unbooked April day not regenerated: capacity %d", s[0].Capacity)
	}
	moved := f.day(1, "2026-03-12")
	if var2 := f.slots(1, "2026-03-12"); var2[0].ID == oldMarchSlots[0].ID || moved.Period != "2026-03" {
		t.Errorf("station 2's day did not move with fresh slots: %+v", moved)
	}
	db.Where("day_id = ?", moved.ID).Find(&roster)
	if len(roster) != 2 {
		t.Errorf("regenerated day lost its roster")
	}
	if rep := gen(feb25); rep.Unchanged != 3 || len(rep.Conflicts) != 1 || rep.Regenerated != 0 {
		t.Errorf("rerun: %+v", rep)
	}

	// A holiday on 12 March moves station 2's day to Friday 13 March.
	f.must(models.SetHoliday(ctx, db, models.SystemActor, models.Holiday{Date: "2026-03-12", Kind: models.HolidayOff, Name: "测试假日"}, feb25))
	if rep := gen(feb25); rep.Regenerated != 1 {
		t.Errorf("after a holiday: %+v", rep)
	}
	f.day(1, "2026-03-13")

	// Turning station 2's rule off removes its future days.
	r2, _ = models.GetReceptionRule(ctx, db, f.stations[1].ID)
	r2.Active = false
	f.must(errOnly(models.SetReceptionRule(ctx, db, models.SystemActor, r2, feb25)))
	if rep := gen(feb25); rep.Removed != 2 {
		t.Errorf("rule off: %+v, want 2 removed", rep)
	}
	// On the reception day itself nothing about that day changes.
	// (The horizon is now Mar–May: station 1 gets its May day.)
	if rep := gen(at(2026, 3, 10, 8, 0)); len(rep.Conflicts) != 0 || rep.Unchanged != 1 || rep.Created != 1 {
		t.Errorf("on the day: %+v", rep)
	}
	checkInvariants(t, db)
}

func errOnly[T any](_ T, err error) error { return err }

func TestListReceptionDays(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 3, nil)
	ctx := f.ctx
	slot := f.slots(1, recDate)[2]
	for v := uint64(1); v <= 3; v++ {
		f.must(errOnly3(models.BookSlot(ctx, db, v, slot.ID, "", bookNow)))
	}

	all, next, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{Date: recDate, Loc: cst}, bookNow)
	f.must(err)
	if len(all) != 3 || next != "" {
		t.Fatalf("one date lists %d days (next %q), want every station's", len(all), next)
	}
	v := all[1]
	if v.Station.ID != f.stations[1].ID || len(v.Deputies) != 2 || len(v.Slots) != 5 || !v.BookingOpen || !v.Waitlist {
		t.Fatalf("view %+v", v)
	}
	if s := v.Slots[2]; s.Capacity != 4 || s.Remaining != 1 || s.Start.Format(time.RFC3339) != "2026-03-10T10:00:00+08:00" {
		t.Errorf("slot view %+v", s)
	}

	sid := f.stations[0].ID
	one, _, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{StationID: &sid}, bookNow)
	f.must(err)
	if len(one) != 2 || one[0].Date != recDate || one[1].Date != nextDate {
		t.Errorf("station's upcoming days: %+v", one)
	}
	later, _, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{StationID: &sid}, at(2026, 3, 10, 11, 30))
	f.must(err)
	if len(later) != 1 || later[0].Date != nextDate {
		t.Errorf("once March's reception is over only April is upcoming: %+v", later)
	}
	page, next, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{From: "2026-03-01", To: "2026-04-30", Limit: 4}, bookNow)
	f.must(err)
	rest, next2, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{From: "2026-03-01", To: "2026-04-30", Limit: 4, Cursor: next}, bookNow)
	f.must(err)
	if len(page) != 4 || next == "" || len(rest) != 2 || next2 != "" || rest[0].ID == page[3].ID {
		t.Errorf("paging: %d + %d days, cursors %q %q", len(page), len(rest), next, next2)
	}
	for _, q := range []models.ReceptionQuery{{From: "2026-3-1"}, {From: "2026-04-01", To: "2026-03-01"}, {Cursor: "x"}} {
		_, _, err := models.ListReceptionDays(ctx, db, q, bookNow)
		if !errors.Is(err, models.ErrInvalid) {
			t.Errorf("%+v: err = %v, want invalid", q, err)
		}
	}
}

func errOnly3[A, B any](_ A, _ B, err error) error { return err }
