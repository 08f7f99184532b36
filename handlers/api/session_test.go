package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// newMPEnv is the router with the mini-program side wired to the fake WeChat.
func newMPEnv(t *testing.T, limits handlers.RateLimits) (*testEnv, *wechattest.Server) {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	rd := wechattest.NewRedis(t)
	wc, err := wechat.New(wechat.Config{
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 2 * time.Second,
	}, rd.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	sealer, _ := models.NewSealer(key)
	e := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.MP, d.Sealer, d.Limits = wc, sealer, limits
	})
	return e, fake
}

func (e *testEnv) login(fake *wechattest.Server, openid string) string {
	e.t.Helper()
	code := "login-" + openid
	fake.AddLoginCode(code, openid, "")
	var s api.SessionView
	if r := e.do("POST", "/api/v1/session", `{"code":"`+code+`"}`, &s); r.StatusCode != 200 || s.Token == "" {
		e.t.Fatalf("login %s: %d %+v", openid, r.StatusCode, s)
	}
	return s.Token
}

func TestSessionLoginMeAndPhone(t *testing.T) {
	e, fake := newMPEnv(t, handlers.RateLimits{})
	fake.AddLoginCode("c1", "oVoter1", "uUnion1")
	var s api.SessionView
	if r := e.do("POST", "/api/v1/session", `{"code":"c1"}`, &s); r.StatusCode != 200 {
		t.Fatalf("session: %d", r.StatusCode)
	}
	if len(s.Token) < 40 || s.Voter.ID == 0 || !s.ExpiresAt.After(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("session = %+v", s)
	}
	// The same code again is refused by WeChat (single use) → 400, not 500.
	var b errBody
	if r := e.do("POST", "/api/v1/session", `{"code":"c1"}`, &b); r.StatusCode != 400 || b.Error.Code != "invalid_code" {
		t.Errorf("reused code: %d %q", r.StatusCode, b.Error.Code)
	}
	// A second login of the same person is the same voter.
	fake.AddLoginCode("c2", "oVoter1", "uUnion1")
	var s2 api.SessionView
	e.do("POST", "/api/v1/session", `{"code":"c2"}`, &s2)
	if s2.Voter.ID != s.Voter.ID || s2.Token == s.Token {
		t.Errorf("second login: voter %d token reuse %v", s2.Voter.ID, s2.Token == s.Token)
	}

	fake.AddPhoneCode("p1", "13812345678")
	var me api.VoterView
	if r := e.doAuth("POST", "/api/v1/me/phone", s.Token, `{"code":"p1"}`, &me); r.StatusCode != 200 || me.PhoneMasked != "138****5678" {
		t.Fatalf("phone: %d %+v", r.StatusCode, me)
	}
	var v models.Voter
	e.db.First(&v, s.Voter.ID)
	if len(v.PhoneEnc) == 0 || strings.Contains(string(v.PhoneEnc), "13812345678") {
		t.Errorf("phone stored in the clear or not at all")
	}
	me = api.VoterView{}
	e.doAuth("GET", "/api/v1/me", s.Token, "", &me)
	if me.PhoneMasked != "138****5678" {
		t.Errorf("me = %+v", me)
	}
}

func TestSessionBadInputs(t *testing.T) {
	e, fake := newMPEnv(t, handlers.RateLimits{})
	tok := e.login(fake, "oBad")
	cases := []struct {
		method, path, token, body string
		status                    int
		code                      string
	}{
		{"POST", "/api/v1/session", "", `{}`, 400, "invalid_code"},
		{"POST", "/api/v1/session", "", `{"code":""}`, 400, "invalid_code"},
		{"POST", "/api/v1/session", "", `not json`, 400, "invalid_json"},
		{"POST", "/api/v1/session", "", `{"code":"x"} {}`, 400, "invalid_json"},
		{"POST", "/api/v1/session", "", `{"code":"x","Code":"y"}`, 400, "invalid_code"},
		{"POST", "/api/v1/session", "", `{"code":"never-issued"}`, 400, "invalid_code"},
		{"GET", "/api/v1/me", "", "", 401, "unauthorized"},
		{"GET", "/api/v1/me", "forged-token", "", 401, "unauthorized"},
		{"POST", "/api/v1/me/phone", tok, `{"code":"unknown-phone-code"}`, 400, "invalid_code"},
		{"POST", "/api/v1/me/phone", tok, `{"code":5}`, 400, "invalid_code"},
	}
	for _, c := range cases {
		var b errBody
		r := e.doAuth(c.method, c.path, c.token, c.body, &b)
		if r.StatusCode != c.status || b.Error.Code != c.code {
			t.Errorf("%s %s %q: got %d %q, want %d %q", c.method, c.path, c.body, r.StatusCode, b.Error.Code, c.status, c.code)
		}
	}
}

// The Authorization scheme's name is case-insensitive (RFC 9110): a client
// that sends "bearer" or "BEARER" is signed in like one that sends "Bearer".
func TestSessionBearerSchemeAnyCase(t *testing.T) {
	e, fake := newMPEnv(t, handlers.RateLimits{})
	tok := e.login(fake, "oCase")
	for _, c := range []struct {
		header string
		status int
	}{
		{"Bearer " + tok, 200}, {"bearer " + tok, 200}, {"BEARER " + tok, 200}, {"bEaReR  " + tok + " ", 200},
		{"Basic " + tok, 401}, {"Bearer", 401}, {"Bearer ", 401}, {"Bearer" + tok, 401}, {tok, 401},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", c.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("Authorization %q: %d, want %d", models.Shorten(c.header, 12, "…"), resp.StatusCode, c.status)
		}
	}
}

func TestSessionExpires(t *testing.T) {
	e, fake := newMPEnv(t, handlers.RateLimits{})
	tok := e.login(fake, "oExpire")
	if r := e.doAuth("GET", "/api/v1/me", tok, "", nil); r.StatusCode != 200 {
		t.Fatalf("fresh session: %d", r.StatusCode)
	}
	// Drop every session key, as expiry would.
	keys, _ := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"sess:*")
	if len(keys) != 1 {
		t.Fatalf("session keys = %d, want 1 (token must be stored hashed under one key)", len(keys))
	}
	if ttl := e.rd.Client.TTL(t.Context(), keys[0]).Val(); ttl < 6*24*time.Hour {
		t.Errorf("session ttl %v, want ~7 days (sliding)", ttl)
	}
	if strings.Contains(keys[0], tok) {
		t.Errorf("raw token in the Redis key")
	}
	e.rd.Client.Del(t.Context(), keys...)
	var b errBody
	if r := e.doAuth("GET", "/api/v1/me", tok, "", &b); r.StatusCode != 401 || b.Error.Code != "unauthorized" {
		t.Errorf("expired session: %d %q", r.StatusCode, b.Error.Code)
	}
}

func TestSessionRateLimitedPerIP(t *testing.T) {
	e, _ := newMPEnv(t, handlers.RateLimits{SessionPerIP: handlers.RateLimit{N: 3, Window: time.Minute}})
	codes := map[int]int{}
	for range 5 {
		var b errBody
		r := e.do("POST", "/api/v1/session", `{"code":"nope"}`, &b)
		codes[r.StatusCode]++
		if r.StatusCode == http.StatusTooManyRequests && (b.Error.Code != "rate_limited" || r.Header.Get("Retry-After") == "") {
			t.Errorf("429 body %+v", b)
		}
	}
	if codes[400] != 3 || codes[429] != 2 {
		t.Errorf("statuses = %v, want 3×400 then 2×429", codes)
	}
}
