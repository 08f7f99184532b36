// Package wechattest is a fake of the WeChat server API (api.weixin.qq.com)
// covering the calls deputylink makes: access tokens (token, stable_token),
// OA QR codes, mini-program codes, code2session, phone numbers, template /
// subscribe / customer-service messages, menus, user info, web
// authorization (including the authorize step of open.weixin.qq.com, so the
// same server stands in for both hosts) and jsapi_tickets.
//
// Like WeChat it answers HTTP 200 with {"errcode":N,"errmsg":"..."} on
// errors, checks the access_token of every call (41001 missing, 40001
// unknown, 42001 expired), and models followers, one-time subscribe consent,
// single-use login codes and client_msg_id de-duplication. Faults can be
// injected (FailRate, FailNext, HTTPStatusNext, SetLatency) and every call and
// delivery is recorded. All methods are safe for concurrent use.
//
// Point the wechat package at it with Config.APIBase = srv.URL() and
// Config.AuthorizeBase = srv.URL().
package wechattest

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Default apps registered by every Server.
const (
	DefaultOAAppID  = "wxoafake0000000001"
	DefaultOASecret = "oasecret"
	DefaultMPAppID  = "wxmpfake0000000001"
	DefaultMPSecret = "mpsecret"
)

// Call is one recorded request.
type Call struct {
	Path       string
	Query      url.Values
	Body       []byte
	At         time.Time
	ErrCode    int // errcode answered (0 on success)
	HTTPStatus int // HTTP status answered
}

// Server is the fake. Build it with New, NewServer or NewUnstarted.
type Server struct {
	hs  *httptest.Server
	srv *http.Server
	url string

	mu    sync.Mutex
	st    state
	clock func() time.Time // nil: time.Now (SetClock)
	msgID int64            // last template msgid handed out
	// deliveryLog receives a line per delivered message (SetDeliveryLog).
	deliveryLog io.Writer
}

// reply is what a route handler answers.
type reply struct {
	status      int
	location    string // Location header of a redirect
	contentType string
	body        []byte
	errcode     int
}

type route struct {
	method  string // "" accepts GET and POST
	token   bool   // needs access_token
	handler func(s *Server, r *http.Request, q url.Values, body []byte, appID string) reply
}

// routes maps URL paths to handlers; paths are what WeChat documents.
var routes map[string]route

func init() {
	routes = map[string]route{
		"/cgi-bin/token":                     {http.MethodGet, false, (*Server).handleToken},
		"/cgi-bin/stable_token":              {http.MethodPost, false, (*Server).handleStableToken},
		"/cgi-bin/qrcode/create":             {http.MethodPost, true, (*Server).handleQRCreate},
		"/cgi-bin/showqrcode":                {http.MethodGet, false, (*Server).handleShowQR},
		"/wxa/getwxacodeunlimit":             {http.MethodPost, true, (*Server).handleWXACode},
		"/sns/jscode2session":                {http.MethodGet, false, (*Server).handleCode2Session},
		"/wxa/business/getuserphonenumber":   {http.MethodPost, true, (*Server).handlePhone},
		"/cgi-bin/message/template/send":     {http.MethodPost, true, (*Server).handleTemplate},
		"/cgi-bin/message/subscribe/send":    {http.MethodPost, true, (*Server).handleSubscribe},
		"/cgi-bin/message/custom/send":       {http.MethodPost, true, (*Server).handleCustom},
		"/cgi-bin/menu/create":               {http.MethodPost, true, (*Server).handleMenuCreate},
		"/cgi-bin/menu/get":                  {http.MethodGet, true, (*Server).handleMenuGet},
		"/cgi-bin/get_current_selfmenu_info": {http.MethodGet, true, (*Server).handleSelfMenu},
		"/cgi-bin/menu/delete":               {"", true, (*Server).handleMenuDelete},
		"/cgi-bin/user/info":                 {http.MethodGet, true, (*Server).handleUserInfo},
		"/connect/oauth2/authorize":          {http.MethodGet, false, (*Server).handleAuthorize},
		"/sns/oauth2/access_token":           {http.MethodGet, false, (*Server).handleOAuthToken},
		"/cgi-bin/ticket/getticket":          {http.MethodGet, true, (*Server).handleGetTicket},
		ControlAuthorizeOpenID:               {http.MethodPost, false, (*Server).handleControlOpenID},
	}
}

// New starts a fake on a local httptest server. Close it when done.
func New() *Server {
	s := NewUnstarted()
	s.hs = httptest.NewServer(s)
	s.url = s.hs.URL
	return s
}

