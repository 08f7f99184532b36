package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/models"
	"deputylink/wechat/wechattest"
)

// resultKeys are every key a public result has (openapi.json PublicResult).
var resultKeys = []string{"category", "closed_on", "filed_on", "id", "photos", "published_on", "result", "station", "summary", "working_days"}

// Ensure a published result carries only the staff's summary, the station,
// category and dates, and the photo the staff approved: not the voter's
// text, phone, place, tracking number, id or the other photo; and that
// withdrawing it takes it out of the list, the detail and the photo.
func TestPublicResultsHoldNoPersonalData(t *testing.T) {
	e := newOpinionEnv(t, nil)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	token := e.login(e.fake, "oResultVoter")
	a := e.upload(token, "a.jpg", jpegBytes(t, 64, 48, nil), 201)
	b := e.upload(token, "b.jpg", jpegBytes(t, 48, 64, nil), 201)
	const secret = "我家在东门小区3号楼501室，电话13912345678，楼前路灯坏了一个月。"
	op := e.fileOpinion(token, "res-1", map[string]any{"content": secret, "category": "shenghuo", "code": e.code,
		"lat": 30.27123, "lng": 120.15678, "photo_ids": []uint64{a.ID, b.ID}}, 201)
	var admin models.Staff
	must(t, e.db.Where("role = ?", models.RoleAdmin).First(&admin).Error)
	_, _, err := models.CloseOpinion(ctx, e.db, admin.ID, op.ID, "", now)
	must(t, err)
	var photos []models.OpinionPhoto
	must(t, e.db.Where("opinion_id = ?", op.ID).Order("id").Find(&photos).Error)
	cal, err := models.LoadCalendar(ctx, e.db)
	must(t, err)
	in := models.PublishInput{Summary: "东门菜市场附近路灯损坏，夜间出行不便。", Result: "已更换路灯，恢复照明。", PhotoIDs: []uint64{photos[1].ID}}
	pub, err := models.PublishOpinion(ctx, e.db, e.clerk.ID, op.ID, in, now.Add(time.Hour), opLoc, cal)
	must(t, err)

	var raw json.RawMessage
	if r := e.do("GET", "/api/v1/results", "", &raw); r.StatusCode != 200 {
		t.Fatalf("list: %d %s", r.StatusCode, raw)
	}
	var list struct {
		Items      []map[string]json.RawMessage `json:"items"`
		NextCursor string                       `json:"next_cursor"`
	}
	must(t, json.Unmarshal(raw, &list))
	if len(list.Items) != 1 || list.NextCursor != "" {
		t.Fatalf("list: %s", raw)
	}
	var detailRaw json.RawMessage
	if r := e.do("GET", fmt.Sprintf("/api/v1/results/%d", pub.ID), "", &detailRaw); r.StatusCode != 200 {
		t.Fatalf("detail: %d %s", r.StatusCode, detailRaw)
	}
	for name, body := range map[string][]byte{"list": raw, "detail": detailRaw} {
		for _, leak := range []string{"13912345678", "3号楼", "501室", "楼前路灯坏了", "30.27", "120.15", op.TrackingNo,
			"oResultVoter", "voter", "phone", "lat", "lng", "tracking", "content", "uploads/", a.SHA256, b.SHA256,
			fmt.Sprintf("/photos/%d", photos[0].ID)} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("%s answer holds %q: %s", name, leak, body)
			}
		}
	}
	var got map[string]json.RawMessage
	must(t, json.Unmarshal(detailRaw, &got))
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, resultKeys) {
		t.Errorf("result keys %v, want %v", keys, resultKeys)
	}
	var res models.PublicResult
	must(t, json.Unmarshal(detailRaw, &res))
	if res.Summary != in.Summary || res.Station.ID != e.east.ID || res.Category.Name != "生活服务" ||
		res.FiledOn != "2026-11-24" || res.ClosedOn != "2026-11-24" || res.WorkingDays != 0 || len(res.Photos) != 1 ||
		res.Photos[0].URL != fmt.Sprintf("/api/v1/results/%d/photos/%d", pub.ID, photos[1].ID) {
		t.Errorf("result: %+v", res)
	}

	// The approved photo is served to anyone, the same bytes the voter sees.
	resp, body := e.fetch(res.Photos[0].URL, "")
	_, own := e.fetch(fmt.Sprintf("/api/v1/uploads/%d", b.ID), token)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(body, own) || len(body) == 0 {
		t.Errorf("approved photo: %d %s, %d bytes (own %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(own))
	}
	for _, path := range []string{
		fmt.Sprintf("/api/v1/results/%d/photos/%d", pub.ID, photos[0].ID), // not approved
		fmt.Sprintf("/api/v1/results/%d/photos/%d", pub.ID+1, photos[1].ID),
	} {
		var eb errBody
		if r := e.do("GET", path, "", &eb); r.StatusCode != 404 || eb.Error.Code != "photo_not_found" {
			t.Errorf("GET %s: %d %+v", path, r.StatusCode, eb)
		}
	}

	// Filters and bad parameters.
	var other models.Station
	must(t, e.db.Where("id <> ?", e.east.ID).First(&other).Error)
	for q, want := range map[string]int{
		fmt.Sprintf("station_id=%d", e.east.ID): 1, fmt.Sprintf("station_id=%d", other.ID): 0,
		fmt.Sprintf("category_id=%d", res.Category.ID): 1, fmt.Sprintf("category_id=%d", res.Category.ID+1): 0,
		fmt.Sprintf("cursor=%d", pub.ID): 0, "limit=1": 1,
	} {
		var l struct{ Items []models.PublicResult }
		if r := e.do("GET", "/api/v1/results?"+q, "", &l); r.StatusCode != 200 || len(l.Items) != want {
			t.Errorf("?%s: %d, %d items, want %d", q, r.StatusCode, len(l.Items), want)
		}
	}
	for q, code := range map[string]string{"station_id=abc": "invalid_station_id", "category_id=-1": "invalid_category_id",
		"cursor=x": "invalid_cursor", "limit=51": "invalid_limit"} {
		var eb errBody
		if r := e.do("GET", "/api/v1/results?"+q, "", &eb); r.StatusCode != 400 || eb.Error.Code != code || eb.Error.Message == "" {
			t.Errorf("?%s: %d %+v, want 400 %s", q, r.StatusCode, eb, code)
		}
	}

	// Withdrawn: gone from the list, the detail and the photo.
	must(t, models.WithdrawPublication(ctx, e.db, e.clerk.ID, op.ID, now.Add(2*time.Hour)))
	var l struct{ Items []models.PublicResult }
	if r := e.do("GET", "/api/v1/results", "", &l); r.StatusCode != 200 || len(l.Items) != 0 {
		t.Errorf("list after withdrawal: %d %+v", r.StatusCode, l.Items)
	}
	var eb errBody
	if r := e.do("GET", fmt.Sprintf("/api/v1/results/%d", pub.ID), "", &eb); r.StatusCode != 404 || eb.Error.Code != "result_not_found" {
		t.Errorf("detail after withdrawal: %d %+v", r.StatusCode, eb)
	}
	if r, _ := e.fetch(res.Photos[0].URL, ""); r.StatusCode != 404 {
		t.Errorf("photo after withdrawal: %d", r.StatusCode)
	}
}

