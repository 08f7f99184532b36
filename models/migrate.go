package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered schema step. Steps only ever get appended.
type migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

// migrations is the ordered history of the schema. AutoMigrate is additive
// and idempotent, so a step that adds columns to a model re-runs it.
var migrations = []migration{
	{1, "core tables", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Station{}, &Community{}, &Deputy{}, &Code{}, &Staff{},
			&Voter{}, &Category{}, &Department{}, &AuditLog{})
	}},
	{2, "notifications outbox and consents", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Notification{}, &SubscribeConsent{})
	}},
	{3, "reception days and bookings", func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&Holiday{}, &ReceptionRule{}, &ReceptionDay{}, &Slot{}, &RosterEntry{},
			&Booking{}, &WalkIn{}, &ReceptionRecord{}); err != nil {
			return err
		}
		_, err := EnsureHolidays(tx.Statement.Context, tx)
		return err
	}},
	{4, "scans and bot", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&ScanEvent{})
	}},
	{5, "opinions", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Opinion{}, &OpinionCounter{}, &OpinionPhoto{}, &OpinionNote{},
			&OpinionTimelineEntry{}, &OpinionDepartment{}, &OpinionRating{}, &StationContact{})
	}},
	{6, "staff credentials", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&StaffCredential{})
	}},
	{7, "uploads", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Upload{})
	}},
	{8, "opinion photo path index", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&OpinionPhoto{})
	}},
}

// SchemaMigration records an applied migration.
type SchemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:100;not null"`
	AppliedAt time.Time `gorm:"not null"`
}

// SchemaVersion is the version the code expects.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// Migrate brings the schema up to date. It is safe to run again and from
// several processes at once: on MySQL a named lock serialises them, and on
// SQLite the database's own write lock does.
func Migrate(ctx context.Context, db *gorm.DB) (applied int, err error) {
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
		var got int
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK('deputylink_migrate', 120)").Scan(&got); err != nil || got != 1 {
			return 0, fmt.Errorf("migrate: could not take the migration lock (%v)", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('deputylink_migrate')") //nolint:errcheck
	}
	if DialectOf(db) == SQLite {
		// SQLite DDL is transactional, and _txlock=immediate makes this
		// transaction take the write lock first, so a second process waits.
		err = db.Transaction(func(tx *gorm.DB) error {
			applied, err = migrateSteps(tx)
			return err
		})
		return applied, err
	}
	return migrateSteps(db)
}

func migrateSteps(db *gorm.DB) (applied int, err error) {
	if err := db.AutoMigrate(&SchemaMigration{}); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	var done []int
	if err := db.Model(&SchemaMigration{}).Pluck("version", &done).Error; err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	have := map[int]bool{}
	for _, v := range done {
		have[v] = true
	}
	for _, m := range migrations {
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
