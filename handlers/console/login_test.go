package console_test

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/wechat/wechattest"
)

// loginAnswer is what a client learns from one login attempt.
type loginAnswer struct {
	Status                    int
	Code, Message, RetryAfter string
}

// loginFrom tries a login from a client address (the router trusts the
// local test client's X-Forwarded-For, as it trusts the local proxy).
func (e *conEnv) loginFrom(addr, user, pass string) loginAnswer {
	e.t.Helper()
	var b errBody
	r := e.call("POST", "/console/api/login", conReq{
		body:   `{"username":"` + user + `","password":"` + pass + `"}`,
		header: map[string]string{"X-Forwarded-For": addr},
	}, &b)
	return loginAnswer{Status: r.StatusCode, Code: b.Error.Code, Message: b.Error.Message, RetryAfter: r.Header.Get("Retry-After")}
}

// Ensure an unknown username and a wrong password get the same answer
// (status, code, message, Retry-After) attempt after attempt, the growing
// delay included: nothing tells which usernames exist.
func TestConsoleLoginSameAnswerUnknownOrWrong(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	for i := range 12 {
		unknown := e.loginFrom("198.51.100.7", "nobody_here", "wrong password")
		wrong := e.loginFrom("198.51.100.7", "clerk_e", "wrong password")
		if unknown != wrong {
			t.Fatalf("attempt %d: unknown user %+v, wrong password %+v", i+1, unknown, wrong)
		}
		if unknown.Status != 401 && unknown.Status != 429 {
			t.Fatalf("attempt %d: %+v", i+1, unknown)
		}
		e.clock.Add(3 * time.Second)
	}
}

// Ensure failures from one address make that address wait 1 s, 2 s, 4 s …
// (up to 15 minutes) before its next try at the username, answering 429
// with Retry-After and a Chinese message; the right password from another
// address still signs in at once; a success clears the delay.
func TestConsoleLoginGrowingDelay(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	const attacker, office = "203.0.113.9", "198.51.100.20"
	for i := range 5 {
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 401 || a.Code != "invalid_credentials" {
			t.Fatalf("failure %d: %+v", i+1, a)
		}
	}
	// Even the right password waits: the delay is of the (username, address).
	a := e.loginFrom(attacker, "clerk_w", "correct horse 1")
	if a.Status != 429 || a.Code != "login_throttled" || a.RetryAfter != "1" || !strings.Contains(a.Message, "1秒后") {
		t.Fatalf("sixth attempt at once: %+v", a)
	}
	// The owner signs in from the office meanwhile.
	if a := e.loginFrom(office, "clerk_w", conPassword); a.Status != 200 {
		t.Fatalf("right password from another address: %+v", a)
	}
	// Another username from the attacker's address is not delayed.
	if a := e.loginFrom(attacker, "clerk_e", conPassword); a.Status != 200 {
		t.Fatalf("another username from the same address: %+v", a)
	}
	// Each further failure doubles the wait.
	for _, want := range []int{2, 4, 8, 16} {
		e.clock.Add(time.Duration(want/2) * time.Second)
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 401 {
			t.Fatalf("after waiting %ds: %+v", want/2, a)
		}
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 429 || a.RetryAfter != strconv.Itoa(want) {
			t.Fatalf("want a wait of %ds: %+v", want, a)
		}
		// A second short of the wait is still too early.
		e.clock.Add(time.Duration(want-1) * time.Second)
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 429 || a.RetryAfter != "1" {
			t.Fatalf("a second before the end of %ds: %+v", want, a)
		}
		e.clock.Add(-time.Duration(want-1) * time.Second)
	}
	// The wait stops growing at 15 minutes, said in minutes.
	wait := 16
	for range 12 {
		e.clock.Add(time.Duration(wait) * time.Second)
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 401 {
			t.Fatalf("after waiting %ds: %+v", wait, a)
		}
		a := e.loginFrom(attacker, "clerk_w", "wrong password")
		n, _ := strconv.Atoi(a.RetryAfter)
		if a.Status != 429 || n < wait || n > 900 {
			t.Fatalf("after a %ds wait: %+v", wait, a)
		}
		wait = n
	}
	a = e.loginFrom(attacker, "clerk_w", "wrong password")
	if wait != 900 || !strings.Contains(a.Message, "15分钟后") || strings.ContainsAny(a.Message, ",;") {
		t.Fatalf("capped wait %d: %+v", wait, a)
	}
	// After the wait the right password signs in, and clears the delay.
	e.clock.Add(15 * time.Minute)
	if a := e.loginFrom(attacker, "clerk_w", conPassword); a.Status != 200 {
		t.Fatalf("after the wait: %+v", a)
	}
	for i := range 5 {
		if a := e.loginFrom(attacker, "clerk_w", "wrong password"); a.Status != 401 {
			t.Fatalf("failure %d after a success: %+v", i+1, a)
		}
	}
}

