package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The reception desk on the day (docs/ARCHITECTURE.md#reception-desk):
// deputies on the roster are signed in when they actually come, by staff
// or by scanning the desk's code; department heads invited for the day
// (局长进站) are listed and signed in; a confirmed booking whose slot has
// ended may be marked a no-show; and the booking code's QR holds
// BookingQRText.

// How a deputy was signed in at the desk (RosterEntry.SignInVia).
const (
	SignInByStaff = "staff"
	SignInByScan  = "scan"
)

// Desk errors, with the API's codes.
var (
	ErrNotOnRoster         = Coded(ErrNotFound, "deputy_not_on_roster", "这位代表不在当天的值班名单中")
	ErrDeputyNotBound      = Coded(ErrNotFound, "deputy_not_bound", "您的微信还没有绑定代表身份，请联系联络站工作人员签到。")
	ErrGuestNotFound       = Coded(ErrNotFound, "guest_not_found", "没有找到这位受邀人员")
	ErrGuestSignedIn       = Coded(ErrConflict, "guest_signed_in", "这位受邀人员已经签到，不能删除")
	ErrSlotNotEnded        = Coded(ErrConflict, "slot_not_ended", "这个时段还没有结束，暂时不能标记未到")
	ErrBookingNoShow       = Coded(ErrConflict, "booking_no_show", "这条预约已标记为未到，请登记为现场来访")
	ErrBookingQRGone       = Coded(ErrNotFound, "booking_not_active", "这条预约已取消或已结束，没有签到二维码")
	ErrBookingNotConfirmed = Coded(ErrConflict, "booking_not_confirmed", "只有已预约、未签到的预约才能标记为未到")
)

// BookingQRPrefix starts the text a booking's QR code holds.
const BookingQRPrefix = "DLBK:"

// BookingQRText is what a booking's QR code holds: "DLBK:" and the
// check-in code, e.g. "DLBK:K7M2QX". The code is unique within its day,
// and check-in happens at that day's desk, so nothing more is needed; the
// prefix tells our codes from any other QR code shown to the scanner.
func BookingQRText(code string) string { return BookingQRPrefix + code }

// ParseBookingCode reads a check-in code as staff type it or as the
// scanner reads the booking's QR code (BookingQRText): spaces, dashes and
// full-width characters are tolerated and letters may be lower case. ok is
// false for anything that cannot be a code.
func ParseBookingCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\u3000':
			continue // ideographic space
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0 // full-width ASCII
		}
		if unicode.IsSpace(r) || r == '-' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	code := b.String()
	code = strings.TrimPrefix(code, BookingQRPrefix)
	if len(code) != CheckinCodeLen || strings.Trim(code, CodeAlphabet) != "" {
		return "", false
	}
	return code, true
}

// deskDay locks a day the scope covers and that is still open (guests may
// be invited before the day; signing in waits for staffDay's window).
func deskDay(tx *gorm.DB, scope StaffScope, dayID uint64) (ReceptionDay, error) {
	var d ReceptionDay
	if err := lockingUpdate(tx).First(&d, dayID).Error; err != nil {
		return d, notFoundAs(err, ErrReceptionDayNotFound)
	}
	switch {
	case !scope.Allows(d.StationID):
		return d, ErrReceptionDayNotFound
	case d.Status != DayOpen:
		return d, ErrReceptionClosed
	}
	return d, nil
}

// signInEntry marks a roster entry signed in, once: already is true when
// it was signed in before (and nothing changes).
func signInEntry(tx *gorm.DB, e RosterEntry, by *uint64, via string, now time.Time) (already bool, err error) {
	if e.SignedInAt != nil {
		return true, nil
	}
	at := now.UTC()
	res := tx.Model(&RosterEntry{}).Where("id = ? AND signed_in_at IS NULL", e.ID).
		Updates(map[string]any{"signed_in_at": at, "signed_in_by": by, "sign_in_via": via})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 0, nil
}

// SignInDeputy signs in, at the desk, a deputy on the day's roster who has
// come (by staff). Signing in twice changes nothing and reports already.
func SignInDeputy(ctx context.Context, db *gorm.DB, scope StaffScope, dayID, deputyID uint64, now time.Time) (already bool, err error) {
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		already = false
		if _, err := staffDay(tx, scope, dayID, now); err != nil {
			return err
		}
		var e RosterEntry
		if err := lockingUpdate(tx).Where("day_id = ? AND deputy_id = ?", dayID, deputyID).First(&e).Error; err != nil {
			return notFoundAs(err, ErrNotOnRoster)
		}
		by := scope.Actor.ID
		if already, err = signInEntry(tx, e, &by, SignInByStaff, now); err != nil || already {
			return err
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.deputy_sign_in", "reception_day", dayID, "", "",
			fmt.Sprint("deputy ", deputyID, " by staff"))
	})
	return already, err
}

