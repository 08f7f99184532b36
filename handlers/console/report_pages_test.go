package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"deputylink/handlers/console"
	"deputylink/models"
	"deputylink/models/records"
)

// passwordLogin signs a desk browser in as a console user with the
// sign-in page's form.
func (e *deputyEnv) passwordLogin(user string) *uaBrowser {
	e.t.Helper()
	b := e.browser(deskUA)
	r := b.get("/console/login")
	r = b.post("/console/login", url.Values{"username": {user}, "password": {conPassword}, "csrf": {hidden(r.body, "csrf")},
		"next": {"/console/"}})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d\n%s", user, r.StatusCode, r.body)
	}
	return b
}

// TestReportPages: a deputy opens last month's 通报 from the notice's link
// inside WeChat and sees their own figure with the medians beside it and
// the sentence on medians; a month not over yet, a malformed one, or one
// before the deputy's term answers the 404 page that says which months
// exist; 我的履职 lists the months; staff of the deputy's station read the
// same 通报 from the record, staff of another station get the 404 page.
func TestReportPages(t *testing.T) {
	e := newDeputyEnv(t)
	ctx := t.Context()
	admin := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: e.headE.ID}, StationIDs: []uint64{e.east.ID}}
	for _, date := range []string{"2026-10-12", "2026-10-20"} {
		a, err := records.AddStaffActivity(ctx, e.db, admin, e.headE.ID, records.ActivityInput{DeputyID: e.wang.ID,
			Type: models.ActVisit, Date: date, Title: "走访东门社区独居老人", Loc: conLoc}, conT0)
		must(t, err)
		_, err = records.ReviewActivities(ctx, e.db, admin, e.headE.ID, []uint64{a.ID}, true, "", conT0)
		must(t, err)
	}
	link := console.MeReportPath("2026-10")
	b, r := e.signInWeChat("oa-deputy-wang", link)
	if r.StatusCode != http.StatusSeeOther || r.location() != link {
		t.Fatalf("signed in from the notice: %d %q", r.StatusCode, r.location())
	}
	r = b.get(link)
	visit := between(r.body, `data-key="act:visit"`, "</li>")
	if r.StatusCode != 200 || !strings.Contains(r.body, "2026年10月履职情况通报") || !strings.Contains(r.body, "不排名次") ||
		!strings.Contains(visit, "<strong>2</strong> 次") || !strings.Contains(visit, "全县中位数 <b>0</b>") {
		t.Fatalf("the deputy's 通报: %d, the visits line %q\n%s", r.StatusCode, visit, r.body)
	}
	for _, bad := range []string{"2026-11", "2026-13", "2026-1", "abc", "2023-12"} {
		if r := b.get(console.MeReportPath(bad)); r.StatusCode != 404 || !strings.Contains(r.body, "没有这个月的履职通报") {
			t.Errorf("month %q: %d", bad, r.StatusCode)
		}
	}
	if r := b.get(console.MePath); !strings.Contains(r.body, `href="`+link+`"`) || !strings.Contains(r.body, "月度履职情况通报") {
		t.Errorf("我的履职 does not list October's 通报:\n%s", r.body)
	}

	staffPath := console.RecordsReportPath(e.wang.ID, "2026-10")
	head := e.passwordLogin("head_e")
	if r := head.get(console.RecordsDeputyPath(e.wang.ID)); !strings.Contains(r.body, `href="`+staffPath+`"`) {
		t.Errorf("the record does not link the 通报: %d", r.StatusCode)
	}
	r = head.get(staffPath)
	if r.StatusCode != 200 || between(r.body, `data-key="act:visit"`, "</li>") != visit || !strings.Contains(r.body, "返回"+e.wang.Name+"的履职档案") {
		t.Fatalf("the station head's view: %d, %q, the deputy's %q", r.StatusCode, between(r.body, `data-key="act:visit"`, "</li>"), visit)
	}
	if r := e.passwordLogin("clerk_w").get(staffPath); r.StatusCode != 404 {
		t.Errorf("another station's clerk: %d", r.StatusCode)
	}
	if r := head.get(console.RecordsReportPath(e.wang.ID, "2026-11")); r.StatusCode != 404 {
		t.Errorf("staff, a month not over: %d", r.StatusCode)
	}
	// A deputy elected in November has no October, and no list yet (and
	// leaves October's medians).
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", e.li.ID).Update("term_start", "2026-11-05").Error)
	bl, _ := e.signInWeChat("oa-deputy-li", console.MePath)
	if r := bl.get(link); r.StatusCode != 404 || !strings.Contains(r.body, "没有这个月的履职通报") {
		t.Errorf("a month before the term: %d", r.StatusCode)
	}
	if r := bl.get(console.MePath); r.StatusCode != 200 || strings.Contains(r.body, "月度履职情况通报") {
		t.Errorf("a deputy with no ended month in office lists 通报: %d", r.StatusCode)
	}
}
