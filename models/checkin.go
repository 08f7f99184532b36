package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// StaffScope is what a staff member may act on: the stations they serve,
// or every station for an admin. Actor is written to the audit log.
type StaffScope struct {
	Actor      Actor
	All        bool
	StationIDs []uint64
}

// ScopeOf builds the scope of a staff member whose Stations are loaded.
func ScopeOf(s Staff) StaffScope {
	sc := StaffScope{Actor: Actor{Kind: "staff", ID: s.ID}, All: s.Role == RoleAdmin}
	for _, st := range s.Stations {
		sc.StationIDs = append(sc.StationIDs, st.ID)
	}
	return sc
}

// Allows reports whether the scope covers a station.
func (s StaffScope) Allows(stationID uint64) bool {
	if s.All {
		return true
	}
	for _, id := range s.StationIDs {
		if id == stationID {
			return true
		}
	}
	return false
}

// SetRoster replaces the deputies on duty for a reception day; a deputy
// already signed in at the desk stays on it.
func SetRoster(ctx context.Context, db *gorm.DB, who Actor, dayID uint64, deputyIDs []uint64, now time.Time) error {
	ids := uniqueIDs(deputyIDs)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Deputy{}).Where("id IN ?", append(ids, 0)).Count(&n).Error; err != nil {
			return translate(err)
		}
		if int(n) != len(ids) {
			return Invalid("deputy_ids", "名单中有不存在的代表")
		}
		var day ReceptionDay
		if err := lockingUpdate(tx).First(&day, dayID).Error; err != nil {
			return notFoundAs(err, ErrReceptionDayNotFound)
		}
		if day.Status != DayOpen {
			return ErrReceptionClosed
		}
		// Deputies who stay keep their entry, and one who already signed
		// in stays whatever the list says: they came.
		var have []RosterEntry
		if err := tx.Where("day_id = ?", dayID).Find(&have).Error; err != nil {
			return translate(err)
		}
		want, kept := map[uint64]bool{}, map[uint64]bool{}
		for _, id := range ids {
			want[id] = true
		}
		var drop []uint64
		for _, e := range have {
			if want[e.DeputyID] || e.SignedInAt != nil {
				kept[e.DeputyID] = true
			} else {
				drop = append(drop, e.ID)
			}
		}
		if len(drop) > 0 {
			if err := tx.Where("id IN ?", drop).Delete(&RosterEntry{}).Error; err != nil {
				return translate(err)
			}
		}
		var add []uint64
		for _, id := range ids {
			if !kept[id] {
				add = append(add, id)
			}
		}
		if err := createRoster(tx, dayID, add, now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, who, "reception_day.roster", "reception_day", dayID, "", "", fmt.Sprint(ids))
	})
}

func createRoster(tx *gorm.DB, dayID uint64, deputyIDs []uint64, now time.Time) error {
	if len(deputyIDs) == 0 {
		return nil
	}
	rows := make([]RosterEntry, len(deputyIDs))
	for i, id := range deputyIDs {
		rows[i] = RosterEntry{DayID: dayID, DeputyID: id, CreatedAt: now.UTC()}
	}
	return translate(tx.Create(&rows).Error)
}

