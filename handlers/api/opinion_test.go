package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// The opinion templates of these tests, with keyword mappings so the fake
// WeChat checks every value against its keyword's rule.
const (
	opTplStaff  = "tplOpinionStaff"
	opTplResult = "tplOpinionResult"
	opTplAccept = "tplOpinionAccepted"
	opTplAsk    = "tplOpinionAsk"
	opTplVoter  = "tplOpinionVoter"
	opPublicURL = "https://rd.example.gov.cn"
)

var opEnvVars = map[string]string{
	config.EnvTplOpinionStaff:     opTplStaff + "|title=thing1,no=character_string2,summary=thing3,station=thing4,due=time5",
	config.EnvTplOpinionResult:    opTplResult + "|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionAccepted:  opTplAccept + "|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionAskResult: opTplAsk + "|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionVoter:     opTplVoter + "|title=thing1,no=character_string2,status=thing3,time=time4",
	config.EnvPublicURL:           opPublicURL + "/",
}

var opLoc = time.FixedZone("CST", 8*3600)

// opinionEnv is the router over the demo county with the mini-program and
// the official account wired to the fake WeChat, uploads in a temporary
// data directory and the opinion templates configured.
type opinionEnv struct {
	*testEnv
	fake    *wechattest.Server
	wc      *wechat.Client
	dataDir string
	// east is 东门社区代表联络站, with a serving deputy and their code.
	east   models.Station
	deputy models.Deputy
	code   string
	head   models.Staff // the demo head of east (unbound)
	clerk  models.Staff // the demo clerk of east (unbound)
}

// newOpinionWeChat is the fake WeChat, a test Redis and a client of both
// accounts (official account for staff notices, mini-program for voters),
// as the opinion tests and the filing benchmark use them.
func newOpinionWeChat(tb testing.TB) (*wechattest.Server, *wechattest.TestRedis, *wechat.Client) {
	tb.Helper()
	fake := wechattest.New()
	tb.Cleanup(fake.Close)
	rd := wechattest.NewRedis(tb)
	wc, err := wechat.New(wechat.Config{
		OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 2 * time.Second,
	}, rd.Client, nil)
	must(tb, err)
	return fake, rd, wc
}

func newOpinionEnv(t *testing.T, adjust func(*handlers.Deps)) *opinionEnv {
	t.Helper()
	fake, rd, wc := newOpinionWeChat(t)
	notify, err := config.LoadOpinionNotify(func(k string) string { return opEnvVars[k] })
	must(t, err)
	dir := t.TempDir()
	te := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.MP, d.DataDir, d.BodyLimit, d.Location = wc, dir, 8<<20, opLoc
		d.Routes = &models.RouteWorldCache{TTL: time.Minute}
		d.OpinionNotify = notify
		if adjust != nil {
			adjust(d)
		}
	})
	e := &opinionEnv{testEnv: te, fake: fake, wc: wc, dataDir: dir}
	ctx := t.Context()
	if _, err := models.LoadDemo(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("station_id = ? AND status = ?", e.east.ID, models.DeputyActive).Order("id").First(&e.deputy).Error)
	var code models.Code
	must(t, e.db.Where("kind = ? AND target_id = ? AND revoked = ?", models.CodeDeputy, e.deputy.ID, false).First(&code).Error)
	e.code = code.Code
	must(t, e.db.Where("name = ?", "应建明").First(&e.head).Error)
	must(t, e.db.Where("name = ?", "章佳怡").First(&e.clerk).Error)
	return e
}

