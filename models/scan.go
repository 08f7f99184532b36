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
	if len(key) > 191 {
		return 0, Invalid("key", "批次标识过长")
	}
	merged := map[[2]string]ScanCount{}
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
		if m, ok := merged[k]; ok {
			c.Count += m.Count
			if m.LastAt.After(c.LastAt) {
				c.LastAt = m.LastAt
			}
		}
		merged[k] = c
	}
	if len(merged) == 0 {
		return 0, nil
	}
	// A stable order keeps two concurrent batches from locking rows in
	// opposite orders.
	rows := make([]ScanCount, 0, len(merged))
	for _, c := range merged {
		rows = append(rows, c)
	}
	slices.SortFunc(rows, func(a, b ScanCount) int {
		return strings.Compare(a.Code+a.Day, b.Code+b.Day)
	})
	var added int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		mysql := DialectOf(tx) == MySQL
		if key != "" {
			ins := tx.Clauses(clause.OnConflict{DoNothing: true})
			if mysql {
				ins = tx.Clauses(clause.Insert{Modifier: "IGNORE"})
			}
			res := ins.Create(&ScanBatch{Key: key, At: now.UTC()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return nil // added before
			}
			if err := tx.Where("at < ?", now.UTC().Add(-ScanBatchKeep)).Delete(&ScanBatch{}).Error; err != nil {
				return err
			}
		}
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

// The Redis hash the push endpoint counts scans in (the handlers write it,
// jobs.DrainScans reads it; models itself does not talk to Redis): for each
// code and day, the field "n|CODE|DAY" holds the count (HINCRBY) and
// "t|CODE|DAY" the last scan's Unix time. Other fields (the drain's own
// mark) are ignored.

// ScanHashKey is the hash's key under the deployment's Redis prefix.
func ScanHashKey(prefix string) string { return prefix + "wx:scans:days" }

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
