package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// TargetStaff is the TargetKind of a staff-invite code.
const TargetStaff CodeKind = "staff"

// MaxInviteTTL is the longest an invite may stay valid: the temporary
// official-account QR code that carries it lives at most 30 days.
const MaxInviteTTL = 30 * 24 * time.Hour

// Errors of the staff-invite flow. The push endpoint shows Msg to the
// person who scanned the invite.
var (
	ErrInviteNotFound     = Coded(ErrNotFound, "invite_not_found", "邀请码无效或已作废，请联系管理员重新生成")
	ErrInviteExpired      = Coded(ErrInvalid, "invite_expired", "邀请码已过期，请联系管理员重新生成")
	ErrInviteUsed         = Coded(ErrConflict, "invite_used", "邀请码已被使用，每个邀请码只能绑定一次")
	ErrOpenIDAlreadyBound = Coded(ErrConflict, "openid_already_bound", "您的微信已绑定其他工作人员账号，请联系管理员")
)

// CreateStaffInvite creates a staff member of stationID and a one-time
// invite code that binds the first WeChat user who scans it to that member.
//
// Only staff.Name and staff.Role are used; the role must be clerk or head
// (admins belong to no station). The member is active from the start but has
// no OAOpenID until the invite is used, so no notification can reach them
// before. Everything happens in one transaction with the audit row.
func CreateStaffInvite(ctx context.Context, db *gorm.DB, staff Staff, stationID uint64, ttl time.Duration, now time.Time) (Code, error) {
	name := CleanLine(staff.Name)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		return Code{}, Invalid("name", "姓名不能为空，且不能超过50个字")
	}
	if staff.Role != RoleClerk && staff.Role != RoleHead {
		return Code{}, Invalid("role", "角色应为联络员或站长")
	}
	if ttl <= 0 || ttl > MaxInviteTTL {
		return Code{}, Invalid("ttl", "邀请有效期应在30天以内")
	}
	expires := now.Add(ttl).UTC()
	var code Code
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var st Station
		if err := tx.Select("id", "name").First(&st, stationID).Error; err != nil {
			return notFoundAs(err, ErrStationNotFound)
		}
		row := Staff{Name: name, Role: staff.Role, Active: true, Stations: []Station{{ID: st.ID}}}
		// "Stations.*" omitted: link the existing station, don't upsert it.
		if err := tx.Omit("Stations.*").Create(&row).Error; err != nil {
			return translate(err)
		}
		var err error
		code, err = CreateCode(ctx, tx, Code{
			Kind: CodeStaffInvite, TargetKind: TargetStaff, TargetID: row.ID,
			Label: "邀请：" + name, ExpiresAt: &expires,
		})
		if err != nil {
			return err
		}
		// The code itself stays out of the note: until it is used it is a
		// credential, and the audit log is read by many admins.
		note := fmt.Sprintf("%s（%s），%s，邀请有效期至%s", name, staff.Role.Label(), st.Name, DateTimeText(expires, nil))
		return Audit(ctx, tx, now, SystemActor, "staff.invite", "staff", row.ID, "", "invited", note)
	})
	if err != nil {
		return Code{}, err
	}
	return code, nil
}

