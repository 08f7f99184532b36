package broadcasts_test

import (
	"context"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/broadcasts"
	"deputylink/models/modelstest"
)

// Ensure the demo holds a law article and a training for next week, sent
// by the county office to every active deputy, with some reads and
// sign-ups, and that loading it again changes nothing.
func TestLoadDemo(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := at(2026, 12, 16, 11, 0) // a Wednesday
	n, err := broadcasts.LoadDemo(ctx, db, now, cst)
	if err != nil || n != 2 {
		t.Fatalf("load: %d %v", n, err)
	}
	if n, err := broadcasts.LoadDemo(ctx, db, now.Add(time.Hour), cst); err != nil || n != 0 {
		t.Fatalf("second load: %d %v", n, err)
	}
	sums, err := broadcasts.List(ctx, db, models.ManageScope{All: true}, 0)
	if err != nil || len(sums) != 2 {
		t.Fatalf("list %d %v", len(sums), err)
	}
	var active int64
	if err := db.Model(&models.Deputy{}).Where("status = ?", models.DeputyActive).Count(&active).Error; err != nil {
		t.Fatal(err)
	}
	tr, law := sums[0], sums[1]
	if tr.Broadcast.Title != broadcasts.DemoTrainingTitle || law.Broadcast.Title != broadcasts.DemoLawTitle {
		t.Fatalf("titles %q, %q", tr.Broadcast.Title, law.Broadcast.Title)
	}
	for _, s := range sums {
		if s.Recipients != int(active) || s.Read == 0 || s.Read == s.Recipients || s.AudienceText != "全体代表" {
			t.Errorf("%s: %+v", s.Broadcast.Title, s)
		}
	}
	if tr.SignedUp == 0 || tr.SignedUp >= tr.Read || law.SignedUp != 0 {
		t.Errorf("sign-ups: training %d of %d reads, law %d", tr.SignedUp, tr.Read, law.SignedUp)
	}
	if s := tr.Broadcast.SessionAt.In(cst); s.Format("2006-01-02 15:04") != "2026-12-23 14:30" || !tr.Broadcast.SignupUntil.After(now) {
		t.Errorf("session %v, sign-up until %v", s, tr.Broadcast.SignupUntil)
	}
}
