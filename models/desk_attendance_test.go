package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure the booking QR's text round-trips through ParseBookingCode, and
// that typed codes are read with spaces, dashes, lower case and full-width
// characters, while anything else is refused.
func TestBookingQRTextAndParseBookingCode(t *testing.T) {
	const code = "K7M2QX"
	if got := models.BookingQRText(code); got != "DLBK:K7M2QX" {
		t.Fatalf("BookingQRText = %q", got)
	}
	for _, in := range []string{
		"K7M2QX", "k7m2qx", " K7M 2QX ", "K7M-2QX", "ｋ７ｍ２ｑｘ", "K7M\u30002QX",
		"DLBK:K7M2QX", "dlbk:k7m2qx", "ＤＬＢＫ：Ｋ７Ｍ２ＱＸ", " DLBK: K7M2QX\n",
	} {
		if got, ok := models.ParseBookingCode(in); !ok || got != code {
			t.Errorf("ParseBookingCode(%q) = %q, %v; want %q", in, got, ok, code)
		}
	}
	for _, in := range []string{
		"", "K7M2Q", "K7M2QXX", "K7M2Q0", "K7M2QI", "DLBK:", "DLBK:K7M2Q", "XXXX:K7M2QX",
		"DLBKK7M2QX", "https://example.com/K7M2QX", "K7M2QX\x00",
	} {
		if got, ok := models.ParseBookingCode(in); ok {
			t.Errorf("ParseBookingCode(%q) = %q, accepted", in, got)
		}
	}
}

