package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// bkCST is Asia/Shanghai without depending on the host's tzdata.
var bkCST = time.FixedZone("CST", 8*3600)

// The env's clock is 2026-11-24 17:00 CST (newEnvWith). The reception
// days are generated for 10 Dec 2026 (booking open, with the rule's 45-day
// window) and 11 Jan 2027 (the 10th is a Sunday; booking opens 27 Nov, so
// it is still closed).
const (
	bkDec = "2026-12-10"
	bkJan = "2027-01-11"
	// bkTpl maps our fields onto a subscribe template's keywords.
	bkTpl = "tplBookingResult|result=thing1,station=thing2,time=time3,code=character_string4,note=thing5,topic=thing6"
)

// bookEnv is the router with the mini-program wired to the fake WeChat, the
// booking template configured, and two stations with reception days.
type bookEnv struct {
	*testEnv
	fake     *wechattest.Server
	stations []models.Station
}

type bookOpts struct {
	limits handlers.RateLimits
	// rule edits both stations' rule (default: 6 seats, 2 for walk-ins).
	rule func(i int, r *models.ReceptionRule)
	// noTemplate leaves the booking result template unconfigured.
	noTemplate bool
	// deps adjusts the router's dependencies last.
	deps func(*handlers.Deps)
}

func newBookEnv(t testing.TB, o bookOpts) *bookEnv {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	rd := wechattest.NewRedis(t)
	wc, err := wechat.New(wechat.Config{
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 5 * time.Second,
	}, rd.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{config.EnvTplBookingResult: bkTpl}
	if o.noTemplate {
		env = nil
	}
	notify, err := config.LoadNotify(func(k string) string { return env[k] })
	must(t, err)
	e := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.MP, d.Limits, d.Location, d.Notify = wc, o.limits, bkCST, notify
		d.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if o.deps != nil {
			o.deps(d)
		}
	})
	be := &bookEnv{testEnv: e, fake: fake}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i, name := range []string{"东门社区代表联络站", "城关镇人大代表之家暨基层立法联系点和代表履职服务中心"} {
		st := models.Station{Kind: models.KindStation, Name: name, Address: fmt.Sprintf("测试路%d号", i+1), District: "城关镇"}
		must(t, e.db.Create(&st).Error)
		for j := range 2 {
			must(t, e.db.Create(&models.Deputy{Name: fmt.Sprintf("代表%d-%d", i+1, j+1), Level: models.LevelCounty,
				StationID: st.ID, Status: models.DeputyActive}).Error)
		}
		r := models.DefaultReceptionRule(st.ID)
		r.OpensDaysBefore = 45
		if o.rule != nil {
			o.rule(i, &r)
		}
		_, err := models.SetReceptionRule(t.Context(), e.db, models.SystemActor, r, now)
		must(t, err)
		be.stations = append(be.stations, st)
	}
	_, err = models.GenerateReceptionDays(t.Context(), e.db, now, bkCST, 2)
	must(t, err)
	return be
}

// slots returns the slots of station i on a date, in order.
func (e *bookEnv) slots(i int, date string) []models.Slot {
	e.t.Helper()
	var day models.ReceptionDay
	must(e.t, e.db.Where("station_id = ? AND date = ?", e.stations[i].ID, date).First(&day).Error)
	var s []models.Slot
	must(e.t, e.db.Where("day_id = ?", day.ID).Order("seq").Find(&s).Error)
	return s
}

// voter logs a voter in and records n consents for the booking template.
func (e *bookEnv) voter(openid string, consents int) string {
	e.t.Helper()
	tok := e.login(e.fake, openid)
	for range consents {
		must(e.t, models.GrantConsents(e.t.Context(), e.db, openid, []string{"tplBookingResult"}, time.Now()))
	}
	return tok
}

type bkResp struct {
	status int
	raw    []byte
	header http.Header
}

