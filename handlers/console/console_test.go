package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// conLoc is the deployment's zone in these tests.
var conLoc = time.FixedZone("CST", 8*3600)

// conT0 is a Tuesday, 17:00 in Beijing.
var conT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// conClock is the router's clock, moved by the test.
type conClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *conClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *conClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *conClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// conEnv is the demo county behind the real router, with console users:
// a clerk and a head of the east station (both bound to WeChat), a clerk
// of the west station and an admin.
type conEnv struct {
	*testEnv
	clock                       *conClock
	cal                         *models.Calendar
	east, west                  models.Station
	clerkE, headE, clerkW, boss models.Staff
	voter                       uint64
	dept                        models.Department
}

const conPassword = "correct horse 1"

// conCheapHashes makes password hashing cheap, once for the whole run (the
// console tests run in parallel, so it is never restored).
var conCheapHashes sync.Once

func newConEnv(t *testing.T) *conEnv {
	t.Helper()
	return newConEnvLog(t, slog.New(slog.DiscardHandler))
}

// newConEnvLog is newConEnv with the router logging to log.
func newConEnvLog(t *testing.T, log *slog.Logger) *conEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	clk := &conClock{now: conT0}
	te := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) {
		d.Now, d.Location, d.Log = clk.Now, conLoc, log
		d.OpinionNotify = config.OpinionNotify{Staff: config.TemplateSpec{ID: "TPL_STAFF"}, VoterOA: config.TemplateSpec{ID: "TPL_VOTER"}}
	})
	e := &conEnv{testEnv: te, clock: clk}
	ctx := t.Context()
	if _, err := models.LoadDemo(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&e.west).Error)
	must(t, e.db.Order("id").First(&e.dept).Error)
	mk := func(user string, role models.StaffRole, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUser(ctx, e.db, user, conPassword, "测试"+user, role, stations, conT0)
		must(t, err)
		return s
	}
	e.clerkE = mk("clerk_e", models.RoleClerk, e.east.ID)
	e.headE = mk("head_e", models.RoleHead, e.east.ID)
	e.clerkW = mk("clerk_w", models.RoleClerk, e.west.ID)
	e.boss = mk("admin", models.RoleAdmin)
	for _, s := range []models.Staff{e.clerkE, e.headE} {
		must(t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", "oa-"+*s.Username).Error)
	}
	oa := "oVoterFollowing"
	v := models.Voter{OAOpenID: &oa, Following: true}
	must(t, e.db.Create(&v).Error)
	e.voter = v.ID
	var err error
	e.cal, err = models.LoadCalendar(ctx, e.db)
	must(t, err)
	return e
}

// file files an opinion at a station, as a voter would.
func (e *conEnv) file(station uint64, at time.Time) models.Opinion {
	e.t.Helper()
	op, _, err := models.FileOpinion(e.t.Context(), e.db, models.FileInput{
		VoterID: e.voter, Category: "shenghuo", StationID: station,
		Content: "东门菜市场门口的路灯坏了一个多月，晚上很不安全。",
	}, models.RouteWorld{}, at, conLoc, e.cal)
	must(e.t, err)
	if op.StationID != station {
		e.t.Fatalf("filed at station %d, want %d (%s)", op.StationID, station, op.RouteReason)
	}
	return op
}

// conReq is one console request: Bearer token, or cookie with CSRF token.
type conReq struct {
	token, cookie, csrf string
	body, ctype         string
	header              map[string]string
}

// call sends a console request; out (if not nil) receives the JSON answer.
func (e *conEnv) call(method, path string, r conReq, out any) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	} else if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: console.ConsoleCookie, Value: r.cookie})
	}
	if r.csrf != "" {
		req.Header.Set(console.ConsoleCSRFHeader, r.csrf)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp
}

// bearer calls with a Bearer token.
func (e *conEnv) bearer(method, path, token, body string, out any) *http.Response {
	e.t.Helper()
	return e.call(method, path, conReq{token: token, body: body}, out)
}

