package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"deputylink/config"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// fakeWeChatCmd serves the fake WeChat API (wechattest) for a deputylink
// under load: point DEPUTYLINK_WECHAT_API_BASE (and, for the console's
// sign-in in WeChat, DEPUTYLINK_WECHAT_AUTHORIZE_BASE) at it. It accepts
// every wx.login code of the form "test:<openid>" and every subscribe send;
// the web authorization signs in whoever was chosen last with a POST to
// wechattest.ControlAuthorizeOpenID.
func fakeWeChatCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	addr := fs.String("addr", "127.0.0.1:18091", "listen address")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if err := loopback(*addr); err != nil {
		return err
	}
	fake, err := wechattest.NewServer(*addr)
	if err != nil {
		return err
	}
	fake.SetUnlimitedConsent(true)
	fake.SetFollowAll(true)
	fake.SetDeliveryLog(stdout)
	fmt.Fprintf(stdout, "fake WeChat API at %s (mini-program %s / %s; login codes \"test:<openid>\"); every message it delivers is printed below\n",
		fake.URL(), wechattest.DefaultMPAppID, wechattest.DefaultMPSecret)
	fmt.Fprintf(stdout, "web authorization: choose who it signs in with curl -d openid=OPENID %s%s\n",
		fake.URL(), wechattest.ControlAuthorizeOpenID)
	<-ctx.Done()
	fake.Close()
	return nil
}

// baseURLs parses --url: comma-separated base URLs, each on this machine,
// without a trailing slash.
func baseURLs(list string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(list, ",") {
		pu, err := url.Parse(strings.TrimRight(strings.TrimSpace(u), "/"))
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("--url %q: not a URL", u)
		}
		if err := loopback(pu.Host); err != nil {
			return nil, err
		}
		out = append(out, pu.String())
	}
	return out, nil
}

// loopback refuses addresses off this machine: loadgen only measures local
// servers.
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not on this machine", hostport)
	}
	return nil
}

type bookingOpts struct {
	urls                 []string
	voters, seats        int
	waitlist             int
	slotID               uint64
	mysql                string
	consent              string
	loginConc, baseConns int
	timeout              time.Duration
	skipBaseline         bool
	// What the burst cost (burstProbe).
	counters   bool
	redisURL   string
	debug      []string
	profileDir string
	profileSec int
}

// bookingCmd is the booking burst: log N voters in, release them all at
// one instant on one slot, and check the outcome against the database; then
// the same number of clients run a bare conditional UPDATE on a scratch row
// of the same MariaDB, the baseline.
func bookingCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var o bookingOpts
	urls := fs.String("url", "http://127.0.0.1:8080", "deputylink base URL(s), comma-separated: voters are spread over them")
	fs.IntVar(&o.voters, "voters", 2000, "voters booking at once")
	fs.IntVar(&o.seats, "seats", 100, "seats of the slot created for the run")
	fs.IntVar(&o.waitlist, "waitlist", 0, "waitlist places of the slot (0 = no waitlist)")
	fs.Uint64Var(&o.slotID, "slot", 0, "book this existing slot instead of creating one (its seats must be free)")
	fs.StringVar(&o.mysql, "mysql", "", "the server's database, mysql://user:pass@127.0.0.1:3306/db: creates the slot, checks the result, runs the baseline")
	fs.StringVar(&o.consent, "consent", "", "grant each voter one consent for this subscribe template before booking (POST /subscriptions)")
	fs.IntVar(&o.loginConc, "login-concurrency", 64, "logins in flight")
	fs.IntVar(&o.baseConns, "baseline-conns", 0, "database connections of the baseline (default: 20 per --url, each server's pool is 20)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "per-request timeout")
	fs.BoolVar(&o.skipBaseline, "no-baseline", false, "skip the conditional UPDATE baseline")
	fs.BoolVar(&o.counters, "counters", false, "print MariaDB's Com_ counters (global: keep others off the server) and, with --redis, Redis's commandstats moved by the burst")
	fs.StringVar(&o.redisURL, "redis", "", "the servers' Redis, redis://127.0.0.1:6379/N, for --counters")
	debug := fs.String("debug", "", "the servers' DEPUTYLINK_DEBUG_ADDR base URLs, comma-separated: take a CPU profile of each during the burst, and its allocations")
	fs.StringVar(&o.profileDir, "profile-dir", ".", "where --debug writes the profiles")
	fs.IntVar(&o.profileSec, "profile-seconds", 2, "length of the CPU profiles (from just before the burst)")
	if err := fs.Parse(args); err != nil || o.voters < 1 || o.seats < 1 || o.baseConns < 0 {
		return errUsage
	}
	var err error
	if o.urls, err = baseURLs(*urls); err != nil {
		return err
	}
	if o.baseConns == 0 {
		// Like with like: as many connections as the servers' pools.
		o.baseConns = 20 * len(o.urls)
	}
	if *debug != "" {
		if o.debug, err = baseURLs(*debug); err != nil {
			return err
		}
	}
	if o.mysql == "" && o.slotID == 0 {
		return errors.New("give --mysql (to create the slot and check the result) or --slot")
	}
	var db *gorm.DB
	if o.mysql != "" {
		if u, err := url.Parse(o.mysql); err != nil || u.Scheme != "mysql" || loopback(hostWithPort(u.Host, "3306")) != nil {
			return fmt.Errorf("--mysql must be a mysql:// URL on this machine")
		}
		var err error
		if db, err = models.Open(ctx, o.mysql, models.OpenOptions{MaxOpenConns: o.baseConns}); err != nil {
			return err
		}
		defer models.Close(db)
	}
	f, err := runBooking(ctx, o, db, stdout)
	if err != nil {
		return err
	}
	if !f.ok {
		return errors.New("the burst broke a booking guarantee (see above)")
	}
	return nil
}

