package models

import "gorm.io/gorm"

// reportIndex (step 13) adds the covering indexes of the monthly 履职通报's
// counts (models/records, tally.go), which compare one deputy with every
// deputy of their level: idx_opinion_report (deputy_id, created_at,
// status) makes counting the opinions filed through a county's ~400
// deputies' codes in a period one range scan of the index, and
// idx_rating_report (opinion_id, stage, score) reads their ratings
// without touching the rows. Without them BenchmarkMonthlyReport spent
// most of its time looking up opinion rows one by one. Like figuresIndex,
// neither is declared on a struct (no query but those counts needs them),
// so the schema checks do not look for them. Skipped when done.
func reportIndex(tx *gorm.DB) error {
	return createIndexes(tx, []tableIndex{
		{"opinions", idxOpinionReport, "`deputy_id`,`created_at`,`status`"},
		{"opinion_ratings", idxRatingReport, "`opinion_id`,`stage`,`score`"},
	})
}

const (
	idxOpinionReport = "idx_opinion_report"
	idxRatingReport  = "idx_rating_report"
)
