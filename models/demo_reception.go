package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DemoOpensDaysBefore is how early demo reception days open for booking.
// Consecutive reception days are at most about 40 days apart (a 31-day
// month plus a weekend or holiday shift, even a Spring Festival week), so
// with 45 days some day is always open: a newcomer can book at once on any
// day of the month (demo_reception_test.go checks every day of 2025–2026).
const DemoOpensDaysBefore = 45

// DemoMonthsAhead is how many months beyond the current one the demo
// generates; the scheduler's daily GenerateReceptionDays keeps it going.
const DemoMonthsAhead = 2

// demoRuleFor gives the demo county's rule for a station: every station
// receives on the 10th at the same time (docs/ARCHITECTURE.md#reception-days, "邀您见"); the deputy
// home has more seats, village stations fewer. Waitlists are on everywhere.
func demoRuleFor(st Station) ReceptionRule {
	r := DefaultReceptionRule(st.ID)
	r.OpensDaysBefore = DemoOpensDaysBefore
	r.Waitlist, r.WaitlistMax = true, 10
	switch {
	case st.Kind == KindHome:
		r.SeatsPerSlot, r.WalkInSeats = 8, 2
	case st.OpenHours == hoursVillage:
		r.SeatsPerSlot, r.WalkInSeats = 4, 1
	}
	return r
}

// LoadDemoReception gives every demo station without a reception rule the
// demo rule (see demoRuleFor) and generates reception days for the current
// month and the next DemoMonthsAhead months, dates read in loc (the
// deployment's time zone). Call it after LoadDemo. It is idempotent: a
// station that has a rule keeps it, and days already generated are left as
// they are.
func LoadDemoReception(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) error {
	names := make([]string, len(demoStations))
	for i, d := range demoStations {
		names[i] = d.Name
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var stations []Station
		if err := tx.Where("name IN ?", names).Order("id").Find(&stations).Error; err != nil {
			return translate(err)
		}
		if len(stations) == 0 {
			return fmt.Errorf("no demo stations: run LoadDemo first")
		}
		var have []uint64
		if err := tx.Model(&ReceptionRule{}).Pluck("station_id", &have).Error; err != nil {
			return translate(err)
		}
		has := map[uint64]bool{}
		for _, id := range have {
			has[id] = true
		}
		created := 0
		for _, st := range stations {
			if has[st.ID] {
				continue
			}
			r := demoRuleFor(st)
			r.CreatedAt, r.UpdatedAt = now.UTC(), now.UTC()
			if err := tx.Create(&r).Error; err != nil {
				return translate(err)
			}
			created++
		}
		if created == 0 {
			return nil
		}
		return Audit(ctx, tx, now, SystemActor, "demo.reception_rules", "demo", 0, "", "",
			fmt.Sprintf("demo county %s: %d reception rules created", DemoCountyName, created))
	})
	if err != nil {
		return fmt.Errorf("load demo reception rules: %w", err)
	}
	if _, err := GenerateReceptionDays(ctx, db, now, loc, DemoMonthsAhead); err != nil {
		return fmt.Errorf("load demo reception days: %w", err)
	}
	return nil
}
