package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// The console login throttle. Failed logins lock no account (anyone could
// lock anyone out, and only real usernames would lock). Instead attempts
// are counted per (typed username, client address) and per address, in
// Redis so that every server process sees the same counts:
//   - a pair's first loginFreeFailures attempts are free; after that each
//     attempt must wait loginBaseDelay, doubled with each further failure,
//     up to loginMaxDelay, and is answered 429 with Retry-After meanwhile;
//   - an address gets loginAddrFreeFailures attempts over all usernames
//     before the same growing delay applies to the address (spraying);
//   - an attempt is counted before its password is checked and forgiven
//     when it was right (the pair starts over, the address gets its one
//     attempt back), so concurrent guesses get no more checks than that;
//   - every typed username is treated alike, unknown ones included, so the
//     answers tell nothing about which usernames exist;
//   - counts are forgotten loginForget after the last attempt.
//
// On top of this, consoleLoginLimit caps the requests of an address.
const (
	loginFreeFailures     = 5
	loginAddrFreeFailures = 50
	loginBaseDelay        = time.Second
	loginMaxDelay         = 15 * time.Minute
	loginForget           = time.Hour
)

// loginReserve counts an attempt of a pair (KEYS[1]) and its address
// (KEYS[2]) unless either must still wait, in which case it answers the
// wait in ms and counts nothing. Each key is a hash: n attempts, u the
// instant (Unix ms, our clock) before which the next attempt must wait.
// ARGV: now ms, the pair's and the address's free attempts, base delay ms,
// max delay ms, forget ms.
var loginReserve = redis.NewScript(`
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  local u = tonumber(redis.call('HGET', KEYS[i], 'u') or '0')
  if u - now > wait then wait = u - now end
end
if wait > 0 then return wait end
for i = 1, 2 do
  local free = tonumber(ARGV[i + 1])
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  if n >= free then
    local d = tonumber(ARGV[5])
    if n - free < 40 then d = math.min(d, tonumber(ARGV[4]) * 2 ^ (n - free)) end
    redis.call('HSET', KEYS[i], 'u', string.format('%d', now + d))
  end
  redis.call('PEXPIRE', KEYS[i], ARGV[6])
end
return 0`)

// loginForgive undoes a right attempt: the pair (KEYS[1]) starts over, the
// address (KEYS[2]) gets its attempt back, and its wait ends once it is
// under its free attempts (ARGV[1]) again.
var loginForgive = redis.NewScript(`
redis.call('DEL', KEYS[1])
local n = redis.call('HINCRBY', KEYS[2], 'n', -1)
if n <= 0 then
  redis.call('DEL', KEYS[2])
elseif n < tonumber(ARGV[1]) then
  redis.call('HDEL', KEYS[2], 'u')
end
return n`)

var errLoginUnavailable = models.Coded(shared.ErrUnavailable, "unavailable", "登录服务暂时不可用，请稍后再试")

// loginKeys are the Redis keys of a typed username from an address. The
// username appears only as a hash: it may be a password typed in the
// wrong field. Both carry the address as their hash tag, so that the
// scripts above, which touch both, run on one Redis Cluster node while
// different addresses spread over the slots (docs/SCALE.md section 2).
func (h *Handlers) loginKeys(username, ip string) (pair, addr string) {
	sum := sha256.Sum256([]byte("deputylink console login\x00" + models.NormalizeUsername(username)))
	tagged := h.RedisPrefix + "clogin:{" + ip + "}:"
	return tagged + "u:" + hex.EncodeToString(sum[:16]), tagged + "a"
}

// reserveLogin counts a login attempt, or answers how long the caller must
// wait first.
func (h *Handlers) reserveLogin(ctx context.Context, pair, addr string, now time.Time) (time.Duration, error) {
	ms, err := loginReserve.Run(ctx, h.Redis, []string{pair, addr},
		now.UnixMilli(), loginFreeFailures, loginAddrFreeFailures,
		loginBaseDelay.Milliseconds(), loginMaxDelay.Milliseconds(), loginForget.Milliseconds()).Int64()
	return time.Duration(ms) * time.Millisecond, err
}

// forgiveLogin undoes the count of a right attempt.
func (h *Handlers) forgiveLogin(c *gin.Context, pair, addr string) {
	ctx := c.Request.Context()
	if err := loginForgive.Run(ctx, h.Redis, []string{pair, addr}, loginAddrFreeFailures).Err(); err != nil {
		shared.Logger(c).WarnContext(ctx, "Console login: cannot clear the throttle", "err", err)
	}
}

// loginThrottled answers an attempt that came before its wait was over:
// 429, Retry-After in whole seconds, and when to try again in Chinese.
func (h *Handlers) loginThrottled(c *gin.Context, wait time.Duration, now time.Time) {
	shared.RespondErr(c, h.loginWaitErr(c, wait, now))
}

// loginWaitErr sets Retry-After in whole seconds and answers the 429 that
// says in Chinese when to try again (the JSON login and the sign-in page).
func (h *Handlers) loginWaitErr(c *gin.Context, wait time.Duration, now time.Time) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Header("Retry-After", strconv.Itoa(secs))
	msg := fmt.Sprintf("登录失败次数过多，请在%d秒后再试", secs)
	if secs >= 60 {
		msg = fmt.Sprintf("登录失败次数过多，请在%d分钟后（%s以后）再试",
			(secs+59)/60, models.ClockText(now.Add(time.Duration(secs)*time.Second), h.Location))
	}
	return shared.RateLimitedErr("login_throttled", msg)
}

// loginTagKey keys userTag; it is made afresh by each process, so tags
// correlate the attempts within one process's log and reveal nothing.
var loginTagKey = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// userTag stands for a typed username in the log: a keyed hash, never the
// text (which may be a password typed in the wrong field).
func userTag(username string) string {
	m := hmac.New(sha256.New, loginTagKey)
	m.Write([]byte(models.NormalizeUsername(username)))
	return hex.EncodeToString(m.Sum(nil)[:6])
}
