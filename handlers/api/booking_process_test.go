package api_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers/api"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// server is one `deputylink serve --no-jobs` process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

var servingRe = regexp.MustCompile(`msg=Serving addr=(\S+)`)

// startServer starts the binary and waits until it listens and is ready.
func startServer(t *testing.T, bin string, env []string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(bin, "serve", "--no-jobs")}
	s.cmd.Env = env
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			if m := servingRe.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = s.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = s.cmd.Process.Kill()
				<-done
			}
		}
		_ = pw.Close()
		if t.Failed() {
			t.Logf("server %s output (tail):\n%s", s.url, tailOf(s.output(), 3000))
		}
	})
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start:\n%s", s.output())
	}
	if r, err := http.Get(s.url + "/readyz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("server not ready: %v %v", r, err)
	}
	return s
}

func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// seedSlot writes a station, an open reception day two days from now and
// one slot with seats (and a waitlist of waitlistMax) directly.
func seedSlot(t *testing.T, db *gorm.DB, seats, waitlistMax int) models.Slot {
	t.Helper()
	now := time.Now().UTC()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st := models.Station{Kind: models.KindStation, Name: "双进程测试联络站", Address: "测试路1号", District: "测试镇"}
	must(t, db.Create(&st).Error)
	start := now.Add(48 * time.Hour).Truncate(time.Hour)
	day := models.ReceptionDay{StationID: st.ID, Date: start.In(loc).Format(models.DateLayout), Period: start.In(loc).Format("2006-01"),
		Status: models.DayOpen, StartsAt: start, EndsAt: start.Add(30 * time.Minute), BookingOpensAt: now.Add(-time.Hour),
		BookingClosesAt: now.Add(24 * time.Hour), Waitlist: waitlistMax > 0, WaitlistMax: waitlistMax,
		RuleHash: "test", RuleSnapshot: "{}", CreatedAt: now, UpdatedAt: now}
	must(t, db.Create(&day).Error)
	slot := models.Slot{DayID: day.ID, Seq: 1, StationID: st.ID, StartAt: start, EndAt: start.Add(30 * time.Minute), Capacity: seats}
	must(t, db.Create(&slot).Error)
	return slot
}

// procEnv is several `serve` processes on one MySQL/MariaDB and one Redis,
// with a fake WeChat and one seeded slot.
type procEnv struct {
	t      *testing.T
	db     *gorm.DB
	tr     *wechattest.TestRedis
	procs  []*server
	slot   models.Slot
	client *http.Client
}

// newProcEnv builds the binary and starts n servers. It skips without
// DEPUTYLINK_TEST_MYSQL: processes cannot share an SQLite file the way
// they share a server.
func newProcEnv(t *testing.T, seats, waitlist, n int) *procEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if !modelstest.OnMySQL() {
		t.Skip("needs " + modelstest.EnvMySQL + ": server processes share one MySQL/MariaDB")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deputylink")
	// The module's root, two levels above this package.
	build := exec.Command("go", "build", "-o", bin, "./cmd/deputylink")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/deputylink: %v\n%s", err, out)
	}
	dbURL := modelstest.URL(t)
	p := &procEnv{t: t, db: modelstest.Open(t, dbURL), tr: wechattest.NewRedis(t)} // migrated before any process starts
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	p.slot = seedSlot(t, p.db, seats, waitlist)
	key := make([]byte, 32)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DEPUTYLINK_DATABASE_URL=" + dbURL,
		p.tr.ServerEnv(),
		"DEPUTYLINK_REDIS_PREFIX=" + p.tr.Prefix,
		"DEPUTYLINK_WECHAT_API_BASE=" + fake.URL(),
		"DEPUTYLINK_MP_APPID=" + wechattest.DefaultMPAppID,
		"DEPUTYLINK_MP_SECRET=" + wechattest.DefaultMPSecret,
		"DEPUTYLINK_DATA_DIR=" + filepath.Join(dir, "data"),
		"DEPUTYLINK_DATA_KEY=" + base64.StdEncoding.EncodeToString(key),
		config.EnvTplBookingResult + "=" + bkTpl,
		"DEPUTYLINK_ADDR=127.0.0.1:0",
		"DEPUTYLINK_LOG_LEVEL=info", // startServer waits for the "Serving" line
	}
	for range n {
		p.procs = append(p.procs, startServer(t, bin, env))
	}
	p.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	return p
}

