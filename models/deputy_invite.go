package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Deputies bind WeChat like staff do: the office shows a one-time,
// expiring official-account QR code on the deputy's management page; the
// deputy scans it, and their openid is kept on Deputy.OAOpenID. From then
// on the official account knows them (desk sign-in, notices) and the
// console's WeChat sign-ins open their own pages. One person may be both a
// staff member and a deputy: the staff binding is on Staff.OAOpenID, the
// deputy binding on Deputy.OAOpenID, and both may hold the same openid.

// CodeDeputyInvite is the kind of a deputy's binding invite. Its
// TargetKind is the kind itself (not CodeDeputy), so no path that shows or
// routes by a deputy's codes (cards, opinion routing, boards, figures)
// ever takes an invite for the deputy's public code; TargetID is the
// deputy.
const CodeDeputyInvite CodeKind = "deputy_invite"

// Audit actions of deputies' WeChat bindings (entity "deputy").
const (
	AuditDeputyInvite = "deputy.invite"
	AuditDeputyBind   = "deputy.bind"
	AuditDeputyUnbind = "deputy.unbind"
)

// Errors of the deputy binding.
var (
	// ErrDeputyOpenIDBound is a WeChat already bound to another deputy.
	ErrDeputyOpenIDBound = Coded(ErrConflict, "deputy_openid_bound", "您的微信已绑定其他代表，请联系工作人员")
	// ErrDeputyInviteRetired refuses an invite for a deputy who left office.
	ErrDeputyInviteRetired = Coded(ErrInvalid, "deputy_retired", "该代表已离任，不能绑定微信")
	// ErrDeputyNotBoundYet is an unbind of a deputy with no WeChat bound.
	ErrDeputyNotBoundYet = Coded(ErrConflict, "deputy_not_bound", "该代表尚未绑定微信")
	// ErrDeputySignInRefused is a WeChat that is not an active deputy's.
	ErrDeputySignInRefused = Coded(ErrUnauthorized, "wechat_not_bound", "此微信尚未绑定代表或工作人员身份，请联系联络站工作人员")
)

// CreateDeputyInvite makes a one-time invite code that binds the first
// WeChat user who scans it to the deputy, valid for ttl (at most
// MaxInviteTTL). Earlier unused invites of the deputy are revoked: only
// the QR code on screen now works. The caller checks that who may manage
// the deputy (GetManagedDeputy).
func CreateDeputyInvite(ctx context.Context, db *gorm.DB, who Actor, deputyID uint64, ttl time.Duration, now time.Time) (Code, error) {
	if ttl <= 0 || ttl > MaxInviteTTL {
		return Code{}, Invalid("ttl", "邀请有效期应在30天以内")
	}
	if !ValidID(deputyID) {
		return Code{}, ErrDeputyNotFound
	}
	expires := now.Add(ttl).UTC()
	var code Code
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Deputy
		if err := lockingUpdate(tx).Select("id", "name", "status").First(&d, deputyID).Error; err != nil {
			return notFoundAs(err, ErrDeputyNotFound)
		}
		if d.Status == DeputyRetired {
			return ErrDeputyInviteRetired
		}
		if err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND used_at IS NULL AND revoked = ?",
			CodeDeputyInvite, d.ID, false).UpdateColumn("revoked", true).Error; err != nil {
			return translate(err)
		}
		var err error
		code, err = CreateCode(ctx, tx, Code{
			Kind: CodeDeputyInvite, TargetKind: CodeDeputyInvite, TargetID: d.ID,
			Label: "代表绑定：" + d.Name, ExpiresAt: &expires, CreatedAt: now.UTC(),
		})
		if err != nil {
			return err
		}
		// The code stays out of the note: until used it is a credential.
		return Audit(ctx, tx, now, who, AuditDeputyInvite, "deputy", d.ID, "", "invited",
			"生成微信绑定二维码，有效期至"+DateTimeText(expires, nil))
	})
	if err != nil {
		return Code{}, err
	}
	return code, nil
}

// DeputyInvite returns the deputy's live invite (unused, not revoked, not
// expired), if any; ok is false when there is none.
func DeputyInvite(ctx context.Context, db *gorm.DB, deputyID uint64, now time.Time) (Code, bool, error) {
	var rows []Code
	err := db.WithContext(ctx).Where("kind = ? AND target_id = ? AND used_at IS NULL AND revoked = ? AND expires_at > ?",
		CodeDeputyInvite, deputyID, false, now.UTC()).Order("created_at DESC, code").Limit(1).Find(&rows).Error
	if err != nil {
		return Code{}, false, translate(err)
	}
	if len(rows) == 0 {
		return Code{}, false, nil
	}
	return rows[0], true, nil
}

