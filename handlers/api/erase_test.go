package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/handlers/api"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat/wechattest"
)

// Ensure DELETE /api/v1/me through the real router ends every session of
// the voter, cancels their active booking (the seat goes to the waitlisted
// voter, who is told), keeps their opinion with no personal data, deletes
// their voter row, consents and notices, audits without personal data, and
// that signing in again with the same WeChat makes a new, empty voter.
func TestDeleteMeErasesTheVoter(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats = 1, 0 }})
	must(t, e.db.Create(&models.Category{Code: "shenghuo", Name: "生活服务", Hint: "日常生活中的难事", AcceptDays: 2, ReplyDays: 15}).Error)
	slot := e.slots(0, bkDec)[0]
	a, b := e.voter("oEraseA", 2), e.voter("oWaitB", 1)
	a2 := signIn(t, e, "erase-2", "oEraseA") // a second session of the same voter
	var me api.VoterView
	e.doAuth("GET", "/api/v1/me", a, "", &me)

	ba, bb := e.book(a, slot.ID), e.book(b, slot.ID)
	if ba.Status != models.BookingConfirmed || bb.Status != models.BookingWaitlisted {
		t.Fatalf("bookings: %s, %s", ba.Status, bb.Status)
	}
	sealer, _ := models.NewSealer(make([]byte, 32))
	if _, err := models.SetVoterPhone(t.Context(), e.db, sealer, me.ID, "13812345678", time.Now()); err != nil {
		t.Fatal(err)
	}
	content := "小区门口的路灯坏了很久，晚上出门很不方便"
	r := e.call("POST", "/api/v1/opinions", a, fmt.Sprintf(`{"content":%q,"category":"shenghuo","station_id":%d,"lat":30.2701,"lng":120.1502}`,
		content, e.stations[0].ID), "Idempotency-Key", "erase-op-1")
	if r.status != http.StatusCreated {
		t.Fatalf("file opinion: %d %s", r.status, r.raw)
	}
	var filed api.OpinionResponse
	must(t, json.Unmarshal(r.raw, &filed))

	if r := e.call("DELETE", "/api/v1/me", "", ""); r.status != 401 {
		t.Errorf("DELETE /me without a token: %d", r.status)
	}
	if r := e.call("DELETE", "/api/v1/me", a, ""); r.status != http.StatusNoContent || len(r.raw) != 0 {
		t.Fatalf("DELETE /me: %d %s", r.status, r.raw)
	}

	// Every session of the voter ends.
	for _, tok := range []string{a, a2} {
		if r := e.call("GET", "/api/v1/me", tok, ""); r.status != 401 {
			t.Errorf("GET /me with an erased voter's token: %d %s", r.status, r.raw)
		}
	}
	// The booking is cancelled, its seat went to B, who is told.
	var got models.Booking
	must(t, e.db.First(&got, ba.ID).Error)
	if got.Status != models.BookingCancelled || got.VoterID != 0 || got.ActiveKey != nil || got.CancelReason != models.CancelVoterErased {
		t.Errorf("erased voter's booking: %+v", got)
	}
	checkSlot(t, e, slot.ID, 1, 0)
	if v := e.call("GET", fmt.Sprintf("/api/v1/bookings/%d", bb.ID), b, "").booking(t); v.Status != models.BookingConfirmed {
		t.Errorf("waitlisted voter after the erasure: %s", v.Status)
	}
	ns := e.notices()
	last := ns[len(ns)-1]
	if last.ToUser != "oWaitB" || fieldsOf(t, last)["thing1"] != "候补成功，已为您保留座位" {
		t.Errorf("last notice: %+v", last)
	}
	// The opinion stays, without the voter.
	var op models.Opinion
	must(t, e.db.Where("tracking_no = ?", filed.TrackingNo).First(&op).Error)
	if op.VoterID != 0 || op.Lat != nil || op.Lng != nil || op.IdempotencyKey != nil || op.Content != content ||
		op.StationID != e.stations[0].ID || op.Status != models.OpinionSubmitted {
		t.Errorf("opinion after the erasure: %+v", op)
	}
	// Nothing that identifies the voter is left.
	for _, q := range []struct {
		model any
		where string
		args  []any
	}{
		{&models.Voter{}, "id = ? OR mp_openid = ?", []any{me.ID, "oEraseA"}},
		{&models.SubscribeConsent{}, "openid = ?", []any{"oEraseA"}},
		{&models.Notification{}, "to_user = ?", []any{"oEraseA"}},
		{&models.Booking{}, "voter_id = ?", []any{me.ID}},
		{&models.Opinion{}, "voter_id = ?", []any{me.ID}},
	} {
		var n int64
		must(t, e.db.Model(q.model).Where(q.where, q.args...).Count(&n).Error)
		if n != 0 {
			t.Errorf("%T: %d rows still hold the voter", q.model, n)
		}
	}
	keys, err := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"*")
	must(t, err)
	for _, k := range keys {
		if strings.Contains(k, "oEraseA") || strings.HasSuffix(k, fmt.Sprintf("vsess:%d", me.ID)) {
			t.Errorf("Redis key left: %s", k)
		}
	}
	trail, err := models.AuditTrail(t.Context(), e.db, "voter", me.ID)
	must(t, err)
	if len(trail) != 1 || trail[0].Action != "voter.erase" ||
		strings.Contains(trail[0].Note, "oEraseA") || strings.Contains(trail[0].Note, "5678") {
		t.Errorf("audit: %+v", trail)
	}

	// Signing in again with the same WeChat is a new voter with nothing.
	fresh := signIn(t, e, "erase-3", "oEraseA")
	var again api.VoterView
	if r := e.doAuth("GET", "/api/v1/me", fresh, "", &again); r.StatusCode != 200 || again.ID == me.ID || again.ID == 0 || again.PhoneMasked != "" {
		t.Errorf("GET /me after signing in again: %d %+v (was %d)", r.StatusCode, again, me.ID)
	}
	var bookings shared.List[models.BookingView]
	e.doAuth("GET", "/api/v1/bookings", fresh, "", &bookings)
	var opinions shared.List[json.RawMessage]
	e.doAuth("GET", "/api/v1/opinions", fresh, "", &opinions)
	if len(bookings.Items) != 0 || len(opinions.Items) != 0 {
		t.Errorf("the new voter has %d bookings and %d opinions", len(bookings.Items), len(opinions.Items))
	}
	// The old opinion is not the new voter's either.
	if r := e.call("GET", fmt.Sprintf("/api/v1/opinions/%d", op.ID), fresh, ""); r.status != 404 {
		t.Errorf("old opinion for the new voter: %d", r.status)
	}
}

