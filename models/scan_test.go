package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// Ensure AddScanCounts adds a batch once: counts of the same code and day
// are merged, the last time only moves forward, malformed entries are
// skipped, the codes' totals move with the days, and the same key again
// (a drain that crashed before removing its hash) adds nothing.
func TestAddScanCountsOncePerBatch(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	a, b := twoScanCodes(t, db)
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)     // 17:00 in China
	late := time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC) // 00:30 on the 25th in China
	day := models.ScanDayOf(at)
	if day != "2026-11-24" || models.ScanDayOf(late) != "2026-11-25" {
		t.Fatalf("days %q %q", day, models.ScanDayOf(late))
	}
	batch := []models.ScanCount{
		{Code: a.Code, Day: day, Count: 3, LastAt: at.Add(-time.Hour)},
		{Code: strings.ToLower(a.Code), Day: day, Count: 2, LastAt: at.Add(500 * time.Millisecond)},
		{Code: a.Code, Day: models.ScanDayOf(late), Count: 1, LastAt: late},
		{Code: b.Code, Day: day, Count: 4, LastAt: at},
		{Code: "nope", Day: day, Count: 1, LastAt: at},
		{Code: a.Code, Day: "24/11", Count: 1, LastAt: at},
		{Code: a.Code, Day: day, Count: 0, LastAt: at},
		{Code: a.Code, Day: day, Count: 1},
	}
	n, err := models.AddScanCounts(ctx, db, "d:1", batch, at)
	if err != nil || n != 10 {
		t.Fatalf("AddScanCounts = %d, %v; want 10", n, err)
	}
	check := func(when string, wantA, wantB int64) {
		t.Helper()
		ca, _ := models.FindCode(ctx, db, a.Code)
		cb, _ := models.FindCode(ctx, db, b.Code)
		if ca.ScanCount != wantA || cb.ScanCount != wantB {
			t.Errorf("%s: totals %d, %d; want %d, %d", when, ca.ScanCount, cb.ScanCount, wantA, wantB)
		}
		var sum int64
		db.Model(&models.ScanDay{}).Select("COALESCE(SUM(count), 0)").Scan(&sum)
		if sum != wantA+wantB {
			t.Errorf("%s: days add up to %d, want %d", when, sum, wantA+wantB)
		}
	}
	check("first", 6, 4)
	var d models.ScanDay
	if err := db.Where("code = ? AND day = ?", a.Code, day).Take(&d).Error; err != nil || d.Count != 5 || !d.LastAt.Equal(at) {
		t.Errorf("day row %+v %v; want 5 scans, last at %v", d, err, at)
	}
	// The same batch again, and an empty one: nothing.
	if n, err := models.AddScanCounts(ctx, db, "d:1", batch, at); err != nil || n != 0 {
		t.Fatalf("replay = %d, %v; want 0", n, err)
	}
	if n, err := models.AddScanCounts(ctx, db, "d:2", nil, at); err != nil || n != 0 {
		t.Fatalf("empty = %d, %v", n, err)
	}
	check("replay", 6, 4)
	// A later batch adds, and an earlier time does not move the last scan back.
	if n, err := models.AddScanCounts(ctx, db, "d:3", []models.ScanCount{{Code: a.Code, Day: day, Count: 2, LastAt: at.Add(-2 * time.Hour)}}, at); err != nil || n != 2 {
		t.Fatalf("later batch = %d, %v", n, err)
	}
	check("later", 8, 4)
	if err := db.Where("code = ? AND day = ?", a.Code, day).Take(&d).Error; err != nil || d.Count != 7 || !d.LastAt.Equal(at) {
		t.Errorf("day row %+v %v; want 7 scans, last at %v", d, err, at)
	}
	// An over-long key is refused.
	if _, err := models.AddScanCounts(ctx, db, strings.Repeat("k", 192), batch, at); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("long key: %v", err)
	}
	// Keys are forgotten after ScanBatchKeep.
	if _, err := models.AddScanCounts(ctx, db, "d:4", batch[:1], at.Add(models.ScanBatchKeep+time.Hour)); err != nil {
		t.Fatal(err)
	}
	var keys []string
	db.Model(&models.ScanBatch{}).Order("batch_key").Pluck("batch_key", &keys)
	if strings.Join(keys, ",") != "d:4" {
		t.Errorf("batch keys %v, want only d:4", keys)
	}
}

