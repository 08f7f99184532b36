package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/handlers/api"
	"deputylink/jobs"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// staffCall sends a console API request with a Bearer token.
func (e *opinionEnv) staffCall(method, path, token, body string, out any) *http.Response {
	e.t.Helper()
	if body == "" {
		return e.req(method, path, token, nil, nil, out)
	}
	return e.req(method, path, token, nil, strings.NewReader(body), out)
}

// dispatch runs the outbox dispatcher once, against the fake WeChat.
func (e *opinionEnv) dispatch(now time.Time) int {
	e.t.Helper()
	n, err := jobs.RunOnce(e.t.Context(), jobs.Deps{
		DB: e.db, Redis: e.rd.Client, Prefix: e.rd.Prefix, WeChat: e.wc,
		Opt: jobs.Options{Location: opLoc, MiniProgramAppID: wechattest.DefaultMPAppID},
	}, jobs.JobDispatch, now)
	must(e.t, err)
	return n
}

func templatesTo(fake *wechattest.Server, openid string) []wechattest.TemplateDelivery {
	var out []wechattest.TemplateDelivery
	for _, d := range fake.Templates() {
		if d.ToUser == openid {
			out = append(out, d)
		}
	}
	return out
}

// End to end through the real router and the fake WeChat API: a voter
// files via a deputy's code → the station's bound clerk gets exactly one
// template message → the clerk accepts, transfers and replies through the
// staff API → the voter gets the reply notification → rates the result
// unsatisfied → the item is reopened, and the audit log shows every step.
func TestOpinionEndToEnd(t *testing.T) {
	old := models.PasswordCost
	models.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { models.PasswordCost = old })
	e := newOpinionEnv(t, nil)
	ctx, now := t.Context(), time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	// The station's clerk has a console account and bound the official account.
	const password = "dongmen-clerk-2026"
	clerk, err := models.CreateConsoleUser(ctx, e.db, "clerk.dongmen", password, "王晓燕", models.RoleClerk, []uint64{e.east.ID}, now)
	must(t, err)
	e.bindStaff(clerk, "oClerkWang")
	var west models.Station
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&west).Error)
	_, err = models.CreateConsoleUser(ctx, e.db, "clerk.xijie", password, "严小波", models.RoleClerk, []uint64{west.ID}, now)
	must(t, err)
	e.fake.Follow("oClerkWang")

	// The voter logs in, allows the messages offered at filing (受理, 答复/办结,
	// 解决了吗？) with one tap, and files by the deputy's code.
	voter := e.login(e.fake, "oVoterE2E")
	offered := e.offered(voter, "filing")
	if !slices.Equal(offered, []string{opTplAccept, opTplResult, opTplAsk}) {
		t.Fatalf("filing offers %v", offered)
	}
	ids, _ := json.Marshal(offered)
	if r := e.doAuth("POST", "/api/v1/subscriptions", voter, `{"template_ids":`+string(ids)+`}`, nil); r.StatusCode != 200 {
		t.Fatalf("subscriptions: %d", r.StatusCode)
	}
	for _, id := range offered {
		e.fake.GrantConsent("oVoterE2E", id, 1)
	}
	op := e.fileOpinion(voter, "e2e-1", map[string]any{"content": lampContent, "category": "shenghuo", "code": e.code}, 201)
	if op.Station.ID != e.east.ID {
		t.Fatalf("routed to %+v: %s", op.Station, op.RouteReason)
	}

	// The clerk gets exactly one template message, linking to the item.
	if n := e.dispatch(now); n != 1 {
		t.Fatalf("dispatched %d, want 1", n)
	}
	got := templatesTo(e.fake, "oClerkWang")
	if len(e.fake.Templates()) != 1 || len(got) != 1 || got[0].TemplateID != opTplStaff ||
		got[0].URL != fmt.Sprintf("%s/console/opinions/%d", opPublicURL, op.ID) || got[0].Data["character_string2"] != op.TrackingNo {
		t.Fatalf("templates = %+v", e.fake.Templates())
	}

	// The clerk signs in to the staff API and works the item.
	var sess struct {
		Token string `json:"token"`
	}
	if r := e.staffCall("POST", "/console/api/login", "", `{"username":"clerk.dongmen","password":"`+password+`"}`, &sess); r.StatusCode != 200 || sess.Token == "" {
		t.Fatalf("console login: %d", r.StatusCode)
	}
	var otherSess struct {
		Token string `json:"token"`
	}
	e.staffCall("POST", "/console/api/login", "", `{"username":"clerk.xijie","password":"`+password+`"}`, &otherSess)
	item := fmt.Sprintf("/console/api/opinions/%d", op.ID)
	var list struct {
		Items []models.StaffOpinionView `json:"items"`
	}
	if r := e.staffCall("GET", "/console/api/opinions?status=submitted", sess.Token, "", &list); r.StatusCode != 200 ||
		len(list.Items) != 1 || list.Items[0].ID != op.ID || list.Items[0].VoterID == 0 {
		t.Fatalf("clerk's list: %d %+v", r.StatusCode, list.Items)
	}
	// A clerk of another station sees nothing and can change nothing.
	var eb errBody
	if r := e.staffCall("POST", item+"/accept", otherSess.Token, `{"note":"x"}`, &eb); r.StatusCode != 404 {
		t.Errorf("another station's clerk accepted: %d %q", r.StatusCode, eb.Error.Code)
	}
	var dept models.Department
	must(t, e.db.Where("name = ?", "县住建局").First(&dept).Error)
	steps := []struct{ action, body string }{
		{"accept", `{"note":"已电话联系群众，情况属实"}`},
		{"transfer", fmt.Sprintf(`{"department_id":%d,"due_at":"2026-12-10","note":"路灯属住建局城管科维护"}`, dept.ID)},
		{"reply", `{"text":"经县住建局现场核实，路灯线路老化，已于本周更换，恢复照明。","note":"住建局已回函"}`},
	}
	want := []models.OpinionStatus{models.OpinionAccepted, models.OpinionTransferred, models.OpinionReplied}
	for i, s := range steps {
		var v models.StaffOpinionView
		if r := e.staffCall("POST", item+"/"+s.action, sess.Token, s.body, &v); r.StatusCode != 200 || v.Status != want[i] {
			t.Fatalf("%s: %d %s", s.action, r.StatusCode, v.Status)
		}
	}

	// The voter is told of the acceptance and the reply, by subscribe messages.
	e.dispatch(now)
	subs := e.fake.Subscribes()
	titles := map[string]wechattest.SubscribeDelivery{}
	for _, s := range subs {
		titles[s.Data["thing1"]] = s
	}
	reply, ok := titles["您的意见已答复"]
	if accepted := titles["您的意见已受理"]; len(subs) != 2 || !ok || accepted.TemplateID != opTplAccept || reply.ToUser != "oVoterE2E" ||
		reply.TemplateID != opTplResult || reply.Data["phrase3"] != "已答复" ||
		reply.Page != fmt.Sprintf("pages/opinion/detail?id=%d", op.ID) {
		t.Fatalf("subscribe messages = %+v", subs)
	}
	if len(e.fake.Templates()) != 1 {
		t.Errorf("staff got %d template messages, want still 1", len(e.fake.Templates()))
	}
	var mine api.OpinionResponse
	e.doAuth("GET", fmt.Sprintf("/api/v1/opinions/%d", op.ID), voter, "", &mine)
	kinds := []string{}
	for _, s := range mine.Timeline {
		kinds = append(kinds, s.Kind)
	}
	if mine.Status != models.OpinionReplied || !strings.Contains(mine.Reply, "恢复照明") ||
		!slices.Equal(kinds, []string{"submitted", "accepted", "transferred", "replied"}) || !slices.Equal(mine.CanRate, []string{"reply", "result"}) {
		t.Fatalf("voter's view: %s %q %v can_rate %v", mine.Status, mine.Reply, kinds, mine.CanRate)
	}
	if strings.Contains(fmt.Sprint(mine.Timeline), "住建局已回函") || strings.Contains(fmt.Sprint(mine.Timeline), "情况属实") {
		t.Error("internal notes leaked into the voter's timeline")
	}

	// The voter rates: the reply is fine, the result is not → reopened.
	for _, r := range []struct{ stage, score string }{{"reply", "satisfied"}, {"result", "unsatisfied"}} {
		if resp := e.doAuth("POST", fmt.Sprintf("/api/v1/opinions/%d/ratings", op.ID), voter,
			fmt.Sprintf(`{"stage":%q,"score":%q,"comment":"灯修了但晚上十点后又灭了"}`, r.stage, r.score), nil); resp.StatusCode != 201 {
			t.Fatalf("rate %s: %d", r.stage, resp.StatusCode)
		}
	}
	var staffView models.StaffOpinionView
	if r := e.staffCall("GET", item, sess.Token, "", &staffView); r.StatusCode != 200 || staffView.Status != models.OpinionReopened || staffView.Round != 2 {
		t.Fatalf("after the unsatisfied result: %d %s round %d", r.StatusCode, staffView.Status, staffView.Round)
	}
	// The clerk hears of the second round.
	e.dispatch(now)
	if got := templatesTo(e.fake, "oClerkWang"); len(got) != 2 || got[1].Data["character_string2"] != op.TrackingNo {
		t.Errorf("clerk's messages after the reopening = %+v", got)
	}

	// The audit log shows every step, who did it, from and to.
	type step struct{ action, kind, from, to string }
	var trail []step
	for _, a := range staffView.Trail {
		trail = append(trail, step{a.Action, a.ActorKind, a.From, a.To})
		if a.ActorKind == "staff" && a.ActorID != clerk.ID {
			t.Errorf("step %s by staff %d, want the clerk %d", a.Action, a.ActorID, clerk.ID)
		}
	}
	wantTrail := []step{
		{"opinion.file", "voter", "", "submitted"},
		{"opinion.accept", "staff", "submitted", "accepted"},
		{"opinion.transfer", "staff", "accepted", "transferred"},
		{"opinion.reply", "staff", "transferred", "replied"},
		{"opinion.rate", "voter", "replied", "replied"},
		{"opinion.rate", "voter", "replied", "replied"},
		{"opinion.reopen", "voter", "replied", "reopened"},
	}
	if !slices.Equal(trail, wantTrail) {
		t.Errorf("audit trail:\n got %v\nwant %v", trail, wantTrail)
	}
}
