package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

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
	api.GET("/bookings/:id/qr.png", with(read, h.bookingQR)...)
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
	if !shared.BindJSON(c, req) {
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
	flagged := false
	b, _, err := models.BookSlotWith(ctx, h.DB, vid, req.SlotID, req.Topic, c.GetHeader("Idempotency-Key"), now, models.BookingHooks{
		// And once more inside: with no admission gate (an unlimited pool)
		// this is where requests wait.
		Begin: func(*gorm.DB) error {
			if flagged = h.soldOut(ctx, req.SlotID); flagged {
				return models.ErrSlotFull
			}
			return nil
		},
		// The notification is written with the booking, before the seat
		// is taken when one was free: the slot's row lock is held for the
		// seat's UPDATE and the commit only.
		Written: func(tx *gorm.DB, b models.Booking, ev models.BookingEvents, slot models.Slot) error {
			n := h.newNotices(c)
			n.Known(slot)
			if err := n.Preload(ctx, tx, vid, req.SlotID); err != nil {
				return err
			}
			return models.NotifyBooking(ctx, tx, n, b, ev, now)
		},
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
	if b.Replayed {
		// Made by an earlier request with this Idempotency-Key whose stored
		// answer is gone: answered as that request was.
		c.Header("Idempotent-Replayed", "true")
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
// in this process (no round trip), or in any (Redis). A flag found in
// Redis is kept in the process for the rest of its life there, so the
// other processes learn of a sold-out slot with one read each, not one
// per request. Redis trouble means "ask the database".
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
	ttl, err := shared.RDoCmd(ctx, h.Base, func(ctx context.Context, p redis.Pipeliner) *redis.DurationCmd {
		return p.PTTL(ctx, h.soldOutKey(slotID))
	})
	// PTTL is -2 with no flag, -1 for a flag without expiry (never set so).
	if err != nil || ttl.Val() <= 0 {
		return err == nil && ttl.Val() == -1
	}
	h.full.Store(slotID, time.Now().Add(min(ttl.Val(), SoldOutTTL)))
	return true
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
		return models.NotifyBooking(ctx, tx, n, b, ev, now)
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

// newNotices starts the notices of one booking operation of the session's
// voter (models.NotifyBooking builds them).
func (h *Handlers) newNotices(c *gin.Context) *models.BookingNotices {
	return models.NewBookingNotices(h.NotifyConfig(shared.Logger(c)), voterID(c), voterOpenID(c))
}
