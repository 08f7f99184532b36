package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

func TestCheckIn(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	s := f.slots(0, recDate)
	day := f.day(0, recDate).ID
	book := func(voter, slot uint64) models.Booking {
		b, _, err := models.BookSlot(ctx, db, voter, slot, "", bookNow)
		f.must(err)
		return b
	}
	v1, v2, v3, v4 := book(1, s[0].ID), book(2, s[0].ID), book(3, s[0].ID), book(4, s[1].ID)
	f.must(errOnly3(models.CancelBooking(ctx, db, 4, v4.ID, bookNow)))

	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
	outsider := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 10}, StationIDs: []uint64{f.stations[1].ID}}
	admin := models.ScopeOf(models.Staff{ID: 11, Role: models.RoleAdmin})
	onDay := at(2026, 3, 10, 9, 5)
	cases := []struct {
		name  string
		scope models.StaffScope
		code  string
		now   time.Time
		want  string
	}{
		{"another station's staff", outsider, v1.CheckinCode, onDay, "reception_day_not_found"},
		{"too early", staff, v1.CheckinCode, at(2026, 3, 10, 7, 59), "checkin_not_open"},
		{"malformed code", staff, "0OIL12", onDay, "checkin_code_not_found"},
		{"read aloud in lower case with spaces", staff, strings.ToLower(v1.CheckinCode[:3] + " " + v1.CheckinCode[3:]), onDay, ""},
		{"twice", staff, v1.CheckinCode, onDay, "already_checked_in"},
		{"waitlisted", staff, v3.CheckinCode, onDay, "booking_waitlisted"},
		{"cancelled", staff, v4.CheckinCode, onDay, "booking_cancelled"},
		{"an hour early, by an admin", admin, v2.CheckinCode, at(2026, 3, 10, 8, 0), ""},
	}
	for _, c := range cases {
		b, err := models.CheckIn(ctx, db, c.scope, day, c.code, c.now)
		if c.want != "" {
			var ce *models.CodedError
			if !errors.As(err, &ce) || ce.Code != c.want {
				t.Errorf("%s: err = %v, want %s", c.name, err, c.want)
			}
			continue
		}
		if err != nil || b.Status != models.BookingCheckedIn || b.CheckedInAt == nil {
			t.Errorf("%s: %+v, %v", c.name, b, err)
		}
	}
	if sl := f.slot(s[0].ID); sl.Confirmed != 2 || sl.Waitlisted != 1 {
		t.Errorf("checked-in bookings keep their seats: %+v", sl)
	}
	trail, _ := models.AuditTrail(ctx, db, "booking", v1.ID)
	if len(trail) != 1 || trail[0].Action != "booking.checkin" || trail[0].ActorID != 9 {
		t.Errorf("audit %+v", trail)
	}
	checkInvariants(t, db)
}

func TestRecordWalkIn(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 1, small) // 1 walk-in seat per slot
	ctx := f.ctx
	s := f.slots(0, recDate)
	day := f.day(0, recDate).ID
	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
	cases := []struct {
		now    time.Time
		slot   uint64
		beyond bool
	}{
		{at(2026, 3, 10, 8, 30), s[0].ID, false}, // before the start: first slot
		{at(2026, 3, 10, 9, 10), s[0].ID, true},  // its one walk-in seat is taken
		{at(2026, 3, 10, 9, 40), s[1].ID, false},
		{at(2026, 3, 10, 12, 0), s[4].ID, false}, // after the end: last slot
	}
	for i, c := range cases {
		w, err := models.RecordWalkIn(ctx, db, staff, day, "张大爷", "楼道灯不亮", c.now)
		if err != nil || w.SlotID != c.slot || w.BeyondSeats != c.beyond || w.ID == 0 {
			t.Errorf("walk-in %d: %+v, %v", i, w, err)
		}
	}
	if sl := f.slot(s[0].ID); sl.WalkIns != 2 || sl.Confirmed != 0 {
		t.Errorf("slot %+v", sl)
	}
	_, err := models.RecordWalkIn(ctx, db, models.StaffScope{}, day, "", "", at(2026, 3, 10, 9, 0))
	wantCode(t, err, "reception_day_not_found")
	if _, err := models.RecordWalkIn(ctx, db, staff, day, strings.Repeat("名", 51), "", at(2026, 3, 10, 9, 0)); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("long name: %v", err)
	}
}

