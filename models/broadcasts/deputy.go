package broadcasts

import (
	"context"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The deputy's side: their list, the article page that records the read,
// and a training's sign-up. Every function takes the signed-in deputy's
// id; an article that did not go to them is ErrNotFound.

// ForDeputy lists the broadcasts a deputy received (capped or not),
// newest first, at most limit (default and most 100); the list leaves out
// the bodies (Read has them).
func ForDeputy(ctx context.Context, db *gorm.DB, deputyID uint64, limit int) ([]DeputyItem, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	tx := db.WithContext(ctx)
	var rs []models.BroadcastRecipient
	if err := tx.Where("deputy_id = ?", deputyID).Order("broadcast_id DESC").Limit(limit).Find(&rs).Error; err != nil {
		return nil, models.Translate(err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	ids := make([]uint64, len(rs))
	for i, r := range rs {
		ids[i] = r.BroadcastID
	}
	var bs []models.Broadcast
	if err := tx.Omit("body").Where("id IN ?", ids).Find(&bs).Error; err != nil {
		return nil, models.Translate(err)
	}
	by := make(map[uint64]models.Broadcast, len(bs))
	for _, b := range bs {
		by[b.ID] = b
	}
	out := make([]DeputyItem, 0, len(rs))
	for _, r := range rs {
		if b, ok := by[r.BroadcastID]; ok {
			out = append(out, DeputyItem{Broadcast: b, ReadAt: r.ReadAt, SignedUpAt: r.SignedUpAt, AttendedAt: r.AttendedAt})
		}
	}
	return out, nil
}

// Unread is how many broadcasts the deputy has not read.
func Unread(ctx context.Context, db *gorm.DB, deputyID uint64) (int, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.BroadcastRecipient{}).Where("deputy_id = ? AND read_at IS NULL", deputyID).Count(&n).Error
	return int(n), models.Translate(err)
}

// Read opens a broadcast for the deputy it went to and records the read:
// the first read's time is kept (later and concurrent reads change
// nothing). ErrNotFound for an article that did not go to them.
func Read(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	tx := db.WithContext(ctx)
	if !models.ValidID(id) {
		return Article{}, ErrNotFound
	}
	// One conditional UPDATE: of reads racing, one sets the time and the
	// others find it set.
	if err := tx.Model(&models.BroadcastRecipient{}).
		Where("broadcast_id = ? AND deputy_id = ? AND read_at IS NULL", id, deputyID).
		Update("read_at", now.UTC()).Error; err != nil {
		return Article{}, models.Translate(err)
	}
	return article(tx, deputyID, id, now)
}

// article loads the broadcast and the deputy's row of it.
func article(tx *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	var a Article
	if err := tx.Where("broadcast_id = ? AND deputy_id = ?", id, deputyID).Take(&a.Recipient).Error; err != nil {
		return Article{}, models.NotFoundAs(err, ErrNotFound)
	}
	if err := tx.Take(&a.Broadcast, id).Error; err != nil {
		return Article{}, models.NotFoundAs(err, ErrNotFound)
	}
	open := signupOpen(a.Broadcast, now)
	a.CanSignUp = open && a.Recipient.SignedUpAt == nil
	a.CanCancel = open && a.Recipient.SignedUpAt != nil && a.Recipient.AttendedAt == nil
	return a, nil
}

// signupOpen: a training still taking sign-ups at now.
func signupOpen(b models.Broadcast, now time.Time) bool {
	return b.Kind == models.BroadcastTraining && b.SignupUntil != nil && !now.After(*b.SignupUntil)
}

// SignUp signs the deputy up for a training (idempotent; it also counts
// as a read): ErrNotTraining, ErrSignupClosed after SignupUntil.
func SignUp(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	return setSignUp(ctx, db, deputyID, id, now, true)
}

// CancelSignUp withdraws the deputy's sign-up (idempotent) while sign-up
// is open; ErrAttended once staff ticked them as attended.
func CancelSignUp(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	return setSignUp(ctx, db, deputyID, id, now, false)
}

func setSignUp(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time, on bool) (Article, error) {
	if !models.ValidID(id) {
		return Article{}, ErrNotFound
	}
	var a Article
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		var err error
		if a, err = article(tx, deputyID, id, now); err != nil {
			return err
		}
		switch {
		case a.Broadcast.Kind != models.BroadcastTraining:
			return ErrNotTraining
		case a.Recipient.AttendedAt != nil && !on:
			return ErrAttended
		case (a.Recipient.SignedUpAt != nil) == on:
			return nil // already so
		case !signupOpen(a.Broadcast, now):
			return ErrSignupClosed
		}
		q := tx.Model(&models.BroadcastRecipient{}).Where("broadcast_id = ? AND deputy_id = ?", id, deputyID)
		if on {
			q = q.Where("signed_up_at IS NULL").Updates(map[string]any{
				"signed_up_at": now.UTC(), "read_at": gorm.Expr("COALESCE(read_at, ?)", now.UTC())})
		} else {
			q = q.Where("attended_at IS NULL").Update("signed_up_at", nil)
		}
		if q.Error != nil {
			return models.Translate(q.Error)
		}
		a, err = article(tx, deputyID, id, now)
		return err
	})
	if err != nil {
		return Article{}, err
	}
	return a, nil
}

// DeputyAttachment is the broadcast whose attachment a recipient deputy
// downloads; ErrNotFound otherwise.
func DeputyAttachment(ctx context.Context, db *gorm.DB, deputyID, id uint64) (models.Broadcast, error) {
	a, err := article(db.WithContext(ctx), deputyID, id, time.Time{})
	if err == nil && a.Broadcast.AttachmentPath == "" {
		err = ErrNotFound
	}
	return a.Broadcast, err
}
