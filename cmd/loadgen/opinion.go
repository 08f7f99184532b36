package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

type opinionOpts struct {
	urls         []string
	voters       int
	perVoter     int
	mysql        string
	timeout      time.Duration
	baseConns    int
	skipBaseline bool
	rate         float64
}

// opinionCmd is the opinion-filing load: N logged-in voters each file
// --per-voter opinions one after another, all voters at once, at a station
// made for the run whose one clerk is bound to the official account. Every
// filing must queue exactly one notification (to that clerk) in its own
// transaction; the database is checked after the run.
func opinionCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var o opinionOpts
	urls := fs.String("url", "http://127.0.0.1:8080", "deputylink base URL(s), comma-separated: voters are spread over them")
	fs.IntVar(&o.voters, "voters", 500, "voters filing at once")
	fs.IntVar(&o.perVoter, "per-voter", 2, "opinions each voter files, one after another (the per-voter limit is 10 a minute)")
	fs.StringVar(&o.mysql, "mysql", "", "the server's database, mysql://user:pass@127.0.0.1:3306/db: sets up the station and checks the result")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "per-request timeout")
	fs.IntVar(&o.baseConns, "baseline-conns", 20, "database connections of the baseline (the server's pool is 20)")
	fs.BoolVar(&o.skipBaseline, "no-baseline", false, "skip the floors")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: send the voters×per-voter filings at this many a second, each on its own schedule (0: every voter files at once, one after another)")
	if err := fs.Parse(args); err != nil || o.voters < 1 || o.perVoter < 1 || o.mysql == "" || o.baseConns < 1 || o.rate < 0 {
		return errUsage
	}
	var err error
	if o.urls, err = baseURLs(*urls); err != nil {
		return err
	}
	if u, err := url.Parse(o.mysql); err != nil || u.Scheme != "mysql" || loopback(hostWithPort(u.Host, "3306")) != nil {
		return fmt.Errorf("--mysql must be a mysql:// URL on this machine")
	}
	db, err := models.Open(ctx, o.mysql, models.OpenOptions{MaxOpenConns: o.baseConns})
	if err != nil {
		return err
	}
	defer models.Close(db)
	f, err := runOpinion(ctx, o, db, stdout)
	if err != nil {
		return err
	}
	if !f.ok {
		return errors.New("the run broke a filing guarantee (see above)")
	}
	return nil
}

// opinionFigures is one filing run beside its floors (0 when not measured).
type opinionFigures struct {
	rate, bareRate, numberedRate float64
	p99, bareP99                 time.Duration
	// ok: every filing got through, with a unique number and one notice.
	ok bool
}

