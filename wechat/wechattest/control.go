package wechattest

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"time"
)

// TemplateDelivery is a delivered OA template message.
type TemplateDelivery struct {
	ToUser, TemplateID, URL           string
	MiniProgramAppID, MiniProgramPage string
	Data                              map[string]string
	ClientMsgID                       string
	MsgID                             int64
	At                                time.Time
}

// SubscribeDelivery is a delivered mini-program subscribe message.
type SubscribeDelivery struct {
	ToUser, TemplateID, Page, MiniprogramState, Lang string
	Data                                             map[string]string
	At                                               time.Time
}

// CustomDelivery is a delivered OA customer-service message.
type CustomDelivery struct {
	ToUser, MsgType, Content string
	At                       time.Time
}

// QRCode is an OA parametric QR code created through qrcode/create.
type QRCode struct {
	Ticket, URL, ActionName, SceneStr string
	SceneID                           int64
	ExpireSeconds                     int64 // 0 for permanent codes
	At                                time.Time
}

type app struct {
	secret      string
	stable      string // current stable token
	normal      string // current /cgi-bin/token token
	stableCalls int
	tokenCalls  int
}

type tokenInfo struct {
	appID   string
	expires time.Time
}

type loginCode struct{ openid, unionid string }

type sentMsg struct {
	msgID int64
	at    time.Time
}

type state struct {
	rng        *rand.Rand
	failRate   float64
	failNext   map[string][]int
	statusNext map[string][]int
	latency    time.Duration

	apps     map[string]*app
	tokens   map[string]*tokenInfo
	tokenTTL time.Duration

	calls map[string][]Call

	followers        map[string]bool
	followAll        bool
	unionIDs         map[string]string
	consent          map[[2]string]int
	unlimitedConsent bool
	templates        map[string]bool
	strictTemplates  bool
	published        map[string]bool // nil: every page exists
	loginCodes       map[string]loginCode
	usedCodes        map[string]bool
	phoneCodes       map[string]string
	clientMsgIDs     map[string]sentMsg
	msgPruneAt       int
	callLimit        int // 0: keep every call

	templatesOut  []TemplateDelivery
	subscribesOut []SubscribeDelivery
	customsOut    []CustomDelivery
	qrcodes       []QRCode
	tickets       map[string]int
	menu          json.RawMessage
	menuID        int64

	web webAuth
}

func newState() state {
	return state{
		apps: map[string]*app{}, tokens: map[string]*tokenInfo{}, tokenTTL: 7200 * time.Second,
		failNext: map[string][]int{}, statusNext: map[string][]int{}, calls: map[string][]Call{},
		followers: map[string]bool{}, unionIDs: map[string]string{}, consent: map[[2]string]int{},
		templates: map[string]bool{}, loginCodes: map[string]loginCode{}, usedCodes: map[string]bool{},
		phoneCodes: map[string]string{}, clientMsgIDs: map[string]sentMsg{}, tickets: map[string]int{},
		web: newWebAuth(),
	}
}

// Reset forgets recordings, deliveries, injected faults, followers, consent,
// codes, templates, pages, the menu, the chosen authorize user and
// authorize domains, and jsapi_tickets. Apps and issued tokens survive, so
// tokens cached by clients stay valid.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := newState()
	ns.apps, ns.tokens, ns.tokenTTL = s.st.apps, s.st.tokens, s.st.tokenTTL
	ns.callLimit = s.st.callLimit
	for _, a := range ns.apps {
		a.stableCalls, a.tokenCalls = 0, 0
	}
	ns.rng = rand.New(rand.NewPCG(1, 2))
	s.st = ns
}

// AddApp registers (or re-keys) an appid with its secret.
func (s *Server) AddApp(appID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.st.apps[appID]; ok {
		a.secret = secret
		return
	}
	s.st.apps[appID] = &app{secret: secret}
}

// SetTokenTTL sets expires_in for tokens issued from now on (default 7200 s).
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	s.st.tokenTTL = d
	s.mu.Unlock()
}

// RotateToken revokes the current tokens of the given apps (all apps when
// none given), as a force_refresh by another party would after its overlap:
// calls with the old token get 40001 and the next stable_token call issues a
// new one.
func (s *Server) RotateToken(appIDs ...string) {
	s.eachApp(appIDs, func(a *app) {
		delete(s.st.tokens, a.stable)
		delete(s.st.tokens, a.normal)
		a.stable, a.normal = "", ""
	})
}

