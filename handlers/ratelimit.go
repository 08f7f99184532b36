package handlers

import (
	"context"
	"errors"
	"strconv"
	"time"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// errRateLimited marks a caller over a limit; respond maps it to 429.
var errRateLimited = errors.New("rate limited")

// RateLimit is "at most N requests per window" for one kind of caller.
type RateLimit struct {
	N      int
	Window time.Duration
}

// RateLimits are the abuse limits of the mini-program API. Zero values turn
// a limit off.
type RateLimits struct {
	SessionPerIP  RateLimit
	BookingPerIP  RateLimit
	BookingVoter  RateLimit
	OpinionVoter  RateLimit
	OpinionPerIP  RateLimit
	UploadPerUser RateLimit
}

// DefaultRateLimits are generous for people and tight for scripts. A
// community centre may put many voters behind one IP, hence the higher
// per-IP numbers.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		SessionPerIP:  RateLimit{N: 120, Window: time.Minute},
		BookingPerIP:  RateLimit{N: 300, Window: time.Minute},
		BookingVoter:  RateLimit{N: 20, Window: time.Minute},
		OpinionVoter:  RateLimit{N: 10, Window: time.Minute},
		OpinionPerIP:  RateLimit{N: 120, Window: time.Minute},
		UploadPerUser: RateLimit{N: 30, Window: time.Minute},
	}
}

// A fixed window: one counter per window (its index is in the key), INCR
// for each hit and an expiry of two windows, renewed with each hit so a
// counter never outlives its window by more than two windows and never
// loses its expiry. Two plain commands in one pipeline, no script: a
// booking burst runs two limits per request.

func (h *Handlers) allow(ctx context.Context, name, who string, l RateLimit) (bool, error) {
	if l.N <= 0 || h.Redis == nil {
		return true, nil
	}
	win := h.Now().UnixMilli() / l.Window.Milliseconds()
	key := h.RedisPrefix + "rl:" + name + ":" + who + ":" + strconv.FormatInt(win, 10)
	incr, err := rdoCmd(ctx, h, func(ctx context.Context, p redis.Pipeliner) *redis.IntCmd {
		n := p.Incr(ctx, key)
		p.PExpire(ctx, key, 2*l.Window)
		return n
	})
	if err != nil {
		return false, err
	}
	return incr.Val() <= int64(l.N), nil
}

// limitIP limits by client address.
func (h *Handlers) limitIP(name string, l RateLimit) gin.HandlerFunc {
	return func(c *gin.Context) { h.limit(c, name, "ip:"+c.ClientIP(), l) }
}

// limitVoter limits by the authenticated voter (after requireVoter).
func (h *Handlers) limitVoter(name string, l RateLimit) gin.HandlerFunc {
	return func(c *gin.Context) { h.limit(c, name, "v:"+strconv.FormatUint(voterID(c), 10), l) }
}

func (h *Handlers) limit(c *gin.Context, name, who string, l RateLimit) {
	ok, err := h.allow(c.Request.Context(), name, who, l)
	if err != nil {
		// Redis trouble must not lock every voter out: log and let the
		// database constraints do their job.
		logger(c).WarnContext(c.Request.Context(), "Rate limiter unavailable", "err", err)
		c.Next()
		return
	}
	if !ok {
		c.Header("Retry-After", strconv.Itoa(int(l.Window.Seconds())))
		respondErr(c, models.Coded(errRateLimited, "rate_limited", "操作太频繁，请稍后再试"))
		return
	}
	c.Next()
}