// call sends a request with optional headers; safe for concurrent use.
func (e *bookEnv) call(method, path, token, body string, hdr ...string) bkResp {
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return bkResp{status: -1, raw: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return bkResp{status: resp.StatusCode, raw: raw, header: resp.Header}
}

func (r bkResp) booking(t testing.TB) models.BookingView {
	t.Helper()
	var b models.BookingView
	if err := json.Unmarshal(r.raw, &b); err != nil || b.ID == 0 {
		t.Fatalf("not a booking (%d): %s", r.status, r.raw)
	}
	return b
}

func (r bkResp) code() string {
	var b errBody
	_ = json.Unmarshal(r.raw, &b)
	return b.Error.Code
}

// book books a slot and expects 201.
func (e *bookEnv) book(tok string, slotID uint64) models.BookingView {
	e.t.Helper()
	r := e.call("POST", "/api/v1/bookings", tok, fmt.Sprintf(`{"slot_id":%d,"topic":"小区路灯坏了"}`, slotID))
	if r.status != http.StatusCreated {
		e.t.Fatalf("book slot %d: %d %s", slotID, r.status, r.raw)
	}
	return r.booking(e.t)
}

// notices returns the booking notifications, oldest first.
func (e *bookEnv) notices() []models.Notification {
	e.t.Helper()
	var rows []models.Notification
	must(e.t, e.db.Where("dedupe_key LIKE ?", "booking:%").Order("id").Find(&rows).Error)
	return rows
}

func fieldsOf(t *testing.T, n models.Notification) map[string]string {
	t.Helper()
	f, err := n.Data()
	must(t, err)
	return f
}

func TestBookingLifecycleAndNotifications(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats = 2, 0 }})
	slots := e.slots(0, bkDec)
	a, b := e.voter("oVoterA", 1), e.voter("oVoterB", 2)
	c, d := e.voter("oVoterC", 2), e.voter("oVoterD", 1)

	r := e.call("POST", "/api/v1/bookings", a, fmt.Sprintf(`{"slot_id":%d,"topic":"小区路灯坏了"}`, slots[0].ID))
	if r.status != http.StatusCreated {
		t.Fatalf("book: %d %s", r.status, r.raw)
	}
	ba := r.booking(t)
	if ba.Status != models.BookingConfirmed || len(ba.CheckinCode) != 6 || ba.Date != bkDec ||
		ba.Slot.ID != slots[0].ID || ba.Slot.Remaining != 1 || ba.Station.ID != e.stations[0].ID || ba.Topic != "小区路灯坏了" {
		t.Fatalf("booking = %+v", ba)
	}
	// Times are RFC 3339 with the deployment's offset.
	if !strings.Contains(string(r.raw), `"start":"2026-12-10T09:00:00+08:00"`) {
		t.Errorf("slot start not in local RFC 3339: %s", r.raw)
	}
	ns := e.notices()
	if len(ns) != 1 {
		t.Fatalf("%d notifications after one booking, want 1", len(ns))
	}
	n := ns[0]
	want := map[string]string{"thing1": "预约成功", "thing2": "东门社区代表联络站", "time3": "2026年12月10日 09:00~09:30",
		"character_string4": ba.CheckinCode, "thing5": "请凭签到码按时到场", "thing6": "小区路灯坏了"}
	if n.Channel != models.ChannelSubscribe || n.ToUser != "oVoterA" || n.TemplateID != "tplBookingResult" ||
		n.URL != fmt.Sprintf("pages/booking/detail?id=%d", ba.ID) || n.StationID == nil || *n.StationID != e.stations[0].ID ||
		!strings.HasPrefix(n.DedupeKey, fmt.Sprintf("booking:%d:confirmed:", ba.ID)) {
		t.Errorf("notification = %+v", n)
	}
	if got := fieldsOf(t, n); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fields = %v\nwant %v", got, want)
	}

	// B takes the last seat; C (two consents) and D (one) are waitlisted.
	bb := e.book(b, slots[0].ID)
	bc, bd := e.book(c, slots[0].ID), e.book(d, slots[0].ID)
	if bc.Status != models.BookingWaitlisted || bc.WaitlistPosition != 1 || bd.WaitlistPosition != 2 {
		t.Fatalf("waitlisted: %+v / %+v", bc, bd)
	}
	// Only C hears of the waitlist: D's one consent is kept for the promotion.
	ns = e.notices()
	if len(ns) != 3 || ns[2].ToUser != "oVoterC" || fieldsOf(t, ns[2])["thing1"] != "已进入候补" {
		t.Fatalf("after waitlist: %d notices, last %+v", len(ns), ns[len(ns)-1])
	}

	// Another voter's booking is 404, like an unknown one.
	if r := e.call("GET", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), b, ""); r.status != 404 || r.code() != "booking_not_found" {
		t.Errorf("other voter's GET: %d %s", r.status, r.raw)
	}
	if r := e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), b, ""); r.status != 404 || r.code() != "booking_not_found" {
		t.Errorf("other voter's DELETE: %d %s", r.status, r.raw)
	}

	// A cancels: C is promoted and told, in the cancel's transaction.
	r = e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), a, "")
	if r.status != 200 || r.booking(t).Status != models.BookingCancelled {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if r := e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), a, ""); r.status != 200 {
		t.Errorf("second cancel: %d %s", r.status, r.raw)
	}
	ns = e.notices()
	last := ns[len(ns)-1]
	if len(ns) != 4 || last.ToUser != "oVoterC" || fieldsOf(t, last)["thing1"] != "候补成功，已为您保留座位" ||
		!strings.HasPrefix(last.DedupeKey, fmt.Sprintf("booking:%d:promoted:", bc.ID)) {
		t.Fatalf("after cancel: %d notices, last %+v", len(ns), last)
	}
	if got := e.call("GET", fmt.Sprintf("/api/v1/bookings/%d", bc.ID), c, "").booking(t); got.Status != models.BookingConfirmed {
		t.Errorf("C after promotion: %+v", got)
	}

	// B moves to the next slot, keeping its id: D gets B's seat.
	r = e.call("PATCH", fmt.Sprintf("/api/v1/bookings/%d", bb.ID), b, fmt.Sprintf(`{"slot_id":%d}`, slots[1].ID))
	moved := r.booking(t)
	if r.status != 200 || moved.ID != bb.ID || moved.Slot.ID != slots[1].ID || moved.Status != models.BookingConfirmed {
		t.Fatalf("move: %d %s", r.status, r.raw)
	}
	ns = e.notices()
	if len(ns) != 6 {
		t.Fatalf("after move: %d notices, want 6", len(ns))
	}
	byUser := map[string]string{}
	for _, n := range ns[4:] {
		byUser[n.ToUser] = fieldsOf(t, n)["thing1"] + " " + fieldsOf(t, n)["time3"]
	}
	if byUser["oVoterB"] != "改约成功 2026年12月10日 09:30~10:00" || byUser["oVoterD"] != "候补成功，已为您保留座位 2026年12月10日 09:00~09:30" {
		t.Errorf("move notices: %v", byUser)
	}

	// The voter's own list, newest first, with a cursor.
	var page shared.List[models.BookingView]
	e.doAuth("GET", "/api/v1/bookings?limit=1", a, "", &page)
	if len(page.Items) != 1 || page.Items[0].ID != ba.ID || page.NextCursor != "" {
		t.Errorf("A's list: %+v", page)
	}
	var all shared.List[models.BookingView]
	if r := e.doAuth("GET", "/api/v1/bookings", d, "", &all); r.StatusCode != 200 || len(all.Items) != 1 || all.Items[0].Status != models.BookingConfirmed {
		t.Errorf("D's list: %d %+v", r.StatusCode, all)
	}
	// Nothing oversold, counters true.
	var s models.Slot
	must(t, e.db.First(&s, slots[0].ID).Error)
	if s.Confirmed != 2 || s.Waitlisted != 0 {
		t.Errorf("slot 1 counters: %+v", s)
	}
}