// AddDeskDeputy puts a deputy who came without being scheduled on the
// day's roster, signed in (by staff). A deputy already on the roster is
// just signed in.
func AddDeskDeputy(ctx context.Context, db *gorm.DB, scope StaffScope, dayID, deputyID uint64, now time.Time) error {
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := staffDay(tx, scope, dayID, now); err != nil {
			return err
		}
		var dep Deputy
		if err := tx.Where("id = ? AND status = ?", deputyID, DeputyActive).First(&dep).Error; err != nil {
			return notFoundAs(err, ErrDeputyNotFound)
		}
		by := scope.Actor.ID
		var e RosterEntry
		found, err := lockFind(tx, &e, "day_id = ? AND deputy_id = ?", dayID, deputyID)
		if err != nil {
			return err
		}
		if found {
			already, err := signInEntry(tx, e, &by, SignInByStaff, now)
			if err != nil || already {
				return err
			}
		} else {
			at := now.UTC()
			e = RosterEntry{DayID: dayID, DeputyID: deputyID, CreatedAt: at, AtDesk: true,
				SignedInAt: &at, SignedInBy: &by, SignInVia: SignInByStaff}
			if err := tx.Create(&e).Error; err != nil {
				return translate(err)
			}
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.deputy_sign_in", "reception_day", dayID, "", "",
			fmt.Sprint("deputy ", deputyID, " added at the desk"))
	})
}

// DeskScan is what a deputy's scan of the desk's code did.
type DeskScan struct {
	DeputyName, StationName string
	Already                 bool
}

// Reply is the Chinese text the deputy reads in the official account's chat.
func (s DeskScan) Reply() string {
	if s.Already {
		return s.DeputyName + "代表，您已经在" + s.StationName + "签过到了。"
	}
	return s.DeputyName + "代表，您已在" + s.StationName + "签到。"
}

// SignInDeputyByScan signs in the deputy whose official-account openid
// scanned the desk's code of a day: the deputy must be bound (Deputy.
// OAOpenID) and on the day's roster, and the day running.
func SignInDeputyByScan(ctx context.Context, db *gorm.DB, dayID uint64, openid string, now time.Time) (DeskScan, error) {
	var out DeskScan
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		out = DeskScan{}
		var dep Deputy
		if openid == "" {
			return ErrDeputyNotBound
		}
		if err := tx.Where("oa_openid = ?", openid).First(&dep).Error; err != nil {
			return notFoundAs(err, ErrDeputyNotBound)
		}
		var d ReceptionDay
		if err := lockingUpdate(tx).First(&d, dayID).Error; err != nil {
			return notFoundAs(err, ErrReceptionDayNotFound)
		}
		switch {
		case d.Status != DayOpen:
			return ErrReceptionClosed
		case now.Before(d.StartsAt.Add(-CheckinLead)):
			return ErrCheckinNotOpen
		}
		var e RosterEntry
		if err := lockingUpdate(tx).Where("day_id = ? AND deputy_id = ?", dayID, dep.ID).First(&e).Error; err != nil {
			return notFoundAs(err, ErrNotOnRoster)
		}
		var st Station
		if err := tx.Select("id", "name").First(&st, d.StationID).Error; err != nil {
			return translate(err)
		}
		out.DeputyName, out.StationName = dep.Name, st.Name
		already, err := signInEntry(tx, e, nil, SignInByScan, now)
		if err != nil || already {
			out.Already = already
			return err
		}
		return Audit(ctx, tx, now, Actor{Kind: "deputy", ID: dep.ID}, "reception_day.deputy_sign_in", "reception_day", dayID, "", "",
			fmt.Sprint("deputy ", dep.ID, " by scanning the desk's code"))
	})
	return out, err
}

// ReceptionGuest is someone invited to a reception day who is not a
// deputy, above all a department head (局长进站): shown on the roster and
// the printed list, and signed in at the desk.
type ReceptionGuest struct {
	ID         uint64     `gorm:"primaryKey" json:"id"`
	DayID      uint64     `gorm:"not null;index" json:"day_id"`
	Department string     `gorm:"size:100;not null" json:"department"`
	Name       string     `gorm:"size:50;not null" json:"name"`
	Title      string     `gorm:"size:50;not null" json:"title"`
	SignedInAt *time.Time `json:"signed_in_at,omitempty"`
	CreatedAt  time.Time  `gorm:"not null" json:"created_at"`
}

// GuestInput is a guest as staff enter them.
type GuestInput struct {
	Department, Name, Title string
}

func (in GuestInput) clean() (GuestInput, error) {
	in = GuestInput{Department: CleanLine(in.Department), Name: CleanLine(in.Name), Title: CleanLine(in.Title)}
	switch {
	case in.Department == "":
		return in, Invalid("department", "请填写受邀单位，例如“县交通运输局”")
	case utf8.RuneCountInString(in.Department) > 100:
		return in, Invalid("department", "单位名称不能超过100个字")
	case in.Name == "":
		return in, Invalid("name", "请填写受邀人员的姓名")
	case utf8.RuneCountInString(in.Name) > 50:
		return in, Invalid("name", "姓名不能超过50个字")
	case utf8.RuneCountInString(in.Title) > 50:
		return in, Invalid("title", "职务不能超过50个字")
	}
	return in, nil
}

