package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"deputylink/config"
	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// NotifyTemplates are the WeChat templates of the reception-day
// notifications (config.LoadNotify); an unconfigured one is skipped.
type NotifyTemplates = config.NotifyTemplates

// bookingRoutes registers the reception-day calendar (public), the voter's
// bookings and the subscribe-message consents.
//
// Writes go through a per-IP limit before authentication (cheap, and it
// stops token guessing) and a per-voter limit after it; reads have their
// own counters (readLimit), so refreshing a list never uses up the budget
// of a booking.
func (h *Handlers) bookingRoutes(api *gin.RouterGroup) {
	api.GET("/reception-days", h.listReceptionDays)
	api.GET("/reception-days/:id", h.getReceptionDay)
	api.GET("/openapi.json", h.openAPI)

	l := h.Limits
	write := []gin.HandlerFunc{h.LimitIP("booking", l.BookingPerIP), h.requireVoter, h.limitVoter("booking", l.BookingVoter)}
	read := []gin.HandlerFunc{h.LimitIP("booking_read", l.BookingPerIP), h.requireVoter, h.limitVoter("booking_read", readLimit(l.BookingVoter))}
	with := func(chain []gin.HandlerFunc, hs ...gin.HandlerFunc) []gin.HandlerFunc {
		return append(append([]gin.HandlerFunc{}, chain...), hs...)
	}
	api.POST("/bookings", with(write, h.Idempotent("bookings", voterID), h.createBooking)...)
	api.GET("/bookings", with(read, h.listBookings)...)
	api.GET("/bookings/:id", with(read, h.getBooking)...)
	api.PATCH("/bookings/:id", with(write, h.moveBooking)...)
	api.DELETE("/bookings/:id", with(write, h.cancelBooking)...)
	api.POST("/subscriptions", with(write, h.grantSubscriptions)...)
	api.GET("/subscriptions", with(read, h.listSubscriptions)...)
}

type createBookingRequest struct {
	SlotID uint64 `json:"slot_id"`
	Topic  string `json:"topic"`
}

type moveBookingRequest struct {
	SlotID uint64 `json:"slot_id"`
}

// bindSlotID checks a request's slot_id.
func bindSlotID(c *gin.Context, req any, slotID func() uint64) bool {
	if err := c.ShouldBindJSON(req); err != nil {
		shared.RespondErr(c, shared.BodyError(err))
		return false
	}
	if slotID() == 0 {
		shared.RespondErr(c, models.Invalid("slot_id", "请选择要预约的时段"))
		return false
	}
	return true
}

// createBooking books a seat (or a waitlist place). The booking and its
// notification are written in one transaction, so the voter is told exactly
// when the booking exists.
func (h *Handlers) createBooking(c *gin.Context) {
	var req createBookingRequest
	if !bindSlotID(c, &req, func() uint64 { return req.SlotID }) {
		return
	}
	ctx, vid, now := c.Request.Context(), voterID(c), h.Now()
	if h.soldOut(ctx, req.SlotID) {
		shared.RespondErr(c, models.ErrSlotFull)
		return
	}
	// In a burst most requests wait here for a database connection, and
	// the slot fills meanwhile: asked again once admitted, a refusal costs
	// no transaction (BEGIN and ROLLBACK are two round trips each).
	release, err := h.AdmitDB(ctx)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	defer release()
	if h.soldOut(ctx, req.SlotID) {
		shared.RespondErr(c, models.ErrSlotFull)
		return
	}
	var b models.Booking
	flagged := false
	err = models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
		// And once more inside: with no admission gate (an unlimited pool)
		// this is where requests wait.
		if flagged = h.soldOut(ctx, req.SlotID); flagged {
			return models.ErrSlotFull
		}
		// What the notification needs is read before BookSlot takes the
		// slot's row lock, so the lock is held for no more than the inserts.
		n := h.newNotices(c)
		if err := n.preload(ctx, tx, vid, req.SlotID); err != nil {
			return err
		}
		var ev models.BookingEvents
		var err error
		if b, ev, err = models.BookSlot(ctx, tx, vid, req.SlotID, req.Topic, now); err != nil {
			return err
		}
		n.bookings[b.ID] = b
		return n.enqueue(ctx, tx, ev, now)
	})
	if errors.Is(err, models.ErrSlotFull) && !flagged {
		// Only BookSlot's own refusals set the flag: one that merely
		// repeated it must not keep it alive past SoldOutTTL.
		h.markSoldOut(ctx, req.SlotID)
	}
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.respondBooking(c, http.StatusCreated, b)
}

