package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var t0 = time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)

func tplInput(key string) models.NotificationInput {
	return models.NotificationInput{
		Channel: models.ChannelTemplate, ToUser: "oStaff1", TemplateID: "tpl-alert",
		Fields: map[string]string{"thing1": "意见已受理"}, DedupeKey: key,
	}
}

func countRows(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.Notification{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueueRolledBackLeavesNothing(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	boom := errors.New("the change failed")
	err := db.Transaction(func(tx *gorm.DB) error {
		if _, created, err := models.Enqueue(ctx, tx, tplInput("opinion:1:accepted"), t0); err != nil || !created {
			t.Fatalf("enqueue: created=%v err=%v", created, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction: %v", err)
	}
	if n := countRows(t, db); n != 0 {
		t.Fatalf("rolled-back transaction left %d notifications", n)
	}
}

func TestEnqueueDuplicateKeepsOneRow(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	id1, created, err := models.Enqueue(ctx, db, tplInput("k1"), t0)
	if err != nil || !created || id1 == 0 {
		t.Fatalf("first enqueue: id=%d created=%v err=%v", id1, created, err)
	}
	// Inside an outer transaction: the duplicate must neither fail nor
	// poison the transaction, which goes on writing and commits.
	err = db.Transaction(func(tx *gorm.DB) error {
		id2, created, err := models.Enqueue(ctx, tx, tplInput("k1"), t0.Add(time.Minute))
		if err != nil || created || id2 != id1 {
			return fmt.Errorf("duplicate in tx: id=%d want %d created=%v err=%v", id2, id1, created, err)
		}
		id3, created, err := models.Enqueue(ctx, tx, tplInput("k2"), t0)
		if err != nil || !created {
			return fmt.Errorf("second key: %v %v", created, err)
		}
		id4, created, err := models.Enqueue(ctx, tx, tplInput("k2"), t0)
		if err != nil || created || id4 != id3 {
			return fmt.Errorf("duplicate of a row written in the same tx: id=%d want %d created=%v err=%v", id4, id3, created, err)
		}
		return models.Audit(ctx, tx, t0, models.SystemActor, "test", "notification", id3, "", "", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

func TestEnqueueConcurrentDuplicates(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	const workers = 12
	ids := make([]uint64, workers)
	var created sync.Map
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Transaction(func(tx *gorm.DB) error {
				// A read first, so a REPEATABLE READ snapshot exists before
				// the other writers commit.
				var n int64
				if err := tx.Model(&models.Notification{}).Count(&n).Error; err != nil {
					return err
				}
				id, c, err := models.Enqueue(ctx, tx, tplInput("same-event"), t0)
				ids[i] = id
				if c {
					created.Store(i, true)
				}
				return err
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("enqueue: %v", err)
	}
	n := 0
	created.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d enqueues claim to have created the row, want 1", n)
	}
	for i, id := range ids {
		if id != ids[0] || id == 0 {
			t.Errorf("worker %d got id %d, worker 0 got %d", i, id, ids[0])
		}
	}
	if c := countRows(t, db); c != 1 {
		t.Fatalf("rows = %d, want 1", c)
	}
}

func TestEnqueueValidates(t *testing.T) {
	db := modelstest.NewDB(t)
	for name, in := range map[string]models.NotificationInput{
		"no channel":  {ToUser: "o", TemplateID: "t", DedupeKey: "k"},
		"no template": {Channel: models.ChannelTemplate, ToUser: "o", DedupeKey: "k"},
		"no user":     {Channel: models.ChannelSubscribe, TemplateID: "t", DedupeKey: "k"},
		"no key":      {Channel: models.ChannelTemplate, ToUser: "o", TemplateID: "t"},
		"no text":     {Channel: models.ChannelCustom, ToUser: "o", DedupeKey: "k"},
		"long key":    {Channel: models.ChannelTemplate, ToUser: "o", TemplateID: "t", DedupeKey: strings.Repeat("k", 151)},
	} {
		if _, _, err := models.Enqueue(context.Background(), db, in, t0); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestClaimLeaseBackoffAndDead(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	const lease = 30 * time.Second
	for i := range 3 {
		if _, _, err := models.Enqueue(ctx, db, tplInput(fmt.Sprint("n", i)), t0); err != nil {
			t.Fatal(err)
		}
	}
	later := tplInput("later")
	later.NotBefore = t0.Add(time.Hour)
	if _, _, err := models.Enqueue(ctx, db, later, t0); err != nil {
		t.Fatal(err)
	}

	got, err := models.Claim(ctx, db, t0, 2, lease)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim 1: %d rows, %v", len(got), err)
	}
	for _, n := range got {
		if n.Status != models.NotifySending || n.Attempts != 1 || n.LeaseUntil == nil || !n.LeaseUntil.Equal(t0.Add(lease)) {
			t.Fatalf("claimed row: %+v", n)
		}
	}
	rest, err := models.Claim(ctx, db, t0, 10, lease)
	if err != nil || len(rest) != 1 {
		t.Fatalf("claim 2: %d rows (the delayed one must wait), %v", len(rest), err)
	}
	if none, _ := models.Claim(ctx, db, t0.Add(10*time.Second), 10, lease); len(none) != 0 {
		t.Fatalf("claimed %d rows while all are leased", len(none))
	}

	a, b, c := got[0], got[1], rest[0]
	if err := models.MarkSent(ctx, db, a, 4242, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// b fails: due again after the first backoff step, not before.
	next := t0.Add(time.Second + models.RetryDelay(b.Attempts))
	if err := models.MarkRetry(ctx, db, b, "errcode=-1 access_token=SECRET123", next, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	row, _ := models.FindNotification(ctx, db, b.ID)
	if row.Status != models.NotifyFailed || strings.Contains(row.LastError, "SECRET123") || row.LeaseUntil != nil {
		t.Fatalf("after retry: %+v", row)
	}

	// c's worker stalls: its lease runs out and another worker takes it.
	t1 := t0.Add(lease + time.Second)
	again, err := models.Claim(ctx, db, t1, 10, lease)
	if err != nil || len(again) != 1 || again[0].ID != c.ID || again[0].Attempts != 2 {
		t.Fatalf("re-claim after lease: %+v %v", again, err)
	}
	if err := models.MarkSent(ctx, db, c, 1, t1); !errors.Is(err, models.ErrStaleClaim) {
		t.Fatalf("stale MarkSent: %v, want ErrStaleClaim", err)
	}
	if err := models.MarkDead(ctx, db, c, "late", t1); !errors.Is(err, models.ErrStaleClaim) {
		t.Fatalf("stale MarkDead: %v, want ErrStaleClaim", err)
	}
	if err := models.MarkSent(ctx, db, again[0], 77, t1); err != nil {
		t.Fatalf("current claim's MarkSent: %v", err)
	}
	if early, _ := models.Claim(ctx, db, next.Add(-time.Second), 10, lease); len(early) != 0 {
		t.Fatalf("claimed %d rows before the backoff ran out", len(early))
	}

	// b is due at next, and only b.
	retry, err := models.Claim(ctx, db, next, 10, lease)
	if err != nil || len(retry) != 1 || retry[0].ID != b.ID || retry[0].Attempts != 2 {
		t.Fatalf("retry claim: %+v %v", retry, err)
	}
	if err := models.MarkDead(ctx, db, retry[0], "errcode=40037 invalid template_id", next); err != nil {
		t.Fatal(err)
	}
	// The delayed row comes due at its time; a worker shutting down hands
	// it back unsent.
	t2 := t0.Add(time.Hour)
	delayed, err := models.Claim(ctx, db, t2, 10, lease)
	if err != nil || len(delayed) != 1 || delayed[0].DedupeKey != "later" {
		t.Fatalf("delayed claim: %+v %v", delayed, err)
	}
	if err := models.Release(ctx, db, delayed[0], t2); err != nil {
		t.Fatal(err)
	}
	counts, err := models.CountNotifications(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[models.NotifyStatus]int64{models.NotifySent: 2, models.NotifyDead: 1, models.NotifyQueued: 1}
	for _, s := range models.NotifyStatuses {
		if counts[s] != want[s] {
			t.Errorf("count[%s] = %d, want %d", s, counts[s], want[s])
		}
	}
	// The released row is due at once with its attempt given back.
	rel, _ := models.Claim(ctx, db, t2, 10, lease)
	if len(rel) != 1 || rel[0].Attempts != 1 {
		t.Fatalf("released row: %+v", rel)
	}
	if ok, err := models.UpdateDeliveryStatus(ctx, db, 4242, "success"); !ok || err != nil {
		t.Fatalf("delivery status: %v %v", ok, err)
	}
	if row, _ := models.FindNotification(ctx, db, a.ID); row.DeliveryStatus != "success" || row.MsgID != 4242 || row.SentAt == nil {
		t.Fatalf("sent row: %+v", row)
	}
}

// TestConcurrentClaimsAreDisjoint races several claimers; every row must be
// claimed exactly once (SKIP LOCKED on MySQL, the single writer on SQLite).
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	const total = 600
	err := db.Transaction(func(tx *gorm.DB) error {
		for i := range total {
			if _, _, err := models.Enqueue(ctx, tx, tplInput(fmt.Sprint("c", i)), t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[uint64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rows, err := models.Claim(ctx, db, t0, 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rows {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("claimed %d distinct rows, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("row %d claimed %d times", id, n)
		}
	}
}

func TestStuckNotifications(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st1, st2 := uint64(1), uint64(2)
	mk := func(key string, st *uint64) {
		in := tplInput(key)
		in.StationID = st
		if _, _, err := models.Enqueue(ctx, db, in, t0); err != nil {
			t.Fatal(err)
		}
	}
	mk("dead-1", &st1)
	mk("dead-2", &st2)
	mk("late-1", &st1)
	mk("nostation", nil)
	rows, _ := models.Claim(ctx, db, t0, 2, time.Minute) // any two of the four
	for _, r := range rows {
		if err := models.MarkDead(ctx, db, r, "x", t0); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(3 * time.Hour)
	got, err := models.StuckNotifications(ctx, db, now, now.Add(-24*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var dead, overdue int64
	for _, c := range got {
		dead += c.Dead
		overdue += c.Overdue
	}
	if dead != 2 || overdue != 2 || len(got) != 3 {
		t.Fatalf("stuck = %+v", got)
	}
	// Dead rows older than the window do not count; nothing is overdue yet
	// one hour earlier.
	got, _ = models.StuckNotifications(ctx, db, t0.Add(30*time.Minute), t0.Add(time.Minute), time.Hour)
	if len(got) != 0 {
		t.Fatalf("stuck inside the allowance = %+v", got)
	}
	list, err := models.ListStuck(ctx, db, now, now.Add(-24*time.Hour), time.Hour, 10)
	if err != nil || len(list) != 4 {
		t.Fatalf("list stuck: %d %v", len(list), err)
	}
}

func TestRetryDelayAndRedact(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour}
	for i, w := range want {
		if got := models.RetryDelay(i + 1); got != w {
			t.Errorf("RetryDelay(%d) = %v, want %v", i+1, got, w)
		}
	}
	s := models.RedactError(`post https://x/cgi-bin/message?access_token=AT123&x=1 {"secret":"S3"}` + strings.Repeat("长", 300))
	if strings.Contains(s, "AT123") || strings.Contains(s, "S3") || len(s) > 500 {
		t.Fatalf("redacted = %q (%d bytes)", s, len(s))
	}
}

// TestNextDue: the earliest due time among queued and failed rows; a row
// being sent (its lease) is not counted, nor a sent one.
func TestNextDue(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	if _, found, err := models.NextDue(ctx, db); err != nil || found {
		t.Fatalf("empty outbox: found=%v err=%v", found, err)
	}
	enqueue := func(key string, at time.Time) {
		t.Helper()
		in := tplInput(key)
		in.NotBefore = at
		if _, _, err := models.Enqueue(ctx, db, in, t0); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("leased", t0)
	claimed, err := models.Claim(ctx, db, t0, 1, time.Second)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d rows, %v", len(claimed), err)
	}
	if _, found, _ := models.NextDue(ctx, db); found {
		t.Fatal("a row being sent counted as waiting")
	}
	enqueue("queued", t0.Add(time.Hour))
	retry := t0.Add(5 * time.Minute)
	if err := models.MarkRetry(ctx, db, claimed[0], "errcode=-1", retry, t0); err != nil {
		t.Fatal(err)
	}
	due, found, err := models.NextDue(ctx, db)
	if err != nil || !found || !due.Equal(retry) {
		t.Fatalf("next due = %v (found %v, err %v), want the failed row's %v", due, found, err, retry)
	}
	enqueue("sooner", t0.Add(time.Minute))
	if due, _, _ := models.NextDue(ctx, db); !due.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next due = %v, want the queued row's %v", due, t0.Add(time.Minute))
	}
}
