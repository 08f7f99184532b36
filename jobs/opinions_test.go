package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"

	"gorm.io/gorm"
)

var opLoc = time.FixedZone("CST", 8*3600)

// opCounty is the demo county with a voter, a filed opinion at 东门 and
// the opinion templates configured.
type opCounty struct {
	*env
	d     Deps
	cal   *models.Calendar
	east  models.Station
	head  models.Staff
	admin models.Staff
	voter uint64
}

func newOpCounty(t *testing.T, askDays int) *opCounty {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	c := &opCounty{env: e}
	c.d = e.deps(t, Options{Location: opLoc, Opinion: config.OpinionNotify{
		Staff:         config.TemplateSpec{ID: "tplStaff", Fields: map[string]string{"title": "thing1", "no": "character_string2", "station": "thing3", "due": "time4"}},
		Result:        config.TemplateSpec{ID: "tplResult", Fields: map[string]string{"title": "thing1", "no": "character_string2", "status": "phrase3", "time": "time4"}},
		AskResult:     config.TemplateSpec{ID: "tplAsk", Fields: map[string]string{"title": "thing1", "no": "character_string2", "status": "phrase3", "time": "time4"}},
		PublicURL:     "https://rd.example.gov.cn",
		Page:          "pages/opinion/detail",
		AskResultDays: askDays,
	}})
	var err error
	if c.cal, err = models.LoadCalendar(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		dst   any
		where string
		arg   string
	}{{&c.east, "name = ?", "东门社区代表联络站"}, {&c.head, "name = ?", "应建明"}, {&c.admin, "role = ?", "admin"}} {
		if err := e.db.Where(q.where, q.arg).First(q.dst).Error; err != nil {
			t.Fatal(err)
		}
	}
	for s, openid := range map[uint64]string{c.head.ID: "oHeadYing", c.admin.ID: "oAdminXiang"} {
		if err := e.db.Model(&models.Staff{}).Where("id = ?", s).Update("oa_openid", openid).Error; err != nil {
			t.Fatal(err)
		}
	}
	mp := "mpVoterJobs"
	v := models.Voter{MPOpenID: &mp}
	if err := e.db.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	c.voter = v.ID
	return c
}

