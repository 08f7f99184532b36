package models

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Before the baseline, the schema was eight AutoMigrate steps. No deployment
// ran them, but developers have databases from `serve --demo` that did
// (data/deputylink.db). Such a database is adopted: if it recorded all eight
// old steps and has every table, column and index the models use, its
// bookkeeping is rewritten to "baseline applied" and it carries on. Anything
// else (a partial old history, or a table or column missing) is refused with
// a message that says to delete it.
var legacySteps = map[int]string{
	1: "core tables",
	2: "notifications outbox and consents",
	3: "reception days and bookings",
	4: "scans and bot",
	5: "opinions",
	6: "staff credentials",
	7: "uploads",
	8: "opinion photo path index",
}

// isLegacyHistory reports whether schema_migrations was written by the old
// steps: step 1 is recorded under its old name.
func isLegacyHistory(done []SchemaMigration) bool {
	for _, r := range done {
		if r.Version == 1 && r.Name == legacySteps[1] {
			return true
		}
	}
	return false
}

const legacyAdvice = "it was made by a deputylink from before the migration baseline and cannot be upgraded in place; " +
	"delete it (SQLite: the database file, by default data/deputylink.db, with its -wal and -shm files; MySQL: drop and recreate the database) " +
	"and start again (serve --demo reloads the demo data)"

// adoptLegacy marks the baseline applied on a database that ran the old
// steps 1..8, after checking that its schema holds everything the models
// use. It runs inside the migration lock (and, on SQLite, its transaction).
func adoptLegacy(db *gorm.DB, done []SchemaMigration) error {
	have := map[int]bool{}
	var unknown []string
	for _, r := range done {
		if name, ok := legacySteps[r.Version]; ok && name == r.Name {
			have[r.Version] = true
		} else {
			unknown = append(unknown, fmt.Sprintf("%d %q", r.Version, r.Name))
		}
	}
	var missing []string
	for v := 1; v <= len(legacySteps); v++ {
		if !have[v] {
			missing = append(missing, fmt.Sprint(v))
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		var what []string
		if len(missing) > 0 {
			what = append(what, fmt.Sprintf("missing old steps %v", missing))
		}
		if len(unknown) > 0 {
			what = append(what, fmt.Sprintf("unknown steps %v", unknown))
		}
		return fmt.Errorf("migrate: database has an old, incomplete migration history (%s): %s",
			strings.Join(what, ", "), legacyAdvice)
	}
	if drift := withoutLaterSteps(schemaDrift(db, schemaModels())); len(drift) > 0 {
		return fmt.Errorf("migrate: database has the old migration history but its schema differs from the baseline (%s): %s",
			strings.Join(drift, "; "), legacyAdvice)
	}
	if err := db.Exec("DELETE FROM schema_migrations").Error; err != nil {
		return fmt.Errorf("migrate: adopt old database: %w", err)
	}
	row := SchemaMigration{Version: 1, Name: migrations[0].Name, AppliedAt: time.Now().UTC()}
	if err := db.Create(&row).Error; err != nil {
		return fmt.Errorf("migrate: adopt old database: %w", err)
	}
	return nil
}

// schemaDrift lists what the given models use and the database lacks: tables,
// columns (named with their struct field) and indexes, including many2many
// join tables. Column types are not compared here; the models tests check
// them by running AutoMigrate on a migrated database and expecting nothing
// to change.
func schemaDrift(db *gorm.DB, models []any) []string {
	var out []string
	mig := db.Migrator()
	for _, m := range models {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(m); err != nil {
			out = append(out, fmt.Sprintf("%T: %v", m, err))
			continue
		}
		sch := stmt.Schema
		if !mig.HasTable(sch.Table) {
			out = append(out, fmt.Sprintf("table %s (%s) missing", sch.Table, sch.Name))
			continue
		}
		for _, name := range sch.DBNames {
			f := sch.FieldsByDBName[name]
			if f.IgnoreMigration {
				continue
			}
			if !mig.HasColumn(m, name) {
				out = append(out, fmt.Sprintf("column %s.%s (%s.%s) missing", sch.Table, name, sch.Name, f.Name))
			}
		}
		for _, idx := range sch.ParseIndexes() {
			if !mig.HasIndex(m, idx.Name) {
				out = append(out, fmt.Sprintf("index %s on %s missing", idx.Name, sch.Table))
			}
		}
		for _, rel := range sch.Relationships.Relations {
			if rel.JoinTable == nil || rel.Field.IgnoreMigration {
				continue
			}
			jt := rel.JoinTable
			if !mig.HasTable(jt.Table) {
				out = append(out, fmt.Sprintf("join table %s (%s.%s) missing", jt.Table, sch.Name, rel.Name))
				continue
			}
			for _, name := range jt.DBNames {
				if !mig.HasColumn(jt.Table, name) {
					out = append(out, fmt.Sprintf("column %s.%s (join table of %s.%s) missing", jt.Table, name, sch.Name, rel.Name))
				}
			}
		}
	}
	return out
}
