package models_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openEmpty opens a fresh database that nothing has migrated yet.
func openEmpty(t *testing.T) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), modelstest.URL(t), models.OpenOptions{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}

// testOnlySteps are later steps that exist only here, to prove a database
// at the baseline and a fresh one end up alike: one changes a baseline
// table (a column and an index), one adds a table.
func testOnlySteps() []models.Migration {
	steps := models.Migrations()
	next := models.SchemaVersion() + 1
	return append(steps,
		models.Migration{Version: next, Name: "test: station note", Up: func(tx *gorm.DB) error {
			col := "ALTER TABLE `stations` ADD COLUMN `test_note` text NOT NULL DEFAULT ''"
			if models.DialectOf(tx) == models.MySQL {
				col = "ALTER TABLE `stations` ADD COLUMN `test_note` varchar(50) NOT NULL DEFAULT ''"
			}
			if err := tx.Exec(col).Error; err != nil {
				return err
			}
			return tx.Exec("CREATE INDEX `idx_stations_test_note` ON `stations`(`test_note`)").Error
		}},
		models.Migration{Version: next + 1, Name: "test: tags", Up: func(tx *gorm.DB) error {
			ddl := "CREATE TABLE `test_tags` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL)"
			if models.DialectOf(tx) == models.MySQL {
				ddl = "CREATE TABLE IF NOT EXISTS `test_tags` (`id` bigint unsigned NOT NULL AUTO_INCREMENT, `name` varchar(50) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
			}
			return tx.Exec(ddl).Error
		}},
	)
}

func history(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var rows []models.SchemaMigration
	if err := db.Order("version").Find(&rows).Error; err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%d %s", r.Version, r.Name))
	}
	return out
}

func holidayCount(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Table("holidays").Count(&n).Error; err != nil {
		t.Fatalf("count holidays: %v", err)
	}
	return n
}

// Ensure a database left at the baseline, migrated later, has the same
// schema, history and seeded holidays as a fresh database migrated in one
// go: with the real history, and with test-only later steps.
func TestBaselineThenLaterStepsMatchesFresh(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		steps []models.Migration
	}{
		{"real history", models.Migrations()},
		{"with test-only steps", testOnlySteps()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := openEmpty(t)
			n, err := models.MigrateSteps(ctx, old, tc.steps[:1])
			if err != nil || n != 1 {
				t.Fatalf("baseline only: applied %d, %v", n, err)
			}
			atBaseline := modelstest.Schema(t, old)
			n, err = models.MigrateSteps(ctx, old, tc.steps)
			if err != nil || n != len(tc.steps)-1 {
				t.Fatalf("baseline to latest: applied %d, %v; want %d", n, err, len(tc.steps)-1)
			}

			fresh := openEmpty(t)
			n, err = models.MigrateSteps(ctx, fresh, tc.steps)
			if err != nil || n != len(tc.steps) {
				t.Fatalf("fresh: applied %d, %v; want %d", n, err, len(tc.steps))
			}

			if d := modelstest.SchemaDiff(modelstest.Schema(t, fresh), modelstest.Schema(t, old)); d != "" {
				t.Errorf("baseline then later steps differs from fresh (- fresh, + stepwise):\n%s", d)
			}
			if h, f := history(t, old), history(t, fresh); !slices.Equal(h, f) {
				t.Errorf("history stepwise %v, fresh %v", h, f)
			}
			if h, f := holidayCount(t, old), holidayCount(t, fresh); h != f || h == 0 {
				t.Errorf("holidays stepwise %d, fresh %d (want equal, > 0)", h, f)
			}
			if tc.name == "with test-only steps" {
				// The later steps did change something, so the comparison
				// above compared two migrated schemas, not two baselines.
				if modelstest.SchemaDiff(atBaseline, modelstest.Schema(t, old)) == "" {
					t.Errorf("later steps changed nothing")
				}
				if !old.Migrator().HasColumn("stations", "test_note") || !old.Migrator().HasTable("test_tags") {
					t.Errorf("test-only steps did not run")
				}
			}
		})
	}
}