// NewServer starts a fake listening on addr (e.g. "127.0.0.1:9901"), for a
// standalone "wechat fake" command.
func NewServer(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := NewUnstarted()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// NewUnstarted returns a fake without a listener; mount Handler() yourself.
func NewUnstarted() *Server {
	s := &Server{msgID: 3_000_000_000}
	s.st = newState()
	s.st.rng = rand.New(rand.NewPCG(1, 2))
	s.AddApp(DefaultOAAppID, DefaultOASecret)
	s.AddApp(DefaultMPAppID, DefaultMPSecret)
	return s
}

// URL returns the base URL ("" for NewUnstarted).
func (s *Server) URL() string { return s.url }

// Handler returns the fake as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// Close stops the listener, if any.
func (s *Server) Close() {
	switch {
	case s.hs != nil:
		s.hs.CloseClientConnections()
		s.hs.Close()
	case s.srv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if s.srv.Shutdown(ctx) != nil {
			_ = s.srv.Close()
		}
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	q := r.URL.Query()
	path := r.URL.Path
	rt, known := routes[path]

	s.mu.Lock()
	latency := s.st.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done(): // client gave up; like WeChat, nothing happened
			t.Stop()
			s.record(path, q, body, reply{status: 499})
			return
		case <-t.C:
		}
	}

	s.mu.Lock()
	// Each injected fault is consumed only by the call it is applied to.
	status := popInt(s.st.statusNext, path)
	code, random := 0, false
	if status == 0 {
		code = popInt(s.st.failNext, path)
	}
	if status == 0 && code == 0 {
		random = known && !isTokenPath(path) && !isPagePath(path) && s.st.failRate > 0 && s.st.rng.Float64() < s.st.failRate
	}
	s.mu.Unlock()
	var rep reply
	switch {
	case status != 0:
		rep = reply{status: status, contentType: "text/html", body: []byte(http.StatusText(status))}
	case !known:
		rep = reply{status: http.StatusNotFound, contentType: "text/plain", body: []byte("404 page not found")}
	case code != 0:
		rep = errReply(code, "")
	case random:
		rep = errReply(-1, "")
	case rt.method != "" && r.Method != rt.method:
		if rt.method == http.MethodPost {
			rep = errReply(43002, "require POST method")
		} else {
			rep = errReply(43001, "require GET method")
		}
	default:
		appID := ""
		if rt.token {
			var ok bool
			if appID, rep, ok = s.checkToken(q.Get("access_token")); !ok {
				break
			}
		}
		rep = rt.handler(s, r, q, body, appID)
	}
	s.record(path, q, body, rep)
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	w.Header().Set("Content-Type", rep.contentType)
	if rep.location != "" {
		w.Header().Set("Location", rep.location)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func isTokenPath(p string) bool { return p == "/cgi-bin/token" || p == "/cgi-bin/stable_token" }

// isPagePath: the browser's authorize step and the fake's control route
// answer no errcode JSON, so FailRate leaves them alone.
func isPagePath(p string) bool {
	return p == "/connect/oauth2/authorize" || p == ControlAuthorizeOpenID
}

func (s *Server) record(path string, q url.Values, body []byte, rep reply) {
	st := rep.status
	if st == 0 {
		st = http.StatusOK
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := append(s.st.calls[path], Call{
		Path: path, Query: q, Body: body, At: time.Now(), ErrCode: rep.errcode, HTTPStatus: st,
	})
	if lim := s.st.callLimit; lim > 0 && len(calls) > lim {
		calls = append([]Call(nil), calls[len(calls)-lim/2:]...)
	}
	s.st.calls[path] = calls
}

const jsonType = "application/json; encoding=utf-8"

// jsonReply answers v as JSON (HTTP 200).
func jsonReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errReply(-1, "system error")
	}
	return reply{contentType: jsonType, body: b}
}

// okReply answers {"errcode":0,"errmsg":"ok"} plus extra fields.
func okReply(extra map[string]any) reply {
	m := map[string]any{"errcode": 0, "errmsg": "ok"}
	for k, v := range extra {
		m[k] = v
	}
	return jsonReply(m)
}

// errReply answers a WeChat error; msg "" picks the documented default.
func errReply(code int, msg string) reply {
	if msg == "" {
		msg = defaultErrMsg(code)
	}
	b, _ := json.Marshal(map[string]any{"errcode": code, "errmsg": msg})
	return reply{contentType: jsonType, body: b, errcode: code}
}

func defaultErrMsg(code int) string {
	if m, ok := errMsgs[code]; ok {
		return m
	}
	return "error"
}

// errMsgs are WeChat's global errmsg texts for the codes this fake emits.
var errMsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40013: "invalid appid",
	40014: "invalid access_token",
	40029: "invalid code",
	40037: "invalid template_id",
	40097: "invalid args",
	40125: "invalid appsecret",
	40163: "code been used",
	40169: "invalid length for scene, or the data is not json string",
	41001: "access_token missing",
	41008: "missing code",
	41030: "invalid page",
	42001: "access_token expired",
	43004: "require subscribe",
	43101: "user refuse to accept the msg",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit, must slower, retry next minute",
	45015: "response out of time limit or subscription is canceled",
	46003: "menu no exist",
	47001: "data format error",
	47003: "argument invalid!",
}

// decodeJSON parses a request body; false means answer 47001.
func decodeJSON(body []byte, v any) bool {
	if len(strings.TrimSpace(string(body))) == 0 {
		return false
	}
	return json.Unmarshal(body, v) == nil
}

func popInt(m map[string][]int, key string) int {
	q := m[key]
	if len(q) == 0 {
		return 0
	}
	v := q[0]
	if len(q) == 1 {
		delete(m, key)
	} else {
		m[key] = q[1:]
	}
	return v
}

// normPath accepts "/cgi-bin/x" or a full URL and returns the path.
func normPath(p string) string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		if u, err := url.Parse(p); err == nil {
			return u.Path
		}
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
