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
// on their reception days: DeputyRecord's Counts and VotersReceived.
func activityTallies(tx *gorm.DB, ids []uint64, from, to string) (map[uint64]*activityTally, error) {
	out := make(map[uint64]*activityTally, len(ids))
	for chunk := range slices.Chunk(ids, tallyChunk) {
		var rows []struct {
			DeputyID uint64
			Type     models.ActivityType
			N, V     int
		}
		if err := tx.Model(&models.Activity{}).Select("deputy_id, type, COUNT(*) AS n, SUM(voters) AS v").
			Where("deputy_id IN ? AND status = ? AND date >= ? AND date <= ?", chunk, models.ActivityApproved, from, to).
			Group("deputy_id, type").Scan(&rows).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, r := range rows {
			t := out[r.DeputyID]
			if t == nil {
				t = &activityTally{ByType: map[models.ActivityType]int{}}
				out[r.DeputyID] = t
			}
			t.ByType[r.Type] += r.N
			if r.Type == models.ActReception {
				t.Voters += r.V
			}
		}
	}
	return out, nil
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
// status, and their ratings by stage and score.
func opinionTallies(tx *gorm.DB, ids []uint64, from, to time.Time) (map[uint64]*opinionTally, error) {
	out := make(map[uint64]*opinionTally, len(ids))
	of := func(id uint64) *opinionTally {
		t := out[id]
		if t == nil {
			t = &opinionTally{ByStatus: map[models.OpinionStatus]int{},
				Ratings: map[string]map[string]int{models.StageReply: {}, models.StageResult: {}}}
			out[id] = t
		}
		return t
	}
	for chunk := range slices.Chunk(ids, tallyChunk) {
		var byStatus []struct {
			DeputyID uint64
			Status   models.OpinionStatus
			N        int
		}
		if err := tx.Model(&models.Opinion{}).Select("deputy_id, status, COUNT(*) AS n").
			Where("deputy_id IN ? AND created_at >= ? AND created_at < ?", chunk, from, to).
			Group("deputy_id, status").Scan(&byStatus).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, s := range byStatus {
			t := of(s.DeputyID)
			t.ByStatus[s.Status] += s.N
			t.Opinions += s.N
		}
		var ratings []struct {
			DeputyID     uint64
			Stage, Score string
			N            int
		}
		if err := tx.Table("opinion_ratings AS r").
			Select("o.deputy_id AS deputy_id, r.stage AS stage, r.score AS score, COUNT(*) AS n").
			Joins("JOIN opinions o ON o.id = r.opinion_id").
			Where("o.deputy_id IN ? AND o.created_at >= ? AND o.created_at < ?", chunk, from, to).
			Group("o.deputy_id, r.stage, r.score").Scan(&ratings).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, r := range ratings {
			if m, ok := of(r.DeputyID).Ratings[r.Stage]; ok {
				m[r.Score] += r.N
			}
		}
	}
	return out, nil
}
