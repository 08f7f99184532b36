package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// Ensure RecordScans stores each push once and counts only the rows it
// actually inserted, so replaying a batch (a crash before the queue was
// trimmed) counts nothing twice; malformed events are skipped.
func TestRecordScansCountsOnlyNewRows(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	st := models.Station{Kind: models.KindStation, Name: "东门联络站", Address: "东门路1号", District: "城关镇", OpenHours: "周一"}
	if err := db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	a, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeStation, TargetID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	b, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeBoard, TargetKind: models.CodeStation, TargetID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	batch := []models.ScanEvent{
		{DedupeKey: "e:o1:1:SCAN:" + a.Code, Code: a.Code, VoterOpenID: "o1", Event: "scan", At: at},
		{DedupeKey: "e:o2:1:SCAN:" + a.Code, Code: strings.ToLower(a.Code), VoterOpenID: "o2", Event: "scan", At: at},
		{DedupeKey: "e:o1:1:SCAN:" + a.Code, Code: a.Code, VoterOpenID: "o1", Event: "scan", At: at}, // same push again
		{DedupeKey: "e:o3:1:subscribe:qrscene_" + b.Code, Code: b.Code, VoterOpenID: "o3", Event: "subscribe", At: at},
		{DedupeKey: "bad code", Code: "nope", VoterOpenID: "o4", Event: "scan", At: at},
		{DedupeKey: "", Code: a.Code, VoterOpenID: "o5", Event: "scan", At: at},
		{DedupeKey: "no time", Code: a.Code, VoterOpenID: "o6", Event: "scan"},
		{DedupeKey: strings.Repeat("k", 200), Code: a.Code, VoterOpenID: "o7", Event: "scan", At: at},
	}
	n, err := models.RecordScans(ctx, db, batch)
	if err != nil || n != 3 {
		t.Fatalf("RecordScans = %d, %v; want 3", n, err)
	}
	counts := func() (int64, int64) {
		ca, _ := models.FindCode(ctx, db, a.Code)
		cb, _ := models.FindCode(ctx, db, b.Code)
		return ca.ScanCount, cb.ScanCount
	}
	if x, y := counts(); x != 2 || y != 1 {
		t.Fatalf("counts %d, %d; want 2, 1", x, y)
	}
	// The batch replayed: nothing new, nothing counted.
	n, err = models.RecordScans(ctx, db, batch)
	if err != nil || n != 0 {
		t.Fatalf("replay = %d, %v; want 0", n, err)
	}
	if x, y := counts(); x != 2 || y != 1 {
		t.Fatalf("counts after replay %d, %d; want 2, 1", x, y)
	}
	var rows int64
	db.Model(&models.ScanEvent{}).Count(&rows)
	if rows != 3 {
		t.Errorf("%d scan rows, want 3", rows)
	}
	if n, err := models.RecordScans(ctx, db, nil); n != 0 || err != nil {
		t.Errorf("empty batch = %d, %v", n, err)
	}
}

