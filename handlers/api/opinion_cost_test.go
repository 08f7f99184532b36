package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// What one filing costs through the real router (docs/BENCHMARKS.md,
// "Issue 18, opinion filing"): the SQL statements it sends and, in the
// benchmark, its allocations. The county is the demo one with the clerk of
// 东门社区代表联络站 bound to the official account, so every filing queues
// one staff notice, as in `loadgen opinion`.

// sqlRecorder records the SQL text of every statement gorm runs on a
// database while it is on. Transactions' BEGIN and COMMIT do not pass
// through gorm's callbacks; on MySQL the test also counts every statement
// the server received (its Questions status).
type sqlRecorder struct {
	mu    sync.Mutex
	on    bool
	stmts []string
	// countOnly keeps no text, so that a benchmark's allocations are the
	// filing's.
	countOnly bool
	n         int
}

func recordSQL(tb testing.TB, db *gorm.DB) *sqlRecorder {
	r := &sqlRecorder{}
	rec := func(tx *gorm.DB) {
		r.mu.Lock()
		defer r.mu.Unlock()
		// A subquery is built in a dry run and sent within its statement.
		if r.on && !tx.DryRun && tx.Statement.SQL.Len() > 0 {
			r.n++
			if r.countOnly {
				return
			}
			sql := tx.Dialector.Explain(tx.Statement.SQL.String(), tx.Statement.Vars...)
			if r := []rune(sql); len(r) > 140 {
				sql = string(r[:140]) + "…"
			}
			r.stmts = append(r.stmts, sql)
		}
	}
	cb := db.Callback()
	must(tb, cb.Create().After("gorm:create").Register("test:record", rec))
	must(tb, cb.Query().After("gorm:query").Register("test:record", rec))
	must(tb, cb.Update().After("gorm:update").Register("test:record", rec))
	must(tb, cb.Delete().After("gorm:delete").Register("test:record", rec))
	must(tb, cb.Row().After("gorm:row").Register("test:record", rec))
	must(tb, cb.Raw().After("gorm:raw").Register("test:record", rec))
	return r
}

func (r *sqlRecorder) start() {
	r.mu.Lock()
	r.on, r.stmts, r.n = true, nil, 0
	r.mu.Unlock()
}

func (r *sqlRecorder) stop() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.stmts
}

// filingRig is the router over the demo county, a signed-in voter and the
// body of a filing at 东门社区代表联络站.
type filingRig struct {
	db      *gorm.DB
	router  http.Handler
	token   string
	station uint64
}

func newFilingRig(tb testing.TB) *filingRig {
	tb.Helper()
	fake, rd, wc := newOpinionWeChat(tb)
	notify, err := config.LoadOpinionNotify(func(k string) string { return opEnvVars[k] })
	must(tb, err)
	db := modelstest.NewDB(tb)
	if _, err := models.LoadDemo(tb.Context(), db); err != nil {
		tb.Fatal(err)
	}
	var east models.Station
	must(tb, db.Where("name = ?", "东门社区代表联络站").First(&east).Error)
	must(tb, db.Model(&models.Staff{}).Where("name = ?", "章佳怡").Update("oa_openid", "oClerkBench").Error)
	router := handlers.NewRouter(handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 64 << 10,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) },
		MP:  wc, DataDir: tb.TempDir(), Location: opLoc,
		Routes:        &models.RouteWorldCache{TTL: time.Hour},
		OpinionNotify: notify,
	})
	fake.AddLoginCode("login-bench", "oVoterBench", "")
	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(`{"code":"login-bench"}`)))
	var s struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || s.Token == "" {
		tb.Fatalf("login: %d %s", w.Code, w.Body)
	}
	return &filingRig{db: db, router: router, token: s.Token, station: east.ID}
}

// file sends filing i (with an Idempotency-Key) and fails unless it is 201.
func (r *filingRig) file(tb testing.TB, i int) {
	body := fmt.Sprintf(`{"content":"第%d条：东门菜市场门口的路灯坏了一个多月，晚上很不安全。","category":"shenghuo","station_id":%d}`, i, r.station)
	req := httptest.NewRequest("POST", "/api/v1/opinions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
	w := httptest.NewRecorder()
	r.router.ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		tb.Fatalf("filing %d: %d %s", i, w.Code, w.Body)
	}
}

// questions is the MySQL session's count of statements received; the pool
// must have one connection so the session is the filings'.
func questions(tb testing.TB, db *gorm.DB) int64 {
	var name string
	var n int64
	must(tb, db.Raw("SHOW SESSION STATUS LIKE 'Questions'").Row().Scan(&name, &n))
	return n
}

// TestOpinionFilingStatements lists the statements of one filing (run with
// -v to see them) and holds the count down: a filing whose number comes
// from the process's block, with the routing world and the calendar
// cached, sends this many statements, BEGIN and COMMIT included.
func TestOpinionFilingStatements(t *testing.T) {
	r := newFilingRig(t)
	mysql := models.DialectOf(r.db) == models.MySQL
	if mysql {
		sqlDB, err := r.db.DB()
		must(t, err)
		sqlDB.SetMaxOpenConns(1)
	}
	rec := recordSQL(t, r.db)
	r.file(t, 0) // loads the caches and reserves a block of numbers
	var before int64
	if mysql {
		before = questions(t, r.db)
	}
	rec.start()
	r.file(t, 1)
	stmts := rec.stop()
	for i, s := range stmts {
		t.Logf("%2d %s", i+1, s)
	}
	const want = 8 // with BEGIN and COMMIT
	if mysql {
		sent := questions(t, r.db) - before - 1 // not the SHOW itself
		t.Logf("MySQL received %d statements (gorm ran %d; the rest are BEGIN/COMMIT)", sent, len(stmts))
		if sent > want {
			t.Errorf("a filing sent %d statements, want at most %d", sent, want)
		}
	} else if len(stmts)+2 > want {
		t.Errorf("a filing ran %d statements and BEGIN/COMMIT, want at most %d", len(stmts), want)
	}
	var n int64
	must(t, r.db.Model(&models.Notification{}).Where("to_user = ?", "oClerkBench").Count(&n).Error)
	if n != 2 {
		t.Errorf("staff notices = %d, want one per filing", n)
	}
}

// BenchmarkOpinionFiling files through the real router (photo-less, with
// an Idempotency-Key, one staff notice each) and reports allocations and
// the statements gorm ran per filing.
func BenchmarkOpinionFiling(b *testing.B) {
	r := newFilingRig(b)
	rec := recordSQL(b, r.db)
	rec.countOnly = true
	r.file(b, -1)
	b.ReportAllocs()
	rec.start()
	i := 0
	for b.Loop() {
		r.file(b, i)
		i++
	}
	rec.stop()
	b.ReportMetric(float64(rec.n)/float64(i), "stmts/op")
}
