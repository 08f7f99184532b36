package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Scan count draining (docs/ARCHITECTURE.md#scan-counts). The push endpoint
// answers a QR scan at once and only counts it in one of the Redis hashes
// of models.ScanHashKey (a count and a last time per code and day, in
// models.ScanShards shards); this job moves the hashes into scan_days.
//
// A run renames each shard's hash to its draining key (the same hash tag,
// so the pair meets in one script on a Redis Cluster too) and marks it with
// a fresh batch id, in one script, unless a draining hash is already there
// (a run that crashed or is still working): then it takes that one as it
// is. It adds the counts of every shard in one transaction with
// models.AddScanBatches, which adds each batch id once however often it is
// given, and then deletes each draining hash if it still carries its id.
// So two runs at once both add the same batches and only one counts them;
// a run that crashed before adding leaves the hashes for the next; one that
// crashed after adding leaves batches the next run finds already added.
// Scans counted while a drain runs go to new hashes. No lock is needed.
//
// For a rolling upgrade a run also drains the one unsharded hash of the
// servers before the shards (models.ScanLegacyHashKey, the same way), and
// folds in the list ScanQueueKey that servers before scan counting queued
// each scan in as JSON (serialised by a lock, as those servers' drain
// was), so an upgrade loses no scan.

const (
	// ScanBatch is how many queued scans of the old list one transaction
	// records.
	ScanBatch = 500
	// scanRunBudget bounds one run, so a long queue does not hold the lock
	// for ever; the next tick goes on.
	scanRunBudget = 20 * time.Second
	scanLockTTL   = time.Minute
)

// ScanQueueKey is the Redis list older servers queued single scans in.
func ScanQueueKey(prefix string) string { return prefix + "wx:scans" }

// ScanDrainingKey holds a shard's renamed hash while it is being drained.
func ScanDrainingKey(prefix string, shard int) string {
	return prefix + "wx:scans:" + models.ScanShardTag(shard) + ":draining"
}

// ScanLegacyDrainingKey is the draining key of the unsharded hash.
func ScanLegacyDrainingKey(prefix string) string {
	return models.ScanLegacyHashKey(prefix) + ":draining"
}

// ErrScanLockLost means another drainer took the old queue over mid-run
// (the lock expired); the batch in hand was recorded but left in the
// queue, which is harmless.
var ErrScanLockLost = errors.New("jobs: scan queue lock lost")

var unlockScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// takeScansScript returns the hash to drain: the draining one if there is
// one, else the live hash renamed and marked with ARGV[1] ("_id").
var takeScansScript = redis.NewScript(`
if redis.call("exists", KEYS[2]) == 0 then
  if redis.call("exists", KEYS[1]) == 0 then return {} end
  redis.call("rename", KEYS[1], KEYS[2])
  redis.call("hset", KEYS[2], "_id", ARGV[1])
end
return redis.call("hgetall", KEYS[2])`)

// dropScansScript deletes the draining hash if it is still batch ARGV[1].
var dropScansScript = redis.NewScript(`if redis.call("hget", KEYS[1], "_id") == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// DrainScans adds the counted scans to the database and returns how many
// it added. It is safe to run in every process at once and as often as
// wanted.
func DrainScans(ctx context.Context, db *gorm.DB, rdb redis.UniversalClient, prefix string, now time.Time) (int, error) {
	if rdb == nil {
		return 0, nil
	}
	n, err := drainScanHash(ctx, db, rdb, prefix, now)
	if err != nil {
		return int(n), err
	}
	m, err := drainScanList(ctx, db, rdb, prefix, now)
	return int(n) + m, err
}

// scanPair is a hash to drain and its draining key.
type scanPair struct{ live, draining string }

func drainScanHash(ctx context.Context, db *gorm.DB, rdb redis.UniversalClient, prefix string, now time.Time) (int64, error) {
	pairs := make([]scanPair, 0, models.ScanShards+1)
	for k := range models.ScanShards {
		pairs = append(pairs, scanPair{models.ScanHashKey(prefix, k), ScanDrainingKey(prefix, k)})
	}
	// One pipeline takes every shard (go-redis splits it per node on a
	// cluster) and looks for the unsharded hash, key by key: its two keys
	// have no common tag, so its script runs only when there is one (on
	// the single Redis that older servers wrote it to).
	pipe := rdb.Pipeline()
	takes := make([]*redis.Cmd, len(pairs))
	for i, p := range pairs {
		takes[i] = takeScansScript.EvalSha(ctx, pipe, []string{p.live, p.draining}, "d:"+randomToken())
	}
	legacy := scanPair{models.ScanLegacyHashKey(prefix), ScanLegacyDrainingKey(prefix)}
	legacyLive, legacyDraining := pipe.Exists(ctx, legacy.live), pipe.Exists(ctx, legacy.draining)
	_, _ = pipe.Exec(ctx) // each command keeps its own error
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	if legacyLive.Val()+legacyDraining.Val() > 0 {
		pairs = append(pairs, legacy)
		takes = append(takes, nil)
	} else if err := cmp.Or(legacyLive.Err(), legacyDraining.Err()); err != nil {
		fail(err)
	}

	var batches []models.ScanCountBatch
	var taken []scanPair
	for i, p := range pairs {
		var raw []string
		var err error
		if takes[i] != nil {
			raw, err = takes[i].StringSlice()
		}
		if takes[i] == nil || redis.HasErrorPrefix(err, "NOSCRIPT") {
			// The unsharded pair, or the script not loaded yet on this node.
			raw, err = takeScansScript.Run(ctx, rdb, []string{p.live, p.draining}, "d:"+randomToken()).StringSlice()
		}
		if err != nil {
			fail(err)
			continue
		}
		if len(raw) == 0 {
			continue
		}
		h := make(map[string]string, len(raw)/2)
		for i := 0; i+1 < len(raw); i += 2 {
			h[raw[i]] = raw[i+1]
		}
		id := h["_id"]
		if id == "" {
			// Renamed by a run that crashed before marking it (the script
			// is atomic, so only by hand): mark it now.
			id = "d:" + randomToken()
			if ok, err := rdb.HSetNX(ctx, p.draining, "_id", id).Result(); err != nil || !ok {
				fail(err) // marked meanwhile by another run: the next run drains it
				continue
			}
		}
		batches = append(batches, models.ScanCountBatch{Key: id, Counts: models.ScanCountsOf(h)})
		taken = append(taken, p)
	}
	if len(batches) == 0 {
		return 0, firstErr
	}
	n, err := models.AddScanBatches(ctx, db, batches, now)
	if err != nil {
		return 0, err
	}
	pipe = rdb.Pipeline()
	drops := make([]*redis.Cmd, len(taken))
	for i, p := range taken {
		drops[i] = dropScansScript.EvalSha(ctx, pipe, []string{p.draining}, batches[i].Key)
	}
	_, _ = pipe.Exec(ctx)
	for i, p := range taken {
		err := drops[i].Err()
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			err = dropScansScript.Run(ctx, rdb, []string{p.draining}, batches[i].Key).Err()
		}
		if err != nil {
			fail(err)
		}
	}
	return n, firstErr
}

// drainScanList folds the old servers' queue of single scans in, a batch
// at a time under a lock: read with LRANGE, added under a key derived from
// the batch's contents (a replay after a crash adds nothing), then removed
// with LTRIM.
func drainScanList(ctx context.Context, db *gorm.DB, rdb redis.UniversalClient, prefix string, now time.Time) (int, error) {
	key, lockKey := ScanQueueKey(prefix), ScanQueueKey(prefix)+":lock"
	if n, err := rdb.Exists(ctx, key).Result(); err != nil || n == 0 {
		return 0, err
	}
	token := randomToken()
	ok, err := rdb.SetNX(ctx, lockKey, token, scanLockTTL).Result()
	if err != nil || !ok {
		return 0, err
	}
	defer unlockScript.Run(context.WithoutCancel(ctx), rdb, []string{lockKey}, token) //nolint:errcheck

	total := 0
	deadline := time.Now().Add(scanRunBudget)
	for time.Now().Before(deadline) {
		raw, err := rdb.LRange(ctx, key, 0, ScanBatch-1).Result()
		if err != nil {
			return total, err
		}
		if len(raw) == 0 {
			return total, nil
		}
		var counts []models.ScanCount
		for _, r := range raw {
			// The old servers' models.ScanEvent JSON. An unreadable entry
			// is dropped with its batch: keeping it would block the queue.
			var e struct {
				Code string    `json:"code"`
				At   time.Time `json:"at"`
			}
			if json.Unmarshal([]byte(r), &e) == nil && !e.At.IsZero() {
				counts = append(counts, models.ScanCount{Code: e.Code, Day: models.ScanDayOf(e.At), Count: 1, LastAt: e.At})
			}
		}
		sum := sha256.Sum256([]byte(strings.Join(raw, "\n")))
		n, err := models.AddScanCounts(ctx, db, "l:"+hex.EncodeToString(sum[:]), counts, now)
		if err != nil {
			return total, err
		}
		total += int(n)
		if v, err := rdb.Get(ctx, lockKey).Result(); err != nil || v != token {
			return total, ErrScanLockLost
		}
		if err := rdb.LTrim(ctx, key, int64(len(raw)), -1).Err(); err != nil {
			return total, err
		}
		if len(raw) < ScanBatch {
			return total, nil
		}
	}
	return total, nil
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
