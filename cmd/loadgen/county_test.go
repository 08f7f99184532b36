package main

import (
	"errors"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure the county-year generator, at 1/100 of the scale, writes the 76
// stations of the county, the scaled opinions and bookings, consistent
// counters (every day's tracking-number sequence, every slot's seats), a
// workflow the console can read, and refuses a database that has data.
func TestCountyGeneratorSmallScale(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := t.Context()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	rep, err := generateCounty(ctx, db, countyOpts{Scale: 0.01, Seed: 1, Now: now, Loc: loc, Password: "bench-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	count := func(m any, where ...any) int {
		var n int64
		q := db.Model(m)
		if len(where) > 0 {
			q = q.Where(where[0], where[1:]...)
		}
		if err := q.Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"stations", count(&models.Station{}), 76},
		{"deputy homes", count(&models.Station{}, "kind = ?", models.KindHome), 12},
		{"legislative points", count(&models.Station{}, "kind = ?", models.KindLegislative), 1},
		{"opinions", count(&models.Opinion{}), 500},
		{"bookings", count(&models.Booking{}), 200},
		{"reception days (13 months + 1)", count(&models.ReceptionDay{}), 76 * 14},
		{"consoles logins", count(&models.Staff{}, "username IN ?", []string{"bench_admin", "bench_clerk"}), 2},
		{"submitted timeline steps", count(&models.OpinionTimelineEntry{}, "kind = ?", "submitted"), 500},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if got := count(&models.Deputy{}); got < 60 {
		t.Errorf("deputies: %d, want the demo's at least", got)
	}
	// A year of items: old ones mostly closed, some still open.
	if closed := count(&models.Opinion{}, "status = ?", models.OpinionClosed); closed < 250 || closed > 480 {
		t.Errorf("closed items: %d of 500", closed)
	}
	if open := count(&models.Opinion{}, "status IN ?", []models.OpinionStatus{models.OpinionSubmitted, models.OpinionAccepted}); open == 0 {
		t.Error("no open items")
	}
	if n := count(&models.Opinion{}, "created_at < ? OR created_at > ?", now.AddDate(-1, 0, -1), now); n != 0 {
		t.Errorf("%d items outside the year", n)
	}
	// Every day's counter is its last tracking number: a new filing does
	// not collide.
	var bad int64
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var counters []models.OpinionCounter
	must(db.Find(&counters).Error)
	var nos []string
	must(db.Model(&models.Opinion{}).Pluck("tracking_no", &nos).Error)
	perDay := map[string]int{}
	for _, no := range nos {
		perDay[no[2:10]]++
	}
	for _, c := range counters {
		if c.Seq != perDay[c.Day] {
			t.Errorf("day %s: counter %d, %d items", c.Day, c.Seq, perDay[c.Day])
		}
	}
	if len(counters) != len(perDay) {
		t.Errorf("%d counters for %d days with items", len(counters), len(perDay))
	}
	// Every slot's confirmed count is its seat-holding bookings.
	must(db.Raw(`SELECT COUNT(*) FROM slots s WHERE s.confirmed <> (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('confirmed','checked_in','no_show'))`).Scan(&bad).Error)
	if bad != 0 {
		t.Errorf("%d slots with a wrong confirmed count", bad)
	}
	// The console reads it: the clerk's inbox and an item.
	var clerk models.Staff
	must(db.Where("username = ?", "bench_clerk").First(&clerk).Error)
	items, _, err := models.ListStaffOpinions(ctx, db, clerk.ID, models.StaffQuery{Limit: 20}, now, loc)
	must(err)
	if len(items) == 0 {
		t.Fatal("the clerk's inbox is empty")
	}
	v, err := models.GetStaffOpinion(ctx, db, clerk.ID, items[0].ID, now, loc)
	must(err)
	if len(v.Timeline) == 0 {
		t.Errorf("item %s has no timeline", v.TrackingNo)
	}

	if _, err := generateCounty(ctx, db, countyOpts{Scale: 0.01, Now: now, Loc: loc, Password: "x"}); !errors.Is(err, errNotEmpty) {
		t.Errorf("second run: %v, want errNotEmpty", err)
	}
}
