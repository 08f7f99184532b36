package models

// The helpers every models file shares: running a transaction (retried
// when it lost a lock race), locking rows, turning gorm and driver errors
// into the project's own, paging and time zones.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RunTx runs fn in a transaction, or in a savepoint when db is already a
// transaction. A transaction it owns and that lost a lock race (MySQL
// deadlock or lock wait timeout, a busy SQLite file) rolled back entirely,
// so it runs again, a few times, after a short random pause; fn must
// therefore be safe to run again. Callers that wrap a booking function and
// its outbox Enqueue in one transaction should open it with RunTx, since a
// savepoint cannot be retried on its own.
func RunTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return runTxOpts(ctx, db, nil, fn)
}

// runTxOpts is RunTx with options for a transaction it begins.
func runTxOpts(ctx context.Context, db *gorm.DB, opts *sql.TxOptions, fn func(tx *gorm.DB) error) error {
	db = db.WithContext(ctx)
	_, nested := db.Statement.ConnPool.(gorm.TxCommitter)
	var o []*sql.TxOptions
	if opts != nil && !nested {
		o = append(o, opts)
	}
	for attempt := 1; ; attempt++ {
		err := db.Transaction(fn, o...)
		if err == nil || nested || attempt == 5 || !isRetryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt)*5*time.Millisecond + time.Duration(mrand.IntN(5000))*time.Microsecond)
	}
}

// isRetryable reports whether a transaction lost a lock race and rolled
// back entirely.
func isRetryable(err error) bool {
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	s := err.Error()
	return strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}

// readCommitted asks MySQL for a READ COMMITTED transaction; SQLite's
// transactions are serializable and take no options.
func readCommitted(db *gorm.DB) *sql.TxOptions {
	if DialectOf(db) == MySQL {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

// lockingUpdate is SELECT … FOR UPDATE on MySQL; SQLite needs nothing, as
// every transaction there holds the single write lock from its start.
func lockingUpdate(db *gorm.DB) *gorm.DB {
	if DialectOf(db) == MySQL {
		return db.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return db
}

// lockFind reads the first row matching query into dest with lockingUpdate;
// found is false when there is none (dest is then left as it was).
func lockFind(tx *gorm.DB, dest any, query any, args ...any) (found bool, err error) {
	res := lockingUpdate(tx).Where(query, args...).Limit(1).Find(dest)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected > 0, nil
}

// lockOpinion loads an item for update (FOR UPDATE on MySQL).
func lockOpinion(tx *gorm.DB, id uint64) (Opinion, error) {
	var op Opinion
	if err := lockingUpdate(tx).First(&op, id).Error; err != nil {
		return Opinion{}, notFoundAs(err, ErrOpinionNotFound)
	}
	return op, nil
}

// translate turns gorm and driver errors into the project's own errors.
// Call it on every error that leaves a models function.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.Is(err, gorm.ErrDuplicatedKey), isDuplicate(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return err
}

// isDuplicate catches unique violations that TranslateError may miss
// (for instance inside raw SQL).
func isDuplicate(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Duplicate entry") || strings.Contains(s, "UNIQUE constraint failed")
}

// notFoundAs maps a missing row to the given coded error.
func notFoundAs(err, coded error) error {
	err = translate(err)
	if errors.Is(err, ErrNotFound) {
		return coded
	}
	return err
}

// orNotFound turns a nil error into gorm's not-found, for a query whose
// other condition (not the error) already said there is no row.
func orNotFound(err error) error {
	if err == nil {
		return gorm.ErrRecordNotFound
	}
	return err
}

// pageLimit is a page size: 20 by default, at most 100.
func pageLimit(n int) int {
	if n <= 0 {
		return 20
	}
	return min(n, 100)
}

// orLoc defaults a nil location to China Standard Time (no DST).
func orLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return chinaTime
	}
	return loc
}

var chinaTime = time.FixedZone("CST", 8*3600)

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// localPtr is t in loc, nil stays nil.
func localPtr(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

// inLoc is t in loc, or in UTC when loc is nil.
func inLoc(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		return t.UTC()
	}
	return t.In(loc)
}