// procIP is voter i's address: the server trusts X-Forwarded-For from
// 127.0.0.1 (its reverse proxy), so the per-IP limits apply per voter.
func procIP(i int) string { return fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256+1) }

// call sends a request; a transport error is status -1.
func (p *procEnv) call(base, method, path, token, body, ip, idemKey string) (int, []byte) {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return -1, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// loginAll logs voters in through the fake WeChat on the process on(i)
// picks, and records two consents each (a waitlist notice is only sent
// while one is left for a promotion); it returns their tokens.
func (p *procEnv) loginAll(voters int, on func(i int) *server) []string {
	t := p.t
	t.Helper()
	toks := make([]string, voters)
	var wg sync.WaitGroup
	errs := make(chan string, voters)
	sem := make(chan struct{}, 16)
	for i := range voters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			base := on(i).url
			st, raw := p.call(base, "POST", "/api/v1/session", "", fmt.Sprintf(`{"code":"test:oProc%03d"}`, i), procIP(i), "")
			var s api.SessionView
			if st != 200 || json.Unmarshal(raw, &s) != nil {
				errs <- fmt.Sprintf("login %d: %d %s", i, st, raw)
				return
			}
			toks[i] = s.Token
			for range 2 {
				if st, raw := p.call(base, "POST", "/api/v1/subscriptions", s.Token, `{"template_ids":["tplBookingResult"]}`, procIP(i), ""); st != 200 {
					errs <- fmt.Sprintf("consent %d: %d %s", i, st, raw)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	return toks
}

// sendUntilKill runs send(0..n-1) with at most inFlight at once and kills
// victim with SIGKILL once a third have returned, while others are in
// flight; it returns when every send has returned and victim is gone.
func (p *procEnv) sendUntilKill(victim *server, n, inFlight int, send func(i int)) {
	var answered atomic.Int64
	var once sync.Once
	kill := func() {
		once.Do(func() {
			if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				p.t.Error(err)
			}
		})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, inFlight)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			send(i)
			if answered.Add(1) == int64(n/3) {
				kill()
			}
		})
	}
	wg.Wait()
	kill()
	_ = victim.cmd.Wait()
}

