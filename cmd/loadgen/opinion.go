package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	fs.BoolVar(&o.skipBaseline, "no-baseline", false, "skip the numbered-insert baseline")
	if err := fs.Parse(args); err != nil || o.voters < 1 || o.perVoter < 1 || o.mysql == "" || o.baseConns < 1 {
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
	run := randomHex(4)
	station, clerkOpenID, err := createOpinionStation(ctx, db, run)
	if err != nil {
		return fmt.Errorf("set up the station: %w", err)
	}
	fmt.Fprintf(stdout, "opinion load %s: %d voters × %d filings at station %d via %s\n",
		run, o.voters, o.perVoter, station, strings.Join(o.urls, ", "))

	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{
		MaxIdleConns: o.voters + 100, MaxIdleConnsPerHost: o.voters + 100, IdleConnTimeout: 5 * time.Minute,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	voters, err := loginVoters(ctx, client, bookingOpts{urls: o.urls, voters: o.voters, loginConc: 64}, run, stdout)
	if err != nil {
		return err
	}
	// Every voter opens its connection first, so the run measures filing.
	burst(len(voters), func(i int) { voters[i].call(client, "GET", "/api/v1/opinions", "", "") })

	type result struct {
		lat     time.Duration
		outcome string
	}
	res := make([][]result, len(voters))
	start := time.Now()
	burst(len(voters), func(i int) {
		for k := range o.perVoter {
			body := fmt.Sprintf(`{"content":"压测意见 %s：第%d位群众反映小区路灯不亮，第%d次提交。","category":"shenghuo","station_id":%d}`,
				run, i, k, station)
			t0 := time.Now()
			st, raw := voters[i].call(client, "POST", "/api/v1/opinions", body, fmt.Sprintf("lo-%s-%d-%d", run, i, k))
			out := "filed"
			if st != http.StatusCreated {
				out = outcomeOf(st, raw)
			}
			res[i] = append(res[i], result{time.Since(t0), out})
		}
	})
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
	ok, err := checkOpinions(ctx, db, station, clerkOpenID, filed, stdout)
	if err != nil {
		return err
	}
	if !o.skipBaseline {
		if err := numberedBaseline(ctx, db, len(lats), o.baseConns, run, float64(filed)/wall.Seconds(), stdout); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	if !ok || filed != len(lats) {
		return errors.New("the run broke a filing guarantee (see above)")
	}
	return nil
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

// numberedBaseline is the floor of a filing: every filing of a day takes
// the day's next tracking number from one counter row, which stays locked
// until its transaction commits, so filings commit one after another. The
// baseline runs n bare transactions of that shape (upsert one counter row,
// insert one row, commit) from n clients over conns connections of the
// same MariaDB, in the same run.
func numberedBaseline(ctx context.Context, db *gorm.DB, n, conns int, run string, filingRate float64, stdout io.Writer) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	counter, rows := "loadgen_counter_"+run, "loadgen_rows_"+run
	for _, ddl := range []string{
		"CREATE TABLE " + counter + " (day CHAR(8) PRIMARY KEY, seq INT NOT NULL) ENGINE=InnoDB",
		"CREATE TABLE " + rows + " (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, seq INT NOT NULL) ENGINE=InnoDB",
	} {
		if _, err := sqlDB.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	defer func() { _, _ = sqlDB.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+counter+", "+rows) }()
	burst(conns, func(int) { _ = sqlDB.PingContext(ctx) })
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
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+counter+" (day, seq) VALUES ('20260101', 1) ON DUPLICATE KEY UPDATE seq = seq + 1"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+rows+" (seq) SELECT seq FROM "+counter+" WHERE day = '20260101'"); err != nil {
				return err
			}
			return tx.Commit()
		}()
		lats[i] = time.Since(t0)
	})
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	rate := float64(n) / wall.Seconds()
	fmt.Fprintf(stdout, "baseline: bare numbered insert (upsert one counter row + insert + commit), %d clients over %d connections: %s = %.0f tx/s\n",
		n, conns, wall.Round(time.Millisecond), rate)
	fmt.Fprintf(stdout, "baseline latency: %s\n", percentiles(lats))
	fmt.Fprintf(stdout, "filing rate / baseline rate = %.1f%%\n", 100*filingRate/rate)
	return nil
}