func TestBookingNoticeTextIsCut(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oLongName", 1)
	long := strings.Repeat("很长的话题", 10)
	r := e.call("POST", "/api/v1/bookings", tok, fmt.Sprintf(`{"slot_id":%d,"topic":%q}`, e.slots(1, bkDec)[0].ID, long))
	if r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.raw)
	}
	f := fieldsOf(t, e.notices()[0])
	for k, v := range f {
		if strings.HasPrefix(k, "thing") && utf8.RuneCountInString(v) > 20 {
			t.Errorf("%s = %q: %d characters", k, v, utf8.RuneCountInString(v))
		}
	}
	if !strings.HasSuffix(f["thing2"], "…") || !strings.HasSuffix(f["thing6"], "…") || utf8.RuneCountInString(f["thing2"]) != 20 {
		t.Errorf("long values not cut with …: %q %q", f["thing2"], f["thing6"])
	}
}

func TestBookingWithoutTemplateOrConsentQueuesNothing(t *testing.T) {
	e := newBookEnv(t, bookOpts{noTemplate: true})
	e.book(e.voter("oNoTpl", 1), e.slots(0, bkDec)[0].ID)
	if n := len(e.notices()); n != 0 {
		t.Errorf("%d notices without a template", n)
	}
	e = newBookEnv(t, bookOpts{})
	e.book(e.voter("oNoConsent", 0), e.slots(0, bkDec)[0].ID)
	if n := len(e.notices()); n != 0 {
		t.Errorf("%d notices without a consent", n)
	}
}

