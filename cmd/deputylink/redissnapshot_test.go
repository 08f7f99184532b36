package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"
)

// runServe starts serve in this process and returns its base URL and a
// function that stops it (like SIGTERM) and waits for it to end.
func runServe(t *testing.T, env map[string]string, demo bool) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, func(k string) string { return env[k] }, serveOptions{demo: demo}) }()
	base := "http://" + env["DEPUTYLINK_ADDR"]
	// A wait for start-up, not a speed check (see TestServeDemoEndToEnd).
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not come up within 2 minutes")
		}
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// send makes one request and returns the status, a header and the body.
func send(t *testing.T, method, url, token, body, idemKey string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// Ensure a restart of serve on the in-process Redis keeps voters signed in
// and replays a stored idempotent answer (the answer from Redis, 201, not
// the database's fallback, 200), and that a stopped request's pending
// claim is not restored.
func TestEmbeddedRedisKeepsSessionsAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve twice")
	}
	swapLogs(t, nil)
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	dataDir := t.TempDir()
	env := map[string]string{
		"DEPUTYLINK_ADDR":            freePort(t),
		"DEPUTYLINK_DATA_DIR":        dataDir,
		"DEPUTYLINK_DATABASE_URL":    modelstest.URL(t),
		"DEPUTYLINK_WECHAT_API_BASE": fake.URL(),
		"DEPUTYLINK_MP_APPID":        wechattest.DefaultMPAppID,
		"DEPUTYLINK_MP_SECRET":       wechattest.DefaultMPSecret,
		"DEPUTYLINK_LOG_LEVEL":       "warn",
	}
	base, stop := runServe(t, env, true)
	st, _, raw := send(t, "POST", base+"/api/v1/session", "", `{"code":"test:oKeep"}`, "")
	var s struct {
		Token string `json:"token"`
	}
	if st != 200 || json.Unmarshal(raw, &s) != nil || s.Token == "" {
		t.Fatalf("login: %d %s", st, raw)
	}
	opinion := `{"content":"东门菜市场门口的路灯坏了一个多月，晚上很不安全。","category":"shenghuo"}`
	st, _, first := send(t, "POST", base+"/api/v1/opinions", s.Token, opinion, "keep-1")
	if st != 201 {
		t.Fatalf("opinion: %d %s", st, first)
	}
	stop()
	if _, err := os.Stat(filepath.Join(dataDir, redisSnapshotFile)); err != nil {
		t.Errorf("no snapshot after shutdown: %v", err)
	}

	base, _ = runServe(t, env, false)
	if st, _, raw := send(t, "GET", base+"/api/v1/me", s.Token, "", ""); st != 200 {
		t.Errorf("token after restart: %d %s, want 200", st, raw)
	}
	st, hdr, again := send(t, "POST", base+"/api/v1/opinions", s.Token, opinion, "keep-1")
	if st != 201 || hdr.Get("Idempotent-Replayed") != "true" || string(again) != string(first) {
		t.Errorf("idempotent replay after restart: %d (replayed %q) %s, want the stored 201 %s", st, hdr.Get("Idempotent-Replayed"), again, first)
	}
}

// Ensure the snapshot keeps only sessions and idempotency answers, with the
// TTL they have left, drops what expired while the server was down and
// pending claims, and leaves other keys (rate limits) out.
func TestRedisSnapshotRoundTrip(t *testing.T) {
	swapLogs(t, nil)
	env := map[string]string{
		"DEPUTYLINK_DATA_DIR":     t.TempDir(),
		"DEPUTYLINK_DATABASE_URL": modelstest.URL(t),
	}
	a, err := openApp(context.Background(), func(k string) string { return env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	p := a.cfg.RedisPrefix
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.mini.Set(p+"sess:a", `{"v":1}`))
	a.mini.SetTTL(p+"sess:a", time.Hour)
	must(a.mini.Set(p+"sess:gone", `{"v":2}`))
	a.mini.SetTTL(p+"sess:gone", 10*time.Millisecond)
	must(a.mini.Set(p+"idem:bookings:1:k", `{"s":"done","h":"x","c":201,"b":"e30="}`))
	a.mini.SetTTL(p+"idem:bookings:1:k", 24*time.Hour)
	must(a.mini.Set(p+"idem:bookings:1:p", `{"s":"pending","h":"x"}`))
	a.mini.SetTTL(p+"idem:bookings:1:p", time.Minute)
	must(a.mini.Set(p+"rl:me_read:ip:1:1", "3"))
	n, err := a.saveRedisSnapshot()
	must(err)
	if n != 4 {
		t.Errorf("saved %d keys, want 4", n)
	}
	a.close()
	time.Sleep(20 * time.Millisecond) // sess:gone expires while "down"

	b, err := openApp(context.Background(), func(k string) string { return env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	n, err = b.restoreRedisSnapshot()
	must(err)
	if n != 2 {
		t.Errorf("restored %d keys, want 2", n)
	}
	if v, _ := b.mini.Get(p + "sess:a"); v != `{"v":1}` {
		t.Errorf("session = %q", v)
	}
	if ttl := b.mini.TTL(p + "sess:a"); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("session TTL = %v, want what was left of 1 h", ttl)
	}
	if !b.mini.Exists(p + "idem:bookings:1:k") {
		t.Error("idempotent answer not restored")
	}
	for _, k := range []string{"sess:gone", "idem:bookings:1:p", "rl:me_read:ip:1:1"} {
		if b.mini.Exists(p + k) {
			t.Errorf("%s restored", k)
		}
	}
}