// Ensure two server processes on one MariaDB and one Redis, booking the
// same 10-seat slot through HTTP at the same instant (half the voters on
// each), keep the guarantees of one: exactly 10 confirmed, the waitlist at
// its cap, the rest slot_full, nobody twice, and one notification per
// booking. It builds and runs the real binary; it needs MariaDB/MySQL
// (DEPUTYLINK_TEST_MYSQL): two processes cannot share an SQLite file the
// way they share a server.
func TestBookingTwoServerProcesses(t *testing.T) {
	const seats, waitlist, voters = 10, 30, 200
	p := newProcEnv(t, seats, waitlist, 2)
	procs, db, slot := p.procs, p.db, p.slot
	toks := p.loginAll(voters, func(i int) *server { return procs[(i+1)%2] }) // log in on the other process than the one booking
	call := func(base, method, path, token, body, ip string) (int, []byte) {
		return p.call(base, method, path, token, body, ip, "")
	}
	ip := procIP

	// Book at one instant, half on each process.
	outcomes := make([]string, voters)
	burstCalls(voters, func(i int) {
		st, raw := call(procs[i%2].url, "POST", "/api/v1/bookings", toks[i], fmt.Sprintf(`{"slot_id":%d}`, slot.ID), ip(i))
		outcomes[i] = bkResp{status: st, raw: raw}.outcome()
	})
	got := map[string]int{}
	perProc := [2]map[string]int{{}, {}}
	for i, o := range outcomes {
		got[o]++
		perProc[i%2][o]++
	}
	want := map[string]int{"confirmed": seats, "waitlisted": waitlist, "slot_full": voters - seats - waitlist}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	t.Logf("outcomes %v; process A %v, process B %v", got, perProc[0], perProc[1])
	if perProc[0]["confirmed"]+perProc[0]["waitlisted"] == 0 || perProc[1]["confirmed"]+perProc[1]["waitlisted"] == 0 {
		t.Errorf("one process booked nothing: %v", perProc)
	}
	e := &bookEnv{testEnv: &testEnv{t: t, db: db}}
	checkSlot(t, e, slot.ID, seats, waitlist)
	var rows int64
	db.Model(&models.Booking{}).Count(&rows)
	notices := e.notices()
	if len(notices) == 0 {
		t.Fatalf("no booking notifications queued for %d bookings: cmd/deputylink must pass config.LoadNotify(getenv) as handlers.Deps.Notify", rows)
	}
	if len(notices) != int(rows) || rows != seats+waitlist {
		t.Errorf("%d notifications for %d bookings", len(notices), rows)
	}
	checkNoticesMatchBookings(t, e, notices)
}

// Ensure kill -9 of a server in the middle of a booking burst loses no
// acknowledged booking (docs/ARCHITECTURE.md#quality-targets, Faults): every 201 the killed process
// sent is a booking row with its notification; voters whose requests died
// with it book again through the other process and end with exactly one
// booking each; the killed requests' idempotency keys are claimed for
// minutes, not a day.
func TestBookingSurvivesKill9(t *testing.T) {
	const voters = 240
	p := newProcEnv(t, voters, 0, 2) // a seat for everyone: every booking should succeed
	a, b := p.procs[0], p.procs[1]
	toks := p.loginAll(voters, func(int) *server { return b })
	body := fmt.Sprintf(`{"slot_id":%d}`, p.slot.ID)
	idem := func(i int) string { return fmt.Sprintf("kill9-%03d", i) }

	type answer struct {
		status int
		id     uint64
	}
	answers := make([]answer, voters)
	p.sendUntilKill(a, voters, 24, func(i int) {
		st, raw := p.call(a.url, "POST", "/api/v1/bookings", toks[i], body, procIP(i), idem(i))
		var v models.BookingView
		if st == http.StatusCreated {
			must(t, json.Unmarshal(raw, &v))
		}
		answers[i] = answer{st, v.ID}
	})

	acked, lost := 0, 0
	for i, ans := range answers {
		switch {
		case ans.status == http.StatusCreated:
			acked++
			var bk models.Booking
			if err := p.db.First(&bk, ans.id).Error; err != nil || bk.Status != models.BookingConfirmed {
				t.Errorf("voter %d: acknowledged booking %d is %+v (%v)", i, ans.id, bk.Status, err)
			}
		case ans.status == -1:
			lost++
		default:
			t.Errorf("voter %d: %d before the kill", i, ans.status)
		}
	}
	if acked == 0 || lost == 0 {
		t.Fatalf("%d acknowledged and %d cut off: the kill did not land mid-burst", acked, lost)
	}
	t.Logf("%d acknowledged before the kill, %d requests cut off", acked, lost)

	// A cut-off request's key is claimed for minutes at most.
	ctx := t.Context()
	pending := 0
	idemKeys, _ := wechattest.Keys(ctx, p.tr.Client, p.tr.Prefix+"idem:*")
	for _, k := range idemKeys {
		if !strings.Contains(p.tr.Client.Get(ctx, k).Val(), `"s":"pending"`) {
			continue
		}
		pending++
		if ttl := p.tr.Client.PTTL(ctx, k).Val(); ttl > 2*time.Minute {
			t.Errorf("%s: a pending claim lives %v", k, ttl)
		}
	}

	// The cut-off voters book again through the survivor, with a new key
	// as the mini-program does after an error: each gets a booking, or is
	// told the one made before the kill exists.
	retried := map[string]int{}
	for i, ans := range answers {
		if ans.status != -1 {
			continue
		}
		st, raw := p.call(b.url, "POST", "/api/v1/bookings", toks[i], body, procIP(i), idem(i)+"-retry")
		o := (bkResp{status: st, raw: raw}).outcome()
		retried[o]++
		if o != "confirmed" && o != "already_booked" {
			t.Errorf("voter %d retry: %s", i, o)
		}
	}
	t.Logf("claims left pending by the kill: %d; retries: %v", pending, retried)
	e := &bookEnv{testEnv: &testEnv{t: t, db: p.db}}
	checkSlot(t, e, p.slot.ID, voters, 0)
	notices := e.notices()
	if len(notices) != voters {
		t.Errorf("%d notifications for %d bookings", len(notices), voters)
	}
	checkNoticesMatchBookings(t, e, notices)
}