func TestBookingBadInputs(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(i int, r *models.ReceptionRule) {
		if i == 1 { // station 2: one seat a slot, no waitlist
			r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false
		}
	}})
	tok, other := e.voter("oBadA", 0), e.voter("oBadB", 0)
	dec, decFull, jan := e.slots(0, bkDec), e.slots(1, bkDec), e.slots(0, bkJan)
	mine := e.book(tok, dec[0].ID)
	theirs := e.book(other, decFull[0].ID) // fills station 2's first slot
	id := func(p string, v uint64) string { return fmt.Sprintf(p, v) }
	slot := func(v uint64) string { return fmt.Sprintf(`{"slot_id":%d}`, v) }
	cases := []struct {
		name, method, path, token, body string
		hdr                             []string
		status                          int
		code                            string
	}{
		{"no token", "POST", "/api/v1/bookings", "", slot(dec[1].ID), nil, 401, "unauthorized"},
		{"forged token", "GET", "/api/v1/bookings", "forged", "", nil, 401, "unauthorized"},
		{"not json", "POST", "/api/v1/bookings", tok, `{"slot_id":`, nil, 400, "invalid_json"},
		{"no slot", "POST", "/api/v1/bookings", tok, `{}`, nil, 400, "invalid_slot_id"},
		{"slot as string", "POST", "/api/v1/bookings", tok, `{"slot_id":"7"}`, nil, 400, "invalid_slot_id"},
		{"negative slot", "POST", "/api/v1/bookings", tok, `{"slot_id":-1}`, nil, 400, "invalid_slot_id"},
		{"unknown slot", "POST", "/api/v1/bookings", tok, slot(999999), nil, 404, "slot_not_found"},
		{"long topic", "POST", "/api/v1/bookings", other, fmt.Sprintf(`{"slot_id":%d,"topic":%q}`, jan[0].ID, strings.Repeat("字", 201)), nil, 400, "invalid_topic"},
		{"window not open", "POST", "/api/v1/bookings", tok, slot(jan[0].ID), nil, 409, "booking_closed"},
		{"same date other station", "POST", "/api/v1/bookings", tok, slot(decFull[1].ID), nil, 409, "already_booked"},
		{"same date same slot", "POST", "/api/v1/bookings", tok, slot(dec[0].ID), nil, 409, "already_booked"},
		{"full without waitlist", "POST", "/api/v1/bookings", e.voter("oBadC", 0), slot(decFull[0].ID), nil, 409, "slot_full"},
		{"bad idempotency key", "POST", "/api/v1/bookings", tok, slot(dec[1].ID), []string{"Idempotency-Key", "no spaces!"}, 400, "invalid_idempotency_key"},
		{"list limit 0", "GET", "/api/v1/bookings?limit=0", tok, "", nil, 400, "invalid_limit"},
		{"list limit 101", "GET", "/api/v1/bookings?limit=101", tok, "", nil, 400, "invalid_limit"},
		{"list bad cursor", "GET", "/api/v1/bookings?cursor=abc", tok, "", nil, 400, "invalid_cursor"},
		{"get bad id", "GET", "/api/v1/bookings/abc", tok, "", nil, 400, "invalid_id"},
		{"get id 0", "GET", "/api/v1/bookings/0", tok, "", nil, 400, "invalid_id"},
		{"get unknown", "GET", "/api/v1/bookings/999999", tok, "", nil, 404, "booking_not_found"},
		{"get other's", "GET", id("/api/v1/bookings/%d", theirs.ID), tok, "", nil, 404, "booking_not_found"},
		{"move bad id", "PATCH", "/api/v1/bookings/x", tok, slot(dec[1].ID), nil, 400, "invalid_id"},
		{"move not json", "PATCH", id("/api/v1/bookings/%d", mine.ID), tok, `[`, nil, 400, "invalid_json"},
		{"move no slot", "PATCH", id("/api/v1/bookings/%d", mine.ID), tok, `{}`, nil, 400, "invalid_slot_id"},
		{"move unknown slot", "PATCH", id("/api/v1/bookings/%d", mine.ID), tok, slot(999999), nil, 404, "slot_not_found"},
		{"move other's", "PATCH", id("/api/v1/bookings/%d", theirs.ID), tok, slot(dec[1].ID), nil, 404, "booking_not_found"},
		{"move to closed day", "PATCH", id("/api/v1/bookings/%d", mine.ID), tok, slot(jan[0].ID), nil, 409, "booking_closed"},
		{"move to full slot", "PATCH", id("/api/v1/bookings/%d", mine.ID), tok, slot(decFull[0].ID), nil, 409, "slot_full"},
		{"cancel bad id", "DELETE", "/api/v1/bookings/-3", tok, "", nil, 400, "invalid_id"},
		{"cancel unknown", "DELETE", "/api/v1/bookings/999999", tok, "", nil, 404, "booking_not_found"},
		{"cancel other's", "DELETE", id("/api/v1/bookings/%d", theirs.ID), tok, "", nil, 404, "booking_not_found"},
		{"wrong method", "PUT", "/api/v1/bookings", tok, slot(dec[1].ID), nil, 405, "method_not_allowed"},
		{"consent no token", "POST", "/api/v1/subscriptions", "", `{"template_ids":["a"]}`, nil, 401, "unauthorized"},
		{"consent not json", "POST", "/api/v1/subscriptions", tok, `{"template_ids":"a"}`, nil, 400, "invalid_template_ids"},
		{"consent empty", "POST", "/api/v1/subscriptions", tok, `{"template_ids":[]}`, nil, 400, "invalid_template_ids"},
		{"consent missing", "POST", "/api/v1/subscriptions", tok, `{}`, nil, 400, "invalid_template_ids"},
		{"consent four", "POST", "/api/v1/subscriptions", tok, `{"template_ids":["a","b","c","d"]}`, nil, 400, "invalid_template_ids"},
		{"consent blank id", "POST", "/api/v1/subscriptions", tok, `{"template_ids":[" "]}`, nil, 400, "invalid_template_ids"},
		{"consent odd id", "POST", "/api/v1/subscriptions", tok, `{"template_ids":["a b"]}`, nil, 400, "invalid_template_ids"},
		{"consent long id", "POST", "/api/v1/subscriptions", tok, `{"template_ids":["` + strings.Repeat("x", 65) + `"]}`, nil, 400, "invalid_template_ids"},
		{"consents no token", "GET", "/api/v1/subscriptions", "", "", nil, 401, "unauthorized"},
	}
	for _, c := range cases {
		r := e.call(c.method, c.path, c.token, c.body, c.hdr...)
		if r.status != c.status || r.code() != c.code {
			t.Errorf("%s: %s %s %s: got %d %q, want %d %q (%s)", c.name, c.method, c.path, c.body, r.status, r.code(), c.status, c.code, r.raw)
		}
	}
	// Refusals changed nothing: the seat is still held, nothing oversold.
	if got := e.call("GET", id("/api/v1/bookings/%d", mine.ID), tok, "").booking(t); got.Slot.ID != dec[0].ID || got.Status != models.BookingConfirmed {
		t.Errorf("after refused moves: %+v", got)
	}
	var s models.Slot
	must(t, e.db.First(&s, decFull[0].ID).Error)
	if s.Confirmed != 1 {
		t.Errorf("full slot confirmed = %d", s.Confirmed)
	}
}

