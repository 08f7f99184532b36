package shared

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"deputylink/wechat/wechattest"

	"github.com/redis/go-redis/v9"
)

// TestRedisClusterUnderTest proves that the Redis-behaviour suites really
// run on a Redis Cluster when DEPUTYLINK_TEST_REDIS_CLUSTER is set (.ci/run
// step 7c): the test client is a cluster client with at least three
// masters, and the keys one test writes land on more than one of them. So
// CI cannot pass while silently on one node.
func TestRedisClusterUnderTest(t *testing.T) {
	tr := wechattest.NewRedis(t)
	if os.Getenv(wechattest.EnvRedisCluster) == "" {
		if tr.Cluster() {
			t.Fatal("a cluster without DEPUTYLINK_TEST_REDIS_CLUSTER")
		}
		t.Skip("DEPUTYLINK_TEST_REDIS_CLUSTER is not set")
	}
	cc, ok := tr.Client.(*redis.ClusterClient)
	if !ok || !tr.Cluster() {
		t.Fatalf("DEPUTYLINK_TEST_REDIS_CLUSTER is set but the test client is %T", tr.Client)
	}
	ctx := t.Context()
	var (
		mu      sync.Mutex
		masters = map[string]int{} // address → keys of this test held there
	)
	// The keys the session, rate-limit and idempotency code writes.
	for i := range 30 {
		for _, k := range []string{"sess:%d", "rl:login:%d:1", "idem:r:o:%d"} {
			if err := cc.Set(ctx, tr.Prefix+fmt.Sprintf(k, i), "x", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, err := n.Keys(ctx, tr.Prefix+"*").Result()
		mu.Lock()
		masters[n.Options().Addr] = len(keys)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	holding, total := 0, 0
	for _, n := range masters {
		total += n
		if n > 0 {
			holding++
		}
	}
	t.Logf("redis cluster: %d masters, keys per master %v", len(masters), masters)
	if len(masters) < 3 {
		t.Errorf("%d masters, want at least 3", len(masters))
	}
	if holding < 2 || total != 90 {
		t.Errorf("90 keys landed on %d masters (%d found): want more than one", holding, total)
	}
	// DeletePrefix cleans every master.
	wechattest.DeletePrefix(ctx, cc, tr.Prefix)
	if keys, err := wechattest.Keys(ctx, cc, tr.Prefix+"*"); err != nil || len(keys) != 0 {
		t.Errorf("after DeletePrefix: %v, %v", keys, err)
	}
}
