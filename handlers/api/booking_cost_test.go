package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlTrace records every statement gorm sends (not BEGIN, COMMIT or
// ROLLBACK, which go through database/sql's Tx).
type sqlTrace struct {
	logger.Interface
	mu   sync.Mutex
	on   bool
	stmt []string
}

func (s *sqlTrace) LogMode(logger.LogLevel) logger.Interface { return s }

func (s *sqlTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on {
		q, _ := fc()
		s.stmt = append(s.stmt, q)
	}
}

// record runs fn and returns the statements it sent.
func (s *sqlTrace) record(fn func()) []string {
	s.mu.Lock()
	s.on, s.stmt = true, nil
	s.mu.Unlock()
	fn()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = false
	return s.stmt
}

func traceSQL(db *gorm.DB) *sqlTrace {
	t := &sqlTrace{Interface: db.Logger}
	db.Logger = t
	return t
}

// seatUpdate tells the conditional UPDATE that takes a seat: from it to
// COMMIT, the transaction holds the slot's row lock.
func seatUpdate(q string) bool {
	return strings.HasPrefix(q, "UPDATE `slots` SET `confirmed`=confirmed + 1")
}

// Ensure a booking's transaction holds the slot's row lock for as few
// statements as the guarantees allow: the booking row, its notification
// and the consent it spends are written before the seat is taken, so only
// the seat's UPDATE and the COMMIT are under the lock (every one a round
// trip the other voters of the slot queue behind). The counts are logged
// for docs/BENCHMARKS.md.
func TestBookingStatementsUnderTheSlotLock(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false }})
	slot := e.slots(0, bkDec)[0]
	tr := traceSQL(e.db)
	a, b := e.voter("oCostA", 2), e.voter("oCostB", 2)
	var r bkResp
	book := tr.record(func() {
		r = e.call("POST", "/api/v1/bookings", a, fmt.Sprintf(`{"slot_id":%d,"topic":"路灯"}`, slot.ID), "Idempotency-Key", "cost-a")
	})
	if r.status != http.StatusCreated {
		t.Fatalf("book: %d %s", r.status, r.raw)
	}
	// From the seat's UPDATE to the commit: the view's reads follow the
	// commit (respondBooking), starting with the slot's fresh counters.
	under := -1
	for i, q := range book {
		if seatUpdate(q) {
			under = len(book) - i
			for j, q := range book[i:] {
				if strings.HasPrefix(q, "SELECT * FROM `slots` WHERE id IN") {
					under = j
					break
				}
			}
		}
	}
	// The first refusal: no sold-out flag yet.
	refuse := tr.record(func() {
		r = e.call("POST", "/api/v1/bookings", b, fmt.Sprintf(`{"slot_id":%d,"topic":"路灯"}`, slot.ID), "Idempotency-Key", "cost-b")
	})
	if r.code() != "slot_full" {
		t.Fatalf("second booking of a 1-seat slot: %d %s", r.status, r.raw)
	}
	t.Logf("confirmed booking: %d statements (the last 3 read the answer after the COMMIT), under the slot's lock: %d and the COMMIT\n  %s", len(book), under, strings.Join(book, "\n  "))
	t.Logf("refusal in the database: %d statements (plus BEGIN and ROLLBACK)\n  %s", len(refuse), strings.Join(refuse, "\n  "))
	if under != 1 {
		t.Errorf("%d statements under the slot's row lock, want the seat's UPDATE alone (-1: no seat UPDATE seen)", under)
	}
}

// Ensure a second serve process learns of a sold-out slot from Redis once
// and then refuses from memory: with the Redis flag gone, its next refusal
// still runs no database statement.
func TestSoldOutFlagLearnedByAnotherProcess(t *testing.T) {
	var deps handlers.Deps
	e := newBookEnv(t, bookOpts{
		rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false },
		deps: func(d *handlers.Deps) { deps = *d },
	})
	other := httptest.NewServer(handlers.NewRouter(deps))
	t.Cleanup(other.Close)
	slot := e.slots(0, bkDec)[0]
	body := fmt.Sprintf(`{"slot_id":%d}`, slot.ID)
	a, b, c, d := e.voter("oTwoA", 0), e.voter("oTwoB", 0), e.voter("oTwoC", 0), e.voter("oTwoD", 0)
	e.book(a, slot.ID)
	if r := e.call("POST", "/api/v1/bookings", b, body); r.code() != "slot_full" {
		t.Fatalf("full slot: %d %s", r.status, r.raw)
	}
	onOther := func(tok string) bkResp {
		o := *e
		te := *e.testEnv
		te.srv = other
		o.testEnv = &te
		return o.call("POST", "/api/v1/bookings", tok, body)
	}
	tr := traceSQL(e.db)
	var r bkResp
	if q := tr.record(func() { r = onOther(c) }); r.code() != "slot_full" || len(q) != 0 {
		t.Fatalf("the other process, flag in Redis: %d %s after %d statements", r.status, r.raw, len(q))
	}
	e.rd.Client.Del(t.Context(), e.rd.Prefix+"slot_full:"+fmt.Sprint(slot.ID))
	if q := tr.record(func() { r = onOther(d) }); r.code() != "slot_full" || len(q) != 0 {
		t.Fatalf("the other process, flag learned: %d %s after %d statements", r.status, r.raw, len(q))
	}
}
