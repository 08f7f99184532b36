package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Scan queue draining. The push endpoint answers a QR scan at once and only
// RPUSHes the scan (JSON of models.ScanEvent) to <prefix>wx:scans; this job
// moves the queue into the database in batches.
//
// A batch is read with LRANGE, recorded with models.RecordScans (which skips
// events already stored and counts only new ones, in one transaction) and
// only then removed with LTRIM. A crash between the two replays the batch on
// the next run without counting it twice. Runs are serialised by a lock in
// Redis, because two drainers trimming the same head would drop events
// neither recorded; the lock is checked again before each trim.

const (
	// ScanBatch is how many queued scans one transaction records.
	ScanBatch = 500
	// scanRunBudget bounds one run, so a long queue does not hold the lock
	// for ever; the next tick goes on.
	scanRunBudget = 20 * time.Second
	scanLockTTL   = time.Minute
)

// ScanQueueKey is the Redis list the push endpoint queues scans in.
func ScanQueueKey(prefix string) string { return prefix + "wx:scans" }

// ErrScanLockLost means another drainer took the queue over mid-run (the
// lock expired); the batch in hand was recorded but left in the queue,
// which is harmless.
var ErrScanLockLost = errors.New("jobs: scan queue lock lost")

var unlockScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// DrainScans records the queued scans and returns how many were new. It is
// safe to run in every process at once (only one drains at a time) and as
// often as wanted; now is unused and there for the job signature.
func DrainScans(ctx context.Context, db *gorm.DB, rdb redis.UniversalClient, prefix string, now time.Time) (int, error) {
	if rdb == nil {
		return 0, nil
	}
	key, lockKey := ScanQueueKey(prefix), ScanQueueKey(prefix)+":lock"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
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
		events := make([]models.ScanEvent, 0, len(raw))
		for _, r := range raw {
			var e models.ScanEvent
			// An unreadable entry is dropped with its batch: keeping it would
			// block the queue for ever.
			if json.Unmarshal([]byte(r), &e) == nil {
				events = append(events, e)
			}
		}
		n, err := models.RecordScans(ctx, db, events)
		if err != nil {
			return total, err
		}
		total += n
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