// ExpireToken makes the current tokens of the given apps (all when none
// given) expire now: calls get 42001 and stable_token issues a new token.
func (s *Server) ExpireToken(appIDs ...string) {
	past := time.Now().Add(-time.Second)
	s.eachApp(appIDs, func(a *app) {
		for _, t := range []string{a.stable, a.normal} {
			if ti := s.st.tokens[t]; ti != nil {
				ti.expires = past
			}
		}
	})
}

func (s *Server) eachApp(appIDs []string, fn func(*app)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, a := range s.st.apps {
		if len(appIDs) == 0 || slices.Contains(appIDs, id) {
			fn(a)
		}
	}
}

// StableTokenCalls counts POST /cgi-bin/stable_token calls naming appID.
func (s *Server) StableTokenCalls(appID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.st.apps[appID]; a != nil {
		return a.stableCalls
	}
	return 0
}

// TokenCalls counts GET /cgi-bin/token calls naming appID.
func (s *Server) TokenCalls(appID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.st.apps[appID]; a != nil {
		return a.tokenCalls
	}
	return 0
}

// StableToken returns appID's current stable access token ("" if none).
func (s *Server) StableToken(appID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.st.apps[appID]; a != nil {
		return a.stable
	}
	return ""
}

// Follow makes openids followers of the official account.
func (s *Server) Follow(openids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range openids {
		s.st.followers[o] = true
	}
}

// Unfollow removes followers.
func (s *Server) Unfollow(openids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range openids {
		delete(s.st.followers, o)
	}
}

// SetFollowAll treats every well-formed openid as a follower (load tests).
func (s *Server) SetFollowAll(on bool) {
	s.mu.Lock()
	s.st.followAll = on
	s.mu.Unlock()
}

// SetUnionID sets the unionid user/info reports for openid.
func (s *Server) SetUnionID(openid, unionid string) {
	s.mu.Lock()
	s.st.unionIDs[openid] = unionid
	s.mu.Unlock()
}

// GrantConsent adds n one-time subscribe consents of openid for templateID
// (each wx.requestSubscribeMessage "accept" is one).
func (s *Server) GrantConsent(openid, templateID string, n int) {
	s.mu.Lock()
	s.st.consent[[2]string{openid, templateID}] += n
	s.mu.Unlock()
}

// Consent returns the remaining consents of openid for templateID.
func (s *Server) Consent(openid, templateID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.consent[[2]string{openid, templateID}]
}

// SetUnlimitedConsent makes every subscribe send consented (load tests;
// like a long-term subscription).
func (s *Server) SetUnlimitedConsent(on bool) {
	s.mu.Lock()
	s.st.unlimitedConsent = on
	s.mu.Unlock()
}

// AddTemplate registers template ids (OA and subscribe share the registry).
func (s *Server) AddTemplate(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.st.templates[id] = true
	}
}

// SetStrictTemplates makes unregistered template ids fail with 40037
// (default: any non-empty id is accepted).
func (s *Server) SetStrictTemplates(on bool) {
	s.mu.Lock()
	s.st.strictTemplates = on
	s.mu.Unlock()
}

// SetPublishedPages sets the pages of the "published" mini-program version,
// checked by getwxacodeunlimit (check_path true) and subscribe/send. nil (the
// default) means every page exists; an empty slice means none does.
func (s *Server) SetPublishedPages(pages []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pages == nil {
		s.st.published = nil
		return
	}
	s.st.published = make(map[string]bool, len(pages))
	for _, p := range pages {
		s.st.published[p] = true
	}
}

// AddLoginCode registers a single-use wx.login code. Codes of the form
// "test:<openid>" need no registration.
func (s *Server) AddLoginCode(code, openid, unionid string) {
	s.mu.Lock()
	s.st.loginCodes[code] = loginCode{openid: openid, unionid: unionid}
	s.mu.Unlock()
}

// AddPhoneCode registers a single-use getPhoneNumber code.
func (s *Server) AddPhoneCode(code, phone string) {
	s.mu.Lock()
	s.st.phoneCodes[code] = phone
	s.mu.Unlock()
}
