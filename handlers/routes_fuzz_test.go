package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
)

// The principals every route is tried as.
const (
	anon  = "anonymous"
	voter = "voter"
	clerk = "clerk"
	admin = "admin"
)

var principals = []string{anon, voter, clerk, admin}

// bodyField is one field of a route's JSON body: a well-typed sample value
// and its JSON kind.
type bodyField struct {
	key, sample, kind string
}

// bodySpec is the JSON body of a route: its fields in order, and who gets
// past authentication and role checks to the body (a wrong type must then
// be a 400 naming the field).
type bodySpec struct {
	who    string
	fields []bodyField
	// form marks a route whose body is not JSON (a multipart upload, the
	// official account's XML): only the no-5xx rule applies.
	form bool
}

func f(key, sample, kind string) bodyField { return bodyField{key, sample, kind} }

// routeBodies describes the bodies of the routes that take one. A route
// missing here is still fuzzed (ids, garbage, duplicate keys) for the
// no-5xx rule; add it to check that wrong types name the field.
var routeBodies = map[string]bodySpec{
	"POST /api/v1/session":       {who: anon, fields: []bodyField{f("code", `"c"`, "string")}},
	"POST /api/v1/me/phone":      {who: voter, fields: []bodyField{f("code", `"c"`, "string")}},
	"POST /api/v1/bookings":      {who: voter, fields: []bodyField{f("slot_id", `1`, "number"), f("topic", `"t"`, "string")}},
	"PATCH /api/v1/bookings/:id": {who: voter, fields: []bodyField{f("slot_id", `1`, "number")}},
	"POST /api/v1/subscriptions": {who: voter, fields: []bodyField{f("template_ids", `["tpl"]`, "array")}},
	"POST /api/v1/opinions": {who: voter, fields: []bodyField{
		f("content", `"东门菜市场门口的路灯坏了一个多月。"`, "string"), f("category", `"shenghuo"`, "string"),
		f("code", `""`, "string"), f("station_id", `1`, "number"), f("community_id", `1`, "number"),
		f("lat", `30.27`, "number"), f("lng", `120.15`, "number"), f("anonymous", `false`, "bool"),
		f("photo_ids", `[]`, "array"), f("extra", `{}`, "object"),
	}},
	"POST /api/v1/opinions/:id/ratings": {who: voter, fields: []bodyField{
		f("stage", `"reply"`, "string"), f("score", `"satisfied"`, "string"), f("comment", `""`, "string"),
	}},
	"POST /api/v1/uploads":  {who: voter, form: true},
	"GET /wechat/official":  {who: anon, form: true},
	"POST /wechat/official": {who: anon, form: true},
	// The opinion pages take a cookie session, which no principal here
	// has: every one is sent to sign in (303); only the no-5xx rule applies.
	"GET /console/opinions":                    {form: true},
	"GET /console/opinions/new":                {form: true},
	"POST /console/opinions":                   {form: true},
	"GET /console/opinions/:id":                {form: true},
	"POST /console/opinions/:id/accept":        {form: true},
	"POST /console/opinions/:id/transfer":      {form: true},
	"POST /console/opinions/:id/reply":         {form: true},
	"POST /console/opinions/:id/return":        {form: true},
	"POST /console/opinions/:id/close":         {form: true},
	"POST /console/opinions/:id/reopen":        {form: true},
	"POST /console/opinions/:id/note":          {form: true},
	"POST /console/opinions/:id/callback":      {form: true},
	"POST /console/opinions/:id/reveal-phone":  {form: true},
	"POST /console/opinions/:id/erase-contact": {form: true},
	"POST /console/login":                      {who: anon, form: true},
	"POST /console/logout":                     {who: anon, form: true},
	// The management of staff, codes and boards, and the outbox (cookie
	// sessions, as above).
	"GET /console/manage/staff":                     {form: true},
	"POST /console/manage/staff":                    {form: true},
	"GET /console/manage/staff/:id":                 {form: true},
	"POST /console/manage/staff/:id/invite":         {form: true},
	"POST /console/manage/staff/:id/deactivate":     {form: true},
	"POST /console/manage/staff/:id/reactivate":     {form: true},
	"POST /console/manage/staff/:id/unbind":         {form: true},
	"POST /console/manage/staff/:id/password":       {form: true},
	"POST /console/manage/staff/:id/password/clear": {form: true},
	"GET /console/manage/codes":                     {form: true},
	"POST /console/manage/codes":                    {form: true},
	"POST /console/manage/codes/:code/retire":       {form: true},
	"GET /console/manage/codes/:code/board":         {form: true},
	"GET /console/manage/boards/:station":           {form: true},
	"GET /console/manage/outbox":                    {form: true},
	"POST /console/manage/outbox/retry":             {form: true},
	"POST /console/manage/outbox/retry-all":         {form: true},
	"GET /console/manage/deputies":                  {form: true},
	"GET /console/manage/deputies/new":              {form: true},
	"POST /console/manage/deputies":                 {form: true},
	"GET /console/manage/deputies/:id":              {form: true},
	"POST /console/manage/deputies/:id":             {form: true},
	"POST /console/manage/deputies/:id/retire":      {form: true},
	"POST /console/manage/deputies/:id/reinstate":   {form: true},
	"POST /console/manage/deputies/:id/move":        {form: true},
	"POST /console/manage/deputies/:id/photo":       {form: true},

	// Deputy groups (代表小组).
	"GET /console/manage/groups":                             {form: true},
	"GET /console/manage/groups/new":                         {form: true},
	"POST /console/manage/groups":                            {form: true},
	"GET /console/manage/groups/:id":                         {form: true},
	"POST /console/manage/groups/:id":                        {form: true},
	"POST /console/manage/groups/:id/members":                {form: true},
	"POST /console/manage/groups/:id/members/:deputy/remove": {form: true},
	"POST /console/manage/groups/:id/delete":                 {form: true},
	"POST /console/api/login": {who: anon, fields: []bodyField{
		f("username", `"nobody"`, "string"), f("password", `"wrong password"`, "string"),
	}},
	"POST /console/api/opinions/:id/accept": {who: admin, fields: []bodyField{f("note", `""`, "string")}},
	"POST /console/api/opinions/:id/close":  {who: admin, fields: []bodyField{f("note", `""`, "string")}},
	"POST /console/api/opinions/:id/reopen": {who: admin, fields: []bodyField{f("note", `""`, "string")}},
	"POST /console/api/opinions/:id/transfer": {who: admin, fields: []bodyField{
		f("department_id", `1`, "number"), f("co_department_ids", `[]`, "array"), f("lead_staff_id", `0`, "number"),
		f("due_at", `""`, "string"), f("note", `""`, "string"),
	}},
	"POST /console/api/opinions/:id/reply":         {who: admin, fields: []bodyField{f("text", `""`, "string"), f("note", `""`, "string")}},
	"POST /console/api/opinions/:id/return":        {who: admin, fields: []bodyField{f("reason", `""`, "string"), f("to_station_id", `0`, "number")}},
	"POST /console/api/opinions/:id/notes":         {who: admin, fields: []bodyField{f("text", `""`, "string")}},
	"POST /console/api/reception-days/:id/checkin": {who: admin, fields: []bodyField{f("code", `""`, "string")}},
	"POST /console/api/reception-days/:id/walkins": {who: admin, fields: []bodyField{f("name", `""`, "string"), f("topic", `""`, "string")}},
	"PUT /console/api/reception-days/:id/roster":   {who: admin, fields: []bodyField{f("deputy_ids", `[]`, "array")}},
	"PUT /console/api/holidays/:date":              {who: admin, fields: []bodyField{f("kind", `"holiday"`, "string"), f("name", `"测试假日"`, "string")}},
	"PUT /console/api/stations/:id/reception-rule": {who: admin, fields: []bodyField{
		f("active", `true`, "bool"), f("day_of_month", `10`, "number"), f("start_time", `"09:00"`, "string"),
		f("end_time", `"11:30"`, "string"), f("slot_minutes", `30`, "number"), f("seats_per_slot", `6`, "number"),
		f("walk_in_seats", `2`, "number"), f("waitlist", `true`, "bool"), f("waitlist_max", `10`, "number"),
		f("opens_days_before", `14`, "number"), f("closes_at", `"18:00"`, "string"),
	}},

	// The management pages of places and rules: cookie sessions, as the
	// opinion pages (sent to sign in; the no-5xx rule).
	"GET /console/manage":                         {form: true},
	"GET /console/manage/stations":                {form: true},
	"GET /console/manage/stations/new":            {form: true},
	"POST /console/manage/stations":               {form: true},
	"GET /console/manage/stations/:id":            {form: true},
	"POST /console/manage/stations/:id":           {form: true},
	"POST /console/manage/stations/:id/delete":    {form: true},
	"GET /console/manage/stations/:id/contacts":   {form: true},
	"POST /console/manage/stations/:id/contacts":  {form: true},
	"GET /console/manage/stations/:id/rule":       {form: true},
	"POST /console/manage/stations/:id/rule":      {form: true},
	"GET /console/manage/communities":             {form: true},
	"GET /console/manage/communities/new":         {form: true},
	"POST /console/manage/communities":            {form: true},
	"GET /console/manage/communities/:id":         {form: true},
	"POST /console/manage/communities/:id":        {form: true},
	"POST /console/manage/communities/:id/delete": {form: true},
	"GET /console/manage/categories":              {form: true},
	"GET /console/manage/categories/new":          {form: true},
	"POST /console/manage/categories":             {form: true},
	"GET /console/manage/categories/:id":          {form: true},
	"POST /console/manage/categories/:id":         {form: true},
	"GET /console/manage/departments":             {form: true},
	"GET /console/manage/departments/new":         {form: true},
	"POST /console/manage/departments":            {form: true},
	"GET /console/manage/departments/:id":         {form: true},
	"POST /console/manage/departments/:id":        {form: true},
	"POST /console/manage/departments/:id/delete": {form: true},
	"GET /console/manage/holidays":                {form: true},
	"POST /console/manage/holidays":               {form: true},
	"POST /console/manage/holidays/:date/delete":  {form: true},
	// The departments' pages and the station's review of their replies.
	"POST /console/opinions/:id/dept-replies/:reply_id/adopt":    {form: true},
	"POST /console/opinions/:id/dept-replies/:reply_id/sendback": {form: true},
	"POST /console/dept/opinions/:id/reply":                      {form: true},
	"POST /console/dept/contacts":                                {form: true},
	"POST /console/dept/contacts/:id/deactivate":                 {form: true},
	// Excel imports (multipart) and exports: cookie sessions, as above.
	"GET /console/manage/import":                     {form: true},
	"GET /console/manage/import/:kind/template.xlsx": {form: true},
	"POST /console/manage/import/:kind":              {form: true},
	"POST /console/manage/import/:kind/confirm":      {form: true},
	"GET /console/exports":                           {form: true},
	"GET /console/eval":                              {form: true},
	"POST /console/eval":                             {form: true},
	"GET /console/eval/:id":                          {form: true},
	"POST /console/eval/:id/weights":                 {form: true},
	"POST /console/eval/:id/close":                   {form: true},
	"POST /console/eval/:id/reopen":                  {form: true},
	"GET /console/eval/:id/export":                   {form: true},
	"GET /console/eval/:id/deputies/:deputy":         {form: true},
	"GET /console/eval/:id/deputies/:deputy/print":   {form: true},
	"GET /console/eval/:id/deputies/:deputy/self":    {form: true},
	"POST /console/eval/:id/deputies/:deputy/self":   {form: true},
	"GET /console/exports/download":                  {form: true},
	// The deputies' records (cookie sessions, forms; the entry is multipart).
	"POST /console/records/review": {form: true},
	"POST /console/records":        {form: true},
	// The deputy's own pages and their WeChat binding (cookie sessions).
	"GET /console/me":                                 {form: true},
	"GET /console/me/activities/new":                  {form: true},
	"POST /console/me/activities":                     {form: true},
	"GET /console/me/activities/:id":                  {form: true},
	"GET /console/me/files/:id":                       {form: true},
	"GET /console/me/opinions":                        {form: true},
	"GET /console/me/wechat":                          {form: true},
	"POST /console/me/wechat/unbind":                  {form: true},
	"POST /console/me/self":                           {form: true},
	"POST /console/manage/deputies/:id/wechat-invite": {form: true},
	"POST /console/manage/deputies/:id/wechat-unbind": {form: true},
	// Reviews: the organiser's pages and the deputy's ballot (cookie
	// sessions, forms).
	"POST /console/reviews":           {form: true},
	"POST /console/reviews/:id/close": {form: true},
	"POST /console/reviews/:id/paper": {form: true},
	"POST /console/me/reviews/:id":    {form: true},
}