// login signs in and returns the session and the cookie's value.
func (e *conEnv) login(user string) (console.ConsoleSessionView, string) {
	e.t.Helper()
	var s console.ConsoleSessionView
	r := e.call("POST", "/console/api/login", conReq{body: `{"username":"` + user + `","password":"` + conPassword + `"}`}, &s)
	if r.StatusCode != 200 || s.Token == "" {
		e.t.Fatalf("login %s: %d %+v", user, r.StatusCode, s)
	}
	for _, c := range r.Cookies() {
		if c.Name == console.ConsoleCookie {
			return s, c.Value
		}
	}
	e.t.Fatalf("login %s: no %s cookie", user, console.ConsoleCookie)
	return s, ""
}

func (e *conEnv) token(user string) string {
	e.t.Helper()
	s, _ := e.login(user)
	return s.Token
}

func setCookie(r *http.Response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == console.ConsoleCookie {
			return c
		}
	}
	return nil
}

// Ensure a login answers the token, the CSRF token and the staff member,
// and sets an HttpOnly, SameSite=Lax cookie scoped to /console, Secure
// behind HTTPS.
func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	var s console.ConsoleSessionView
	r := e.call("POST", "/console/api/login", conReq{body: `{"username":" Clerk_E ","password":"` + conPassword + `"}`}, &s)
	if r.StatusCode != 200 {
		t.Fatalf("login: %d", r.StatusCode)
	}
	if len(s.Token) < 40 || len(s.CSRFToken) < 40 || s.Token == s.CSRFToken || s.Staff.ID != e.clerkE.ID ||
		s.Staff.Username != "clerk_e" || s.Staff.Role != models.RoleClerk || s.Staff.RoleLabel != "联络员" ||
		len(s.Staff.Stations) != 1 || s.Staff.Stations[0].Name != e.east.Name ||
		!s.ExpiresAt.Equal(conT0.Add(console.ConsoleSessionTTL)) {
		t.Fatalf("session %+v", s)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	raw := strings.Join(r.Header.Values("Set-Cookie"), "\n")
	c := setCookie(r)
	if c == nil || c.Value != s.Token || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/console" || c.Secure ||
		!strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Lax") || !strings.Contains(raw, "Path=/console") {
		t.Fatalf("cookie %+v (%s)", c, raw)
	}
	// The token is stored hashed: no Redis key or value holds it.
	keys, _ := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"*")
	for _, k := range keys {
		v, _ := e.rd.Client.Get(t.Context(), k).Result()
		if strings.Contains(k, s.Token) || strings.Contains(v, s.Token) {
			t.Errorf("token in Redis at %s", k)
		}
	}

	// Behind the local TLS-terminating proxy the cookie is Secure.
	r = e.call("POST", "/console/api/login", conReq{body: `{"username":"admin","password":"` + conPassword + `"}`,
		header: map[string]string{"X-Forwarded-Proto": "https"}}, nil)
	if c := setCookie(r); r.StatusCode != 200 || c == nil || !c.Secure {
		t.Errorf("behind https: %d %+v", r.StatusCode, c)
	}

	// Both ways in reach /me, which repeats the CSRF token for the page.
	var me console.ConsoleMeView
	if r := e.bearer("GET", "/console/api/me", s.Token, "", &me); r.StatusCode != 200 || me.Staff.ID != e.clerkE.ID || me.CSRFToken != s.CSRFToken {
		t.Fatalf("me by bearer: %d %+v", r.StatusCode, me)
	}
	me = console.ConsoleMeView{}
	if r := e.call("GET", "/console/api/me", conReq{cookie: c.Value}, &me); r.StatusCode != 200 || me.Staff.ID != e.clerkE.ID {
		t.Fatalf("me by cookie: %d %+v", r.StatusCode, me)
	}

	// Failures: the same answer for a wrong password and an unknown user.
	for _, c := range []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"wrong password", `{"username":"clerk_e","password":"wrong password"}`, "", 401, "invalid_credentials"},
		{"unknown user", `{"username":"nobody","password":"` + conPassword + `"}`, "", 401, "invalid_credentials"},
		{"no username", `{"password":"x"}`, "", 400, "invalid_username"},
		{"no password", `{"username":"clerk_e"}`, "", 400, "invalid_password"},
		{"not json", `username=clerk_e`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"bad json", `{"username":`, "", 400, "invalid_json"},
		{"wrong type", `{"username":5,"password":"x"}`, "", 400, "invalid_username"},
		{"unknown field", `{"username":"a","password":"b","remember":true}`, "", 400, "invalid_remember"},
	} {
		var b errBody
		r := e.call("POST", "/console/api/login", conReq{body: c.body, ctype: c.ctype}, &b)
		if r.StatusCode != c.status || b.Error.Code != c.code || setCookie(r) != nil {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.StatusCode, b.Error.Code, c.status, c.code)
		}
	}
}