// Ensure deputies on the roster are signed in at the desk by staff (once,
// audited, within the staff's stations and the day's hours) or by scanning
// the desk's code with a bound openid, that a deputy who came unscheduled
// is added signed in, that re-setting the roster keeps who came, and that
// only those signed in get a ReceptionRecord when the day closes.
func TestDeskDeputySignIn(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	day := f.day(0, recDate)
	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
	outsider := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 10}, StationIDs: []uint64{f.stations[1].ID}}
	var deps []models.Deputy
	f.must(db.Order("id").Find(&deps).Error)
	// Station 0's roster was generated with its two active deputies.
	onRoster, alsoOnRoster, visitor := deps[0], deps[1], deps[3]
	onDay := at(2026, 3, 10, 9, 5)

	_, err := models.SignInDeputy(ctx, db, outsider, day.ID, onRoster.ID, onDay)
	wantCode(t, err, "reception_day_not_found")
	_, err = models.SignInDeputy(ctx, db, staff, day.ID, onRoster.ID, at(2026, 3, 10, 7, 30))
	wantCode(t, err, "checkin_not_open")
	_, err = models.SignInDeputy(ctx, db, staff, day.ID, visitor.ID, onDay)
	wantCode(t, err, "deputy_not_on_roster")
	if already, err := models.SignInDeputy(ctx, db, staff, day.ID, onRoster.ID, onDay); err != nil || already {
		t.Fatalf("sign in: %v %v", already, err)
	}
	if already, err := models.SignInDeputy(ctx, db, staff, day.ID, onRoster.ID, onDay.Add(time.Minute)); err != nil || !already {
		t.Fatalf("second sign in: %v %v", already, err)
	}
	var e models.RosterEntry
	f.must(db.Where("day_id = ? AND deputy_id = ?", day.ID, onRoster.ID).First(&e).Error)
	if e.SignedInAt == nil || !e.SignedInAt.Equal(onDay) || e.SignedInBy == nil || *e.SignedInBy != 9 || e.SignInVia != models.SignInByStaff {
		t.Errorf("entry %+v", e)
	}

	// By scan: the openid must be a bound deputy on the roster.
	_, err = models.SignInDeputyByScan(ctx, db, day.ID, "oa-nobody", onDay)
	wantCode(t, err, "deputy_not_bound")
	_, err = models.SignInDeputyByScan(ctx, db, day.ID, "", onDay)
	wantCode(t, err, "deputy_not_bound")
	f.must(db.Model(&models.Deputy{}).Where("id = ?", alsoOnRoster.ID).Update("oa_openid", "oa-also").Error)
	f.must(db.Model(&models.Deputy{}).Where("id = ?", visitor.ID).Update("oa_openid", "oa-visitor").Error)
	_, err = models.SignInDeputyByScan(ctx, db, day.ID, "oa-visitor", onDay)
	wantCode(t, err, "deputy_not_on_roster")
	_, err = models.SignInDeputyByScan(ctx, db, day.ID, "oa-also", at(2026, 3, 9, 9, 0))
	wantCode(t, err, "checkin_not_open")
	scan, err := models.SignInDeputyByScan(ctx, db, day.ID, "oa-also", onDay)
	if err != nil || scan.Already || scan.Reply() != alsoOnRoster.Name+"代表，您已在"+f.stations[0].Name+"签到。" {
		t.Fatalf("scan: %+v %q %v", scan, scan.Reply(), err)
	}
	if scan, err := models.SignInDeputyByScan(ctx, db, day.ID, "oa-also", onDay); err != nil || !scan.Already ||
		!strings.Contains(scan.Reply(), "签过到") {
		t.Errorf("second scan: %+v %v", scan, err)
	}
	e = models.RosterEntry{}
	f.must(db.Where("day_id = ? AND deputy_id = ?", day.ID, alsoOnRoster.ID).First(&e).Error)
	if e.SignedInAt == nil || e.SignedInBy != nil || e.SignInVia != models.SignInByScan {
		t.Errorf("scanned entry %+v", e)
	}

	// The visitor came unscheduled: added at the desk, signed in.
	wantCode(t, models.AddDeskDeputy(ctx, db, staff, day.ID, 999999, onDay), "deputy_not_found")
	wantCode(t, models.AddDeskDeputy(ctx, db, staff, day.ID, deps[2].ID, onDay), "deputy_not_found") // retired
	wantCode(t, models.AddDeskDeputy(ctx, db, outsider, day.ID, visitor.ID, onDay), "reception_day_not_found")
	f.must(models.AddDeskDeputy(ctx, db, staff, day.ID, visitor.ID, onDay))
	f.must(models.AddDeskDeputy(ctx, db, staff, day.ID, visitor.ID, onDay)) // twice: nothing new

	// Re-setting the roster to nobody keeps the three who came.
	f.must(models.SetRoster(ctx, db, staff.Actor, day.ID, []uint64{}, onDay))
	desk, err := models.DeskDay(ctx, db, staff, day.ID, onDay, cst)
	f.must(err)
	var names []string
	for _, d := range desk.Roster {
		if !d.SignedIn {
			t.Errorf("not signed in but kept: %+v", d)
		}
		names = append(names, d.Name)
		if d.ID == visitor.ID && !d.AtDesk {
			t.Errorf("visitor not marked as added at the desk: %+v", d)
		}
		if d.ID == alsoOnRoster.ID && d.SignedInText != "09:05 扫码签到" {
			t.Errorf("scan text %q", d.SignedInText)
		}
	}
	if len(names) != 3 {
		t.Errorf("roster after re-set %v", names)
	}

	var actions []string
	trail, _ := models.AuditTrail(ctx, db, "reception_day", day.ID)
	for _, a := range trail {
		if a.Action == "reception_day.deputy_sign_in" {
			actions = append(actions, a.ActorKind)
		}
	}
	if !slices.Equal(actions, []string{"staff", "deputy", "staff"}) {
		t.Errorf("sign-in audit by %v", actions)
	}

	// Station 1's day: its roster deputies never came.
	rep, err := models.CloseReceptionDay(ctx, db, day.ID, at(2026, 3, 10, 12, 0))
	if err != nil || rep.Records != 3 {
		t.Fatalf("close: %+v %v", rep, err)
	}
	rep, err = models.CloseReceptionDay(ctx, db, f.day(1, recDate).ID, at(2026, 3, 10, 12, 0))
	if err != nil || rep.Records != 0 {
		t.Errorf("close of a day nobody signed in at: %+v %v", rep, err)
	}
	if recs, _ := models.ListReceptionRecords(ctx, db, alsoOnRoster.ID, recDate, recDate); len(recs) != 1 {
		t.Errorf("scanned deputy's records %+v", recs)
	}
	_, err = models.SignInDeputyByScan(ctx, db, day.ID, "oa-also", at(2026, 3, 10, 12, 5))
	wantCode(t, err, "reception_closed")
}