func twoScanCodes(t testing.TB, db *gorm.DB) (models.Code, models.Code) {
	t.Helper()
	ctx := context.Background()
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
	return a, b
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

// Ensure batches added at once by several writers (drains of two
// processes, on MariaDB real connections) count each batch exactly once:
// the same batch given by four goroutines counts once, distinct batches all
// count, and the totals agree with the days.
func TestAddScanCountsConcurrent(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	a, b := twoScanCodes(t, db)
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	day := models.ScanDayOf(at)
	var wg sync.WaitGroup
	var added atomic.Int64
	errs := make(chan error, 80)
	for batch := range 10 {
		counts := []models.ScanCount{{Code: a.Code, Day: day, Count: 3, LastAt: at}, {Code: b.Code, Day: day, Count: 1, LastAt: at}}
		if batch%2 == 1 {
			counts[0], counts[1] = counts[1], counts[0]
		}
		for range 4 {
			wg.Go(func() {
				n, err := models.AddScanCounts(ctx, db, fmt.Sprintf("d:%d", batch), counts, at)
				if err != nil {
					errs <- err
				}
				added.Add(n)
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AddScanCounts: %v", err)
	}
	if n := added.Load(); n != 40 {
		t.Errorf("added %d, want 40 (10 batches of 4 scans, each once)", n)
	}
	ca, _ := models.FindCode(ctx, db, a.Code)
	cb, _ := models.FindCode(ctx, db, b.Code)
	var da, dbn models.ScanDay
	db.Where("code = ?", a.Code).Take(&da)
	db.Where("code = ?", b.Code).Take(&dbn)
	if ca.ScanCount != 30 || cb.ScanCount != 10 || da.Count != 30 || dbn.Count != 10 {
		t.Errorf("totals %d, %d; days %d, %d; want 30, 10", ca.ScanCount, cb.ScanCount, da.Count, dbn.Count)
	}
}

// Ensure step 14 folds the stored scan rows into counts per code and China
// day with the day's last scan, drops scan_events, and gives the same
// result when run again (MySQL commits each statement, so a run that
// stopped between the fold and the drop repeats the fold).
func TestScanDaysStepFoldsScanRows(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	all := models.Migrations()
	var before []models.Migration
	var step models.Migration
	for _, m := range all {
		if m.Version < 14 {
			before = append(before, m)
		} else if m.Version == 14 {
			step = m
		}
	}
	if step.Up == nil {
		t.Fatal("no step 14")
	}
	if _, err := models.MigrateSteps(ctx, db, before); err != nil {
		t.Fatal(err)
	}
	a := time.Date(2026, 11, 24, 15, 59, 0, 0, time.UTC) // 23:59 on the 24th in China
	b := time.Date(2026, 11, 24, 16, 1, 0, 0, time.UTC)  // 00:01 on the 25th
	for i, r := range []struct {
		code string
		at   time.Time
	}{{"ABCDEFGH", a.Add(-time.Hour)}, {"ABCDEFGH", a}, {"ABCDEFGH", b}, {"HJKLMNPQ", b}} {
		if err := db.Exec("INSERT INTO scan_events (dedupe_key, code, voter_openid, event, at) VALUES (?, ?, 'o', 'scan', ?)",
			fmt.Sprintf("k%d", i), r.code, r.at).Error; err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		var days []models.ScanDay
		db.Order("code, day").Find(&days)
		var got []string
		for _, d := range days {
			got = append(got, fmt.Sprintf("%s %s %d %s", d.Code, d.Day, d.Count, d.LastAt.UTC().Format("15:04")))
		}
		want := "ABCDEFGH 2026-11-24 2 15:59,ABCDEFGH 2026-11-25 1 16:01,HJKLMNPQ 2026-11-25 1 16:01"
		if strings.Join(got, ",") != want {
			t.Errorf("%s: scan days %v, want %s", when, got, want)
		}
		if db.Migrator().HasTable("scan_events") {
			t.Errorf("%s: scan_events still there", when)
		}
	}
	if _, err := models.MigrateSteps(ctx, db, append(before, step)); err != nil {
		t.Fatal(err)
	}
	check("after step 14")
	// Run again over a recreated scan_events (a stop before the drop).
	if err := db.Exec("CREATE TABLE scan_events (id integer PRIMARY KEY, dedupe_key varchar(191), code varchar(8), voter_openid varchar(64), event varchar(16), at datetime(3))").Error; err != nil {
		t.Fatal(err)
	}
	for i, r := range []struct {
		code string
		at   time.Time
	}{{"ABCDEFGH", a.Add(-time.Hour)}, {"ABCDEFGH", a}, {"ABCDEFGH", b}, {"HJKLMNPQ", b}} {
		if err := db.Exec("INSERT INTO scan_events (id, dedupe_key, code, voter_openid, event, at) VALUES (?, ?, ?, 'o', 'scan', ?)",
			i+1, fmt.Sprintf("k%d", i), r.code, r.at).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := step.Up(db); err != nil {
		t.Fatal(err)
	}
	check("run again")
}
