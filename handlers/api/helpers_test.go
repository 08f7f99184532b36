package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// testEnv is the real router over a real database and Redis.
type testEnv struct {
	t   *testing.T
	db  *gorm.DB
	rd  *wechattest.TestRedis
	srv *httptest.Server
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newEnvWith(t, wechattest.NewRedis(t), nil)
}

// newEnvWith builds the env, letting the test adjust the dependencies.
func newEnvWith(t *testing.T, rd *wechattest.TestRedis, adjust func(*handlers.Deps)) *testEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	d := handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 64 << 10,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) },
	}
	if adjust != nil {
		adjust(&d)
	}
	srv := httptest.NewServer(handlers.NewRouter(d))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, db: db, rd: rd, srv: srv}
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (e *testEnv) do(method, path, body string, out any) *http.Response {
	e.t.Helper()
	return e.doAuth(method, path, "", body, out)
}

// doAuth is do with a Bearer token (none when token is empty).
func (e *testEnv) doAuth(method, path, token, body string, out any) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp
}

type errBody struct {
	Error struct {
		Code, Message, Field, RequestID string
	} `json:"error"`
}

// fixture is a tiny county: two stations, an active and a retired deputy.
type fixture struct {
	near, far             models.Station
	active, retired       models.Deputy
	activeCode, farCode   string
	retiredCode, revCode  string
	boardCode, inviteCode string
}

func seed(t *testing.T, db *gorm.DB) fixture {
	t.Helper()
	ctx := t.Context()
	var f fixture
	f.near = models.Station{Kind: models.KindStation, Name: "东门社区代表联络站", Address: "东门路1号", District: "城关镇", Lat: 30.2700, Lng: 120.1500, OpenHours: "周一至周五"}
	f.far = models.Station{Kind: models.KindLegislative, Name: "西湖基层立法联系点", Address: "西路9号", District: "西镇", Lat: 30.4000, Lng: 120.3000, OpenHours: "周三"}
	must(t, db.Create(&f.near).Error)
	must(t, db.Create(&f.far).Error)
	f.active = models.Deputy{Name: "张秀兰", Level: models.LevelCounty, Group: "城关镇代表小组", StationID: f.near.ID, Bio: "社区医生", Status: models.DeputyActive, Term: "第十八届"}
	f.retired = models.Deputy{Name: "李建国", Level: models.LevelTownship, Group: "城关镇代表小组", StationID: f.near.ID, Bio: "退休教师", Status: models.DeputyRetired, Term: "第十七届"}
	must(t, db.Create(&f.active).Error)
	must(t, db.Create(&f.retired).Error)
	code := func(c models.Code) string {
		got, err := models.CreateCode(ctx, db, c)
		must(t, err)
		return got.Code
	}
	f.activeCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.active.ID})
	f.retiredCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.retired.ID})
	f.farCode = code(models.Code{Kind: models.CodeStation, TargetID: f.far.ID})
	code(models.Code{Kind: models.CodeStation, TargetID: f.near.ID})
	f.revCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.active.ID})
	must(t, models.RevokeCode(ctx, db, f.revCode))
	f.boardCode = code(models.Code{Kind: models.CodeBoard, TargetKind: models.CodeDeputy, TargetID: f.active.ID, Label: "东门公示栏"})
	f.inviteCode = code(models.Code{Kind: models.CodeStaffInvite, TargetKind: "staff", TargetID: 1})
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ioCopy(w io.Writer, r *http.Response) (int64, error) { return io.Copy(w, r.Body) }
