package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// BookingStatus is where a booking is in its life.
type BookingStatus string

// Booking statuses (docs/ARCHITECTURE.md#contracts).
const (
	BookingConfirmed  BookingStatus = "confirmed"
	BookingWaitlisted BookingStatus = "waitlisted"
	BookingCancelled  BookingStatus = "cancelled"
	BookingCheckedIn  BookingStatus = "checked_in"
	BookingNoShow     BookingStatus = "no_show"
)

// Active reports whether a booking in status s counts against the voter's
// one booking per reception date.
func (s BookingStatus) Active() bool {
	return s == BookingConfirmed || s == BookingWaitlisted || s == BookingCheckedIn
}

// Why a booking was cancelled.
const (
	CancelByVoter         = "voter"
	CancelWaitlistExpired = "waitlist_expired" // the day ended before a seat freed up
	CancelVoterErased     = "voter_erased"     // the voter deleted their data (EraseVoter)
)

// Booking is a voter's place in a slot: a seat (confirmed) or a place in
// the slot's waitlist.
//
// ActiveKey is "<voter_id>:<date>" while the booking is active and NULL
// otherwise; its UNIQUE index makes the database itself refuse a second
// active booking of one voter on one date, at any station (NULLs never
// collide in MySQL or SQLite).
type Booking struct {
	ID        uint64        `gorm:"primaryKey" json:"id"`
	VoterID   uint64        `gorm:"not null;index;uniqueIndex:idx_booking_idem,priority:1" json:"voter_id"`
	SlotID    uint64        `gorm:"not null;index:idx_booking_queue,priority:1" json:"slot_id"`
	DayID     uint64        `gorm:"not null;uniqueIndex:idx_booking_checkin,priority:1" json:"day_id"`
	StationID uint64        `gorm:"not null;index" json:"station_id"`
	Date      string        `gorm:"size:10;not null;index" json:"date"`
	Status    BookingStatus `gorm:"size:16;not null;index:idx_booking_queue,priority:2" json:"status"`
	Topic     string        `gorm:"size:200;not null" json:"topic"`
	// CheckinCode is read aloud to staff; unique within the day.
	CheckinCode string `gorm:"size:8;not null;uniqueIndex:idx_booking_checkin,priority:2" json:"checkin_code"`
	// WaitlistSeq orders the waitlist (the slot's QueueSeq when it joined).
	WaitlistSeq  int64      `gorm:"not null;default:0;index:idx_booking_queue,priority:3" json:"-"`
	ActiveKey    *string    `gorm:"size:40;uniqueIndex" json:"-"`
	CancelReason string     `gorm:"size:16;not null;default:''" json:"cancel_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	CancelledAt  *time.Time `json:"cancelled_at,omitempty"`
	CheckedInAt  *time.Time `json:"checked_in_at,omitempty"`
	// IdempotencyKey is the Idempotency-Key of the request that made the
	// booking, unique per voter: a retry whose stored answer is gone from
	// Redis finds the booking here (BookSlotKeyed).
	IdempotencyKey *string `gorm:"size:64;uniqueIndex:idx_booking_idem,priority:2" json:"-"`
	// Replayed is set (not stored) when BookSlotKeyed returned the booking
	// an earlier request with the same key made.
	Replayed bool `gorm:"-" json:"-"`
}

// Booking errors, with the API's codes.
var (
	ErrSlotNotFound     = Coded(ErrNotFound, "slot_not_found", "没有找到这个预约时段")
	ErrBookingNotFound  = Coded(ErrNotFound, "booking_not_found", "没有找到这条预约")
	ErrSlotFull         = Coded(ErrConflict, "slot_full", "这个时段已经约满了，请选择其他时段")
	ErrAlreadyBooked    = Coded(ErrConflict, "already_booked", "您在这一天已有预约，每个接待日只能预约一个时段")
	ErrReceptionStarted = Coded(ErrConflict, "reception_started", "接待已经开始，不能再取消或改约")
	ErrBookingNotActive = Coded(ErrConflict, "booking_not_active", "这条预约已取消或已结束，不能再修改")
	ErrBookingKeyReused = Coded(ErrConflict, "idempotency_key_reused", "同一个请求标识已用于预约另一个时段。")
)

// BookingEventKind names what happened to a booking.
type BookingEventKind string

// Booking events the lead turns into notifications.
const (
	EventConfirmed  BookingEventKind = "confirmed"  // a new booking got a seat
	EventWaitlisted BookingEventKind = "waitlisted" // a new booking joined the waitlist
	EventPromoted   BookingEventKind = "promoted"   // a waitlisted booking got a freed seat
	EventMoved      BookingEventKind = "moved"      // moved to another slot (see Status)
	EventCancelled  BookingEventKind = "cancelled"  // cancelled by the voter
)

// BookingEvent is one thing to tell a voter about. The booking functions
// return them instead of writing the outbox, so the caller can Enqueue them
// inside the same transaction (see BookSlot).
type BookingEvent struct {
	Kind                                         BookingEventKind
	BookingID, VoterID, StationID, DayID, SlotID uint64
	Status                                       BookingStatus
	Date                                         string
	StartAt                                      time.Time
	At                                           time.Time
}

// DedupeKey names the event for the outbox's DedupeKey.
func (e BookingEvent) DedupeKey() string {
	return fmt.Sprintf("booking:%d:%s:%d:%d", e.BookingID, e.Kind, e.SlotID, e.At.UnixMilli())
}

// BookingEvents is what one booking operation changed, in order.
type BookingEvents []BookingEvent

// Of returns the events of one kind.
func (es BookingEvents) Of(kind BookingEventKind) []BookingEvent {
	var out []BookingEvent
	for _, e := range es {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func eventOf(kind BookingEventKind, b Booking, s Slot, now time.Time) BookingEvent {
	return BookingEvent{Kind: kind, BookingID: b.ID, VoterID: b.VoterID, StationID: b.StationID, DayID: b.DayID,
		SlotID: b.SlotID, Status: b.Status, Date: b.Date, StartAt: s.StartAt, At: now.UTC()}
}

// BookSlot books a seat in a slot for a voter, or a waitlist place when the
// slot is full and its day has a waitlist with room.
//
// It runs in one transaction, or in a savepoint when db is already a
// transaction: a handler can wrap BookSlot and the outbox Enqueue of the
// returned events in one outer RunTx, so the notification exists exactly
// when the booking does. The seat is taken by a conditional UPDATE
// (confirmed < capacity), and the booking row is unique per voter and date;
// any failure rolls the seat back.
//
// Errors: ErrSlotNotFound, ErrBookingClosed, ErrSlotFull, ErrAlreadyBooked,
// or a ValidationError for the topic.
func BookSlot(ctx context.Context, db *gorm.DB, voterID, slotID uint64, topic string, now time.Time) (Booking, BookingEvents, error) {
	return BookSlotKeyed(ctx, db, voterID, slotID, topic, "", now)
}

// BookSlotKeyed is BookSlot for a request carrying an idempotency key (the
// Idempotency-Key header, already checked by the caller): the key is stored
// on the new booking, unique per voter. When the voter already has a booking
// made with that key (the first request committed but its answer was lost),
// that booking is returned as it is now, Replayed set and no events, instead
// of a refusal: the booking is only looked for once booking failed, so a
// new key costs no extra query. The same key for another slot is
// ErrBookingKeyReused.
func BookSlotKeyed(ctx context.Context, db *gorm.DB, voterID, slotID uint64, topic, idemKey string, now time.Time) (Booking, BookingEvents, error) {
	return BookSlotWith(ctx, db, voterID, slotID, topic, idemKey, now, BookingHooks{})
}

// BookingHooks is a caller's own work inside BookSlotWith's transaction.
type BookingHooks struct {
	// Begin runs first in the transaction: a refusal it returns costs no
	// statement.
	Begin func(tx *gorm.DB) error
	// Written runs in the transaction once the booking row is written,
	// with the booking, its events and the slot as read; what it writes
	// (the outbox rows) commits or rolls back with the booking. When the
	// slot had a free seat it runs before the seat is taken (see
	// BookSlotWith), and the booking's status is the final one either way.
	Written func(tx *gorm.DB, b Booking, ev BookingEvents, slot Slot) error
}

// errSeatTaken is BookSlotWith's first attempt finding no free seat after
// all: the transaction rolls back and the booking is tried the careful way.
var errSeatTaken = errors.New("booking: the free seat was taken meanwhile")

// BookSlotWith is BookSlotKeyed with the caller's hooks in its transaction.
//
// The seat is taken last: when the slot's counters, as read, show a free
// seat, the booking row and whatever hooks.Written writes go in first and
// the conditional UPDATE of the seat comes last, so the slot's row lock,
// which every voter booking the slot queues behind, is held for that
// UPDATE and the commit only. When that UPDATE finds the slot full after
// all, everything rolls back and the booking runs again seat first (a
// waitlist place or ErrSlotFull, under the lock as before). When db is
// already a transaction, each attempt is a savepoint of it.
func BookSlotWith(ctx context.Context, db *gorm.DB, voterID, slotID uint64, topic, idemKey string, now time.Time, hooks BookingHooks) (Booking, BookingEvents, error) {
	b, ev, err := bookSlot(ctx, db, voterID, slotID, topic, idemKey, now, hooks, true)
	if errors.Is(err, errSeatTaken) {
		b, ev, err = bookSlot(ctx, db, voterID, slotID, topic, idemKey, now, hooks, false)
	}
	if err == nil || idemKey == "" {
		return b, ev, err
	}
	// Past the transaction's snapshot on MySQL: the first request may have
	// committed while this one ran.
	var prev Booking
	res := lockingUpdate(db.WithContext(ctx)).Where("voter_id = ? AND idempotency_key = ?", voterID, idemKey).Limit(1).Find(&prev)
	if res.Error != nil || res.RowsAffected == 0 {
		return Booking{}, nil, err
	}
	if prev.SlotID != slotID {
		return Booking{}, nil, ErrBookingKeyReused
	}
	prev.Replayed = true
	return prev, nil, nil
}

// bookSlot is one attempt of BookSlotWith; seatLast tries the free seat
// last, and errSeatTaken says it was gone.
func bookSlot(ctx context.Context, db *gorm.DB, voterID, slotID uint64, topic, idemKey string, now time.Time, hooks BookingHooks, seatLast bool) (Booking, BookingEvents, error) {
	topic, err := cleanTopic(topic)
	if err != nil {
		return Booking{}, nil, err
	}
	var b Booking
	var ev BookingEvents
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		if hooks.Begin != nil {
			if err := hooks.Begin(tx); err != nil {
				return err
			}
		}
		var slot Slot
		var day ReceptionDay
		if err := tx.First(&slot, slotID).Error; err != nil {
			return notFoundAs(err, ErrSlotNotFound)
		}
		if err := tx.First(&day, slot.DayID).Error; err != nil {
			return notFoundAs(err, ErrSlotNotFound)
		}
		if err := day.CheckBookingWindow(now); err != nil {
			return err
		}
		key := activeKeyOf(voterID, day.Date)
		// Fast refusal; the unique index decides races.
		if taken, err := activeKeyTaken(tx, key, 0, false); err != nil || taken {
			return orRefuse(err, ErrAlreadyBooked)
		}
		// A burst on a full slot is refused here, from the snapshot, without
		// queueing on the slot's row lock.
		admitted, err := slot.Admission(day)
		if err != nil {
			return err
		}
		b = Booking{VoterID: voterID, SlotID: slot.ID, DayID: day.ID, StationID: day.StationID, Date: day.Date,
			Status: BookingConfirmed, Topic: topic, ActiveKey: &key, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
		if idemKey != "" {
			b.IdempotencyKey = &idemKey
		}
		written := func() error {
			if err := writeBooking(tx, &b, nil); err != nil {
				return err
			}
			kind := EventConfirmed
			if b.Status == BookingWaitlisted {
				kind = EventWaitlisted
			}
			ev = BookingEvents{eventOf(kind, b, slot, now)}
			if hooks.Written != nil {
				return hooks.Written(tx, b, ev, slot)
			}
			return nil
		}
		if seatLast && admitted == BookingConfirmed {
			if err := written(); err != nil {
				return err
			}
			if took, err := takeFreeSeat(tx, slot.ID); err != nil || !took {
				return orRefuse(err, errSeatTaken)
			}
			return nil
		}
		if b.Status, b.WaitlistSeq, err = takeSeat(tx, slot.ID, day, true); err != nil {
			return err
		}
		return written()
	})
	if err != nil {
		return Booking{}, nil, err
	}
	return b, ev, nil
}

// CancelBooking cancels a voter's own booking (another voter's id is
// ErrBookingNotFound) until its slot starts. A freed seat goes to the first
// voter on the slot's waitlist in the same transaction; the events name the
// cancelled and the promoted bookings. Cancelling twice is harmless.
func CancelBooking(ctx context.Context, db *gorm.DB, voterID, bookingID uint64, now time.Time) (Booking, BookingEvents, error) {
	var b Booking
	var ev BookingEvents
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		ev = nil
		var slots map[uint64]Slot
		var err error
		if b, slots, err = lockOwnBooking(tx, voterID, bookingID, 0); err != nil {
			return err
		}
		slot := slots[b.SlotID]
		switch {
		case b.Status == BookingCancelled:
			return nil
		case b.Status != BookingConfirmed && b.Status != BookingWaitlisted:
			return ErrBookingNotActive
		case !now.Before(slot.StartAt):
			return ErrReceptionStarted
		}
		was, at := b.Status, now.UTC()
		err = tx.Model(&Booking{}).Where("id = ? AND status = ?", b.ID, was).Updates(map[string]any{
			"status": BookingCancelled, "active_key": nil, "cancel_reason": CancelByVoter,
			"cancelled_at": at, "updated_at": at}).Error
		if err != nil {
			return translate(err)
		}
		b.Status, b.ActiveKey, b.CancelReason, b.CancelledAt, b.UpdatedAt = BookingCancelled, nil, CancelByVoter, &at, at
		ev, err = leaveWith(tx, eventOf(EventCancelled, b, slot, now), slot, was, now)
		return err
	})
	if err != nil {
		return Booking{}, nil, err
	}
	return b, ev, nil
}

// MoveBooking moves a voter's booking to another slot, the same day or
// another date, atomically: if the new slot is full, closed or on a date
// the voter already has a booking for, nothing changes and the old seat is
// kept. A confirmed booking only moves to a free seat (never onto a
// waitlist); a waitlisted one takes a free seat or joins the new slot's
// waitlist at its end. The row is updated in place and keeps its id.
func MoveBooking(ctx context.Context, db *gorm.DB, voterID, bookingID, newSlotID uint64, now time.Time) (Booking, BookingEvents, error) {
	var b Booking
	var ev BookingEvents
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		ev = nil
		var slots map[uint64]Slot
		var err error
		if b, slots, err = lockOwnBooking(tx, voterID, bookingID, newSlotID); err != nil {
			return err
		}
		oldSlot, newSlot := slots[b.SlotID], slots[newSlotID]
		switch {
		case !b.Status.Active() || b.Status == BookingCheckedIn:
			return ErrBookingNotActive
		case b.SlotID == newSlotID:
			return nil
		case newSlot.ID == 0:
			return ErrSlotNotFound
		case !now.Before(oldSlot.StartAt):
			return ErrReceptionStarted
		}
		var day ReceptionDay
		if err := tx.First(&day, newSlot.DayID).Error; err != nil {
			return notFoundAs(err, ErrSlotNotFound)
		}
		if err := day.CheckBookingWindow(now); err != nil {
			return err
		}
		key := activeKeyOf(voterID, day.Date)
		if taken, err := activeKeyTaken(tx, key, b.ID, false); err != nil || taken {
			return orRefuse(err, ErrAlreadyBooked)
		}
		status, seq, err := takeSeat(tx, newSlot.ID, day, b.Status == BookingWaitlisted)
		if err != nil {
			return err
		}
		was, oldDay := b.Status, b.DayID
		b.SlotID, b.DayID, b.StationID, b.Date, b.Status, b.WaitlistSeq = newSlot.ID, day.ID, day.StationID, day.Date, status, seq
		b.ActiveKey, b.UpdatedAt = &key, now.UTC()
		if err := writeBooking(tx, &b, &oldDay); err != nil {
			return err
		}
		ev, err = leaveWith(tx, eventOf(EventMoved, b, newSlot, now), oldSlot, was, now)
		return err
	})
	if err != nil {
		return Booking{}, nil, err
	}
	return b, ev, nil
}

// leaveWith is the events of a booking that left slot while it was was:
// first, then the promotions leaving the seat or waitlist place caused.
func leaveWith(tx *gorm.DB, first BookingEvent, slot Slot, was BookingStatus, now time.Time) (BookingEvents, error) {
	promoted, err := leaveSlot(tx, slot, was, now)
	return append(BookingEvents{first}, promoted...), err
}

// orRefuse returns err when there is one, else the refusal.
func orRefuse(err, refusal error) error {
	if err != nil {
		return err
	}
	return refusal
}

func activeKeyOf(voterID uint64, date string) string { return fmt.Sprintf("%d:%s", voterID, date) }

// activeKeyTaken reports whether another booking (not id self) holds key.
// locking makes it a locking read on MySQL, which sees rows committed after
// the transaction's snapshot was taken.
func activeKeyTaken(tx *gorm.DB, key string, self uint64, locking bool) (bool, error) {
	q := "SELECT id FROM bookings WHERE active_key = ? AND id <> ?"
	if locking && DialectOf(tx) == MySQL {
		q += " LOCK IN SHARE MODE"
	}
	var ids []uint64
	if err := tx.Raw(q, key, self).Scan(&ids).Error; err != nil {
		return false, translate(err)
	}
	return len(ids) > 0, nil
}

// takeSeat takes a seat in the slot with a conditional UPDATE, or, when the
// slot is full and waitlisting is allowed, a waitlist place (within the
// day's cap). It returns the status and the waitlist sequence number.
func takeSeat(tx *gorm.DB, slotID uint64, day ReceptionDay, waitlist bool) (BookingStatus, int64, error) {
	if took, err := takeFreeSeat(tx, slotID); err != nil || took {
		return BookingConfirmed, 0, err
	}
	// Full, or gone (a day regenerated since we read it): a locking read sees which.
	var s Slot
	if found, err := lockFind(tx, &s, "id = ?", slotID); err != nil || !found {
		return "", 0, orRefuse(err, ErrSlotNotFound)
	}
	if !waitlist || !day.Waitlist {
		return "", 0, ErrSlotFull
	}
	q := tx.Model(&Slot{}).Where("id = ?", slotID)
	if day.WaitlistMax > 0 {
		q = q.Where("waitlisted < ?", day.WaitlistMax)
	}
	res := q.UpdateColumns(map[string]any{"waitlisted": gorm.Expr("waitlisted + 1"), "queue_seq": gorm.Expr("queue_seq + 1")})
	if res.Error != nil {
		return "", 0, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return "", 0, ErrSlotFull
	}
	// Our own UPDATE holds the row, so this read sees our increment.
	var seq int64
	if err := tx.Raw("SELECT queue_seq FROM slots WHERE id = ?", slotID).Scan(&seq).Error; err != nil {
		return "", 0, translate(err)
	}
	return BookingWaitlisted, seq, nil
}

// takeFreeSeat takes a free seat of the slot, if it has one.
func takeFreeSeat(tx *gorm.DB, slotID uint64) (bool, error) {
	res := tx.Model(&Slot{}).Where("id = ? AND confirmed < capacity", slotID).
		UpdateColumn("confirmed", gorm.Expr("confirmed + 1"))
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// leaveSlot updates the counters of a slot a booking left, and a freed
// seat goes to the waitlist.
func leaveSlot(tx *gorm.DB, s Slot, was BookingStatus, now time.Time) (BookingEvents, error) {
	if err := vacate(tx, s, was); err != nil || was != BookingConfirmed {
		return nil, err
	}
	return promote(tx, s, now)
}

// vacate takes a booking that was in status was off the slot's counters.
func vacate(tx *gorm.DB, s Slot, was BookingStatus) error {
	col := "waitlisted"
	if was == BookingConfirmed {
		col = "confirmed"
	}
	res := tx.Model(&Slot{}).Where("id = ? AND "+col+" > 0", s.ID).UpdateColumn(col, gorm.Expr(col+" - 1"))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("slot %d: %s counter out of step with its bookings", s.ID, col)
	}
	return nil
}

// promote gives free seats of a locked slot to its waitlist, first come
// first served.
func promote(tx *gorm.DB, s Slot, now time.Time) (BookingEvents, error) {
	var ev BookingEvents
	for {
		var next Booking
		res := lockingUpdate(tx).Where("slot_id = ? AND status = ?", s.ID, BookingWaitlisted).
			Order("waitlist_seq, id").Limit(1).Find(&next)
		if res.Error != nil || res.RowsAffected == 0 {
			return ev, translate(res.Error)
		}
		res = tx.Model(&Slot{}).Where("id = ? AND confirmed < capacity AND waitlisted > 0", s.ID).
			UpdateColumns(map[string]any{"confirmed": gorm.Expr("confirmed + 1"), "waitlisted": gorm.Expr("waitlisted - 1")})
		if res.Error != nil || res.RowsAffected == 0 {
			return ev, translate(res.Error)
		}
		at := now.UTC()
		if err := tx.Model(&Booking{}).Where("id = ?", next.ID).
			Updates(map[string]any{"status": BookingConfirmed, "updated_at": at}).Error; err != nil {
			return ev, translate(err)
		}
		next.Status, next.UpdatedAt = BookingConfirmed, at
		ev = append(ev, eventOf(EventPromoted, next, s, now))
	}
}

// lockOwnBooking loads the voter's booking and locks its slot (plus slot
// extra, when not 0), slots first in id order and then the booking, the
// order every booking transaction takes locks in.
func lockOwnBooking(tx *gorm.DB, voterID, bookingID, extra uint64) (Booking, map[uint64]Slot, error) {
	for range 3 {
		var b Booking
		if err := tx.Where("id = ? AND voter_id = ?", bookingID, voterID).First(&b).Error; err != nil {
			return Booking{}, nil, notFoundAs(err, ErrBookingNotFound)
		}
		var slots []Slot
		if err := lockingUpdate(tx).Where("id IN ?", []uint64{b.SlotID, extra}).Order("id").Find(&slots).Error; err != nil {
			return Booking{}, nil, translate(err)
		}
		byID := make(map[uint64]Slot, len(slots))
		for _, s := range slots {
			byID[s.ID] = s
		}
		if err := lockingUpdate(tx).Where("id = ?", bookingID).First(&b).Error; err != nil {
			return Booking{}, nil, translate(err)
		}
		if _, ok := byID[b.SlotID]; ok {
			return b, byID, nil
		}
		// The booking moved between the two reads: lock its new slot instead.
	}
	return Booking{}, nil, fmt.Errorf("%w: booking %d keeps moving", ErrConflict, bookingID)
}

// writeBooking inserts b, or, with oldDay set, updates it in place. A new
// day gets a fresh check-in code, retried on the (rare) clash within the
// day; a clash on ActiveKey is ErrAlreadyBooked.
func writeBooking(tx *gorm.DB, b *Booking, oldDay *uint64) error {
	for range 5 {
		if oldDay == nil || *oldDay != b.DayID {
			b.CheckinCode = newCheckinCode()
		}
		var err error
		if oldDay == nil {
			err = tx.Create(b).Error
		} else {
			err = tx.Model(&Booking{}).Where("id = ?", b.ID).Updates(map[string]any{
				"slot_id": b.SlotID, "day_id": b.DayID, "station_id": b.StationID, "date": b.Date,
				"status": b.Status, "waitlist_seq": b.WaitlistSeq, "active_key": b.ActiveKey,
				"checkin_code": b.CheckinCode, "updated_at": b.UpdatedAt}).Error
		}
		if err = translate(err); !errors.Is(err, ErrConflict) {
			return err
		}
		if taken, err := activeKeyTaken(tx, *b.ActiveKey, b.ID, true); err != nil || taken {
			return orRefuse(err, ErrAlreadyBooked)
		}
	}
	return errors.New("booking: no free check-in code")
}

// CheckinCodeLen is the length of a check-in code.
const CheckinCodeLen = 6

// newCheckinCode draws from CodeAlphabet, which has no look-alike characters.
func newCheckinCode() string {
	var b strings.Builder
	n := big.NewInt(int64(len(CodeAlphabet)))
	for range CheckinCodeLen {
		i, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic(err)
		}
		b.WriteByte(CodeAlphabet[i.Int64()])
	}
	return b.String()
}

// cleanTopic cleans the voter's topic (CleanLine) and checks its length.
func cleanTopic(s string) (string, error) {
	s = CleanLine(s)
	if utf8.RuneCountInString(s) > 200 {
		return "", Invalid("topic", "想反映的事项不能超过200个字")
	}
	return s, nil
}
