package models_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"deputylink/config"
	"deputylink/models"
	"deputylink/models/modelstest"
)

var notifyCfg = models.NotifyConfig{Opinion: config.OpinionNotify{
	Staff:     config.TemplateSpec{ID: "tplStaff", Fields: map[string]string{"title": "thing1", "no": "character_string2", "summary": "thing3", "station": "thing4"}},
	Result:    config.TemplateSpec{ID: "tplResult"},
	VoterOA:   config.TemplateSpec{ID: "tplVoterOA", Fields: map[string]string{"title": "thing1", "status": "thing2"}},
	PublicURL: "https://rd.example.gov.cn",
}}

func strp(s string) *string { return &s }

func TestOpinionNotificationsStaff(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	ev := models.OpinionEvent{
		Kind: models.EventNewItem, OpinionID: 42, TrackingNo: "YJ20260302-0001", StationID: 7,
		StationName: "一个名字特别特别特别特别特别长的社区代表联络站", Status: models.OpinionSubmitted,
		DueAt: now.Add(48 * time.Hour), Title: "您有一条新的群众意见待受理",
		Summary:   "东门菜市场门口的路灯坏了一个多月，晚上很不安全…",
		Staff:     []models.StaffRecipient{{ID: 3, OpenID: "oClerk"}, {ID: 4, OpenID: ""}},
		DedupeKey: "opinion:42:new:v1",
	}
	ins, skips := models.OpinionStaffNotifications(ev, notifyCfg, now)
	if len(ins) != 1 || len(skips) != 1 || skips[0].DedupeKey != "opinion:42:new:v1:staff:4" {
		t.Fatalf("ins %+v skips %+v", ins, skips)
	}
	n := ins[0]
	if n.Channel != models.ChannelTemplate || n.ToUser != "oClerk" || n.TemplateID != "tplStaff" ||
		n.URL != "https://rd.example.gov.cn/console/opinions/42" || n.DedupeKey != "opinion:42:new:v1:staff:3" ||
		n.StationID == nil || *n.StationID != 7 {
		t.Errorf("staff notification = %+v", n)
	}
	if len(n.Fields) != 4 || n.Fields["character_string2"] != "YJ20260302-0001" {
		t.Errorf("fields = %v", n.Fields)
	}
	for k, v := range n.Fields {
		if utf8.RuneCountInString(v) > 20 || v == "" {
			t.Errorf("field %s = %q: a thing value is 1–20 characters", k, v)
		}
	}
	if !strings.HasSuffix(n.Fields["thing4"], "…") {
		t.Errorf("long station name not cut: %q", n.Fields["thing4"])
	}

	// No staff template configured: nothing queued, a reason given.
	cfg := notifyCfg
	cfg.Opinion.Staff = config.TemplateSpec{}
	ins, skips = models.OpinionStaffNotifications(ev, cfg, now)
	if len(ins) != 0 || len(skips) != 2 || !strings.Contains(skips[0].Reason, "DEPUTYLINK_TPL_OPINION_STAFF") {
		t.Errorf("unconfigured: %+v %+v", ins, skips)
	}
	// Without a public URL the message carries no link.
	cfg = notifyCfg
	cfg.Opinion.PublicURL = ""
	ins, _ = models.OpinionStaffNotifications(ev, cfg, now)
	if len(ins) != 1 || ins[0].URL != "" {
		t.Errorf("no public URL: %+v", ins)
	}
}

