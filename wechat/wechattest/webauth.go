package wechattest

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OAuthCodeTTL is how long a web-authorization code stays usable (WeChat: 5
// minutes, once).
const OAuthCodeTTL = 5 * time.Minute

// jsTicketTTL is the expires_in of a jsapi_ticket (WeChat: 7200 s).
const jsTicketTTL = 7200 * time.Second

// ControlAuthorizeOpenID is the fake's own control route (not WeChat's):
// POST appid=…&openid=… chooses who the authorize step signs in, for a
// browser or a demo driving a standalone fake over HTTP. An empty openid
// clears the choice; appid defaults to DefaultOAAppID.
const ControlAuthorizeOpenID = "/fake/authorize_openid"

type oauthCode struct {
	appID, openid, scope string
	expires              time.Time
	used                 bool
}

// webAuth is the web-authorization and JS-SDK part of the state.
type webAuth struct {
	openids  map[string]string   // appid → openid the authorize step signs in
	domains  map[string][]string // appid → 网页授权域名 (none: any host)
	codes    map[string]*oauthCode
	tickets  map[string]string // appid → latest jsapi_ticket
	ticketsN map[string]int    // appid → jsapi_tickets issued
}

func newWebAuth() webAuth {
	return webAuth{
		openids: map[string]string{}, domains: map[string][]string{},
		codes: map[string]*oauthCode{}, tickets: map[string]string{}, ticketsN: map[string]int{},
	}
}

// SetClock replaces time.Now for the expiry of web-authorization codes (nil
// restores time.Now), so a test can pass the 5 minutes without waiting.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.clock = now
	s.mu.Unlock()
}

// now reads the clock; caller holds s.mu.
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// SetAuthorizeOpenID chooses the WeChat user the authorize step of appID
// signs in: every authorize request from now on redirects back with a code
// for openid. "" clears the choice (the step then shows a page saying so).
func (s *Server) SetAuthorizeOpenID(appID, openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if openid == "" {
		delete(s.st.web.openids, appID)
		return
	}
	s.st.web.openids[appID] = openid
}

// SetAuthorizeDomains registers appID's web-authorization domains (hosts,
// with a port if any): redirect_uri on another host gets WeChat's error
// 10003. None (the default) accepts every host.
func (s *Server) SetAuthorizeDomains(appID string, hosts ...string) {
	s.mu.Lock()
	s.st.web.domains[appID] = hosts
	s.mu.Unlock()
}

// JSAPITicket returns the jsapi_ticket last issued to appID ("" if none),
// to recompute a JS-SDK signature.
func (s *Server) JSAPITicket(appID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.web.tickets[appID]
}

// JSAPITicketCalls counts the jsapi_tickets issued to appID.
func (s *Server) JSAPITicketCalls(appID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.web.ticketsN[appID]
}

// authorizePage is the error or notice page the authorize step shows in the
// browser instead of redirecting; code is WeChat's error number (0: none).
func authorizePage(code int, text string) reply {
	body := "<!doctype html><meta charset=utf-8><title>微信网页授权</title><p>"
	if code != 0 {
		body += "错误码：" + strconv.Itoa(code) + " "
	}
	body += html.EscapeString(text) + "</p>"
	return reply{contentType: "text/html; charset=utf-8", body: []byte(body), errcode: code}
}