// uniqueIDs drops zeros and repeats, keeping the order.
func uniqueIDs(ids []uint64) []uint64 {
	seen := map[uint64]bool{}
	out := []uint64{}
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Reception-day errors, with the API's codes.
var (
	ErrCheckinCodeNotFound  = Coded(ErrNotFound, "checkin_code_not_found", "签到码无效，请核对后重试")
	ErrAlreadyCheckedIn     = Coded(ErrConflict, "already_checked_in", "这条预约已经签到过了")
	ErrBookingWaitlisted    = Coded(ErrConflict, "booking_waitlisted", "候补预约不能签到，请登记为现场来访")
	ErrBookingCancelled     = Coded(ErrConflict, "booking_cancelled", "这条预约已经取消")
	ErrReceptionClosed      = Coded(ErrConflict, "reception_closed", "这个接待日已经结束")
	ErrCheckinNotOpen       = Coded(ErrConflict, "checkin_not_open", "接待还没有开始，暂时不能签到或登记")
	ErrReceptionNotFinished = Coded(ErrConflict, "reception_not_finished", "接待还没有结束")
)

// CheckinLead is how long before the first slot check-in and walk-ins open.
const CheckinLead = time.Hour

// staffDay locks a reception day the scope covers and that is running:
// check-ins and walk-ins take the day's lock so that closing the day sees
// every one of them.
func staffDay(tx *gorm.DB, scope StaffScope, dayID uint64, now time.Time) (ReceptionDay, error) {
	var d ReceptionDay
	if err := lockingUpdate(tx).First(&d, dayID).Error; err != nil {
		return d, notFoundAs(err, ErrReceptionDayNotFound)
	}
	switch {
	case !scope.Allows(d.StationID):
		return d, ErrReceptionDayNotFound
	case d.Status != DayOpen:
		return d, ErrReceptionClosed
	case now.Before(d.StartsAt.Add(-CheckinLead)):
		return d, ErrCheckinNotOpen
	}
	return d, nil
}

// CheckIn checks a voter in by the code they read out, or the text of the
// booking's QR code (ParseBookingCode). A day outside the
// scope is ErrReceptionDayNotFound; a waitlisted, cancelled or already
// checked-in booking is refused with its own code.
func CheckIn(ctx context.Context, db *gorm.DB, scope StaffScope, dayID uint64, code string, now time.Time) (Booking, error) {
	code, ok := ParseBookingCode(code)
	if !ok {
		return Booking{}, ErrCheckinCodeNotFound
	}
	var b Booking
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := staffDay(tx, scope, dayID, now); err != nil {
			return err
		}
		if err := lockingUpdate(tx).Where("day_id = ? AND checkin_code = ?", dayID, code).First(&b).Error; err != nil {
			return notFoundAs(err, ErrCheckinCodeNotFound)
		}
		switch b.Status {
		case BookingCheckedIn:
			return ErrAlreadyCheckedIn
		case BookingWaitlisted:
			return ErrBookingWaitlisted
		case BookingCancelled:
			return ErrBookingCancelled
		case BookingNoShow:
			return ErrBookingNoShow
		}
		at := now.UTC()
		res := tx.Model(&Booking{}).Where("id = ? AND status = ?", b.ID, BookingConfirmed).
			Updates(map[string]any{"status": BookingCheckedIn, "checked_in_at": at, "updated_at": at})
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrAlreadyCheckedIn
		}
		b.Status, b.CheckedInAt, b.UpdatedAt = BookingCheckedIn, &at, at
		return Audit(ctx, tx, now, scope.Actor, "booking.checkin", "booking", b.ID,
			string(BookingConfirmed), string(BookingCheckedIn), "")
	})
	return b, err
}

// WalkIn is a voter received without a booking.
type WalkIn struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	DayID     uint64 `gorm:"not null;index" json:"day_id"`
	SlotID    uint64 `gorm:"not null" json:"slot_id"`
	StationID uint64 `gorm:"not null" json:"station_id"`
	Name      string `gorm:"size:50;not null" json:"name"`
	Topic     string `gorm:"size:200;not null" json:"topic"`
	// BeyondSeats marks a walk-in received after the slot's walk-in seats
	// were used up: nobody who came is turned away, but staff see it.
	BeyondSeats bool      `gorm:"not null" json:"beyond_seats"`
	CreatedAt   time.Time `json:"created_at"`
}

