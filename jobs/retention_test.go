package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// retentionSnapshot is every row the retention job may touch, as JSON.
func retentionSnapshot(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var ops []models.Opinion
	var rs []models.OpinionRating
	var us []models.Upload
	var bs []models.Booking
	var ws []models.WalkIn
	var audits int64
	for _, q := range []error{
		db.Order("id").Find(&ops).Error, db.Order("id").Find(&rs).Error, db.Order("id").Find(&us).Error,
		db.Order("id").Find(&bs).Error, db.Order("id").Find(&ws).Error, db.Model(&models.AuditLog{}).Count(&audits).Error,
	} {
		if q != nil {
			t.Fatal(q)
		}
	}
	b, err := json.Marshal([]any{ops, rs, us, bs, ws, audits})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Ensure the retention job anonymises exactly the closed items whose
// retention period is over, in batches, keeps what the voter said, and
// that running it again changes nothing.
func TestRetentionAnonymisesExpiredClosedItems(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	now := time.Date(2029, 12, 1, 19, 0, 0, 0, time.UTC)
	ago := func(days int) *time.Time { at := now.AddDate(0, 0, -days); return &at }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mp := "oRetained"
	v := models.Voter{MPOpenID: &mp}
	must(db.Create(&v).Error)

	lat, lng := 30.27, 120.15
	seq := 0
	opinion := func(status models.OpinionStatus, closed *time.Time) models.Opinion {
		seq++
		key := fmt.Sprintf("key-%d", seq)
		at := now.AddDate(-4, 0, 0)
		op := models.Opinion{TrackingNo: fmt.Sprintf("YJ20251201-%04d", seq), VoterID: v.ID, IdempotencyKey: &key,
			Source: models.SourceMiniProgram, CategoryID: 1, Content: "小区门口的路灯坏了很久，晚上很黑", StationID: 1,
			RouteRule: "station", RouteReason: "您选择的联络站", Lat: &lat, Lng: &lng, Status: status, Round: 1,
			ReplyText: "已修复", ClosedAt: closed, AcceptDays: 2, ReplyDays: 15, AcceptStartAt: at, AcceptDueAt: at,
			ReplyStartAt: at, ReplyDueAt: at, Version: 1, CreatedAt: at, UpdatedAt: at}
		must(db.Create(&op).Error)
		return op
	}
	expired := opinion(models.OpinionClosed, ago(1200))
	recent := opinion(models.OpinionClosed, ago(1000)) // within the 1095 days
	open := opinion(models.OpinionAccepted, nil)
	reopened := opinion(models.OpinionReopened, ago(1200)) // closed once, open again
	// Enough more expired ones for a second batch.
	for range 200 {
		opinion(models.OpinionClosed, ago(1100))
	}
	must(db.Create(&models.OpinionRating{OpinionID: expired.ID, Round: 1, Stage: "result", VoterID: v.ID,
		StationID: 1, Score: "satisfied", Comment: "很满意", CreatedAt: now}).Error)
	must(db.Create(&models.OpinionRating{OpinionID: recent.ID, Round: 1, Stage: "result", VoterID: v.ID,
		StationID: 1, Score: "satisfied", Comment: "很好", CreatedAt: now}).Error)
	sum := strings.Repeat("ab", 32)
	for i, op := range []models.Opinion{expired, recent} {
		path := fmt.Sprintf("uploads/2025/12/p%d.jpg", i)
		must(db.Create(&models.Upload{VoterID: v.ID, Path: path, SHA256: sum, ContentType: "image/jpeg", Size: 1, Width: 1, Height: 1, CreatedAt: now}).Error)
		must(db.Create(&models.OpinionPhoto{OpinionID: op.ID, Path: path, SHA256: sum, CreatedAt: now}).Error)
	}

	day := func(date string, closed *time.Time) models.ReceptionDay {
		at := now.AddDate(-4, 0, 0)
		status := models.DayOpen
		if closed != nil {
			status = models.DayClosed
		}
		d := models.ReceptionDay{StationID: 1, Date: date, Period: date[:7], Status: status, StartsAt: at, EndsAt: at,
			BookingOpensAt: at, BookingClosesAt: at, RuleSnapshot: "{}", ClosedAt: closed}
		must(db.Create(&d).Error)
		key := fmt.Sprintf("%d:%s", v.ID, date)
		must(db.Create(&models.Booking{VoterID: v.ID, SlotID: d.ID, DayID: d.ID, StationID: 1, Date: date,
			Status: models.BookingCheckedIn, Topic: "路灯", CheckinCode: "ABC234", ActiveKey: &key, CreatedAt: at, UpdatedAt: at}).Error)
		must(db.Create(&models.WalkIn{DayID: d.ID, SlotID: d.ID, StationID: 1, Name: "王大妈", Topic: "垃圾分类", CreatedAt: at}).Error)
		return d
	}
	oldDay := day("2026-03-10", ago(1200))
	newDay := day("2029-03-10", ago(260))
	openDay := day("2029-12-10", nil)

	d := jobs.Deps{DB: db, Opt: jobs.Options{RetentionDays: 1095}}
	n, err := jobs.Retention(ctx, d, now)
	if err != nil || n != 202 {
		t.Fatalf("Retention = %d, %v; want 201 opinions and 1 day", n, err)
	}

	var got models.Opinion
	must(db.First(&got, expired.ID).Error)
	if got.VoterID != 0 || got.Lat != nil || got.Lng != nil || got.IdempotencyKey != nil ||
		got.Content != expired.Content || got.ReplyText != "已修复" || got.Status != models.OpinionClosed {
		t.Errorf("expired opinion after retention: %+v", got)
	}
	for _, op := range []models.Opinion{recent, open, reopened} {
		var got models.Opinion
		must(db.First(&got, op.ID).Error)
		if got.VoterID != v.ID || got.Lat == nil || got.IdempotencyKey == nil {
			t.Errorf("opinion %d (%s) was anonymised: %+v", op.ID, op.Status, got)
		}
	}
	var left int64
	must(db.Model(&models.Opinion{}).Where("voter_id <> 0 AND status = ?", models.OpinionClosed).Count(&left).Error)
	if left != 1 {
		t.Errorf("%d closed opinions keep their voter, want 1 (the recent one)", left)
	}
	var rs []models.OpinionRating
	must(db.Order("opinion_id").Find(&rs).Error)
	if len(rs) != 2 || rs[0].VoterID != 0 || rs[0].Comment != "很满意" || rs[1].VoterID != v.ID {
		t.Errorf("ratings: %+v", rs)
	}
	var us []models.Upload
	must(db.Order("id").Find(&us).Error)
	if len(us) != 2 || us[0].VoterID != 0 || us[1].VoterID != v.ID {
		t.Errorf("uploads: %+v", us)
	}
	for _, dd := range []models.ReceptionDay{oldDay, newDay, openDay} {
		var b models.Booking
		var w models.WalkIn
		must(db.Where("day_id = ?", dd.ID).First(&b).Error)
		must(db.Where("day_id = ?", dd.ID).First(&w).Error)
		anon := dd.ID == oldDay.ID
		if anon != (b.VoterID == 0 && b.ActiveKey == nil && w.Name == "") || b.Topic != "路灯" || w.Topic != "垃圾分类" {
			t.Errorf("day %s: booking %+v, walk-in %+v; want anonymised=%v", dd.Date, b, w, anon)
		}
	}
	trail, err := models.AuditTrail(ctx, db, "opinion", expired.ID)
	must(err)
	if len(trail) != 1 || trail[0].Action != "opinion.anonymise" || trail[0].ActorKind != "system" {
		t.Errorf("audit of the expired opinion: %+v", trail)
	}
	before := retentionSnapshot(t, db)
	if n, err := jobs.Retention(ctx, d, now.Add(time.Hour)); n != 0 || err != nil {
		t.Errorf("second run = %d, %v; want nothing to do", n, err)
	}
	if after := retentionSnapshot(t, db); after != before {
		t.Errorf("the second run changed rows")
	}
}