// wrongValues are values of each JSON kind, put in place of a field.
var wrongValues = []struct{ value, kind string }{
	{`"x"`, "string"}, {`7`, "number"}, {`{"a":1}`, "object"}, {`[1]`, "array"}, {`true`, "bool"}, {`null`, "null"},
}

// badIDs are path parameters no row can have.
var badIDs = []string{
	"9223372036854775808", "18446744073709551615", "18446744073709551616",
	"-1", "0", "abc", strings.Repeat("9", 300),
}

// routeEnv is the real router over the demo county, with a signed-in voter,
// a clerk and an admin.
type routeEnv struct {
	h      http.Handler
	routes []gin.RouteInfo
	auth   map[string]string // principal → Authorization header
	code   string            // a real deputy code
}

var fuzzCheapHashes sync.Once

func newRouteEnv(tb testing.TB) *routeEnv {
	tb.Helper()
	fuzzCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	db := modelstest.NewDB(tb)
	rd := wechattest.NewRedis(tb)
	fake := wechattest.New()
	tb.Cleanup(fake.Close)
	wc, err := wechat.New(wechat.Config{
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 2 * time.Second,
	}, rd.Client, nil)
	if err != nil {
		tb.Fatal(err)
	}
	sealer, _ := models.NewSealer(make([]byte, 32))
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	ctx := tb.Context()
	if _, err := models.LoadDemo(ctx, db); err != nil {
		tb.Fatal(err)
	}
	var east models.Station
	if err := db.Order("id").First(&east).Error; err != nil {
		tb.Fatal(err)
	}
	for user, role := range map[string]models.StaffRole{"fuzz_clerk": models.RoleClerk, "fuzz_admin": models.RoleAdmin} {
		var stations []uint64
		if role != models.RoleAdmin {
			stations = []uint64{east.ID}
		}
		if _, err := models.CreateConsoleUser(ctx, db, user, "correct horse 1", "测试"+user, role, stations, now); err != nil {
			tb.Fatal(err)
		}
	}
	r := handlers.NewRouter(handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 64 << 10,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		MP: wc, Sealer: sealer, DataDir: tb.TempDir(), Ballots: reviews.NewKeyer(make([]byte, 32)),
		OA:       handlers.OAConfig{AppID: "wx2c2769f8efd9abc2", Token: "spamtest"},
		OAVerify: handlers.OAVerifyFile{Name: "MP_verify_Fuzz01.txt", Content: "Fuzz01"},
	})
	e := &routeEnv{h: r, auth: map[string]string{}}
	for _, rt := range r.Routes() {
		// Deleting the voter's own data ends the session every later
		// request of the walk needs; it takes no id and no body, and its
		// own tests send it everything it can be sent.
		if rt.Method+" "+rt.Path != "DELETE /api/v1/me" {
			e.routes = append(e.routes, rt)
		}
	}
	e.code, _ = models.DemoSampleCodes()

	fake.AddLoginCode("fuzz-login", "oFuzzVoter", "")
	var sess struct{ Token string }
	if st, raw := e.send("POST", "/api/v1/session", anon, `{"code":"fuzz-login"}`); st != 200 || json.Unmarshal(raw, &sess) != nil {
		tb.Fatalf("voter login: %d %s", st, raw)
	}
	e.auth[voter] = "Bearer " + sess.Token
	for p, user := range map[string]string{clerk: "fuzz_clerk", admin: "fuzz_admin"} {
		var s struct{ Token string }
		st, raw := e.send("POST", "/console/api/login", anon, `{"username":"`+user+`","password":"correct horse 1"}`)
		if st != 200 || json.Unmarshal(raw, &s) != nil {
			tb.Fatalf("console login %s: %d %s", user, st, raw)
		}
		e.auth[p] = "Bearer " + s.Token
	}
	// Routes that end a session or delete what the others need go last.
	sort.SliceStable(e.routes, func(i, j int) bool { return lastRank(e.routes[i]) < lastRank(e.routes[j]) })
	return e
}

