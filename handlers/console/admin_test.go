package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Ensure only admins edit the holiday calendar, every staff member reads
// it, and each change is audited.
func TestConsoleHolidays(t *testing.T) {
	e := newConEnv(t)
	clerk, admin := e.token("clerk_e"), e.token("admin")
	var b errBody
	if r := e.bearer("PUT", "/console/api/holidays/2026-12-31", clerk, `{"kind":"holiday","name":"测试"}`, &b); r.StatusCode != http.StatusForbidden || b.Error.Code != "admin_only" {
		t.Fatalf("clerk PUT: %d %q", r.StatusCode, b.Error.Code)
	}
	if r := e.bearer("PUT", "/console/api/holidays/2026-12-31", admin, `{"kind":"holiday","name":"县庆"}`, nil); r.StatusCode != 200 {
		t.Fatalf("admin PUT: %d", r.StatusCode)
	}
	var l struct {
		Items []models.Holiday `json:"items"`
	}
	e.bearer("GET", "/console/api/holidays?year=2026", clerk, "", &l)
	found := false
	for _, h := range l.Items {
		found = found || h.Date == "2026-12-31" && h.Name == "县庆"
	}
	if !found || len(l.Items) < 30 {
		t.Fatalf("holidays of 2026: %d items, added one found=%v", len(l.Items), found)
	}
	cal, err := models.LoadCalendar(t.Context(), e.db)
	must(t, err)
	if cal.IsWorkingDay(mustDate(t, "2026-12-31")) {
		t.Errorf("2026-12-31 still a working day after the admin's edit")
	}
	b = errBody{}
	if r := e.bearer("PUT", "/console/api/holidays/2026-13-01", admin, `{"kind":"holiday","name":"x"}`, &b); r.StatusCode != 400 {
		t.Errorf("bad date: %d %q", r.StatusCode, b.Error.Code)
	}
	if r := e.bearer("DELETE", "/console/api/holidays/2026-12-31", admin, "", nil); r.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", r.StatusCode)
	}
	var n int64
	e.db.Model(&models.AuditLog{}).Where("entity_kind = ?", "holiday").Count(&n)
	if n < 2 {
		t.Errorf("holiday audit rows = %d, want 2", n)
	}
}

// Ensure a head changes their station's reception rule, a clerk cannot,
// and another station's rule is not found.
func TestConsoleReceptionRule(t *testing.T) {
	e := newConEnv(t)
	path := "/console/api/stations/" + idStr(e.east.ID) + "/reception-rule"
	rule := `{"active":true,"day_of_month":12,"start_time":"09:00","end_time":"11:00","slot_minutes":30,` +
		`"seats_per_slot":6,"walk_in_seats":2,"waitlist":true,"waitlist_max":5,"opens_days_before":14,"closes_at":"18:00"}`
	var b errBody
	if r := e.bearer("PUT", path, e.token("clerk_e"), rule, &b); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clerk PUT: %d %q", r.StatusCode, b.Error.Code)
	}
	var got models.ReceptionRule
	if r := e.bearer("PUT", path, e.token("head_e"), rule, &got); r.StatusCode != 200 || got.DayOfMonth != 12 || got.StationID != e.east.ID {
		t.Fatalf("head PUT: %d %+v", r.StatusCode, got)
	}
	got = models.ReceptionRule{}
	e.bearer("GET", path, e.token("clerk_e"), "", &got)
	if got.SeatsPerSlot != 6 {
		t.Errorf("GET rule = %+v", got)
	}
	b = errBody{}
	if r := e.bearer("GET", path, e.token("clerk_w"), "", &b); r.StatusCode != 404 {
		t.Errorf("other station's rule: %d", r.StatusCode)
	}
	b = errBody{}
	bad := `{"active":true,"day_of_month":31,"start_time":"09:00","end_time":"11:00","slot_minutes":30,"seats_per_slot":6,"walk_in_seats":2,"opens_days_before":14,"closes_at":"18:00"}`
	if r := e.bearer("PUT", path, e.token("admin"), bad, &b); r.StatusCode != 400 {
		t.Errorf("day 31: %d %q", r.StatusCode, b.Error.Code)
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(models.DateLayout, s, time.UTC)
	must(t, err)
	return d
}

// Ensure the holiday calendar refuses years outside 2000 … this year + 2
// (the clock says 2026, so 2028) with a 400 naming the field, while the
// shipped 2025 and 2026 calendars still load.
func TestConsoleHolidayYearRange(t *testing.T) {
	e := newConEnv(t)
	clerk, admin := e.token("clerk_e"), e.token("admin")
	for _, c := range []struct {
		method, path, token, field string
		status                     int
	}{
		{"GET", "/console/api/holidays?year=1999", clerk, "year", 400},
		{"GET", "/console/api/holidays?year=2029", clerk, "year", 400},
		{"GET", "/console/api/holidays?year=2100", clerk, "year", 400},
		{"GET", "/console/api/holidays?year=-5", clerk, "year", 400},
		{"GET", "/console/api/holidays?year=20x6", clerk, "year", 400},
		{"GET", "/console/api/holidays?year=2000", clerk, "", 200},
		{"GET", "/console/api/holidays?year=2028", clerk, "", 200},
		{"PUT", "/console/api/holidays/1999-12-31", admin, "date", 400},
		{"PUT", "/console/api/holidays/2029-01-01", admin, "date", 400},
		{"PUT", "/console/api/holidays/9999-01-01", admin, "date", 400},
		{"PUT", "/console/api/holidays/2028-10-01", admin, "", 200},
	} {
		var b errBody
		r := e.bearer(c.method, c.path, c.token, `{"kind":"holiday","name":"测试"}`, &b)
		if r.StatusCode != c.status {
			t.Errorf("%s %s: %d %+v, want %d", c.method, c.path, r.StatusCode, b.Error, c.status)
			continue
		}
		if c.status == 400 && (b.Error.Field != c.field || b.Error.Code != "invalid_"+c.field ||
			!strings.Contains(b.Error.Message, "年份") || strings.ContainsAny(b.Error.Message, ",;:")) {
			t.Errorf("%s %s: %+v, want a Chinese message about the year of %q", c.method, c.path, b.Error, c.field)
		}
		if c.status == 400 && c.field == "year" && !strings.Contains(b.Error.Message, "2000年至2028年") {
			t.Errorf("%s %s: message %q does not give the range", c.method, c.path, b.Error.Message)
		}
	}
	for _, year := range []string{"2025", "2026"} {
		var l struct {
			Items []models.Holiday `json:"items"`
		}
		if r := e.bearer("GET", "/console/api/holidays?year="+year, clerk, "", &l); r.StatusCode != 200 || len(l.Items) < 25 {
			t.Errorf("shipped calendar of %s: %d, %d items", year, r.StatusCode, len(l.Items))
		}
	}
}