// Ensure kill -9 of a server while voters file opinions loses no
// acknowledged opinion, and that the day's tracking numbers stay unique
// and readable (gaps are allowed: numbers come in per-process blocks,
// docs/ARCHITECTURE.md#tracking-numbers-issue-18).
func TestOpinionsSurviveKill9(t *testing.T) {
	const voters = 120
	p := newProcEnv(t, 1, 0, 2)
	must(t, p.db.Create(&models.Category{Code: "shenghuo", Name: "生活服务", Hint: "日常生活中的难事", AcceptDays: 2, ReplyDays: 15}).Error)
	a, b := p.procs[0], p.procs[1]
	toks := p.loginAll(voters, func(int) *server { return b })
	body := fmt.Sprintf(`{"content":"小区路灯坏了一个多月，晚上出行不便，请尽快修理。","category":"shenghuo","station_id":%d}`, p.slot.StationID)

	nos := make([]string, voters)
	status := make([]int, voters)
	p.sendUntilKill(a, voters, 16, func(i int) {
		st, raw := p.call(a.url, "POST", "/api/v1/opinions", toks[i], body, procIP(i), fmt.Sprintf("op-kill9-%03d", i))
		status[i] = st
		if st == http.StatusCreated {
			var v api.OpinionResponse
			must(t, json.Unmarshal(raw, &v))
			nos[i] = v.TrackingNo
		}
	})

	var stored []string
	must(t, p.db.Model(&models.Opinion{}).Order("tracking_no").Pluck("tracking_no", &stored).Error)
	have := map[string]bool{}
	for _, no := range stored {
		have[no] = true
	}
	acked, lost := 0, 0
	for i, st := range status {
		switch st {
		case http.StatusCreated:
			acked++
			if !have[nos[i]] {
				t.Errorf("voter %d: acknowledged opinion %s is not stored", i, nos[i])
			}
		case -1:
			lost++
		default:
			t.Errorf("voter %d: %d before the kill", i, st)
		}
	}
	if acked == 0 || lost == 0 {
		t.Fatalf("%d acknowledged and %d cut off: the kill did not land mid-load", acked, lost)
	}
	if len(have) != len(stored) {
		t.Errorf("tracking numbers repeat: %v", stored)
	}
	// Numbers are handed out from per-process blocks (issue 18), so a
	// killed process leaves gaps; each stored number is still the day's
	// and readable.
	day := regexp.MustCompile(`^YJ\d{8}-\d{4}$`)
	for _, no := range stored {
		if !day.MatchString(no) {
			t.Fatalf("tracking number %s is not of the day's form: %v", no, stored)
		}
	}
	t.Logf("%d acknowledged, %d cut off, %d stored (%s … %s)", acked, lost, len(stored), stored[0], stored[len(stored)-1])
}