// bindStaff gives a staff member an official-account openid.
func (e *opinionEnv) bindStaff(s models.Staff, openid string) {
	e.t.Helper()
	must(e.t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", openid).Error)
}

// req sends a request with optional headers and decodes a JSON answer.
func (e *opinionEnv) req(method, path, token string, hdr map[string]string, body io.Reader, out any) *http.Response {
	e.t.Helper()
	r, err := http.NewRequest(method, e.srv.URL+path, body)
	must(e.t, err)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil && hdr["Content-Type"] == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	must(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp
}

// fileOpinion files through the API and fails the test unless it answers want.
func (e *opinionEnv) fileOpinion(token, key string, body map[string]any, want int) api.OpinionResponse {
	e.t.Helper()
	_, out := e.fileRaw(token, key, body, want)
	return out
}

// fileRaw is fileOpinion returning the HTTP answer too.
func (e *opinionEnv) fileRaw(token, key string, body map[string]any, want int) (*http.Response, api.OpinionResponse) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	hdr := map[string]string{}
	if key != "" {
		hdr["Idempotency-Key"] = key
	}
	var raw json.RawMessage
	r := e.req("POST", "/api/v1/opinions", token, hdr, bytes.NewReader(b), &raw)
	if r.StatusCode != want {
		e.t.Fatalf("file opinion: %d %s, want %d", r.StatusCode, raw, want)
	}
	var out api.OpinionResponse
	_ = json.Unmarshal(raw, &out)
	return r, out
}

func (e *opinionEnv) count(model any, where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	q := e.db.Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	must(e.t, q.Count(&n).Error)
	return n
}

const lampContent = "东门菜市场门口的路灯坏了一个多月，晚上很不安全。"

func TestCategoriesPublic(t *testing.T) {
	e := newOpinionEnv(t, nil)
	var l struct {
		Items      []api.CategoryView `json:"items"`
		NextCursor string             `json:"next_cursor"`
	}
	if r := e.do("GET", "/api/v1/categories", "", &l); r.StatusCode != 200 {
		t.Fatalf("categories: %d", r.StatusCode)
	}
	if len(l.Items) != 8 || l.Items[0].Code != "shenghuo" || l.Items[0].Name != "生活服务" || l.Items[0].Hint == "" {
		t.Fatalf("categories = %+v", l.Items)
	}
	for _, c := range l.Items {
		switch {
		case c.Code == "lifa" && (len(c.Fields) != 1 || c.Fields[0].Key != "law_name" || c.Fields[0].Label == ""):
			t.Errorf("lifa fields = %+v", c.Fields)
		case c.Code != "lifa" && (c.Fields == nil || len(c.Fields) != 0):
			t.Errorf("%s fields = %#v, want []", c.Code, c.Fields)
		}
	}
}

func TestOpinionFileReadAndNotifyStaff(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a, b := e.login(e.fake, "oVoterA"), e.login(e.fake, "oVoterB")
	e.bindStaff(e.clerk, "oClerkZhang")
	body := map[string]any{"content": lampContent, "category": "shenghuo", "code": strings.ToLower(e.code), "anonymous": true}

	op := e.fileOpinion(a, "key-1", body, 201)
	if !regexp.MustCompile(`^YJ20261124-\d{4}$`).MatchString(op.TrackingNo) {
		t.Errorf("tracking_no = %q", op.TrackingNo)
	}
	if op.Station.ID != e.east.ID || op.Station.Name != e.east.Name || op.RouteReason == "" || !strings.Contains(op.RouteReason, e.deputy.Name) {
		t.Errorf("routed to %+v because %q", op.Station, op.RouteReason)
	}
	if op.Status != models.OpinionSubmitted || !op.Anonymous || op.Category != "shenghuo" || op.Content != lampContent {
		t.Errorf("opinion = %+v", op.OpinionView)
	}
	if _, off := op.Timeline[0].At.Zone(); len(op.Timeline) != 1 || op.Timeline[0].Kind != "submitted" || off != 8*3600 {
		t.Errorf("timeline = %+v", op.Timeline)
	}

	// Exactly one notification: the station's bound clerk (the head, who
	// would handle it, has no openid), linking to the console item.
	var ns []models.Notification
	must(t, e.db.Find(&ns).Error)
	if len(ns) != 1 {
		t.Fatalf("notifications = %d, want 1: %+v", len(ns), ns)
	}
	n := ns[0]
	data, _ := n.Data()
	if n.Channel != models.ChannelTemplate || n.ToUser != "oClerkZhang" || n.TemplateID != opTplStaff ||
		n.URL != fmt.Sprintf("%s/console/opinions/%d", opPublicURL, op.ID) || n.StationID == nil || *n.StationID != e.east.ID ||
		data["character_string2"] != op.TrackingNo || data["thing4"] != e.east.Name || data["thing1"] == "" || data["time5"] == "" {
		t.Errorf("notification = %+v data %v", n, data)
	}
	if !strings.HasSuffix(n.DedupeKey, fmt.Sprintf(":staff:%d", e.clerk.ID)) {
		t.Errorf("dedupe key %q", n.DedupeKey)
	}

	// The same key again: the first answer replayed from Redis, nothing new.
	r, again := e.fileRaw(a, "key-1", body, 201)
	if again.ID != op.ID || again.TrackingNo != op.TrackingNo || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %d (replayed %q), want %d", again.ID, r.Header.Get("Idempotent-Replayed"), op.ID)
	}
	// With Redis's memory of the key gone, the database still knows it: 200.
	keys, _ := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"idem:*")
	if len(keys) == 0 {
		t.Fatal("no idempotency key in Redis")
	}
	e.rd.Client.Del(t.Context(), keys...)
	r, again = e.fileRaw(a, "key-1", body, 200)
	if again.ID != op.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("db replay = %d (replayed %q), want %d", again.ID, r.Header.Get("Idempotent-Replayed"), op.ID)
	}
	// The same key for another opinion is refused, by Redis and by the database.
	other := map[string]any{"content": lampContent + "补充：路口也有一盏。", "category": "shenghuo"}
	var eb errBody
	b2, _ := json.Marshal(other)
	if r := e.req("POST", "/api/v1/opinions", a, map[string]string{"Idempotency-Key": "key-1"}, bytes.NewReader(b2), &eb); r.StatusCode != 409 || eb.Error.Code != "idempotency_key_reused" {
		t.Errorf("reused key (redis): %d %q", r.StatusCode, eb.Error.Code)
	}
	keys, _ = wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"idem:*")
	e.rd.Client.Del(t.Context(), keys...)
	eb = errBody{}
	if r := e.req("POST", "/api/v1/opinions", a, map[string]string{"Idempotency-Key": "key-1"}, bytes.NewReader(b2), &eb); r.StatusCode != 409 || eb.Error.Code != "idempotency_key_reused" {
		t.Errorf("reused key (db): %d %q", r.StatusCode, eb.Error.Code)
	}
	if n := e.count(&models.Opinion{}, ""); n != 1 {
		t.Errorf("opinions = %d, want 1", n)
	}
	if n := e.count(&models.Notification{}, ""); n != 1 {
		t.Errorf("notifications = %d, want 1", n)
	}

	// Reading: the voter's own only.
	var got api.OpinionResponse
	if r := e.doAuth("GET", fmt.Sprintf("/api/v1/opinions/%d", op.ID), a, "", &got); r.StatusCode != 200 || got.ID != op.ID || len(got.Timeline) != 1 {
		t.Errorf("get own: %d %+v", r.StatusCode, got)
	}
	eb = errBody{}
	if r := e.doAuth("GET", fmt.Sprintf("/api/v1/opinions/%d", op.ID), b, "", &eb); r.StatusCode != 404 || eb.Error.Code != "opinion_not_found" {
		t.Errorf("get another's: %d %q", r.StatusCode, eb.Error.Code)
	}
	var l shared.List[models.OpinionView]
	e.doAuth("GET", "/api/v1/opinions", b, "", &l)
	if len(l.Items) != 0 || l.NextCursor != "" {
		t.Errorf("B's list = %+v", l)
	}

	// Paging newest first.
	for i := range 2 {
		e.fileOpinion(a, "", map[string]any{"content": fmt.Sprintf("%s（第%d次反映）", lampContent, i+2), "category": "shenghuo", "station_id": e.east.ID}, 201)
	}
	l = shared.List[models.OpinionView]{}
	e.doAuth("GET", "/api/v1/opinions?limit=2", a, "", &l)
	if len(l.Items) != 2 || l.NextCursor == "" || l.Items[0].ID <= l.Items[1].ID {
		t.Fatalf("page 1 = %+v %q", l.Items, l.NextCursor)
	}
	cur := l.NextCursor
	l = shared.List[models.OpinionView]{}
	e.doAuth("GET", "/api/v1/opinions?limit=2&cursor="+cur, a, "", &l)
	if len(l.Items) != 1 || l.Items[0].ID != op.ID || l.NextCursor != "" {
		t.Errorf("page 2 = %+v %q", l.Items, l.NextCursor)
	}
}