func TestSubscriptionsRecordConsents(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oSubs", 0)
	var got shared.List[api.ConsentView]
	r := e.doAuth("POST", "/api/v1/subscriptions", tok, `{"template_ids":["tplBookingResult","tplOther","tplBookingResult"]}`, &got)
	if r.StatusCode != 200 || fmt.Sprint(got.Items) != "[{tplBookingResult booking_result 1 false} {tplOther  1 false}]" {
		t.Fatalf("grant: %d %+v", r.StatusCode, got)
	}
	e.doAuth("POST", "/api/v1/subscriptions", tok, `{"template_ids":["tplBookingResult"]}`, &got)
	if fmt.Sprint(got.Items) != "[{tplBookingResult booking_result 2 false}]" {
		t.Errorf("second grant: %+v", got)
	}
	if n, _ := models.ConsentsLeft(t.Context(), e.db, "oSubs", "tplOther"); n != 1 {
		t.Errorf("unknown template not recorded: %d", n)
	}
	// GET names the templates to ask for, with the counts.
	got = shared.List[api.ConsentView]{}
	e.doAuth("GET", "/api/v1/subscriptions", tok, "", &got)
	if fmt.Sprint(got.Items) != "[{tplBookingResult booking_result 2 false}]" {
		t.Errorf("list: %+v", got)
	}
	// A booking's notice is sent against one consent (spent at dispatch).
	e.book(tok, e.slots(0, bkDec)[0].ID)
	if n := len(e.notices()); n != 1 {
		t.Errorf("%d notices", n)
	}
}

