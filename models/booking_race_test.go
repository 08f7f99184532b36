package models_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// pools opens n connection pools on one fresh database, as n server
// processes would (on SQLite each pool is one connection to the same file).
func pools(t *testing.T, n int) []*gorm.DB {
	t.Helper()
	url := modelstest.URL(t)
	out := []*gorm.DB{modelstest.Open(t, url)}
	for range n - 1 {
		db, err := models.Open(context.Background(), url, models.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		out = append(out, db)
	}
	return out
}

// codeOf is the CodedError code of err, or its text.
func codeOf(err error) string {
	var ce *models.CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return err.Error()
}

// burst runs fn(i) in n goroutines released at the same moment.
func burst(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// Ensure 200 voters booking a 10-seat slot at once, through several pools,
// get exactly 10 seats, with the rest waitlisted (up to its cap) or refused.
func TestRaceBookingBurst(t *testing.T) {
	for _, c := range []struct {
		name       string
		waitlist   bool
		waitlisted int
	}{{"waitlist on", true, 50}, {"waitlist off", false, 0}} {
		t.Run(c.name, func(t *testing.T) {
			dbs := pools(t, 4)
			f := newFixture(t, dbs[0], 1, func(r *models.ReceptionRule) {
				r.SeatsPerSlot, r.WalkInSeats, r.Waitlist, r.WaitlistMax = 10, 0, c.waitlist, 50
			})
			slot := f.slots(0, recDate)[0].ID
			var mu sync.Mutex
			got := map[string]int{}
			burst(200, func(i int) {
				b, ev, err := models.BookSlot(context.Background(), dbs[i%len(dbs)], uint64(1000+i), slot, "", bookNow)
				key := string(b.Status)
				if err != nil {
					key = codeOf(err)
				} else if len(ev) != 1 || ev[0].BookingID != b.ID {
					key = "bad events"
				}
				mu.Lock()
				got[key]++
				mu.Unlock()
			})
			want := map[string]int{"confirmed": 10, "slot_full": 190 - c.waitlisted}
			if c.waitlisted > 0 {
				want["waitlisted"] = c.waitlisted
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("outcomes %v, want %v", got, want)
			}
			if s := f.slot(slot); s.Confirmed != 10 || s.Waitlisted != c.waitlisted || s.Remaining() != 0 {
				t.Errorf("slot %+v", s)
			}
			var voters, rows int64
			f.db.Model(&models.Booking{}).Count(&rows)
			f.db.Model(&models.Booking{}).Distinct("voter_id").Count(&voters)
			if rows != int64(10+c.waitlisted) || voters != rows {
				t.Errorf("%d booking rows for %d voters", rows, voters)
			}
			checkInvariants(t, f.db)
		})
	}
}

// Ensure a voter tapping 20 times at once on two stations' slots of one
// date ends up with exactly one active booking, and no seat leaks.
func TestRaceSameVoterAcrossStations(t *testing.T) {
	dbs := pools(t, 3)
	f := newFixture(t, dbs[0], 2, func(r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats = 10, 0 })
	slots := []uint64{f.slots(0, recDate)[0].ID, f.slots(1, recDate)[0].ID}
	const voters, taps = 5, 20
	var ok, refused atomic.Int32
	var other sync.Map
	burst(voters*taps, func(i int) {
		_, _, err := models.BookSlot(context.Background(), dbs[i%len(dbs)], uint64(1+i%voters), slots[(i/voters)%2], "", bookNow)
		switch {
		case err == nil:
			ok.Add(1)
		case codeOf(err) == "already_booked":
			refused.Add(1)
		default:
			other.Store(i, err)
		}
	})
	other.Range(func(k, v any) bool { t.Errorf("tap %v: %v", k, v); return true })
	if ok.Load() != voters || refused.Load() != voters*(taps-1) {
		t.Fatalf("%d booked, %d refused; want %d and %d", ok.Load(), refused.Load(), voters, voters*(taps-1))
	}
	if a, b := f.slot(slots[0]), f.slot(slots[1]); a.Confirmed+b.Confirmed != voters {
		t.Errorf("seats taken %d + %d, want %d", a.Confirmed, b.Confirmed, voters)
	}
	checkInvariants(t, f.db)
}

// slotSnapshot reads a slot's counters and the bookings behind them in one
// statement, which is one consistent snapshot on both databases.
type slotSnapshot struct {
	ID                                    uint64
	Capacity, Confirmed, Waitlisted, C, W int
}

// Ensure books, moves and cancels racing on two slots never let a reader
// see a slot over capacity, counters out of step with the rows, or a free
// seat while someone waits.
func TestRaceCancelsMovesAndBooks(t *testing.T) {
	dbs := pools(t, 3)
	f := newFixture(t, dbs[0], 1, func(r *models.ReceptionRule) {
		r.SeatsPerSlot, r.WalkInSeats, r.Waitlist, r.WaitlistMax = 5, 0, true, 0
	})
	ss := f.slots(0, recDate)
	slots := []uint64{ss[0].ID, ss[1].ID}
	ctx := context.Background()
	done := make(chan struct{})
	var reads atomic.Int32
	var readerWG sync.WaitGroup
	readerWG.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			var snap []slotSnapshot
			err := f.db.Raw(`SELECT s.id, s.capacity, s.confirmed, s.waitlisted,
				(SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('confirmed','checked_in','no_show')) AS c,
				(SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status = 'waitlisted') AS w
				FROM slots s WHERE s.id IN ?`, slots).Scan(&snap).Error
			if err != nil {
				t.Error(err)
				return
			}
			for _, s := range snap {
				if s.Confirmed > s.Capacity || s.Confirmed != s.C || s.Waitlisted != s.W || (s.W > 0 && s.C < s.Capacity) {
					t.Errorf("read %d: inconsistent slot %+v", reads.Load(), s)
				}
			}
			reads.Add(1)
		}
	})
	var other sync.Map
	burst(30, func(i int) {
		db, voter := dbs[i%len(dbs)], uint64(500+i)
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		for range 8 {
			b, _, err := models.BookSlot(ctx, db, voter, slots[rng.IntN(2)], "", bookNow)
			if err != nil {
				other.Store(fmt.Sprint(voter, " book"), err)
				continue
			}
			if rng.IntN(2) == 0 {
				to := slots[0]
				if b.SlotID == to {
					to = slots[1]
				}
				if _, _, err := models.MoveBooking(ctx, db, voter, b.ID, to, bookNow); err != nil && codeOf(err) != "slot_full" {
					other.Store(fmt.Sprint(voter, " move"), err)
				}
			}
			if _, _, err := models.CancelBooking(ctx, db, voter, b.ID, bookNow); err != nil {
				other.Store(fmt.Sprint(voter, " cancel"), err)
			}
		}
	})
	close(done)
	readerWG.Wait()
	other.Range(func(k, v any) bool { t.Errorf("%v: %v", k, v); return true })
	if reads.Load() < 5 {
		t.Errorf("only %d reads during the race", reads.Load())
	}
	t.Logf("%d consistent reads during the race", reads.Load())
	for _, id := range slots {
		if s := f.slot(id); s.Confirmed != 0 || s.Waitlisted != 0 {
			t.Errorf("after everyone cancelled: %+v", s)
		}
	}
	checkInvariants(t, f.db)
}

