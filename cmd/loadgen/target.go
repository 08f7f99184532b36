package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"deputylink/models"
	"deputylink/wechat/wechattest"

	"github.com/redis/go-redis/v9"
)

// targetNames are the issue-18 targets `loadgen target` measures, in the
// order `target all` runs them.
var targetNames = []string{"startup", "push", "booking", "opinion", "outbox"}

// rssLimitMB is the memory target of every server process (issue 18).
const rssLimitMB = 100

type targetOpts struct {
	name       string
	bin        string
	runs       int
	mysql      string // the MariaDB server, mysql://user@host:port (any path ignored)
	redis      string // redis://host:port/N
	keep       bool
	dbPrefix   string
	countyDB   string
	outboxTest string
	outboxN    int
	duration   time.Duration // each push measurement
	maxRate    float64
	// serverEnv holds KEY=VALUE settings added to every server's
	// environment after the measured ones (--server-env, repeated), to
	// compare a setting such as DEPUTYLINK_MEMORY_LIMIT in one command.
	serverEnv envList
}

// envList is a repeated KEY=VALUE flag.
type envList []string

func (l *envList) String() string { return strings.Join(*l, " ") }

func (l *envList) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*l = append(*l, v)
	return nil
}

// parseTarget reads `target <name> [flags]`.
func parseTarget(fs *flag.FlagSet, args []string) (targetOpts, error) {
	var o targetOpts
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return o, errUsage
	}
	o.name, args = args[0], args[1:]
	fs.StringVar(&o.bin, "bin", "./deputylink", "deputylink binary")
	fs.IntVar(&o.runs, "runs", 5, "runs of the measurement and its floor, alternately")
	fs.StringVar(&o.mysql, "mysql", "mysql://root@127.0.0.1:3306", "MariaDB server on this machine: a scratch database is created on it and dropped")
	fs.StringVar(&o.redis, "redis", "redis://127.0.0.1:6379/0", "Redis on this machine: a fresh key prefix is used and its keys deleted")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch database and Redis keys")
	fs.StringVar(&o.dbPrefix, "db-prefix", "loadgen_", "name prefix of the scratch databases")
	fs.StringVar(&o.countyDB, "county-db", "", "startup: copy this county-year database (read only, with mysqldump) instead of generating one")
	fs.StringVar(&o.outboxTest, "outbox-test", "", "outbox: the jobs test binary (go test -c ./jobs); built from ./jobs when empty")
	fs.IntVar(&o.outboxN, "outbox-n", 10000, "outbox: notifications queued")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "push: length of each measurement")
	fs.Var(&o.serverEnv, "server-env", "KEY=VALUE added to every server's environment (repeatable), e.g. DEPUTYLINK_MEMORY_LIMIT=80MB")
	fs.Float64Var(&o.maxRate, "max-rate", 40000, "push: highest rate a saturated run may reach (sizes the pushes built)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || o.runs < 1 || o.outboxN < 1 || o.duration <= 0 {
		return o, errUsage
	}
	if o.name != "all" && !slices.Contains(targetNames, o.name) {
		return o, fmt.Errorf("unknown target %q: one of %s, all", o.name, strings.Join(targetNames, ", "))
	}
	u, err := url.Parse(o.mysql)
	if err != nil || u.Scheme != "mysql" || loopback(hostWithPort(u.Host, "3306")) != nil {
		return o, errors.New("--mysql must be a mysql:// URL on this machine")
	}
	u.Path = ""
	o.mysql = u.String()
	r, err := url.Parse(o.redis)
	if err != nil || r.Scheme != "redis" || loopback(hostWithPort(r.Host, "6379")) != nil {
		return o, errors.New("--redis must be a redis:// URL on this machine")
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_]+$`).MatchString(o.dbPrefix + o.countyDB) {
		return o, errors.New("--db-prefix and --county-db: letters, digits and _ only")
	}
	return o, nil
}

// targetCmd runs one issue-18 target (or all) against its floor, each in
// its own scratch database and Redis prefix, and prints the table and the
// verdicts. A missed target is a measurement (exit 0); a broken guarantee
// (oversold, duplicate, a server died) is an error.
func targetCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	o, err := parseTarget(fs, args)
	if err != nil {
		return err
	}
	names := []string{o.name}
	if o.name == "all" {
		names = targetNames
	}
	var reports []*targetReport
	var broken []error
	for _, name := range names {
		rep := &targetReport{name: name}
		reports = append(reports, rep)
		err := runTarget(ctx, o, rep, stdout)
		rep.print(stdout)
		if err != nil {
			broken = append(broken, fmt.Errorf("%s: %w", name, err))
		}
		broken = append(broken, rep.broken...)
	}
	if len(reports) > 1 {
		fmt.Fprintln(stdout, "\nverdicts:")
		for _, r := range reports {
			fmt.Fprintln(stdout, r.verdict())
		}
	}
	return errors.Join(broken...)
}

func runTarget(ctx context.Context, o targetOpts, rep *targetReport, stdout io.Writer) error {
	fmt.Fprintf(stdout, "\n=== target %s: %d run(s) ===\n", rep.name, o.runs)
	if rep.name == "outbox" {
		return outboxTarget(ctx, o, rep, stdout)
	}
	s, err := newScratch(ctx, o, rep.name, stdout)
	if err != nil {
		return err
	}
	defer s.close(stdout)
	switch rep.name {
	case "push":
		return pushTarget(ctx, o, s, rep, stdout)
	case "booking":
		return bookingTarget(ctx, o, s, rep, stdout)
	case "opinion":
		return opinionTarget(ctx, o, s, rep, stdout)
	case "startup":
		return startupTarget(ctx, o, s, rep, stdout)
	}
	return fmt.Errorf("unknown target %q", rep.name)
}

// scratch is one target's world: a fresh database, a fresh Redis prefix, a
// data directory, the fake WeChat API, and the server processes started.
type scratch struct {
	o        targetOpts
	dbName   string
	dbURL    string
	prefix   string
	dataDir  string
	fake     *wechattest.Server
	admin    *sql.DB
	servers  []*server
	children []*server // floors and other helpers, not judged on memory
}

func newScratch(ctx context.Context, o targetOpts, name string, stdout io.Writer) (*scratch, error) {
	run := randomHex(3)
	s := &scratch{o: o, dbName: o.dbPrefix + name + "_" + run, prefix: "lg" + run + ":"}
	dsn, err := models.MySQLDSN(o.mysql + "/mysql")
	if err != nil {
		return nil, err
	}
	if s.admin, err = sql.Open("mysql", dsn); err != nil {
		return nil, err
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+s.dbName+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		s.admin.Close()
		return nil, err
	}
	s.dbURL = o.mysql + "/" + s.dbName
	if s.dataDir, err = os.MkdirTemp("", "loadgen-target"); err != nil {
		s.close(stdout)
		return nil, err
	}
	if s.fake, err = wechattest.NewServer(freeAddr()); err != nil {
		s.close(stdout)
		return nil, err
	}
	s.fake.SetUnlimitedConsent(true)
	s.fake.SetFollowAll(true)
	fmt.Fprintf(stdout, "scratch: database %s, Redis %s prefix %q, fake WeChat %s\n", s.dbName, o.redis, s.prefix, s.fake.URL())
	return s, nil
}

// close stops every process and drops the database and Redis keys unless
// --keep.
func (s *scratch) close(stdout io.Writer) {
	for _, p := range slices.Concat(s.servers, s.children) {
		p.stop()
	}
	if s.fake != nil {
		s.fake.Close()
	}
	if s.dataDir != "" {
		os.RemoveAll(s.dataDir)
	}
	if s.o.keep {
		fmt.Fprintf(stdout, "kept: database %s, Redis keys %s*\n", s.dbName, s.prefix)
	} else {
		_, _ = s.admin.Exec("DROP DATABASE IF EXISTS " + s.dbName)
		if n, err := deleteRedisPrefix(s.o.redis, s.prefix); err != nil {
			fmt.Fprintf(stdout, "could not delete Redis keys %s*: %v\n", s.prefix, err)
		} else {
			fmt.Fprintf(stdout, "dropped database %s and %d Redis keys %s*\n", s.dbName, n, s.prefix)
		}
	}
	s.admin.Close()
}

func deleteRedisPrefix(rawURL, prefix string) (int, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return 0, err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx := context.Background()
	n := 0
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Unlink(ctx, batch...).Err()
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// serverEnv is the environment of a measured `deputylink serve`: what the
// benchmark commands in docs/BENCHMARKS.md set, on the scratch database and
// prefix. DEPUTYLINK_ settings of loadgen's own environment are left out so
// that none leaks into the measurement.
func serverEnv(inherited []string, addr, dbURL, redisURL, prefix, wechatURL, dataDir string) []string {
	var env []string
	for _, kv := range inherited {
		if !strings.HasPrefix(kv, "DEPUTYLINK_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"DEPUTYLINK_ADDR="+addr,
		"DEPUTYLINK_DATABASE_URL="+dbURL,
		"DEPUTYLINK_REDIS_URL="+redisURL,
		"DEPUTYLINK_REDIS_PREFIX="+prefix,
		"DEPUTYLINK_DATA_DIR="+dataDir,
		"DEPUTYLINK_DATA_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"DEPUTYLINK_LOG_LEVEL=warn",
		"DEPUTYLINK_WECHAT_API_BASE="+wechatURL,
		"DEPUTYLINK_MP_APPID="+wechattest.DefaultMPAppID,
		"DEPUTYLINK_MP_SECRET="+wechattest.DefaultMPSecret,
		// WeChat's published sample push credentials, which loadgen signs with.
		"DEPUTYLINK_OA_APPID="+defaultAppID,
		"DEPUTYLINK_OA_SECRET=x",
		"DEPUTYLINK_OA_TOKEN="+defaultToken,
		"DEPUTYLINK_OA_AES_KEY="+defaultAESKey,
		"DEPUTYLINK_TPL_BOOKING_RESULT=tplBookingResult|result=thing1,station=thing2,time=time3,code=character_string4,note=thing5",
		"DEPUTYLINK_TPL_OPINION_STAFF=tplOpinionStaff",
	)
}

// serve starts `deputylink serve args…` on a free port of the scratch
// world and waits for its first 200 from /readyz.
func (s *scratch) serve(ctx context.Context, name string, args ...string) (*server, error) {
	addr := freeAddr()
	env := append(serverEnv(os.Environ(), addr, s.dbURL, s.o.redis, s.prefix, s.fake.URL(), s.dataDir), s.o.serverEnv...)
	p, err := startProcess(ctx, name, append([]string{s.o.bin, "serve"}, args...), env, "http://"+addr, "/readyz")
	if err != nil {
		return nil, err
	}
	s.servers = append(s.servers, p)
	return p, nil
}

// serveTwo starts two `serve --no-jobs` processes on the scratch database
// (the first with firstArgs, e.g. --demo), one after the other so that the
// first migrates alone, and returns their base URLs.
func (s *scratch) serveTwo(ctx context.Context, firstArgs ...string) ([]string, error) {
	var urls []string
	for k, name := range []string{"serve 1", "serve 2"} {
		args := []string{"--no-jobs"}
		if k == 0 {
			args = append(args, firstArgs...)
		}
		p, err := s.serve(ctx, name, args...)
		if err != nil {
			return nil, err
		}
		urls = append(urls, p.base)
	}
	return urls, nil
}

// floor starts `loadgen floor` (this binary) as a child process.
func (s *scratch) floor(ctx context.Context) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr := freeAddr()
	p, err := startProcess(ctx, "floor", []string{self, "floor", "--addr", addr}, os.Environ(), "http://"+addr, "/healthz")
	if err != nil {
		return nil, err
	}
	s.children = append(s.children, p)
	return p, nil
}

// server is a child process serving HTTP.
type server struct {
	name    string
	base    string
	cmd     *exec.Cmd
	logs    *tailBuffer
	started time.Duration // from exec to the first 200
	exited  chan struct{}
	mu      sync.Mutex
	stopped bool
}

func startProcess(ctx context.Context, name string, argv, env []string, base, ready string) (*server, error) {
	p := &server{name: name, base: base, logs: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it was ready:\n%s", name, p.logs)
		default:
		}
		if resp, err := http.Get(base + ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				p.started = time.Since(t0)
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s: no 200 from %s within 2 min:\n%s", name, ready, p.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// peakMB is the process's peak resident memory so far (VmHWM).
func (p *server) peakMB() float64 { return procStatusMB(p.cmd.Process.Pid, "VmHWM:") }

// died reports a process that exited without being stopped.
func (p *server) died() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.exited:
		return !p.stopped
	default:
		return false
	}
}

// stop interrupts the process and waits for it (killing it after 20 s).
func (p *server) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// check records each server's peak RSS on the row and a broken guarantee
// for each server that died, and for the row itself unless held (the
// run's own guarantees; none given: they held).
func (s *scratch) check(rep *targetReport, row *targetRow, held ...bool) {
	if slices.Contains(held, false) {
		row.note = "GUARANTEE BROKEN"
		rep.broken = append(rep.broken, fmt.Errorf("%s run %d (%s): a guarantee broke (see above)", rep.name, row.run, row.measure))
	}
	for _, p := range s.servers {
		row.rss = append(row.rss, procRSS{p.name, p.peakMB()})
		if p.died() {
			rep.broken = append(rep.broken, fmt.Errorf("%s: %s died:\n%s", rep.name, p.name, p.logs))
		}
	}
	rep.rows = append(rep.rows, *row)
}

// ---- the targets ----

func pushTarget(ctx context.Context, o targetOpts, s *scratch, rep *targetReport, stdout io.Writer) error {
	srv, err := s.serve(ctx, "serve", "--demo") // jobs in process: the default serve
	if err != nil {
		return err
	}
	fl, err := s.floor(ctx)
	if err != nil {
		return err
	}
	db, err := sql.Open("mysql", mustDSN(s.dbURL))
	if err != nil {
		return err
	}
	var codes []string
	rows, err := db.QueryContext(ctx, "SELECT code FROM codes WHERE kind = 'deputy' ORDER BY code LIMIT 20")
	if err == nil {
		for rows.Next() {
			var c string
			if rows.Scan(&c) == nil {
				codes = append(codes, c)
			}
		}
		err = rows.Close()
	}
	db.Close()
	if err != nil || len(codes) == 0 {
		return fmt.Errorf("no deputy codes in the demo county: %v", err)
	}
	endpoint, floorURL := srv.base+"/wechat/official", fl.base+"/wechat/official"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	one, err := buildPushes(1, 1, codes, defaultToken, defaultAESKey, defaultAppID)
	if err != nil {
		return err
	}
	if err := checkReply(client, endpoint, one[0], defaultAESKey, defaultAppID, "预约"); err != nil {
		return err
	}
	push := func(u string, load pushLoad) (pushResult, error) {
		reqs, err := buildPushes(load.pushCount(), 5000, codes, defaultToken, defaultAESKey, defaultAppID)
		if err != nil {
			return pushResult{}, err
		}
		return runPushes(ctx, client, u, reqs, load), nil
	}
	saturated := pushLoad{concurrency: 32, warmup: 2 * time.Second, duration: o.duration, maxRate: o.maxRate}
	open := pushLoad{rate: 2000, concurrency: 64, warmup: 2 * time.Second, duration: o.duration}
	warm := saturated
	warm.warmup, warm.duration = 0, 3*time.Second
	for _, u := range []string{endpoint, floorURL} {
		if _, err := push(u, warm); err != nil {
			return err
		}
	}
	for r := 1; r <= o.runs && ctx.Err() == nil; r++ {
		for _, m := range []struct {
			label string
			load  pushLoad
		}{{"saturated, 32 workers (req/s)", saturated}, {"2,000 req/s open loop (req/s)", open}} {
			var res [2]pushResult
			for k, u := range []string{endpoint, floorURL} {
				if res[k], err = push(u, m.load); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "run %d, %s, %s: ", r, m.label, []string{"endpoint", "floor"}[k])
				res[k].report(stdout)
			}
			row := targetRow{run: r, measure: m.label, figure: res[0].throughput(), floor: res[1].throughput(),
				p99: res[0].rec.p99(), floorP99: res[1].rec.p99()}
			if e, d := res[0].rec.errors, res[0].rec.dropped.Load(); e > 0 || d > 0 {
				// dropped: not sent, more than 8×64 in flight (pushCmd's rule).
				row.note = fmt.Sprintf("endpoint: %d errors, %d dropped", e, d)
			}
			s.check(rep, &row)
		}
	}
	rep.criteria = []criterion{
		{label: "saturated ratio", measure: "saturated", value: rowRatio, limit: 0.80, atLeast: true},
		{label: "p99 at 2,000 req/s (ms)", measure: "2,000", value: rowP99ms, limit: 10, strict: true},
		memoryCriterion,
	}
	return nil
}

func bookingTarget(ctx context.Context, o targetOpts, s *scratch, rep *targetReport, stdout io.Writer) error {
	urls, err := s.serveTwo(ctx)
	if err != nil {
		return err
	}
	// The floor gets as many connections as the two servers' pools (20 each).
	bo := bookingOpts{urls: urls, voters: 2000, seats: 100, mysql: s.dbURL, consent: "tplBookingResult",
		loginConc: 64, baseConns: 20 * len(urls), timeout: 60 * time.Second}
	db, err := models.Open(ctx, s.dbURL, models.OpenOptions{MaxOpenConns: bo.baseConns})
	if err != nil {
		return err
	}
	defer models.Close(db)
	for r := 1; r <= o.runs && ctx.Err() == nil; r++ {
		f, err := runBooking(ctx, bo, db, stdout)
		if err != nil {
			return err
		}
		row := targetRow{run: r, measure: "burst 2,000 on 100 seats (req/s; floor stmt/s)", figure: f.rate, floor: f.baseRate, p99: f.p99, floorP99: f.baseP99}
		s.check(rep, &row, f.ok)
	}
	rep.criteria = []criterion{
		{label: "ratio", measure: "burst", value: rowRatio, limit: 0.50, atLeast: true},
		{label: "p99 ratio", measure: "burst", value: rowP99Ratio, limit: 1.5},
		memoryCriterion,
	}
	return nil
}

func opinionTarget(ctx context.Context, o targetOpts, s *scratch, rep *targetReport, stdout io.Writer) error {
	urls, err := s.serveTwo(ctx, "--demo")
	if err != nil {
		return err
	}
	// The floors get as many connections as the two servers' pools.
	oo := opinionOpts{urls: urls, voters: 500, perVoter: 2, mysql: s.dbURL, timeout: 60 * time.Second, baseConns: 20 * len(urls)}
	db, err := models.Open(ctx, s.dbURL, models.OpenOptions{MaxOpenConns: oo.baseConns})
	if err != nil {
		return err
	}
	defer models.Close(db)
	for r := 1; r <= o.runs && ctx.Err() == nil; r++ {
		for _, rate := range []float64{0, 500} {
			oo.rate, oo.skipBaseline = rate, rate > 0
			f, err := runOpinion(ctx, oo, db, stdout)
			if err != nil {
				return err
			}
			row := targetRow{run: r, measure: "saturated, 500×2 (filings/s; floor tx/s)", figure: f.rate, floor: f.bareRate, p99: f.p99, floorP99: f.bareP99}
			if rate > 0 {
				// The open-loop run has no floor of its own: its target is absolute.
				row.measure = "500 filings/s open loop (filings/s)"
			}
			s.check(rep, &row, f.ok)
		}
	}
	rep.criteria = []criterion{
		{label: "saturated ratio", measure: "saturated", value: rowRatio, limit: 0.50, atLeast: true},
		{label: "p99 at 500/s (ms)", measure: "500 filings", value: rowP99ms, limit: 200, strict: true},
		memoryCriterion,
	}
	return nil
}

func startupTarget(ctx context.Context, o targetOpts, s *scratch, rep *targetReport, stdout io.Writer) error {
	t0 := time.Now()
	if o.countyDB != "" {
		if err := copyDatabase(ctx, o.mysql, o.countyDB, s.dbName); err != nil {
			return fmt.Errorf("copy %s: %w", o.countyDB, err)
		}
		fmt.Fprintf(stdout, "copied %s (read only) in %s\n", o.countyDB, time.Since(t0).Round(time.Second))
	} else if err := countyCmd(ctx, flag.NewFlagSet("county", flag.ContinueOnError), []string{"--mysql", s.dbURL}, stdout); err != nil {
		return err
	}
	// One start on the county-year first: a copy may still have migrations
	// to run, which is an upgrade's cost, not a start-up's.
	warm, err := s.serve(ctx, "serve (migrate)", "--no-jobs")
	if err != nil {
		return err
	}
	warm.stop()
	s.servers = nil
	for r := 1; r <= o.runs && ctx.Err() == nil; r++ {
		p, err := s.serve(ctx, "serve", "--no-jobs")
		if err != nil {
			return err
		}
		fl, err := s.floor(ctx)
		if err != nil {
			return err
		}
		row := targetRow{run: r, measure: "start to first 200 from /readyz (ms; floor /healthz)",
			figure: ms64(p.started), floor: ms64(fl.started)}
		s.check(rep, &row)
		p.stop()
		fl.stop()
		s.servers, s.children = nil, nil
	}
	rep.criteria = []criterion{
		{label: "start (ms)", measure: "start", value: func(r targetRow) float64 { return r.figure }, limit: 1000, strict: true},
		memoryCriterion,
	}
	return nil
}

// copyDatabase copies a database into an empty one with mysqldump (a
// consistent read of the source, which it does not write) piped into mysql.
func copyDatabase(ctx context.Context, serverURL, from, to string) error {
	args, err := mysqlClientArgs(serverURL)
	if err != nil {
		return err
	}
	dump := exec.CommandContext(ctx, "mysqldump", append(args, "--single-transaction", "--skip-lock-tables", "--no-tablespaces", from)...)
	load := exec.CommandContext(ctx, "mysql", append(args, to)...)
	pipe, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	var dumpErr, loadErr bytes.Buffer
	dump.Stderr, load.Stdin, load.Stderr = &dumpErr, pipe, &loadErr
	if err := dump.Start(); err != nil {
		return err
	}
	if err := load.Run(); err != nil {
		_ = dump.Process.Kill()
		_ = dump.Wait()
		return fmt.Errorf("mysql: %w: %s", err, loadErr.String())
	}
	if err := dump.Wait(); err != nil {
		return fmt.Errorf("mysqldump: %w: %s", err, dumpErr.String())
	}
	return nil
}

// mysqlClientArgs turns mysql://user:pass@host:port into the command-line
// clients' connection flags.
func mysqlClientArgs(serverURL string) ([]string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "mysql" {
		return nil, fmt.Errorf("not a mysql:// URL: %q", serverURL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "3306"
	}
	args := []string{"--protocol=tcp", "-h", host, "-P", port}
	if u.User != nil {
		args = append(args, "-u", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			args = append(args, "-p"+pw)
		}
	}
	return args, nil
}

// outboxTarget drives TestOutboxDrainBenchmark (jobs): a `deputylink
// worker` cannot be given immediate retries without changing the
// production backoff, and the test already runs one worker's scheduler
// against the fake WeChat with them. The floor is the run's calls at the
// configured rate, computed by the test; the memory figure is the whole
// test process, fake WeChat included.
func outboxTarget(ctx context.Context, o targetOpts, rep *targetReport, stdout io.Writer) error {
	bin := o.outboxTest
	dir := "."
	if bin == "" {
		tmp, err := os.MkdirTemp("", "loadgen-outbox")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "jobs.test")
		fmt.Fprintln(stdout, "building the jobs test binary (go test -c ./jobs)…")
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./jobs")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go test -c ./jobs (run loadgen in the repository, or give --outbox-test): %w\n%s", err, out)
		}
		dir = "jobs"
	}
	for r := 1; r <= o.runs && ctx.Err() == nil; r++ {
		cmd := exec.CommandContext(ctx, bin, "-test.run", "^TestOutboxDrainBenchmark$", "-test.count=1", "-test.v", "-test.timeout=30m")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DEPUTYLINK_BENCH_OUTBOX="+strconv.Itoa(o.outboxN),
			"DEPUTYLINK_TEST_MYSQL="+o.mysql+"/mysql", "DEPUTYLINK_TEST_REDIS="+o.redis)
		out, err := cmd.CombinedOutput()
		res, perr := parseOutboxRun(out)
		if err != nil || perr != nil {
			return fmt.Errorf("run %d: %v %v\n%s", r, err, perr, out)
		}
		fmt.Fprintf(stdout, "run %d: drained in %s, floor %s, %d delivered twice, %d calls repeated, VmHWM %.1f MB\n",
			r, res.drain, res.floor, res.twice, res.repeated, res.peakMB)
		row := targetRow{run: r, measure: fmt.Sprintf("drain %d notices, 20%% failing (s)", o.outboxN),
			figure: res.drain.Seconds(), floor: res.floor.Seconds(),
			rss: []procRSS{{"jobs.test (fake WeChat included)", res.peakMB}}}
		if res.twice+res.repeated > 0 {
			row.note = "DUPLICATES"
			rep.broken = append(rep.broken, fmt.Errorf("outbox run %d: %d delivered twice, %d calls repeated", r, res.twice, res.repeated))
		}
		rep.rows = append(rep.rows, row)
	}
	rep.criteria = []criterion{
		{label: "drain ratio", measure: "drain", value: rowRatio, limit: 1.1},
		memoryCriterion,
	}
	return nil
}

