package models

import (
	"context"
	"slices"

	"gorm.io/gorm"
)

// Migration is a numbered step, for tests that add test-only later steps.
type Migration = migration

// Migrations returns the real history.
func Migrations() []Migration { return slices.Clone(migrations) }

// MigrateSteps runs Migrate with the given history instead of the real one.
func MigrateSteps(ctx context.Context, db *gorm.DB, steps []Migration) (int, error) {
	return migrate(ctx, db, steps)
}

// SchemaModels lists every model that has a table.
func SchemaModels() []any { return schemaModels() }

// MigrationSteps is how many steps the history has (versions may leave
// gaps where a branch's step was numbered ahead of a merge).
func MigrationSteps() int { return len(migrations) }

// SchemaDrift lists what the models use and db lacks.
func SchemaDrift(db *gorm.DB, models []any) []string { return schemaDrift(db, models) }

// MigrationFileNames lists the embedded step files.
func MigrationFileNames() ([]string, error) {
	ents, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// ReadMigrationFile returns the statements of one embedded step file.
func ReadMigrationFile(name string) ([]string, error) {
	b, err := migrationFiles.ReadFile("migrations/" + name)
	if err != nil {
		return nil, err
	}
	return splitSQL(string(b)), nil
}

// LegacyStepNames are the names the pre-baseline steps 1..8 were recorded under.
func LegacyStepNames() map[int]string { return legacySteps }

// HookPasswordCompare calls seen with the hash of every bcrypt check of a
// typed password (the real one or the dummy) until restore is called.
func HookPasswordCompare(seen func(hash []byte)) (restore func()) {
	old := comparePassword
	comparePassword = func(hash, password []byte) error {
		seen(hash)
		return old(hash, password)
	}
	return func() { comparePassword = old }
}

// FilingStaff is what a filing at station in category reads in one
// statement: the handler and the staff to notify, and how they were found.
func FilingStaff(ctx context.Context, db *gorm.DB, stationID, categoryID uint64) (uint64, []StaffRecipient, string, error) {
	s, err := loadFilingStaff(ctx, db, stationID, categoryID)
	return s.Handler, s.Recipients, s.Via, err
}

// StationRecipients is who hears of a new item op (stationRecipients).
func StationRecipients(db *gorm.DB, op Opinion) ([]StaffRecipient, string, error) {
	return stationRecipients(db, op)
}