// bookingFigures is one burst beside its floor (rates 0 when not measured).
type bookingFigures struct {
	rate, baseRate float64
	p99, baseP99   time.Duration
	// ok: every guarantee held (exactly the seats confirmed, no duplicate).
	ok bool
}

// runBooking is one burst: a fresh slot, the voters logged in, the burst,
// the database checked, then the floor (unless o.skipBaseline).
func runBooking(ctx context.Context, o bookingOpts, db *gorm.DB, stdout io.Writer) (bookingFigures, error) {
	var f bookingFigures
	run := randomHex(4)
	if o.slotID == 0 {
		id, err := createBurstSlot(ctx, db, run, o.seats, o.waitlist)
		if err != nil {
			return f, fmt.Errorf("create the slot: %w", err)
		}
		o.slotID = id
	}
	fmt.Fprintf(stdout, "booking burst %s: %d voters on slot %d (%d seats, waitlist %d) via %s\n",
		run, o.voters, o.slotID, o.seats, o.waitlist, strings.Join(o.urls, ", "))

	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{
		MaxIdleConns: o.voters + 100, MaxIdleConnsPerHost: o.voters + 100, IdleConnTimeout: 5 * time.Minute,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	defer client.CloseIdleConnections()
	voters, err := loginVoters(ctx, client, o, run, stdout)
	if err != nil {
		return f, err
	}
	// Every voter opens its connection first (their own GET /bookings), so
	// the burst measures booking, not 2,000 TCP handshakes at once.
	burst(len(voters), func(i int) { voters[i].call(client, "GET", "/api/v1/bookings", "", "") })

	res := make([]burstResult, len(voters))
	body := func(i int) string { return fmt.Sprintf(`{"slot_id":%d,"topic":"loadgen %s"}`, o.slotID, run) }
	probe, err := newBurstProbe(ctx, o, db)
	if err != nil {
		return f, err
	}
	if probe != nil {
		defer probe.close()
		if err := probe.start(ctx); err != nil {
			return f, err
		}
	}
	start := time.Now()
	burst(len(voters), func(i int) {
		t0 := time.Now()
		st, raw := voters[i].call(client, "POST", "/api/v1/bookings", body(i), fmt.Sprintf("lg-%s-%d", run, i))
		res[i] = burstResult{lat: time.Since(t0), status: st, outcome: outcomeOf(st, raw)}
	})
	wall := time.Since(start)
	counts := map[string]int{}
	lats := make([]time.Duration, len(res))
	for i, r := range res {
		counts[r.outcome]++
		lats[i] = r.lat
	}
	other := len(res) - counts["confirmed"] - counts["waitlisted"] - counts["slot_full"]
	fmt.Fprintf(stdout, "burst: %d requests in %s = %.0f req/s\n", len(res), wall.Round(time.Millisecond), float64(len(res))/wall.Seconds())
	fmt.Fprintf(stdout, "outcomes: confirmed=%d waitlisted=%d refused(slot_full)=%d other=%d %v\n",
		counts["confirmed"], counts["waitlisted"], counts["slot_full"], other, otherOutcomes(counts))
	fmt.Fprintf(stdout, "latency: %s\n", percentiles(lats))
	f.rate, f.p99 = float64(len(res))/wall.Seconds(), quantile(lats, .99)
	if len(o.urls) > 1 {
		// Each server measured on its own: the voters of voter i go to
		// o.urls[i % len].
		for k, u := range o.urls {
			var sl []time.Duration
			sc := map[string]int{}
			for i := k; i < len(res); i += len(o.urls) {
				sl = append(sl, res[i].lat)
				sc[res[i].outcome]++
			}
			fmt.Fprintf(stdout, "  %s: %d requests, confirmed=%d waitlisted=%d slot_full=%d other=%d; %s\n", u, len(sl),
				sc["confirmed"], sc["waitlisted"], sc["slot_full"], len(sl)-sc["confirmed"]-sc["waitlisted"]-sc["slot_full"], percentiles(sl))
		}
	}
	if probe != nil {
		if err := probe.finish(ctx, len(res), counts["confirmed"], stdout); err != nil {
			return f, err
		}
	}

	f.ok = counts["confirmed"] == o.seats && other == 0
	if db != nil {
		ok, err := checkBurst(ctx, db, o, run, voters, counts, stdout)
		if err != nil {
			return f, err
		}
		f.ok = f.ok && ok
	}
	if db != nil && !o.skipBaseline {
		if f.baseRate, f.baseP99, err = baseline(ctx, db, o, run, wall, stdout); err != nil {
			return f, fmt.Errorf("baseline: %w", err)
		}
	}
	return f, nil
}

func hostWithPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, port)
}

