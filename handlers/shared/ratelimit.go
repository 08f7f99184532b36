package shared

import (
	"context"
	"errors"
	"strconv"
	"time"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

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
	// BallotPerIP and BallotVoter limit opening and casting ballots of
	// reviews: a whole meeting hall may share one IP.
	BallotPerIP RateLimit
	BallotVoter RateLimit
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
		BallotPerIP:   RateLimit{N: 600, Window: time.Minute},
		BallotVoter:   RateLimit{N: 20, Window: time.Minute},
	}
}

// A fixed window: one counter per window (its index is in the key), INCR
// for each hit and an expiry of two windows, renewed with each hit so a
// counter never outlives its window by more than two windows and never
// loses its expiry. Two plain commands in one pipeline, no script: a
// booking burst runs two limits per request.

// allow counts a hit of who against the limit name and reports whether it
// is within l.
func (h *Base) allow(ctx context.Context, name, who string, l RateLimit) (bool, error) {
	if l.N <= 0 || h.Redis == nil {
		return true, nil
	}
	key := h.limitKey(name, who, l)
	incr, err := RDoCmd(ctx, h, func(ctx context.Context, p redis.Pipeliner) *redis.IntCmd {
		n := p.Incr(ctx, key)
		p.PExpire(ctx, key, 2*l.Window)
		return n
	})
	if err != nil {
		return false, err
	}
	return incr.Val() <= int64(l.N), nil
}

// limitKey is the counter of who against the limit name in the current
// window.
func (h *Base) limitKey(name, who string, l RateLimit) string {
	win := h.Now().UnixMilli() / l.Window.Milliseconds()
	return h.RedisPrefix + "rl:" + name + ":" + who + ":" + strconv.FormatInt(win, 10)
}

// Count counts a hit of who against the limit name, for limits that count
// only some requests (e.g. failures), and reports whether who is still
// within l. Read with Spent.
func (h *Base) Count(ctx context.Context, name, who string, l RateLimit) (bool, error) {
	return h.allow(ctx, name, who, l)
}

// Spent reports whether who has used up the limit name in the current
// window, without counting a hit (see Count).
func (h *Base) Spent(ctx context.Context, name, who string, l RateLimit) (bool, error) {
	if l.N <= 0 || h.Redis == nil {
		return false, nil
	}
	key := h.limitKey(name, who, l)
	get, err := RDoCmd(ctx, h, func(ctx context.Context, p redis.Pipeliner) *redis.StringCmd {
		return p.Get(ctx, key)
	})
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n, err := get.Int64()
	return err == nil && n >= int64(l.N), nil
}

// RespondRateLimited answers 429 with Retry-After for the limit l.
func RespondRateLimited(c *gin.Context, l RateLimit) {
	c.Header("Retry-After", strconv.Itoa(int(l.Window.Seconds())))
	RespondErr(c, models.Coded(errRateLimited, "rate_limited", "操作太频繁，请稍后再试"))
}

// LimitIP limits by client address.
func (h *Base) LimitIP(name string, l RateLimit) gin.HandlerFunc {
	return func(c *gin.Context) { h.Limit(c, name, "ip:"+c.ClientIP(), l) }
}

// RateLimitedErr is a refusal of a caller over a limit of the face's own
// (429, with the code and the Chinese message given); the caller sets
// Retry-After.
func RateLimitedErr(code, msg string) error { return models.Coded(errRateLimited, code, msg) }

// Limit counts a hit of who (a caller's address or identity) against the
// limit name and answers 429 with Retry-After when it is over l. Redis
// trouble lets the request through.
func (h *Base) Limit(c *gin.Context, name, who string, l RateLimit) {
	ok, err := h.allow(c.Request.Context(), name, who, l)
	if err != nil {
		// Redis trouble must not lock every voter out: log and let the
		// database constraints do their job.
		Logger(c).WarnContext(c.Request.Context(), "Rate limiter unavailable", "err", err)
		c.Next()
		return
	}
	if !ok {
		RespondRateLimited(c, l)
		return
	}
	c.Next()
}
