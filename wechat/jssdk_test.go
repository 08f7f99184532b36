package wechat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// TestJSSDKSignatureVector checks WeChat's published example
// (docs/WECHAT.md#js-sdk-signature).
func TestJSSDKSignatureVector(t *testing.T) {
	const (
		ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
		nonce  = "Wm3WZYTPz0wzccnW"
		ts     = 1414587457
		want   = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
	)
	if got := wechat.JSSDKSignature(ticket, nonce, ts, "http://mp.weixin.qq.com?params=value"); got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	// The #fragment is not part of the signed address.
	if got := wechat.JSSDKSignature(ticket, nonce, ts, "http://mp.weixin.qq.com?params=value#top"); got != want {
		t.Fatalf("with a fragment: %s, want %s", got, want)
	}
	if got := wechat.JSSDKSignature(ticket, nonce, ts+1, "http://mp.weixin.qq.com?params=value"); got == want {
		t.Fatal("the timestamp is not signed")
	}
}

func TestJSConfig(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	oa := wechattest.DefaultOAAppID
	const page = "https://dl.example/console/desk?day=2025-12-20"

	before := time.Now().Unix()
	a, err := e.c.JSConfig(ctx, page+"#scan")
	if err != nil {
		t.Fatal(err)
	}
	ticket := e.fake.JSAPITicket(oa)
	if a.AppID != oa || a.NonceStr == "" || a.Timestamp < before || a.Timestamp > time.Now().Unix() ||
		a.Signature != wechat.JSSDKSignature(ticket, a.NonceStr, a.Timestamp, page) {
		t.Fatalf("JSConfig = %+v (ticket %q)", a, ticket)
	}
	b, err := e.c.JSConfig(ctx, page)
	if err != nil || b.NonceStr == a.NonceStr || b.Signature != wechat.JSSDKSignature(ticket, b.NonceStr, b.Timestamp, page) {
		t.Fatalf("second JSConfig = %+v, %v", b, err)
	}
	if n := e.fake.JSAPITicketCalls(oa); n != 1 {
		t.Fatalf("getticket calls = %d, want 1 (cached)", n)
	}

	// Replaced before WeChat's 7,200 s are up.
	e.mini.FastForward(7200*time.Second - 9*time.Minute)
	c, err := e.c.JSConfig(ctx, page)
	if err != nil || e.fake.JSAPITicketCalls(oa) != 2 || e.fake.JSAPITicket(oa) == ticket ||
		c.Signature != wechat.JSSDKSignature(e.fake.JSAPITicket(oa), c.NonceStr, c.Timestamp, page) {
		t.Fatalf("after 6,840 s: %+v %v, getticket calls %d", c, err, e.fake.JSAPITicketCalls(oa))
	}

	// A revoked access token: dropped, fetched again, the call retried once.
	e.mini.FastForward(2 * time.Hour)
	e.fake.RotateToken(oa)
	if _, err := e.c.JSConfig(ctx, page); err != nil {
		t.Fatalf("after token rotation: %v", err)
	}
	if n := e.fake.StableTokenCalls(oa); n != 2 {
		t.Fatalf("stable_token calls = %d, want 2", n)
	}

	// WeChat down: an error, nothing cached.
	e.mini.FastForward(2 * time.Hour)
	e.fake.FailNext("/cgi-bin/ticket/getticket", -1)
	if _, err := e.c.JSConfig(ctx, page); wechat.ErrCode(err) != -1 {
		t.Fatalf("system busy: %v", err)
	}
	if _, err := e.c.JSConfig(ctx, page); err != nil {
		t.Fatalf("after the failure: %v", err)
	}

	for _, bad := range []string{"", "/console/desk", "ftp://dl.example/", "https://"} {
		if _, err := e.c.JSConfig(ctx, bad); !errors.Is(err, wechat.ErrInvalidArgument) {
			t.Errorf("JSConfig(%q): %v", bad, err)
		}
	}
	none := newEnv(t, func(c *wechat.Config) { c.OAAppID, c.OASecret = "", "" })
	if _, err := none.c.JSConfig(ctx, page); !errors.Is(err, wechat.ErrNotConfigured) {
		t.Fatalf("not configured: %v", err)
	}
}

// TestJSTicketSharedAcrossProcesses: two processes sharing Redis, many
// concurrent pages, one getticket call.
func TestJSTicketSharedAcrossProcesses(t *testing.T) {
	for _, rt := range redisTargets(t) {
		t.Run(rt.name, func(t *testing.T) {
			fake := wechattest.New()
			defer fake.Close()
			fake.SetLatency(20 * time.Millisecond) // widen the race
			cfg := fakeConfig(fake, uniquePrefix(t, rt))
			var clients []*wechat.Client
			for range 2 {
				c, err := wechat.New(cfg, rt.client(t), nil)
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := clients[i%2].JSConfig(context.Background(), "https://dl.example/console/desk"); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := fake.JSAPITicketCalls(wechattest.DefaultOAAppID); n != 1 {
				t.Fatalf("getticket calls = %d, want 1", n)
			}
		})
	}
}
