package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"deputylink/models"
)

func TestGetCodeResolvesDeputyCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	var v models.CodeView
	resp := e.do("GET", "/api/v1/codes/"+strings.ToLower(f.activeCode), "", &v)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if v.Kind != models.CodeDeputy || v.Deputy == nil || v.Deputy.Name != "张秀兰" || v.Station == nil || v.Station.ID != f.near.ID {
		t.Fatalf("resolved to %+v", v)
	}
	if v.Deputy.Code != f.activeCode || v.Notice != "" {
		t.Errorf("deputy code %q notice %q", v.Deputy.Code, v.Notice)
	}
}

func TestGetCodeRetiredDeputyAndBoardAndStation(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)

	var v models.CodeView
	e.do("GET", "/api/v1/codes/"+f.retiredCode, "", &v)
	if v.Kind != models.CodeStation || v.Station == nil || v.Station.ID != f.near.ID || !strings.Contains(v.Notice, "李建国") {
		t.Errorf("retired deputy resolved to kind=%s station=%v notice=%q", v.Kind, v.Station, v.Notice)
	}
	for _, d := range v.Station.Deputies {
		if d.ID == f.retired.ID {
			t.Errorf("retired deputy listed among the station's deputies")
		}
	}

	v = models.CodeView{}
	e.do("GET", "/api/v1/codes/"+f.boardCode, "", &v)
	if v.Kind != models.CodeDeputy || v.Deputy == nil || v.Deputy.ID != f.active.ID || v.Label != "东门公示栏" {
		t.Errorf("board resolved to %+v", v)
	}

	v = models.CodeView{}
	e.do("GET", "/api/v1/codes/"+f.farCode, "", &v)
	if v.Kind != models.CodeStation || v.Station.Kind != models.KindLegislative || v.Deputy != nil {
		t.Errorf("station code resolved to %+v", v)
	}
}

func TestGetDeputyAndStation(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	var d models.DeputyView
	if r := e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.active.ID, 10), "", &d); r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	if d.Name != "张秀兰" || d.Level != models.LevelCounty || d.Code != f.activeCode || d.Station.Name != f.near.Name || d.Status != models.DeputyActive {
		t.Errorf("deputy = %+v", d)
	}
	var s models.StationView
	e.do("GET", "/api/v1/stations/"+strconv.FormatUint(f.near.ID, 10), "", &s)
	if s.Name != f.near.Name || s.Code == "" || len(s.Deputies) != 1 || s.Deputies[0].Code != f.activeCode {
		t.Errorf("station = %+v", s)
	}
}

func TestListStationsNearestFirst(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	var l struct {
		Items      []models.StationView `json:"items"`
		NextCursor string               `json:"next_cursor"`
	}
	// Standing next to the far station, it must come first.
	e.do("GET", "/api/v1/stations?lat=30.401&lng=120.301", "", &l)
	if len(l.Items) != 2 || l.Items[0].ID != f.far.ID || l.Items[0].DistanceM == nil || l.Items[1].DistanceM == nil {
		t.Fatalf("items = %+v", l.Items)
	}
	if *l.Items[0].DistanceM > 200 || *l.Items[1].DistanceM < 15000 {
		t.Errorf("distances %d, %d", *l.Items[0].DistanceM, *l.Items[1].DistanceM)
	}
	// Paging: one per page gives a cursor, and the second page the other station.
	l.Items = nil
	e.do("GET", "/api/v1/stations?lat=30.27&lng=120.15&limit=1", "", &l)
	if len(l.Items) != 1 || l.Items[0].ID != f.near.ID || l.NextCursor == "" {
		t.Fatalf("page 1 = %+v cursor %q", l.Items, l.NextCursor)
	}
	cur := l.NextCursor
	l.Items, l.NextCursor = nil, ""
	e.do("GET", "/api/v1/stations?lat=30.27&lng=120.15&limit=1&cursor="+cur, "", &l)
	if len(l.Items) != 1 || l.Items[0].ID != f.far.ID || l.NextCursor != "" {
		t.Fatalf("page 2 = %+v cursor %q", l.Items, l.NextCursor)
	}
	// Without a point: by id, no distances.
	l.Items = nil
	e.do("GET", "/api/v1/stations", "", &l)
	if len(l.Items) != 2 || l.Items[0].DistanceM != nil {
		t.Errorf("plain list = %+v", l.Items)
	}
}