func TestOpinionLegislativeExtraField(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oVoterLaw")
	op := e.fileOpinion(a, "", map[string]any{
		"content": "建议条例对遛狗必须牵绳作出更明确的规定，并设置处罚标准。", "category": "lifa",
		"extra": map[string]string{"law_name": "《某市养犬管理条例（草案）》"},
	}, 201)
	if !strings.HasPrefix(op.Content, "【法规草案名称】《某市养犬管理条例（草案）》\n建议条例") {
		t.Errorf("content = %q", op.Content)
	}
	var st models.Station
	must(t, e.db.First(&st, op.Station.ID).Error)
	if st.Kind != models.KindLegislative {
		t.Errorf("lifa routed to %s (%s): %s", st.Name, st.Kind, op.RouteReason)
	}
}

func TestOpinionBadInputs(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a, b := e.login(e.fake, "oBadA"), e.login(e.fake, "oBadB")
	mine := e.upload(a, "photo.jpg", jpegBytes(t, 8, 6, nil), 201)
	theirs := e.upload(b, "photo.jpg", jpegBytes(t, 8, 6, nil), 201)
	ok := `"content":"` + lampContent + `","category":"shenghuo"`
	long := strings.Repeat("路", 2001)
	cases := []struct {
		name, method, path, token, body string
		hdr                             map[string]string
		status                          int
		code                            string
	}{
		{"content 9 chars", "POST", "/api/v1/opinions", a, `{"content":"路灯坏了一个多月了","category":"shenghuo"}`, nil, 400, "invalid_content"},
		{"content 2001 chars", "POST", "/api/v1/opinions", a, `{"content":"` + long + `","category":"shenghuo"}`, nil, 400, "invalid_content"},
		{"content blank", "POST", "/api/v1/opinions", a, `{"content":"            ","category":"shenghuo"}`, nil, 400, "invalid_content"},
		{"unknown category", "POST", "/api/v1/opinions", a, `{"content":"` + lampContent + `","category":"nope"}`, nil, 400, "invalid_category"},
		{"no category", "POST", "/api/v1/opinions", a, `{"content":"` + lampContent + `"}`, nil, 400, "invalid_category"},
		{"lat without lng", "POST", "/api/v1/opinions", a, `{` + ok + `,"lat":30.2}`, nil, 400, "invalid_lat"},
		{"lat 91", "POST", "/api/v1/opinions", a, `{` + ok + `,"lat":91,"lng":120}`, nil, 400, "invalid_lat"},
		{"lng -181", "POST", "/api/v1/opinions", a, `{` + ok + `,"lat":30,"lng":-181}`, nil, 400, "invalid_lng"},
		{"lat as text", "POST", "/api/v1/opinions", a, `{` + ok + `,"lat":"30","lng":120}`, nil, 400, "invalid_lat"},
		{"4 photos", "POST", "/api/v1/opinions", a, `{` + ok + `,"photo_ids":[1,2,3,4]}`, nil, 400, "invalid_photo_ids"},
		{"someone else's photo", "POST", "/api/v1/opinions", a, fmt.Sprintf(`{%s,"photo_ids":[%d]}`, ok, theirs.ID), nil, 400, "invalid_photo_ids"},
		{"missing photo", "POST", "/api/v1/opinions", a, fmt.Sprintf(`{%s,"photo_ids":[%d]}`, ok, theirs.ID+100), nil, 400, "invalid_photo_ids"},
		{"repeated photo", "POST", "/api/v1/opinions", a, fmt.Sprintf(`{%s,"photo_ids":[%d,%d]}`, ok, mine.ID, mine.ID), nil, 400, "invalid_photo_ids"},
		{"unknown station", "POST", "/api/v1/opinions", a, `{` + ok + `,"station_id":999999}`, nil, 400, "invalid_station_id"},
		{"unknown community", "POST", "/api/v1/opinions", a, `{` + ok + `,"community_id":999999}`, nil, 400, "invalid_community_id"},
		{"unknown extra", "POST", "/api/v1/opinions", a, `{` + ok + `,"extra":{"law_name":"x"}}`, nil, 400, "invalid_extra"},
		{"extra too long", "POST", "/api/v1/opinions", a, `{"content":"` + lampContent + `","category":"lifa","extra":{"law_name":"` + strings.Repeat("法", 61) + `"}}`, nil, 400, "invalid_extra"},
		{"not json", "POST", "/api/v1/opinions", a, `content=x`, nil, 400, "invalid_json"},
		{"content a number", "POST", "/api/v1/opinions", a, `{"content":5,"category":"shenghuo"}`, nil, 400, "invalid_content"},
		{"key too long for the model", "POST", "/api/v1/opinions", a, `{` + ok + `}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 65)}, 400, "invalid_idempotency_key"},
		{"key with bad characters", "POST", "/api/v1/opinions", a, `{` + ok + `}`, map[string]string{"Idempotency-Key": "a b"}, 400, "invalid_idempotency_key"},
		{"no token", "POST", "/api/v1/opinions", "", `{` + ok + `}`, nil, 401, "unauthorized"},
		{"forged token", "POST", "/api/v1/opinions", "forged", `{` + ok + `}`, nil, 401, "unauthorized"},
		{"list no token", "GET", "/api/v1/opinions", "", "", nil, 401, "unauthorized"},
		{"bad cursor", "GET", "/api/v1/opinions?cursor=x", a, "", nil, 400, "invalid_cursor"},
		{"bad limit", "GET", "/api/v1/opinions?limit=0", a, "", nil, 400, "invalid_limit"},
		{"bad id", "GET", "/api/v1/opinions/abc", a, "", nil, 400, "invalid_id"},
		{"missing item", "GET", "/api/v1/opinions/999999", a, "", nil, 404, "opinion_not_found"},
		{"rate bad stage", "POST", "/api/v1/opinions/1/ratings", a, `{"stage":"first","score":"satisfied"}`, nil, 400, "invalid_stage"},
		{"rate bad score", "POST", "/api/v1/opinions/1/ratings", a, `{"stage":"reply","score":"great"}`, nil, 400, "invalid_score"},
		{"rate long comment", "POST", "/api/v1/opinions/1/ratings", a, `{"stage":"reply","score":"satisfied","comment":"` + strings.Repeat("好", 501) + `"}`, nil, 400, "invalid_comment"},
		{"rate missing item", "POST", "/api/v1/opinions/999999/ratings", a, `{"stage":"reply","score":"satisfied"}`, nil, 404, "opinion_not_found"},
		{"rate not json", "POST", "/api/v1/opinions/1/ratings", a, `[]`, nil, 400, "invalid_json"},
		{"rate no token", "POST", "/api/v1/opinions/1/ratings", "", `{"stage":"reply","score":"satisfied"}`, nil, 401, "unauthorized"},
	}
	for _, c := range cases {
		var eb errBody
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		r := e.req(c.method, c.path, c.token, c.hdr, body, &eb)
		if r.StatusCode != c.status || eb.Error.Code != c.code {
			t.Errorf("%s: got %d %q (%s), want %d %q", c.name, r.StatusCode, eb.Error.Code, eb.Error.Message, c.status, c.code)
		}
		// An invalid_<field> names the field (an unknown category too).
		if f, ok := strings.CutPrefix(c.code, "invalid_"); ok && c.code != "invalid_json" && eb.Error.Field != f {
			t.Errorf("%s: field %q, want %q", c.name, eb.Error.Field, f)
		}
	}
	if n := e.count(&models.Opinion{}, ""); n != 0 {
		t.Errorf("bad inputs filed %d opinions", n)
	}
	if n := e.count(&models.Notification{}, ""); n != 0 {
		t.Errorf("bad inputs queued %d notifications", n)
	}
}

func TestOpinionRateLimited(t *testing.T) {
	e := newOpinionEnv(t, func(d *handlers.Deps) {
		d.Limits = handlers.RateLimits{OpinionVoter: handlers.RateLimit{N: 2, Window: time.Minute}}
	})
	a := e.login(e.fake, "oHasty")
	for i := range 2 {
		e.fileOpinion(a, "", map[string]any{"content": fmt.Sprintf("%s（%d）", lampContent, i), "category": "shenghuo"}, 201)
	}
	var eb errBody
	r := e.req("POST", "/api/v1/opinions", a, nil, strings.NewReader(`{"content":"`+lampContent+`","category":"shenghuo"}`), &eb)
	if r.StatusCode != 429 || eb.Error.Code != "rate_limited" {
		t.Errorf("third filing: %d %q", r.StatusCode, eb.Error.Code)
	}
	// Reading has its own budget.
	if r := e.doAuth("GET", "/api/v1/opinions", a, "", nil); r.StatusCode != 200 {
		t.Errorf("list after the write limit: %d", r.StatusCode)
	}
}

func TestOpinionExpiredSessionChangesNothing(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oExpiring")
	op := e.fileOpinion(a, "", map[string]any{"content": lampContent, "category": "shenghuo"}, 201)
	keys, _ := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"sess:*")
	e.rd.Client.Del(t.Context(), keys...)
	ops, notes := e.count(&models.Opinion{}, ""), e.count(&models.Notification{}, "")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/opinions", `{"content":"` + lampContent + `","category":"shenghuo"}`},
		{"GET", "/api/v1/opinions", ""},
		{"GET", fmt.Sprintf("/api/v1/opinions/%d", op.ID), ""},
		{"POST", fmt.Sprintf("/api/v1/opinions/%d/ratings", op.ID), `{"stage":"reply","score":"unsatisfied"}`},
		{"POST", "/api/v1/uploads", ""},
	} {
		var eb errBody
		if r := e.doAuth(c.method, c.path, a, c.body, &eb); r.StatusCode != 401 || eb.Error.Code != "unauthorized" {
			t.Errorf("%s %s with an expired session: %d %q", c.method, c.path, r.StatusCode, eb.Error.Code)
		}
	}
	if e.count(&models.Opinion{}, "") != ops || e.count(&models.Notification{}, "") != notes ||
		e.count(&models.OpinionRating{}, "") != 0 || e.count(&models.Upload{}, "") != 0 {
		t.Error("a request with an expired session changed something")
	}
}

func TestOpinionRatingsOverHTTP(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a, b := e.login(e.fake, "oRaterA"), e.login(e.fake, "oRaterB")
	e.bindStaff(e.clerk, "oClerkZhang")
	op := e.fileOpinion(a, "", map[string]any{"content": lampContent, "category": "shenghuo", "station_id": e.east.ID}, 201)
	rate := func(token, stage, score string, want int, code string) api.RatingResponse {
		t.Helper()
		var raw json.RawMessage
		r := e.req("POST", fmt.Sprintf("/api/v1/opinions/%d/ratings", op.ID), token, nil,
			strings.NewReader(fmt.Sprintf(`{"stage":%q,"score":%q,"comment":"路灯"}`, stage, score)), &raw)
		var eb errBody
		_ = json.Unmarshal(raw, &eb)
		if r.StatusCode != want || eb.Error.Code != code {
			t.Fatalf("rate %s %s: %d %s, want %d %q", stage, score, r.StatusCode, raw, want, code)
		}
		var out api.RatingResponse
		_ = json.Unmarshal(raw, &out)
		return out
	}
	rate(a, "reply", "satisfied", 409, "not_ready_to_rate")

	ctx, now := t.Context(), time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	_, _, err := models.AcceptOpinion(ctx, e.db, e.head.ID, op.ID, "", now)
	must(t, err)
	_, _, err = models.ReplyOpinion(ctx, e.db, e.head.ID, op.ID, models.ReplyInput{Text: "已联系供电所，本周内修复。"}, now)
	must(t, err)

	rate(b, "reply", "satisfied", 404, "opinion_not_found")
	got := rate(a, "reply", "basically", 201, "")
	if got.Rating.Stage != "reply" || got.Rating.Score != "basically" || got.Rating.ScoreLabel != "基本满意" ||
		got.Opinion.Status != models.OpinionReplied || len(got.Opinion.CanRate) != 1 || got.Opinion.CanRate[0] != "result" {
		t.Errorf("reply rating = %+v can_rate %v", got.Rating, got.Opinion.CanRate)
	}
	rate(a, "reply", "satisfied", 409, "already_rated")

	before := e.count(&models.Notification{}, "")
	got = rate(a, "result", "unsatisfied", 201, "")
	if got.Opinion.Status != models.OpinionReopened || got.Opinion.Round != 2 {
		t.Errorf("after an unsatisfied result: %s round %d", got.Opinion.Status, got.Opinion.Round)
	}
	// The reopening tells the station's bound staff, in the same transaction.
	if n := e.count(&models.Notification{}, "dedupe_key LIKE ?", "%:reopened:%"); n != 1 || e.count(&models.Notification{}, "") != before+1 {
		t.Errorf("reopened notifications = %d", n)
	}
	rate(a, "result", "satisfied", 409, "not_ready_to_rate")
	if n := e.count(&models.OpinionRating{}, "opinion_id = ?", op.ID); n != 2 {
		t.Errorf("ratings = %d, want 2", n)
	}
}