// BindDeputyInvite uses a deputy's invite: it binds openid (the scanner's
// official-account openid) to the deputy and returns them. The invite is
// marked used by a conditional UPDATE, so of two scans exactly one wins
// and a replay is ErrInviteUsed. An openid bound to another deputy is
// ErrDeputyOpenIDBound and leaves the invite unused; the same openid on a
// staff member is fine (one person, two roles). Other refusals:
// ErrInviteNotFound (unknown, revoked, not a deputy invite, or the deputy
// retired since) and ErrInviteExpired.
func BindDeputyInvite(ctx context.Context, db *gorm.DB, code, openid string, now time.Time) (Deputy, error) {
	openid = strings.TrimSpace(openid)
	if openid == "" || len(openid) > 64 {
		return Deputy{}, Invalid("openid", "微信身份无效")
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return Deputy{}, ErrInviteNotFound
	}
	now = now.UTC()
	var dep Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		target, err := claimInvite(tx, norm, CodeDeputyInvite, now)
		if err != nil {
			return err
		}
		if err := tx.First(&dep, target).Error; err != nil {
			return notFoundAs(err, ErrInviteNotFound)
		}
		if dep.Status == DeputyRetired {
			return ErrInviteNotFound
		}
		var other int64
		if err := tx.Model(&Deputy{}).Where("oa_openid = ? AND id <> ?", openid, dep.ID).Count(&other).Error; err != nil {
			return translate(err)
		}
		if other > 0 {
			return ErrDeputyOpenIDBound
		}
		from := ""
		if dep.OAOpenID != nil {
			from = "bound" // a new invite moves the deputy to a new WeChat
		}
		err = tx.Model(&Deputy{}).Where("id = ?", dep.ID).
			Updates(map[string]any{"oa_openid": openid, "updated_at": now}).Error
		if err = translate(err); errors.Is(err, ErrConflict) {
			return ErrDeputyOpenIDBound
		} else if err != nil {
			return err
		}
		dep.OAOpenID = &openid
		dep.UpdatedAt = now
		return Audit(ctx, tx, now, Actor{Kind: "deputy", ID: dep.ID}, AuditDeputyBind, "deputy", dep.ID,
			from, "bound", dep.Name+"代表扫码绑定微信")
	})
	if err != nil {
		return Deputy{}, err
	}
	return dep, nil
}

// UnbindDeputy removes the deputy's WeChat binding (by the office, or by
// the deputy from their own page) and revokes their unused invites. The
// deputy's console sessions end with it: they are checked against the
// binding on every request.
func UnbindDeputy(ctx context.Context, db *gorm.DB, who Actor, deputyID uint64, now time.Time) error {
	if !ValidID(deputyID) {
		return ErrDeputyNotFound
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Deputy
		if err := lockingUpdate(tx).Select("id", "name", "oa_openid").First(&d, deputyID).Error; err != nil {
			return notFoundAs(err, ErrDeputyNotFound)
		}
		if d.OAOpenID == nil {
			return ErrDeputyNotBoundYet
		}
		if err := tx.Model(&Deputy{}).Where("id = ?", d.ID).
			Updates(map[string]any{"oa_openid": nil, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND used_at IS NULL AND revoked = ?",
			CodeDeputyInvite, d.ID, false).UpdateColumn("revoked", true).Error; err != nil {
			return translate(err)
		}
		note := "工作人员解除微信绑定"
		if who.Kind == "deputy" {
			note = d.Name + "代表本人解除微信绑定"
		}
		return Audit(ctx, tx, now, who, AuditDeputyUnbind, "deputy", d.ID, "bound", "", note)
	})
}

// ActiveDeputyByOAOpenID is the deputy in office whose official-account
// openid this is, for the console's WeChat sign-ins; anyone else is
// ErrDeputySignInRefused.
func ActiveDeputyByOAOpenID(ctx context.Context, db *gorm.DB, openid string) (Deputy, error) {
	if openid == "" || len(openid) > 64 {
		return Deputy{}, ErrDeputySignInRefused
	}
	var rows []Deputy
	err := db.WithContext(ctx).Where("oa_openid = ? AND status = ?", openid, DeputyActive).Limit(1).Find(&rows).Error
	if err != nil {
		return Deputy{}, translate(err)
	}
	if len(rows) == 0 {
		return Deputy{}, ErrDeputySignInRefused
	}
	return rows[0], nil
}

// BoundDeputy is deputy id if they are in office and bound to a WeChat
// (a console session's deputy is checked with it on every request); else
// ErrDeputySignInRefused.
func BoundDeputy(ctx context.Context, db *gorm.DB, id uint64) (Deputy, error) {
	if !ValidID(id) {
		return Deputy{}, ErrDeputySignInRefused
	}
	var rows []Deputy
	err := db.WithContext(ctx).Where("id = ? AND status = ? AND oa_openid IS NOT NULL", id, DeputyActive).
		Limit(1).Find(&rows).Error
	if err != nil {
		return Deputy{}, translate(err)
	}
	if len(rows) == 0 || rows[0].OAOpenID == nil || *rows[0].OAOpenID == "" {
		return Deputy{}, ErrDeputySignInRefused
	}
	return rows[0], nil
}