// Ensure regenerating a day after a rule change, racing with its first
// bookings, never orphans a booking: either a booking commits first and the
// day is reported as a conflict, or the day is reshaped first and the late
// booking finds its slot gone (slot_not_found).
func TestRaceRegenerateWhileBooking(t *testing.T) {
	dbs := pools(t, 2)
	const rounds = 12
	f := newFixture(t, dbs[0], rounds, func(r *models.ReceptionRule) { r.OpensDaysBefore = 45 })
	ctx := context.Background()
	outcomes := map[string]int{}
	for i := range rounds {
		r, err := models.GetReceptionRule(ctx, f.db, f.stations[i].ID)
		f.must(err)
		r.SeatsPerSlot++
		f.must(errOnly(models.SetReceptionRule(ctx, f.db, models.SystemActor, r, bookNow)))
		slots := f.slots(i, nextDate)
		var rep models.GenerateReport
		var genErr error
		var mu sync.Mutex
		burst(6, func(g int) {
			if g == 0 {
				rep, genErr = models.GenerateReceptionDays(ctx, dbs[0], bookNow, cst, 2)
				return
			}
			// Spread the bookers over the time generation takes.
			time.Sleep(time.Duration(rand.IntN(1000*(g+2*i+1))) * time.Microsecond)
			_, _, err := models.BookSlot(ctx, dbs[g%2], uint64(100*i+g), slots[g%len(slots)].ID, "", bookNow)
			key := "booked"
			if err != nil {
				key = codeOf(err)
			}
			mu.Lock()
			outcomes[key]++
			mu.Unlock()
		})
		f.must(genErr)
		outcomes[fmt.Sprintf("regenerated %d, conflicts %d", rep.Regenerated, len(rep.Conflicts))]++
	}
	t.Logf("outcomes: %v", outcomes)
	for k := range outcomes {
		if k != "booked" && k != "slot_not_found" && k[:11] != "regenerated" {
			t.Errorf("unexpected outcome %q", k)
		}
	}
	var orphans int64
	f.must(f.db.Raw(`SELECT COUNT(*) FROM bookings b LEFT JOIN slots s ON s.id = b.slot_id
		WHERE s.id IS NULL OR s.day_id <> b.day_id`).Scan(&orphans).Error)
	if orphans != 0 {
		t.Errorf("%d bookings point at a slot that was regenerated away", orphans)
	}
	checkInvariants(t, f.db)
}

