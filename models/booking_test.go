package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// small gives each slot 2 online seats and a waitlist of at most 2.
func small(r *models.ReceptionRule) {
	r.SeatsPerSlot, r.WalkInSeats, r.Waitlist, r.WaitlistMax = 3, 1, true, 2
}

// smallEarly also opens booking 45 days ahead, so March and April are both
// open on 1 March.
func smallEarly(r *models.ReceptionRule) { small(r); r.OpensDaysBefore = 45 }

func TestBookSlotRules(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	s0 := f.slots(0, recDate)
	opens, closes := at(2026, 2, 24, 0, 0), at(2026, 3, 9, 18, 0)

	type step struct {
		name   string
		voter  uint64
		slot   uint64
		topic  string
		now    time.Time
		status models.BookingStatus // or
		code   string
	}
	steps := []step{
		{"before the window", 1, s0[0].ID, "", opens.Add(-time.Second), "", "booking_closed"},
		{"at opening", 1, s0[0].ID, "路灯坏了", opens, models.BookingConfirmed, ""},
		{"second seat just before closing", 2, s0[0].ID, "", closes.Add(-time.Second), models.BookingConfirmed, ""},
		{"full: waitlist 1", 3, s0[0].ID, "", bookNow, models.BookingWaitlisted, ""},
		{"full: waitlist 2", 4, s0[0].ID, "", bookNow, models.BookingWaitlisted, ""},
		{"waitlist full", 5, s0[0].ID, "", bookNow, "", "slot_full"},
		{"after closing", 5, s0[1].ID, "", closes, "", "booking_closed"},
		{"same voter same slot", 1, s0[0].ID, "", bookNow, "", "already_booked"},
		{"same voter other slot same day", 1, s0[1].ID, "", bookNow, "", "already_booked"},
		{"same voter other station same date", 1, f.slots(1, recDate)[0].ID, "", bookNow, "", "already_booked"},
		{"waitlisted voter other station same date", 3, f.slots(1, recDate)[0].ID, "", bookNow, "", "already_booked"},
		{"same voter another date", 1, f.slots(1, nextDate)[0].ID, "", at(2026, 3, 30, 9, 0), models.BookingConfirmed, ""},
		{"unknown slot", 6, 999999, "", bookNow, "", "slot_not_found"},
		{"topic too long", 6, s0[1].ID, strings.Repeat("长", 201), bookNow, "", "invalid"},
	}
	for _, s := range steps {
		b, ev, err := models.BookSlot(ctx, db, s.voter, s.slot, s.topic, s.now)
		switch {
		case s.code == "invalid":
			if !errors.Is(err, models.ErrInvalid) {
				t.Errorf("%s: err = %v", s.name, err)
			}
		case s.code != "":
			var ce *models.CodedError
			if !errors.As(err, &ce) || ce.Code != s.code || b.ID != 0 || ev != nil {
				t.Errorf("%s: got %+v, %v; want %s", s.name, b, err, s.code)
			}
		case err != nil || b.Status != s.status || len(ev) != 1 || ev[0].BookingID != b.ID || ev[0].VoterID != s.voter:
			t.Errorf("%s: got %+v, %+v, %v; want %s", s.name, b, ev, err, s.status)
		case len(b.CheckinCode) != models.CheckinCodeLen || strings.Trim(b.CheckinCode, models.CodeAlphabet) != "":
			t.Errorf("%s: check-in code %q", s.name, b.CheckinCode)
		}
	}
	if s := f.slot(s0[0].ID); s.Confirmed != 2 || s.Waitlisted != 2 || s.Remaining() != 0 {
		t.Errorf("slot counters %+v", s)
	}
	checkInvariants(t, db)

	// Without a waitlist a full slot refuses at once.
	r, _ := models.GetReceptionRule(ctx, db, f.stations[1].ID)
	r.Waitlist = false
	f.must(errOnly(models.SetReceptionRule(ctx, db, models.SystemActor, r, bookNow)))
	f.must(errOnly(models.GenerateReceptionDays(ctx, db, bookNow, cst, 2)))
	s1 := f.slots(1, recDate)[0]
	for v := uint64(20); v < 22; v++ {
		f.must(errOnly3(models.BookSlot(ctx, db, v, s1.ID, "", bookNow)))
	}
	_, _, err := models.BookSlot(ctx, db, 22, s1.ID, "", bookNow)
	wantCode(t, err, "slot_full")
	checkInvariants(t, db)
}

