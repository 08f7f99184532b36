package models

// Booking result notices.
//
// What they say: the result (预约成功 / 已进入候补 / 候补成功，已为您保留座位
// / 改约成功 / 改约成功，候补中), the station, the slot's time, the check-in
// code, the topic (未填写 when none), the station's address and a hint
// (请凭签到码按时到场, or how the waitlist works); NotifyField*.
//
// To whom: the voter whose booking it is, through the mini-program
// subscribe template Reception.BookingResult (DEPUTYLINK_TPL_BOOKING_RESULT),
// opening the booking's page.
//
// When: in the transaction of the booking operation that raised the event
// (BookingEvents): a booking confirmed or waitlisted, a waitlisted voter
// promoted when another cancels or moves away, a booking moved. A cancel is
// the voter's own doing and tells nobody.
//
// Consent: each message is the voter notice NoticeBookingResult, written
// through the consent rule (reserveConsent): it spends one of the voter's
// one-time consents for the template with its row (a long-term consent is
// checked, not spent). A voter without a mini-program openid or a consent
// hears nothing (the answer and the mini-program show the result anyway). A
// waitlist place is only announced while a second one-time consent is
// left, so one stays for the promotion that matters more. The reminder has
// a template of its own, so it never spends a booking result's consent.

import (
	"context"
	"fmt"
	"time"

	"deputylink/config"

	"gorm.io/gorm"
)

// BookingPage is the mini-program page that shows one booking; the voter's
// notifications open it with "?id=<booking id>".
const BookingPage = "pages/booking/detail"

// Our field names in the reception-day notifications (booking results,
// reminders, staff rosters); map them onto the granted templates' keywords
// with DEPUTYLINK_TPL_*. Values of free text (thing keywords) are cut to
// ThingMax characters.
const (
	NotifyFieldResult     = "result"     // 预约成功 / 已进入候补 / 候补成功 / 改约成功
	NotifyFieldStation    = "station"    // the station's name
	NotifyFieldTime       = "time"       // "2026年3月10日 09:00~09:30" local time
	NotifyFieldCode       = "code"       // the check-in code, e.g. "K7Q2MX"
	NotifyFieldTopic      = "topic"      // what the voter wants to raise, or 未填写
	NotifyFieldAddress    = "address"    // the station's address
	NotifyFieldNote       = "note"       // a hint for the voter or staff
	NotifyFieldDeputies   = "deputies"   // the deputies on duty, 、-separated
	NotifyFieldTitle      = "title"      // 明日接待安排
	NotifyFieldDate       = "date"       // "2026年3月10日"
	NotifyFieldBooked     = "booked"     // confirmed seats, digits
	NotifyFieldWaitlisted = "waitlisted" // waitlisted voters, digits
	NotifyFieldSummary    = "summary"    // "已约12人，候补3人"
	NotifyFieldSlots      = "slots"      // per-slot counts, "09:00 4人 09:30 6人…"
)

// bookingNoticeKinds are the events a voter hears about, with the text of
// the result and note fields and how many consents the voter must have
// left. A waitlist place is only announced while a second consent is left,
// so one stays for the promotion that matters more; the voter sees the
// waitlist place on screen anyway. A cancel is the voter's own doing.
var bookingNoticeKinds = map[BookingEventKind]struct {
	result, note string
	need         int
}{
	EventConfirmed:  {"预约成功", "请凭签到码按时到场", 1},
	EventWaitlisted: {"已进入候补", "有人取消时将按顺序为您转为正式预约", 2},
	EventPromoted:   {"候补成功，已为您保留座位", "请凭签到码按时到场", 1},
	EventMoved:      {"改约成功", "请凭签到码按时到场", 1},
}

// BookingNotices is what the notices of one booking operation read: the
// configuration, and a cache of voters' openids and consents, bookings,
// slots and stations. Its reads see the caller's transaction. Make one per
// operation with NewBookingNotices.
type BookingNotices struct {
	cfg      NotifyConfig
	openids  map[uint64]string // voter → mini-program openid ("" = none)
	consents map[uint64]int    // voter → consents left for the template
	bookings map[uint64]Booking
	slots    map[uint64]Slot
	stations map[uint64]Station
}