func TestBookingIdempotency(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oIdem", 1)
	slots := e.slots(0, bkDec)
	body := fmt.Sprintf(`{"slot_id":%d}`, slots[0].ID)
	first := e.call("POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "tap-1")
	second := e.call("POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "tap-1")
	if first.status != 201 || second.status != 201 || string(first.raw) != string(second.raw) {
		t.Fatalf("replay: %d %s / %d %s", first.status, first.raw, second.status, second.raw)
	}
	if first.header.Get("Idempotent-Replayed") != "" || second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed: first %q second %q", first.header.Get("Idempotent-Replayed"), second.header.Get("Idempotent-Replayed"))
	}
	var rows int64
	e.db.Model(&models.Booking{}).Count(&rows)
	if rows != 1 || len(e.notices()) != 1 {
		t.Errorf("%d bookings, %d notices after a replay; want 1 and 1", rows, len(e.notices()))
	}
	// The same key with another body is refused, not replayed.
	r := e.call("POST", "/api/v1/bookings", tok, fmt.Sprintf(`{"slot_id":%d}`, slots[1].ID), "Idempotency-Key", "tap-1")
	if r.status != 409 || r.code() != "idempotency_key_reused" {
		t.Errorf("reused key: %d %s", r.status, r.raw)
	}
	// Without a key the database still refuses a second booking that date.
	if r := e.call("POST", "/api/v1/bookings", tok, body); r.status != 409 || r.code() != "already_booked" {
		t.Errorf("no key: %d %s", r.status, r.raw)
	}
	// Concurrent repeats of one key: one booking, every answer the same.
	tok2 := e.voter("oIdem2", 1)
	var wg sync.WaitGroup
	answers := make([]bkResp, 10)
	for i := range answers {
		wg.Go(func() { answers[i] = e.call("POST", "/api/v1/bookings", tok2, body, "Idempotency-Key", "tap-2") })
	}
	wg.Wait()
	for _, a := range answers {
		if a.status != 201 || string(a.raw) != string(answers[0].raw) {
			t.Errorf("concurrent repeat: %d %s", a.status, a.raw)
		}
	}
	e.db.Model(&models.Booking{}).Count(&rows)
	if rows != 2 {
		t.Errorf("%d bookings after concurrent repeats, want 2", rows)
	}
}

func TestBookingRateLimits(t *testing.T) {
	e := newBookEnv(t, bookOpts{limits: handlers.RateLimits{BookingVoter: handlers.RateLimit{N: 2, Window: time.Minute}}})
	tok := e.voter("oFast", 0)
	var codes []int
	for range 3 {
		r := e.call("POST", "/api/v1/bookings", tok, `{}`)
		codes = append(codes, r.status)
		if r.status == 429 && (r.code() != "rate_limited" || r.header.Get("Retry-After") == "") {
			t.Errorf("429: %s %v", r.raw, r.header)
		}
	}
	if fmt.Sprint(codes) != "[400 400 429]" {
		t.Errorf("per voter: %v", codes)
	}
	// Reads have their own, larger budget.
	if r := e.call("GET", "/api/v1/bookings", tok, ""); r.status != 200 {
		t.Errorf("read after write limit: %d", r.status)
	}

	e = newBookEnv(t, bookOpts{limits: handlers.RateLimits{BookingPerIP: handlers.RateLimit{N: 2, Window: time.Minute}}})
	codes = nil
	for range 3 {
		codes = append(codes, e.call("POST", "/api/v1/bookings", "", `{}`).status)
	}
	if fmt.Sprint(codes) != "[401 401 429]" {
		t.Errorf("per IP (before auth): %v", codes)
	}
}

// burstCalls runs fn(i) for i < n in goroutines released at one instant.
func burstCalls(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// outcome is a booking answer reduced to its status or error code.
func (r bkResp) outcome() string {
	if r.status == http.StatusCreated {
		var b models.BookingView
		_ = json.Unmarshal(r.raw, &b)
		return string(b.Status)
	}
	if c := r.code(); c != "" {
		return c
	}
	return fmt.Sprintf("%d %s", r.status, r.raw)
}

// Ensure 200 voters, logged in through the fake WeChat, booking a 10-seat
// slot through HTTP at the same instant get exactly 10 seats, the rest a
// waitlist place (up to its cap) or slot_full, nobody twice, and exactly
// one notification per event. Then the 10 seated voters cancel while the
// refused ones try again and readers watch the slot: seats never pass 10,
// the waitlist refills them in order, and every read is within bounds.
func TestBookingRaceThroughHTTP(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) {
		r.SeatsPerSlot, r.WalkInSeats, r.Waitlist, r.WaitlistMax = 10, 0, true, 50
	}})
	slot := e.slots(0, bkDec)[0]
	const n = 200
	toks := make([]string, n)
	for i := range toks {
		toks[i] = e.voter(fmt.Sprintf("oRace%03d", i), 2)
	}
	res := make([]bkResp, n)
	burstCalls(n, func(i int) {
		res[i] = e.call("POST", "/api/v1/bookings", toks[i], fmt.Sprintf(`{"slot_id":%d}`, slot.ID),
			"Idempotency-Key", fmt.Sprintf("race-%d", i))
	})
	got := map[string]int{}
	var seated, refused []int
	for i, r := range res {
		o := r.outcome()
		got[o]++
		switch o {
		case "confirmed":
			seated = append(seated, i)
		case "slot_full":
			refused = append(refused, i)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(map[string]int{"confirmed": 10, "waitlisted": 50, "slot_full": 140}) {
		t.Fatalf("outcomes %v", got)
	}
	checkSlot(t, e, slot.ID, 10, 50)
	notices := e.notices()
	if len(notices) != 60 {
		t.Fatalf("%d notifications for 60 bookings", len(notices))
	}
	checkNoticesMatchBookings(t, e, notices)

	// Cancels race with new attempts and readers.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var badReads []string
	var mu sync.Mutex
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var page shared.List[models.ReceptionDayView]
				r := e.call("GET", fmt.Sprintf("/api/v1/reception-days?date=%s&station_id=%d", bkDec, e.stations[0].ID), "", "")
				if err := json.Unmarshal(r.raw, &page); err != nil || r.status != 200 || len(page.Items) != 1 {
					mu.Lock()
					badReads = append(badReads, string(r.raw))
					mu.Unlock()
					continue
				}
				for _, s := range page.Items[0].Slots {
					if s.Remaining < 0 || s.Remaining > s.Capacity || (s.ID == slot.ID && s.Remaining != 0) {
						mu.Lock()
						badReads = append(badReads, fmt.Sprintf("%+v", s))
						mu.Unlock()
					}
				}
			}
		})
	}
	jobs := append(append([]int{}, seated...), refused...)
	again := make([]bkResp, len(jobs))
	burstCalls(len(jobs), func(k int) {
		i := jobs[k]
		if k < len(seated) {
			var b models.BookingView
			_ = json.Unmarshal(res[i].raw, &b)
			again[k] = e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", b.ID), toks[i], "")
			return
		}
		again[k] = e.call("POST", "/api/v1/bookings", toks[i], fmt.Sprintf(`{"slot_id":%d}`, slot.ID))
	})
	close(stop)
	wg.Wait()
	if len(badReads) > 0 {
		t.Errorf("%d bad reads while cancelling, e.g. %s", len(badReads), badReads[0])
	}
	retried := map[string]int{}
	for k, r := range again {
		if k < len(seated) {
			if r.status != 200 {
				t.Errorf("cancel: %d %s", r.status, r.raw)
			}
			continue
		}
		retried[r.outcome()]++
	}
	if retried["confirmed"] != 0 || retried["waitlisted"]+retried["slot_full"] != len(refused) || retried["waitlisted"] > 10 {
		t.Errorf("retries: %v (seats freed by cancels must go to the waitlist)", retried)
	}
	checkSlot(t, e, slot.ID, 10, 40+retried["waitlisted"])
	notices = e.notices()
	promoted := 0
	for _, n := range notices {
		if strings.Contains(n.DedupeKey, ":promoted:") {
			promoted++
		}
	}
	if promoted != 10 || len(notices) != 60+10+retried["waitlisted"] {
		t.Errorf("%d notifications (%d promotions) after 10 cancels and %d new waitlist places", len(notices), promoted, retried["waitlisted"])
	}
	checkNoticesMatchBookings(t, e, notices)
}