func TestCancelPromotesFirstWaitlisted(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 1, func(r *models.ReceptionRule) { small(r); r.WaitlistMax = 0 })
	ctx := f.ctx
	slot := f.slots(0, recDate)[0].ID
	ids := map[uint64]uint64{} // voter → booking
	for v := uint64(1); v <= 6; v++ {
		b, _, err := models.BookSlot(ctx, db, v, slot, "", bookNow.Add(time.Duration(v)*time.Minute))
		f.must(err)
		ids[v] = b.ID
	}
	// Voters 3, 4, 5, 6 wait in that order; the view shows their place.
	if v, _ := models.GetVoterBooking(ctx, db, 5, ids[5], cst); v.Status != models.BookingWaitlisted || v.WaitlistPosition != 3 {
		t.Fatalf("voter 5's view %+v", v)
	}

	_, _, err := models.CancelBooking(ctx, db, 2, ids[1], bookNow)
	wantCode(t, err, "booking_not_found") // not the owner
	// A waitlisted voter leaving frees no seat and promotes nobody.
	_, ev, err := models.CancelBooking(ctx, db, 4, ids[4], bookNow)
	f.must(err)
	if len(ev) != 1 || ev[0].Kind != models.EventCancelled {
		t.Fatalf("cancel waitlisted: events %+v", ev)
	}
	for _, c := range []struct{ cancel, promoted uint64 }{{1, 3}, {3, 5}, {2, 6}} {
		b, ev, err := models.CancelBooking(ctx, db, c.cancel, ids[c.cancel], bookNow)
		f.must(err)
		p := ev.Of(models.EventPromoted)
		if b.Status != models.BookingCancelled || len(p) != 1 || p[0].VoterID != c.promoted || p[0].BookingID != ids[c.promoted] {
			t.Fatalf("voter %d cancels: %+v, events %+v; want voter %d promoted", c.cancel, b, ev, c.promoted)
		}
		if got := f.booking(ids[c.promoted]); got.Status != models.BookingConfirmed || got.CheckinCode == "" {
			t.Fatalf("promoted booking %+v", got)
		}
		checkInvariants(t, db)
	}
	// Cancelling again is harmless; a cancelled voter may book again.
	if b, ev, err := models.CancelBooking(ctx, db, 1, ids[1], bookNow); err != nil || ev != nil || b.Status != models.BookingCancelled {
		t.Errorf("second cancel: %+v %+v %v", b, ev, err)
	}
	if b, _, err := models.BookSlot(ctx, db, 1, f.slots(0, recDate)[1].ID, "", bookNow); err != nil || b.Status != models.BookingConfirmed {
		t.Errorf("rebook after cancel: %+v %v", b, err)
	}
	_, _, err = models.CancelBooking(ctx, db, 5, ids[5], at(2026, 3, 10, 9, 0))
	wantCode(t, err, "reception_started")
	checkInvariants(t, db)
}

func TestMoveBooking(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, smallEarly)
	ctx := f.ctx
	a, b := f.slots(0, recDate), f.slots(1, recDate)
	april := f.slots(0, nextDate)
	book := func(voter, slot uint64) models.Booking {
		t.Helper()
		bk, _, err := models.BookSlot(ctx, db, voter, slot, "", bookNow)
		f.must(err)
		return bk
	}
	mine := book(1, a[0].ID)
	book(2, a[0].ID)
	waiting := book(3, a[0].ID) // slot a[0] full, voter 3 waits

	// Same date, another slot: same row, id and code, seat moves.
	moved, ev, err := models.MoveBooking(ctx, db, 1, mine.ID, a[1].ID, bookNow)
	f.must(err)
	if moved.ID != mine.ID || moved.SlotID != a[1].ID || moved.CheckinCode != mine.CheckinCode || moved.Status != models.BookingConfirmed {
		t.Fatalf("moved %+v", moved)
	}
	if p := ev.Of(models.EventPromoted); len(p) != 1 || p[0].BookingID != waiting.ID || len(ev.Of(models.EventMoved)) != 1 {
		t.Fatalf("the seat freed by the move should go to voter 3: %+v", ev)
	}
	checkInvariants(t, db)

	// Into a full slot: refused, old seat kept.
	book(4, b[0].ID)
	book(5, b[0].ID)
	_, _, err = models.MoveBooking(ctx, db, 1, mine.ID, b[0].ID, bookNow)
	wantCode(t, err, "slot_full")
	if got := f.booking(mine.ID); got.SlotID != a[1].ID || got.Status != models.BookingConfirmed || f.slot(a[1].ID).Confirmed != 1 {
		t.Fatalf("failed move lost the seat: %+v", got)
	}
	// To another date: allowed, new code, one per date still enforced.
	other := book(6, april[0].ID)
	moved, _, err = models.MoveBooking(ctx, db, 1, mine.ID, april[1].ID, at(2026, 3, 5, 9, 0))
	f.must(err)
	if moved.Date != nextDate || moved.DayID == mine.DayID || f.slot(a[1].ID).Confirmed != 0 {
		t.Fatalf("moved to April: %+v", moved)
	}
	_, _, err = models.MoveBooking(ctx, db, 6, other.ID, a[2].ID, bookNow)
	f.must(err)
	book(6, april[2].ID) // voter 6 now books April again…
	_, _, err = models.MoveBooking(ctx, db, 6, other.ID, april[3].ID, bookNow)
	wantCode(t, err, "already_booked") // …so its March booking cannot go to April
	if got := f.booking(other.ID); got.SlotID != a[2].ID || got.Status != models.BookingConfirmed {
		t.Fatalf("refused move changed the booking: %+v", got)
	}
	// Closed window, unknown slot, another voter's booking.
	_, _, err = models.MoveBooking(ctx, db, 6, other.ID, a[3].ID, at(2026, 3, 9, 18, 0))
	wantCode(t, err, "booking_closed")
	_, _, err = models.MoveBooking(ctx, db, 6, other.ID, 999999, bookNow)
	wantCode(t, err, "slot_not_found")
	_, _, err = models.MoveBooking(ctx, db, 1, other.ID, a[3].ID, bookNow)
	wantCode(t, err, "booking_not_found")
	checkInvariants(t, db)
}

