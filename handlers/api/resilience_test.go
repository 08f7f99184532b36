package api_test

import (
	"encoding/json"
	"testing"
	"time"
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