// Ensure SetVoterFollowing creates the voter once and flips the flag.
func TestSetVoterFollowing(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i, f := range []bool{true, true, false, true, false} {
		if err := models.SetVoterFollowing(ctx, db, "oVoter01", f, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		v, err := models.FindVoterByOAOpenID(ctx, db, "oVoter01")
		if err != nil {
			t.Fatal(err)
		}
		if v.Following != f {
			t.Fatalf("step %d: following = %v, want %v", i, v.Following, f)
		}
	}
	var n int64
	db.Model(&models.Voter{}).Count(&n)
	if n != 1 {
		t.Errorf("%d voters, want 1", n)
	}
	if err := models.SetVoterFollowing(ctx, db, "", true, now); err == nil {
		t.Error("empty openid accepted")
	}
	if _, err := models.FindVoterByOAOpenID(ctx, db, "oNobody"); err == nil {
		t.Error("unknown voter found")
	}
}

// Ensure the next reception date comes from the reception days when they
// exist, and otherwise is the 10th moved off a weekend.
func TestNextReceptionDate(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, loc)

	if _, ok, err := models.NextReceptionDate(ctx, db, 1, now, loc); err != nil || ok {
		t.Fatalf("no days scheduled: ok=%v err=%v", ok, err)
	}
	day := func(station uint64, date string, ends time.Time) {
		d := models.ReceptionDay{StationID: station, Date: date, Period: date[:7], Status: models.DayOpen,
			StartsAt: ends.Add(-2 * time.Hour), EndsAt: ends, BookingOpensAt: ends.AddDate(0, 0, -14),
			BookingClosesAt: ends.Add(-3 * time.Hour), RuleHash: "h", RuleSnapshot: "{}"}
		if err := db.Create(&d).Error; err != nil {
			t.Fatal(err)
		}
	}
	day(1, "2026-11-24", now.Add(-time.Hour)) // today, but over
	day(1, "2027-01-11", time.Date(2027, 1, 11, 11, 30, 0, 0, loc))
	day(1, "2026-12-10", time.Date(2026, 12, 10, 11, 30, 0, 0, loc))
	day(2, "2026-11-30", time.Date(2026, 11, 30, 11, 30, 0, 0, loc))
	if d, ok, err := models.NextReceptionDate(ctx, db, 1, now, loc); err != nil || !ok || d != "2026-12-10" {
		t.Fatalf("scheduled: %q %v %v", d, ok, err)
	}

	if err := db.Migrator().DropTable("reception_days"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ now, want string }{
		{"2026-11-24", "2026-12-10"}, // past this month's: next month's Thursday
		{"2026-10-05", "2026-10-12"}, // the 10th is a Saturday: Monday
		{"2026-10-12", "2026-10-12"}, // the day itself
		{"2026-10-13", "2026-11-10"},
		{"2026-12-31", "2027-01-11"}, // Sunday the 10th, across the year
	} {
		n, _ := time.ParseInLocation(models.DateLayout, tc.now, loc)
		d, ok, err := models.NextReceptionDate(ctx, db, 1, n.Add(10*time.Hour), loc)
		if err != nil || !ok || d != tc.want {
			t.Errorf("fallback at %s: %q %v %v, want %s", tc.now, d, ok, err, tc.want)
		}
	}
}

// Ensure a row stored by someone else between the lookup and the batch
// insert is neither counted nor lost: the batch is redone row by row.
func TestRecordScansConcurrentWriter(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	st := models.Station{Kind: models.KindStation, Name: "东门联络站", Address: "东门路1号", District: "城关镇", OpenHours: "周一"}
	if err := db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	c, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeStation, TargetID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var batch []models.ScanEvent
	for i := range 5 {
		batch = append(batch, models.ScanEvent{DedupeKey: "e:o" + string(rune('a'+i)) + ":1:SCAN:" + c.Code,
			Code: c.Code, VoterOpenID: "o", Event: "scan", At: at})
	}
	raced := batch[2].DedupeKey
	injections := 0
	// The "other writer": just before any insert into scan_events, the row
	// for raced appears (in the same transaction, as a committed row of
	// another writer would appear to a locking insert).
	err = db.Callback().Create().Before("gorm:create").Register("test:concurrent_writer", func(tx *gorm.DB) {
		if tx.Statement.Schema == nil || tx.Statement.Schema.Table != "scan_events" {
			return
		}
		s := tx.Session(&gorm.Session{NewDB: true})
		var n int64
		s.Table("scan_events").Where("dedupe_key = ?", raced).Count(&n)
		if n == 0 {
			injections++
			s.Exec("INSERT INTO scan_events (dedupe_key, code, voter_openid, event, at) VALUES (?, ?, 'other', 'scan', ?)", raced, c.Code, at)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := models.RecordScans(ctx, db, batch)
	if err != nil || n != 4 {
		t.Fatalf("RecordScans = %d, %v; want 4", n, err)
	}
	if injections != 3 {
		t.Errorf("the other writer struck %d times, want 3 (whole batch, batch after lookup, then row by row)", injections)
	}
	got, _ := models.FindCode(ctx, db, c.Code)
	if got.ScanCount != 4 {
		t.Errorf("scan count %d, want 4", got.ScanCount)
	}
	var rows int64
	db.Model(&models.ScanEvent{}).Count(&rows)
	if rows != 5 {
		t.Errorf("%d rows, want 5", rows)
	}
}