// Ensure generation waits for a booking that has taken its seat but not
// committed yet, and then leaves that day alone: the booking is held open
// in a caller's transaction while generation runs from another pool.
func TestRegenerateWaitsForBookingInFlight(t *testing.T) {
	dbs := pools(t, 2)
	f := newFixture(t, dbs[0], 1, func(r *models.ReceptionRule) { r.OpensDaysBefore = 45 })
	ctx := context.Background()
	// A committed March booking keeps generation from reshaping March (a
	// reshape's DELETE may scan, and wait on, April's slot rows), so the
	// only thing that can hold generation back is the April slot lock.
	f.must(errOnly3(models.BookSlot(ctx, f.db, 2, f.slots(0, recDate)[0].ID, "", bookNow)))
	r, err := models.GetReceptionRule(ctx, f.db, f.stations[0].ID)
	f.must(err)
	r.SeatsPerSlot++
	f.must(errOnly(models.SetReceptionRule(ctx, f.db, models.SystemActor, r, bookNow)))
	slot := f.slots(0, nextDate)[2].ID

	type result struct {
		rep models.GenerateReport
		err error
	}
	done := make(chan result, 1)
	f.must(dbs[0].Transaction(func(tx *gorm.DB) error {
		if _, _, err := models.BookSlot(ctx, tx, 1, slot, "", bookNow); err != nil {
			return err
		}
		go func() {
			rep, err := models.GenerateReceptionDays(ctx, dbs[1], bookNow, cst, 2)
			done <- result{rep, err}
		}()
		// Give generation time to reach the April day and wait on it; if it
		// gets there only after the commit, the test still holds.
		time.Sleep(300 * time.Millisecond)
		return nil
	}))
	res := <-done
	f.must(res.err)
	if len(res.rep.Conflicts) != 2 || !strings.Contains(res.rep.Conflicts[1], "（"+models.CalendarDateText(nextDate)+"）") {
		t.Errorf("report %+v: want the booked March and April days as conflicts", res.rep)
	}
	if s := f.slot(slot); s.Confirmed != 1 {
		t.Errorf("booked slot %+v", s)
	}
	checkInvariants(t, f.db)
}