// checkSlot checks a slot's counters, and that they match its bookings and
// no voter holds two active bookings.
func checkSlot(t *testing.T, e *bookEnv, slotID uint64, confirmed, waitlisted int) {
	t.Helper()
	var s models.Slot
	must(t, e.db.First(&s, slotID).Error)
	var seats, waiting int64
	e.db.Model(&models.Booking{}).Where("slot_id = ? AND status IN ?", slotID,
		[]models.BookingStatus{models.BookingConfirmed, models.BookingCheckedIn, models.BookingNoShow}).Count(&seats)
	e.db.Model(&models.Booking{}).Where("slot_id = ? AND status = ?", slotID, models.BookingWaitlisted).Count(&waiting)
	if s.Confirmed != confirmed || s.Waitlisted != waitlisted || int(seats) != confirmed || int(waiting) != waitlisted {
		t.Errorf("slot: confirmed %d (%d rows), waitlisted %d (%d rows); want %d and %d",
			s.Confirmed, seats, s.Waitlisted, waiting, confirmed, waitlisted)
	}
	var twice []uint64
	e.db.Model(&models.Booking{}).Where("active_key IS NOT NULL").Group("voter_id").Having("COUNT(*) > 1").Pluck("voter_id", &twice)
	if len(twice) > 0 {
		t.Errorf("voters with two active bookings: %v", twice)
	}
}

// checkNoticesMatchBookings checks every notification goes to the openid of
// its booking's voter and that no event was queued twice.
func checkNoticesMatchBookings(t *testing.T, e *bookEnv, notices []models.Notification) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range notices {
		var id uint64
		var kind string
		if _, err := fmt.Sscanf(strings.ReplaceAll(n.DedupeKey, ":", " "), "booking %d %s", &id, &kind); err != nil {
			t.Fatalf("dedupe key %q: %v", n.DedupeKey, err)
		}
		if seen[fmt.Sprint(id, kind)] {
			t.Errorf("booking %d: two %s notifications", id, kind)
		}
		seen[fmt.Sprint(id, kind)] = true
		var b models.Booking
		must(t, e.db.First(&b, id).Error)
		var v models.Voter
		must(t, e.db.First(&v, b.VoterID).Error)
		if v.MPOpenID == nil || *v.MPOpenID != n.ToUser {
			t.Errorf("notification %d for booking %d goes to %s", n.ID, id, n.ToUser)
		}
	}
}