// NewBookingNotices starts the notices of one booking operation by voterID,
// whose mini-program openid (from the session, "" if unknown) saves a read.
func NewBookingNotices(cfg NotifyConfig, voterID uint64, openid string) *BookingNotices {
	n := &BookingNotices{cfg: cfg, openids: map[uint64]string{}, consents: map[uint64]int{},
		bookings: map[uint64]Booking{}, slots: map[uint64]Slot{}, stations: map[uint64]Station{}}
	if voterID != 0 && openid != "" {
		n.openids[voterID] = openid
	}
	return n
}

// Known gives the notices a slot the caller has read already, so that
// Preload does not read it again.
func (n *BookingNotices) Known(s Slot) {
	if s.ID != 0 {
		n.slots[s.ID] = s
	}
}

// Preload reads the booker's consents, the slot and its station, so a
// caller can read them before BookSlot takes the slot's row lock and hold
// the lock for no more than the inserts. A missing slot is left for
// BookSlot to report.
func (n *BookingNotices) Preload(ctx context.Context, db *gorm.DB, voterID, slotID uint64) error {
	if !n.cfg.Reception.BookingResult.Configured() {
		return nil
	}
	if _, err := n.consentsOf(ctx, db, voterID); err != nil {
		return err
	}
	s, err := n.slot(ctx, db, slotID)
	if err != nil || s.ID == 0 {
		return err
	}
	_, err = n.station(ctx, db, s.StationID)
	return err
}

// NotifyBooking writes one notice per event of a booking operation worth
// telling, with the event's dedupe key, in tx, the operation's
// transaction. b is the booking the operation returned.
func NotifyBooking(ctx context.Context, tx *gorm.DB, n *BookingNotices, b Booking, events BookingEvents, now time.Time) error {
	if b.ID != 0 {
		n.bookings[b.ID] = b
	}
	spec := n.cfg.Reception.BookingResult
	log := n.cfg.log()
	for _, ev := range events {
		kind, ok := bookingNoticeKinds[ev.Kind]
		if !ok {
			continue
		}
		if !spec.Configured() {
			log.DebugContext(ctx, "No booking result template configured ("+config.EnvTplBookingResult+"); not notifying",
				"booking_id", ev.BookingID, "event", ev.Kind)
			continue
		}
		if ev.Kind == EventMoved && ev.Status == BookingWaitlisted {
			kind.result, kind.note, kind.need = "改约成功，候补中", bookingNoticeKinds[EventWaitlisted].note, 2
		}
		in, ok, err := n.input(ctx, tx, ev, kind.need)
		if err != nil || !ok {
			return err
		}
		res, err := queueVoterNotice(ctx, tx, n.cfg, NoticeBookingResult, kind.need, in, n.fields(ev, kind.result, kind.note),
			now, fmt.Sprintf("%s notice of booking %d", ev.Kind, ev.BookingID))
		if err != nil {
			return err
		}
		if res == noticeQueued && !spec.LongTerm {
			n.consents[ev.VoterID]-- // the hint follows the reservation
		}
	}
	return nil
}

// input is the event's notification without its fields; ok is false when
// the voter cannot receive it (no mini-program openid, or too few consents
// by the count read in this transaction: a shortcut that spares the
// consent rule's UPDATE while the slot's row is locked; the rule decides).
func (n *BookingNotices) input(ctx context.Context, tx *gorm.DB, ev BookingEvent, need int) (NotificationInput, bool, error) {
	openid, err := n.openID(ctx, tx, ev.VoterID)
	if err != nil {
		return NotificationInput{}, false, err
	}
	left, err := n.consentsOf(ctx, tx, ev.VoterID)
	if err != nil {
		return NotificationInput{}, false, err
	}
	if n.cfg.Reception.BookingResult.LongTerm {
		need = 1
	}
	if openid == "" || left < need {
		n.cfg.log().DebugContext(ctx, "Voter cannot receive the booking notice; skipped",
			"booking_id", ev.BookingID, "event", ev.Kind, "has_openid", openid != "", "consents", left, "need", need)
		return NotificationInput{}, false, nil
	}
	for _, load := range []func() error{
		func() error { _, err := n.booking(ctx, tx, ev.BookingID); return err },
		func() error { _, err := n.slot(ctx, tx, ev.SlotID); return err },
		func() error { _, err := n.station(ctx, tx, ev.StationID); return err },
	} {
		if err := load(); err != nil {
			return NotificationInput{}, false, err
		}
	}
	station := ev.StationID
	return NotificationInput{
		ToUser: openid, URL: fmt.Sprintf("%s?id=%d", BookingPage, ev.BookingID), DedupeKey: ev.DedupeKey(), StationID: &station,
	}, true, nil
}