// BindStaffInvite uses a staff-invite code: it binds openid (the scanner's
// official-account openid) to the invited staff member and returns the member
// and their station (for a township user or an admin, who have none of
// their own, a Station holding only the township's or the office's name).
//
// The invite is one-time: it is marked used by a conditional UPDATE (not
// used, not revoked, not expired), so of two concurrent scans exactly one
// wins and a replay is refused with ErrInviteUsed. An openid that already
// belongs to another staff member is refused with ErrOpenIDAlreadyBound and
// leaves the invite unused. Other errors: ErrInviteNotFound (unknown,
// revoked or not an invite) and ErrInviteExpired.
func BindStaffInvite(ctx context.Context, db *gorm.DB, code, openid string, now time.Time) (Staff, Station, error) {
	openid = strings.TrimSpace(openid)
	if openid == "" || len(openid) > 64 {
		return Staff{}, Station{}, Invalid("openid", "微信身份无效")
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return Staff{}, Station{}, ErrInviteNotFound
	}
	now = now.UTC()
	var staff Staff
	var station Station
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		target, err := claimInvite(tx, norm, CodeStaffInvite, now)
		if err != nil {
			return err
		}
		// No lock on the member: the code row the UPDATE holds serialises
		// the binds of this invite, and the unique index guards the openid.
		if err := tx.Preload("Stations", func(db *gorm.DB) *gorm.DB {
			return db.Order("id")
		}).First(&staff, target).Error; err != nil {
			return notFoundAs(err, ErrInviteNotFound)
		}
		switch {
		case len(staff.Stations) > 0:
			station = staff.Stations[0]
		case staff.Role == RoleTownship && staff.Township != "":
			// A township user's stations are derived; the reply names the township.
			station = Station{Name: staff.Township, District: staff.Township}
		case staff.Role == RoleAdmin:
			station = Station{Name: "人大常委会办公室"}
		default:
			return ErrInviteNotFound
		}

		var other int64
		if err := tx.Model(&Staff{}).Where("oa_openid = ? AND id <> ?", openid, staff.ID).
			Count(&other).Error; err != nil {
			return translate(err)
		}
		if other > 0 {
			return ErrOpenIDAlreadyBound
		}
		from := "invited"
		if staff.OAOpenID != nil {
			from = "bound" // a re-invite moves the member to a new WeChat account
		}
		// The unique index on oa_openid settles a race between two invites
		// scanned by the same person at once.
		err = tx.Model(&Staff{}).Where("id = ?", staff.ID).
			Updates(map[string]any{"oa_openid": openid, "updated_at": now}).Error
		if err = translate(err); errors.Is(err, ErrConflict) {
			return ErrOpenIDAlreadyBound
		} else if err != nil {
			return err
		}
		staff.OAOpenID = &openid
		staff.UpdatedAt = now
		return Audit(ctx, tx, now, Actor{Kind: "staff", ID: staff.ID}, "staff.bind", "staff", staff.ID,
			from, "bound", fmt.Sprintf("%s 扫码绑定微信，%s", staff.Name, station.Name))
	})
	if err != nil {
		return Staff{}, Station{}, err
	}
	return staff, station, nil
}

// inviteRefusal explains why the conditional UPDATE of an invite matched no
// row. It reads with a locking read so that on MySQL it sees the row as the
// UPDATE did (the latest committed version), not the transaction's snapshot.
func inviteRefusal(tx *gorm.DB, code string, kind CodeKind, now time.Time) error {
	var c Code
	if err := lockingUpdate(tx).Where("code = ?", code).First(&c).Error; err != nil {
		return notFoundAs(err, ErrInviteNotFound)
	}
	switch {
	case c.Kind != kind || c.Revoked:
		return ErrInviteNotFound
	case c.UsedAt != nil:
		return ErrInviteUsed
	case c.ExpiresAt == nil || !c.ExpiresAt.After(now):
		return ErrInviteExpired
	}
	// Not used, not revoked, not expired, yet not updated: cannot happen
	// unless the row changed between the two statements.
	return fmt.Errorf("bind %s %s: %w", kind, code, ErrConflict)
}

// claimInvite marks a one-time invite code of kind used by a conditional
// UPDATE (not used, not revoked, not expired), so of two concurrent scans
// exactly one wins, and returns the id it was made for; a refusal says why
// (inviteRefusal). Binding staff and deputies both start here.
func claimInvite(tx *gorm.DB, code string, kind CodeKind, now time.Time) (uint64, error) {
	res := tx.Model(&Code{}).
		Where("code = ? AND kind = ? AND used_at IS NULL AND revoked = ? AND expires_at > ?", code, kind, false, now).
		UpdateColumn("used_at", now)
	if res.Error != nil {
		return 0, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return 0, inviteRefusal(tx, code, kind, now)
	}
	var c Code
	if err := tx.Select("code", "target_id").Where("code = ?", code).First(&c).Error; err != nil {
		return 0, translate(err)
	}
	return c.TargetID, nil
}

// CancelStaffInvite withdraws an unused invite: the code is revoked and the
// staff member it created, who never bound a WeChat account, is deactivated.
// It is how "admin invite" undoes its work when the QR code cannot be made.
func CancelStaffInvite(ctx context.Context, db *gorm.DB, code string, now time.Time) error {
	norm, ok := NormalizeCode(code)
	if !ok {
		return ErrInviteNotFound
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Code
		if err := lockingUpdate(tx).Where("code = ? AND kind = ?", norm, CodeStaffInvite).First(&c).Error; err != nil {
			return notFoundAs(err, ErrInviteNotFound)
		}
		if c.UsedAt != nil {
			return ErrInviteUsed
		}
		if err := tx.Model(&Code{}).Where("code = ?", norm).UpdateColumn("revoked", true).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&Staff{}).Where("id = ? AND oa_openid IS NULL", c.TargetID).
			Updates(map[string]any{"active": false, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, SystemActor, "staff.invite_cancel", "staff", c.TargetID, "invited", "cancelled", "")
	})
}