// Ensure the login is rate limited per client address (a different name
// each time, so that the per-username throttle stays out of it).
func TestConsoleLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	for i := range 20 {
		if r := e.call("POST", "/console/api/login", conReq{body: `{"username":"nobody` + strconv.Itoa(i) + `","password":"guess number 1"}`}, nil); r.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i+1, r.StatusCode)
		}
	}
	var b errBody
	r := e.call("POST", "/console/api/login", conReq{body: `{"username":"clerk_e","password":"` + conPassword + `"}`}, &b)
	if r.StatusCode != 429 || b.Error.Code != "rate_limited" {
		t.Fatalf("21st attempt: %d %q", r.StatusCode, b.Error.Code)
	}
	e.clock.Add(time.Minute)
	e.login("clerk_e")
}

// Ensure cookie sessions need the CSRF token for unsafe requests and
// Bearer sessions do not; logout ends the session.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	op := e.file(e.east.ID, conT0)
	s, cookie := e.login("clerk_e")
	path := "/console/api/opinions/" + idStr(op.ID) + "/notes"
	notes := func() int64 {
		var n int64
		e.db.Model(&models.OpinionNote{}).Where("opinion_id = ?", op.ID).Count(&n)
		return n
	}
	body := `{"text":"已电话联系群众"}`
	for _, c := range []struct {
		name string
		req  conReq
		want int
		code string
	}{
		{"cookie, no CSRF token", conReq{cookie: cookie, body: body}, 403, "csrf_failed"},
		{"cookie, wrong CSRF token", conReq{cookie: cookie, csrf: s.CSRFToken[:len(s.CSRFToken)-1] + "x", body: body}, 403, "csrf_failed"},
		{"cookie, the token itself as CSRF", conReq{cookie: cookie, csrf: s.Token, body: body}, 403, "csrf_failed"},
		{"no session, CSRF token only", conReq{csrf: s.CSRFToken, body: body}, 401, "unauthorized"},
		{"bad Authorization does not fall back to the cookie", conReq{cookie: cookie, csrf: s.CSRFToken, body: body,
			header: map[string]string{"Authorization": "Basic abc"}}, 401, "unauthorized"},
		{"cookie with CSRF token", conReq{cookie: cookie, csrf: s.CSRFToken, body: body}, 201, ""},
		{"bearer without CSRF token", conReq{token: s.Token, body: body}, 201, ""},
	} {
		before := notes()
		var b errBody
		r := e.call("POST", path, c.req, &b)
		if r.StatusCode != c.want || b.Error.Code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.StatusCode, b.Error.Code, c.want, c.code)
		}
		if grew := notes() - before; (c.want == 201) != (grew == 1) {
			t.Errorf("%s: notes grew by %d", c.name, grew)
		}
	}
	// Reading needs no CSRF token.
	if r := e.call("GET", "/console/api/opinions/"+idStr(op.ID), conReq{cookie: cookie}, nil); r.StatusCode != 200 {
		t.Errorf("GET by cookie: %d", r.StatusCode)
	}
	// Logout is unsafe too.
	if r := e.call("POST", "/console/api/logout", conReq{cookie: cookie}, nil); r.StatusCode != 403 {
		t.Errorf("logout without CSRF: %d", r.StatusCode)
	}
	r := e.call("POST", "/console/api/logout", conReq{cookie: cookie, csrf: s.CSRFToken}, nil)
	if c := setCookie(r); r.StatusCode != 204 || c == nil || c.MaxAge >= 0 || c.Path != "/console" {
		t.Fatalf("logout: %d %+v", r.StatusCode, c)
	}
	for _, req := range []conReq{{cookie: cookie}, {token: s.Token}} {
		if r := e.call("GET", "/console/api/me", req, nil); r.StatusCode != 401 {
			t.Errorf("after logout: %d", r.StatusCode)
		}
	}
}

