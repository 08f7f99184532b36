package models

import (
	"context"
	"time"

	"deputylink/config"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ConsentCap is the most one-time consents counted per voter and template.
//
// WeChat adds one send for every "accept" in wx.requestSubscribeMessage and
// offers no API to read the balance, so we count them ourselves. The cap
// keeps a voter who taps "accept" many times from building up a large
// balance; under-counting only means we send less than we could.
const ConsentCap = 10

// SubscribeConsent counts the subscribe-message sends a voter allowed for
// one template (one per "accept" in the mini-program's consent dialog).
type SubscribeConsent struct {
	ID uint64 `gorm:"primaryKey"`
	// OpenID is the voter's mini-program openid, the recipient of the sends.
	OpenID     string `gorm:"column:openid;size:64;not null;uniqueIndex:idx_consent_user_tpl,priority:1"`
	TemplateID string `gorm:"size:64;not null;uniqueIndex:idx_consent_user_tpl,priority:2"`
	Remaining  int    `gorm:"not null;default:0"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// GrantConsents records one accepted consent for each template: the count
// goes up by one, up to ConsentCap. It is one upsert per template, safe
// under concurrent grants.
func GrantConsents(ctx context.Context, db *gorm.DB, openid string, templateIDs []string, now time.Time) error {
	if openid == "" {
		return Invalid("openid", "缺少用户标识")
	}
	now = now.UTC()
	seen := map[string]bool{}
	for _, tpl := range templateIDs {
		if tpl == "" || seen[tpl] {
			continue
		}
		seen[tpl] = true
		if len(tpl) > 64 {
			return Invalid("template_id", "消息模板编号过长")
		}
		row := SubscribeConsent{OpenID: openid, TemplateID: tpl, Remaining: 1, CreatedAt: now, UpdatedAt: now}
		// In both SQLite's DO UPDATE and MySQL's ON DUPLICATE KEY UPDATE a
		// bare column name is the existing row's value.
		err := db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "openid"}, {Name: "template_id"}},
			DoUpdates: clause.Assignments(map[string]any{
				"remaining":  gorm.Expr("CASE WHEN remaining >= ? THEN ? ELSE remaining + 1 END", ConsentCap, ConsentCap),
				"updated_at": now,
			}),
		}).Create(&row).Error
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// ConsentsLeft reports how many sends of template tpl openid still allows.
func ConsentsLeft(ctx context.Context, db *gorm.DB, openid, tpl string) (int, error) {
	var n []int
	err := db.WithContext(ctx).Model(&SubscribeConsent{}).
		Where("openid = ? AND template_id = ?", openid, tpl).Pluck("remaining", &n).Error
	if err != nil || len(n) == 0 {
		return 0, translate(err)
	}
	return n[0], nil
}

// UseConsent spends one one-time consent of template tpl if any is left
// and reports whether it did: the consent rule (reserveConsent) for a
// one-time template, one conditional UPDATE, so two concurrent callers can
// never spend the same consent.
func UseConsent(ctx context.Context, tx *gorm.DB, openid, tpl string, now time.Time) (bool, error) {
	return reserveConsent(ctx, tx, openid, config.TemplateSpec{ID: tpl}, 1, now)
}

// DropConsent sets the count to zero: WeChat answered 43101, so whatever we
// counted is not there (the voter turned the template off, or a send was
// made outside our count).
func DropConsent(ctx context.Context, db *gorm.DB, openid, tpl string, now time.Time) error {
	return translate(db.WithContext(ctx).Model(&SubscribeConsent{}).
		Where("openid = ? AND template_id = ? AND remaining <> 0", openid, tpl).
		Updates(map[string]any{"remaining": 0, "updated_at": now.UTC()}).Error)
}

// reserveConsent is the consent rule, the one place that decides whether a
// subscribe message may be queued for openid under template spec; tx is
// the transaction that writes the message's outbox row.
//
//   - One-time template (一次性订阅): one consent allows exactly one send.
//     One is spent now, by a conditional UPDATE in tx, if at least need are
//     left (need > 1 keeps some for a later, more important notice). The
//     UPDATE takes the consent row's lock, so two transactions, in one
//     process or several, can never both spend the last consent: the
//     second waits, then sees none left.
//   - Long-term template (长期订阅): the consent allows sends until the
//     voter turns it off (WeChat's 43101 then sets the count to zero,
//     DropConsent). It is checked, never spent.
//
// WeChat counts consents per template, so each voter notice has a
// template of its own (config refuses one template for two notices) and a
// consent given for one kind is never spent on another.
func reserveConsent(ctx context.Context, tx *gorm.DB, openid string, spec config.TemplateSpec, need int, now time.Time) (bool, error) {
	if spec.LongTerm {
		left, err := ConsentsLeft(ctx, tx, openid, spec.ID)
		return left > 0, err
	}
	res := tx.WithContext(ctx).Model(&SubscribeConsent{}).
		Where("openid = ? AND template_id = ? AND remaining >= ?", openid, spec.ID, max(need, 1)).
		Updates(map[string]any{"remaining": gorm.Expr("remaining - 1"), "updated_at": now.UTC()})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// releaseConsent gives back a one-time consent reserved in tx for a message
// that was not written after all (its dedupe key was queued before).
func releaseConsent(ctx context.Context, tx *gorm.DB, openid string, spec config.TemplateSpec, now time.Time) error {
	if spec.LongTerm {
		return nil
	}
	return translate(tx.WithContext(ctx).Model(&SubscribeConsent{}).
		Where("openid = ? AND template_id = ?", openid, spec.ID).
		Updates(map[string]any{"remaining": gorm.Expr("remaining + 1"), "updated_at": now.UTC()}).Error)
}

// SpendConsent settles the consent of a claimed subscribe notification and
// reports whether the send may go ahead. A row queued by queueVoterNotice
// holds its consent already (ConsentUsed). A row queued before consents
// were reserved with their notice is settled here by the same rule
// (reserveConsent, with cfg telling one-time from long-term templates), in
// one transaction with marking the row, so it spends at most one consent
// over all its attempts. It returns ErrStaleClaim if the row was claimed
// again by another worker.
func SpendConsent(ctx context.Context, db *gorm.DB, cfg NotifyConfig, n Notification, now time.Time) (bool, error) {
	if n.ConsentUsed {
		return true, nil
	}
	spec := config.TemplateSpec{ID: n.TemplateID}
	if _, t, ok := cfg.voterTemplateByID(n.TemplateID); ok {
		spec = t
	}
	ok := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		used, err := reserveConsent(ctx, tx, n.ToUser, spec, 1, now)
		if err != nil || !used {
			return err
		}
		if err := markClaimed(ctx, tx, n, map[string]any{"consent_used": true, "updated_at": now.UTC()}); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}