// Ensure a slot that refused a booking as full turns the next ones away
// from Redis for a moment, and a cancel or move out of it clears that at
// once, so a freed seat is bookable straight away.
func TestSoldOutFlag(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false }})
	slots := e.slots(0, bkDec)
	a, b := e.voter("oSoldA", 0), e.voter("oSoldB", 0)
	ba := e.book(a, slots[0].ID)
	key := e.rd.Prefix + "slot_full:" + fmt.Sprint(slots[0].ID)
	for range 2 {
		if r := e.call("POST", "/api/v1/bookings", b, fmt.Sprintf(`{"slot_id":%d}`, slots[0].ID)); r.status != 409 || r.code() != "slot_full" {
			t.Fatalf("full slot: %d %s", r.status, r.raw)
		}
	}
	ttl := e.rd.Client.PTTL(t.Context(), key).Val()
	if ttl <= 0 || ttl > api.SoldOutTTL {
		t.Fatalf("sold-out flag ttl %v", ttl)
	}
	// A refusal that only repeated the flag does not keep it alive.
	e.rd.Client.PExpire(t.Context(), key, 500*time.Millisecond)
	e.call("POST", "/api/v1/bookings", b, fmt.Sprintf(`{"slot_id":%d}`, slots[0].ID))
	if ttl := e.rd.Client.PTTL(t.Context(), key).Val(); ttl > 500*time.Millisecond {
		t.Errorf("flag refreshed by a flagged refusal: ttl %v", ttl)
	}
	// A moves out: the flag goes, B gets the seat at once.
	if r := e.call("PATCH", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), a, fmt.Sprintf(`{"slot_id":%d}`, slots[1].ID)); r.status != 200 {
		t.Fatalf("move: %d %s", r.status, r.raw)
	}
	if n := e.rd.Client.Exists(t.Context(), key).Val(); n != 0 {
		t.Errorf("flag still set after the move")
	}
	bb := e.book(b, slots[0].ID)
	// Full again; B cancels and the flag goes again.
	e.call("POST", "/api/v1/bookings", e.voter("oSoldC", 0), fmt.Sprintf(`{"slot_id":%d}`, slots[0].ID))
	if n := e.rd.Client.Exists(t.Context(), key).Val(); n != 1 {
		t.Fatalf("flag not set by the second refusal")
	}
	if r := e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", bb.ID), b, ""); r.status != 200 {
		t.Fatalf("cancel: %d", r.status)
	}
	if n := e.rd.Client.Exists(t.Context(), key).Val(); n != 0 {
		t.Errorf("flag still set after the cancel")
	}
}

// Ensure that once a slot refused a booking as full, the next request in
// this process is refused from memory: no database statement, even with
// the Redis flag gone; and that the memory flag also goes with a cancel.
func TestSoldOutFlagInProcess(t *testing.T) {
	e := newBookEnv(t, bookOpts{rule: func(_ int, r *models.ReceptionRule) { r.SeatsPerSlot, r.WalkInSeats, r.Waitlist = 1, 0, false }})
	slots := e.slots(0, bkDec)
	a, b, c := e.voter("oMemA", 0), e.voter("oMemB", 0), e.voter("oMemC", 0)
	ba := e.book(a, slots[0].ID)
	body := fmt.Sprintf(`{"slot_id":%d}`, slots[0].ID)
	if r := e.call("POST", "/api/v1/bookings", b, body); r.status != 409 || r.code() != "slot_full" {
		t.Fatalf("full slot: %d %s", r.status, r.raw)
	}
	e.rd.Client.Del(t.Context(), e.rd.Prefix+"slot_full:"+fmt.Sprint(slots[0].ID))

	var statements atomic.Int64
	count := func(*gorm.DB) { statements.Add(1) }
	cb := e.db.Callback()
	must(t, cb.Query().Before("gorm:query").Register("test:count_q", count))
	must(t, cb.Create().Before("gorm:create").Register("test:count_c", count))
	must(t, cb.Update().Before("gorm:update").Register("test:count_u", count))
	must(t, cb.Raw().Before("gorm:raw").Register("test:count_raw", count))
	must(t, cb.Row().Before("gorm:row").Register("test:count_row", count))
	if r := e.call("POST", "/api/v1/bookings", c, body); r.status != 409 || r.code() != "slot_full" {
		t.Fatalf("flagged slot: %d %s", r.status, r.raw)
	}
	if n := statements.Load(); n != 0 {
		t.Errorf("a refusal from the in-process flag ran %d database statements", n)
	}
	// A cancels: the seat is bookable at once.
	if r := e.call("DELETE", fmt.Sprintf("/api/v1/bookings/%d", ba.ID), a, ""); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if r := e.call("POST", "/api/v1/bookings", c, body); r.status != 201 {
		t.Fatalf("booking the freed seat: %d %s", r.status, r.raw)
	}
}
