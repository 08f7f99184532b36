package shared

import (
	"context"
	"errors"
	"time"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"
)

// errServerBusy answers a request that waited its whole turn at the admission
// gate (503 with Retry-After, like every 503).
var errServerBusy = models.Coded(ErrUnavailable, "server_busy", "访问人数较多，请稍后再试")

// Admission lets at most n requests of one process into the handlers at
// once; the others wait in arrival order for up to wait, then get 503
// "busy" with Retry-After. A caller that hangs up while waiting is dropped
// without an answer. Requests to the paths in skip (probes, scrapes) are
// never held. n <= 0 turns the gate off.
//
// The gate bounds memory, not throughput: a request deep in a handler
// holds a grown goroutine stack (about 16–32 KB in a booking or a filing)
// and its handler's objects, and the Go collector's heap goal grows with
// both, while a request waiting here holds only its connection and a
// shallow stack. See docs/ARCHITECTURE.md, "Memory".
func Admission(n int, wait time.Duration, skip ...string) gin.HandlerFunc {
	if n <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	sem := semaphore.NewWeighted(int64(n))
	skipped := make(map[string]bool, len(skip))
	for _, p := range skip {
		skipped[p] = true
	}
	return func(c *gin.Context) {
		if skipped[c.Request.URL.Path] {
			c.Next()
			return
		}
		if !sem.TryAcquire(1) {
			ctx, cancel := context.WithTimeout(c.Request.Context(), wait)
			err := sem.Acquire(ctx, 1)
			cancel()
			if err != nil {
				if errors.Is(c.Request.Context().Err(), context.Canceled) {
					c.Abort() // the caller left; nobody reads an answer
					return
				}
				RespondErr(c, errServerBusy)
				return
			}
		}
		defer sem.Release(1)
		c.Next()
	}
}