// RecordWalkIn records a voter who came without booking (name and topic
// optional) against the slot running at now (the first before the start,
// the last after the end) and counts it in the slot's walk-in seats.
func RecordWalkIn(ctx context.Context, db *gorm.DB, scope StaffScope, dayID uint64, name, topic string, now time.Time) (WalkIn, error) {
	name = CleanLine(name)
	if utf8.RuneCountInString(name) > 50 {
		return WalkIn{}, Invalid("name", "姓名不能超过50个字")
	}
	topic, err := cleanTopic(topic)
	if err != nil {
		return WalkIn{}, err
	}
	var w WalkIn
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		d, err := staffDay(tx, scope, dayID, now)
		if err != nil {
			return err
		}
		var slots []Slot
		if err := lockingUpdate(tx).Where("day_id = ?", dayID).Order("seq").Find(&slots).Error; err != nil {
			return translate(err)
		}
		if len(slots) == 0 {
			return ErrReceptionDayNotFound
		}
		s := slots[0]
		for _, c := range slots {
			if !now.Before(c.StartAt) {
				s = c
			}
		}
		if err := tx.Model(&Slot{}).Where("id = ?", s.ID).UpdateColumn("walk_ins", gorm.Expr("walk_ins + 1")).Error; err != nil {
			return translate(err)
		}
		w = WalkIn{DayID: dayID, SlotID: s.ID, StationID: d.StationID, Name: name, Topic: topic,
			BeyondSeats: s.WalkIns >= s.WalkInSeats, CreatedAt: now.UTC()}
		if err := tx.Create(&w).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, scope.Actor, "reception_day.walk_in", "reception_day", dayID, "", "", fmt.Sprint("walk_in ", w.ID))
	})
	return w, err
}

// ReceptionRecord is one deputy's part in one finished reception day, for
// the performance records (履职档案).
type ReceptionRecord struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	DayID     uint64 `gorm:"not null;uniqueIndex:idx_record_day_deputy,priority:1" json:"day_id"`
	DeputyID  uint64 `gorm:"not null;uniqueIndex:idx_record_day_deputy,priority:2;index" json:"deputy_id"`
	StationID uint64 `gorm:"not null;index" json:"station_id"`
	Date      string `gorm:"size:10;not null;index" json:"date"`
	// VotersReceived is CheckedIn + WalkIns.
	VotersReceived int       `gorm:"not null" json:"voters_received"`
	CheckedIn      int       `gorm:"not null" json:"checked_in"`
	WalkIns        int       `gorm:"not null" json:"walk_ins"`
	NoShows        int       `gorm:"not null" json:"no_shows"`
	CreatedAt      time.Time `json:"created_at"`
}

// CloseReport says what closing a day did.
type CloseReport struct {
	NoShows, ExpiredWaitlist, Records int
	AlreadyClosed                     bool
}

// CloseReceptionDay finishes a day once its last slot has ended: confirmed
// bookings become no_show, the waitlist expires, and each deputy who was
// signed in at the desk gets a ReceptionRecord (being on the roster is not
// attending). Closing a closed day changes nothing.
func CloseReceptionDay(ctx context.Context, db *gorm.DB, dayID uint64, now time.Time) (CloseReport, error) {
	var rep CloseReport
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		rep = CloseReport{}
		var d ReceptionDay
		if err := lockingUpdate(tx).First(&d, dayID).Error; err != nil {
			return notFoundAs(err, ErrReceptionDayNotFound)
		}
		if d.Status == DayClosed {
			rep.AlreadyClosed = true
			return nil
		}
		if now.Before(d.EndsAt) {
			return ErrReceptionNotFinished
		}
		at := now.UTC()
		// Slots before bookings: the lock order of the booking functions.
		var slots []Slot
		if err := lockingUpdate(tx).Where("day_id = ?", dayID).Find(&slots).Error; err != nil {
			return translate(err)
		}
		res := tx.Model(&Booking{}).Where("day_id = ? AND status = ?", dayID, BookingConfirmed).
			Updates(map[string]any{"status": BookingNoShow, "active_key": nil, "updated_at": at})
		if res.Error != nil {
			return translate(res.Error)
		}
		rep.NoShows = int(res.RowsAffected)
		res = tx.Model(&Booking{}).Where("day_id = ? AND status = ?", dayID, BookingWaitlisted).
			Updates(map[string]any{"status": BookingCancelled, "active_key": nil, "cancel_reason": CancelWaitlistExpired,
				"cancelled_at": at, "updated_at": at})
		if res.Error != nil {
			return translate(res.Error)
		}
		rep.ExpiredWaitlist = int(res.RowsAffected)
		if err := tx.Model(&Slot{}).Where("day_id = ?", dayID).UpdateColumn("waitlisted", 0).Error; err != nil {
			return translate(err)
		}
		var checkedIn, walkIns int64
		if err := tx.Model(&Booking{}).Where("day_id = ? AND status = ?", dayID, BookingCheckedIn).Count(&checkedIn).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&WalkIn{}).Where("day_id = ?", dayID).Count(&walkIns).Error; err != nil {
			return translate(err)
		}
		var deputies []uint64
		if err := tx.Model(&RosterEntry{}).Where("day_id = ? AND signed_in_at IS NOT NULL", dayID).
			Order("deputy_id").Pluck("deputy_id", &deputies).Error; err != nil {
			return translate(err)
		}
		records := make([]ReceptionRecord, len(deputies))
		for i, dep := range deputies {
			records[i] = ReceptionRecord{DayID: dayID, DeputyID: dep, StationID: d.StationID, Date: d.Date,
				VotersReceived: int(checkedIn + walkIns), CheckedIn: int(checkedIn), WalkIns: int(walkIns),
				NoShows: rep.NoShows, CreatedAt: at}
		}
		if len(records) > 0 {
			if err := tx.Create(&records).Error; err != nil {
				return translate(err)
			}
		}
		rep.Records = len(records)
		if err := tx.Model(&ReceptionDay{}).Where("id = ?", dayID).
			Updates(map[string]any{"status": DayClosed, "closed_at": at, "updated_at": at}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, SystemActor, "reception_day.close", "reception_day", dayID, string(DayOpen), string(DayClosed),
			fmt.Sprintf("预约签到%d人，现场登记%d人，未到%d人", checkedIn, walkIns, rep.NoShows))
	})
	return rep, err
}

