package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Personal data (docs/ARCHITECTURE.md#personal-data): a voter may delete
// what identifies them (EraseVoter, DELETE /api/v1/me), and what closed
// items hold about voters is anonymised after the retention period
// (retention.go).
//
// What identifies a voter: the voter row (openids, unionid, sealed phone),
// their subscribe consents, the notifications addressed to them, their
// scans (official-account openid), the location they gave with an opinion,
// and the links from their bookings, opinions, ratings and uploads to the
// voter row. What they said stays: an opinion keeps its content, photos,
// timeline and handling, a booking its topic, a rating its comment. The
// link is cut by setting voter_id to 0, which every voter query already
// treats as nobody (GetVoterOpinion, RateOpinion, VoterUpload, the
// notices), rather than pointing it at a placeholder voter: a shared
// placeholder would be a voter row that sign-in must never hand out, and a
// per-person one would keep the erased voter's items linked to each other.
//
// The person behind an opinion received offline has no voter row: their
// name and sealed phone live on the opinion (Opinion.Contact*), deleted by
// a head or an admin (EraseOpinionContact) or after the retention period.

// Erasure is what EraseVoter removed. The caller cleans up what lives
// outside the database: sessions and per-openid keys in Redis, the files of
// deleted uploads.
type Erasure struct {
	// VoterIDs are the erased voter rows: the voter, and the same person's
	// other rows (the same unionid, e.g. from the official account).
	VoterIDs []uint64
	// MPOpenIDs and OAOpenIDs are the openids those rows held.
	MPOpenIDs, OAOpenIDs []string
	// Cancelled are the active bookings that were cancelled.
	Cancelled []Booking
	// Opinions is how many opinions were kept without their link.
	Opinions int
	// Files are the data-directory paths of the uploads no opinion took,
	// whose rows were deleted; the caller removes the files.
	Files []string
}

// Audit action of an erasure (entity "voter"; the note holds counts only).
const auditVoterErase = "voter.erase"

// EraseVoter deletes what identifies voter voterID, in one transaction (or
// in db's, when db is one):
//
//   - active bookings (confirmed or waitlisted) are cancelled; a freed seat
//     goes to the waitlist as on a cancel, and n (when not nil) writes the
//     notices to the promoted voters in the same transaction. A booking
//     whose slot has started is cancelled without a promotion;
//   - bookings, opinions, ratings and uploads taken by an opinion keep their
//     contents with voter_id 0; opinions lose the coordinates and the
//     idempotency key the voter gave, and their version moves on, so a
//     staff action racing with the erasure is refused and retried;
//   - uploads no opinion took are deleted (their paths are returned);
//   - subscribe consents, notifications to the voter's openids (never those
//     of a staff member's openid) and the voter rows are deleted; scans
//     are counts per code and day that hold no openid;
//   - one audit row records the erasure, with counts and no personal data.
//
// The same person's other voter rows (the same unionid) are erased with it.
// A later sign-in with the same WeChat makes a new voter. Errors:
// ErrVoterNotFound (already erased or never existed).
func EraseVoter(ctx context.Context, db *gorm.DB, voterID uint64, now time.Time, n *BookingNotices) (Erasure, error) {
	var er Erasure
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		er = Erasure{}
		voters, err := lockPerson(tx, voterID)
		if err != nil {
			return err
		}
		for _, v := range voters {
			er.VoterIDs = append(er.VoterIDs, v.ID)
			if v.MPOpenID != nil && *v.MPOpenID != "" {
				er.MPOpenIDs = append(er.MPOpenIDs, *v.MPOpenID)
			}
			if v.OAOpenID != nil && *v.OAOpenID != "" {
				er.OAOpenIDs = append(er.OAOpenIDs, *v.OAOpenID)
			}
		}
		ids := er.VoterIDs
		if er.Cancelled, err = cancelAllForErasure(ctx, tx, ids, now, n); err != nil {
			return err
		}
		if er.Opinions, er.Files, err = unlinkVoters(tx, ids, now); err != nil {
			return err
		}
		if err := forgetOpenIDs(tx, append(append([]string{}, er.MPOpenIDs...), er.OAOpenIDs...)); err != nil {
			return err
		}
		if err := tx.Where("id IN ?", ids).Delete(&Voter{}).Error; err != nil {
			return translate(err)
		}
		note := fmt.Sprintf("voter rows %d, bookings cancelled %d, opinions kept without the voter %d, uploads deleted %d",
			len(ids), len(er.Cancelled), er.Opinions, len(er.Files))
		return Audit(ctx, tx, now, Actor{Kind: actorVoter, ID: voterID}, auditVoterErase, "voter", voterID, "", "erased", note)
	})
	if err != nil {
		return Erasure{}, err
	}
	return er, nil
}

// lockPerson locks the voter row and the same person's other rows (same
// unionid), the voter first.
func lockPerson(tx *gorm.DB, voterID uint64) ([]Voter, error) {
	var v Voter
	found, err := lockFind(tx, &v, "id = ?", voterID)
	if err != nil || !found || voterID == 0 {
		return nil, orRefuse(err, ErrVoterNotFound)
	}
	voters := []Voter{v}
	if v.UnionID != nil && *v.UnionID != "" {
		var others []Voter
		if err := lockingUpdate(tx).Where("unionid = ? AND id <> ?", *v.UnionID, v.ID).Order("id").Find(&others).Error; err != nil {
			return nil, translate(err)
		}
		voters = append(voters, others...)
	}
	return voters, nil
}