// signIn signs openid in with a fresh wx.login code and returns the token.
func signIn(t *testing.T, e *bookEnv, code, openid string) string {
	t.Helper()
	e.fake.AddLoginCode(code, openid, "")
	var s api.SessionView
	if r := e.do("POST", "/api/v1/session", `{"code":"`+code+`"}`, &s); r.StatusCode != 200 || s.Token == "" {
		t.Fatalf("sign in %s: %d", code, r.StatusCode)
	}
	return s.Token
}

// Ensure erasure ends every session of a voter who signed in many times at
// once, with the index past maxIndexedSessions so that every sign-in
// prunes it while the others write: a sign-in writes its index entry and
// its session in separate steps (no MULTI can hold both keys on a Redis
// Cluster, docs/SCALE.md section 2), and a session that exists must be in
// the index whatever the interleaving.
func TestDeleteMeEndsRacingSignIns(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	first := signIn(t, e, "race-0", "oRaceA")
	var me api.VoterView
	e.doAuth("GET", "/api/v1/me", first, "", &me)
	ctx := t.Context()
	idx := e.rd.Prefix + fmt.Sprintf("vsess:%d", me.ID)
	// Entries of sessions that expired: every sign-in below prunes.
	for i := range 20 {
		must(t, e.rd.Client.SAdd(ctx, idx, fmt.Sprintf("%sgone:%d", e.rd.Prefix, i)).Err())
	}
	const n = 24
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		code := fmt.Sprintf("race-%d", i+1)
		e.fake.AddLoginCode(code, "oRaceA", "")
		wg.Go(func() {
			r := e.call("POST", "/api/v1/session", "", `{"code":"`+code+`"}`)
			var s api.SessionView
			if r.status != 200 || json.Unmarshal(r.raw, &s) != nil || s.Token == "" {
				t.Errorf("sign in %s: %d %s", code, r.status, r.raw)
				return
			}
			tokens[i] = s.Token
		})
	}
	wg.Wait()
	tokens = append(tokens, first)
	members, err := e.rd.Client.SMembers(ctx, idx).Result()
	must(t, err)
	for _, tok := range tokens {
		sum := sha256.Sum256([]byte(tok))
		if key := e.rd.Prefix + "sess:" + hex.EncodeToString(sum[:]); !slices.Contains(members, key) {
			t.Errorf("live session %s… is not in the voter's index", key[len(e.rd.Prefix):len(e.rd.Prefix)+12])
		}
	}
	if r := e.call("DELETE", "/api/v1/me", first, ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /me: %d %s", r.status, r.raw)
	}
	for i, tok := range tokens {
		if r := e.call("GET", "/api/v1/me", tok, ""); r.status != 401 {
			t.Errorf("session %d after the erasure: %d", i, r.status)
		}
	}
	keys, err := wechattest.Keys(ctx, e.rd.Client, e.rd.Prefix+"sess:*")
	must(t, err)
	if n, _ := e.rd.Client.Exists(ctx, idx).Result(); len(keys) != 0 || n != 0 {
		t.Errorf("after the erasure: %d session keys, index exists %d", len(keys), n)
	}
}