// Ensure invited guests (局长进站) are added with their department, name
// and title, signed in once, removed only before they signed in, and only
// by staff of the day's station.
func TestDeskGuests(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	day := f.day(0, recDate)
	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
	outsider := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 10}, StationIDs: []uint64{f.stations[1].ID}}

	for _, c := range []struct {
		in    models.GuestInput
		field string
	}{
		{models.GuestInput{Name: "李明", Title: "局长"}, "department"},
		{models.GuestInput{Department: "县交通运输局", Title: "局长"}, "name"},
		{models.GuestInput{Department: strings.Repeat("局", 101), Name: "李明"}, "department"},
		{models.GuestInput{Department: "县交通运输局", Name: strings.Repeat("名", 51)}, "name"},
		{models.GuestInput{Department: "县交通运输局", Name: "李明", Title: strings.Repeat("长", 51)}, "title"},
	} {
		var ve *models.ValidationError
		if _, err := models.AddGuest(ctx, db, staff, day.ID, c.in, bookNow); !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: %v, want field %s", c.in, err, c.field)
		}
	}
	_, err := models.AddGuest(ctx, db, outsider, day.ID, models.GuestInput{Department: "县交通运输局", Name: "李明"}, bookNow)
	wantCode(t, err, "reception_day_not_found")
	// Invited ahead of the day.
	g, err := models.AddGuest(ctx, db, staff, day.ID, models.GuestInput{Department: " 县交通运输局 ", Name: "李明", Title: "局长"}, bookNow)
	if err != nil || g.ID == 0 || g.Department != "县交通运输局" {
		t.Fatalf("add: %+v %v", g, err)
	}
	g2, err := models.AddGuest(ctx, db, staff, day.ID, models.GuestInput{Department: "县住建局", Name: "赵强", Title: "副局长"}, bookNow)
	f.must(err)

	_, err = models.SignInGuest(ctx, db, staff, day.ID, g.ID, bookNow)
	wantCode(t, err, "checkin_not_open")
	onDay := at(2026, 3, 10, 9, 20)
	_, err = models.SignInGuest(ctx, db, outsider, day.ID, g.ID, onDay)
	wantCode(t, err, "reception_day_not_found")
	_, err = models.SignInGuest(ctx, db, staff, f.day(1, recDate).ID, g.ID, onDay)
	wantCode(t, err, "reception_day_not_found")
	_, err = models.SignInGuest(ctx, db, staff, day.ID, 999999, onDay)
	wantCode(t, err, "guest_not_found")
	if already, err := models.SignInGuest(ctx, db, staff, day.ID, g.ID, onDay); err != nil || already {
		t.Fatalf("sign in: %v %v", already, err)
	}
	if already, err := models.SignInGuest(ctx, db, staff, day.ID, g.ID, onDay); err != nil || !already {
		t.Errorf("second sign in: %v %v", already, err)
	}
	wantCode(t, models.RemoveGuest(ctx, db, staff, day.ID, g.ID, onDay), "guest_signed_in")
	wantCode(t, models.RemoveGuest(ctx, db, outsider, day.ID, g2.ID, onDay), "reception_day_not_found")
	f.must(models.RemoveGuest(ctx, db, staff, day.ID, g2.ID, onDay))
	wantCode(t, models.RemoveGuest(ctx, db, staff, day.ID, g2.ID, onDay), "guest_not_found")

	desk, err := models.DeskDay(ctx, db, staff, day.ID, onDay, cst)
	f.must(err)
	if len(desk.Guests) != 1 || desk.Guests[0].Name != "李明" || desk.Guests[0].SignedInText != "09:20" {
		t.Errorf("desk guests %+v", desk.Guests)
	}
}