// cancelAllForErasure cancels the active bookings of the voters and writes
// the notices of the promotions.
func cancelAllForErasure(ctx context.Context, tx *gorm.DB, ids []uint64, now time.Time, n *BookingNotices) ([]Booking, error) {
	var active []Booking
	if err := tx.Select("id", "voter_id").Where("voter_id IN ? AND status IN ?", ids,
		[]BookingStatus{BookingConfirmed, BookingWaitlisted}).Order("id").Find(&active).Error; err != nil {
		return nil, translate(err)
	}
	var out []Booking
	for _, a := range active {
		b, ev, err := cancelForErasure(tx, a.VoterID, a.ID, now)
		if err != nil {
			return nil, err
		}
		if b.ID == 0 {
			continue
		}
		out = append(out, b)
		if n != nil {
			if err := NotifyBooking(ctx, tx, n, b, ev, now); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// cancelForErasure cancels one booking the way CancelBooking does (slot
// then booking locked, the seat freed, the waitlist promoted), except that
// a started slot does not stop it: the booking is cancelled and its place
// counted off without promoting anyone into a reception under way. A
// booking no longer active is left alone (zero Booking).
func cancelForErasure(tx *gorm.DB, voterID, bookingID uint64, now time.Time) (Booking, BookingEvents, error) {
	b, slots, err := lockOwnBooking(tx, voterID, bookingID, 0)
	if err != nil {
		return Booking{}, nil, err
	}
	if b.Status != BookingConfirmed && b.Status != BookingWaitlisted {
		return Booking{}, nil, nil
	}
	slot := slots[b.SlotID]
	was, at := b.Status, now.UTC()
	if err := tx.Model(&Booking{}).Where("id = ? AND status = ?", b.ID, was).Updates(map[string]any{
		"status": BookingCancelled, "active_key": nil, "cancel_reason": CancelVoterErased,
		"cancelled_at": at, "updated_at": at}).Error; err != nil {
		return Booking{}, nil, translate(err)
	}
	b.Status, b.ActiveKey, b.CancelReason, b.CancelledAt, b.UpdatedAt = BookingCancelled, nil, CancelVoterErased, &at, at
	ev := BookingEvents{eventOf(EventCancelled, b, slot, now)}
	if !now.Before(slot.StartAt) {
		return b, ev, vacate(tx, slot, was)
	}
	promoted, err := leaveSlot(tx, slot, was, now)
	return b, append(ev, promoted...), err
}

// unlinkVoters cuts the links from the voters' items to them and deletes
// their uploads no opinion took. It returns how many opinions it unlinked
// and the paths of the deleted uploads.
func unlinkVoters(tx *gorm.DB, ids []uint64, now time.Time) (int, []string, error) {
	at := now.UTC()
	if err := tx.Model(&Booking{}).Where("voter_id IN ?", ids).
		Updates(map[string]any{"voter_id": 0, "active_key": nil, "updated_at": at}).Error; err != nil {
		return 0, nil, translate(err)
	}
	res := tx.Model(&Opinion{}).Where("voter_id IN ?", ids).Updates(map[string]any{
		"voter_id": 0, "idempotency_key": nil, "lat": nil, "lng": nil,
		"version": gorm.Expr("version + 1"), "updated_at": at})
	if res.Error != nil {
		return 0, nil, translate(res.Error)
	}
	opinions := int(res.RowsAffected)
	if err := tx.Model(&OpinionRating{}).Where("voter_id IN ?", ids).Update("voter_id", 0).Error; err != nil {
		return 0, nil, translate(err)
	}
	var files []string
	if err := tx.Model(&Upload{}).Where("voter_id IN ?", ids).Where(unattached).Order("id").Pluck("path", &files).Error; err != nil {
		return 0, nil, translate(err)
	}
	if err := tx.Where("voter_id IN ?", ids).Where(unattached).Delete(&Upload{}).Error; err != nil {
		return 0, nil, translate(err)
	}
	if err := tx.Model(&Upload{}).Where("voter_id IN ?", ids).Update("voter_id", 0).Error; err != nil {
		return 0, nil, translate(err)
	}
	return opinions, files, nil
}

// forgetOpenIDs deletes the consents of and notifications to the openids
// (a staff member's openid keeps its notifications: the same WeChat user
// may be staff too). Scans are counts without openids (scan_days), so
// nothing of them is erased.
func forgetOpenIDs(tx *gorm.DB, all []string) error {
	if len(all) == 0 {
		return nil
	}
	if err := tx.Where("openid IN ?", all).Delete(&SubscribeConsent{}).Error; err != nil {
		return translate(err)
	}
	if err := tx.Where("to_user IN ?", all).
		Where("NOT EXISTS (SELECT 1 FROM staffs WHERE staffs.oa_openid = notifications.to_user)").
		Delete(&Notification{}).Error; err != nil {
		return translate(err)
	}
	return nil
}
