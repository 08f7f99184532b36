package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

func TestStuckDigest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sh := time.FixedZone("CST", 8*3600)
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, sh) // after the 08:00 digest hour

	s1 := models.Station{Kind: models.KindStation, Name: "城关社区代表联络站", Address: "a", District: "d"}
	s2 := models.Station{Kind: models.KindStation, Name: "河西村代表联络站", Address: "a", District: "d"}
	for _, s := range []*models.Station{&s1, &s2} {
		if err := e.db.Create(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	staff := []models.Staff{
		{Name: "站长甲", Role: models.RoleHead, OAOpenID: str("oHead1"), Active: true, Stations: []models.Station{s1}},
		{Name: "站长乙", Role: models.RoleHead, OAOpenID: str("oHead2"), Active: true, Stations: []models.Station{s2}},
		{Name: "站长丙", Role: models.RoleHead, Active: true, Stations: []models.Station{s1}}, // not bound
		{Name: "联络员", Role: models.RoleClerk, OAOpenID: str("oClerk"), Active: true, Stations: []models.Station{s1}},
		{Name: "管理员", Role: models.RoleAdmin, OAOpenID: str("oAdmin"), Active: true},
		{Name: "离任管理员", Role: models.RoleAdmin, OAOpenID: str("oGone"), Active: true},
	}
	for i := range staff {
		if err := e.db.Create(&staff[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Active has a database default of true, so switch it off explicitly.
	if err := e.db.Model(&staff[5]).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}

	// Station 1: one dead and one overdue; no station: one dead; station 2:
	// one sent and one queued a minute ago (neither counts today).
	enq := func(key string, st *uint64, status models.NotifyStatus, at time.Time) {
		t.Helper()
		_, _, err := models.Enqueue(ctx, e.db, models.NotificationInput{Channel: models.ChannelTemplate,
			ToUser: "oX", TemplateID: "t", DedupeKey: key, StationID: st}, at)
		if err != nil {
			t.Fatal(err)
		}
		err = e.db.Model(&models.Notification{}).Where("dedupe_key = ?", key).
			UpdateColumns(map[string]any{"status": status, "updated_at": at.UTC()}).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	earlier := now.Add(-5 * time.Hour)
	enq("d1", &s1.ID, models.NotifyDead, earlier)
	enq("d0", nil, models.NotifyDead, earlier)
	enq("late1", &s1.ID, models.NotifyFailed, earlier)
	enq("ok2", &s2.ID, models.NotifySent, earlier)
	enq("fresh2", &s2.ID, models.NotifyQueued, now.Add(-time.Minute))

	spec := TemplateSpec{ID: "tplAlert", Fields: map[string]string{"title": "thing1", "count": "number2", "time": "time3", "station": "thing4"}}
	d := e.deps(t, Options{DigestHour: 8, Location: sh, StaffAlertTemplate: spec})
	n, err := RunOnce(ctx, d, JobStuckDigest, now)
	if err != nil || n != 2 {
		t.Fatalf("digest: %d %v (want 2: station head 1 and the admin)", n, err)
	}
	var digests []models.Notification
	e.db.Where("dedupe_key LIKE ?", "digest:%").Order("to_user").Find(&digests)
	want := map[string]map[string]string{
		"oAdmin": {"thing1": "通知发送异常3条", "number2": "3", "time3": "2025年3月10日 09:00", "thing4": "全部站点"},
		"oHead1": {"thing1": "通知发送异常2条", "number2": "2", "time3": "2025年3月10日 09:00", "thing4": s1.Name},
	}
	if len(digests) != 2 {
		t.Fatalf("%d digests", len(digests))
	}
	for _, dg := range digests {
		data, _ := dg.Data()
		w := want[dg.ToUser]
		if dg.TemplateID != "tplAlert" || len(data) != len(w) {
			t.Errorf("%s: %s %v", dg.ToUser, dg.TemplateID, data)
		}
		for k, v := range w {
			if data[k] != v {
				t.Errorf("%s: %s = %q, want %q", dg.ToUser, k, data[k], v)
			}
		}
		if !strings.HasPrefix(dg.DedupeKey, "digest:2025-03-10:") {
			t.Errorf("dedupe key %q", dg.DedupeKey)
		}
	}

	// Again the same day: nothing new for those already told; station 2's
	// row becomes overdue at 10:00, so its head hears of it once.
	if n, err := StuckDigest(ctx, d, now.Add(30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second run the same day: %d %v", n, err)
	}
	for range 2 {
		if n, err := StuckDigest(ctx, d, now.Add(3*time.Hour)); err != nil || n > 1 {
			t.Fatalf("later the same day: %d %v", n, err)
		}
	}
	var n2 int64
	e.db.Model(&models.Notification{}).Where("dedupe_key LIKE ? AND to_user = ?", "digest:%", "oHead2").Count(&n2)
	if n2 != 1 {
		t.Fatalf("station 2's head got %d digests", n2)
	}
	// Yesterday's dead rows were reported; both waiting rows are overdue now.
	if n, err := StuckDigest(ctx, d, now.Add(24*time.Hour)); err != nil || n != 3 {
		t.Fatalf("next day: %d %v (want both heads and the admin)", n, err)
	}

	// Without a template the digest is only logged.
	d.Opt.StaffAlertTemplate = TemplateSpec{}
	if n, err := StuckDigest(ctx, d, now.Add(48*time.Hour)); err != nil || n != 0 {
		t.Fatalf("no template: %d %v", n, err)
	}
}
