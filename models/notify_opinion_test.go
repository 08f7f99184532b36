package models_test

import (
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
	db := modelstest.NewDB(t)
	ctx, now := t.Context(), time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	ev := models.OpinionEvent{
		Kind: models.EventNewItem, OpinionID: 42, TrackingNo: "YJ20260302-0001", StationID: 7,
		StationName: "一个名字特别特别特别特别特别长的社区代表联络站", Status: models.OpinionSubmitted,
		DueAt: now.Add(48 * time.Hour), Title: "您有一条新的群众意见待受理",
		Summary:   "东门菜市场门口的路灯坏了一个多月，晚上很不安全…",
		Staff:     []models.StaffRecipient{{ID: 3, OpenID: "oClerk"}, {ID: 4, OpenID: ""}},
		DedupeKey: "opinion:42:new:v1",
	}
	ins, skips, err := models.OpinionNotifications(ctx, db, ev, notifyCfg, now)
	if err != nil {
		t.Fatal(err)
	}
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
	ins, skips, err = models.OpinionNotifications(ctx, db, ev, cfg, now)
	if err != nil || len(ins) != 0 || len(skips) != 2 || !strings.Contains(skips[0].Reason, "DEPUTYLINK_TPL_OPINION_STAFF") {
		t.Errorf("unconfigured: %v %+v %+v", err, ins, skips)
	}
	// Without a public URL the message carries no link.
	cfg = notifyCfg
	cfg.Opinion.PublicURL = ""
	ins, _, _ = models.OpinionNotifications(ctx, db, ev, cfg, now)
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
	one := func(voter uint64, key string) (models.NotificationInput, []models.NotifySkip, int) {
		t.Helper()
		ins, skips, err := models.OpinionNotifications(ctx, db, ev(voter, key), notifyCfg, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) > 1 {
			t.Fatalf("voter %d: %d notifications", voter, len(ins))
		}
		if len(ins) == 0 {
			return models.NotificationInput{}, skips, 0
		}
		return ins[0], skips, 1
	}

	// A consent left: the subscribe message, opening the item's page.
	n, _, k := one(consenting, "e1")
	if k != 1 || n.Channel != models.ChannelSubscribe || n.ToUser != "mpConsent" || n.TemplateID != "tplResult" ||
		n.URL != "pages/opinion/detail?id=9" || n.DedupeKey != "e1:voter" {
		t.Errorf("consenting voter: %+v", n)
	}
	// Queued, that message will spend the only consent: the next event
	// finds none left and, the voter following nobody, is skipped.
	if _, _, err := models.Enqueue(ctx, db, n, now); err != nil {
		t.Fatal(err)
	}
	if _, skips, k := one(consenting, "e2"); k != 0 || len(skips) != 1 || skips[0].DedupeKey != "e2:voter" {
		t.Errorf("consent already accounted for: %d %+v", k, skips)
	}
	// No consent, but following the official account: a template message
	// that opens the mini-program page.
	n, _, k = one(follower, "e3")
	if k != 1 || n.Channel != models.ChannelTemplate || n.ToUser != "oaFollower" || n.TemplateID != "tplVoterOA" ||
		n.MiniPage != "pages/opinion/detail?id=9" || n.Fields["thing2"] != "已答复" {
		t.Errorf("follower: %+v", n)
	}
	// Following through the official-account row with the same unionid.
	if n, _, k = one(linkedMP, "e4"); k != 1 || n.ToUser != "oaLinked" {
		t.Errorf("unionid-linked follower: %+v", n)
	}
	// Unfollowed, or mini-program only: nothing, the mini-program shows it.
	for _, v := range []uint64{unfollowed, mpOnly} {
		if _, skips, k := one(v, "e5"); k != 0 || len(skips) != 1 {
			t.Errorf("voter %d: %d notifications, skips %+v", v, k, skips)
		}
	}
	// The voter template unconfigured: the follower gets nothing either.
	cfg := notifyCfg
	cfg.Opinion.VoterOA = config.TemplateSpec{}
	ins, skips, err := models.OpinionNotifications(ctx, db, ev(follower, "e6"), cfg, now)
	if err != nil || len(ins) != 0 || len(skips) != 1 || !strings.Contains(skips[0].Reason, "DEPUTYLINK_TPL_OPINION_VOTER") {
		t.Errorf("unconfigured voter template: %v %+v %+v", err, ins, skips)
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
}
