package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models"
	"deputylink/wechat/wechattest"
)

// unavailableMsg is what a voter reads while Redis or the database is down.
const unavailableMsg = "服务暂时不可用，请稍后再试。"

// expectUnavailable checks a 503 with Retry-After and the plain message.
func expectUnavailable(t *testing.T, what string, r bkResp) {
	t.Helper()
	var b errBody
	_ = json.Unmarshal(r.raw, &b)
	if r.status != 503 || r.header.Get("Retry-After") == "" || b.Error.Code != "unavailable" || b.Error.Message != unavailableMsg {
		t.Errorf("%s: %d Retry-After %q %s, want 503 unavailable with Retry-After", what, r.status, r.header.Get("Retry-After"), r.raw)
	}
}

// Ensure a voter's request with Redis down answers 503 with Retry-After
// (not 500), public reads still work, and the same routes answer 200 again
// once Redis is back on its address, without a restart of the server.
func TestRedisDownAnswers503AndRecovers(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	if e.rd.Mini == nil {
		t.Skip("needs the in-process Redis to stop and restart it")
	}
	tok := e.voter("oDown", 1)
	slot := e.slots(0, bkDec)[0].ID
	if r := e.call("GET", "/api/v1/bookings", tok, ""); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.raw)
	}

	e.rd.Mini.Close()
	expectUnavailable(t, "GET /me", e.call("GET", "/api/v1/me", tok, ""))
	expectUnavailable(t, "GET /bookings", e.call("GET", "/api/v1/bookings", tok, ""))
	expectUnavailable(t, "POST /bookings", e.call("POST", "/api/v1/bookings", tok,
		`{"slot_id":`+itoa(slot)+`}`, "Idempotency-Key", "down-1"))
	if r := e.call("GET", "/api/v1/categories", "", ""); r.status != 200 {
		t.Errorf("public read with Redis down: %d %s", r.status, r.raw)
	}

	if err := e.rd.Mini.Restart(); err != nil {
		t.Fatal(err)
	}
	var r bkResp
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r = e.call("GET", "/api/v1/bookings", tok, ""); r.status == 200 || time.Now().After(deadline) {
			break
		}
	}
	if r.status != 200 {
		t.Fatalf("after Redis came back: %d %s", r.status, r.raw)
	}
	if r := e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slot)+`}`, "Idempotency-Key", "down-1"); r.status != 201 {
		t.Errorf("booking after Redis came back: %d %s", r.status, r.raw)
	}
}

// Ensure a voter's request with the database gone answers 503 with
// Retry-After, not 500.
func TestDatabaseDownAnswers503(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oDbDown", 1)
	slot := e.slots(0, bkDec)[0].ID
	sqlDB, err := e.db.DB()
	must(t, err)
	must(t, sqlDB.Close())
	expectUnavailable(t, "GET /me", e.call("GET", "/api/v1/me", tok, ""))
	expectUnavailable(t, "GET /bookings", e.call("GET", "/api/v1/bookings", tok, ""))
	expectUnavailable(t, "POST /bookings", e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slot)+`}`))
	expectUnavailable(t, "GET /categories", e.call("GET", "/api/v1/categories", "", ""))
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Ensure GET /me is rate limited per voter and per IP like the other voter
// reads: a script polling it is stopped with 429 and Retry-After.
func TestMeRateLimited(t *testing.T) {
	// Per voter: reads get six times the booking budget (1 → 6 a minute).
	e, fake := newMPEnv(t, handlers.RateLimits{BookingVoter: handlers.RateLimit{N: 1, Window: time.Minute}})
	tok := e.login(fake, "oPoll")
	var codes []int
	for range 7 {
		r := e.doAuth("GET", "/api/v1/me", tok, "", nil)
		codes = append(codes, r.StatusCode)
		if r.StatusCode == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 200 200 200 200 200 429]" {
		t.Errorf("per voter: %v, want six 200 then 429", codes)
	}
	// Per IP, before the session is even looked up.
	e, fake = newMPEnv(t, handlers.RateLimits{BookingPerIP: handlers.RateLimit{N: 2, Window: time.Minute}})
	tok = e.login(fake, "oPoll2")
	codes = nil
	for _, tk := range []string{tok, "guess-1", tok} {
		codes = append(codes, e.doAuth("GET", "/api/v1/me", tk, "", nil).StatusCode)
	}
	if fmt.Sprint(codes) != "[200 401 429]" {
		t.Errorf("per IP: %v, want [200 401 429]", codes)
	}
}