// Ensure concurrent guesses at one (username, address) get no more password
// checks than the free attempts: each attempt is counted before its check.
func TestConsoleLoginConcurrentGuesses(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	for range 16 {
		wg.Go(func() {
			a := e.loginFrom("203.0.113.10", "head_e", "wrong password")
			mu.Lock()
			got[a.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[401] != 5 || got[429] != 11 {
		t.Fatalf("answers %v, want 5×401 and 11×429", got)
	}
}

// Ensure one address spraying guesses over many usernames is slowed down
// too, without touching other addresses.
func TestConsoleLoginSprayFromOneAddress(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	const sprayer = "203.0.113.11"
	for i := range 50 {
		if i > 0 {
			e.clock.Add(5 * time.Second) // under the 20-a-minute cap
		}
		if a := e.loginFrom(sprayer, "user"+strconv.Itoa(i), "guess number 1"); a.Status != 401 {
			t.Fatalf("guess %d: %+v", i+1, a)
		}
	}
	if a := e.loginFrom(sprayer, "another_name", "guess number 1"); a.Status != 429 || a.Code != "login_throttled" || a.RetryAfter == "" {
		t.Fatalf("after 50 failures over 50 usernames: %+v", a)
	}
	if a := e.loginFrom("198.51.100.21", "admin", conPassword); a.Status != 200 {
		t.Fatalf("another address: %+v", a)
	}
}

// Ensure no typed username reaches the log, a refused login's included;
// the log carries a keyed tag instead, the same for the same name.
func TestConsoleLoginLogsNoUsername(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	e := newConEnvLog(t, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	typed := []string{"Typed_Name", "clerk_e", "my.password-1", "z9"}
	for _, u := range typed {
		for range 7 {
			e.loginFrom("203.0.113.12", u, "wrong password")
		}
	}
	e.loginFrom("203.0.113.13", "clerk_e", conPassword)
	out := strings.ToLower(buf.String())
	for _, u := range typed {
		if strings.Contains(out, strings.ToLower(u)) {
			t.Errorf("the log holds the typed username %q:\n%s", u, out)
		}
	}
	if !strings.Contains(out, "console login refused") || !strings.Contains(out, "user_tag=") || !strings.Contains(out, "console login ") {
		t.Errorf("the refusals are not logged:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the router's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Ensure the throttle counts two accounts from one address on the same
// address key: one name throttled leaves another name from the address
// free, a right password forgives the address its attempt, and both keys
// carry the address as their hash tag so the scripts that touch both run
// on one Redis Cluster node (docs/SCALE.md section 2).
func TestConsoleLoginTwoAccountsOneAddress(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	const addr = "203.0.113.31"
	for i := range 5 {
		if a := e.loginFrom(addr, "nobody", "guess "+strconv.Itoa(i)); a.Status != 401 {
			t.Fatalf("guess %d: %+v", i+1, a)
		}
	}
	if a := e.loginFrom(addr, "nobody", "guess 6"); a.Status != 429 || a.RetryAfter == "" {
		t.Fatalf("sixth guess on one name: %+v", a)
	}
	if a := e.loginFrom(addr, "admin", conPassword); a.Status != 200 {
		t.Fatalf("another account from the same address: %+v", a)
	}
	ctx := t.Context()
	keys, err := wechattest.Keys(ctx, e.rd.Client, e.rd.Prefix+"clogin:*")
	if err != nil {
		t.Fatal(err)
	}
	tagged := e.rd.Prefix + "clogin:{" + addr + "}:"
	var addrKey string
	for _, k := range keys {
		if !strings.HasPrefix(k, tagged) {
			t.Errorf("throttle key %s lacks the address's hash tag", k)
		}
		if k == tagged+"a" {
			addrKey = k
		}
	}
	// Five failures counted; the right password's attempt was forgiven, and
	// the forgiven pair's key is gone.
	if n, err := e.rd.Client.HGet(ctx, addrKey, "n").Result(); err != nil || n != "5" || len(keys) != 2 {
		t.Errorf("address count %q (%v), keys %v; want 5 and the address and the throttled pair", n, err, keys)
	}
}
