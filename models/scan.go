package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Scans are counted, not stored one by one (docs/ARCHITECTURE.md#scan-counts):
// what the pages need of them is, per code, the scans of a window of days
// and the last scan time. The push endpoint counts a scan in a Redis hash
// (jobs.DrainScans moves the hash into scan_days in batches); a scan that
// cannot go to Redis is added here at once.

// ScanDay is the scans of one code on one day (China time, UTC+8: the
// counties are all on it, so a day does not depend on a setting).
type ScanDay struct {
	// Code is the scanned code: for a board, the board's own code.
	Code string `gorm:"primaryKey;size:8" json:"code"`
	// Day is the local date, "2006-01-02".
	Day   string `gorm:"primaryKey;size:10" json:"day"`
	Count int64  `gorm:"not null;default:0" json:"count"`
	// LastAt is the last scan of the day, to the second (UTC); the silent
	// boards' query filters on it.
	LastAt time.Time `gorm:"not null;index" json:"last_at"`
}

// ScanBatch remembers a batch of counts that was added, so the same batch
// added again (a drain that crashed before removing its hash from Redis, two
// drains racing over one hash, a WeChat retry of a push counted without
// Redis) adds nothing. Rows older than ScanBatchKeep are pruned.
type ScanBatch struct {
	Key string    `gorm:"column:batch_key;primaryKey;size:191" json:"key"`
	At  time.Time `gorm:"not null;index" json:"at"`
}

// ScanBatchKeep is how long a batch's key is remembered: far longer than
// any drain or push retry takes.
const ScanBatchKeep = 24 * time.Hour

// ScanCount is a number of scans of one code on one day, as a batch carries
// them.
type ScanCount struct {
	Code   string
	Day    string
	Count  int64
	LastAt time.Time
}

// ScanDayOf is the day a scan at t is counted on.
func ScanDayOf(t time.Time) string { return t.In(chinaTime).Format(DateLayout) }

// AddScanCounts adds a batch of counts to scan_days and to the codes' total
// scan counters, in one transaction, and returns how many scans it added.
// A non-empty key makes the batch count once: if a batch with that key was
// added already, it adds nothing and returns 0. Malformed entries (a bad
// code or day, a count below 1, no time) are skipped, so a bad entry does
// not block the ones behind it.
func AddScanCounts(ctx context.Context, db *gorm.DB, key string, counts []ScanCount, now time.Time) (int64, error) {
	return AddScanBatches(ctx, db, []ScanCountBatch{{Key: key, Counts: counts}}, now)
}

// ScanCountBatch is a batch of counts and the key that makes it count once
// (see AddScanCounts).
type ScanCountBatch struct {
	Key    string
	Counts []ScanCount
}

// AddScanBatches is AddScanCounts for several batches in one transaction:
// each batch with a key counts once, and the counts of those that count
// are merged into one upsert per code and day (the drain gives one batch
// per scan shard).
func AddScanBatches(ctx context.Context, db *gorm.DB, batches []ScanCountBatch, now time.Time) (int64, error) {
	type keyed struct {
		key    string
		merged map[[2]string]ScanCount
	}
	var todo []keyed
	for _, b := range batches {
		if len(b.Key) > 191 {
			return 0, Invalid("key", "批次标识过长")
		}
		if m := mergeScanCounts(b.Counts, nil); len(m) > 0 {
			todo = append(todo, keyed{b.Key, m})
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	// A stable order of the batch keys and rows keeps two concurrent
	// transactions from locking them in opposite orders.
	slices.SortFunc(todo, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	var added int64
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		added = 0
		mysql := DialectOf(tx) == MySQL
		var merged map[[2]string]ScanCount
		newKey := false // a batch key was added: prune the old ones
		for _, b := range todo {
			if b.key != "" {
				ins := tx.Clauses(clause.OnConflict{DoNothing: true})
				if mysql {
					ins = tx.Clauses(clause.Insert{Modifier: "IGNORE"})
				}
				res := ins.Create(&ScanBatch{Key: b.key, At: now.UTC()})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected == 0 {
					continue // added before
				}
				newKey = true
			}
			if merged == nil {
				merged = b.merged
				if len(todo) > 1 {
					merged = mergeScanCounts(nil, b.merged)
				}
				continue
			}
			for k, c := range b.merged {
				merged[k] = mergeScanCount(merged[k], c)
			}
		}
		if newKey {
			if err := tx.Where("at < ?", now.UTC().Add(-ScanBatchKeep)).Delete(&ScanBatch{}).Error; err != nil {
				return err
			}
		}
		if len(merged) == 0 {
			return nil
		}
		rows := make([]ScanCount, 0, len(merged))
		for _, c := range merged {
			rows = append(rows, c)
		}
		slices.SortFunc(rows, func(a, b ScanCount) int {
			return strings.Compare(a.Code+a.Day, b.Code+b.Day)
		})
		upsert := "INSERT INTO scan_days (code, day, count, last_at) VALUES %s " +
			"ON CONFLICT (code, day) DO UPDATE SET count = scan_days.count + excluded.count, " +
			"last_at = MAX(scan_days.last_at, excluded.last_at)"
		if mysql {
			upsert = "INSERT INTO scan_days (code, day, count, last_at) VALUES %s " +
				"ON DUPLICATE KEY UPDATE count = count + VALUES(count), last_at = GREATEST(last_at, VALUES(last_at))"
		}
		perCode := map[string]int64{}
		var codes []string
		for chunk := range slices.Chunk(rows, 200) {
			args := make([]any, 0, 4*len(chunk))
			for _, c := range chunk {
				args = append(args, c.Code, c.Day, c.Count, c.LastAt)
				if perCode[c.Code] == 0 {
					codes = append(codes, c.Code)
				}
				perCode[c.Code] += c.Count
				added += c.Count
			}
			values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(chunk)), ", ")
			if err := tx.Exec(fmt.Sprintf(upsert, values), args...).Error; err != nil {
				return err
			}
		}
		slices.Sort(codes)
		for _, code := range codes {
			if err := tx.Model(&Code{}).Where("code = ?", code).
				UpdateColumn("scan_count", gorm.Expr("scan_count + ?", perCode[code])).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, translate(err)
	}
	return added, nil
}

// mergeScanCounts merges counts (valid ones only, normalized) and the
// already merged from into one count per code and day.
func mergeScanCounts(counts []ScanCount, from map[[2]string]ScanCount) map[[2]string]ScanCount {
	merged := make(map[[2]string]ScanCount, len(from))
	for k, c := range from {
		merged[k] = c
	}
	for _, c := range counts {
		code, ok := NormalizeCode(c.Code)
		if !ok || c.Count < 1 || c.LastAt.IsZero() {
			continue
		}
		if _, err := time.Parse(DateLayout, c.Day); err != nil {
			continue
		}
		c.Code, c.LastAt = code, c.LastAt.UTC().Truncate(time.Second)
		k := [2]string{c.Code, c.Day}
		merged[k] = mergeScanCount(merged[k], c)
	}
	return merged
}

// mergeScanCount adds c to m (the zero value for none): counts add up,
// the later time wins.
func mergeScanCount(m, c ScanCount) ScanCount {
	if m.Count == 0 {
		return c
	}
	c.Count += m.Count
	if m.LastAt.After(c.LastAt) {
		c.LastAt = m.LastAt
	}
	return c
}

// SetVoterFollowing creates or updates the voter with this official-account
// openid and records whether they follow the account. A voter who unfollowed
// gets no template or customer-service messages.
func SetVoterFollowing(ctx context.Context, db *gorm.DB, oaOpenID string, following bool, now time.Time) error {
	if oaOpenID == "" {
		return Invalid("openid", "缺少用户标识")
	}
	id := oaOpenID
	v := Voter{OAOpenID: &id, Following: following, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "oa_openid"}},
		DoUpdates: clause.AssignmentColumns([]string{"following", "updated_at"}),
	}).Create(&v).Error
	return translate(err)
}

