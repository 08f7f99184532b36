package wechattest

import (
	"crypto/rand"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"time"
)

// overlap is how long a replaced token stays valid (WeChat: 5 minutes).
const overlap = 5 * time.Minute

// checkToken validates access_token for a call: missing → 41001, unknown
// (never issued or revoked) → 40001, expired → 42001.
func (s *Server) checkToken(tok string) (string, reply, bool) {
	if tok == "" {
		return "", errReply(41001, ""), false
	}
	s.mu.Lock()
	ti := s.st.tokens[tok]
	s.mu.Unlock()
	switch {
	case ti == nil:
		return "", errReply(40001, ""), false
	case !time.Now().Before(ti.expires):
		return "", errReply(42001, ""), false
	}
	return ti.appID, reply{}, true
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// issue creates a token for appID; caller holds s.mu.
func (s *Server) issue(appID string, now time.Time) (string, *tokenInfo) {
	tok := randomToken(48)
	ti := &tokenInfo{appID: appID, expires: now.Add(s.st.tokenTTL)}
	s.st.tokens[tok] = ti
	return tok, ti
}

// shorten caps a replaced token's remaining life at the overlap window.
func (s *Server) shorten(tok string, now time.Time) {
	if ti := s.st.tokens[tok]; ti != nil && ti.expires.After(now.Add(overlap)) {
		ti.expires = now.Add(overlap)
	}
}

func expiresIn(ti *tokenInfo, now time.Time) int {
	return int(math.Ceil(ti.expires.Sub(now).Seconds()))
}

// handleToken is GET /cgi-bin/token: every call issues a new token; the
// previous one keeps working for 5 minutes. Isolated from stable_token.
func (s *Server) handleToken(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	if q.Get("grant_type") != "client_credential" {
		return errReply(40002, "")
	}
	appID := q.Get("appid")
	if appID == "" {
		return errReply(41002, "appid missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apps[appID]
	if a == nil {
		return errReply(40013, "")
	}
	a.tokenCalls++
	if q.Get("secret") != a.secret {
		// getAccessToken documents 40001 for a wrong AppSecret.
		return errReply(40001, "invalid credential, access_token is invalid or not latest")
	}
	now := time.Now()
	s.shorten(a.normal, now)
	tok, ti := s.issue(appID, now)
	a.normal = tok
	return jsonReply(map[string]any{"access_token": tok, "expires_in": expiresIn(ti, now)})
}

// stableReq is the body of POST /cgi-bin/stable_token.
type stableReq struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// handleStableToken is POST /cgi-bin/stable_token. In normal mode every
// caller gets the same token until it nears expiry (WeChat renews it in the
// last 5 minutes when the TTL is long enough) or is rotated; force_refresh
// issues a new one and leaves the old one valid for at most 5 minutes.
func (s *Server) handleStableToken(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req stableReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	if req.GrantType != "client_credential" {
		return errReply(40002, "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apps[req.AppID]
	if a == nil {
		return errReply(40013, "")
	}
	a.stableCalls++
	if req.Secret != a.secret {
		return errReply(40125, "")
	}
	now := time.Now()
	early := time.Duration(0)
	if s.st.tokenTTL >= 2*overlap {
		early = overlap
	}
	cur := s.st.tokens[a.stable]
	switch {
	case req.ForceRefresh:
		s.shorten(a.stable, now)
	case cur != nil && cur.expires.Sub(now) > early:
		return jsonReply(map[string]any{"access_token": a.stable, "expires_in": expiresIn(cur, now)})
	}
	tok, ti := s.issue(req.AppID, now)
	a.stable = tok
	return jsonReply(map[string]any{"access_token": tok, "expires_in": expiresIn(ti, now)})
}
