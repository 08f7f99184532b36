package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"
)

// Ensure DrainScans moves queued scans into the database in batches,
// counts each push once even when a batch is replayed after a crash, drops
// unreadable entries, and leaves the queue alone while another process
// holds the lock.
func TestDrainScans(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	rd := wechattest.NewRedis(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	st := models.Station{Kind: models.KindStation, Name: "东门联络站", Address: "东门路1号", District: "城关镇", OpenHours: "周一"}
	if err := db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	code, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeStation, TargetID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	key := jobs.ScanQueueKey(rd.Prefix)
	event := func(i int) models.ScanEvent {
		return models.ScanEvent{DedupeKey: fmt.Sprintf("e:o%d:1:SCAN:%s", i, code.Code), Code: code.Code,
			VoterOpenID: fmt.Sprintf("o%d", i), Event: "scan", At: now}
	}
	queue := func(from, to int) {
		for i := from; i < to; i++ {
			b, _ := json.Marshal(event(i))
			rd.Client.RPush(ctx, key, b)
		}
	}
	count := func() int64 {
		c, err := models.FindCode(ctx, db, code.Code)
		if err != nil {
			t.Fatal(err)
		}
		return c.ScanCount
	}

	// More than one batch, with garbage in between.
	total := jobs.ScanBatch + 200
	queue(0, 300)
	rd.Client.RPush(ctx, key, "not json")
	queue(300, total)
	n, err := jobs.DrainScans(ctx, db, rd.Client, rd.Prefix, now)
	if err != nil || n != total {
		t.Fatalf("DrainScans = %d, %v; want %d", n, err, total)
	}
	if l := rd.Client.LLen(ctx, key).Val(); l != 0 {
		t.Errorf("%d entries left", l)
	}
	if c := count(); c != int64(total) {
		t.Errorf("scan count %d, want %d", c, total)
	}

	// A crash after recording but before trimming: the entries come again.
	queue(0, 10)
	queue(total, total+5)
	n, err = jobs.DrainScans(ctx, db, rd.Client, rd.Prefix, now)
	if err != nil || n != 5 {
		t.Fatalf("replayed DrainScans = %d, %v; want 5", n, err)
	}
	if c := count(); c != int64(total+5) {
		t.Errorf("scan count %d after replay, want %d", c, total+5)
	}

	// Another drainer holds the lock: nothing happens.
	queue(total+5, total+8)
	rd.Client.Set(ctx, key+":lock", "someone-else", time.Minute)
	if n, err := jobs.DrainScans(ctx, db, rd.Client, rd.Prefix, now); n != 0 || err != nil {
		t.Fatalf("locked DrainScans = %d, %v", n, err)
	}
	if l := rd.Client.LLen(ctx, key).Val(); l != 3 {
		t.Errorf("queue has %d entries, want 3", l)
	}
	rd.Client.Del(ctx, key+":lock")
	if n, err := jobs.DrainScans(ctx, db, rd.Client, rd.Prefix, now); n != 3 || err != nil {
		t.Fatalf("DrainScans = %d, %v; want 3", n, err)
	}
	if rd.Client.Exists(ctx, key+":lock").Val() != 0 {
		t.Error("lock left behind")
	}
	if n, err := jobs.DrainScans(ctx, db, nil, rd.Prefix, now); n != 0 || err != nil {
		t.Errorf("without Redis = %d, %v", n, err)
	}
}
