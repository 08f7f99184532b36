package records

import (
	"context"
	"fmt"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Automatic accrual of the records: every reception day a deputy attended
// (signed in at the desk: CloseReceptionDay writes a ReceptionRecord only
// for them; being on the roster is not attending) becomes an approved
// 接待选民 entry with the voters received that day. The desk's sign-in is
// made by staff or by the deputy's own scan on the day, so it is a fact
// already checked, and needs no review.
//
// Opinions a deputy files in their own name are not accrued: an opinion
// records the voter who filed it and the deputy whose code was scanned,
// never a deputy as its author, so the platform cannot tell them; a
// deputy's own proposals are 提出建议 entries, entered by hand.

// accrualBatch is how many reception records one step reads.
const accrualBatch = 500

// AccrueActivities creates the missing automatic entries: one per
// ReceptionRecord, Type ActReception, approved, dated the reception day,
// titled "参加接待日：<station>", with the voters received. It is
// idempotent (the unique SourceKey "reception:<record id>"; a second run,
// or two runs at once, create nothing more), and leaves alone the years
// whose evaluation is closed (their records are locked). loc is unused by
// the dates (a record's Date is already local) but kept for the callers'
// symmetry. created is how many entries it made.
func AccrueActivities(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (created int, err error) {
	tx := db.WithContext(ctx)
	stations := map[uint64]string{}
	var sts []models.Station
	if err := tx.Select("id", "name", "district").Find(&sts).Error; err != nil {
		return 0, models.Translate(err)
	}
	district := map[uint64]string{}
	for _, s := range sts {
		stations[s.ID] = s.Name
		district[s.ID] = s.District
	}
	var evs []models.Evaluation
	if err := tx.Where("status = ?", models.EvaluationClosed).Find(&evs).Error; err != nil {
		return 0, models.Translate(err)
	}
	closed := map[string]bool{}
	for _, e := range evs {
		closed[fmt.Sprint(e.Year, "/", e.Level, "/", e.Township)] = true
	}
	var after uint64
	for ctx.Err() == nil {
		var recs []models.ReceptionRecord
		if err := tx.Where("id > ?", after).Order("id").Limit(accrualBatch).Find(&recs).Error; err != nil {
			return created, models.Translate(err)
		}
		if len(recs) == 0 {
			break
		}
		after = recs[len(recs)-1].ID
		keys := make([]string, len(recs))
		var depIDs []uint64
		for i, r := range recs {
			keys[i] = models.ReceptionSourceKey(r.ID)
			depIDs = append(depIDs, r.DeputyID)
		}
		var have []string
		if err := tx.Model(&models.Activity{}).Where("source_key IN ?", keys).Pluck("source_key", &have).Error; err != nil {
			return created, models.Translate(err)
		}
		done := map[string]bool{}
		for _, k := range have {
			done[k] = true
		}
		var deps []models.Deputy
		if err := tx.Select("id", "level", "station_id").Where("id IN ?", models.UniqueIDs(depIDs)).Find(&deps).Error; err != nil {
			return created, models.Translate(err)
		}
		depOf := map[uint64]models.Deputy{}
		for _, d := range deps {
			depOf[d.ID] = d
		}
		var rows []models.Activity
		for i, r := range recs {
			d, ok := depOf[r.DeputyID]
			if done[keys[i]] || !ok {
				continue
			}
			town := ""
			if d.Level == models.LevelTownship {
				town = district[d.StationID]
			}
			if closed[fmt.Sprint(dateYear(r.Date), "/", d.Level, "/", town)] {
				continue
			}
			key := keys[i]
			rows = append(rows, models.Activity{DeputyID: r.DeputyID, Type: models.ActReception, Date: r.Date,
				Title:       models.Shorten("参加接待日："+stations[r.StationID], activityTitleMax, "…"),
				Description: fmt.Sprintf("接待选民%d人（预约到场%d人，现场来访%d人）", r.VotersReceived, r.CheckedIn, r.WalkIns),
				Voters:      r.VotersReceived, Source: models.SourceAuto, SourceKey: &key, Status: models.ActivityApproved,
				CreatedAt: now.UTC(), UpdatedAt: now.UTC()})
		}
		for i := range rows {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows[i])
			if res.Error != nil {
				return created, models.Translate(res.Error)
			}
			created += int(res.RowsAffected)
		}
		if len(recs) < accrualBatch {
			break
		}
	}
	return created, ctx.Err()
}