// runOpinion is one filing run at a station made for it, the database
// checked, then the floors (unless o.skipBaseline).
func runOpinion(ctx context.Context, o opinionOpts, db *gorm.DB, stdout io.Writer) (opinionFigures, error) {
	var f opinionFigures
	run := randomHex(4)
	station, clerkOpenID, err := createOpinionStation(ctx, db, run)
	if err != nil {
		return f, fmt.Errorf("set up the station: %w", err)
	}
	fmt.Fprintf(stdout, "opinion load %s: %d voters × %d filings at station %d via %s\n",
		run, o.voters, o.perVoter, station, strings.Join(o.urls, ", "))

	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{
		MaxIdleConns: o.voters + 100, MaxIdleConnsPerHost: o.voters + 100, IdleConnTimeout: 5 * time.Minute,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	defer client.CloseIdleConnections()
	voters, err := loginVoters(ctx, client, bookingOpts{urls: o.urls, voters: o.voters, loginConc: 64}, run, stdout)
	if err != nil {
		return f, err
	}
	// Every voter opens its connection first, so the run measures filing.
	burst(len(voters), func(i int) { voters[i].call(client, "GET", "/api/v1/opinions", "", "") })

	type result struct {
		lat     time.Duration
		outcome string
	}
	res := make([][]result, len(voters))
	file := func(i, k int, t0 time.Time) result {
		body := fmt.Sprintf(`{"content":"压测意见 %s：第%d位群众反映小区路灯不亮，第%d次提交。","category":"shenghuo","station_id":%d}`,
			run, i, k, station)
		st, raw := voters[i].call(client, "POST", "/api/v1/opinions", body, fmt.Sprintf("lo-%s-%d-%d", run, i, k))
		out := "filed"
		if st != http.StatusCreated {
			out = outcomeOf(st, raw)
		}
		return result{time.Since(t0), out}
	}
	start := time.Now()
	if o.rate > 0 {
		// Open loop: filing j is due at start+j/rate and its latency counts
		// from then, so a slow server cannot slow the offered load down.
		total := len(voters) * o.perVoter
		for i := range res {
			res[i] = make([]result, o.perVoter)
		}
		var wg sync.WaitGroup
		for j := range total {
			due := start.Add(time.Duration(float64(j) / o.rate * float64(time.Second)))
			time.Sleep(time.Until(due))
			wg.Go(func() { res[j%len(voters)][j/len(voters)] = file(j%len(voters), j/len(voters), due) })
		}
		wg.Wait()
	} else {
		burst(len(voters), func(i int) {
			for k := range o.perVoter {
				res[i] = append(res[i], file(i, k, time.Now()))
			}
		})
	}
	wall := time.Since(start)
	var lats []time.Duration
	counts := map[string]int{}
	for _, rs := range res {
		for _, r := range rs {
			lats = append(lats, r.lat)
			counts[r.outcome]++
		}
	}
	filed := counts["filed"]
	fmt.Fprintf(stdout, "filings: %d of %d in %s = %.0f filings/s; other outcomes %v\n",
		filed, len(lats), wall.Round(time.Millisecond), float64(filed)/wall.Seconds(), otherFilings(counts))
	fmt.Fprintf(stdout, "latency: %s\n", percentiles(lats))
	f.rate, f.p99 = float64(filed)/wall.Seconds(), quantile(lats, .99)
	ok, err := checkOpinions(ctx, db, station, clerkOpenID, filed, stdout)
	if err != nil {
		return f, err
	}
	f.ok = ok && filed == len(lats)
	if !o.skipBaseline {
		if f.bareRate, f.bareP99, f.numberedRate, err = filingFloors(ctx, db, len(lats), o.baseConns, run, f.rate, stdout); err != nil {
			return f, fmt.Errorf("baseline: %w", err)
		}
	}
	return f, nil
}

func otherFilings(counts map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range counts {
		if k != "filed" {
			out[k] = n
		}
	}
	return out
}

// createOpinionStation writes a station of its own for the run with one
// clerk bound to the official account, and makes sure the category exists
// (a server started with --demo has it).
func createOpinionStation(ctx context.Context, db *gorm.DB, run string) (uint64, string, error) {
	openid := "oLgClerk" + run
	var station uint64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cat := models.Category{Code: "shenghuo", Name: "生活服务", Hint: "loadgen", AcceptDays: 2, ReplyDays: 15, SortOrder: 10}
		if err := tx.Where("code = ?", cat.Code).FirstOrCreate(&cat).Error; err != nil {
			return err
		}
		st := models.Station{Kind: models.KindStation, Name: "压测意见联络站 " + run, Address: "loadgen", District: "loadgen"}
		if err := tx.Create(&st).Error; err != nil {
			return err
		}
		clerk := models.Staff{Name: "压测联络员", Role: models.RoleClerk, OAOpenID: &openid, Active: true, Stations: []models.Station{st}}
		if err := tx.Create(&clerk).Error; err != nil {
			return err
		}
		station = st.ID
		return nil
	})
	return station, openid, err
}

// checkOpinions checks the database after the run: one opinion per
// successful filing, unique tracking numbers, and exactly one queued
// notification per opinion, to the station's clerk.
func checkOpinions(ctx context.Context, db *gorm.DB, station uint64, clerk string, filed int, stdout io.Writer) (bool, error) {
	db = db.WithContext(ctx)
	var ops, numbers, notes, distinctNotes int64
	if err := db.Model(&models.Opinion{}).Where("station_id = ?", station).Count(&ops).Error; err != nil {
		return false, err
	}
	if err := db.Model(&models.Opinion{}).Where("station_id = ?", station).Distinct("tracking_no").Count(&numbers).Error; err != nil {
		return false, err
	}
	q := db.Model(&models.Notification{}).Where("to_user = ? AND dedupe_key LIKE ?", clerk, "opinion:%:new:%")
	if err := q.Count(&notes).Error; err != nil {
		return false, err
	}
	err := db.Raw(`SELECT COUNT(DISTINCT n.id) FROM notifications n JOIN opinions o
		ON n.dedupe_key LIKE CONCAT('opinion:', o.id, ':new:%') WHERE o.station_id = ? AND n.to_user = ?`, station, clerk).
		Scan(&distinctNotes).Error
	if err != nil {
		return false, err
	}
	ok := ops == int64(filed) && numbers == ops && notes == ops && distinctNotes == ops
	verdict := "OK"
	if !ok {
		verdict = "BROKEN"
	}
	fmt.Fprintf(stdout, "database: opinions=%d (filed %d), distinct tracking numbers=%d, notifications queued=%d (one per opinion: %d) → %s\n",
		ops, filed, numbers, notes, distinctNotes, verdict)
	return ok, nil
}