func (c *opCounty) file(t *testing.T, at time.Time) models.Opinion {
	t.Helper()
	op, _, err := models.FileOpinion(context.Background(), c.db, models.FileInput{
		VoterID: c.voter, Category: "shenghuo", StationID: c.east.ID,
		Content: "东门菜市场门口的路灯坏了一个多月，晚上很不安全。",
	}, models.RouteWorld{}, at, opLoc, c.cal)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func (c *opCounty) notifications(t *testing.T) []models.Notification {
	t.Helper()
	var ns []models.Notification
	if err := c.db.Order("id").Find(&ns).Error; err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestOpinionOverdueJob(t *testing.T) {
	c := newOpCounty(t, 0)
	ctx := context.Background()
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, opLoc)
	op := c.file(t, monday)
	if want := time.Date(2026, 3, 4, 0, 0, 0, 0, opLoc).AddDate(0, 0, 1); !op.AcceptDueAt.Equal(want) {
		t.Fatalf("accept due %v, want %v", op.AcceptDueAt.In(opLoc), want)
	}

	if n, err := OpinionOverdue(ctx, c.d, op.AcceptDueAt.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("before the deadline: %d %v", n, err)
	}
	// Past the accept deadline: the station head is told, once.
	late := op.AcceptDueAt.Add(9 * time.Hour)
	if n, err := OpinionOverdue(ctx, c.d, late); err != nil || n != 1 {
		t.Fatalf("past the deadline: %d %v", n, err)
	}
	if n, err := OpinionOverdue(ctx, c.d, late.Add(10*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	ns := c.notifications(t)
	if len(ns) != 1 || ns[0].ToUser != "oHeadYing" || ns[0].TemplateID != "tplStaff" ||
		ns[0].URL != fmt.Sprintf("https://rd.example.gov.cn/console/opinions/%d", op.ID) ||
		!strings.HasSuffix(ns[0].DedupeKey, fmt.Sprintf(":head:staff:%d", c.head.ID)) {
		t.Fatalf("notifications = %+v", ns)
	}

	// Five working days later the admins hear of it.
	esc := models.AdminEscalationAt(c.cal, op.AcceptDueAt, opLoc)
	if n, err := OpinionOverdue(ctx, c.d, esc.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("before the escalation: %d %v", n, err)
	}
	if n, err := OpinionOverdue(ctx, c.d, esc); err != nil || n != 1 {
		t.Fatalf("at the escalation: %d %v", n, err)
	}
	ns = c.notifications(t)
	if len(ns) != 2 || ns[1].ToUser != "oAdminXiang" || !strings.Contains(ns[1].DedupeKey, ":admins:staff:") {
		t.Fatalf("notifications = %+v", ns)
	}
	// Both go out, with values WeChat accepts.
	if n, err := RunOnce(ctx, c.d, JobDispatch, esc); err != nil || n != 2 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	sent := c.fake.Templates()
	if len(sent) != 2 || sent[0].Data["character_string2"] != op.TrackingNo || sent[0].Data["time4"] == "" {
		t.Errorf("sent = %+v", sent)
	}
	// The audit log shows both.
	var actions []string
	c.db.Model(&models.AuditLog{}).Where("entity_kind = ? AND entity_id = ?", "opinion", op.ID).Order("id").Pluck("action", &actions)
	if strings.Join(actions, ",") != "opinion.file,opinion.overdue,opinion.overdue_admins" {
		t.Errorf("audit = %v", actions)
	}
}

func TestOpinionAskResultJob(t *testing.T) {
	c := newOpCounty(t, 3)
	ctx := context.Background()
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, opLoc)
	op := c.file(t, monday)
	if _, _, err := models.AcceptOpinion(ctx, c.db, c.head.ID, op.ID, "", monday); err != nil {
		t.Fatal(err)
	}
	replied := monday.Add(2 * time.Hour)
	if _, _, err := models.ReplyOpinion(ctx, c.db, c.head.ID, op.ID, models.ReplyInput{Text: "已联系供电所，本周内修复。"}, replied); err != nil {
		t.Fatal(err)
	}
	if err := models.GrantConsents(ctx, c.db, "mpVoterJobs", []string{"tplAsk"}, monday); err != nil {
		t.Fatal(err)
	}
	c.fake.GrantConsent("mpVoterJobs", "tplAsk", 1)

	if n, err := OpinionAskResult(ctx, c.d, replied.AddDate(0, 0, 3).Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("before 3 days: %d %v", n, err)
	}
	at := replied.AddDate(0, 0, 3)
	if n, err := OpinionAskResult(ctx, c.d, at); err != nil || n != 1 {
		t.Fatalf("after 3 days: %d %v", n, err)
	}
	if n, err := OpinionAskResult(ctx, c.d, at.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("asked twice: %d %v", n, err)
	}
	ns := c.notifications(t)
	if len(ns) != 1 || ns[0].Channel != models.ChannelSubscribe || ns[0].ToUser != "mpVoterJobs" ||
		ns[0].URL != fmt.Sprintf("pages/opinion/detail?id=%d", op.ID) || !strings.HasSuffix(ns[0].DedupeKey, ":voter") {
		t.Fatalf("notifications = %+v", ns)
	}
	if n, err := RunOnce(ctx, c.d, JobDispatch, at); err != nil || n != 1 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	subs := c.fake.Subscribes()
	if len(subs) != 1 || subs[0].Data["thing1"] != "您反映的问题解决了吗？" || subs[0].Data["phrase3"] != "已答复" {
		t.Errorf("subscribe = %+v", subs)
	}
	if left, _ := models.ConsentsLeft(ctx, c.db, "mpVoterJobs", "tplAsk"); left != 0 {
		t.Errorf("consents left %d, want 0", left)
	}
}

func TestRecomputeDeadlinesJob(t *testing.T) {
	c := newOpCounty(t, 0)
	ctx := context.Background()
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, opLoc)
	op := c.file(t, monday)

	// The first run records the calendar; nothing needs to move.
	if n, err := RecomputeDeadlines(ctx, c.d, monday); err != nil || n != 0 {
		t.Fatalf("first run: %d %v", n, err)
	}
	// The county declares Tuesday and Wednesday days off: the accept
	// deadline moves two working days on.
	for _, d := range []string{"2026-03-03", "2026-03-04"} {
		if err := c.db.Create(&models.Holiday{Date: d, Kind: models.HolidayOff, Name: "防汛停工"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := RecomputeDeadlines(ctx, c.d, monday.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("after the edit: %d %v", n, err)
	}
	var got models.Opinion
	c.db.First(&got, op.ID)
	if want := op.AcceptDueAt.AddDate(0, 0, 2); !got.AcceptDueAt.Equal(want) {
		t.Errorf("accept due %v, want %v", got.AcceptDueAt.In(opLoc), want.In(opLoc))
	}
	// Unchanged calendar: the run skips the items altogether.
	c.db.Model(&models.Opinion{}).Where("id = ?", op.ID).Update("accept_due_at", op.AcceptDueAt)
	if n, err := RecomputeDeadlines(ctx, c.d, monday.Add(2*time.Hour)); err != nil || n != 0 {
		t.Fatalf("unchanged calendar: %d %v", n, err)
	}
	// Without its fingerprint (or without Redis) it recomputes.
	c.redis.Client.Del(ctx, c.d.Prefix+"opinion:calendar")
	if n, err := RecomputeDeadlines(ctx, c.d, monday.Add(3*time.Hour)); err != nil || n != 1 {
		t.Fatalf("fingerprint lost: %d %v", n, err)
	}
	noRedis := c.d
	noRedis.Redis = nil
	if n, err := RecomputeDeadlines(ctx, noRedis, monday.Add(4*time.Hour)); err != nil || n != 0 {
		t.Fatalf("without redis: %d %v", n, err)
	}
}

func TestOpinionJobsRegistered(t *testing.T) {
	c := newOpCounty(t, 0)
	every := map[string]time.Duration{}
	for _, j := range All(c.d.Opt) {
		every[j.Name] = j.Every
		if j.Concurrent && strings.HasPrefix(j.Name, "opinion-") {
			t.Errorf("%s must run once per period across replicas", j.Name)
		}
	}
	for name, want := range map[string]time.Duration{JobOpinionOverdue: 10 * time.Minute, JobOpinionAskResult: time.Hour, JobOpinionDeadlines: time.Hour} {
		if every[name] != want {
			t.Errorf("%s every %v, want %v", name, every[name], want)
		}
		if _, err := RunOnce(context.Background(), c.d, name, time.Date(2026, 3, 2, 9, 0, 0, 0, opLoc)); err != nil {
			t.Errorf("RunOnce %s: %v", name, err)
		}
	}
}

// TestOpinionJobsWorkInPages: a backlog of due items larger than a page
// (a first start on a county-year) is worked through page after page, each
// item told once, instead of being loaded in one transaction.
func TestOpinionJobsWorkInPages(t *testing.T) {
	defer func(n int) { models.DuePage = n }(models.DuePage)
	models.DuePage = 2
	c := newOpCounty(t, 3)
	ctx := context.Background()
	// The most opinions any one query loads.
	var most int64
	if err := c.db.Callback().Query().After("gorm:query").Register("test:opinion_rows", func(db *gorm.DB) {
		if db.Statement.Table == "opinions" {
			most = max(most, db.Statement.RowsAffected)
		}
	}); err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, opLoc)
	var ops []models.Opinion
	for range 5 {
		ops = append(ops, c.file(t, monday))
	}
	late := ops[0].AcceptDueAt.Add(9 * time.Hour)
	if n, err := OpinionOverdue(ctx, c.d, late); err != nil || n != 5 {
		t.Fatalf("overdue over pages of 2: %d %v, want 5", n, err)
	}
	if n, err := OpinionOverdue(ctx, c.d, late.Add(10*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	keys := map[string]bool{}
	for _, n := range c.notifications(t) {
		keys[n.DedupeKey] = true
	}
	if len(keys) != 5 {
		t.Fatalf("%d distinct overdue notices, want 5: %v", len(keys), keys)
	}

	// Three of them replied: the voter is asked about each, once.
	for _, op := range ops[:3] {
		if _, _, err := models.AcceptOpinion(ctx, c.db, c.head.ID, op.ID, "", late); err != nil {
			t.Fatal(err)
		}
		if _, _, err := models.ReplyOpinion(ctx, c.db, c.head.ID, op.ID, models.ReplyInput{Text: "已联系供电所，本周内修复。"}, late); err != nil {
			t.Fatal(err)
		}
	}
	at := late.AddDate(0, 0, 3)
	if n, err := OpinionAskResult(ctx, c.d, at); err != nil || n != 3 {
		t.Fatalf("ask-result over pages of 2: %d %v, want 3", n, err)
	}
	if n, err := OpinionAskResult(ctx, c.d, at.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("asked twice: %d %v", n, err)
	}
	var asked int64
	c.db.Model(&models.Opinion{}).Where("result_asked_at IS NOT NULL").Count(&asked)
	if asked != 3 {
		t.Fatalf("%d opinions marked asked, want 3", asked)
	}
	if most > 2 {
		t.Errorf("a query loaded %d opinions, more than a page of 2", most)
	}
}