// CloseFinishedDays closes every open day dated before today in loc (a
// nightly job) and returns how many it closed; a second run closes none.
func CloseFinishedDays(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (int, error) {
	var ids []uint64
	if err := db.WithContext(ctx).Model(&ReceptionDay{}).Where("status = ? AND date < ?", DayOpen, localDate(now, loc)).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, translate(err)
	}
	n := 0
	for _, id := range ids {
		rep, err := CloseReceptionDay(ctx, db, id, now)
		if err != nil {
			return n, fmt.Errorf("close reception day %d: %w", id, err)
		}
		if !rep.AlreadyClosed {
			n++
		}
	}
	return n, nil
}

// ListDayBookings lists a day's bookings for staff (and the roster digest),
// in slot order then waitlist order.
func ListDayBookings(ctx context.Context, db *gorm.DB, scope StaffScope, dayID uint64) ([]Booking, error) {
	var d ReceptionDay
	if err := db.WithContext(ctx).First(&d, dayID).Error; err != nil || !scope.Allows(d.StationID) {
		return nil, notFoundAs(orRefuse(err, gorm.ErrRecordNotFound), ErrReceptionDayNotFound)
	}
	var rows []Booking
	err := db.WithContext(ctx).Where("day_id = ?", dayID).Order("slot_id, waitlist_seq, id").Find(&rows).Error
	return rows, translate(err)
}

// ListBookingsOn lists every booking on a date in the given statuses, e.g.
// the confirmed ones for the reminder the evening before.
func ListBookingsOn(ctx context.Context, db *gorm.DB, date string, statuses ...BookingStatus) ([]Booking, error) {
	var rows []Booking
	err := db.WithContext(ctx).Where("date = ? AND status IN ?", date, statuses).Order("id").Find(&rows).Error
	return rows, translate(err)
}

// ListReceptionRecords lists a deputy's reception records between two
// dates (inclusive), oldest first.
func ListReceptionRecords(ctx context.Context, db *gorm.DB, deputyID uint64, from, to string) ([]ReceptionRecord, error) {
	var rows []ReceptionRecord
	err := db.WithContext(ctx).Where("deputy_id = ? AND date >= ? AND date <= ?", deputyID, from, to).
		Order("date, id").Find(&rows).Error
	return rows, translate(err)
}