// Ensure a bad Idempotency-Key is refused with the real limit in plain
// Chinese (64 characters; letters, digits, "-" and "_"), without the
// header's name, and a reused key likewise.
func TestIdempotencyKeyErrorStatesLimit(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oKey", 1)
	slots := e.slots(0, bkDec)
	const want = "请求标识最长64个字符，只能包含英文字母、数字、短横线（-）和下划线（_）。"
	for _, key := range []string{strings.Repeat("k", 65), "no spaces!", "中文"} {
		r := e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slots[0].ID)+`}`, "Idempotency-Key", key)
		var b errBody
		_ = json.Unmarshal(r.raw, &b)
		if r.status != 400 || b.Error.Code != "invalid_idempotency_key" || b.Error.Message != want {
			t.Errorf("key %q: %d %s, want 400 %q", key, r.status, r.raw, want)
		}
	}
	// 64 characters of every allowed kind are accepted.
	key := strings.Repeat("aZ0-_", 12) + "abcd"
	if r := e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slots[0].ID)+`}`, "Idempotency-Key", key); r.status != 201 {
		t.Errorf("64-character key: %d %s", r.status, r.raw)
	}
	r := e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slots[1].ID)+`}`, "Idempotency-Key", key)
	var b errBody
	_ = json.Unmarshal(r.raw, &b)
	if r.status != 409 || b.Error.Code != "idempotency_key_reused" || strings.Contains(b.Error.Message, "Idempotency") {
		t.Errorf("reused key: %d %s", r.status, r.raw)
	}
}

// dropIdempotency forgets every stored answer in Redis, as a restart of a
// Redis without persistence or the 24 h expiry would.
func (e *bookEnv) dropIdempotency() {
	e.t.Helper()
	keys, err := wechattest.Keys(e.t.Context(), e.rd.Client, e.rd.Prefix+"idem:*")
	must(e.t, err)
	if len(keys) == 0 {
		e.t.Fatal("no idempotency key in Redis")
	}
	must(e.t, e.rd.Client.Del(e.t.Context(), keys...).Err())
}

// Ensure a booking that committed but whose stored answer is gone, retried
// with the same Idempotency-Key, answers the original booking (201 and
// Idempotent-Replayed) from the database, not 409 already_booked, and
// books nothing more; the key with another slot is still refused.
func TestBookingReplayFromDatabase(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oLost", 2)
	slots := e.slots(0, bkDec)
	body := `{"slot_id":` + itoa(slots[0].ID) + `,"topic":"小区路灯坏了"}`
	first := e.call("POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "lost-1")
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	b := first.booking(t)
	e.dropIdempotency()
	again := e.call("POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "lost-1")
	if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry after the answer was lost: %d %s (replayed %q), want 201 replayed", again.status, again.raw, again.header.Get("Idempotent-Replayed"))
	}
	if got := again.booking(t); got.ID != b.ID || got.CheckinCode != b.CheckinCode || got.Status != b.Status {
		t.Errorf("replayed booking %+v, want %+v", got, b)
	}
	var rows int64
	must(t, e.db.Model(&models.Booking{}).Count(&rows).Error)
	if rows != 1 || len(e.notices()) != 1 {
		t.Errorf("%d bookings, %d notices after the retry; want 1 and 1", rows, len(e.notices()))
	}
	// Cancelled since: the retry still names that booking, it books nothing new.
	if r := e.call("DELETE", "/api/v1/bookings/"+itoa(b.ID), tok, ""); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	e.dropIdempotency()
	if r := e.call("POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "lost-1"); r.status != 201 || r.booking(t).ID != b.ID || r.booking(t).Status != "cancelled" {
		t.Errorf("retry after a cancel: %d %s, want the cancelled booking", r.status, r.raw)
	}
	// The same key for another slot is refused by the database too.
	e.dropIdempotency()
	r := e.call("POST", "/api/v1/bookings", tok, `{"slot_id":`+itoa(slots[1].ID)+`}`, "Idempotency-Key", "lost-1")
	if r.status != 409 || r.code() != "idempotency_key_reused" {
		t.Errorf("reused key (db): %d %s", r.status, r.raw)
	}
	must(t, e.db.Model(&models.Booking{}).Count(&rows).Error)
	if rows != 1 {
		t.Errorf("%d bookings, want 1", rows)
	}
}