// FindVoterByOAOpenID loads the voter with this official-account openid.
func FindVoterByOAOpenID(ctx context.Context, db *gorm.DB, oaOpenID string) (Voter, error) {
	var v Voter
	if err := db.WithContext(ctx).Where("oa_openid = ?", oaOpenID).Take(&v).Error; err != nil {
		return Voter{}, notFoundAs(err, ErrVoterNotFound)
	}
	return v, nil
}

// StaffByOAOpenID returns the staff member bound to this official-account
// openid and their first station.
func StaffByOAOpenID(ctx context.Context, db *gorm.DB, oaOpenID string) (Staff, Station, error) {
	var s Staff
	err := db.WithContext(ctx).Preload("Stations", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		Where("oa_openid = ?", oaOpenID).Take(&s).Error
	if err != nil {
		return Staff{}, Station{}, translate(err) // ErrNotFound when nobody is bound
	}
	if len(s.Stations) == 0 {
		return s, Station{}, nil
	}
	return s, s.Stations[0], nil
}

// NextReceptionDate returns the local date (YYYY-MM-DD) of the station's next
// reception day that has not ended by now. When the reception_days table
// exists the answer comes from it, and ok is false if none is scheduled.
// Without that table it is the rule of thumb of docs/ARCHITECTURE.md#reception-days: the 10th of this
// or next month, moved off a weekend to the following Monday.
func NextReceptionDate(ctx context.Context, db *gorm.DB, stationID uint64, now time.Time, loc *time.Location) (date string, ok bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	today := now.In(loc).Format(DateLayout)
	if db.Migrator().HasTable("reception_days") {
		// Today's day may be over already; its end is compared here, not in
		// SQL, because SQLite compares times as text.
		var days []struct {
			Date   string
			EndsAt time.Time
		}
		err := db.WithContext(ctx).Table("reception_days").Select("date", "ends_at").
			Where("station_id = ? AND date >= ?", stationID, today).
			Order("date").Limit(3).Scan(&days).Error
		if err != nil {
			return "", false, translate(err)
		}
		for _, d := range days {
			if d.EndsAt.After(now) {
				return strings.TrimSpace(d.Date), true, nil
			}
		}
		return "", false, nil
	}
	l := now.In(loc)
	d := shiftWeekend(time.Date(l.Year(), l.Month(), 10, 0, 0, 0, 0, loc))
	if d.Format(DateLayout) < today {
		d = shiftWeekend(time.Date(l.Year(), l.Month()+1, 10, 0, 0, 0, 0, loc))
	}
	return d.Format(DateLayout), true, nil
}

func shiftWeekend(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, 2)
	case time.Sunday:
		return d.AddDate(0, 0, 1)
	}
	return d
}