// Ensure a single confirmed booking is marked a no-show only once its slot
// has ended, keeps its seat in the count, and is then refused at check-in;
// and that the desk shows each booking's state.
func TestMarkNoShowAndDeskView(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	s := f.slots(0, recDate)
	day := f.day(0, recDate)
	staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
	outsider := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 10}, StationIDs: []uint64{f.stations[1].ID}}
	book := func(voter, slot uint64) models.Booking {
		b, _, err := models.BookSlot(ctx, db, voter, slot, "小区停车难", bookNow)
		f.must(err)
		return b
	}
	f.must(db.Create(&models.Voter{ID: 1, PhoneMasked: "138****5678"}).Error)
	late, came, waiting, later := book(1, s[0].ID), book(2, s[0].ID), book(3, s[0].ID), book(4, s[1].ID)
	f.must(errOnly(models.CheckIn(ctx, db, staff, day.ID, "DLBK:"+came.CheckinCode, at(2026, 3, 10, 9, 3))))

	during := at(2026, 3, 10, 9, 20) // slot 1 is 09:00～09:30
	_, err := models.MarkNoShow(ctx, db, staff, day.ID, late.ID, during)
	wantCode(t, err, "slot_not_ended")
	after := at(2026, 3, 10, 9, 31)
	_, err = models.MarkNoShow(ctx, db, outsider, day.ID, late.ID, after)
	wantCode(t, err, "reception_day_not_found")
	_, err = models.MarkNoShow(ctx, db, staff, f.day(1, recDate).ID, late.ID, after)
	wantCode(t, err, "reception_day_not_found")
	_, err = models.MarkNoShow(ctx, db, staff, day.ID, came.ID, after)
	wantCode(t, err, "already_checked_in")
	_, err = models.MarkNoShow(ctx, db, staff, day.ID, waiting.ID, after)
	wantCode(t, err, "booking_not_confirmed")
	_, err = models.MarkNoShow(ctx, db, staff, day.ID, 999999, after)
	wantCode(t, err, "booking_not_found")

	// The desk before marking: the late voter can still be marked.
	desk, err := models.DeskDay(ctx, db, staff, day.ID, after, cst)
	f.must(err)
	if desk.Booked != 3 || desk.CheckedIn != 1 || desk.Waitlisted != 1 || !desk.CheckinOpen || desk.Closed || !desk.Today ||
		desk.DateText != "2026年3月10日" || desk.Station.ID != f.stations[0].ID {
		t.Errorf("desk %+v", desk)
	}
	first := desk.Slots[0]
	if first.Label != "09:00～09:30" || !first.Ended || len(first.Bookings) != 3 || desk.Slots[1].Ended {
		t.Fatalf("first slot %+v", first)
	}
	states := map[uint64]string{}
	for _, b := range append(first.Bookings, desk.Slots[1].Bookings...) {
		states[b.ID] = b.StatusLabel
		if b.ID == late.ID && (!b.CanMarkNoShow || b.Phone != "138****5678" || b.Topic != "小区停车难") {
			t.Errorf("late booking at the desk %+v", b)
		}
		if b.ID != late.ID && b.CanMarkNoShow {
			t.Errorf("%+v may be marked a no-show", b)
		}
	}
	if states[late.ID] != "已预约" || states[came.ID] != "已签到" || states[waiting.ID] != "候补" || states[later.ID] != "已预约" {
		t.Errorf("states %v", states)
	}

	b, err := models.MarkNoShow(ctx, db, staff, day.ID, late.ID, after)
	if err != nil || b.Status != models.BookingNoShow || b.ActiveKey != nil {
		t.Fatalf("mark: %+v %v", b, err)
	}
	_, err = models.MarkNoShow(ctx, db, staff, day.ID, late.ID, after)
	wantCode(t, err, "booking_no_show")
	_, err = models.CheckIn(ctx, db, staff, day.ID, late.CheckinCode, after)
	wantCode(t, err, "booking_no_show")
	if sl := f.slot(s[0].ID); sl.Confirmed != 2 || sl.Waitlisted != 1 {
		t.Errorf("slot after no-show %+v", sl)
	}
	trail, _ := models.AuditTrail(ctx, db, "booking", late.ID)
	if len(trail) != 1 || trail[0].Action != "booking.no_show" || trail[0].ActorID != 9 {
		t.Errorf("audit %+v", trail)
	}
	checkInvariants(t, db)

	// After the day: the rest are no-shows, and nothing more can be marked.
	rep, err := models.CloseReceptionDay(ctx, db, day.ID, at(2026, 3, 10, 12, 0))
	if err != nil || rep.NoShows != 1 {
		t.Fatalf("close %+v %v", rep, err)
	}
	desk, err = models.DeskDay(ctx, db, staff, day.ID, at(2026, 3, 11, 9, 0), cst)
	f.must(err)
	if !desk.Closed || desk.NoShows != 2 || desk.Today || desk.CheckinOpen {
		t.Errorf("closed desk %+v", desk)
	}
	_, err = models.MarkNoShow(ctx, db, staff, day.ID, later.ID, at(2026, 3, 11, 9, 0))
	wantCode(t, err, "reception_closed")
	if _, err := models.DeskDay(ctx, db, outsider, day.ID, after, cst); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another station's desk: %v", err)
	}
}

// Ensure the desk's list of days puts today's first, then the upcoming,
// then the finished ones, within the staff's stations.
func TestListDeskDays(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 2, small)
	ctx := f.ctx
	staff := models.StaffScope{StationIDs: []uint64{f.stations[0].ID}}
	days, err := models.ListDeskDays(ctx, db, staff, at(2026, 3, 10, 8, 0), cst)
	f.must(err)
	if len(days.Today) != 1 || days.Today[0].ID != f.day(0, recDate).ID || days.Today[0].StationName != f.stations[0].Name ||
		days.Today[0].Deputies != 2 || days.Today[0].DateText != "3月10日" {
		t.Errorf("today %+v", days.Today)
	}
	for _, d := range append(days.Upcoming, days.Recent...) {
		if d.StationName != f.stations[0].Name {
			t.Errorf("another station's day %+v", d)
		}
	}
	if len(days.Upcoming) == 0 || days.Upcoming[0].Date <= recDate || len(days.Recent) != 0 {
		t.Errorf("upcoming %+v recent %+v", days.Upcoming, days.Recent)
	}
	all, err := models.ListDeskDays(ctx, db, models.StaffScope{All: true}, at(2026, 3, 11, 8, 0), cst)
	f.must(err)
	if len(all.Today) != 0 || len(all.Recent) != 2 || all.Recent[0].Date != recDate {
		t.Errorf("admin's days today %+v recent %+v", all.Today, all.Recent)
	}
}

// Ensure the reception desk's migration step can run again on a database
// that has it (MySQL commits each statement, so a rerun must be safe).
func TestReceptionDeskStepReruns(t *testing.T) {
	db := modelstest.NewDB(t)
	for _, m := range models.Migrations() {
		if m.Name == "reception desk" {
			if err := m.Up(db); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			return
		}
	}
	t.Fatal("no reception desk step")
}