// Ensure a caller can wrap BookSlot and its outbox write in one outer
// transaction: an outer rollback undoes the seat, and a refused booking
// inside leaves the outer transaction usable.
func TestBookSlotInsideCallerTransaction(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 1, small)
	ctx := f.ctx
	slot := f.slots(0, recDate)[0].ID
	boom := errors.New("enqueue failed")
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, _, err := models.BookSlot(ctx, tx, 1, slot, "", bookNow); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || f.slot(slot).Confirmed != 0 {
		t.Fatalf("outer rollback: %v, confirmed %d", err, f.slot(slot).Confirmed)
	}
	f.must(errOnly3(models.BookSlot(ctx, db, 1, slot, "", bookNow)))
	err = db.Transaction(func(tx *gorm.DB) error {
		_, _, err := models.BookSlot(ctx, tx, 1, slot, "", bookNow)
		wantCode(t, err, "already_booked")
		b, ev, err := models.BookSlot(ctx, tx, 2, slot, "", bookNow)
		if err != nil || len(ev) != 1 {
			return err
		}
		return models.Audit(ctx, tx, bookNow, models.Actor{Kind: "voter", ID: 2}, "test.booked", "booking", b.ID, "", "", "")
	})
	f.must(err)
	if s := f.slot(slot); s.Confirmed != 2 {
		t.Errorf("confirmed %d, want 2", s.Confirmed)
	}
	checkInvariants(t, db)
}

func TestVoterBookingViews(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, smallEarly)
	ctx := f.ctx
	var ids []uint64
	for i, date := range []string{recDate, nextDate} {
		b, _, err := models.BookSlot(ctx, db, 1, f.slots(i, date)[1].ID, "小区停车难", at(2026, 3, 8, 9, 0))
		f.must(err)
		ids = append(ids, b.ID)
	}
	f.must(errOnly3(models.BookSlot(ctx, db, 2, f.slots(0, recDate)[0].ID, "", bookNow)))
	page, next, err := models.ListVoterBookings(ctx, db, 1, models.BookingQuery{Limit: 1, Loc: cst})
	f.must(err)
	rest, next2, err := models.ListVoterBookings(ctx, db, 1, models.BookingQuery{Limit: 1, Cursor: next, Loc: cst})
	f.must(err)
	if len(page) != 1 || page[0].ID != ids[1] || len(rest) != 1 || rest[0].ID != ids[0] || next2 != "" {
		t.Fatalf("pages %+v / %+v", page, rest)
	}
	v := rest[0]
	if v.Date != recDate || v.Station.ID != f.stations[0].ID || v.Slot.Start.Format(time.RFC3339) != "2026-03-10T09:30:00+08:00" ||
		v.Slot.Remaining != 1 || v.Topic != "小区停车难" || v.Status != models.BookingConfirmed {
		t.Errorf("view %+v", v)
	}
	if _, err := models.GetVoterBooking(ctx, db, 2, ids[0], cst); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another voter's booking: %v", err)
	}
}

func TestSlotAdmission(t *testing.T) {
	cases := []struct {
		name                         string
		capacity, confirmed, waiting int
		waitlist                     bool
		max                          int
		want                         models.BookingStatus
	}{
		{"free seat", 4, 3, 0, false, 0, models.BookingConfirmed},
		{"full, no waitlist", 4, 4, 0, false, 0, ""},
		{"full, waitlist with room", 4, 4, 1, true, 2, models.BookingWaitlisted},
		{"full, waitlist full", 4, 4, 2, true, 2, ""},
		{"full, uncapped waitlist", 4, 4, 500, true, 0, models.BookingWaitlisted},
		{"walk-in only slot", 0, 0, 0, false, 0, ""},
	}
	for _, c := range cases {
		s := models.Slot{Capacity: c.capacity, Confirmed: c.confirmed, Waitlisted: c.waiting}
		got, err := s.Admission(models.ReceptionDay{Waitlist: c.waitlist, WaitlistMax: c.max})
		if got != c.want || (c.want == "") != errors.Is(err, models.ErrSlotFull) {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
}