type outboxRun struct {
	drain, floor    time.Duration
	twice, repeated int
	peakMB          float64
}

var (
	reDrain = regexp.MustCompile(`time to drain\s+(\S+)`)
	reFloor = regexp.MustCompile(`rate-limit floor\s+(\S+)`)
	reDups  = regexp.MustCompile(`duplicates\s+(\d+) delivered twice, (\d+) calls repeated`)
	reHWM   = regexp.MustCompile(`peak RSS \(VmHWM\)\s+(\d+) kB`)
)

// parseOutboxRun reads TestOutboxDrainBenchmark's report.
func parseOutboxRun(out []byte) (outboxRun, error) {
	var r outboxRun
	var err error
	m := reDrain.FindSubmatch(out)
	f := reFloor.FindSubmatch(out)
	d := reDups.FindSubmatch(out)
	if m == nil || f == nil || d == nil {
		return r, errors.New("no report in the test's output")
	}
	if r.drain, err = time.ParseDuration(string(m[1])); err != nil {
		return r, err
	}
	if r.floor, err = time.ParseDuration(string(f[1])); err != nil {
		return r, err
	}
	r.twice, _ = strconv.Atoi(string(d[1]))
	r.repeated, _ = strconv.Atoi(string(d[2]))
	if h := reHWM.FindSubmatch(out); h != nil {
		kb, _ := strconv.ParseFloat(string(h[1]), 64)
		r.peakMB = kb / 1024
	}
	return r, nil
}

