package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Retention (docs/ARCHITECTURE.md#personal-data): once an item has been
// closed for the retention period, what it holds about a voter is
// anonymised the way EraseVoter does it, and what they said stays:
//
//   - a closed opinion (status closed, closed before the cutoff) loses its
//     link to the voter (voter_id 0, as do its ratings and the uploads of
//     its photos), the coordinates and the idempotency key the voter gave;
//     content, photos, timeline, handling and ratings' comments stay; an
//     opinion received offline loses the name and sealed phone of the
//     person who gave it (as EraseOpinionContact does);
//   - a closed reception day (closed before the cutoff) keeps its bookings
//     and walk-ins without the voter link (voter_id 0, no active key) and
//     without the walk-ins' names; topics and counts stay.
//
// Each call anonymises one batch in one transaction and audits each item
// (system actor, no personal data). Items already anonymised are not
// selected again, so a second run changes nothing.

// closedOpinionHolds selects closed opinions that still hold personal data.
const closedOpinionHolds = "status = ? AND closed_at IS NOT NULL AND closed_at < ? AND " +
	"(voter_id <> 0 OR lat IS NOT NULL OR lng IS NOT NULL OR idempotency_key IS NOT NULL OR " +
	"contact_name <> '' OR contact_phone_enc IS NOT NULL OR contact_phone_masked <> '')"

// AnonymiseClosedOpinions anonymises up to limit opinions closed before
// cutoff that still hold personal data, and returns how many it did.
func AnonymiseClosedOpinions(ctx context.Context, db *gorm.DB, cutoff time.Time, limit int, now time.Time) (int, error) {
	n := 0
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		n = 0
		var ops []Opinion
		if err := lockingUpdate(tx).Select("id", "status").Where(closedOpinionHolds, OpinionClosed, cutoff.UTC()).
			Order("id").Limit(limit).Find(&ops).Error; err != nil || len(ops) == 0 {
			return translate(err)
		}
		ids := make([]uint64, len(ops))
		for i, op := range ops {
			ids[i] = op.ID
		}
		at := now.UTC()
		res := tx.Model(&Opinion{}).Where("id IN ?", ids).Updates(map[string]any{
			"voter_id": 0, "idempotency_key": nil, "lat": nil, "lng": nil,
			"contact_name": "", "contact_phone_enc": nil, "contact_phone_masked": "",
			"version": gorm.Expr("version + 1"), "updated_at": at})
		if res.Error != nil {
			return translate(res.Error)
		}
		if err := tx.Model(&OpinionRating{}).Where("opinion_id IN ? AND voter_id <> 0", ids).
			Update("voter_id", 0).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&Upload{}).Where("voter_id <> 0").
			Where("path IN (SELECT path FROM opinion_photos WHERE opinion_id IN ?)", ids).
			Update("voter_id", 0).Error; err != nil {
			return translate(err)
		}
		for _, op := range ops {
			if err := Audit(ctx, tx, now, SystemActor, "opinion.anonymise", auditOpinion, op.ID,
				string(op.Status), string(op.Status), "retention period over: voter data removed"); err != nil {
				return err
			}
		}
		n = len(ops)
		return nil
	})
	return n, err
}

// closedDayHolds selects closed reception days whose bookings or walk-ins
// still hold personal data.
const closedDayHolds = "closed_at IS NOT NULL AND closed_at < ? AND (" +
	"EXISTS (SELECT 1 FROM bookings WHERE bookings.day_id = reception_days.id AND (bookings.voter_id <> 0 OR bookings.active_key IS NOT NULL)) OR " +
	"EXISTS (SELECT 1 FROM walk_ins WHERE walk_ins.day_id = reception_days.id AND walk_ins.name <> ''))"

// AnonymiseClosedReceptionDays anonymises the bookings and walk-ins of up to
// limit reception days closed before cutoff that still hold personal data,
// and returns how many days it did.
func AnonymiseClosedReceptionDays(ctx context.Context, db *gorm.DB, cutoff time.Time, limit int, now time.Time) (int, error) {
	n := 0
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		n = 0
		var ids []uint64
		if err := tx.Model(&ReceptionDay{}).Where(closedDayHolds, cutoff.UTC()).
			Order("id").Limit(limit).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return translate(err)
		}
		if err := tx.Model(&Booking{}).Where("day_id IN ? AND (voter_id <> 0 OR active_key IS NOT NULL)", ids).
			Updates(map[string]any{"voter_id": 0, "active_key": nil, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&WalkIn{}).Where("day_id IN ? AND name <> ''", ids).Update("name", "").Error; err != nil {
			return translate(err)
		}
		for _, id := range ids {
			if err := Audit(ctx, tx, now, SystemActor, "reception_day.anonymise", "reception_day", id,
				string(DayClosed), string(DayClosed), "retention period over: voter data removed"); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