// Ensure the development login is off by default (404, as for an unknown
// address), and with it on signs the same name in as the same voter, a
// different name as another, and refuses an empty one.
func TestDevLogin(t *testing.T) {
	off := newEnv(t)
	var eb errBody
	if r := off.do("POST", "/api/v1/session/dev", `{"user":"demo-1"}`, &eb); r.StatusCode != 404 || eb.Error.Code != "route_not_found" {
		t.Errorf("dev login off: %d %+v, want 404 route_not_found", r.StatusCode, eb)
	}
	var n int64
	off.db.Model(&models.Voter{}).Count(&n)
	if n != 0 {
		t.Errorf("%d voters created with the dev login off", n)
	}

	e := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) { d.DevLogin = true })
	login := func(user string) api.SessionView {
		t.Helper()
		var s api.SessionView
		if r := e.do("POST", "/api/v1/session/dev", `{"user":"`+user+`"}`, &s); r.StatusCode != 200 || s.Token == "" {
			t.Fatalf("dev login %s: %d %+v", user, r.StatusCode, s)
		}
		return s
	}
	a1, a2, b := login("demo-1"), login("demo-1"), login("demo-2")
	if a1.Voter.ID != a2.Voter.ID || a1.Token == a2.Token || b.Voter.ID == a1.Voter.ID || a1.Voter.Community != nil {
		t.Errorf("demo-1 %+v, again %+v, demo-2 %+v", a1, a2, b)
	}
	var v models.Voter
	must(t, e.db.First(&v, a1.Voter.ID).Error)
	if v.MPOpenID == nil || *v.MPOpenID != api.DevOpenID("demo-1") || !strings.HasPrefix(*v.MPOpenID, "dev_") {
		t.Errorf("openid %v", v.MPOpenID)
	}
	var me api.VoterView
	if r := e.doAuth("GET", "/api/v1/me", a1.Token, "", &me); r.StatusCode != 200 || me.ID != a1.Voter.ID {
		t.Errorf("me: %d %+v", r.StatusCode, me)
	}
	for _, body := range []string{`{"user":""}`, `{"user":"   "}`, `{"user":"` + strings.Repeat("长", 65) + `"}`, `{}`} {
		var eb errBody
		if r := e.do("POST", "/api/v1/session/dev", body, &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_user" {
			t.Errorf("%s: %d %+v", body, r.StatusCode, eb)
		}
	}
}