func mustDSN(dbURL string) string {
	dsn, err := models.MySQLDSN(dbURL)
	if err != nil {
		panic(err)
	}
	return dsn
}

func ms64(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ---- the report ----

type procRSS struct {
	name string
	mb   float64
}

// targetRow is one measurement of one run beside its floor (floor 0: none).
type targetRow struct {
	run           int
	measure       string
	figure, floor float64
	p99, floorP99 time.Duration
	rss           []procRSS
	note          string
}

func (r targetRow) ratio() float64 {
	if r.floor == 0 {
		return 0
	}
	return r.figure / r.floor
}

func rowRatio(r targetRow) float64 { return r.ratio() }

func rowP99ms(r targetRow) float64 { return ms64(r.p99) }

func rowP99Ratio(r targetRow) float64 {
	if r.floorP99 == 0 {
		return 0
	}
	return float64(r.p99) / float64(r.floorP99)
}

// criterion is one target: the median over the runs of value on the rows
// whose measure starts with measure, against limit.
type criterion struct {
	label   string
	measure string
	value   func(targetRow) float64
	limit   float64
	atLeast bool // value ≥ limit; else value ≤ limit (or < when strict)
	strict  bool
	// maxRSS: judge the largest peak RSS of any process in any run.
	maxRSS bool
}

var memoryCriterion = criterion{label: "peak RSS max (MB)", maxRSS: true, limit: rssLimitMB, strict: true}

// judge returns the aggregated value, and whether the target is met; ok is
// false when no row was measured.
func (c criterion) judge(rows []targetRow) (v float64, met, ok bool) {
	var vals []float64
	for _, r := range rows {
		if c.maxRSS {
			for _, p := range r.rss {
				vals = append(vals, p.mb)
			}
		} else if strings.HasPrefix(r.measure, c.measure) {
			vals = append(vals, c.value(r))
		}
	}
	if len(vals) == 0 {
		return 0, false, false
	}
	if c.maxRSS {
		v = slices.Max(vals)
	} else {
		v = median(vals)
	}
	switch {
	case c.atLeast:
		met = v >= c.limit
	case c.strict:
		met = v < c.limit
	default:
		met = v <= c.limit
	}
	return v, met, true
}

func (c criterion) String(rows []targetRow) string {
	v, met, ok := c.judge(rows)
	if !ok {
		return c.label + ": not measured"
	}
	op := "≤"
	switch {
	case c.atLeast:
		op = "≥"
	case c.strict:
		op = "<"
	}
	agg := "median"
	if c.maxRSS {
		agg = ""
	} else {
		agg = " " + agg
	}
	verdict := "MISSED"
	if met {
		verdict = "MET"
	}
	return fmt.Sprintf("%s%s %s %s %s %s", c.label, agg, fmtNum(v), op, fmtNum(c.limit), verdict)
}

// median is the middle value (the mean of the two middle ones for an even
// count); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

type targetReport struct {
	name     string
	rows     []targetRow
	criteria []criterion
	broken   []error
}

func (t *targetReport) verdict() string {
	parts := make([]string, len(t.criteria))
	for i, c := range t.criteria {
		parts[i] = c.String(t.rows)
	}
	line := t.name + ": " + strings.Join(parts, "; ")
	if len(t.criteria) == 0 {
		line = t.name + ": not measured (see the error)"
	}
	if len(t.broken) > 0 {
		line += fmt.Sprintf("; %d GUARANTEE(S) BROKEN", len(t.broken))
	}
	return line
}

func (t *targetReport) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s:\n", t.name)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tmeasure\tfigure\tfloor\tratio\tp99\tfloor p99\tp99 ratio\tpeak RSS\tnote")
	for _, r := range t.rows {
		var rss []string
		for _, p := range r.rss {
			rss = append(rss, fmt.Sprintf("%s %.1f MB", p.name, p.mb))
		}
		dash := func(v float64, s string) string {
			if v == 0 {
				return "–"
			}
			return s
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.run, r.measure, fmtNum(r.figure),
			dash(r.floor, fmtNum(r.floor)), dash(r.ratio(), fmtNum(r.ratio())),
			dash(float64(r.p99), ms(r.p99)), dash(float64(r.floorP99), ms(r.floorP99)),
			dash(rowP99Ratio(r), fmtNum(rowP99Ratio(r))), strings.Join(rss, ", "), r.note)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, t.verdict())
}