// The Redis hashes the push endpoint counts scans in (the handlers write
// them, jobs.DrainScans reads them; models itself does not talk to Redis):
// for each code and day, the field "n|CODE|DAY" holds the count (HINCRBY)
// and "t|CODE|DAY" the last scan's Unix time. Other fields (the drain's own
// mark) are ignored.
//
// There are ScanShards hashes, and a push counts in the shard of its
// identity (ScanShardOf), so a crowd's scans of one board spread over
// several keys, and on a Redis Cluster over several nodes. The shard's hash
// tag "{s<k>}" is in every key that meets the hash in one script: the
// push's dedupe key (ScanShardTag) and the drain's draining key
// (docs/SCALE.md, section 2).

// ScanShards is the number of scan hashes. Changing it is safe for the
// counts (the drain reads the shards by number, so lower it only after
// draining the dropped ones).
const ScanShards = 16

// ScanShardOf is the shard a push with this identity counts in (FNV-1a).
func ScanShardOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % ScanShards)
}

// ScanShardTag is the hash tag of a shard, "{s<k>}".
func ScanShardTag(shard int) string { return "{s" + strconv.Itoa(shard) + "}" }

// ScanHashKey is shard's hash under the deployment's Redis prefix.
func ScanHashKey(prefix string, shard int) string {
	return prefix + "wx:scans:" + ScanShardTag(shard) + ":days"
}

// ScanLegacyHashKey is the one unsharded hash servers before the shards
// counted in; the drain still reads it for a rolling upgrade.
func ScanLegacyHashKey(prefix string) string { return prefix + "wx:scans:days" }

// ScanField is the part of the hash's fields that names a code and day.
func ScanField(code, day string) string { return code + "|" + day }

// ScanCountsOf reads the hash (as HGETALL returns it) into counts.
// Malformed fields are skipped.
func ScanCountsOf(h map[string]string) []ScanCount {
	out := make([]ScanCount, 0, len(h)/2)
	for f, v := range h {
		rest, ok := strings.CutPrefix(f, "n|")
		if !ok {
			continue
		}
		code, day, ok := strings.Cut(rest, "|")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			continue
		}
		t, err := strconv.ParseInt(h["t|"+rest], 10, 64)
		if err != nil || t <= 0 {
			// The time is written with the count; without it the day's
			// noon stands in rather than losing the count.
			d, err := time.ParseInLocation(DateLayout, day, chinaTime)
			if err != nil {
				continue
			}
			t = d.Add(12 * time.Hour).Unix()
		}
		out = append(out, ScanCount{Code: code, Day: day, Count: n, LastAt: time.Unix(t, 0).UTC()})
	}
	return out
}
