package wechat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// Note: util.DefaultHTTPClient (and so the API base) is process-global, so
// tests in this package never use t.Parallel with different fakes.

const envRedis = "DEPUTYLINK_TEST_REDIS"

// redisTarget is one Redis server to run a test against.
type redisTarget struct {
	name    string
	mini    *miniredis.Miniredis // nil for a real server
	opt     *redis.Options
	cluster *redis.ClusterOptions // a Redis Cluster instead of opt
}

// client opens a new connection pool to the target (a new "process").
func (rt redisTarget) client(t *testing.T) redis.UniversalClient {
	t.Helper()
	var c redis.UniversalClient
	if rt.cluster != nil {
		c = redis.NewClusterClient(rt.cluster)
	} else {
		c = redis.NewClient(rt.opt)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fastForward advances time on miniredis, or sleeps on a real server.
func (rt redisTarget) fastForward(d time.Duration) {
	if rt.mini != nil {
		rt.mini.FastForward(d)
		return
	}
	time.Sleep(d)
}

// redisTargets returns miniredis always, plus the real Redis named by
// DEPUTYLINK_TEST_REDIS and the Redis Cluster named by
// DEPUTYLINK_TEST_REDIS_CLUSTER when set.
func redisTargets(t *testing.T) []redisTarget {
	t.Helper()
	m := miniredis.RunT(t)
	out := []redisTarget{{name: "miniredis", mini: m, opt: &redis.Options{Addr: m.Addr()}}}
	if u := os.Getenv(envRedis); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("%s: %v", envRedis, err)
		}
		c := redis.NewClient(opt)
		err = c.Ping(context.Background()).Err()
		_ = c.Close()
		if err != nil {
			t.Fatalf("%s: ping: %v", envRedis, err)
		}
		out = append(out, redisTarget{name: "redis", opt: opt})
	}
	if u := os.Getenv(wechattest.EnvRedisCluster); u != "" {
		opt, err := redis.ParseClusterURL(u)
		if err != nil {
			t.Fatalf("%s: %v", wechattest.EnvRedisCluster, err)
		}
		c := redis.NewClusterClient(opt)
		err = c.Ping(context.Background()).Err()
		_ = c.Close()
		if err != nil {
			t.Fatalf("%s: ping: %v", wechattest.EnvRedisCluster, err)
		}
		out = append(out, redisTarget{name: "cluster", cluster: opt})
	}
	return out
}

// uniquePrefix returns a fresh key prefix and deletes its keys at cleanup.
func uniquePrefix(t *testing.T, rt redisTarget) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "dltest:wechat:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		var c redis.UniversalClient
		if rt.cluster != nil {
			c = redis.NewClusterClient(rt.cluster)
		} else {
			c = redis.NewClient(rt.opt)
		}
		defer c.Close()
		wechattest.DeletePrefix(context.Background(), c, prefix)
	})
	return prefix
}

// fakeConfig is a Config for both default fake apps.
func fakeConfig(fake *wechattest.Server, prefix string) wechat.Config {
	return wechat.Config{
		OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
		OAToken: "spamtest", OAAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), HTTPTimeout: 5 * time.Second, KeyPrefix: prefix,
	}
}

// env is a fake WeChat plus a Client on miniredis, for tests that do not
// need a real Redis.
type env struct {
	fake *wechattest.Server
	c    *wechat.Client
	rdb  *redis.Client
	mini *miniredis.Miniredis
}

func newEnv(t *testing.T, mutate ...func(*wechat.Config)) *env {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := fakeConfig(fake, "dltest:")
	for _, f := range mutate {
		f(&cfg)
	}
	c, err := wechat.New(cfg, rdb, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{fake: fake, c: c, rdb: rdb, mini: m}
}

const (
	tplPath    = "/cgi-bin/message/template/send"
	subPath    = "/cgi-bin/message/subscribe/send"
	customPath = "/cgi-bin/message/custom/send"
)

func tpl(to string) wechat.TemplateMessage {
	return wechat.TemplateMessage{
		ToUser: to, TemplateID: "TPL_STAFF_NEW_BOOKING",
		MiniProgramAppID: wechattest.DefaultMPAppID, MiniProgramPage: "pages/admin/index",
		Data: map[string]string{"thing1": "新预约", "time2": "2025-03-01 09:30"},
	}
}