// Ensure a baseline that stopped after its DDL (MySQL commits each
// statement, so the tables stay) runs again to completion.
func TestBaselineRerunsAfterInterruption(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	base := models.Migrations()[0]
	crashing := base
	crashing.Up = func(tx *gorm.DB) error {
		if err := base.Up(tx); err != nil {
			return err
		}
		return errors.New("process died")
	}
	if _, err := models.MigrateSteps(ctx, db, []models.Migration{crashing}); err == nil {
		t.Fatal("crashing step reported success")
	}
	if n, err := models.Migrate(ctx, db); err != nil || n != models.MigrationSteps() {
		t.Fatalf("migrate after interruption: applied %d, %v; want %d", n, err, models.MigrationSteps())
	}
	if holidayCount(t, db) == 0 {
		t.Error("no holidays after the rerun")
	}
	for _, p := range schemaMismatch(t, db, models.SchemaModels()) {
		t.Error(p)
	}
}

// ddlLog records the schema statements gorm runs.
type ddlLog struct {
	logger.Interface
	stmts []string
}

var ddlStatement = regexp.MustCompile(`(?i)^\s*(CREATE|ALTER|DROP|RENAME)\s`)

func (l *ddlLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), err error) {
	if sql, _ := fc(); err == nil && ddlStatement.MatchString(sql) {
		l.stmts = append(l.stmts, sql)
	}
}

// schemaMismatch lists how the migrated schema falls short of what the
// models expect: missing tables, columns and indexes by name, then whatever
// AutoMigrate would still change (a column type, size or default), by
// letting it run on db and reading the schema back.
func schemaMismatch(t *testing.T, db *gorm.DB, ms []any) []string {
	t.Helper()
	var out []string
	for _, d := range models.SchemaDrift(db, ms) {
		out = append(out, "schema lacks "+d)
	}
	before := modelstest.Schema(t, db)
	log := &ddlLog{Interface: logger.Discard}
	if err := db.Session(&gorm.Session{Logger: log}).AutoMigrate(ms...); err != nil {
		return append(out, fmt.Sprintf("AutoMigrate: %v", err))
	}
	if d := modelstest.SchemaDiff(before, modelstest.Schema(t, db)); d != "" {
		out = append(out, "AutoMigrate changed the migrated schema (- migrated, + what the structs want):\n"+d)
		for _, s := range log.stmts {
			out = append(out, "AutoMigrate ran: "+s)
		}
	}
	return out
}

// Ensure the migrations create everything the gorm structs use, with the
// types the structs declare: a field added without a migration step fails
// here, naming the column.
func TestSchemaMatchesModels(t *testing.T) {
	db := modelstest.NewDB(t)
	for _, p := range schemaMismatch(t, db, models.SchemaModels()) {
		t.Error(p)
	}
}

// stationWithExtra is Station plus a field no migration created.
type stationWithExtra struct {
	models.Station
	Extra string `gorm:"size:20;not null;default:''"`
}

func (stationWithExtra) TableName() string { return "stations" }

// uploadWidthText is Upload with Width changed from a number to text.
type uploadWidthText struct {
	ID          uint64 `gorm:"primaryKey"`
	VoterID     uint64 `gorm:"not null;index"`
	Path        string `gorm:"size:255;not null;uniqueIndex"`
	SHA256      string `gorm:"column:sha256;size:64;not null;index"`
	ContentType string `gorm:"size:32;not null"`
	Size        int64  `gorm:"not null"`
	Width       string `gorm:"size:20;not null"`
	Height      int    `gorm:"not null"`
	CreatedAt   time.Time
}

func (uploadWidthText) TableName() string { return "uploads" }

