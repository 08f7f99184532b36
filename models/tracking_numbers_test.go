package models_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var dayNoRe = regexp.MustCompile(`^YJ20261123-[0-9]{4}$`)

// Ensure two processes (two connection pools on one database) with many
// goroutines each, taking numbers from their blocks and filing at once,
// give every filing its own number of the day, each row with its own
// notification, and that the counter only ever moved in whole blocks.
func TestTakeTrackingNoTwoProcessesRace(t *testing.T) {
	url := modelstest.URL(t)
	dbs := []*gorm.DB{modelstest.Open(t, url), modelstest.Open(t, url)}
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, dbs[0]); err != nil {
		t.Fatal(err)
	}
	world, err := models.LoadRouteWorld(ctx, dbs[0])
	if err != nil {
		t.Fatal(err)
	}
	cal := models.NewCalendar(models.OfficialHolidays())
	const n = 60 // three blocks' worth, over two processes
	voters := make([]uint64, n)
	for i := range voters {
		v := models.Voter{}
		if err := dbs[0].Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		voters[i] = v.ID
	}
	now := opAt(2026, 11, 23, 10, 0)
	nos := make([]string, n)
	stored := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			db := dbs[i%2]
			no, err := models.TakeTrackingNo(ctx, db, now, opLoc)
			if err != nil {
				errs[i] = err
				return
			}
			nos[i] = no
			errs[i] = db.Transaction(func(tx *gorm.DB) error {
				op, evs, err := models.FileOpinion(ctx, tx, models.FileInput{VoterID: voters[i], Category: "jiaotong",
					Content: fmt.Sprintf("第%d位群众反映：公交站台缺少遮阳棚，夏天等车很晒。", i), TrackingNo: no}, world, now, opLoc, cal)
				if err != nil {
					return err
				}
				stored[i] = op.TrackingNo
				if len(evs) != 1 || evs[0].TrackingNo != no {
					return fmt.Errorf("events %+v, want one with %s", evs, no)
				}
				_, _, err = models.Enqueue(ctx, tx, models.NotificationInput{Channel: models.ChannelTemplate,
					ToUser: "o-staff", TemplateID: "tpl-new", Fields: map[string]string{"no": no},
					DedupeKey: evs[0].DedupeKey}, now)
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("filing %d: %v", i, errs[i])
		}
		if stored[i] != nos[i] || !dayNoRe.MatchString(nos[i]) || seen[nos[i]] {
			t.Fatalf("filing %d: number %q stored as %q (repeated: %v)", i, nos[i], stored[i], seen[nos[i]])
		}
		seen[nos[i]] = true
	}
	var rows, distinct, notes int64
	dbs[1].Model(&models.Opinion{}).Count(&rows)
	dbs[1].Model(&models.Opinion{}).Distinct("tracking_no").Count(&distinct)
	dbs[1].Model(&models.Notification{}).Count(&notes)
	if rows != n || distinct != n || notes != n {
		t.Fatalf("%d opinions, %d distinct numbers, %d notifications; want %d each", rows, distinct, notes, n)
	}
	var c models.OpinionCounter
	if err := dbs[1].First(&c, "day = ?", "20261123").Error; err != nil {
		t.Fatal(err)
	}
	if c.Seq%models.TrackingBlock != 0 || c.Seq < n || c.Seq > n+2*models.TrackingBlock {
		t.Fatalf("counter at %d after %d filings in blocks of %d from two processes", c.Seq, n, models.TrackingBlock)
	}
}

// Ensure a block does not outlive its local day: the first number taken
// after local midnight (16:00 UTC in Beijing) is the new day's first, and
// the rest of the old block is dropped; a transaction is refused.
func TestTakeTrackingNoAcrossMidnight(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	want := []struct {
		at   [2]int // hour, minute local on 23 or 24 November
		day  int
		want string
	}{
		{[2]int{23, 59}, 23, "YJ20261123-0001"},
		{[2]int{23, 59}, 23, "YJ20261123-0002"},
		{[2]int{0, 0}, 24, "YJ20261124-0001"},
		{[2]int{0, 1}, 24, "YJ20261124-0002"},
	}
	for _, w := range want {
		at := opAt(2026, 11, w.day, w.at[0], w.at[1])
		got, err := models.TakeTrackingNo(ctx, db, at, opLoc)
		if err != nil || got != w.want {
			t.Fatalf("at %s (UTC %s): %q, %v; want %q", at.In(opLoc).Format("01-02 15:04"), at.UTC().Format("01-02 15:04"), got, err, w.want)
		}
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		_, err := models.TakeTrackingNo(ctx, tx, opMonday, opLoc)
		return err
	})
	if err == nil {
		t.Fatal("TakeTrackingNo in a transaction: no error")
	}
}

// Ensure a number that is taken already (the counter was reset, say from
// an older backup) is retried: the filing gets a fresh number past the
// day's numbers instead of failing, on both ways of numbering.
func TestTrackingNoCollisionRetried(t *testing.T) {
	e := newOpEnv(t)
	now := opAt(2026, 11, 23, 10, 0)
	file := func(no string) models.Opinion {
		t.Helper()
		op, evs, err := models.FileOpinion(e.ctx, e.db, models.FileInput{VoterID: e.voters[0], Category: "shenghuo",
			Content: "小区门口的路灯坏了很久，晚上出行不方便。", TrackingNo: no}, e.world, now, opLoc, e.cal)
		if err != nil {
			t.Fatalf("filing with %q: %v", no, err)
		}
		if len(evs) != 1 || evs[0].TrackingNo != op.TrackingNo {
			t.Fatalf("events %+v for %s", evs, op.TrackingNo)
		}
		return op
	}
	for i := 1; i <= 3; i++ {
		if op := file(""); op.TrackingNo != fmt.Sprintf("YJ20261123-%04d", i) {
			t.Fatalf("filing %d numbered %s", i, op.TrackingNo)
		}
	}
	// A number taken beforehand that another filing already has.
	if op := file("YJ20261123-0002"); op.TrackingNo != "YJ20261123-0004" {
		t.Fatalf("taken number retried as %s, want YJ20261123-0004", op.TrackingNo)
	}
	// The counter lost: the in-transaction numbering collides and retries.
	if err := e.db.Where("day = ?", "20261123").Delete(&models.OpinionCounter{}).Error; err != nil {
		t.Fatal(err)
	}
	if op := file(""); op.TrackingNo != "YJ20261123-0005" {
		t.Fatalf("after the counter was lost: %s, want YJ20261123-0005", op.TrackingNo)
	}
	// A block reserved from a lost counter collides too; the retry's
	// number comes after the block (the counter stands at its end).
	if err := e.db.Where("day = ?", "20261123").Delete(&models.OpinionCounter{}).Error; err != nil {
		t.Fatal(err)
	}
	no, err := models.TakeTrackingNo(e.ctx, e.db, now, opLoc)
	if err != nil || no != "YJ20261123-0001" {
		t.Fatalf("block from a lost counter: %q, %v", no, err)
	}
	if op := file(no); op.TrackingNo != "YJ20261123-0021" {
		t.Fatalf("colliding block number retried as %s, want YJ20261123-0021", op.TrackingNo)
	}
	var n int64
	e.db.Model(&models.Opinion{}).Where("tracking_no LIKE ?", "tmp%").Count(&n)
	if n != 0 {
		t.Fatalf("%d opinions kept a placeholder number", n)
	}
}
