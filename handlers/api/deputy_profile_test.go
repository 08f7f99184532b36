package api_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"deputylink/handlers"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat/wechattest"
)

// Ensure the deputy resource keeps station (the primary) and adds
// stations (every station served, the primary first), duties, the pledge
// and the term's dates, in GET /deputies/:id and in the code resource; and
// that a station lists the deputies who also serve it.
func TestDeputyProfileShape(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", f.active.ID).Updates(map[string]any{
		"duties": "东门社区卫生服务站医生", "pledge": "每月第一个周三到站接待选民",
		"term_start": "2022-01-01", "term_end": "2026-12-31"}).Error)
	must(t, e.db.Exec("INSERT INTO deputy_stations (deputy_id, station_id) VALUES (?, ?)", f.active.ID, f.far.ID).Error)

	check := func(where string, d *models.DeputyView) {
		t.Helper()
		if d == nil {
			t.Fatalf("%s: no deputy", where)
		}
		if d.Station.ID != f.near.ID || d.Station.Name != f.near.Name {
			t.Errorf("%s: station %+v, want the primary", where, d.Station)
		}
		if len(d.Stations) != 2 || d.Stations[0].ID != f.near.ID || d.Stations[1].ID != f.far.ID || d.Stations[1].Name != f.far.Name {
			t.Errorf("%s: stations %+v, want the primary then 西湖", where, d.Stations)
		}
		if d.Duties != "东门社区卫生服务站医生" || d.Pledge != "每月第一个周三到站接待选民" || d.TermStart != "2022-01-01" || d.TermEnd != "2026-12-31" {
			t.Errorf("%s: profile %+v", where, d)
		}
	}
	var d models.DeputyView
	if r := e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.active.ID, 10), "", &d); r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	check("deputy", &d)
	var v models.CodeView
	e.do("GET", "/api/v1/codes/"+f.activeCode, "", &v)
	check("code", v.Deputy)

	// A deputy with no other station has the primary alone in stations.
	var r models.DeputyView
	e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.retired.ID, 10), "", &r)
	if len(r.Stations) != 1 || r.Stations[0].ID != f.near.ID {
		t.Errorf("retired deputy's stations %+v", r.Stations)
	}
	// 西湖 lists 张秀兰, who also serves it.
	var st models.StationView
	e.do("GET", "/api/v1/stations/"+strconv.FormatUint(f.far.ID, 10), "", &st)
	if len(st.Deputies) != 1 || st.Deputies[0].ID != f.active.ID {
		t.Errorf("the station's deputies %+v, want the one who also serves it", st.Deputies)
	}
}

// Ensure a deputy's uploaded photo is served at its address as a JPEG
// anyone may cache, and a deputy without one is a 404 with a Chinese
// message.
func TestDeputyPhotoServed(t *testing.T) {
	dir := t.TempDir()
	e := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) { d.DataDir = dir })
	f := seed(t, e.db)
	var eb struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if r := e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.active.ID, 10)+"/photo", "", &eb); r.StatusCode != 404 || eb.Error.Code != "photo_not_found" || eb.Error.Message == "" {
		t.Errorf("no photo: %d %+v", r.StatusCode, eb)
	}
	path := shared.DeputyPhotoFile(dir, f.active.ID)
	must(t, os.MkdirAll(filepath.Dir(path), 0o750))
	jpeg := []byte("\xff\xd8\xff\xe0 not really a photo")
	must(t, os.WriteFile(path, jpeg, 0o600))
	r, err := http.Get(e.srv.URL + models.DeputyPhotoPath(f.active.ID, "abc123"))
	must(t, err)
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/jpeg" || string(body) != string(jpeg) ||
		r.Header.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("photo: %d %s %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), body)
	}
}
