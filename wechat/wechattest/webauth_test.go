package wechattest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// noFollow is a client that stops at the first redirect, as a test of the
// authorize step needs to read its Location.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize runs the authorize step and returns the response and its body.
func authorize(t *testing.T, s *Server, q url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := noFollow.Get(s.URL() + "/connect/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func authQuery(redirect, state string) url.Values {
	return url.Values{"appid": {DefaultOAAppID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {state}}
}

// codeFrom runs the authorize step and returns the code it redirects with.
func codeFrom(t *testing.T, s *Server) string {
	t.Helper()
	resp, _ := authorize(t, s, authQuery("https://console.example/console/auth/wechat/back?next=%2Fconsole", "S1"))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query().Get("code")
}

func exchange(t *testing.T, s *Server, secret, code string) res {
	t.Helper()
	r, _ := get(t, s, "/sns/oauth2/access_token", url.Values{"appid": {DefaultOAAppID}, "secret": {secret},
		"code": {code}, "grant_type": {"authorization_code"}})
	return r
}

func TestAuthorizeRedirectsForTheChosenOpenID(t *testing.T) {
	s := New()
	defer s.Close()

	// Nobody chosen: a page says so, no redirect, no invented user.
	resp, body := authorize(t, s, authQuery("https://console.example/back", "S1"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(body, "SetAuthorizeOpenID") {
		t.Fatalf("no openid chosen: %d %q %q", resp.StatusCode, resp.Header.Get("Location"), body)
	}

	s.SetAuthorizeOpenID(DefaultOAAppID, "oClerk1")
	resp, _ = authorize(t, s, authQuery("https://console.example/console/auth/wechat/back?next=%2Fconsole%2Fopinions%2F7", "Ab12"))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "console.example" || loc.Path != "/console/auth/wechat/back" ||
		loc.Query().Get("next") != "/console/opinions/7" || loc.Query().Get("state") != "Ab12" || loc.Query().Get("code") == "" {
		t.Fatalf("Location %q", loc)
	}
	r := exchange(t, s, DefaultOASecret, loc.Query().Get("code"))
	if r.code() != 0 || r["openid"] != "oClerk1" || r["scope"] != "snsapi_base" || r["expires_in"].(float64) != 7200 ||
		r["access_token"] == "" || r["refresh_token"] == "" {
		t.Fatalf("exchange: %v", r)
	}

	// The choice over HTTP, as a browser or demo would make it.
	cr, err := http.PostForm(s.URL()+ControlAuthorizeOpenID, url.Values{"openid": {"oHead2"}})
	if err != nil || cr.StatusCode != http.StatusOK {
		t.Fatalf("control: %v %v", cr, err)
	}
	cr.Body.Close()
	if r := exchange(t, s, DefaultOASecret, codeFrom(t, s)); r["openid"] != "oHead2" {
		t.Fatalf("after control: %v", r)
	}
	s.SetAuthorizeOpenID(DefaultOAAppID, "")
	if resp, _ := authorize(t, s, authQuery("https://console.example/back", "S1")); resp.StatusCode == http.StatusFound {
		t.Fatal("cleared choice still redirects")
	}
}

func TestAuthorizeRefusesBadRequests(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetAuthorizeOpenID(DefaultOAAppID, "o1")
	s.SetAuthorizeDomains(DefaultOAAppID, "console.example")
	cases := map[string]struct {
		key, val string
		code     int
	}{
		"unknown appid":     {"appid", "wxnobody", 40013},
		"no appid":          {"appid", "", 10012},
		"no redirect_uri":   {"redirect_uri", "", 10011},
		"relative redirect": {"redirect_uri", "/back", 10003},
		"other domain":      {"redirect_uri", "https://evil.example/back", 10003},
		"no scope":          {"scope", "", 10010},
		"bad scope":         {"scope", "snsapi_login", 10005},
		"bad response_type": {"response_type", "token", 40097},
	}
	for name, tc := range cases {
		q := authQuery("https://console.example/back", "S1")
		q.Set(tc.key, tc.val)
		resp, body := authorize(t, s, q)
		if resp.StatusCode == http.StatusFound || !strings.Contains(body, "错误码") {
			t.Errorf("%s: status %d body %q", name, resp.StatusCode, body)
		}
		if calls := s.Calls("/connect/oauth2/authorize"); calls[len(calls)-1].ErrCode != tc.code {
			t.Errorf("%s: errcode %d, want %d", name, calls[len(calls)-1].ErrCode, tc.code)
		}
	}
	q := authQuery("https://console.example/back", "S1")
	q.Set("scope", "snsapi_userinfo")
	if resp, _ := authorize(t, s, q); resp.StatusCode != http.StatusFound {
		t.Errorf("snsapi_userinfo: status %d", resp.StatusCode)
	}
}

func TestOAuthCodeRules(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetAuthorizeOpenID(DefaultOAAppID, "oClerk1")
	var mu sync.Mutex
	now := time.Now()
	s.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })

	code := codeFrom(t, s)
	if r := exchange(t, s, "wrong", code); r.code() != 40125 {
		t.Fatalf("bad secret: %v", r)
	}
	if r := exchange(t, s, DefaultOASecret, "nosuchcode"); r.code() != 40029 {
		t.Fatalf("unknown code: %v", r)
	}
	if r := exchange(t, s, DefaultOASecret, ""); r.code() != 41008 {
		t.Fatalf("missing code: %v", r)
	}
	r, _ := get(t, s, "/sns/oauth2/access_token", url.Values{"appid": {DefaultOAAppID}, "secret": {DefaultOASecret}, "code": {code}, "grant_type": {"client_credential"}})
	if r.code() != 40002 {
		t.Fatalf("bad grant_type: %v", r)
	}
	r, _ = get(t, s, "/sns/oauth2/access_token", url.Values{"appid": {DefaultMPAppID}, "secret": {DefaultMPSecret}, "code": {code}, "grant_type": {"authorization_code"}})
	if r.code() != 40029 {
		t.Fatalf("code of another app: %v", r)
	}
	// The failed attempts did not use the code up.
	if r := exchange(t, s, DefaultOASecret, code); r.code() != 0 || r["openid"] != "oClerk1" {
		t.Fatalf("first use: %v", r)
	}
	if r := exchange(t, s, DefaultOASecret, code); r.code() != 40163 {
		t.Fatalf("reuse: %v", r)
	}

	late := codeFrom(t, s)
	mu.Lock()
	now = now.Add(OAuthCodeTTL - time.Second)
	mu.Unlock()
	fresh := codeFrom(t, s)
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if r := exchange(t, s, DefaultOASecret, late); r.code() != 40029 {
		t.Fatalf("expired code: %v", r)
	}
	if r := exchange(t, s, DefaultOASecret, fresh); r.code() != 0 {
		t.Fatalf("code within 5 minutes: %v", r)
	}
}

func TestGetTicket(t *testing.T) {
	s := New()
	defer s.Close()
	tok := token(t, s, DefaultOAAppID, DefaultOASecret)
	ticket := func(tok, typ string) res {
		r, _ := get(t, s, "/cgi-bin/ticket/getticket", url.Values{"access_token": {tok}, "type": {typ}})
		return r
	}
	if r := ticket("", "jsapi"); r.code() != 41001 {
		t.Fatalf("no token: %v", r)
	}
	if r := ticket("bogus", "jsapi"); r.code() != 40001 {
		t.Fatalf("unknown token: %v", r)
	}
	if r := ticket(tok, "other"); r.code() != 40097 {
		t.Fatalf("bad type: %v", r)
	}
	r := ticket(tok, "jsapi")
	if r.code() != 0 || r["errmsg"] != "ok" || r["expires_in"].(float64) != 7200 || r["ticket"] == "" {
		t.Fatalf("ticket: %v", r)
	}
	if s.JSAPITicket(DefaultOAAppID) != r["ticket"] || s.JSAPITicketCalls(DefaultOAAppID) != 1 {
		t.Fatalf("records: %q %d", s.JSAPITicket(DefaultOAAppID), s.JSAPITicketCalls(DefaultOAAppID))
	}
	s.ExpireToken(DefaultOAAppID)
	if r := ticket(tok, "jsapi"); r.code() != 42001 {
		t.Fatalf("expired token: %v", r)
	}
	if s.JSAPITicketCalls(DefaultOAAppID) != 1 {
		t.Fatal("a refused call counted as a ticket")
	}
	s.Reset()
	if s.JSAPITicketCalls(DefaultOAAppID) != 0 || s.JSAPITicket(DefaultOAAppID) != "" {
		t.Fatal("Reset kept tickets")
	}
}
