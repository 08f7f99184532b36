package models

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ScanEvent is one counted scan of a code through the official account
// (a subscribe or SCAN push). Rows are written by RecordScans from the queue
// the push endpoint fills; the unique DedupeKey makes a replayed batch
// harmless.
type ScanEvent struct {
	ID uint64 `gorm:"primaryKey" json:"id"`
	// DedupeKey identifies the push (openid, CreateTime, event, key).
	DedupeKey string `gorm:"size:191;not null;uniqueIndex" json:"dedupe_key"`
	// Code is the scanned code: for a board, the board's own code.
	Code        string `gorm:"size:8;not null;index:idx_scan_code_at,priority:1" json:"code"`
	VoterOpenID string `gorm:"column:voter_openid;size:64;not null" json:"voter_openid"`
	Event       string `gorm:"size:16;not null" json:"event"`
	// At is when the push was handled. Rows are written in bulk under load,
	// so the table has no index it does not need: the unique key and
	// (code, at) for per-code statistics.
	At time.Time `gorm:"not null;index:idx_scan_code_at,priority:2" json:"at"`
}

func (e ScanEvent) valid() bool {
	return e.DedupeKey != "" && len(e.DedupeKey) <= 191 && len(e.VoterOpenID) <= 64 &&
		len(e.Event) <= 16 && !e.At.IsZero()
}

// RecordScans stores scan events and adds the newly stored ones to their
// codes' scan counters, in one transaction. An event whose DedupeKey is
// already stored is skipped and not counted again, so a batch that was
// recorded but not yet removed from its queue can be replayed safely.
// Malformed events (bad code, over-long fields, no time) are skipped. It
// returns how many events were new.
//
// A batch is normally two statements: insert it in one multi-row INSERT
// that skips stored keys, and bump the counters. If the insert skipped any
// row (a replayed batch), the transaction is redone reading the stored keys
// first; if a row is stored in between (a concurrent writer), it is redone
// row by row, where each insert reports whether it stored anything.
func RecordScans(ctx context.Context, db *gorm.DB, events []ScanEvent) (int, error) {
	batch := cleanScans(events)
	if len(batch) == 0 {
		return 0, nil
	}
	db = db.WithContext(ctx)
	n, err := recordScans(db, batch, scanOptimistic)
	if errors.Is(err, errScanRace) {
		n, err = recordScans(db, batch, scanLookup)
	}
	if errors.Is(err, errScanRace) {
		n, err = recordScans(db, batch, scanRowByRow)
	}
	if err != nil {
		return 0, translate(err)
	}
	return n, nil
}

var errScanRace = errors.New("scan rows stored concurrently")

// How recordScans finds the new events of a batch.
type scanMode int

const (
	// scanOptimistic inserts the whole batch and keeps it only if every
	// row was new: the usual case, one statement fewer than scanLookup.
	scanOptimistic scanMode = iota
	// scanLookup first reads which keys are stored (a replayed batch).
	scanLookup
	// scanRowByRow inserts one row at a time, each reporting whether it
	// stored anything (a concurrent writer).
	scanRowByRow
)

// cleanScans drops malformed events and repeats within the batch.
func cleanScans(events []ScanEvent) []ScanEvent {
	out := make([]ScanEvent, 0, len(events))
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		code, ok := NormalizeCode(e.Code)
		if !ok || !e.valid() || seen[e.DedupeKey] {
			// Skipped rather than failing the batch: a bad entry must not
			// block the queue behind it.
			continue
		}
		seen[e.DedupeKey] = true
		e.ID, e.Code, e.At = 0, code, e.At.UTC()
		out = append(out, e)
	}
	return out
}

func recordScans(db *gorm.DB, batch []ScanEvent, mode scanMode) (int, error) {
	inserted := 0
	err := db.Transaction(func(tx *gorm.DB) error {
		// A duplicate must not count as inserted. On MariaDB gorm adds
		// RETURNING, with which ON DUPLICATE KEY UPDATE id=id returns the
		// existing row, so MySQL uses INSERT IGNORE (the fields were
		// validated, so it ignores nothing else).
		ins := tx.Clauses(clause.OnConflict{DoNothing: true})
		if DialectOf(tx) == MySQL {
			ins = tx.Clauses(clause.Insert{Modifier: "IGNORE"})
		}
		var fresh []ScanEvent
		switch mode {
		case scanOptimistic:
			// A copy: gorm writes the new IDs into it, and a rolled-back
			// attempt must leave the batch as it was.
			fresh = slices.Clone(batch)
			res := ins.Create(&fresh)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != int64(len(fresh)) {
				return errScanRace // some were stored before: roll back
			}
		case scanRowByRow:
			for _, e := range batch {
				res := ins.Create(&e)
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected > 0 {
					fresh = append(fresh, e)
				}
			}
		default:
			keys := make([]string, len(batch))
			for i, e := range batch {
				keys[i] = e.DedupeKey
			}
			var stored []string
			if err := tx.Model(&ScanEvent{}).Where("dedupe_key IN ?", keys).Pluck("dedupe_key", &stored).Error; err != nil {
				return err
			}
			old := make(map[string]bool, len(stored))
			for _, k := range stored {
				old[k] = true
			}
			for _, e := range batch {
				if !old[e.DedupeKey] {
					fresh = append(fresh, e)
				}
			}
			if len(fresh) == 0 {
				return nil
			}
			res := ins.Create(&fresh)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != int64(len(fresh)) {
				return errScanRace
			}
		}
		inserted = len(fresh)
		perCode := map[string]int64{}
		for _, e := range fresh {
			perCode[e.Code]++
		}
		// A stable order keeps two concurrent batches from locking code rows
		// in opposite orders.
		codes := make([]string, 0, len(perCode))
		for c := range perCode {
			codes = append(codes, c)
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
	return inserted, err
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