// Ensure the check behind TestSchemaMatchesModels catches a new field and a
// changed type, and names the column.
func TestSchemaMismatchNamesTheColumn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model any
		want  []string
	}{
		{"field without a migration", &stationWithExtra{}, []string{"column stations.extra (stationWithExtra.Extra) missing", "`extra`"}},
		{"type changed without a migration", &uploadWidthText{}, []string{"`width`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := modelstest.NewDB(t)
			got := strings.Join(schemaMismatch(t, db, []any{tc.model}), "\n")
			t.Logf("report:\n%s", got)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("mismatch report lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// legacyDB builds a database the way the pre-baseline code did: AutoMigrate
// on the structs, holidays seeded, and the old steps recorded.
func legacyDB(t *testing.T, versions ...int) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db := openEmpty(t)
	if err := db.AutoMigrate(models.SchemaModels()...); err != nil {
		t.Fatalf("automigrate: %v", err)
	}
	if _, err := models.EnsureHolidays(ctx, db); err != nil {
		t.Fatalf("holidays: %v", err)
	}
	names := models.LegacyStepNames()
	for _, v := range versions {
		row := models.SchemaMigration{Version: v, Name: names[v], AppliedAt: time.Now().UTC()}
		if err := db.Create(&row).Error; err != nil {
			t.Fatalf("record old step %d: %v", v, err)
		}
	}
	return db
}

var allLegacySteps = []int{1, 2, 3, 4, 5, 6, 7, 8}

// Ensure a developer's database from before the baseline (serve --demo ran
// the old steps 1..8) is adopted: its data stays, its history becomes the
// baseline, and its schema is what the models expect.
func TestLegacyDevDatabaseIsAdopted(t *testing.T) {
	ctx := context.Background()
	db := legacyDB(t, allLegacySteps...)
	if err := db.Create(&models.Department{Name: "县水利局", Contact: "王工", Phone: "0571-1"}).Error; err != nil {
		t.Fatal(err)
	}
	// The old structs had no booking idempotency key (step 2 adds it).
	drop := "DROP INDEX `idx_booking_idem`"
	if models.DialectOf(db) == models.MySQL {
		drop += " ON `bookings`"
	}
	if err := db.Exec(drop).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("ALTER TABLE `bookings` DROP COLUMN `idempotency_key`").Error; err != nil {
		t.Fatal(err)
	}
	n, err := models.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("migrate old database: %v", err)
	}
	if n != models.MigrationSteps()-1 {
		t.Errorf("applied %d steps on an adopted database, want %d (the baseline is marked, not run)", n, models.MigrationSteps()-1)
	}
	if h := history(t, db); len(h) != models.MigrationSteps() || h[0] != "1 baseline" {
		t.Errorf("history after adoption = %v, want the baseline and the later steps", h)
	}
	var dept models.Department
	if err := db.Where("name = ?", "县水利局").First(&dept).Error; err != nil {
		t.Errorf("data lost in adoption: %v", err)
	}
	if n, err := models.Migrate(ctx, db); err != nil || n != 0 {
		t.Errorf("second migrate: applied %d, %v", n, err)
	}
	for _, p := range schemaMismatch(t, db, models.SchemaModels()) {
		t.Error(p)
	}
}

// Ensure an old database that is not at the old step 8, or lacks a column,
// is refused with a message that says what to do, and is left as it was.
func TestLegacyDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) *gorm.DB
		want  string
	}{
		{"partial old history", func(t *testing.T) *gorm.DB { return legacyDB(t, 1, 2, 3, 4, 5) }, "missing old steps [6 7 8]"},
		{"column missing", func(t *testing.T) *gorm.DB {
			db := legacyDB(t, allLegacySteps...)
			if err := db.Migrator().DropColumn(&models.Upload{}, "height"); err != nil {
				t.Fatal(err)
			}
			return db
		}, "column uploads.height (Upload.Height) missing"},
		{"table missing", func(t *testing.T) *gorm.DB {
			db := legacyDB(t, allLegacySteps...)
			if err := db.Migrator().DropTable("opinion_ratings"); err != nil {
				t.Fatal(err)
			}
			return db
		}, "table opinion_ratings (OpinionRating) missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.setup(t)
			before := history(t, db)
			_, err := models.Migrate(ctx, db)
			if err == nil {
				t.Fatal("migrate accepted the old database")
			}
			for _, w := range []string{tc.want, "delete it", "data/deputylink.db"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if h := history(t, db); !slices.Equal(h, before) {
				t.Errorf("history changed by a refused migrate: %v, was %v", h, before)
			}
		})
	}
}

