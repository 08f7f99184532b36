package wechattest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvRedis names the variable that switches tests to a real Redis server.
const EnvRedis = "DEPUTYLINK_TEST_REDIS"

// EnvRedisCluster names the variable that switches tests to a real Redis
// Cluster, in go-redis's cluster URL form
// (redis://host1:port?addr=host2:port&addr=host3:port). It wins over
// EnvRedis. .ci/run sets it for the Redis-behaviour suites only.
const EnvRedisCluster = "DEPUTYLINK_TEST_REDIS_CLUSTER"

// TestRedis is a Redis for one test: a Redis Cluster when
// DEPUTYLINK_TEST_REDIS_CLUSTER is set, a real server when
// DEPUTYLINK_TEST_REDIS is set (CI), otherwise an in-process miniredis.
type TestRedis struct {
	Client redis.UniversalClient
	// Prefix is unique to the test; pass it as every component's key prefix
	// so tests sharing one real server never see each other's keys.
	Prefix string
	// Mini is the in-process server, or nil on a real Redis.
	Mini *miniredis.Miniredis
	// URL connects another process to the same server; empty on a cluster
	// (use ClusterURL there).
	URL string
	// ClusterURL is the cluster's URL when the test runs on a cluster.
	ClusterURL string
}

// Cluster reports whether the test runs against a Redis Cluster.
func (tr *TestRedis) Cluster() bool { return tr.ClusterURL != "" }

// NewRedis returns a Redis for the test and cleans its keys up afterwards
// (on every master of a cluster).
func NewRedis(t testing.TB) *TestRedis {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tr := &TestRedis{Prefix: "dltest:" + hex.EncodeToString(b) + ":"}
	if u := os.Getenv(EnvRedisCluster); u != "" {
		opt, err := redis.ParseClusterURL(u)
		if err != nil {
			t.Fatalf("%s: %v", EnvRedisCluster, err)
		}
		tr.ClusterURL = u
		tr.Client = redis.NewClusterClient(opt)
	} else if u := os.Getenv(EnvRedis); u != "" {
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
		DeletePrefix(context.Background(), tr.Client, tr.Prefix)
		_ = tr.Client.Close()
	})
	return tr
}

// DeletePrefix deletes every key that starts with prefix: on each master of
// a cluster (a SCAN sees one node only), or on the one server.
func DeletePrefix(ctx context.Context, c redis.UniversalClient, prefix string) {
	del := func(ctx context.Context, n redis.UniversalClient) {
		iter := n.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			n.Del(ctx, iter.Val())
		}
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			del(ctx, n)
			return nil
		})
		return
	}
	del(ctx, c)
}

// Keys lists the keys matching pattern: on each master of a cluster (KEYS
// and SCAN see one node only), or on the one server.
func Keys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return c.Keys(ctx, pattern).Result()
	}
	var (
		mu   sync.Mutex
		keys []string
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		ks, err := n.Keys(ctx, pattern).Result()
		mu.Lock()
		keys = append(keys, ks...)
		mu.Unlock()
		return err
	})
	return keys, err
}

// ServerVar is the setting that points a deputylink process at this Redis:
// DEPUTYLINK_REDIS_CLUSTER on a cluster, DEPUTYLINK_REDIS_URL otherwise.
func (tr *TestRedis) ServerVar() (name, value string) {
	if tr.Cluster() {
		return "DEPUTYLINK_REDIS_CLUSTER", tr.ClusterURL
	}
	return "DEPUTYLINK_REDIS_URL", tr.URL
}

// ServerEnv is ServerVar as NAME=value, for a child process's environment.
func (tr *TestRedis) ServerEnv() string {
	n, v := tr.ServerVar()
	return n + "=" + v
}
