package wechat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// burst sends n template messages concurrently, alternating between clients
// (two "processes"), and fails the test unless all are Sent.
func burst(t *testing.T, clients []*wechat.Client, n int, tag string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[i%len(clients)]
			r := c.SendTemplate(context.Background(), tpl(fmt.Sprintf("o%s%04d", tag, i)))
			if r.Outcome != wechat.Sent {
				errs <- fmt.Sprintf("send %d: %v (%v)", i, r.Outcome, r.Err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestTokenSharedAcrossProcesses(t *testing.T) {
	for _, rt := range redisTargets(t) {
		t.Run(rt.name, func(t *testing.T) {
			fake := wechattest.New()
			defer fake.Close()
			fake.SetFollowAll(true)
			prefix := uniquePrefix(t, rt)
			cfg := fakeConfig(fake, prefix)
			var clients []*wechat.Client
			for range 2 { // two processes: separate pools, same Redis and prefix
				c, err := wechat.New(cfg, rt.client(t), nil)
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			oa := wechattest.DefaultOAAppID

			burst(t, clients, 200, "a")
			if n := fake.StableTokenCalls(oa); n != 1 {
				t.Fatalf("first burst: stable_token calls = %d, want 1", n)
			}
			if fake.TokenCalls(oa) != 0 {
				t.Fatal("the non-stable /cgi-bin/token endpoint was used")
			}

			// Rotation: every in-flight token is rejected with 40001; exactly
			// one process refetches, everybody retries once and succeeds.
			fake.RotateToken(oa)
			burst(t, clients, 200, "b")
			if n := fake.StableTokenCalls(oa); n != 2 {
				t.Fatalf("after rotation: stable_token calls = %d, want 2", n)
			}

			// Expiry: 42001 follows the same path.
			fake.ExpireToken(oa)
			burst(t, clients, 200, "c")
			if n := fake.StableTokenCalls(oa); n != 3 {
				t.Fatalf("after expiry: stable_token calls = %d, want 3", n)
			}
			if got := len(fake.Templates()); got != 600 {
				t.Fatalf("delivered %d templates, want 600", got)
			}
			for _, c := range fake.Calls("/cgi-bin/stable_token") {
				if !strings.Contains(string(c.Body), `"force_refresh":false`) {
					t.Fatalf("stable_token body %s: force_refresh must be false", c.Body)
				}
			}

			// The token lives under the SDK's key, namespaced by KeyPrefix.
			keys := clients[0].TokenCacheKeys()
			want := prefix + "gowechat_officialaccount__stable_access_token_" + oa
			if len(keys) != 2 || keys[0] != want {
				t.Fatalf("TokenCacheKeys = %v, want first %q", keys, want)
			}
			if got, _ := clients[0].Cache().Get("gowechat_officialaccount__stable_access_token_" + oa).(string); got != fake.StableToken(oa) {
				t.Fatalf("cached token %q != fake's %q", got, fake.StableToken(oa))
			}
		})
	}
}

func TestTokenSharedMiniProgram(t *testing.T) {
	for _, rt := range redisTargets(t) {
		t.Run(rt.name, func(t *testing.T) {
			fake := wechattest.New()
			defer fake.Close()
			fake.SetUnlimitedConsent(true)
			cfg := fakeConfig(fake, uniquePrefix(t, rt))
			c1, _ := wechat.New(cfg, rt.client(t), nil)
			c2, _ := wechat.New(cfg, rt.client(t), nil)
			mp := wechattest.DefaultMPAppID
			send := func(round string) {
				var wg sync.WaitGroup
				for i := range 100 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := []*wechat.Client{c1, c2}[i%2]
						r := c.SendSubscribe(context.Background(), wechat.SubscribeMessage{
							ToUser: fmt.Sprintf("ov%s%03d", round, i), TemplateID: "TPL_BOOKED",
							Data: map[string]string{"thing1": "接待预约成功"},
						})
						if r.Outcome != wechat.Sent {
							t.Errorf("subscribe %d: %v %v", i, r.Outcome, r.Err)
						}
					}()
				}
				wg.Wait()
			}
			send("a")
			fake.RotateToken(mp)
			send("b")
			if n := fake.StableTokenCalls(mp); n != 2 {
				t.Fatalf("mini-program stable_token calls = %d, want 2", n)
			}
			if n := fake.StableTokenCalls(wechattest.DefaultOAAppID); n != 0 {
				t.Fatalf("OA token fetched %d times by MP sends", n)
			}
		})
	}
}

// TestTokenNaturalExpiry: with expires_in 2 s the SDK caches for 2-300 s,
// which the adapter clamps to 1 s; after expiry the next send fetches a new
// token (or, if Redis still holds the old one, recovers from 42001).
func TestTokenNaturalExpiry(t *testing.T) {
	for _, rt := range redisTargets(t) {
		t.Run(rt.name, func(t *testing.T) {
			fake := wechattest.New()
			defer fake.Close()
			fake.SetFollowAll(true)
			fake.SetTokenTTL(2 * time.Second)
			c, err := wechat.New(fakeConfig(fake, uniquePrefix(t, rt)), rt.client(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r := c.SendTemplate(context.Background(), tpl("oexp1")); r.Outcome != wechat.Sent {
				t.Fatalf("first send: %v", r.Err)
			}
			time.Sleep(2100 * time.Millisecond) // fake token now expired
			if r := c.SendTemplate(context.Background(), tpl("oexp2")); r.Outcome != wechat.Sent {
				t.Fatalf("send after expiry: %v", r.Err)
			}
			if n := fake.StableTokenCalls(wechattest.DefaultOAAppID); n != 2 {
				t.Fatalf("stable_token calls = %d, want 2", n)
			}
		})
	}
}