// Ensure a recorded step whose name differs from this binary's (renamed or
// renumbered history) stops the migration instead of being skipped.
func TestMigrateRefusesDifferentHistory(t *testing.T) {
	db := modelstest.NewDB(t)
	if err := db.Model(&models.SchemaMigration{}).Where("version = 1").Update("name", "something else").Error; err != nil {
		t.Fatal(err)
	}
	_, err := models.Migrate(context.Background(), db)
	if err == nil || !strings.Contains(err.Error(), `1 "something else"`) {
		t.Fatalf("migrate = %v, want a refusal naming step 1", err)
	}
}

// Ensure a database a newer binary migrated further still starts (rolling
// deploys): unknown steps above the last known one are left alone.
func TestMigrateToleratesNewerSteps(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	if _, err := models.MigrateSteps(ctx, db, testOnlySteps()); err != nil {
		t.Fatal(err)
	}
	if n, err := models.Migrate(ctx, db); err != nil || n != 0 {
		t.Fatalf("older binary on a newer database: applied %d, %v", n, err)
	}
}

var (
	stepFile  = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(sqlite|mysql)\.sql$`)
	createTbl = regexp.MustCompile("(?m)^CREATE TABLE (?:IF NOT EXISTS )?`(\\w+)`")
	sqliteIdx = regexp.MustCompile("CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?`(\\w+)` ON `(\\w+)`")
	mysqlIdx  = regexp.MustCompile("(?m)^\\s*(?:UNIQUE )?KEY `(\\w+)`")
)

// Ensure every step file has its twin in the other dialect, and the two
// baseline files create the same tables and indexes.
func TestMigrationFilesPairUp(t *testing.T) {
	names, err := models.MigrationFileNames()
	if err != nil {
		t.Fatal(err)
	}
	byStep := map[string][]string{}
	for _, n := range names {
		m := stepFile.FindStringSubmatch(n)
		if m == nil {
			t.Errorf("migrations/%s: want NNNN_name.sqlite.sql or NNNN_name.mysql.sql", n)
			continue
		}
		byStep[m[1]+"_"+m[2]] = append(byStep[m[1]+"_"+m[2]], m[3])
	}
	for step, dialects := range byStep {
		if len(dialects) != 2 {
			t.Errorf("migration %s has only %v", step, dialects)
		}
	}

	objects := func(file string, idx *regexp.Regexp, withTable bool) []string {
		stmts, err := models.ReadMigrationFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range stmts {
			table := ""
			if m := createTbl.FindStringSubmatch(s); m != nil {
				table = m[1]
				out = append(out, "table "+table)
			}
			for _, m := range idx.FindAllStringSubmatch(s, -1) {
				if withTable {
					table = m[2]
				}
				out = append(out, "index "+m[1]+" on "+table)
			}
		}
		sort.Strings(out)
		return out
	}
	lite := objects("0001_baseline.sqlite.sql", sqliteIdx, true)
	my := objects("0001_baseline.mysql.sql", mysqlIdx, false)
	if !slices.Equal(lite, my) || len(lite) == 0 {
		t.Errorf("baseline files differ:\nsqlite %v\nmysql  %v", lite, my)
	}
}
