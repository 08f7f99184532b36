package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// scanEnv is a database with two codes and a Redis to count their scans in.
type scanEnv struct {
	t      *testing.T
	ctx    context.Context
	db     *gorm.DB
	rd     *wechattest.TestRedis
	now    time.Time
	a, b   string
	dayOne string
	// hash is the shard the test counts in unless it says which.
	hash  string
	shard int
}

func newScanEnv(t *testing.T) *scanEnv {
	ctx := context.Background()
	e := &scanEnv{t: t, ctx: ctx, db: modelstest.NewDB(t), rd: wechattest.NewRedis(t),
		now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	st := models.Station{Kind: models.KindStation, Name: "东门联络站", Address: "东门路1号", District: "城关镇", OpenHours: "周一"}
	if err := e.db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	for _, p := range []*string{&e.a, &e.b} {
		c, err := models.CreateCode(ctx, e.db, models.Code{Kind: models.CodeBoard, TargetKind: models.CodeStation, TargetID: st.ID})
		if err != nil {
			t.Fatal(err)
		}
		*p = c.Code
	}
	e.shard = 5
	e.hash, e.dayOne = models.ScanHashKey(e.rd.Prefix, e.shard), models.ScanDayOf(e.now)
	return e
}

// count counts one scan in e.hash as the push endpoint's script does.
func (e *scanEnv) count(rdb redis.Cmdable, code, day string, at time.Time) {
	e.countIn(rdb, e.hash, code, day, at)
}

// countIn counts one scan in the hash at key.
func (e *scanEnv) countIn(rdb redis.Cmdable, key, code, day string, at time.Time) {
	f := models.ScanField(code, day)
	if err := rdb.HIncrBy(e.ctx, key, "n|"+f, 1).Err(); err != nil {
		e.t.Error(err)
	}
	rdb.HSet(e.ctx, key, "t|"+f, at.Unix())
}

func (e *scanEnv) drain() int {
	e.t.Helper()
	n, err := jobs.DrainScans(e.ctx, e.db, e.rd.Client, e.rd.Prefix, e.now)
	if err != nil {
		e.t.Fatalf("DrainScans: %v", err)
	}
	return n
}

// totals are the codes' total counters and the sum of their days.
func (e *scanEnv) totals() (a, b, days int64) {
	e.t.Helper()
	ca, _ := models.FindCode(e.ctx, e.db, e.a)
	cb, _ := models.FindCode(e.ctx, e.db, e.b)
	e.db.Model(&models.ScanDay{}).Select("COALESCE(SUM(count), 0)").Scan(&days)
	return ca.ScanCount, cb.ScanCount, days
}

// Ensure DrainScans moves the counted scans into scan_days, per code and
// day with the last time, and leaves no hash behind; a drain that crashed
// before adding its batch is finished by the next run, and one that
// crashed after adding it counts nothing twice.
func TestDrainScans(t *testing.T) {
	e := newScanEnv(t)
	dayTwo := models.ScanDayOf(e.now.Add(24 * time.Hour))
	for i := range 7 {
		e.count(e.rd.Client, e.a, e.dayOne, e.now.Add(time.Duration(i)*time.Minute))
	}
	e.count(e.rd.Client, e.a, dayTwo, e.now.Add(24*time.Hour))
	e.count(e.rd.Client, e.b, e.dayOne, e.now)
	e.rd.Client.HSet(e.ctx, e.hash, "n|garbage", "x")
	if n := e.drain(); n != 9 {
		t.Fatalf("drained %d, want 9", n)
	}
	var d models.ScanDay
	if err := e.db.Where("code = ? AND day = ?", e.a, e.dayOne).Take(&d).Error; err != nil || d.Count != 7 || !d.LastAt.Equal(e.now.Add(6*time.Minute)) {
		t.Errorf("day row %+v %v", d, err)
	}
	if a, b, days := e.totals(); a != 8 || b != 1 || days != 9 {
		t.Errorf("totals %d, %d, days %d; want 8, 1, 9", a, b, days)
	}
	if n := e.rd.Client.Exists(e.ctx, e.hash, jobs.ScanDrainingKey(e.rd.Prefix, e.shard)).Val(); n != 0 {
		t.Errorf("%d hashes left", n)
	}
	if n := e.drain(); n != 0 {
		t.Errorf("an empty drain added %d", n)
	}

	// A crash after the rename, before adding: the next run drains the
	// renamed hash, then (the run after) the scans counted meanwhile.
	draining := jobs.ScanDrainingKey(e.rd.Prefix, e.shard)
	e.count(e.rd.Client, e.a, e.dayOne, e.now)
	e.rd.Client.Rename(e.ctx, e.hash, draining)
	e.rd.Client.HSet(e.ctx, draining, "_id", "d:crashed-before")
	e.count(e.rd.Client, e.b, e.dayOne, e.now)
	e.count(e.rd.Client, e.b, e.dayOne, e.now)
	if n := e.drain(); n != 1 {
		t.Errorf("drained %d after a crash before adding, want 1 (the renamed hash)", n)
	}
	if n := e.drain(); n != 2 {
		t.Errorf("then drained %d, want 2", n)
	}
	if a, b, days := e.totals(); a != 9 || b != 3 || days != 12 {
		t.Errorf("totals %d, %d, days %d; want 9, 3, 12", a, b, days)
	}

	// A crash after adding, before deleting the renamed hash: the next run
	// finds the batch added and only deletes it.
	e.count(e.rd.Client, e.a, e.dayOne, e.now)
	e.rd.Client.Rename(e.ctx, e.hash, draining)
	e.rd.Client.HSet(e.ctx, draining, "_id", "d:crashed-after")
	if _, err := models.AddScanCounts(e.ctx, e.db, "d:crashed-after",
		[]models.ScanCount{{Code: e.a, Day: e.dayOne, Count: 1, LastAt: e.now}}, e.now); err != nil {
		t.Fatal(err)
	}
	if n := e.drain(); n != 0 {
		t.Errorf("drained %d after a crash after adding, want 0", n)
	}
	if a, b, days := e.totals(); a != 10 || b != 3 || days != 13 {
		t.Errorf("totals %d, %d, days %d; want 10, 3, 13", a, b, days)
	}
	if e.rd.Client.Exists(e.ctx, draining).Val() != 0 {
		t.Error("the added hash was left behind")
	}
	if n, err := jobs.DrainScans(e.ctx, e.db, nil, e.rd.Prefix, e.now); n != 0 || err != nil {
		t.Errorf("without Redis = %d, %v", n, err)
	}
}

// Ensure drains racing each other (four goroutines, as two processes' jobs
// would, on real connections to MariaDB and Redis when configured) while
// scans keep being counted add every scan exactly once.
func TestDrainScansRacing(t *testing.T) {
	e := newScanEnv(t)
	const scans = 600
	stop := make(chan struct{})
	var drainers, counter sync.WaitGroup
	errs := make(chan error, 100)
	for range 4 {
		drainers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := jobs.DrainScans(e.ctx, e.db, e.rd.Client, e.rd.Prefix, e.now); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	counter.Go(func() {
		for i := range scans {
			code := e.a
			if i%3 == 0 {
				code = e.b
			}
			// Across the shards, as pushes of different voters go.
			e.countIn(e.rd.Client, models.ScanHashKey(e.rd.Prefix, i%models.ScanShards), code, e.dayOne, e.now)
		}
	})
	counter.Wait()
	close(stop)
	drainers.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("DrainScans: %v", err)
	}
	e.drain() // what came after the last racing run
	if a, b, days := e.totals(); a != scans*2/3 || b != scans/3 || days != scans {
		t.Errorf("totals %d, %d, days %d; want %d, %d, %d", a, b, days, scans*2/3, scans/3, scans)
	}
	var batches int64
	e.db.Model(&models.ScanBatch{}).Count(&batches)
	t.Logf("%d scans added in %d batches", scans, batches)
}

// Ensure the queue of single scans that servers before scan counting
// filled is folded in: in batches, once each even when a batch is replayed
// after a crash, unreadable entries dropped, and left alone while another
// process holds its lock.
func TestDrainScansOldQueue(t *testing.T) {
	e := newScanEnv(t)
	key := jobs.ScanQueueKey(e.rd.Prefix)
	queue := func(from, to int) {
		for i := from; i < to; i++ {
			b, _ := json.Marshal(map[string]any{"dedupe_key": fmt.Sprintf("e:o%d:1:SCAN:%s", i, e.a), "code": e.a,
				"voter_openid": fmt.Sprintf("o%d", i), "event": "scan", "at": e.now})
			e.rd.Client.RPush(e.ctx, key, b)
		}
	}
	total := jobs.ScanBatch + 200
	queue(0, 300)
	e.rd.Client.RPush(e.ctx, key, "not json")
	queue(300, total)
	if n := e.drain(); n != total {
		t.Fatalf("drained %d, want %d", n, total)
	}
	if l := e.rd.Client.LLen(e.ctx, key).Val(); l != 0 {
		t.Errorf("%d entries left", l)
	}
	// A crash after adding but before trimming: the same batch comes again.
	queue(0, 10)
	if n := e.drain(); n != 10 {
		t.Fatalf("drained %d, want 10", n)
	}
	queue(0, 10)
	if n := e.drain(); n != 0 {
		t.Fatalf("replayed batch drained %d, want 0", n)
	}
	if a, _, days := e.totals(); a != int64(total+10) || days != int64(total+10) {
		t.Errorf("totals %d, days %d; want %d", a, days, total+10)
	}
	// Another drainer holds the lock: nothing happens.
	queue(total, total+3)
	e.rd.Client.Set(e.ctx, key+":lock", "someone-else", time.Minute)
	if n := e.drain(); n != 0 {
		t.Fatalf("locked drain added %d", n)
	}
	if l := e.rd.Client.LLen(e.ctx, key).Val(); l != 3 {
		t.Errorf("queue has %d entries, want 3", l)
	}
	e.rd.Client.Del(e.ctx, key+":lock")
	if n := e.drain(); n != 3 {
		t.Fatalf("drained %d, want 3", n)
	}
	if e.rd.Client.Exists(e.ctx, key+":lock").Val() != 0 {
		t.Error("lock left behind")
	}
}

// Ensure a run drains every shard in one go, each as its own batch: a
// shard whose batch was added before a crash counts nothing again while
// the others count; and that the one unsharded hash of the servers before
// the shards (and its draining key, left by a crash) is still drained, for
// a rolling upgrade.
func TestDrainScansShardsAndLegacyHash(t *testing.T) {
	e := newScanEnv(t)
	// Shard 9 crashed after adding its batch; shards 0 and 15 are live.
	d9 := jobs.ScanDrainingKey(e.rd.Prefix, 9)
	e.countIn(e.rd.Client, d9, e.a, e.dayOne, e.now)
	e.rd.Client.HSet(e.ctx, d9, "_id", "d:shard9-added")
	if _, err := models.AddScanCounts(e.ctx, e.db, "d:shard9-added",
		[]models.ScanCount{{Code: e.a, Day: e.dayOne, Count: 1, LastAt: e.now}}, e.now); err != nil {
		t.Fatal(err)
	}
	e.countIn(e.rd.Client, models.ScanHashKey(e.rd.Prefix, 0), e.a, e.dayOne, e.now)
	e.countIn(e.rd.Client, models.ScanHashKey(e.rd.Prefix, 15), e.a, e.dayOne, e.now.Add(time.Minute))
	e.countIn(e.rd.Client, models.ScanHashKey(e.rd.Prefix, 15), e.b, e.dayOne, e.now)
	if n := e.drain(); n != 3 {
		t.Errorf("drained %d, want 3 (shard 9 counted before)", n)
	}
	var d models.ScanDay
	if err := e.db.Where("code = ? AND day = ?", e.a, e.dayOne).Take(&d).Error; err != nil || d.Count != 3 || !d.LastAt.Equal(e.now.Add(time.Minute)) {
		t.Errorf("day row %+v %v; want 3 scans, the last at +1m", d, err)
	}
	for k := range models.ScanShards {
		if n := e.rd.Client.Exists(e.ctx, models.ScanHashKey(e.rd.Prefix, k), jobs.ScanDrainingKey(e.rd.Prefix, k)).Val(); n != 0 {
			t.Errorf("shard %d: %d hashes left", k, n)
		}
	}

	if e.rd.Cluster() {
		// Older servers never ran on a cluster, and the unsharded pair has
		// no common hash tag, so it cannot meet in one script there.
		t.Log("the unsharded hash is not tested on a cluster")
		return
	}
	legacy, legacyDraining := models.ScanLegacyHashKey(e.rd.Prefix), jobs.ScanLegacyDrainingKey(e.rd.Prefix)
	// A crash of an old server's drain left its draining hash, and old
	// servers kept counting in the live one.
	e.countIn(e.rd.Client, legacyDraining, e.b, e.dayOne, e.now)
	e.rd.Client.HSet(e.ctx, legacyDraining, "_id", "d:old-crashed")
	for range 4 {
		e.countIn(e.rd.Client, legacy, e.b, e.dayOne, e.now)
	}
	if n := e.drain(); n != 1 {
		t.Errorf("drained %d, want 1 (the old draining hash)", n)
	}
	if n := e.drain(); n != 4 {
		t.Errorf("then drained %d, want 4 (the old live hash)", n)
	}
	if n := e.rd.Client.Exists(e.ctx, legacy, legacyDraining).Val(); n != 0 {
		t.Errorf("%d old hashes left", n)
	}
	if a, b, days := e.totals(); a != 3 || b != 6 || days != 9 {
		t.Errorf("totals %d, %d, days %d; want 3, 6, 9", a, b, days)
	}
}

// Ensure the scan shards spread over the masters of a Redis Cluster, and
// each shard's hash, draining key and a push's dedupe key share a slot
// (they meet in one script). Only on a cluster.
func TestScanShardsSpreadOverMasters(t *testing.T) {
	rd := wechattest.NewRedis(t)
	cc, ok := rd.Client.(*redis.ClusterClient)
	if !ok {
		t.Skip("needs a Redis Cluster (" + wechattest.EnvRedisCluster + ")")
	}
	ctx := context.Background()
	masters := map[string]int{}
	for k := range models.ScanShards {
		hash := models.ScanHashKey(rd.Prefix, k)
		slot := cc.ClusterKeySlot(ctx, hash).Val()
		for _, other := range []string{jobs.ScanDrainingKey(rd.Prefix, k), rd.Prefix + "wx:dd:" + models.ScanShardTag(k) + ":e:oVoter:1:SCAN:ABC"} {
			if s := cc.ClusterKeySlot(ctx, other).Val(); s != slot {
				t.Errorf("shard %d: %s in slot %d, the hash in %d", k, other, s, slot)
			}
		}
		m, err := cc.MasterForKey(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Options().Addr]++
	}
	t.Logf("shards per master: %v", masters)
	if len(masters) < 2 {
		t.Errorf("all %d shards on one master: %v", models.ScanShards, masters)
	}
}