type burstResult struct {
	lat     time.Duration
	status  int
	outcome string
}

// voter is one logged-in voter with its own client address: the server
// trusts X-Forwarded-For from 127.0.0.1 (its reverse proxy), so the per-IP
// limits count per voter, as they would for voters on their own phones.
type voter struct {
	id    uint64
	token string
	ip    string
	base  string
}

func (v voter) call(client *http.Client, method, path, body, idemKey string) (int, []byte) {
	req, err := http.NewRequest(method, v.base+path, strings.NewReader(body))
	if err != nil {
		return -1, []byte(err.Error())
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	req.Header.Set("X-Forwarded-For", v.ip)
	resp, err := client.Do(req)
	if err != nil {
		return -1, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func voterIP(i int) string { return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255) }

// loginVoters logs every voter in with a "test:<openid>" code the fake
// WeChat resolves, spread over the servers, and grants the consent.
func loginVoters(ctx context.Context, client *http.Client, o bookingOpts, run string, stdout io.Writer) ([]voter, error) {
	voters := make([]voter, o.voters)
	errs := make([]error, o.voters)
	sem := make(chan struct{}, o.loginConc)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range voters {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v := voter{ip: voterIP(i), base: o.urls[i%len(o.urls)]}
			st, raw := v.call(client, "POST", "/api/v1/session", fmt.Sprintf(`{"code":"test:oLg%sx%05d"}`, run, i), "")
			var s struct {
				Token string `json:"token"`
				Voter struct {
					ID uint64 `json:"id"`
				} `json:"voter"`
			}
			if st != 200 || json.Unmarshal(raw, &s) != nil || s.Token == "" {
				errs[i] = fmt.Errorf("login of voter %d: %d %s", i, st, bytes.TrimSpace(raw))
				return
			}
			v.id, v.token = s.Voter.ID, s.Token
			if o.consent != "" {
				if st, raw := v.call(client, "POST", "/api/v1/subscriptions", fmt.Sprintf(`{"template_ids":[%q]}`, o.consent), ""); st != 200 {
					errs[i] = fmt.Errorf("consent of voter %d: %d %s", i, st, bytes.TrimSpace(raw))
					return
				}
			}
			voters[i] = v
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d := time.Since(start)
	fmt.Fprintf(stdout, "logins: %d in %s (%.0f/s)\n", len(voters), d.Round(time.Millisecond), float64(len(voters))/d.Seconds())
	return voters, nil
}

// burst runs fn(i) for i < n in goroutines released at one instant.
func burst(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			fn(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func outcomeOf(status int, raw []byte) string {
	var v struct {
		Status string `json:"status"`
		Error  struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &v)
	switch {
	case status == http.StatusCreated && v.Status != "":
		return v.Status
	case v.Error.Code != "":
		return v.Error.Code
	case status < 0:
		return "transport: " + string(raw)
	}
	return fmt.Sprintf("http %d", status)
}

func otherOutcomes(counts map[string]int) string {
	var out []string
	for k, n := range counts {
		if k != "confirmed" && k != "waitlisted" && k != "slot_full" {
			out = append(out, fmt.Sprintf("%s×%d", k, n))
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return "(" + strings.Join(out, ", ") + ")"
}

func percentiles(lats []time.Duration) string {
	slices.Sort(lats)
	pct := func(p float64) time.Duration { return quantile(lats, p) }
	return fmt.Sprintf("p50=%s p90=%s p99=%s max=%s", ms(pct(.50)), ms(pct(.90)), ms(pct(.99)), ms(pct(1)))
}

// createBurstSlot writes a station of its own for the run, an open
// reception day two days ahead and one slot.
func createBurstSlot(ctx context.Context, db *gorm.DB, run string, seats, waitlist int) (uint64, error) {
	now := time.Now().UTC()
	loc := config.DefaultLocation()
	start := now.Add(48 * time.Hour).Truncate(time.Hour)
	var slotID uint64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st := models.Station{Kind: models.KindStation, Name: "压测联络站 " + run, Address: "loadgen", District: "loadgen"}
		if err := tx.Create(&st).Error; err != nil {
			return err
		}
		day := models.ReceptionDay{StationID: st.ID, Date: start.In(loc).Format(models.DateLayout), Period: start.In(loc).Format("2006-01"),
			Status: models.DayOpen, StartsAt: start, EndsAt: start.Add(30 * time.Minute),
			BookingOpensAt: now.Add(-time.Hour), BookingClosesAt: now.Add(24 * time.Hour),
			Waitlist: waitlist > 0, WaitlistMax: waitlist, RuleHash: "loadgen", RuleSnapshot: "{}", CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&day).Error; err != nil {
			return err
		}
		slot := models.Slot{DayID: day.ID, Seq: 1, StationID: st.ID, StartAt: start, EndAt: start.Add(30 * time.Minute), Capacity: seats}
		if err := tx.Create(&slot).Error; err != nil {
			return err
		}
		slotID = slot.ID
		return nil
	})
	return slotID, err
}

// checkBurst checks the database after the burst: the slot's counters, its
// bookings, and that no voter of the run holds two active bookings.
func checkBurst(ctx context.Context, db *gorm.DB, o bookingOpts, run string, voters []voter, counts map[string]int, stdout io.Writer) (bool, error) {
	db = db.WithContext(ctx)
	var slot models.Slot
	if err := db.First(&slot, o.slotID).Error; err != nil {
		return false, err
	}
	var rows []struct {
		Status models.BookingStatus
		N      int
	}
	if err := db.Model(&models.Booking{}).Select("status, COUNT(*) AS n").Where("slot_id = ?", o.slotID).
		Group("status").Scan(&rows).Error; err != nil {
		return false, err
	}
	byStatus := map[models.BookingStatus]int{}
	for _, r := range rows {
		byStatus[r.Status] = r.N
	}
	ids := make([]uint64, len(voters))
	for i, v := range voters {
		ids[i] = v.id
	}
	var dups []uint64
	for chunk := range slices.Chunk(ids, 1000) {
		var d []uint64
		if err := db.Model(&models.Booking{}).Where("voter_id IN ? AND active_key IS NOT NULL", chunk).
			Group("voter_id").Having("COUNT(*) > 1").Pluck("voter_id", &d).Error; err != nil {
			return false, err
		}
		dups = append(dups, d...)
	}
	// One notification per booking of the run, each for its own booking:
	// the run's voters' openids start "oLg<run>x" (loginVoters).
	var notices []struct {
		DedupeKey string
		ToUser    string
	}
	if err := db.Model(&models.Notification{}).Select("dedupe_key, to_user").Where("dedupe_key LIKE ?", "booking:%").
		Where("to_user LIKE ?", "oLg"+run+"x%").Scan(&notices).Error; err != nil {
		return false, err
	}
	perBooking := map[string]int{}
	for _, n := range notices {
		id, _, _ := strings.Cut(strings.TrimPrefix(n.DedupeKey, "booking:"), ":")
		perBooking[id]++
	}
	twice := 0
	for _, n := range perBooking {
		if n > 1 {
			twice++
		}
	}
	wantNotices := -1 // unknown without a consent
	if o.consent != "" {
		wantNotices = byStatus[models.BookingConfirmed] + byStatus[models.BookingWaitlisted]
	}
	ok := slot.Confirmed == o.seats && byStatus[models.BookingConfirmed] == o.seats &&
		counts["confirmed"] == o.seats && counts["waitlisted"] == byStatus[models.BookingWaitlisted] &&
		slot.Waitlisted == byStatus[models.BookingWaitlisted] && len(dups) == 0 &&
		(wantNotices < 0 || len(notices) == wantNotices && len(perBooking) == wantNotices) && twice == 0
	verdict := "OK"
	if !ok {
		verdict = "BROKEN"
	}
	fmt.Fprintf(stdout, "database: slot confirmed=%d/%d waitlisted=%d; booking rows confirmed=%d waitlisted=%d; voters with 2 active bookings=%d; notifications queued for this run=%d (for %d bookings, %d bookings notified twice) → %s\n",
		slot.Confirmed, slot.Capacity, slot.Waitlisted, byStatus[models.BookingConfirmed], byStatus[models.BookingWaitlisted], len(dups),
		len(notices), len(perBooking), twice, verdict)
	return ok, nil
}

// baseline runs the bare single-row conditional UPDATE a booking's seat
// comes down to, from as many concurrent clients as voters, over
// --baseline-conns connections, on a scratch table of the same database.
func baseline(ctx context.Context, db *gorm.DB, o bookingOpts, run string, bookingWall time.Duration, stdout io.Writer) (float64, time.Duration, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return 0, 0, err
	}
	table := "loadgen_seats_" + run
	if _, err := sqlDB.ExecContext(ctx, "CREATE TABLE "+table+
		" (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, capacity INT NOT NULL, confirmed INT NOT NULL) ENGINE=InnoDB"); err != nil {
		return 0, 0, err
	}
	defer func() { _, _ = sqlDB.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+table) }()
	res, err := sqlDB.ExecContext(ctx, "INSERT INTO "+table+" (capacity, confirmed) VALUES (?, 0)", o.seats)
	if err != nil {
		return 0, 0, err
	}
	id, _ := res.LastInsertId()
	// Fill the pool first, as the server's pool is warm.
	burst(o.baseConns, func(int) { _ = sqlDB.PingContext(ctx) })
	lats := make([]time.Duration, o.voters)
	errs := make([]error, o.voters)
	updated := make([]int64, o.voters)
	start := time.Now()
	burst(o.voters, func(i int) {
		t0 := time.Now()
		var r sql.Result
		r, errs[i] = sqlDB.ExecContext(ctx, "UPDATE "+table+" SET confirmed = confirmed + 1 WHERE id = ? AND confirmed < capacity", id)
		lats[i] = time.Since(t0)
		if errs[i] == nil {
			updated[i], _ = r.RowsAffected()
		}
	})
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	var total int64
	for _, n := range updated {
		total += n
	}
	var confirmed int
	if err := sqlDB.QueryRowContext(ctx, "SELECT confirmed FROM "+table+" WHERE id = ?", id).Scan(&confirmed); err != nil {
		return 0, 0, err
	}
	rate := float64(o.voters) / wall.Seconds()
	fmt.Fprintf(stdout, "baseline: bare conditional UPDATE on one row, %d clients over %d connections: %s = %.0f stmt/s; rows updated=%d confirmed=%d\n",
		o.voters, o.baseConns, wall.Round(time.Millisecond), rate, total, confirmed)
	fmt.Fprintf(stdout, "baseline latency: %s\n", percentiles(lats))
	fmt.Fprintf(stdout, "booking rate / baseline rate = %.1f%%\n", 100*(float64(o.voters)/bookingWall.Seconds())/rate)
	return rate, quantile(lats, .99), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