// Ensure a session slides, and ends when it expires, when the member is
// deactivated or when their password changes.
func TestConsoleSessionEnds(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	ctx := t.Context()
	if e.rd.Mini != nil {
		tok := e.token("clerk_e")
		for range 3 {
			e.rd.Mini.FastForward(console.ConsoleSessionTTL - time.Hour)
			if r := e.bearer("GET", "/console/api/me", tok, "", nil); r.StatusCode != 200 {
				t.Fatalf("sliding session: %d", r.StatusCode)
			}
		}
		e.rd.Mini.FastForward(console.ConsoleSessionTTL + time.Second)
		if r := e.bearer("GET", "/console/api/me", tok, "", nil); r.StatusCode != 401 {
			t.Fatalf("idle session: %d", r.StatusCode)
		}
	}

	tok := e.token("head_e")
	e.clock.Add(time.Second)
	must(t, models.SetStaffPassword(ctx, e.db, models.SystemActor, e.headE.ID, "a new password", e.clock.Now()))
	var b errBody
	if r := e.bearer("GET", "/console/api/me", tok, "", &b); r.StatusCode != 401 || b.Error.Code != "unauthorized" {
		t.Errorf("after a password change: %d %q", r.StatusCode, b.Error.Code)
	}

	tok = e.token("clerk_w")
	must(t, e.db.Model(&models.Staff{}).Where("id = ?", e.clerkW.ID).Update("active", false).Error)
	if r := e.bearer("GET", "/console/api/me", tok, "", nil); r.StatusCode != 401 {
		t.Errorf("deactivated: %d", r.StatusCode)
	}
	if r := e.call("POST", "/console/api/login", conReq{body: `{"username":"clerk_w","password":"` + conPassword + `"}`}, nil); r.StatusCode != 401 {
		t.Errorf("deactivated login: %d", r.StatusCode)
	}
	for _, tok := range []string{"", "forged", strings.Repeat("x", 200)} {
		if r := e.bearer("GET", "/console/api/me", tok, "", nil); r.StatusCode != 401 {
			t.Errorf("token %q: %d", tok, r.StatusCode)
		}
	}
}

// The Authorization scheme's name is case-insensitive (RFC 9110): a staff
// client sending "bearer" is signed in, and needs no CSRF token, like one
// sending "Bearer"; another scheme is refused, not read as the cookie.
func TestConsoleBearerSchemeAnyCase(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	tok, cookie := e.login("clerk_e")
	for _, c := range []struct {
		header string
		status int
	}{
		{"Bearer " + tok.Token, 200}, {"bearer " + tok.Token, 200}, {"BEARER " + tok.Token, 200},
		{"Basic " + tok.Token, 401}, {"Bearer", 401}, {"bearer ", 401},
	} {
		var me console.ConsoleMeView
		r := e.call("GET", "/console/api/me", conReq{cookie: cookie, header: map[string]string{"Authorization": c.header}}, &me)
		if r.StatusCode != c.status || (c.status == 200 && me.Staff.ID != e.clerkE.ID) {
			t.Errorf("Authorization %q: %d %+v, want %d", models.Shorten(c.header, 12, "…"), r.StatusCode, me.Staff, c.status)
		}
	}
	// A bearer client sends no CSRF token, whatever the scheme's case.
	if r := e.call("POST", "/console/api/logout", conReq{header: map[string]string{"Authorization": "bearer " + tok.Token}}, nil); r.StatusCode != 204 {
		t.Errorf("logout with a lower-case scheme: %d", r.StatusCode)
	}
}

func idStr(id uint64) string { return strconv.FormatUint(id, 10) }