func lastRank(r gin.RouteInfo) int {
	switch {
	case strings.HasSuffix(r.Path, "/logout"):
		return 2
	case r.Method == http.MethodDelete:
		return 1
	}
	return 0
}

// send serves one request in process and returns the status and body.
func (e *routeEnv) send(method, path, who, body string) (int, []byte) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:1234"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a := e.auth[who]; a != "" {
		req.Header.Set("Authorization", a)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	raw, _ := io.ReadAll(w.Result().Body)
	return w.Code, raw
}

// path fills the route's parameters with good values, except bad for the
// parameter named at.
func (e *routeEnv) path(route, at, bad string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if len(p) == 0 || (p[0] != ':' && p[0] != '*') {
			continue
		}
		name := p[1:]
		switch {
		case name == at:
			parts[i] = bad
		case name == "code":
			parts[i] = e.code
		case name == "date":
			parts[i] = "2026-12-01"
		default:
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

func params(route string) []string {
	var out []string
	for _, p := range strings.Split(route, "/") {
		if len(p) > 0 && (p[0] == ':' || p[0] == '*') {
			out = append(out, p[1:])
		}
	}
	return out
}

// sampleBody is the route's body with field at replaced by value (or
// every field as sampled when at is empty).
func sampleBody(spec bodySpec, at, value string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, fl := range spec.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		v := fl.sample
		if fl.key == at {
			v = value
		}
		b.WriteString(`"` + fl.key + `":` + v)
	}
	b.WriteByte('}')
	return b.String()
}

type errEnvelope struct {
	Error struct{ Code, Message, Field string } `json:"error"`
}

// reaches reports whether who gets past the route's authentication and
// role checks to its input.
func reaches(route gin.RouteInfo, spec bodySpec, known bool, who string) bool {
	if known {
		return spec.who == who
	}
	switch {
	case strings.HasPrefix(route.Path, "/console/api/"):
		return who == admin
	case strings.HasPrefix(route.Path, "/api/v1/"):
		return who == voter
	case strings.HasPrefix(route.Path, "/wechat/"):
		return false
	case strings.HasPrefix(route.Path, "/console/") && route.Path != "/console/static/*file":
		// The console's pages take the session from its cookie only (no
		// principal here has one): they send the browser to sign in.
		return false
	}
	return true
}

// TestRoutesRefuseBadInput walks every registered route, as every
// principal, and sends malformed path ids, wrong JSON types for every body
// field, whole bodies of the wrong kind, trailing garbage and duplicate
// keys. Nothing may answer 5xx; whoever reaches a route's input gets a 400
// or 404 for a bad id, and a 400 naming the field for a wrong type or a
// repeated key.
func TestRoutesRefuseBadInput(t *testing.T) {
	e := newRouteEnv(t)
	if len(e.routes) < 40 {
		t.Fatalf("only %d routes registered", len(e.routes))
	}
	for _, who := range principals {
		for _, rt := range e.routes {
			spec, known := routeBodies[rt.Method+" "+rt.Path]
			reach := reaches(rt, spec, known, who)
			name := who + " " + rt.Method + " " + rt.Path
			check := func(what, path, body string) (int, errEnvelope) {
				t.Helper()
				st, raw := e.send(rt.Method, path, who, body)
				var env errEnvelope
				_ = json.Unmarshal(raw, &env)
				if st >= 500 {
					t.Errorf("%s, %s: %d %s", name, what, st, raw)
				}
				return st, env
			}
			good := ""
			if known && !spec.form && len(spec.fields) > 0 {
				good = sampleBody(spec, "", "")
			}
			for _, p := range params(rt.Path) {
				for _, bad := range badIDs {
					st, env := check(":"+p+"="+shorten(bad), e.path(rt.Path, p, bad), good)
					if reach && st != 400 && st != 404 {
						t.Errorf("%s, :%s=%s: %d %+v, want 400 or 404", name, p, shorten(bad), st, env.Error)
					}
				}
			}
			path := e.path(rt.Path, "", "")
			for _, whole := range []string{`[]`, `"x"`, `7`, `null`, `{"a":`, strings.Repeat("[", 200)} {
				check("body "+shorten(whole), path, whole)
			}
			if !known || spec.form || len(spec.fields) == 0 {
				check("garbage", path, `{"x":1} trailing`)
				check("duplicate", path, `{"x":1,"x":2}`)
				continue
			}
			for _, fl := range spec.fields {
				for _, w := range wrongValues {
					if w.kind == fl.kind {
						continue
					}
					st, env := check(fl.key+"="+w.value, path, sampleBody(spec, fl.key, w.value))
					if !reach || w.kind == "null" || (fl.kind == "object" && w.kind == "null") {
						continue
					}
					if st != 400 || env.Error.Field != fl.key || env.Error.Code != "invalid_"+fl.key {
						t.Errorf("%s, %s=%s: %d %+v, want 400 invalid_%s naming the field", name, fl.key, w.value, st, env.Error, fl.key)
					}
					if strings.Contains(env.Error.Message, "JSON") || !strings.ContainsFunc(env.Error.Message, isHan) {
						t.Errorf("%s, %s=%s: message %q is not for people", name, fl.key, w.value, env.Error.Message)
					}
				}
				if fl.kind == "number" {
					for _, bad := range []string{"9223372036854775808", "18446744073709551615", "18446744073709551616", "-1", "1.5", "1e400"} {
						st, env := check(fl.key+"="+bad, path, sampleBody(spec, fl.key, bad))
						if st == 400 && env.Error.Field != "" && env.Error.Field != fl.key {
							t.Errorf("%s, %s=%s: %+v names another field", name, fl.key, bad, env.Error)
						}
					}
				}
			}
			st, env := check("garbage", path, good+` trailing`)
			if reach && st != 400 {
				t.Errorf("%s, trailing garbage: %d %+v, want 400", name, st, env.Error)
			}
			key := spec.fields[0]
			st, env = check("duplicate", path, `{"`+key.key+`":`+key.sample+`,`+good[1:])
			if reach && (st != 400 || env.Error.Field != key.key) {
				t.Errorf("%s, duplicate %q: %d %+v, want 400 naming it", name, key.key, st, env.Error)
			}
		}
	}
}

// FuzzRoutes sends an arbitrary path id and body to a route chosen by
// index, as a principal chosen by index: nothing may answer 5xx.
//
//	go test -run XXX -fuzz FuzzRoutes -fuzztime 60s ./handlers/
func FuzzRoutes(f *testing.F) {
	e := newRouteEnv(f)
	for i := range e.routes {
		f.Add(uint(i), uint8(i), "9223372036854775808", `{"slot_id":"x"}`)
	}
	f.Add(uint(0), uint8(1), "1", `{"a":1,"a":2}`)
	f.Add(uint(3), uint8(3), "-1", `{"note":"x"} x`)
	f.Fuzz(func(t *testing.T, ri uint, pi uint8, id, body string) {
		rt := e.routes[ri%uint(len(e.routes))]
		who := principals[int(pi)%len(principals)]
		if strings.HasSuffix(rt.Path, "/logout") || rt.Method == http.MethodDelete {
			return // would end the session or delete what the next inputs need
		}
		if strings.ContainsAny(id, "/?#%") || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return // not a path segment
		}
		path := e.path(rt.Path, "", "")
		if ps := params(rt.Path); len(ps) > 0 {
			path = e.path(rt.Path, ps[0], id)
		}
		if st, raw := e.send(rt.Method, path, who, body); st >= 500 {
			t.Errorf("%s %s %s as %s, body %q: %d %s", rt.Method, rt.Path, path, who, body, st, raw)
		}
	})
}

func shorten(s string) string { return models.Shorten(s, 24, "…") }

func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }
