package models

import "gorm.io/gorm"

// figuresIndex (step 9) adds idx_opinion_figures, the covering index of
// the dashboard's opinion counts (ComputeFigures): every column those
// GROUP BYs read, led by created_at, so counting a county-year is a range
// scan of the index and never a lookup of the wide rows; and
// idx_booking_figures (date, status, station_id), which covers the count of
// voters received. Neither is declared on a struct (no query but those
// counts needs them), so the schema checks do not look for them. Skipped
// when done.
func figuresIndex(tx *gorm.DB) error {
	return createIndexes(tx, []tableIndex{
		{"opinions", idxOpinionFigures, figuresIndexColumns},
		{"bookings", idxBookingFigures, "`date`,`status`,`station_id`"},
	})
}

// tableIndex is an index a step adds: its table, name and columns (DDL,
// the same on both dialects).
type tableIndex struct{ table, name, cols string }

// createIndexes creates the indexes a table does not have yet, so a step
// interrupted half-way runs again.
func createIndexes(tx *gorm.DB, ixs []tableIndex) error {
	for _, ix := range ixs {
		if tx.Migrator().HasIndex(ix.table, ix.name) {
			continue
		}
		if err := tx.Exec("CREATE INDEX `" + ix.name + "` ON `" + ix.table + "`(" + ix.cols + ")").Error; err != nil {
			return err
		}
	}
	return nil
}

const (
	idxOpinionFigures   = "idx_opinion_figures"
	idxBookingFigures   = "idx_booking_figures"
	figuresIndexColumns = "`created_at`,`station_id`,`status`,`category_id`,`source`,`accepted_at`,`replied_at`," +
		"`accept_start_at`,`reply_start_at`,`accept_due_at`,`reply_due_at`"
)
