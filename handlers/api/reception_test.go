package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"deputylink/handlers/shared"
	"deputylink/models"
)

func TestReceptionDaysList(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(i int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats = 4+i, 1 }})
	slot := e.slots(0, bkDec)[0]
	e.book(e.voter("oReader", 0), slot.ID)

	list := func(query string) shared.List[models.ReceptionDayView] {
		t.Helper()
		var page shared.List[models.ReceptionDayView]
		if r := e.do("GET", "/api/v1/reception-days"+query, "", &page); r.StatusCode != 200 {
			t.Fatalf("GET %s: %d", query, r.StatusCode)
		}
		return page
	}
	// One date, every station: the city-wide "find a free seat" page.
	page := list("?date=" + bkDec)
	if len(page.Items) != 2 || page.NextCursor != "" {
		t.Fatalf("date list: %+v", page)
	}
	d := page.Items[0]
	if d.Date != bkDec || d.Station.ID != e.stations[0].ID || len(d.Deputies) != 2 || len(d.Slots) != 5 || !d.BookingOpen || !d.Waitlist {
		t.Errorf("day = %+v", d)
	}
	if s := d.Slots[0]; s.ID != slot.ID || s.Capacity != 3 || s.Remaining != 2 || s.Start.Format("15:04 -07:00") != "09:00 +08:00" {
		t.Errorf("first slot = %+v", s)
	}
	if s := page.Items[1].Slots[0]; s.Capacity != 4 || s.Remaining != 4 {
		t.Errorf("other station's slot = %+v", s)
	}
	// One station over a range; to alone starts today.
	page = list(fmt.Sprintf("?station_id=%d&from=2026-12-01&to=2027-01-31", e.stations[1].ID))
	if len(page.Items) != 2 || page.Items[0].Date != bkDec || page.Items[1].Date != bkJan || page.Items[1].BookingOpen {
		t.Errorf("station range: %+v", page.Items)
	}
	if page = list("?to=2026-12-31"); len(page.Items) != 2 {
		t.Errorf("to alone: %d days", len(page.Items))
	}
	// Without dates: the days not yet over, paged by cursor.
	var dates []string
	cursor := ""
	for range 10 {
		page = list("?limit=1&cursor=" + url.QueryEscape(cursor))
		for _, d := range page.Items {
			dates = append(dates, fmt.Sprint(d.Date, "/", d.Station.ID))
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(dates) != 4 {
		t.Errorf("paged through %v", dates)
	}
	// An unknown station lists nothing.
	if page = list("?station_id=999"); len(page.Items) != 0 {
		t.Errorf("unknown station: %d days", len(page.Items))
	}
	// One day.
	var day models.ReceptionDayView
	if r := e.do("GET", fmt.Sprintf("/api/v1/reception-days/%d", d.ID), "", &day); r.StatusCode != 200 || day.ID != d.ID || len(day.Slots) != 5 {
		t.Errorf("one day: %d %+v", r.StatusCode, day)
	}
}

func TestReceptionDaysBadParams(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	cases := []struct {
		query  string
		status int
		code   string
	}{
		{"?station_id=abc", 400, "invalid_station_id"},
		{"?station_id=0", 400, "invalid_station_id"},
		{"?station_id=-1", 400, "invalid_station_id"},
		{"?date=2026-13-01", 400, "invalid_date"},
		{"?date=tomorrow", 400, "invalid_date"},
		{"?from=2026/12/01", 400, "invalid_from"},
		{"?from=2026-12-01&to=2026-02-30", 400, "invalid_to"},
		{"?from=2026-12-01&to=2026-11-01", 400, "invalid_to"},
		{"?from=2026-01-01&to=2027-12-31", 400, "invalid_to"},
		{"?date=2026-12-10&from=2026-12-01", 400, "invalid_date"},
		{"?limit=0", 400, "invalid_limit"},
		{"?limit=201", 400, "invalid_limit"},
		{"?limit=ten", 400, "invalid_limit"},
		{"?cursor=zzz", 400, "invalid_cursor"},
		{"/abc", 400, "invalid_id"},
		{"/999999", 404, "reception_day_not_found"},
	}
	for _, c := range cases {
		var b errBody
		path := "/api/v1/reception-days" + c.query
		if r := e.do("GET", path, "", &b); r.StatusCode != c.status || b.Error.Code != c.code {
			t.Errorf("GET %s: got %d %q, want %d %q", path, r.StatusCode, b.Error.Code, c.status, c.code)
		}
	}
}