// AddGuest invites someone (a department head) to an open day.
func AddGuest(ctx context.Context, db *gorm.DB, scope StaffScope, dayID uint64, in GuestInput, now time.Time) (ReceptionGuest, error) {
	in, err := in.clean()
	if err != nil {
		return ReceptionGuest{}, err
	}
	var g ReceptionGuest
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := deskDay(tx, scope, dayID); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&ReceptionGuest{}).Where("day_id = ?", dayID).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n >= 30 {
			return Invalid("name", "一个接待日最多邀请30位人员")
		}
		g = ReceptionGuest{DayID: dayID, Department: in.Department, Name: in.Name, Title: in.Title, CreatedAt: now.UTC()}
		if err := tx.Create(&g).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.guest_add", "reception_day", dayID, "", "",
			fmt.Sprint("guest ", g.ID))
	})
	return g, err
}

// lockGuest loads a guest of the day for update.
func lockGuest(tx *gorm.DB, dayID, guestID uint64) (ReceptionGuest, error) {
	var g ReceptionGuest
	if err := lockingUpdate(tx).Where("id = ? AND day_id = ?", guestID, dayID).First(&g).Error; err != nil {
		return g, notFoundAs(err, ErrGuestNotFound)
	}
	return g, nil
}

// RemoveGuest withdraws an invitation; a guest who signed in stays.
func RemoveGuest(ctx context.Context, db *gorm.DB, scope StaffScope, dayID, guestID uint64, now time.Time) error {
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := deskDay(tx, scope, dayID); err != nil {
			return err
		}
		g, err := lockGuest(tx, dayID, guestID)
		if err != nil {
			return err
		}
		if g.SignedInAt != nil {
			return ErrGuestSignedIn
		}
		if err := tx.Delete(&ReceptionGuest{}, g.ID).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.guest_remove", "reception_day", dayID, "", "",
			fmt.Sprint("guest ", g.ID))
	})
}

// SignInGuest signs in a guest who came; signing in twice changes nothing
// and reports already.
func SignInGuest(ctx context.Context, db *gorm.DB, scope StaffScope, dayID, guestID uint64, now time.Time) (already bool, err error) {
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		already = false
		if _, err := staffDay(tx, scope, dayID, now); err != nil {
			return err
		}
		g, err := lockGuest(tx, dayID, guestID)
		if err != nil {
			return err
		}
		if g.SignedInAt != nil {
			already = true
			return nil
		}
		if err := tx.Model(&ReceptionGuest{}).Where("id = ?", g.ID).Update("signed_in_at", now.UTC()).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.guest_sign_in", "reception_day", dayID, "", "",
			fmt.Sprint("guest ", g.ID))
	})
	return already, err
}

// MarkNoShow marks one confirmed booking of a day as a no-show once its
// slot has ended (CloseReceptionDay marks the rest after the day). The
// booking keeps its seat in the slot's count, as every no-show does.
func MarkNoShow(ctx context.Context, db *gorm.DB, scope StaffScope, dayID, bookingID uint64, now time.Time) (Booking, error) {
	var b Booking
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := deskDay(tx, scope, dayID); err != nil {
			return err
		}
		var peek Booking
		if err := tx.Where("id = ? AND day_id = ?", bookingID, dayID).First(&peek).Error; err != nil {
			return notFoundAs(err, ErrBookingNotFound)
		}
		// The slot before the booking: the lock order of the booking functions.
		var s Slot
		if err := lockingUpdate(tx).First(&s, peek.SlotID).Error; err != nil {
			return notFoundAs(err, ErrBookingNotFound)
		}
		if err := lockingUpdate(tx).First(&b, bookingID).Error; err != nil {
			return notFoundAs(err, ErrBookingNotFound)
		}
		switch {
		case b.Status == BookingCheckedIn:
			return ErrAlreadyCheckedIn
		case b.Status == BookingNoShow:
			return ErrBookingNoShow
		case b.Status != BookingConfirmed:
			return ErrBookingNotConfirmed
		case now.Before(s.EndAt):
			return ErrSlotNotEnded
		}
		at := now.UTC()
		if err := tx.Model(&Booking{}).Where("id = ? AND status = ?", b.ID, BookingConfirmed).
			Updates(map[string]any{"status": BookingNoShow, "active_key": nil, "updated_at": at}).Error; err != nil {
			return translate(err)
		}
		b.Status, b.ActiveKey, b.UpdatedAt = BookingNoShow, nil, at
		return Audit(ctx, tx, now, scope.Actor, "booking.no_show", "booking", b.ID,
			string(BookingConfirmed), string(BookingNoShow), "")
	})
	return b, err
}
