package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The in-process Redis lives in memory, but two kinds of its keys must
// outlive a restart of serve: voters' sessions (a voter would otherwise be
// signed out) and the stored answers of Idempotency-Key requests (a retry
// would otherwise not get its first answer again). serve restores them at
// start from <DataDir>/redis-snapshot.json and writes that file every
// redisSnapshotEvery and once more at shutdown, after the last request.
// A kill -9 loses at most the keys of the last interval; the database still
// knows the bookings and opinions made with a key (their idempotency_key),
// so a retry is answered from there. An external Redis
// (DEPUTYLINK_REDIS_URL) keeps its own data and is not snapshotted.

const (
	redisSnapshotFile  = "redis-snapshot.json"
	redisSnapshotEvery = 5 * time.Second
)

// snapshotPrefixes are the key kinds kept, after DEPUTYLINK_REDIS_PREFIX:
// sessions and WeChat session keys (handlers/api/session.go) and the
// idempotency answers (handlers/shared/idempotency.go).
var snapshotPrefixes = []string{"sess:", "sk:", "idem:"}

// redisSnapshot is the file: one entry per key, with its absolute expiry so
// that the time the server was down counts against the TTL.
type redisSnapshot struct {
	Version int                  `json:"version"`
	SavedAt time.Time            `json:"saved_at"`
	Keys    []redisSnapshotEntry `json:"keys"`
}

type redisSnapshotEntry struct {
	Key   string `json:"k"`
	Value string `json:"v"`
	// ExpiresAt is in Unix milliseconds; 0 is no expiry.
	ExpiresAt int64 `json:"exp,omitempty"`
}

func (a *app) snapshotPath() string { return filepath.Join(a.cfg.DataDir, redisSnapshotFile) }

// kept reports whether key is one of the kinds the snapshot keeps.
func (a *app) kept(key string) bool {
	rest, ok := strings.CutPrefix(key, a.cfg.RedisPrefix)
	if !ok {
		return false
	}
	for _, p := range snapshotPrefixes {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

// saveRedisSnapshot writes the kept keys of the in-process Redis to the
// snapshot file, atomically (a temporary file renamed over the old one).
func (a *app) saveRedisSnapshot() (int, error) {
	if a.mini == nil {
		return 0, nil
	}
	now := time.Now()
	snap := redisSnapshot{Version: 1, SavedAt: now.UTC(), Keys: []redisSnapshotEntry{}}
	for _, k := range a.mini.Keys() {
		if !a.kept(k) || a.mini.Type(k) != "string" {
			continue
		}
		v, err := a.mini.Get(k)
		if err != nil {
			continue // gone meanwhile
		}
		e := redisSnapshotEntry{Key: k, Value: v}
		if ttl := a.mini.TTL(k); ttl > 0 {
			e.ExpiresAt = now.Add(ttl).UnixMilli()
		}
		snap.Keys = append(snap.Keys, e)
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(a.cfg.DataDir, redisSnapshotFile+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), a.snapshotPath()); err != nil {
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	return len(snap.Keys), nil
}

// restoreRedisSnapshot loads the snapshot file into the in-process Redis:
// the keys not yet expired, with the TTL they have left. An idempotency
// claim still pending belonged to a request of the stopped process; it is
// dropped, so a retry runs again instead of waiting for it.
func (a *app) restoreRedisSnapshot() (int, error) {
	if a.mini == nil {
		return 0, nil
	}
	raw, err := os.ReadFile(a.snapshotPath())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis snapshot: %w", err)
	}
	var snap redisSnapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return 0, fmt.Errorf("redis snapshot %s: %w", a.snapshotPath(), err)
	}
	now := time.Now()
	n := 0
	for _, e := range snap.Keys {
		if !a.kept(e.Key) || pendingClaim(e.Value) {
			continue
		}
		var ttl time.Duration
		if e.ExpiresAt != 0 {
			if ttl = time.UnixMilli(e.ExpiresAt).Sub(now); ttl <= 0 {
				continue
			}
		}
		if err := a.mini.Set(e.Key, e.Value); err != nil {
			return n, fmt.Errorf("redis snapshot: %w", err)
		}
		if ttl > 0 {
			a.mini.SetTTL(e.Key, ttl)
		}
		n++
	}
	return n, nil
}

// pendingClaim reports whether v is an idempotency key claimed by a request
// that had not answered (handlers/shared/idempotency.go storedResponse).
func pendingClaim(v string) bool {
	var s struct {
		State string `json:"s"`
	}
	return json.Unmarshal([]byte(v), &s) == nil && s.State == "pending"
}

// snapshotRedisLoop saves the snapshot every redisSnapshotEvery until ctx
// ends.
func (a *app) snapshotRedisLoop(ctx context.Context) {
	t := time.NewTicker(redisSnapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.saveRedisSnapshot(); err != nil {
				a.log.Warn("Saving the in-process Redis failed", "err", err)
			}
		}
	}
}

// finalRedisSnapshot saves the snapshot once the last request has answered.
func (a *app) finalRedisSnapshot() {
	if a.mini == nil {
		return
	}
	if n, err := a.saveRedisSnapshot(); err != nil {
		a.log.Warn("Saving the in-process Redis failed", "err", err)
	} else {
		a.log.Info("In-process Redis saved", "keys", n, "file", a.snapshotPath())
	}
}