// Ensure each bad input gets the right status and error code, never a 500.
func TestPublicBadInputs(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/codes/NOPE", 404, "code_not_found"},
		{"/api/v1/codes/ZZZZZZZZ", 404, "code_not_found"},
		{"/api/v1/codes/" + f.revCode, 404, "code_not_found"},
		{"/api/v1/codes/" + f.inviteCode, 404, "code_not_found"},
		{"/api/v1/codes/%E4%BB%A3%E8%A1%A8%E4%BB%A3%E8%A1%A8", 404, "code_not_found"},
		{"/api/v1/codes/O0I1L0O0", 404, "code_not_found"},
		{"/api/v1/deputies/abc", 400, "invalid_id"},
		{"/api/v1/deputies/0", 400, "invalid_id"},
		{"/api/v1/deputies/-5", 400, "invalid_id"},
		{"/api/v1/deputies/99999999999999999999999", 400, "invalid_id"},
		{"/api/v1/deputies/999999", 404, "deputy_not_found"},
		{"/api/v1/stations/1.5", 400, "invalid_id"},
		{"/api/v1/stations/999999", 404, "station_not_found"},
		{"/api/v1/stations?lat=abc&lng=120", 400, "invalid_lat"},
		{"/api/v1/stations?lat=30&lng=", 400, "invalid_lng"},
		{"/api/v1/stations?lat=91&lng=120", 400, "invalid_lat"},
		{"/api/v1/stations?lat=30&lng=-181", 400, "invalid_lng"},
		{"/api/v1/stations?lat=NaN&lng=120", 400, "invalid_lat"},
		{"/api/v1/stations?lat=30&lng=Inf", 400, "invalid_lng"},
		{"/api/v1/stations?lng=120", 400, "invalid_lat"},
		{"/api/v1/stations?limit=0", 400, "invalid_limit"},
		{"/api/v1/stations?limit=1000", 400, "invalid_limit"},
		{"/api/v1/stations?cursor=-1", 400, "invalid_cursor"},
		{"/api/v1/stations?kind=castle", 400, "invalid_kind"},
		{"/api/v1/nowhere", 404, "route_not_found"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			var b errBody
			resp := e.do("GET", c.path, "", &b)
			if resp.StatusCode != c.status || b.Error.Code != c.code {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b.Error.Code, c.status, c.code)
			}
			if b.Error.Message == "" || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("missing message or request id: %+v", b)
			}
		})
	}
	var b errBody
	if resp := e.do("POST", "/api/v1/stations", "{}", &b); resp.StatusCode != http.StatusMethodNotAllowed || b.Error.Code != "method_not_allowed" {
		t.Errorf("POST stations: %d %q", resp.StatusCode, b.Error.Code)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/healthz", "", nil); r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if r := e.do("GET", "/readyz", "", &ready); r.StatusCode != 200 || !ready.Ready {
		t.Errorf("readyz %d %+v", r.StatusCode, ready)
	}
	// Twice, so the cached series is counted on; and a made-up method,
	// which must not become a series of its own.
	e.do("GET", "/api/v1/stations/77", "", nil)
	e.do("GET", "/api/v1/stations/77", "", nil)
	e.do("BREW", "/api/v1/stations", "", nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = ioCopy(buf, resp)
	if !strings.Contains(buf.String(), `deputylink_http_requests_total{method="GET",route="/api/v1/stations/:id",status="404"} 2`) {
		t.Errorf("metrics missing the station requests:\n%.2000s", buf.String())
	}
	if !strings.Contains(buf.String(), `method="OTHER"`) || strings.Contains(buf.String(), "BREW") {
		t.Errorf("an unknown method is not counted as OTHER:\n%.3000s", buf.String())
	}
}

func TestReadyzDownWhenDatabaseClosed(t *testing.T) {
	e := newEnv(t)
	if err := models.Close(e.db); err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if r := e.do("GET", "/readyz", "", &ready); r.StatusCode != 503 || ready.Ready || ready.Checks["database"] != "down" {
		t.Errorf("readyz with closed db: %d %+v", r.StatusCode, ready)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	var b errBody
	resp := e.do("POST", "/api/v1/stations", strings.Repeat("x", 70<<10), &b)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || b.Error.Code != "body_too_large" {
		t.Errorf("oversized body: %d %q", resp.StatusCode, b.Error.Code)
	}
}