// handleAuthorize is GET /connect/oauth2/authorize (open.weixin.qq.com):
// WeChat's page either shows an error or redirects (302) to
// redirect_uri?code=CODE&state=STATE. The user is the one chosen with
// SetAuthorizeOpenID; snsapi_base is silent, and so is snsapi_userinfo here
// (the consent page is not modelled).
func (s *Server) handleAuthorize(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	appID, redirect, scope := q.Get("appid"), q.Get("redirect_uri"), q.Get("scope")
	switch {
	case appID == "":
		return authorizePage(10012, "appid不能为空")
	case redirect == "":
		return authorizePage(10011, "redirect_uri不能为空")
	case scope == "":
		return authorizePage(10010, "scope不能为空")
	case scope != "snsapi_base" && scope != "snsapi_userinfo":
		return authorizePage(10005, "此公众号并没有这些scope的权限")
	case q.Get("response_type") != "code":
		return authorizePage(40097, "invalid args hint: response_type")
	}
	u, err := url.Parse(redirect)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return authorizePage(10003, "redirect_uri域名与后台配置不一致")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.apps[appID] == nil {
		return authorizePage(40013, "invalid appid")
	}
	if d := s.st.web.domains[appID]; len(d) > 0 && !slices.Contains(d, u.Host) {
		return authorizePage(10003, "redirect_uri域名与后台配置不一致")
	}
	openid := s.st.web.openids[appID]
	if openid == "" {
		return authorizePage(0, "fake WeChat: no user chosen for "+appID+
			"; choose one with SetAuthorizeOpenID or POST "+ControlAuthorizeOpenID+" (appid, openid)")
	}
	code := randomToken(24)
	s.st.web.codes[code] = &oauthCode{appID: appID, openid: openid, scope: scope, expires: s.now().Add(OAuthCodeTTL)}
	sep := "?"
	if u.RawQuery != "" || strings.HasSuffix(redirect, "?") {
		sep = "&"
	}
	loc := redirect + sep + "code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))
	return reply{status: http.StatusFound, location: loc, contentType: "text/html; charset=utf-8"}
}

// handleOAuthToken is GET /sns/oauth2/access_token (appid, secret, code,
// grant_type=authorization_code). Codes are single-use (40163 on reuse) and
// die after OAuthCodeTTL (40029, as unknown codes and codes of another app).
func (s *Server) handleOAuthToken(_ *http.Request, q url.Values, _ []byte, _ string) reply {
	if q.Get("grant_type") != "authorization_code" {
		return errReply(40002, "")
	}
	appID, code := q.Get("appid"), q.Get("code")
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apps[appID]
	switch {
	case a == nil:
		return errReply(40013, "")
	case q.Get("secret") != a.secret:
		return errReply(40125, "")
	case code == "":
		return errReply(41008, "")
	}
	oc := s.st.web.codes[code]
	switch {
	case oc == nil || oc.appID != appID:
		return errReply(40029, "")
	case oc.used:
		return errReply(40163, "")
	case !s.now().Before(oc.expires):
		return errReply(40029, "")
	}
	oc.used = true
	return jsonReply(map[string]any{
		"access_token": randomToken(48), "expires_in": 7200, "refresh_token": randomToken(48),
		"openid": oc.openid, "scope": oc.scope,
	})
}

// handleGetTicket is GET /cgi-bin/ticket/getticket?type=jsapi|wx_card (with
// the account's access token): a fresh ticket valid 7200 s.
func (s *Server) handleGetTicket(_ *http.Request, q url.Values, _ []byte, appID string) reply {
	typ := q.Get("type")
	if typ != "jsapi" && typ != "wx_card" {
		return errReply(40097, "invalid args hint: type")
	}
	t := "bxLdikRXVbTPdHSM05e5u5sUoXNKd8-" + randomToken(32)
	if typ == "jsapi" {
		s.mu.Lock()
		s.st.web.tickets[appID] = t
		s.st.web.ticketsN[appID]++
		s.mu.Unlock()
	}
	return okReply(map[string]any{"ticket": t, "expires_in": int(jsTicketTTL / time.Second)})
}

// handleControlOpenID is POST ControlAuthorizeOpenID (form or query).
func (s *Server) handleControlOpenID(_ *http.Request, q url.Values, body []byte, _ string) reply {
	if form, err := url.ParseQuery(string(body)); err == nil {
		for k, v := range form {
			q[k] = v
		}
	}
	appID := q.Get("appid")
	if appID == "" {
		appID = DefaultOAAppID
	}
	openid := q.Get("openid")
	if openid != "" && !openidRe.MatchString(openid) {
		return errReply(40003, "")
	}
	s.SetAuthorizeOpenID(appID, openid)
	return okReply(nil)
}
