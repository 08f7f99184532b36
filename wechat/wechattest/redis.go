package wechattest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvRedis names the variable that switches tests to a real Redis server.
const EnvRedis = "DEPUTYLINK_TEST_REDIS"

// TestRedis is a Redis for one test: a real server when DEPUTYLINK_TEST_REDIS
// is set (CI), otherwise an in-process miniredis.
type TestRedis struct {
	Client *redis.Client
	// Prefix is unique to the test; pass it as every component's key prefix
	// so tests sharing one real server never see each other's keys.
	Prefix string
	// Mini is the in-process server, or nil on a real Redis.
	Mini *miniredis.Miniredis
	// URL connects another process to the same server.
	URL string
}

// NewRedis returns a Redis for the test and cleans its keys up afterwards.
func NewRedis(t testing.TB) *TestRedis {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tr := &TestRedis{Prefix: "dltest:" + hex.EncodeToString(b) + ":"}
	if u := os.Getenv(EnvRedis); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("%s: %v", EnvRedis, err)
		}
		tr.URL = u
		tr.Client = redis.NewClient(opt)
	} else {
		tr.Mini = miniredis.RunT(t)
		tr.URL = "redis://" + tr.Mini.Addr() + "/0"
		tr.Client = redis.NewClient(&redis.Options{Addr: tr.Mini.Addr()})
	}
	if err := tr.Client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis ping: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := tr.Client.Scan(ctx, 0, tr.Prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			tr.Client.Del(ctx, iter.Val())
		}
		_ = tr.Client.Close()
	})
	return tr
}