func TestOpinionNotificationsVoterChannels(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx, now := t.Context(), time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	mk := func(v models.Voter) uint64 {
		t.Helper()
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	mpOnly := mk(models.Voter{MPOpenID: strp("mpOnly")})
	consenting := mk(models.Voter{MPOpenID: strp("mpConsent")})
	follower := mk(models.Voter{MPOpenID: strp("mpFollower"), OAOpenID: strp("oaFollower"), Following: true})
	unfollowed := mk(models.Voter{OAOpenID: strp("oaGone"), Following: false})
	linkedMP := mk(models.Voter{MPOpenID: strp("mpLinked"), UnionID: strp("union1")})
	mk(models.Voter{OAOpenID: strp("oaLinked"), UnionID: strp("union1"), Following: true})
	if err := models.GrantConsents(ctx, db, "mpConsent", []string{"tplResult"}, now); err != nil {
		t.Fatal(err)
	}

	ev := func(voter uint64, key string) models.OpinionEvent {
		return models.OpinionEvent{Kind: models.EventReplied, OpinionID: 9, TrackingNo: "YJ20260302-0009", StationID: 7,
			StationName: "东门社区代表联络站", Status: models.OpinionReplied, Title: "您的意见已答复", VoterID: voter, DedupeKey: key}
	}
	// one runs NotifyOpinion for one event and returns the row it wrote.
	one := func(voter uint64, key string, cfg models.NotifyConfig) (models.Notification, int) {
		t.Helper()
		created, err := models.NotifyOpinion(ctx, db, []models.OpinionEvent{ev(voter, key)}, cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		var rows []models.Notification
		if err := db.Where("dedupe_key = ?", key+":voter").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != created {
			t.Fatalf("voter %d: created %d, %d rows", voter, created, len(rows))
		}
		if created == 0 {
			return models.Notification{}, 0
		}
		return rows[0], created
	}

	// A consent left: the subscribe message, opening the item's page; it
	// holds the consent from the moment it is queued.
	n, k := one(consenting, "e1", notifyCfg)
	if k != 1 || n.Channel != models.ChannelSubscribe || n.ToUser != "mpConsent" || n.TemplateID != "tplResult" ||
		n.URL != "pages/opinion/detail?id=9" || !n.ConsentUsed {
		t.Errorf("consenting voter: %+v", n)
	}
	if left, _ := models.ConsentsLeft(ctx, db, "mpConsent", "tplResult"); left != 0 {
		t.Errorf("%d consents left after the notice was queued, want 0", left)
	}
	// The only consent is spent: the next event finds none left and, the
	// voter following nobody, is skipped.
	if _, k := one(consenting, "e2", notifyCfg); k != 0 {
		t.Errorf("consent already spent, yet %d notices", k)
	}
	// No consent, but following the official account: a template message
	// that opens the mini-program page.
	n, k = one(follower, "e3", notifyCfg)
	if f, _ := n.Data(); k != 1 || n.Channel != models.ChannelTemplate || n.ToUser != "oaFollower" || n.TemplateID != "tplVoterOA" ||
		n.MiniPage != "pages/opinion/detail?id=9" || f["thing2"] != "已答复" || n.ConsentUsed {
		t.Errorf("follower: %+v", n)
	}
	// Following through the official-account row with the same unionid.
	if n, k = one(linkedMP, "e4", notifyCfg); k != 1 || n.ToUser != "oaLinked" {
		t.Errorf("unionid-linked follower: %+v", n)
	}
	// Unfollowed, or mini-program only: nothing, the mini-program shows it.
	for i, v := range []uint64{unfollowed, mpOnly} {
		if _, k := one(v, fmt.Sprintf("e5-%d", i), notifyCfg); k != 0 {
			t.Errorf("voter %d: %d notifications", v, k)
		}
	}
	// The voter template unconfigured: the follower gets nothing either.
	cfg := notifyCfg
	cfg.Opinion.VoterOA = config.TemplateSpec{}
	if _, k := one(follower, "e6", cfg); k != 0 {
		t.Errorf("unconfigured voter template: %d notices", k)
	}

	// NotifyOpinion writes each once, whatever the repeats.
	evs := []models.OpinionEvent{ev(follower, "e7"), ev(linkedMP, "e7b")}
	for i, want := range []int{2, 0} {
		created, err := models.NotifyOpinion(ctx, db, evs, notifyCfg, now)
		if err != nil || created != want {
			t.Fatalf("run %d: created %d (%v), want %d", i, created, err, want)
		}
	}
	var cnt int64
	db.Model(&models.Notification{}).Where("dedupe_key IN ?", []string{"e7:voter", "e7b:voter"}).Count(&cnt)
	if cnt != 2 {
		t.Errorf("enqueued %d, want 2", cnt)
	}
	// A repeated subscribe notice spends no second consent.
	if err := models.GrantConsents(ctx, db, "mpConsent", []string{"tplResult"}, now); err != nil {
		t.Fatal(err)
	}
	if created, err := models.NotifyOpinion(ctx, db, []models.OpinionEvent{ev(consenting, "e1")}, notifyCfg, now); err != nil || created != 0 {
		t.Errorf("repeat of e1 wrote %d rows (%v)", created, err)
	}
	if left, _ := models.ConsentsLeft(ctx, db, "mpConsent", "tplResult"); left != 1 {
		t.Errorf("a repeat spent the consent: %d left, want 1", left)
	}
}

// TestOpinionConsentRule: each voter notice spends a consent of its own
// template (one tap at filing allows 受理, 答复 and 解决了吗？ once each); a
// long-term template's consent is never spent, until 43101 drops it.
func TestOpinionConsentRule(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx, now := t.Context(), time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	cfg := notifyCfg
	cfg.Opinion.Accepted = config.TemplateSpec{ID: "tplAccepted"}
	cfg.Opinion.AskResult = config.TemplateSpec{ID: "tplAsk"}
	v := models.Voter{MPOpenID: strp("mpRule")}
	if err := db.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.GrantConsents(ctx, db, "mpRule", []string{"tplAccepted", "tplResult", "tplAsk"}, now); err != nil {
		t.Fatal(err)
	}
	ev := func(kind models.EventKind, key string) models.OpinionEvent {
		return models.OpinionEvent{Kind: kind, OpinionID: 9, TrackingNo: "YJ20260302-0009", Status: models.OpinionReplied,
			Title: "标题", VoterID: v.ID, DedupeKey: key}
	}
	tplOf := func(key string) string {
		var rows []models.Notification
		if err := db.Where("dedupe_key = ?", key+":voter").Find(&rows).Error; err != nil || len(rows) > 1 {
			t.Fatalf("%s: %v %d rows", key, err, len(rows))
		}
		if len(rows) == 0 {
			return ""
		}
		return rows[0].TemplateID
	}
	for _, c := range []struct {
		kind      models.EventKind
		key, want string
	}{
		{models.EventAccepted, "a1", "tplAccepted"},
		{models.EventAccepted, "a2", ""}, // its one consent is spent; the others are not its to spend
		{models.EventReplied, "r1", "tplResult"},
		{models.EventClosed, "c1", ""},
		{models.EventAskResult, "q1", "tplAsk"},
	} {
		if _, err := models.NotifyOpinion(ctx, db, []models.OpinionEvent{ev(c.kind, c.key)}, cfg, now); err != nil {
			t.Fatal(err)
		}
		if got := tplOf(c.key); got != c.want {
			t.Errorf("%s %s: template %q, want %q", c.kind, c.key, got, c.want)
		}
	}

	// Long-term: every event is sent, the consent stays.
	cfg.Opinion.Result.LongTerm = true
	if err := models.GrantConsents(ctx, db, "mpRule", []string{"tplResult"}, now); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		key := fmt.Sprintf("long%d", i)
		if _, err := models.NotifyOpinion(ctx, db, []models.OpinionEvent{ev(models.EventReplied, key)}, cfg, now); err != nil {
			t.Fatal(err)
		}
		if tplOf(key) != "tplResult" {
			t.Errorf("long-term send %d not queued", i)
		}
	}
	if left, _ := models.ConsentsLeft(ctx, db, "mpRule", "tplResult"); left != 1 {
		t.Errorf("long-term consent spent: %d left, want 1", left)
	}
	// A row queued before consents were reserved is settled by the same
	// rule at dispatch: a long-term template spends nothing there either.
	id, _, err := models.Enqueue(ctx, db, models.NotificationInput{Channel: models.ChannelSubscribe, ToUser: "mpRule",
		TemplateID: "tplResult", DedupeKey: "legacy"}, now)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := models.Claim(ctx, db, now, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range claimed {
		if n.ID != id {
			continue
		}
		if ok, err := models.SpendConsent(ctx, db, cfg, n, now); !ok || err != nil {
			t.Errorf("legacy long-term row: %v %v", ok, err)
		}
	}
	if left, _ := models.ConsentsLeft(ctx, db, "mpRule", "tplResult"); left != 1 {
		t.Errorf("dispatch spent a long-term consent: %d left", left)
	}
	// The voter turned it off (43101): nothing more is queued.
	if err := models.DropConsent(ctx, db, "mpRule", "tplResult", now); err != nil {
		t.Fatal(err)
	}
	if _, err := models.NotifyOpinion(ctx, db, []models.OpinionEvent{ev(models.EventReplied, "off")}, cfg, now); err != nil {
		t.Fatal(err)
	}
	if got := tplOf("off"); got != "" {
		t.Errorf("sent after the long-term consent was turned off: %q", got)
	}
}
