package records

import (
	"slices"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The grouped counts behind a deputy's record and the monthly 履职通报:
// what each of many deputies did in a period, in one GROUP BY per table,
// so a report that compares a deputy with the ~400 deputies of a county
// costs a few index scans, not a query per deputy. DeputyRecord's context
// (recordContext) counts one deputy with the same functions, so the record
// and the 通报 cannot count differently.

// tallyChunk bounds the ids of one IN list.
const tallyChunk = 500

// activityTally is a deputy's approved entries of a period.
type activityTally struct {
	ByType map[models.ActivityType]int
	// Voters sums the voters of the approved reception days.
	Voters int
}

// activityTallies counts the approved entries of the deputies ids dated
// from..to (local dates, both included), by type, and the voters received
// on their reception days: DeputyRecord's Counts and VotersReceived. The
// same scan counts the tail of the period, split..to, apart (a month
// within its year to date); split after to leaves the tail empty.
func activityTallies(tx *gorm.DB, ids []uint64, from, split, to string) (whole, tail map[uint64]*activityTally, err error) {
	whole, tail = make(map[uint64]*activityTally, len(ids)), make(map[uint64]*activityTally, len(ids))
	add := func(m map[uint64]*activityTally, id uint64, typ models.ActivityType, n, voters int) {
		if n == 0 {
			return
		}
		t := m[id]
		if t == nil {
			t = &activityTally{ByType: map[models.ActivityType]int{}}
			m[id] = t
		}
		t.ByType[typ] += n
		if typ == models.ActReception {
			t.Voters += voters
		}
	}
	for chunk := range slices.Chunk(ids, tallyChunk) {
		var rows []struct {
			DeputyID     uint64
			Type         models.ActivityType
			N, V         int
			TailN, TailV int
		}
		if err := tx.Model(&models.Activity{}).
			Select("deputy_id, type, COUNT(*) AS n, SUM(voters) AS v, "+
				"SUM(CASE WHEN date >= ? THEN 1 ELSE 0 END) AS tail_n, SUM(CASE WHEN date >= ? THEN voters ELSE 0 END) AS tail_v", split, split).
			Where("deputy_id IN ? AND status = ? AND date >= ? AND date <= ?", chunk, models.ActivityApproved, from, to).
			Group("deputy_id, type").Scan(&rows).Error; err != nil {
			return nil, nil, models.Translate(err)
		}
		for _, r := range rows {
			add(whole, r.DeputyID, r.Type, r.N, r.V)
			add(tail, r.DeputyID, r.Type, r.TailN, r.TailV)
		}
	}
	return whole, tail, nil
}

// opinionTally is what voters filed through a deputy's codes in a period.
type opinionTally struct {
	Opinions int
	ByStatus map[models.OpinionStatus]int
	// Ratings counts the voters' ratings of those items (every round), by
	// stage and score.
	Ratings map[string]map[string]int
}

// good is the ratings of stage that were satisfied or basically so (for
// the result: solved or partly solved).
func (t *opinionTally) good(stage string) int {
	return t.Ratings[stage][models.ScoreSatisfied] + t.Ratings[stage][models.ScoreBasically]
}

// opinionTallies counts the opinions filed through the codes of the
// deputies ids (Opinion.DeputyID) created in [from, to) (UTC instants), by
// status, and their ratings by stage and score; the same scans count the
// tail [split, to) apart (a month within its year to date); split at to
// leaves the tail empty.
func opinionTallies(tx *gorm.DB, ids []uint64, from, split, to time.Time) (whole, tail map[uint64]*opinionTally, err error) {
	whole, tail = make(map[uint64]*opinionTally, len(ids)), make(map[uint64]*opinionTally, len(ids))
	of := func(m map[uint64]*opinionTally, id uint64) *opinionTally {
		t := m[id]
		if t == nil {
			t = &opinionTally{ByStatus: map[models.OpinionStatus]int{},
				Ratings: map[string]map[string]int{models.StageReply: {}, models.StageResult: {}}}
			m[id] = t
		}
		return t
	}
	for chunk := range slices.Chunk(ids, tallyChunk) {
		var byStatus []struct {
			DeputyID uint64
			Status   models.OpinionStatus
			N, TailN int
		}
		// idx_opinion_report (migrate_report.go) covers it.
		if err := tx.Model(&models.Opinion{}).
			Select("deputy_id, status, COUNT(*) AS n, SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END) AS tail_n", split).
			Where("deputy_id IN ? AND created_at >= ? AND created_at < ?", chunk, from, to).
			Group("deputy_id, status").Scan(&byStatus).Error; err != nil {
			return nil, nil, models.Translate(err)
		}
		for _, s := range byStatus {
			addSplit(whole, tail, s.N, s.TailN, func(m map[uint64]*opinionTally, n int) {
				t := of(m, s.DeputyID)
				t.ByStatus[s.Status] += n
				t.Opinions += n
			})
		}
		var ratings []struct {
			DeputyID     uint64
			Stage, Score string
			N, TailN     int
		}
		if err := tx.Table("opinion_ratings AS r").
			Select("o.deputy_id AS deputy_id, r.stage AS stage, r.score AS score, COUNT(*) AS n, "+
				"SUM(CASE WHEN o.created_at >= ? THEN 1 ELSE 0 END) AS tail_n", split).
			Joins("JOIN opinions o ON o.id = r.opinion_id").
			Where("o.deputy_id IN ? AND o.created_at >= ? AND o.created_at < ?", chunk, from, to).
			Group("o.deputy_id, r.stage, r.score").Scan(&ratings).Error; err != nil {
			return nil, nil, models.Translate(err)
		}
		for _, r := range ratings {
			addSplit(whole, tail, r.N, r.TailN, func(m map[uint64]*opinionTally, n int) {
				if st, ok := of(m, r.DeputyID).Ratings[r.Stage]; ok {
					st[r.Score] += n
				}
			})
		}
	}
	return whole, tail, nil
}

// addSplit adds a group's count to the whole period's tallies and its tail's
// count to the tail's, each only when there is one.
func addSplit[T any](whole, tail map[uint64]*T, n, tailN int, add func(m map[uint64]*T, n int)) {
	if n > 0 {
		add(whole, n)
	}
	if tailN > 0 {
		add(tail, tailN)
	}
}
