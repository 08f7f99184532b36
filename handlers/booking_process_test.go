package handlers_test

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
	"syscall"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
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

// Ensure two server processes on one MariaDB and one Redis, booking the
// same 10-seat slot through HTTP at the same instant (half the voters on
// each), keep the guarantees of one: exactly 10 confirmed, the waitlist at
// its cap, the rest slot_full, nobody twice, and one notification per
// booking. It builds and runs the real binary; it needs MariaDB/MySQL
// (DEPUTYLINK_TEST_MYSQL): two processes cannot share an SQLite file the
// way they share a server.
func TestBookingTwoServerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if !modelstest.OnMySQL() {
		t.Skip("needs " + modelstest.EnvMySQL + ": two server processes share one MySQL/MariaDB")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deputylink")
	build := exec.Command("go", "build", "-o", bin, "./cmd/deputylink")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/deputylink: %v\n%s", err, out)
	}
	dbURL := modelstest.URL(t)
	db := modelstest.Open(t, dbURL) // migrated before either process starts
	tr := wechattest.NewRedis(t)
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	const seats, waitlist, voters = 10, 30, 200
	slot := seedSlot(t, db, seats, waitlist)

	key := make([]byte, 32)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DEPUTYLINK_DATABASE_URL=" + dbURL,
		"DEPUTYLINK_REDIS_URL=" + tr.URL,
		"DEPUTYLINK_REDIS_PREFIX=" + tr.Prefix,
		"DEPUTYLINK_WECHAT_API_BASE=" + fake.URL(),
		"DEPUTYLINK_MP_APPID=" + wechattest.DefaultMPAppID,
		"DEPUTYLINK_MP_SECRET=" + wechattest.DefaultMPSecret,
		"DEPUTYLINK_DATA_DIR=" + filepath.Join(dir, "data"),
		"DEPUTYLINK_DATA_KEY=" + base64.StdEncoding.EncodeToString(key),
		config.EnvTplBookingResult + "=" + bkTpl,
		"DEPUTYLINK_ADDR=127.0.0.1:0",
		"DEPUTYLINK_LOG_LEVEL=info", // startServer waits for the "Serving" line
	}
	procs := []*server{startServer(t, bin, env), startServer(t, bin, env)}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: voters}}
	call := func(base, method, path, token, body, ip string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		// Voters come from many addresses; the server trusts X-Forwarded-For
		// from 127.0.0.1 (its reverse proxy), so the per-IP limits apply per voter.
		req.Header.Set("X-Forwarded-For", ip)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return -1, []byte(err.Error())
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}

	// Log every voter in through either process, and record two consents
	// (a waitlist notice is only sent while one is left for a promotion).
	toks := make([]string, voters)
	ip := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256+1) }
	var wg sync.WaitGroup
	errs := make(chan string, voters)
	sem := make(chan struct{}, 16)
	for i := range voters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			base := procs[(i+1)%2].url // log in on the other process than the one booking
			st, raw := call(base, "POST", "/api/v1/session", "", fmt.Sprintf(`{"code":"test:oProc%03d"}`, i), ip(i))
			var s handlers.SessionView
			if st != 200 || json.Unmarshal(raw, &s) != nil {
				errs <- fmt.Sprintf("login %d: %d %s", i, st, raw)
				return
			}
			toks[i] = s.Token
			for range 2 {
				if st, raw := call(base, "POST", "/api/v1/subscriptions", s.Token, `{"template_ids":["tplBookingResult"]}`, ip(i)); st != 200 {
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