// The floors of a filing, run after the load on the same MariaDB with n
// transactions from n clients over conns connections.
//   - bare (issue 18's floor): insert one opinion-like row and its
//     outbox row in one transaction, no counter: what any filing must do.
//   - numbered (the earlier floor): upsert the day's one counter row, insert
//     one row, commit; every transaction queues on the counter row.
//
// It returns the bare floor's rate and p99, and the numbered floor's rate.
func filingFloors(ctx context.Context, db *gorm.DB, n, conns int, run string, filingRate float64, stdout io.Writer) (bare float64, bareP99 time.Duration, numbered float64, err error) {
	sqlDB, err := db.DB()
	if err != nil {
		return 0, 0, 0, err
	}
	burst(conns, func(int) { _ = sqlDB.PingContext(ctx) })
	ops, outbox := "loadgen_ops_"+run, "loadgen_outbox_"+run
	bareFloor := txFloor{
		name: "bare filing (insert an opinion row + its outbox row + commit, no counter)",
		ddl: []string{
			"CREATE TABLE " + ops + " (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, tracking_no VARCHAR(24) NOT NULL UNIQUE, content VARCHAR(2000) NOT NULL) ENGINE=InnoDB",
			"CREATE TABLE " + outbox + " (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, dedupe_key VARCHAR(190) NOT NULL UNIQUE, fields TEXT NOT NULL) ENGINE=InnoDB",
		},
		drop: "DROP TABLE " + ops + ", " + outbox,
		body: func(tx *sql.Tx, i int) error {
			res, err := tx.ExecContext(ctx, "INSERT INTO "+ops+" (tracking_no, content) VALUES (?, ?)",
				fmt.Sprintf("YJ20260101-%06d", i), "压测意见：群众反映小区路灯不亮，晚上出行不方便。")
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO "+outbox+" (dedupe_key, fields) VALUES (?, ?)",
				fmt.Sprintf("opinion:%d:new:1", id), `{"no":"YJ20260101-0001"}`)
			return err
		},
	}
	counter, rows := "loadgen_counter_"+run, "loadgen_rows_"+run
	numberedFloor := txFloor{
		name: "bare numbered insert (upsert one counter row + insert + commit)",
		ddl: []string{
			"CREATE TABLE " + counter + " (day CHAR(8) PRIMARY KEY, seq INT NOT NULL) ENGINE=InnoDB",
			"CREATE TABLE " + rows + " (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, seq INT NOT NULL) ENGINE=InnoDB",
		},
		drop: "DROP TABLE " + counter + ", " + rows,
		body: func(tx *sql.Tx, _ int) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+counter+" (day, seq) VALUES ('20260101', 1) ON DUPLICATE KEY UPDATE seq = seq + 1"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO "+rows+" (seq) SELECT seq FROM "+counter+" WHERE day = '20260101'")
			return err
		},
	}
	var rates [2]float64
	for k, f := range []txFloor{bareFloor, numberedFloor} {
		rate, p99, err := f.run(ctx, sqlDB, n, conns, stdout)
		if err != nil {
			return 0, 0, 0, err
		}
		if k == 0 {
			bareP99 = p99
		}
		rates[k] = rate
		fmt.Fprintf(stdout, "filing rate / %s floor = %.1f%%\n", strings.Fields(f.name)[1], 100*filingRate/rate)
	}
	return rates[0], bareP99, rates[1], nil
}

// txFloor is one floor: tables made for it, and the body of each of its
// transactions.
type txFloor struct {
	name string
	ddl  []string
	drop string
	body func(tx *sql.Tx, i int) error
}

// run makes the tables, runs n transactions at once and prints their rate
// and latency.
func (f txFloor) run(ctx context.Context, sqlDB *sql.DB, n, conns int, stdout io.Writer) (float64, time.Duration, error) {
	for _, ddl := range f.ddl {
		if _, err := sqlDB.ExecContext(ctx, ddl); err != nil {
			return 0, 0, err
		}
	}
	defer func() { _, _ = sqlDB.ExecContext(context.WithoutCancel(ctx), f.drop) }()
	lats := make([]time.Duration, n)
	errs := make([]error, n)
	start := time.Now()
	burst(n, func(i int) {
		t0 := time.Now()
		errs[i] = func() error {
			tx, err := sqlDB.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			if err := f.body(tx, i); err != nil {
				return err
			}
			return tx.Commit()
		}()
		lats[i] = time.Since(t0)
	})
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	rate := float64(n) / wall.Seconds()
	fmt.Fprintf(stdout, "floor: %s, %d clients over %d connections: %s = %.0f tx/s\n",
		f.name, n, conns, wall.Round(time.Millisecond), rate)
	fmt.Fprintf(stdout, "floor latency: %s\n", percentiles(lats))
	return rate, quantile(lats, .99), nil
}
