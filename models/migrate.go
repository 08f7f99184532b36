package models

// Migrations are history, not a description of today's structs.
//
// Step 1 is the baseline: the whole schema as frozen DDL for each dialect
// (migrations/0001_baseline.{sqlite,mysql}.sql). Every later schema change
// is a new numbered step appended to the migrations list below; a step that
// is in a released binary is never edited, renumbered or renamed.
//
// To add one, say version 2:
//   - change the gorm struct;
//   - write the DDL for both dialects, e.g. migrations/0002_opinion_tags.sqlite.sql
//     and migrations/0002_opinion_tags.mysql.sql (ALTER TABLE ... ADD COLUMN,
//     CREATE INDEX ...; utf8mb4/InnoDB for new MySQL tables), or a Go
//     function for a data fix; do not call AutoMigrate, whose result follows
//     the structs and so would change what the step means; a data step
//     names its columns (see seedHolidaysV1) rather than writing through a
//     struct that may gain fields later;
//   - append {2, "opinion tags", sqlFile("0002_opinion_tags")} below;
//   - run go test ./models/ on SQLite and on MariaDB (DEPUTYLINK_TEST_MYSQL):
//     TestSchemaMatchesModels names any struct field the steps do not create.
//
// On MySQL each DDL statement commits on its own, so a step there must be
// safe to run again after it stopped half way (IF NOT EXISTS, or a check
// first); on SQLite the whole run is one transaction.

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered schema step. Steps only ever get appended.
type migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

// migrations is the ordered history of the schema.
var migrations = []migration{
	{1, "baseline", baseline},
	{2, "booking idempotency key", bookingIdempotencyKey},
	{3, "offline opinions and phone call-backs", offlineOpinions},
	{4, "reception desk", receptionDesk},
	{5, "township role", townshipRole},
	{6, "deputy profile", deputyProfile},
	{7, "department contacts and replies", departmentContacts},
	{8, "deputies' records", deputyRecords},
	{9, "figures index", figuresIndex},
	{10, "reviews", reviewTables},
	{11, "broadcasts", broadcastTables},
	{12, "public results and voter community", publicResultsStep},
	{13, "report index", reportIndex},
	{14, "scan counts per day", scanDays},
}

// execDDL runs a step's frozen statements for the dialect, in order.
func execDDL(tx *gorm.DB, sqlite, mysql []string) error {
	stmts := sqlite
	if DialectOf(tx) == MySQL {
		stmts = mysql
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}

// SchemaMigration records an applied migration.
type SchemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:100;not null"`
	AppliedAt time.Time `gorm:"not null"`
}

// The bookkeeping table, frozen like the baseline (it is what AutoMigrate
// made of SchemaMigration), created before any step runs.
const (
	schemaMigrationsSQLite = "CREATE TABLE IF NOT EXISTS `schema_migrations` (`version` integer,`name` text NOT NULL,`applied_at` datetime NOT NULL,PRIMARY KEY (`version`))"
	schemaMigrationsMySQL  = "CREATE TABLE IF NOT EXISTS `schema_migrations` (\n" +
		"  `version` bigint(20) NOT NULL,\n" +
		"  `name` varchar(100) NOT NULL,\n" +
		"  `applied_at` datetime(3) NOT NULL,\n" +
		"  PRIMARY KEY (`version`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
)

// SchemaVersion is the version the code expects.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// Migrate brings the schema up to date. It is safe to run again and from
// several processes at once: on MySQL a named lock serialises them, and on
// SQLite the database's own write lock does.
func Migrate(ctx context.Context, db *gorm.DB) (applied int, err error) {
	return migrate(ctx, db, migrations)
}

// migrateLockName is the SQL expression of the migration lock's name: one
// per database, within GET_LOCK's 64 characters.
const migrateLockName = "CONCAT('deputylink_migrate:', SHA1(DATABASE()))"

func migrate(ctx context.Context, db *gorm.DB, steps []migration) (applied int, err error) {
	db = db.WithContext(ctx)
	if DialectOf(db) == MySQL {
		// GET_LOCK is per connection, so pin one connection for the whole run.
		conn, err := db.DB()
		if err != nil {
			return 0, err
		}
		c, err := conn.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		// The lock is named after the database: GET_LOCK names are
		// server-wide, and deployments (or test runs) that share a server
		// but not a database need not wait for each other.
		var got int
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK("+migrateLockName+", 120)").Scan(&got); err != nil || got != 1 {
			return 0, fmt.Errorf("migrate: could not take the migration lock (%v)", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK("+migrateLockName+")") //nolint:errcheck
	}
	if DialectOf(db) == SQLite {
		// SQLite DDL is transactional, and _txlock=immediate makes this
		// transaction take the write lock first, so a second process waits.
		err = db.Transaction(func(tx *gorm.DB) error {
			applied, err = migrateSteps(tx, steps)
			return err
		})
		return applied, err
	}
	return migrateSteps(db, steps)
}

func migrateSteps(db *gorm.DB, steps []migration) (applied int, err error) {
	ddl := schemaMigrationsSQLite
	if DialectOf(db) == MySQL {
		ddl = schemaMigrationsMySQL
	}
	if err := db.Exec(ddl).Error; err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	var done []SchemaMigration
	if err := db.Order("version").Find(&done).Error; err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if isLegacyHistory(done) {
		if err := adoptLegacy(db, done); err != nil {
			return 0, err
		}
		if err := db.Order("version").Find(&done).Error; err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
	}
	if err := checkHistory(done, steps); err != nil {
		return 0, err
	}
	have := map[int]bool{}
	for _, r := range done {
		have[r.Version] = true
	}
	for _, m := range steps {
		if have[m.Version] {
			continue
		}
		// MySQL commits DDL implicitly, so the step itself is not atomic there;
		// every step is written to be re-runnable, and the version row is
		// written only after the step succeeded.
		if err := m.Up(db); err != nil {
			return applied, fmt.Errorf("migrate %d (%s): %w", m.Version, m.Name, err)
		}
		row := SchemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}
		if err := translate(db.Create(&row).Error); err != nil {
			return applied, fmt.Errorf("migrate %d: record: %w", m.Version, err)
		}
		applied++
	}
	return applied, nil
}

// checkHistory refuses a database whose recorded steps are not this
// binary's: a step renamed or renumbered, so the history differs. Versions above the last known step are a newer binary's work and are left
// alone, so an older process can still start during a rolling deploy.
func checkHistory(done []SchemaMigration, steps []migration) error {
	if len(steps) == 0 {
		return nil
	}
	known := make(map[int]string, len(steps))
	for _, m := range steps {
		known[m.Version] = m.Name
	}
	last := steps[len(steps)-1].Version
	var bad []string
	for _, r := range done {
		if r.Version > last {
			continue
		}
		if name, ok := known[r.Version]; !ok || name != r.Name {
			bad = append(bad, fmt.Sprintf("%d %q", r.Version, r.Name))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("migrate: schema_migrations records steps this binary does not have (%v); the database was migrated by a different history", bad)
	}
	return nil
}
