package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

func date(s string) time.Time {
	t, err := time.ParseInLocation(models.DateLayout, s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// Ensure the shipped data says what the State Council notices say.
func TestOfficialHolidaysMatchTheNotices(t *testing.T) {
	rows := models.OfficialHolidays()
	kinds := map[string]models.HolidayKind{}
	perYear := map[string][2]int{}
	for _, h := range rows {
		if _, dup := kinds[h.Date]; dup {
			t.Errorf("%s listed twice", h.Date)
		}
		kinds[h.Date] = h.Kind
		c := perYear[h.Date[:4]]
		if h.Kind == models.HolidayOff {
			c[0]++
		} else {
			c[1]++
		}
		perYear[h.Date[:4]] = c
	}
	// 2025: 1+8+3+5+3+8 days off, workdays 1/26 2/8 4/27 9/28 10/11.
	// 2026: 3+9+3+5+3+3+7 days off, workdays 1/4 2/14 2/28 5/9 9/20 10/10.
	if perYear["2025"] != [2]int{28, 5} || perYear["2026"] != [2]int{33, 6} {
		t.Errorf("days off / make-up workdays per year = %v", perYear)
	}
	for d, want := range map[string]models.HolidayKind{
		"2025-01-28": models.HolidayOff, "2025-02-04": models.HolidayOff, "2025-02-08": models.HolidayWorkday,
		"2025-05-31": models.HolidayOff, "2025-10-08": models.HolidayOff, "2025-10-11": models.HolidayWorkday,
		"2026-01-03": models.HolidayOff, "2026-01-04": models.HolidayWorkday, "2026-02-15": models.HolidayOff,
		"2026-02-23": models.HolidayOff, "2026-05-09": models.HolidayWorkday, "2026-06-19": models.HolidayOff,
		"2026-09-20": models.HolidayWorkday, "2026-09-27": models.HolidayOff, "2026-10-07": models.HolidayOff,
	} {
		if kinds[d] != want {
			t.Errorf("%s = %q, want %q", d, kinds[d], want)
		}
	}
	for _, d := range []string{"2025-09-29", "2026-02-24", "2026-10-08", "2026-02-14"} {
		if kinds[d] == models.HolidayOff {
			t.Errorf("%s should not be a day off", d)
		}
	}
}

func TestIsAndNextWorkingDay(t *testing.T) {
	cal := models.NewCalendar(models.OfficialHolidays())
	cases := []struct {
		day     string
		working bool
		next    string
	}{
		{"2026-02-13", true, "2026-02-13"},  // Friday
		{"2026-02-14", true, "2026-02-14"},  // Saturday, make-up workday
		{"2026-02-15", false, "2026-02-24"}, // Spring Festival Sunday
		{"2026-02-16", false, "2026-02-24"}, // Spring Festival Monday
		{"2026-02-28", true, "2026-02-28"},  // Saturday, make-up workday
		{"2026-03-01", false, "2026-03-02"}, // ordinary Sunday
		{"2026-10-10", true, "2026-10-10"},  // Saturday, make-up workday
		{"2026-10-11", false, "2026-10-12"}, // Sunday
		{"2025-10-01", false, "2025-10-09"}, // National Day + Mid-Autumn
		{"2027-01-01", true, "2027-01-01"},  // no data yet: a plain Friday
	}
	for _, c := range cases {
		if got := cal.IsWorkingDay(date(c.day)); got != c.working {
			t.Errorf("IsWorkingDay(%s) = %v", c.day, got)
		}
		if got := cal.NextWorkingDay(date(c.day)).Format(models.DateLayout); got != c.next {
			t.Errorf("NextWorkingDay(%s) = %s, want %s", c.day, got, c.next)
		}
	}
	var none *models.Calendar // weekends only
	if !none.IsWorkingDay(date("2026-02-16")) || none.IsWorkingDay(date("2026-02-14")) {
		t.Error("a nil calendar should know weekends only")
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := models.NewCalendar(models.OfficialHolidays())
	cases := []struct {
		name  string
		start time.Time
		n     int
		want  string
	}{
		{"Thu +2 reaches the make-up Saturday", at(2026, 2, 12, 15, 0), 2, "2026-02-14"},
		{"Fri +2 jumps the Spring Festival", at(2026, 2, 13, 9, 0), 2, "2026-02-24"},
		{"Thu +3 jumps the Spring Festival", at(2026, 2, 12, 9, 0), 3, "2026-02-24"},
		{"inside the holiday +1", at(2026, 2, 18, 9, 0), 1, "2026-02-24"},
		{"Fri +1 is the make-up Saturday", at(2026, 2, 27, 9, 0), 1, "2026-02-28"},
		{"0 is the start date", at(2026, 2, 15, 9, 0), 0, "2026-02-15"},
		{"UTC evening is the next local day", time.Date(2026, 2, 12, 17, 0, 0, 0, time.UTC), 2, "2026-02-24"},
		{"before National Day 2025 +1", at(2025, 9, 30, 9, 0), 1, "2025-10-09"},
		{"before National Day 2025 +3", at(2025, 9, 30, 9, 0), 3, "2025-10-11"},
		{"reply within 15 across Mid-Autumn and National Day 2026", at(2026, 9, 18, 9, 0), 15, "2026-10-15"},
		{"backwards over the Spring Festival", at(2026, 2, 24, 9, 0), -2, "2026-02-13"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := cal.AddWorkingDays(c.start, c.n, cst)
			if got.Format(models.DateLayout) != c.want || got.Location() != cst || got.Hour() != 0 {
				t.Fatalf("got %v, want %s 00:00 CST", got, c.want)
			}
		})
	}
	if d := cal.WorkingDeadline(at(2026, 2, 13, 9, 0), 2, cst); !d.Equal(at(2026, 2, 25, 0, 0)) {
		t.Errorf("deadline %v, want the end of 24 Feb", d)
	}
}

func TestHolidayTableAndAdminEdits(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	now := at(2026, 1, 5, 9, 0)
	cal, err := models.LoadCalendar(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkingDay(date("2026-02-16")) || !cal.IsWorkingDay(date("2026-02-14")) {
		t.Fatal("migration did not seed the official calendar")
	}
	if n, err := models.EnsureHolidays(ctx, db); err != nil || n != 0 {
		t.Fatalf("EnsureHolidays again: %d, %v; want 0", n, err)
	}

	admin := models.Actor{Kind: "staff", ID: 7}
	// A local make-up arrangement: Saturday 7 March becomes a workday.
	if err := models.SetHoliday(ctx, db, admin, models.Holiday{Date: "2026-03-07", Kind: models.HolidayWorkday, Name: "本地调休"}, now); err != nil {
		t.Fatal(err)
	}
	// An admin correction of a shipped row survives EnsureHolidays.
	if err := models.SetHoliday(ctx, db, admin, models.Holiday{Date: "2026-02-23", Kind: models.HolidayWorkday, Name: "更正"}, now); err != nil {
		t.Fatal(err)
	}
	if n, _ := models.EnsureHolidays(ctx, db); n != 0 {
		t.Errorf("EnsureHolidays inserted %d rows over admin edits", n)
	}
	if err := models.DeleteHoliday(ctx, db, admin, "2026-02-22", now); err != nil {
		t.Fatal(err)
	}
	cal, _ = models.LoadCalendar(ctx, db)
	if !cal.IsWorkingDay(date("2026-03-07")) || !cal.IsWorkingDay(date("2026-02-23")) || cal.IsWorkingDay(date("2026-02-22")) {
		t.Error("edits not reflected (22 Feb is a plain Sunday after the delete)")
	}
	trail, _ := models.AuditTrail(ctx, db, "holiday", 20260223)
	if len(trail) != 1 || trail[0].FromState != "holiday" || trail[0].ToState != "workday" || trail[0].ActorID != 7 {
		t.Errorf("audit trail %+v", trail)
	}
	if trail, _ := models.AuditTrail(ctx, db, "holiday", 20260222); len(trail) != 1 || trail[0].Action != "holiday.delete" {
		t.Errorf("delete not audited: %+v", trail)
	}

	wantCode(t, models.DeleteHoliday(ctx, db, admin, "2026-03-03", now), "holiday_not_found")
	for _, h := range []models.Holiday{
		{Date: "2026-3-7", Kind: models.HolidayOff, Name: "x"},
		{Date: "2026-03-07", Kind: "vacation", Name: "x"},
		{Date: "2026-03-07", Kind: models.HolidayOff, Name: " "},
	} {
		if err := models.SetHoliday(ctx, db, admin, h, now); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("%+v: err = %v, want invalid", h, err)
		}
	}
	rows, err := models.ListHolidays(ctx, db, "2026-02-01", "2026-02-28")
	if err != nil || len(rows) != 10 { // 14, 15–21, 23, 28 (22 deleted)
		t.Errorf("February rows: %d, %v", len(rows), err)
	}
}
