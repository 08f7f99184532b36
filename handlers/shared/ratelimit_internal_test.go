package shared

import (
	"context"
	"testing"
	"time"

	"deputylink/wechat/wechattest"
)

// Ensure the fixed window admits N hits per window and per caller, starts
// afresh in the next window, and that every counter carries an expiry of
// at most two windows, so none is left in Redis for ever.
func TestAllowFixedWindow(t *testing.T) {
	tr := wechattest.NewRedis(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)
	h := &Base{Deps: Deps{Redis: tr.Client, RedisPrefix: tr.Prefix, Now: func() time.Time { return now }}}
	h.rb = NewRedisBatcher(tr.Client, time.Second, 256, nil)
	l := RateLimit{N: 3, Window: time.Minute}
	hits := func(who string, n int) (allowed int) {
		for range n {
			ok, err := h.allow(ctx, "test", who, l)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				allowed++
			}
		}
		return allowed
	}
	if got := hits("a", 5); got != 3 {
		t.Errorf("a: %d of 5 allowed, want 3", got)
	}
	if got := hits("b", 2); got != 2 {
		t.Errorf("b: %d of 2 allowed, want 2 (counters are per caller)", got)
	}
	keys, err := wechattest.Keys(ctx, tr.Client, tr.Prefix+"rl:*")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("rate-limit keys %v, want 2", keys)
	}
	for _, k := range keys {
		if ttl := tr.Client.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 2*l.Window {
			t.Errorf("%s expires in %v, want within two windows", k, ttl)
		}
	}
	now = now.Add(time.Minute)
	if got := hits("a", 5); got != 3 {
		t.Errorf("a in the next window: %d of 5 allowed, want 3", got)
	}
}
