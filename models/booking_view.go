package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// BookingView is the public form of a booking (docs/ARCHITECTURE.md#contracts).
type BookingView struct {
	ID          uint64        `json:"id"`
	Status      BookingStatus `json:"status"`
	CheckinCode string        `json:"checkin_code"`
	Topic       string        `json:"topic"`
	Date        string        `json:"date"`
	Slot        SlotView      `json:"slot"`
	Station     StationView   `json:"station"`
	// WaitlistPosition is 1 for the next voter to get a seat; 0 unless waitlisted.
	WaitlistPosition int        `json:"waitlist_position,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	CheckedInAt      *time.Time `json:"checked_in_at,omitempty"`
}

// BookingQuery pages a voter's bookings, newest first.
type BookingQuery struct {
	Cursor string
	Limit  int
	Loc    *time.Location // nil means UTC
}

// ListVoterBookings lists a voter's own bookings, newest first, and the
// cursor of the next page ("" at the end).
func ListVoterBookings(ctx context.Context, db *gorm.DB, voterID uint64, q BookingQuery) ([]BookingView, string, error) {
	db = db.WithContext(ctx)
	tx := db.Where("voter_id = ?", voterID)
	if q.Cursor != "" {
		var before uint64
		if _, err := fmt.Sscanf(q.Cursor, "%d", &before); err != nil {
			return nil, "", Invalid("cursor", "分页参数无效")
		}
		tx = tx.Where("id < ?", before)
	}
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	var rows []Booking
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", translate(err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = fmt.Sprint(rows[limit-1].ID)
	}
	views, err := ViewBookings(ctx, db, rows, q.Loc)
	return views, next, err
}

// GetVoterBooking returns one of the voter's own bookings; another voter's
// booking is ErrBookingNotFound.
func GetVoterBooking(ctx context.Context, db *gorm.DB, voterID, bookingID uint64, loc *time.Location) (BookingView, error) {
	var b Booking
	if err := db.WithContext(ctx).Where("id = ? AND voter_id = ?", bookingID, voterID).First(&b).Error; err != nil {
		return BookingView{}, notFoundAs(err, ErrBookingNotFound)
	}
	views, err := ViewBookings(ctx, db, []Booking{b}, loc)
	if err != nil {
		return BookingView{}, err
	}
	return views[0], nil
}

// ViewBookings turns bookings into their public form, e.g. the result of
// BookSlot for the HTTP response.
func ViewBookings(ctx context.Context, db *gorm.DB, bs []Booking, loc *time.Location) ([]BookingView, error) {
	db = db.WithContext(ctx)
	out := make([]BookingView, 0, len(bs))
	if len(bs) == 0 {
		return out, nil
	}
	slotIDs, stationIDs := make([]uint64, len(bs)), make([]uint64, len(bs))
	for i, b := range bs {
		slotIDs[i], stationIDs[i] = b.SlotID, b.StationID
	}
	var slots []Slot
	if err := db.Where("id IN ?", slotIDs).Find(&slots).Error; err != nil {
		return nil, translate(err)
	}
	byID := map[uint64]Slot{}
	for _, s := range slots {
		byID[s.ID] = s
	}
	stations, err := stationViewsByID(db, stationIDs)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		v := BookingView{ID: b.ID, Status: b.Status, CheckinCode: b.CheckinCode, Topic: b.Topic, Date: b.Date,
			Slot: slotView(byID[b.SlotID], loc), Station: stations[b.StationID], CreatedAt: inLoc(b.CreatedAt, loc)}
		if b.CancelledAt != nil {
			t := inLoc(*b.CancelledAt, loc)
			v.CancelledAt = &t
		}
		if b.CheckedInAt != nil {
			t := inLoc(*b.CheckedInAt, loc)
			v.CheckedInAt = &t
		}
		if b.Status == BookingWaitlisted {
			var ahead int64
			if err := db.Model(&Booking{}).Where("slot_id = ? AND status = ? AND waitlist_seq < ?",
				b.SlotID, BookingWaitlisted, b.WaitlistSeq).Count(&ahead).Error; err != nil {
				return nil, translate(err)
			}
			v.WaitlistPosition = int(ahead) + 1
		}
		out = append(out, v)
	}
	return out, nil
}
