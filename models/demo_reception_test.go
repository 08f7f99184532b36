package models_test

import (
	"context"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// openDayAt reports whether, at now, some reception day of the rule within
// the generation horizon (this month and DemoMonthsAhead more, dated after
// today) is open for booking.
func openDayAt(t *testing.T, cal *models.Calendar, r models.ReceptionRule, now time.Time) bool {
	today := now.In(cst).Format(models.DateLayout)
	for k := 0; k <= models.DemoMonthsAhead; k++ {
		m := time.Date(now.Year(), now.Month()+time.Month(k), 1, 0, 0, 0, 0, cst)
		p, err := models.PlanReceptionDay(r, cal, m.Year(), m.Month(), cst)
		if err != nil {
			t.Fatal(err)
		}
		if p.Date > today && !now.Before(p.BookingOpensAt) && now.Before(p.BookingClosesAt) {
			return true
		}
	}
	return false
}

// Ensure the demo rule leaves some day open at every moment of 2025–2027,
// and that the default 14-day window would not (so the check means something).
func TestDemoRuleAlwaysHasAnOpenDay(t *testing.T) {
	cal := models.NewCalendar(models.OfficialHolidays())
	demo := models.DefaultReceptionRule(1)
	demo.OpensDaysBefore = models.DemoOpensDaysBefore
	gaps := 0
	for d := at(2025, 1, 1, 0, 0); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		for _, hm := range [][2]int{{0, 0}, {9, 0}, {17, 59}, {18, 0}, {23, 59}} {
			now := time.Date(d.Year(), d.Month(), d.Day(), hm[0], hm[1], 0, 0, cst)
			if !openDayAt(t, cal, demo, now) {
				t.Fatalf("demo rule: nothing open at %v", now)
			}
			if !openDayAt(t, cal, models.DefaultReceptionRule(1), now) {
				gaps++
			}
		}
	}
	if gaps == 0 {
		t.Error("the default 14-day window never has a gap: the check is vacuous")
	}
}

// Ensure a newcomer starting the demo can book at every station at once,
// including on awkward days: just after booking closed, on the reception
// day, at a month's end and inside the Spring Festival.
func TestLoadDemoReceptionBookableAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, now := range []time.Time{
		at(2026, 3, 9, 18, 0), at(2026, 3, 10, 10, 0), at(2026, 3, 31, 23, 59), at(2026, 2, 20, 12, 0),
	} {
		t.Run(now.Format("2006-01-02T15:04"), func(t *testing.T) {
			db := modelstest.NewDB(t)
			if _, err := models.LoadDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
			if err := models.LoadDemoReception(ctx, db, now, cst); err != nil {
				t.Fatal(err)
			}
			days, _, err := models.ListReceptionDays(ctx, db, models.ReceptionQuery{Limit: 200}, now)
			if err != nil {
				t.Fatal(err)
			}
			open := map[uint64]uint64{} // station → a bookable slot
			for _, d := range days {
				if len(d.Deputies) == 0 {
					t.Errorf("%s %s has no deputies on duty", d.Station.Name, d.Date)
				}
				for _, s := range d.Slots {
					if d.BookingOpen && s.Remaining > 0 && open[d.Station.ID] == 0 {
						open[d.Station.ID] = s.ID
					}
				}
			}
			var stations int64
			db.Model(&models.Station{}).Count(&stations)
			if int64(len(open)) != stations {
				t.Fatalf("%d of %d stations bookable at %v", len(open), stations, now)
			}
			voter := uint64(1)
			for _, slot := range open {
				// Different stations' days share the 10th, so use a voter each.
				b, _, err := models.BookSlot(ctx, db, voter, slot, "", now)
				if err != nil || b.Status != models.BookingConfirmed {
					t.Fatalf("booking slot %d: %+v, %v", slot, b, err)
				}
				voter++
			}

			var rules, dayRows int64
			db.Model(&models.ReceptionRule{}).Count(&rules)
			db.Model(&models.ReceptionDay{}).Count(&dayRows)
			if err := models.LoadDemoReception(ctx, db, now, cst); err != nil {
				t.Fatal(err)
			}
			var rules2, days2 int64
			db.Model(&models.ReceptionRule{}).Count(&rules2)
			db.Model(&models.ReceptionDay{}).Count(&days2)
			if rules2 != rules || days2 != dayRows || rules != stations {
				t.Errorf("second load: rules %d→%d, days %d→%d", rules, rules2, dayRows, days2)
			}
		})
	}
}
