package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"deputylink/wechat"
)

func TestRedisCache(t *testing.T) {
	for _, rt := range redisTargets(t) {
		t.Run(rt.name, func(t *testing.T) {
			rdb := rt.client(t)
			prefix := uniquePrefix(t, rt)
			c := wechat.NewRedisCache(rdb, prefix)
			var _ cache.ContextCache = c
			ctx := context.Background()

			// Missing → untyped nil (the SDK compares with nil).
			if v := c.Get("missing"); v != nil {
				t.Fatalf("Get(missing) = %#v, want nil", v)
			}
			if c.IsExist("missing") {
				t.Fatal("IsExist(missing) = true")
			}

			// Present → string, even when a []byte was stored.
			if err := c.Set("k", []byte("tok"), time.Minute); err != nil {
				t.Fatal(err)
			}
			v := c.Get("k")
			if s, ok := v.(string); !ok || s != "tok" {
				t.Fatalf("Get(k) = %#v, want string tok", v)
			}
			if got := rdb.Get(ctx, prefix+"k").Val(); got != "tok" {
				t.Fatalf("raw key not prefixed: %q", got)
			}
			if !c.IsExistContext(ctx, "k") {
				t.Fatal("IsExist(k) = false")
			}
			if err := c.DeleteContext(ctx, "k"); err != nil || c.Get("k") != nil {
				t.Fatalf("Delete: %v / %v", err, c.Get("k"))
			}

			// TTL clamp: 0 and negative timeouts become one second, never forever.
			for i, d := range []time.Duration{0, -5 * time.Second, 200 * time.Millisecond} {
				key := []string{"zero", "neg", "sub"}[i]
				if err := c.SetContext(ctx, key, "v", d); err != nil {
					t.Fatal(err)
				}
				ttl := rdb.PTTL(ctx, prefix+key).Val()
				if ttl <= 0 || ttl > time.Second {
					t.Fatalf("Set(%v): PTTL = %v, want (0, 1s]", d, ttl)
				}
			}
			rt.fastForward(1100 * time.Millisecond)
			for _, key := range []string{"zero", "neg", "sub"} {
				if v := c.Get(key); v != nil {
					t.Fatalf("%s did not expire: %#v", key, v)
				}
			}

			// Compare-and-delete keeps a value another process replaced.
			_ = c.Set("tok", "new", time.Minute)
			if ok, err := c.DeleteIf(ctx, "tok", "old"); ok || err != nil {
				t.Fatalf("DeleteIf(old) = %v, %v", ok, err)
			}
			if ok, err := c.DeleteIf(ctx, "tok", "new"); !ok || err != nil {
				t.Fatalf("DeleteIf(new) = %v, %v", ok, err)
			}
		})
	}
}

func TestRedisCacheOutageReadsAsMiss(t *testing.T) {
	rt := redisTargets(t)[0]
	rdb := redis.NewClient(&redis.Options{Addr: rt.mini.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	c := wechat.NewRedisCache(rdb, "dltest:")
	_ = c.Set("k", "v", time.Minute)
	rt.mini.Close()
	if v := c.Get("k"); v != nil {
		t.Fatalf("Get during outage = %#v, want nil", v)
	}
	if err := c.Set("k", "v", time.Minute); err == nil {
		t.Fatal("Set during outage returned nil error")
	}
}

func TestRedisCacheConcurrent(t *testing.T) {
	rt := redisTargets(t)[0]
	c := wechat.NewRedisCache(rt.client(t), uniquePrefix(t, rt))
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				_ = c.Set("shared", "v", time.Minute)
				if v := c.Get("shared"); v != nil {
					if _, ok := v.(string); !ok {
						t.Errorf("goroutine %d/%d: non-string %T", i, j, v)
					}
				}
			}
		}()
	}
	wg.Wait()
}