// SoldOutTTL is how long a slot that refused a booking as full (no seat,
// no waitlist place) turns further bookings away from Redis alone.
//
// When booking opens, thousands of voters tap within a second, and once
// the slot is full every one of them would still run a database
// transaction only to hear slot_full. The flag repeats BookSlot's last
// answer instead, with one Redis read; it decides nothing BookSlot has not
// decided, lives SoldOutTTL at most, and a cancel or move that frees a
// place in the slot clears it at once.
const SoldOutTTL = 2 * time.Second

func (h *Handlers) soldOutKey(slotID uint64) string {
	return h.RedisPrefix + "slot_full:" + strconv.FormatUint(slotID, 10)
}

// soldOut reports whether the slot refused a booking as full moments ago:
// in this process (no round trip), or in any (Redis). Redis trouble means
// "ask the database".
func (h *Handlers) soldOut(ctx context.Context, slotID uint64) bool {
	// Real time, not h.Now: the flag's life is an operational matter.
	if until, ok := h.full.Load(slotID); ok {
		if time.Now().Before(until.(time.Time)) {
			return true
		}
		h.full.CompareAndDelete(slotID, until)
	}
	if h.Redis == nil {
		return false
	}
	exists, err := shared.RDoCmd(ctx, h.Base, func(ctx context.Context, p redis.Pipeliner) *redis.IntCmd {
		return p.Exists(ctx, h.soldOutKey(slotID))
	})
	return err == nil && exists.Val() > 0
}

func (h *Handlers) markSoldOut(ctx context.Context, slotID uint64) {
	h.full.Store(slotID, time.Now().Add(SoldOutTTL))
	if h.Redis != nil {
		h.Redis.Set(context.WithoutCancel(ctx), h.soldOutKey(slotID), "1", SoldOutTTL)
	}
}

// freed clears the sold-out flag of a slot a cancel or move left.
func (h *Handlers) freed(c *gin.Context, slotID uint64) {
	if slotID == 0 {
		return
	}
	h.full.Delete(slotID)
	if h.Redis == nil {
		return
	}
	ctx := context.WithoutCancel(c.Request.Context())
	if err := h.Redis.Del(ctx, h.soldOutKey(slotID)).Err(); err != nil {
		shared.Logger(c).WarnContext(ctx, "Clearing a slot's sold-out flag failed; it expires by itself", "err", err)
	}
}

// moveBooking moves the voter's booking to another slot atomically.
func (h *Handlers) moveBooking(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	var req moveBookingRequest
	if !bindSlotID(c, &req, func() uint64 { return req.SlotID }) {
		return
	}
	// The slot the booking leaves, to clear its sold-out flag after the move.
	var left []uint64
	if err := h.DB.WithContext(c.Request.Context()).Model(&models.Booking{}).
		Where("id = ? AND voter_id = ?", id, voterID(c)).Pluck("slot_id", &left).Error; err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.changeBooking(c, func(ctx context.Context, tx *gorm.DB, now time.Time) (models.Booking, models.BookingEvents, error) {
		return models.MoveBooking(ctx, tx, voterID(c), id, req.SlotID, now)
	}, func(models.Booking) uint64 {
		if len(left) == 0 {
			return 0
		}
		return left[0]
	})
}

// cancelBooking cancels the voter's booking; a freed seat goes to the first
// voter on the waitlist, who is told in the same transaction.
func (h *Handlers) cancelBooking(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	h.changeBooking(c, func(ctx context.Context, tx *gorm.DB, now time.Time) (models.Booking, models.BookingEvents, error) {
		return models.CancelBooking(ctx, tx, voterID(c), id, now)
	}, func(b models.Booking) uint64 { return b.SlotID })
}

// changeBooking runs a booking operation and the notifications of its
// events in one transaction, clears the sold-out flag of the slot the
// booking left, and answers with the booking.
func (h *Handlers) changeBooking(c *gin.Context, op func(context.Context, *gorm.DB, time.Time) (models.Booking, models.BookingEvents, error), left func(models.Booking) uint64) {
	ctx, now := c.Request.Context(), h.Now()
	var b models.Booking
	err := models.RunTx(ctx, h.DB, func(tx *gorm.DB) error {
		n := h.newNotices(c)
		var ev models.BookingEvents
		var err error
		if b, ev, err = op(ctx, tx, now); err != nil {
			return err
		}
		n.bookings[b.ID] = b
		return n.enqueue(ctx, tx, ev, now)
	})
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.freed(c, left(b))
	h.respondBooking(c, http.StatusOK, b)
}

