package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// deadRow writes a notification and moves it to status with attempts and
// an error, as the dispatcher leaves it.
func deadRow(t *testing.T, db *gorm.DB, key, to string, station *uint64, status models.NotifyStatus, attempts int, lastErr string, at time.Time) uint64 {
	t.Helper()
	in := tplInput(key)
	in.ToUser, in.StationID = to, station
	id, _, err := models.Enqueue(context.Background(), db, in, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Notification{}).Where("id = ?", id).Updates(map[string]any{
		"status": status, "attempts": attempts, "last_error": lastErr, "updated_at": at,
	}).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// Ensure a retry resets exactly the chosen dead rows (a new attempt
// counter, due now, the dedupe key kept), audits each, is refused to a
// township user, and that the dispatcher then sends each once.
func TestRetryDeadNotifications(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	st := models.Station{Kind: models.KindStation, Name: "东门社区代表联络站", Address: "路1号", District: "城关镇", Lat: 30.27, Lng: 120.15, OpenHours: "周一至周五"}
	other := models.Station{Kind: models.KindStation, Name: "桃源镇代表联络站", Address: "路2号", District: "桃源镇", Lat: 30.3, Lng: 120.1, OpenHours: "周一至周五"}
	for _, s := range []*models.Station{&st, &other} {
		if err := db.Create(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	admin := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 7}, All: true}
	town := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 8}, Township: "城关镇"}
	chosen := deadRow(t, db, "opinion:1:accepted", "oA", &st.ID, models.NotifyDead, 8, "gave up after 8 attempts: wechat: template.send: errcode=-1: system busy", now.Add(-2*time.Hour))
	alsoDead := deadRow(t, db, "opinion:2:accepted", "oB", &other.ID, models.NotifyDead, 1, "wechat: template.send: errcode=43004: require subscribe", now.Add(-3*time.Hour))
	sent := deadRow(t, db, "opinion:3:accepted", "oC", &st.ID, models.NotifySent, 1, "", now.Add(-time.Hour))
	stuck := deadRow(t, db, "opinion:4:accepted", "oD", &st.ID, models.NotifyFailed, 3, "wechat: template.send: http status 502", now.Add(-5*time.Hour))
	if err := db.Model(&models.Notification{}).Where("id = ?", stuck).Update("next_attempt_at", now.Add(-2*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}

	// The lists: the township sees its station's dead row and stuck row only.
	l, err := models.ListOutbox(ctx, db, town, models.OutboxFilter{}, now)
	if err != nil || len(l.Rows) != 1 || l.Rows[0].ID != chosen || l.Dead != 1 || l.Stuck != 1 {
		t.Fatalf("township dead list %+v %v", l, err)
	}
	if l.Rows[0].ErrorText != "微信系统繁忙，稍后重试即可" {
		t.Errorf("error text %q", l.Rows[0].ErrorText)
	}
	l, err = models.ListOutbox(ctx, db, admin, models.OutboxFilter{View: models.OutboxStuck}, now)
	if err != nil || len(l.Rows) != 1 || l.Rows[0].ID != stuck || l.Dead != 2 {
		t.Fatalf("admin stuck list %+v %v", l, err)
	}

	if _, err := models.RetryNotifications(ctx, db, town, []uint64{chosen}, now); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("township retries: %v", err)
	}
	n, err := models.RetryNotifications(ctx, db, admin, []uint64{chosen, sent}, now)
	if err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	rows := map[uint64]models.Notification{}
	var all []models.Notification
	if err := db.Find(&all).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		rows[r.ID] = r
	}
	if r := rows[chosen]; r.Status != models.NotifyQueued || r.Attempts != 0 || !r.NextAttemptAt.Equal(now) || r.DedupeKey != "opinion:1:accepted" {
		t.Errorf("retried row %+v", r)
	}
	if r := rows[alsoDead]; r.Status != models.NotifyDead || r.Attempts != 1 {
		t.Errorf("a dead row not chosen changed: %+v", r)
	}
	if r := rows[sent]; r.Status != models.NotifySent {
		t.Errorf("a sent row changed: %+v", r)
	}
	var audits []models.AuditLog
	if err := db.Where("action = ?", "notification.retry").Find(&audits).Error; err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1 || audits[0].EntityID != chosen || audits[0].ActorID != 7 || audits[0].FromState != "dead" {
		t.Errorf("audits %+v", audits)
	}

	// The dispatcher sends the retried row once, and again nothing.
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	fake.SetFollowAll(true)
	rd := wechattest.NewRedis(t)
	wc, err := wechat.New(wechat.Config{OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
		APIBase: fake.URL(), HTTPTimeout: 5 * time.Second, KeyPrefix: rd.Prefix}, rd.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := jobs.Deps{DB: db, Redis: rd.Client, Prefix: rd.Prefix, WeChat: wc}
	for i := range 2 {
		if _, err := jobs.Dispatch(ctx, deps, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for _, d := range fake.Templates() {
		got[d.ToUser]++
	}
	if got["oA"] != 1 || got["oB"] != 0 || got["oC"] != 0 {
		t.Errorf("delivered %v, want oA once (and oD, the stuck one, due anyway)", got)
	}
	if r, _ := models.FindNotification(ctx, db, chosen); r.Status != models.NotifySent || r.Attempts != 1 {
		t.Errorf("after dispatch %+v", r)
	}

	// Retry every dead row of a filter: the other station's only.
	n, err = models.RetryAllDead(ctx, db, admin, models.OutboxFilter{StationID: other.ID}, now)
	if err != nil || n != 1 {
		t.Errorf("retry all of %s: %d %v", other.Name, n, err)
	}
	if r, _ := models.FindNotification(ctx, db, alsoDead); r.Status != models.NotifyQueued {
		t.Errorf("%+v", r)
	}
}

// Ensure WeChat's errcodes are told in Chinese, unknown ones by number.
func TestNotifyErrorText(t *testing.T) {
	for in, want := range map[string]string{
		"wechat: template.send: errcode=43004: require subscribe": "接收人没有关注公众号，无法接收模板消息",
		"wechat: subscribe.send: errcode=43101: user refuse":      "群众没有订阅这条消息，或订阅次数已用完",
		"wechat: template.send: errcode=99999: what":              fmt.Sprintf("微信返回错误码 %d", 99999),
		"no subscribe consent left (not sent)":                    "群众没有剩余的订阅授权，消息未发送",
		"":                                                        "",
	} {
		if got := models.NotifyErrorText(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
