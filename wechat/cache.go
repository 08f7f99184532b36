package wechat

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// minCacheTTL is the smallest expiry RedisCache writes. go-redis treats a zero
// expiration as "keep forever", and the SDK computes expires_in-300 for
// stable tokens, which can be zero or negative; a token cached forever would
// produce endless 40001 errors.
const minCacheTTL = time.Second

// RedisCache adapts a go-redis v9 client to the SDK's cache.Cache and
// cache.ContextCache interfaces. Every key is namespaced with a prefix.
//
// Get returns a string or an untyped nil (never []byte: the SDK does
// val.(string)). A Redis failure reads as a miss, so the SDK fetches a token
// instead of failing the call.
type RedisCache struct {
	rdb    redis.UniversalClient
	prefix string
}

var (
	_ cache.Cache        = (*RedisCache)(nil)
	_ cache.ContextCache = (*RedisCache)(nil)
)

// NewRedisCache returns a cache writing keys as prefix+key.
func NewRedisCache(rdb redis.UniversalClient, prefix string) *RedisCache {
	return &RedisCache{rdb: rdb, prefix: prefix}
}

// Key returns the Redis key actually used for the SDK key k.
func (c *RedisCache) Key(k string) string { return c.prefix + k }

// Get implements cache.Cache.
func (c *RedisCache) Get(key string) interface{} {
	return c.GetContext(context.Background(), key)
}

// GetContext implements cache.ContextCache.
func (c *RedisCache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.rdb.Get(ctx, c.Key(key)).Result()
	if err != nil { // redis.Nil or an outage: both read as a miss
		return nil
	}
	return v
}

// Set implements cache.Cache; timeouts below one second are raised to one.
func (c *RedisCache) Set(key string, val interface{}, timeout time.Duration) error {
	return c.SetContext(context.Background(), key, val, timeout)
}

// SetContext implements cache.ContextCache.
func (c *RedisCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	if timeout < minCacheTTL {
		timeout = minCacheTTL
	}
	if b, ok := val.([]byte); ok {
		val = string(b)
	}
	return c.rdb.Set(ctx, c.Key(key), val, timeout).Err()
}

// IsExist implements cache.Cache.
func (c *RedisCache) IsExist(key string) bool {
	return c.IsExistContext(context.Background(), key)
}

// IsExistContext implements cache.ContextCache.
func (c *RedisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.Key(key)).Result()
	return err == nil && n > 0
}

// Delete implements cache.Cache.
func (c *RedisCache) Delete(key string) error {
	return c.DeleteContext(context.Background(), key)
}

// DeleteContext implements cache.ContextCache.
func (c *RedisCache) DeleteContext(ctx context.Context, key string) error {
	return c.rdb.Del(ctx, c.Key(key)).Err()
}

// compareAndDelete removes key only while it still holds want, so a process
// that saw a rejected token cannot delete a fresh one another process stored.
var compareAndDelete = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)

// DeleteIf deletes key if its value equals want. It reports whether it did.
func (c *RedisCache) DeleteIf(ctx context.Context, key, want string) (bool, error) {
	n, err := compareAndDelete.Run(ctx, c.rdb, []string{c.Key(key)}, want).Int()
	return n > 0, err
}

// tryLock takes a short Redis lock (SET NX PX) named by key.
func (c *RedisCache) tryLock(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return c.rdb.SetNX(ctx, c.Key(key), owner, ttl).Result()
}

// fetchOnce returns what peek finds in the cache, or else runs fetch once
// across every process sharing Redis: the caller that takes lockKey
// re-checks the cache and fetches (fetch stores the value), the others poll
// peek until the value appears. A caller whose wait outlasts lockTTL, or
// that cannot reach Redis, fetches itself rather than fail.
func (c *RedisCache) fetchOnce(ctx context.Context, lockKey string, lockTTL time.Duration,
	peek func(context.Context) string, fetch func(context.Context) (string, error),
) (string, error) {
	if v := peek(ctx); v != "" {
		return v, nil
	}
	owner := randomHex(8)
	deadline := time.Now().Add(lockTTL)
	wait := 5 * time.Millisecond
	for {
		ok, err := c.tryLock(ctx, lockKey, owner, lockTTL)
		if ok {
			defer c.unlock(lockKey, owner)
			if v := peek(ctx); v != "" {
				return v, nil
			}
			return fetch(ctx)
		}
		if err != nil || time.Now().After(deadline) {
			return fetch(ctx)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
		if v := peek(ctx); v != "" {
			return v, nil
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// unlock releases a lock taken by tryLock if owner still holds it.
func (c *RedisCache) unlock(key, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = c.DeleteIf(ctx, key, owner)
}
