package console_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
)

// Ensure the reception-day desk: the staff's days, the bookings, check-in
// by code, walk-ins and the roster, each within the staff's stations only.
func TestConsoleDesk(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	ctx := t.Context()
	must(t, models.LoadDemoReception(ctx, e.db, conT0, conLoc))
	const date = "2026-12-10"
	var day, westDay models.ReceptionDay
	must(t, e.db.Where("station_id = ? AND date = ?", e.east.ID, date).First(&day).Error)
	must(t, e.db.Where("station_id = ? AND date = ?", e.west.ID, date).First(&westDay).Error)
	var slots []models.Slot
	must(t, e.db.Where("day_id = ?", day.ID).Order("seq").Find(&slots).Error)
	bk, _, err := models.BookSlot(ctx, e.db, e.voter, slots[0].ID, "路灯", conT0)
	must(t, err)
	clerkE, clerkW, boss := e.token("clerk_e"), e.token("clerk_w"), e.token("admin")
	dayPath := "/console/api/reception-days/" + idStr(day.ID)

	days := func(tok, query string) []uint64 {
		t.Helper()
		var l shared.List[models.ReceptionDayView]
		if r := e.bearer("GET", "/console/api/reception-days"+query, tok, "", &l); r.StatusCode != 200 {
			t.Fatalf("days %s: %d", query, r.StatusCode)
		}
		var ids []uint64
		for _, d := range l.Items {
			ids = append(ids, d.ID)
		}
		return ids
	}
	if got := days(clerkE, "?date="+date); !slices.Equal(got, []uint64{day.ID}) {
		t.Errorf("east clerk's days %v", got)
	}
	if got := days(boss, "?date="+date); len(got) < 3 || !slices.Contains(got, day.ID) || !slices.Contains(got, westDay.ID) {
		t.Errorf("admin's days %v", got)
	}
	if got := days(clerkE, ""); len(got) != 0 {
		t.Errorf("today (no reception) %v", got)
	}
	if got := days(boss, "?date="+date+"&station_id="+idStr(e.west.ID)); !slices.Equal(got, []uint64{westDay.ID}) {
		t.Errorf("admin, west only %v", got)
	}

	var bl shared.List[models.Booking]
	if r := e.bearer("GET", dayPath+"/bookings", clerkE, "", &bl); r.StatusCode != 200 || len(bl.Items) != 1 || bl.Items[0].ID != bk.ID {
		t.Fatalf("bookings: %d %+v", r.StatusCode, bl)
	}
	var b errBody
	if r := e.bearer("GET", dayPath+"/bookings", clerkW, "", &b); r.StatusCode != 404 || b.Error.Code != "reception_day_not_found" {
		t.Errorf("another station's bookings: %d %q", r.StatusCode, b.Error.Code)
	}

	// Before the day: check-in is not open yet.
	code := `{"code":"` + bk.CheckinCode + `"}`
	if r := e.bearer("POST", dayPath+"/checkin", clerkE, code, &b); r.StatusCode != 409 || b.Error.Code != "checkin_not_open" {
		t.Errorf("early check-in: %d %q", r.StatusCode, b.Error.Code)
	}
	e.clock.Set(time.Date(2026, 12, 10, 9, 35, 0, 0, conLoc))
	// Sessions end ConsoleSessionMaxAge after the sign-in: sign in again.
	clerkE, clerkW = e.token("clerk_e"), e.token("clerk_w")
	b = errBody{}
	if r := e.bearer("POST", dayPath+"/checkin", clerkW, code, &b); r.StatusCode != 404 || b.Error.Code != "reception_day_not_found" {
		t.Errorf("check-in by another station's clerk: %d %q", r.StatusCode, b.Error.Code)
	}
	var got models.Booking
	lower := `{"code":"` + strings.ToLower(bk.CheckinCode) + `"}`
	if r := e.bearer("POST", dayPath+"/checkin", clerkE, lower, &got); r.StatusCode != 200 || got.Status != models.BookingCheckedIn || got.ID != bk.ID {
		t.Fatalf("check-in: %d %+v", r.StatusCode, got)
	}
	b = errBody{}
	if r := e.bearer("POST", dayPath+"/checkin", clerkE, code, &b); r.StatusCode != 409 || b.Error.Code != "already_checked_in" {
		t.Errorf("second check-in: %d %q", r.StatusCode, b.Error.Code)
	}
	b = errBody{}
	if r := e.bearer("POST", dayPath+"/checkin", clerkE, `{"code":"ZZZZZZ"}`, &b); r.StatusCode != 404 || b.Error.Code != "checkin_code_not_found" {
		t.Errorf("unknown code: %d %q", r.StatusCode, b.Error.Code)
	}
	trail, _ := models.AuditTrail(ctx, e.db, "booking", bk.ID)
	if len(trail) == 0 || trail[len(trail)-1].Action != "booking.checkin" || trail[len(trail)-1].ActorID != e.clerkE.ID {
		t.Errorf("booking audit %+v", trail)
	}

	var w models.WalkIn
	if r := e.bearer("POST", dayPath+"/walkins", clerkE, `{"name":"王大爷","topic":"老旧小区加装电梯"}`, &w); r.StatusCode != 201 ||
		w.ID == 0 || w.SlotID != slots[1].ID || w.Name != "王大爷" {
		t.Fatalf("walk-in: %d %+v", r.StatusCode, w)
	}
	if r := e.bearer("POST", dayPath+"/walkins", clerkE, ``, &w); r.StatusCode != 201 {
		t.Errorf("anonymous walk-in: %d", r.StatusCode)
	}
	b = errBody{}
	if r := e.bearer("POST", dayPath+"/walkins", clerkW, `{}`, &b); r.StatusCode != 404 {
		t.Errorf("walk-in at another station: %d %q", r.StatusCode, b.Error.Code)
	}

	var deputies []models.Deputy
	must(t, e.db.Where("station_id = ?", e.east.ID).Order("id").Limit(2).Find(&deputies).Error)
	ids := `{"deputy_ids":[` + idStr(deputies[0].ID) + `,` + idStr(deputies[1].ID) + `]}`
	b = errBody{}
	if r := e.bearer("PUT", dayPath+"/roster", clerkW, ids, &b); r.StatusCode != 404 || b.Error.Code != "reception_day_not_found" {
		t.Errorf("roster at another station: %d %q", r.StatusCode, b.Error.Code)
	}
	var v models.ReceptionDayView
	if r := e.bearer("PUT", dayPath+"/roster", clerkE, ids, &v); r.StatusCode != 200 || len(v.Deputies) != 2 {
		t.Fatalf("roster: %d %+v", r.StatusCode, v.Deputies)
	}
	if r := e.bearer("PUT", dayPath+"/roster", clerkE, `{"deputy_ids":[]}`, &v); r.StatusCode != 200 || len(v.Deputies) != 0 {
		t.Errorf("empty roster: %d %+v", r.StatusCode, v.Deputies)
	}
	var actions []string
	dayTrail, _ := models.AuditTrail(ctx, e.db, "reception_day", day.ID)
	for _, a := range dayTrail {
		if a.ActorKind == "staff" && a.ActorID == e.clerkE.ID {
			actions = append(actions, a.Action)
		}
	}
	if !slices.Equal(actions, []string{"reception_day.walk_in", "reception_day.walk_in", "reception_day.roster", "reception_day.roster"}) {
		t.Errorf("day audit %v", actions)
	}

	for _, c := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/console/api/reception-days?date=2026-13-01", "", 400, "invalid_date"},
		{"GET", "/console/api/reception-days?date=tomorrow", "", 400, "invalid_date"},
		{"GET", "/console/api/reception-days?station_id=" + idStr(e.west.ID), "", 404, "station_not_found"},
		{"GET", "/console/api/reception-days/x/bookings", "", 400, "invalid_id"},
		{"GET", "/console/api/reception-days/99999/bookings", "", 404, "reception_day_not_found"},
		{"POST", dayPath + "/checkin", `{}`, 400, "invalid_code"},
		{"POST", dayPath + "/checkin", `{"code":123}`, 400, "invalid_code"},
		{"POST", dayPath + "/walkins", `{"name":"` + strings.Repeat("名", 51) + `"}`, 400, "invalid_name"},
		{"POST", dayPath + "/walkins", `{"topic":"` + strings.Repeat("事", 201) + `"}`, 400, "invalid_topic"},
		{"PUT", dayPath + "/roster", `{}`, 400, "invalid_deputy_ids"},
		{"PUT", dayPath + "/roster", `{"deputy_ids":null}`, 400, "invalid_deputy_ids"},
		{"PUT", dayPath + "/roster", `{"deputy_ids":[99999]}`, 400, "invalid_deputy_ids"},
		{"PUT", dayPath + "/roster", `{"deputy_ids":"1,2"}`, 400, "invalid_deputy_ids"},
		{"PUT", "/console/api/reception-days/99999/roster", `{"deputy_ids":[]}`, 404, "reception_day_not_found"},
	} {
		var b errBody
		if r := e.bearer(c.method, c.path, clerkE, c.body, &b); r.StatusCode != c.status || b.Error.Code != c.code {
			t.Errorf("%s %s %.40s: %d %q, want %d %q", c.method, c.path, c.body, r.StatusCode, b.Error.Code, c.status, c.code)
		}
	}
}
