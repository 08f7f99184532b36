package models

import (
	"strings"

	"gorm.io/gorm"
)

// bookingIdempotencyKey (step 2) adds bookings.idempotency_key, unique per
// voter, so that a retried booking whose answer was lost finds the booking
// its first request made (BookSlotKeyed). Each statement is skipped when it
// is already done: on MySQL each commits on its own, so a run may have
// stopped half way (and MySQL has no ADD COLUMN IF NOT EXISTS).
func bookingIdempotencyKey(tx *gorm.DB) error {
	mig := tx.Migrator()
	if !mig.HasColumn("bookings", "idempotency_key") {
		col := "ALTER TABLE `bookings` ADD COLUMN `idempotency_key` text"
		if DialectOf(tx) == MySQL {
			col = "ALTER TABLE `bookings` ADD COLUMN `idempotency_key` varchar(64) DEFAULT NULL"
		}
		if err := tx.Exec(col).Error; err != nil {
			return err
		}
	}
	if !mig.HasIndex("bookings", "idx_booking_idem") {
		return tx.Exec("CREATE UNIQUE INDEX `idx_booking_idem` ON `bookings`(`voter_id`,`idempotency_key`)").Error
	}
	return nil
}

// addedAfterBaseline are the schemaDrift entries of what the steps after
// the baseline add: a database from before the baseline lacks them, and
// gets them from those steps once adopted.
var addedAfterBaseline = []string{
	"column bookings.idempotency_key ",
	"index idx_booking_idem on bookings ",
	// Step 4 (migrate_0004.go).
	"column roster_entries.at_desk ", "column roster_entries.signed_in_at ",
	"column roster_entries.signed_in_by ", "column roster_entries.sign_in_via ",
	"column deputies.oa_openid ", "index idx_deputies_oa_open_id on deputies ",
	"table reception_guests ",
}

// withoutLaterSteps drops from drift what a later step will add.
func withoutLaterSteps(drift []string) []string {
	var out []string
next:
	for _, d := range drift {
		for _, p := range addedAfterBaseline {
			if strings.HasPrefix(d+" ", p) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}