// Ensure a voter lists and finds communities, declares one, sees it in
// /me, cannot declare one that does not exist, and that DELETE /api/v1/me
// erases it: the voter row goes, and the same WeChat signing in again is a
// voter with no community.
func TestVoterCommunityAPI(t *testing.T) {
	e := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) { d.DevLogin = true })
	if _, err := models.LoadDemo(t.Context(), e.db); err != nil {
		t.Fatal(err)
	}
	var all struct{ Items []models.CommunityItem }
	if r := e.do("GET", "/api/v1/communities", "", &all); r.StatusCode != 200 {
		t.Fatalf("communities: %d", r.StatusCode)
	}
	var n int64
	e.db.Model(&models.Community{}).Count(&n)
	if int64(len(all.Items)) != n || n == 0 {
		t.Fatalf("%d communities listed, %d in the database", len(all.Items), n)
	}
	pick := all.Items[len(all.Items)/2]
	var found struct{ Items []models.CommunityItem }
	if r := e.do("GET", "/api/v1/communities?q="+pick.Name, "", &found); r.StatusCode != 200 || len(found.Items) == 0 || found.Items[0].ID != pick.ID {
		t.Errorf("q=%s: %d %+v", pick.Name, r.StatusCode, found.Items)
	}
	var eb errBody
	if r := e.do("GET", "/api/v1/communities?q="+strings.Repeat("村", 51), "", &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_q" {
		t.Errorf("long q: %d %+v", r.StatusCode, eb)
	}

	var s api.SessionView
	e.do("POST", "/api/v1/session/dev", `{"user":"community-voter"}`, &s)
	if r := e.do("PUT", "/api/v1/me/community", fmt.Sprintf(`{"community_id":%d}`, pick.ID), nil); r.StatusCode != 401 {
		t.Errorf("without a token: %d", r.StatusCode)
	}
	var me api.VoterView
	if r := e.doAuth("PUT", "/api/v1/me/community", s.Token, fmt.Sprintf(`{"community_id":%d}`, pick.ID), &me); r.StatusCode != 200 ||
		me.Community == nil || me.Community.ID != pick.ID || me.Community.Name != pick.Name {
		t.Fatalf("set: %d %+v", r.StatusCode, me)
	}
	me = api.VoterView{}
	if r := e.doAuth("GET", "/api/v1/me", s.Token, "", &me); r.StatusCode != 200 || me.Community == nil || me.Community.ID != pick.ID {
		t.Errorf("me: %d %+v", r.StatusCode, me)
	}
	for body, want := range map[string]string{`{"community_id":999999}`: "community_not_found", `{"community_id":"x"}`: "invalid_community_id",
		`{"community_id":-1}`: "invalid_community_id"} {
		var eb errBody
		if r := e.doAuth("PUT", "/api/v1/me/community", s.Token, body, &eb); eb.Error.Code != want || r.StatusCode/100 != 4 {
			t.Errorf("%s: %d %+v, want %s", body, r.StatusCode, eb, want)
		}
	}
	var raw json.RawMessage
	if r := e.doAuth("PUT", "/api/v1/me/community", s.Token, `{"community_id":null}`, &raw); r.StatusCode != 200 || !bytes.Contains(raw, []byte(`"community":null`)) {
		t.Errorf("clear: %d %s", r.StatusCode, raw)
	}
	e.doAuth("PUT", "/api/v1/me/community", s.Token, fmt.Sprintf(`{"community_id":%d}`, pick.ID), nil)

	if r := e.doAuth("DELETE", "/api/v1/me", s.Token, "", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: %d", r.StatusCode)
	}
	var left int64
	e.db.Model(&models.Voter{}).Where("id = ? OR community_id IS NOT NULL", s.Voter.ID).Count(&left)
	if left != 0 {
		t.Errorf("%d voter rows with the id or a community after the erasure", left)
	}
	var again api.SessionView
	e.do("POST", "/api/v1/session/dev", `{"user":"community-voter"}`, &again)
	if again.Voter.ID == s.Voter.ID || again.Voter.Community != nil {
		t.Errorf("signed in again: %+v (before: %+v)", again.Voter, s.Voter)
	}
}
