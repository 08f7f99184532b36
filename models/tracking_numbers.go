package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// TrackingBlock is how many numbers of a day a process reserves at once
// for TakeTrackingNo: one counter statement per this many filings.
const TrackingBlock = 20

// numberBlock is one process's reserved, not yet handed out numbers of a
// day on one database: seq in (next-1, end].
type numberBlock struct {
	mu        sync.Mutex
	day       string
	next, end int64
}

// blocks holds a numberBlock per connection pool (*sql.DB): every pool is
// one database, so a test's or a second database's numbers never mix.
var blocks sync.Map

// TakeTrackingNo takes a tracking number of the local day of now for a
// filing about to start (FileInput.TrackingNo), outside any transaction.
// Numbers come from a block of TrackingBlock numbers reserved by one
// upsert of the day's counter row, committed on its own: the row is locked
// for that one statement only, so filings no longer queue on it, and
// several processes reserve disjoint blocks. A process that stops loses
// its unused numbers and a filing that fails loses its number: the day's
// numbers may have gaps and, across processes, need not follow filing
// order. The unique index on opinions.tracking_no backs the uniqueness up;
// FileOpinion retries a number that is taken (see numberInTx).
func TakeTrackingNo(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (string, error) {
	if _, inTx := db.Statement.ConnPool.(*sql.Tx); inTx {
		// A block reserved in a transaction that rolls back would be
		// handed out again by the counter; on SQLite's one connection the
		// reservation would also wait for the transaction itself.
		return "", errors.New("tracking number: TakeTrackingNo must not run in a transaction")
	}
	pool, err := db.DB()
	if err != nil {
		return "", err
	}
	v, _ := blocks.LoadOrStore(pool, &numberBlock{})
	b := v.(*numberBlock)
	day := now.In(orLoc(loc)).Format("20060102")
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.day != day || b.next > b.end {
		end, err := reserveSeq(db.WithContext(ctx), day, TrackingBlock)
		if err != nil {
			return "", err
		}
		b.day, b.next, b.end = day, end-TrackingBlock+1, end
	}
	seq := b.next
	b.next++
	return trackingNo(day, seq), nil
}

func trackingNo(day string, seq int64) string { return fmt.Sprintf("YJ%s-%04d", day, seq) }

// reserveSeq adds k to the day's counter (creating it at k) in one
// statement and returns the new value: the caller owns (value-k, value].
// In a transaction the row stays locked until it ends, and a rollback
// gives the numbers back.
func reserveSeq(db *gorm.DB, day string, k int64) (int64, error) {
	var seq int64
	if DialectOf(db) == MySQL {
		// LAST_INSERT_ID(expr) sets the value the server reports as the
		// statement's insert id, on the insert and on the update path.
		res, err := db.Statement.ConnPool.ExecContext(db.Statement.Context,
			"INSERT INTO opinion_counters (day, seq) VALUES (?, LAST_INSERT_ID(?)) "+
				"ON DUPLICATE KEY UPDATE seq = LAST_INSERT_ID(seq + ?)", day, k, k)
		if err != nil {
			return 0, translate(err)
		}
		if seq, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("tracking number: %w", err)
		}
	} else {
		var out []int64
		if err := db.Raw("INSERT INTO opinion_counters (day, seq) VALUES (?, ?) "+
			"ON CONFLICT(day) DO UPDATE SET seq = seq + ? RETURNING seq", day, k, k).Scan(&out).Error; err != nil {
			return 0, translate(err)
		}
		if len(out) == 1 {
			seq = out[0]
		}
	}
	if seq < k {
		return 0, fmt.Errorf("tracking number: the counter of %s returned %d", day, seq)
	}
	return seq, nil
}

// trackingNoTaken reports whether an opinion already has number no.
func trackingNoTaken(tx *gorm.DB, no string) (bool, error) {
	var n int64
	if err := tx.Model(&Opinion{}).Where("tracking_no = ?", no).Count(&n).Error; err != nil {
		return false, translate(err)
	}
	return n > 0, nil
}

// resyncCounter moves the day's counter past the highest number of the
// day already given, after a number turned out to be taken (a counter
// restored from an older backup or edited by hand). Numbers sort by length
// first, so 10000 comes after 9999.
func resyncCounter(tx *gorm.DB, day string) error {
	var nos []string
	if err := tx.Model(&Opinion{}).Where("tracking_no LIKE ?", "YJ"+day+"-%").
		Order("LENGTH(tracking_no) DESC, tracking_no DESC").Limit(1).Pluck("tracking_no", &nos).Error; err != nil {
		return translate(err)
	}
	if len(nos) == 0 {
		return nil
	}
	var top int64
	if _, err := fmt.Sscanf(nos[0], "YJ"+day+"-%d", &top); err != nil {
		return fmt.Errorf("tracking number: cannot read %q: %w", nos[0], err)
	}
	if _, err := reserveSeq(tx, day, 0); err != nil { // make sure the row exists
		return err
	}
	return translate(tx.Model(&OpinionCounter{}).Where("day = ? AND seq < ?", day, top).Update("seq", top).Error)
}