func TestCloseReceptionDayAndRecords(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	s := f.slots(0, recDate)
	day := f.day(0, recDate)
	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}

	// Roster: one active deputy of the station plus a visiting deputy.
	var deps []models.Deputy
	db.Order("id").Find(&deps)
	roster := []uint64{deps[0].ID, deps[3].ID, deps[0].ID}
	if err := models.SetRoster(ctx, db, staff.Actor, day.ID, []uint64{deps[0].ID, 999999}, bookNow); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("unknown deputy: %v", err)
	}
	f.must(models.SetRoster(ctx, db, staff.Actor, day.ID, roster, bookNow))
	views, _, _ := models.ListReceptionDays(ctx, db, models.ReceptionQuery{Date: recDate}, bookNow)
	if len(views[0].Deputies) != 2 {
		t.Fatalf("roster view %+v", views[0].Deputies)
	}

	came, _, err := models.BookSlot(ctx, db, 1, s[0].ID, "", bookNow)
	f.must(err)
	missed, _, _ := models.BookSlot(ctx, db, 2, s[0].ID, "", bookNow)
	waiting, _, _ := models.BookSlot(ctx, db, 3, s[0].ID, "", bookNow)
	if on, _ := models.ListBookingsOn(ctx, db, recDate, models.BookingConfirmed); len(on) != 2 {
		t.Errorf("reminder list has %d bookings, want 2", len(on))
	}
	f.must(errOnly(models.CheckIn(ctx, db, staff, day.ID, came.CheckinCode, at(2026, 3, 10, 9, 0))))
	// Only the visiting deputy comes and is signed in at the desk; deps[0]
	// stays on the roster but never comes.
	f.must(errOnly(models.SignInDeputy(ctx, db, staff, day.ID, deps[3].ID, at(2026, 3, 10, 9, 1))))
	for range 2 {
		f.must(errOnly(models.RecordWalkIn(ctx, db, staff, day.ID, "", "", at(2026, 3, 10, 10, 0))))
	}

	_, err = models.CloseReceptionDay(ctx, db, day.ID, at(2026, 3, 10, 11, 29))
	wantCode(t, err, "reception_not_finished")
	rep, err := models.CloseReceptionDay(ctx, db, day.ID, at(2026, 3, 10, 11, 30))
	f.must(err)
	if rep != (models.CloseReport{NoShows: 1, ExpiredWaitlist: 1, Records: 1}) {
		t.Fatalf("close report %+v", rep)
	}
	if b := f.booking(missed.ID); b.Status != models.BookingNoShow || b.ActiveKey != nil {
		t.Errorf("no-show %+v", b)
	}
	if b := f.booking(waiting.ID); b.Status != models.BookingCancelled || b.CancelReason != models.CancelWaitlistExpired {
		t.Errorf("expired waitlist %+v", b)
	}
	recs, err := models.ListReceptionRecords(ctx, db, deps[3].ID, "2026-01-01", "2026-12-31")
	f.must(err)
	if len(recs) != 1 || recs[0].VotersReceived != 3 || recs[0].CheckedIn != 1 || recs[0].WalkIns != 2 ||
		recs[0].NoShows != 1 || recs[0].StationID != f.stations[0].ID || recs[0].Date != recDate {
		t.Errorf("visiting deputy's record %+v", recs)
	}
	if recs, _ := models.ListReceptionRecords(ctx, db, deps[0].ID, "2026-01-01", "2026-12-31"); len(recs) != 0 {
		t.Errorf("a deputy on the roster who never signed in has records %+v", recs)
	}
	checkInvariants(t, db)

	// Closing again changes nothing; the closed day refuses staff actions.
	if rep, err := models.CloseReceptionDay(ctx, db, day.ID, at(2026, 3, 11, 0, 0)); err != nil || !rep.AlreadyClosed || rep.Records != 0 {
		t.Errorf("second close: %+v %v", rep, err)
	}
	_, err = models.CheckIn(ctx, db, staff, day.ID, missed.CheckinCode, at(2026, 3, 10, 12, 0))
	wantCode(t, err, "reception_closed")
	wantCode(t, models.SetRoster(ctx, db, staff.Actor, day.ID, roster, bookNow), "reception_closed")

	// The nightly job closes station 2's day (its two active deputies are
	// on the roster but nobody signed them in: no records), once.
	if n, err := models.CloseFinishedDays(ctx, db, at(2026, 3, 10, 23, 0), cst); err != nil || n != 0 {
		t.Errorf("same evening: closed %d, %v; want 0 (the day is not over in CST)", n, err)
	}
	if n, err := models.CloseFinishedDays(ctx, db, at(2026, 3, 11, 0, 30), cst); err != nil || n != 1 {
		t.Errorf("next night: closed %d, %v; want 1", n, err)
	}
	if n, _ := models.CloseFinishedDays(ctx, db, at(2026, 3, 12, 0, 30), cst); n != 0 {
		t.Errorf("second run closed %d", n)
	}
	var records int64
	db.Model(&models.ReceptionRecord{}).Count(&records)
	if records != 1 {
		t.Errorf("%d records, want 1 + 0", records)
	}
	if _, err := models.ListDayBookings(ctx, db, staff, f.day(1, recDate).ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another station's day bookings: %v", err)
	}
	if bs, err := models.ListDayBookings(ctx, db, staff, day.ID); err != nil || len(bs) != 3 {
		t.Errorf("day bookings: %d, %v", len(bs), err)
	}
}
