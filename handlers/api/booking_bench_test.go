package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"deputylink/handlers"
	"deputylink/models"

	"github.com/redis/go-redis/v9"
)

// redisCount counts the commands and round trips (a pipeline is one) of a
// client.
type redisCount struct{ cmds, trips atomic.Int64 }

func (c *redisCount) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *redisCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.cmds.Add(1)
		c.trips.Add(1)
		return next(ctx, cmd)
	}
}

func (c *redisCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.cmds.Add(int64(len(cmds)))
		c.trips.Add(1)
		return next(ctx, cmds)
	}
}

// BenchmarkBookingRequest is one POST /api/v1/bookings through the real
// router, served in process (no HTTP client in the figures): "confirmed"
// books a seat (booking, notice, answer), "refused" is a refusal from the
// sold-out flag, what 1,900 of a burst's 2,000 requests are. Each voter
// books once, so run it with a fixed count, e.g.
// go test ./handlers/api/ -run - -bench BookingRequest -benchmem -benchtime 300x
// Read allocs/op and the statements and Redis commands it reports; its
// time is not the burst's.
func BenchmarkBookingRequest(b *testing.B) {
	for _, refused := range []bool{false, true} {
		name := "confirmed"
		if refused {
			name = "refused"
		}
		b.Run(name, func(b *testing.B) {
			var deps handlers.Deps
			e := newBookEnv(b, bookOpts{
				rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false },
				deps: func(d *handlers.Deps) { deps = *d },
			})
			router := handlers.NewRouter(deps)
			slot := e.slots(0, bkDec)[0]
			if !refused {
				must(b, e.db.Model(&models.Slot{}).Where("id = ?", slot.ID).Update("capacity", b.N+1).Error)
			}
			toks := make([]string, b.N+1)
			for i := range toks {
				toks[i] = e.voter(fmt.Sprintf("oBench%d", i), 1)
			}
			body := fmt.Sprintf(`{"slot_id":%d,"topic":"路灯"}`, slot.ID)
			call := func(i int) int {
				req := httptest.NewRequest("POST", "/api/v1/bookings", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+toks[i])
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
				w := httptest.NewRecorder()
				router.ServeHTTP(w, req)
				return w.Code
			}
			want := http.StatusCreated
			if refused {
				// Fill the one seat, then one refusal sets the flag.
				must(b, e.db.Model(&models.Slot{}).Where("id = ?", slot.ID).Update("confirmed", 1).Error)
				if st := call(b.N); st != http.StatusConflict {
					b.Fatalf("full slot: %d", st)
				}
				want = http.StatusConflict
			}
			tr := traceSQL(e.db)
			rc := &redisCount{}
			e.rd.Client.AddHook(rc)
			var stmts []string
			b.ReportAllocs()
			b.ResetTimer()
			stmts = tr.record(func() {
				for i := range b.N {
					if st := call(i); st != want {
						b.Fatalf("request %d: %d, want %d", i, st, want)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(len(stmts))/float64(b.N), "stmts/op")
			b.ReportMetric(float64(rc.cmds.Load())/float64(b.N), "redis-cmds/op")
		})
	}
}