func (h *Handlers) respondBooking(c *gin.Context, status int, b models.Booking) {
	views, err := models.ViewBookings(c.Request.Context(), h.DB, []models.Booking{b}, h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(status, views[0])
}

// listBookings lists the voter's own bookings, newest first.
func (h *Handlers) listBookings(c *gin.Context) {
	q := models.BookingQuery{Cursor: c.Query("cursor"), Loc: h.Location}
	if !shared.QueryLimit(c, &q.Limit, 100) {
		return
	}
	items, next, err := models.ListVoterBookings(c.Request.Context(), h.DB, voterID(c), q)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, shared.List[models.BookingView]{Items: items, NextCursor: next})
}

// getBooking returns one of the voter's own bookings; another voter's id
// answers 404 like an unknown one.
func (h *Handlers) getBooking(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	v, err := models.GetVoterBooking(c.Request.Context(), h.DB, voterID(c), id, h.Location)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// voterOpenID is the mini-program openid of the session (requireVoter ran).
func voterOpenID(c *gin.Context) string {
	s, _ := c.Get(ctxVoter)
	sd, _ := s.(sessionData)
	return sd.OpenID
}

// notices turns booking events into outbox rows: subscribe messages to the
// voters concerned, through the BookingResult template. It caches what it
// reads, and its reads see the caller's transaction.
type notices struct {
	h        *Handlers
	c        *gin.Context
	openids  map[uint64]string // voter → mini-program openid ("" = none)
	consents map[uint64]int    // voter → consents left for the template
	bookings map[uint64]models.Booking
	slots    map[uint64]models.Slot
	stations map[uint64]models.Station
}

func (h *Handlers) newNotices(c *gin.Context) *notices {
	n := &notices{h: h, c: c, openids: map[uint64]string{}, consents: map[uint64]int{},
		bookings: map[uint64]models.Booking{}, slots: map[uint64]models.Slot{}, stations: map[uint64]models.Station{}}
	if vid, oid := voterID(c), voterOpenID(c); vid != 0 && oid != "" {
		n.openids[vid] = oid
	}
	return n
}

// preload reads the booker's consents, the slot and its station. A
// missing slot is left for BookSlot to report.
func (n *notices) preload(ctx context.Context, db *gorm.DB, voterID, slotID uint64) error {
	if !n.h.Notify.BookingResult.Configured() {
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

// noticeKinds are the events a voter hears about, with the text of the
// result and note fields and how many consents the voter must have left.
// A waitlist place is only announced while a second consent is left, so
// one stays for the promotion that matters more; the voter sees the
// waitlist place on screen anyway. A cancel is the voter's own doing.
var noticeKinds = map[models.BookingEventKind]struct {
	result, note string
	need         int
}{
	models.EventConfirmed:  {"预约成功", "请凭签到码按时到场", 1},
	models.EventWaitlisted: {"已进入候补", "有人取消时将按顺序为您转为正式预约", 2},
	models.EventPromoted:   {"候补成功，已为您保留座位", "请凭签到码按时到场", 1},
	models.EventMoved:      {"改约成功", "请凭签到码按时到场", 1},
}

// enqueue writes one notification per event worth telling, with the
// event's dedupe key, in the caller's transaction.
func (n *notices) enqueue(ctx context.Context, tx *gorm.DB, events models.BookingEvents, now time.Time) error {
	spec := n.h.Notify.BookingResult
	log := shared.Logger(n.c)
	for _, ev := range events {
		kind, ok := noticeKinds[ev.Kind]
		if !ok {
			continue
		}
		if !spec.Configured() {
			log.DebugContext(ctx, "No booking result template configured ("+config.EnvTplBookingResult+"); not notifying",
				"booking_id", ev.BookingID, "event", ev.Kind)
			continue
		}
		if ev.Kind == models.EventMoved && ev.Status == models.BookingWaitlisted {
			kind.result, kind.note, kind.need = "改约成功，候补中", noticeKinds[models.EventWaitlisted].note, 2
		}
		in, ok, err := n.input(ctx, tx, ev, kind.need)
		if err != nil || !ok {
			return err
		}
		in.Fields = spec.Data(n.fields(ev, kind.result, kind.note))
		if _, _, err := models.Enqueue(ctx, tx, in, now); err != nil {
			return fmt.Errorf("enqueue %s notice of booking %d: %w", ev.Kind, ev.BookingID, err)
		}
	}
	return nil
}

// input is the event's notification without its fields; ok is false when
// the voter cannot receive it (no mini-program openid, or too few consents).
func (n *notices) input(ctx context.Context, tx *gorm.DB, ev models.BookingEvent, need int) (models.NotificationInput, bool, error) {
	log := shared.Logger(n.c)
	openid, err := n.openID(ctx, tx, ev.VoterID)
	if err != nil {
		return models.NotificationInput{}, false, err
	}
	left, err := n.consentsOf(ctx, tx, ev.VoterID)
	if err != nil {
		return models.NotificationInput{}, false, err
	}
	if openid == "" || left < need {
		log.DebugContext(ctx, "Voter cannot receive the booking notice; skipped",
			"booking_id", ev.BookingID, "event", ev.Kind, "has_openid", openid != "", "consents", left, "need", need)
		return models.NotificationInput{}, false, nil
	}
	n.consents[ev.VoterID] = left - 1 // a second event in the same operation sees one fewer
	for _, load := range []func() error{
		func() error { _, err := n.booking(ctx, tx, ev.BookingID); return err },
		func() error { _, err := n.slot(ctx, tx, ev.SlotID); return err },
		func() error { _, err := n.station(ctx, tx, ev.StationID); return err },
	} {
		if err := load(); err != nil {
			return models.NotificationInput{}, false, err
		}
	}
	station := ev.StationID
	return models.NotificationInput{
		Channel: models.ChannelSubscribe, ToUser: openid, TemplateID: n.h.Notify.BookingResult.ID,
		URL: fmt.Sprintf("%s?id=%d", config.BookingPage, ev.BookingID), DedupeKey: ev.DedupeKey(), StationID: &station,
	}, true, nil
}

// fields are the notification's values under our field names.
func (n *notices) fields(ev models.BookingEvent, result, note string) map[string]string {
	b, s, st := n.bookings[ev.BookingID], n.slots[ev.SlotID], n.stations[ev.StationID]
	topic := b.Topic
	if topic == "" {
		topic = "未填写"
	}
	out := map[string]string{
		config.NotifyFieldResult:  config.Thing(result),
		config.NotifyFieldStation: config.Thing(st.Name),
		config.NotifyFieldTime:    config.SlotTime(s.StartAt, s.EndAt, n.h.Location),
		config.NotifyFieldCode:    b.CheckinCode,
		config.NotifyFieldTopic:   config.Thing(topic),
		config.NotifyFieldNote:    config.Thing(note),
	}
	if st.Address != "" {
		out[config.NotifyFieldAddress] = config.Thing(st.Address)
	}
	return out
}

func (n *notices) openID(ctx context.Context, db *gorm.DB, voterID uint64) (string, error) {
	if o, ok := n.openids[voterID]; ok {
		return o, nil
	}
	var v models.Voter
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

func (n *notices) consentsOf(ctx context.Context, db *gorm.DB, voterID uint64) (int, error) {
	if k, ok := n.consents[voterID]; ok {
		return k, nil
	}
	openid, err := n.openID(ctx, db, voterID)
	if err != nil || openid == "" {
		return 0, err
	}
	k, err := models.ConsentsLeft(ctx, db, openid, n.h.Notify.BookingResult.ID)
	if err != nil {
		return 0, err
	}
	n.consents[voterID] = k
	return k, nil
}

func (n *notices) booking(ctx context.Context, db *gorm.DB, id uint64) (models.Booking, error) {
	if b, ok := n.bookings[id]; ok {
		return b, nil
	}
	var b models.Booking
	if err := db.WithContext(ctx).Take(&b, id).Error; err != nil {
		return b, fmt.Errorf("load booking %d: %w", id, err)
	}
	n.bookings[id] = b
	return b, nil
}

func (n *notices) slot(ctx context.Context, db *gorm.DB, id uint64) (models.Slot, error) {
	if s, ok := n.slots[id]; ok {
		return s, nil
	}
	var s models.Slot
	if err := db.WithContext(ctx).Limit(1).Find(&s, id).Error; err != nil {
		return s, fmt.Errorf("load slot %d: %w", id, err)
	}
	if s.ID != 0 {
		n.slots[id] = s
	}
	return s, nil
}

func (n *notices) station(ctx context.Context, db *gorm.DB, id uint64) (models.Station, error) {
	if s, ok := n.stations[id]; ok {
		return s, nil
	}
	var s models.Station
	if err := db.WithContext(ctx).Select("id", "name", "address").Take(&s, id).Error; err != nil {
		return s, fmt.Errorf("load station %d: %w", id, err)
	}
	n.stations[id] = s
	return s, nil
}