// fields are the notification's values under our field names.
func (n *BookingNotices) fields(ev BookingEvent, result, note string) map[string]string {
	b, s, st := n.bookings[ev.BookingID], n.slots[ev.SlotID], n.stations[ev.StationID]
	topic := b.Topic
	if topic == "" {
		topic = "未填写"
	}
	out := map[string]string{
		NotifyFieldResult:  Thing(result),
		NotifyFieldStation: Thing(st.Name),
		NotifyFieldTime:    SlotTime(s.StartAt, s.EndAt, n.cfg.Location),
		NotifyFieldCode:    b.CheckinCode,
		NotifyFieldTopic:   Thing(topic),
		NotifyFieldNote:    Thing(note),
	}
	if st.Address != "" {
		out[NotifyFieldAddress] = Thing(st.Address)
	}
	return out
}

func (n *BookingNotices) openID(ctx context.Context, db *gorm.DB, voterID uint64) (string, error) {
	if o, ok := n.openids[voterID]; ok {
		return o, nil
	}
	var v Voter
	if err := db.WithContext(ctx).Select("id", "mp_openid").Take(&v, voterID).Error; err != nil {
		return "", fmt.Errorf("load voter %d: %w", voterID, err)
	}
	o := ""
	if v.MPOpenID != nil {
		o = *v.MPOpenID
	}
	n.openids[voterID] = o
	return o, nil
}

func (n *BookingNotices) consentsOf(ctx context.Context, db *gorm.DB, voterID uint64) (int, error) {
	if k, ok := n.consents[voterID]; ok {
		return k, nil
	}
	openid, err := n.openID(ctx, db, voterID)
	if err != nil || openid == "" {
		return 0, err
	}
	k, err := ConsentsLeft(ctx, db, openid, n.cfg.Reception.BookingResult.ID)
	if err != nil {
		return 0, err
	}
	n.consents[voterID] = k
	return k, nil
}

func (n *BookingNotices) booking(ctx context.Context, db *gorm.DB, id uint64) (Booking, error) {
	return takeCached(ctx, db, n.bookings, id, "booking")
}

func (n *BookingNotices) slot(ctx context.Context, db *gorm.DB, id uint64) (Slot, error) {
	if s, ok := n.slots[id]; ok {
		return s, nil
	}
	var s Slot
	if err := db.WithContext(ctx).Limit(1).Find(&s, id).Error; err != nil {
		return s, fmt.Errorf("load slot %d: %w", id, err)
	}
	if s.ID != 0 {
		n.slots[id] = s
	}
	return s, nil
}

func (n *BookingNotices) station(ctx context.Context, db *gorm.DB, id uint64) (Station, error) {
	return takeCached(ctx, db, n.stations, id, "station", "id", "name", "address")
}

// takeCached loads the row id (only cols when given) through cache: a row
// read once is not read again.
func takeCached[T any](ctx context.Context, db *gorm.DB, cache map[uint64]T, id uint64, what string, cols ...string) (T, error) {
	if r, ok := cache[id]; ok {
		return r, nil
	}
	var r T
	q := db.WithContext(ctx)
	if len(cols) > 0 {
		q = q.Select(cols)
	}
	if err := q.Take(&r, id).Error; err != nil {
		return r, fmt.Errorf("load %s %d: %w", what, id, err)
	}
	cache[id] = r
	return r, nil
}
