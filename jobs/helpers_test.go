package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// Paths of the fake's send endpoints.
const (
	templatePath  = "/cgi-bin/message/template/send"
	subscribePath = "/cgi-bin/message/subscribe/send"
)

// env is one test's database, Redis, fake WeChat and WeChat client.
//
// wechat.New points the process-wide HTTP client at this test's fake, so
// tests in this package never run in parallel.
type env struct {
	db    *gorm.DB
	fake  *wechattest.Server
	redis *wechattest.TestRedis
	wc    *wechat.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{db: modelstest.NewDB(t), fake: wechattest.New(), redis: wechattest.NewRedis(t)}
	t.Cleanup(e.fake.Close)
	e.fake.SetFollowAll(true)
	wc, err := wechat.New(wechat.Config{
		OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: e.fake.URL(), HTTPTimeout: 5 * time.Second, KeyPrefix: e.redis.Prefix,
	}, e.redis.Client, nil)
	if err != nil {
		t.Fatalf("wechat client: %v", err)
	}
	e.wc = wc
	return e
}

// deps returns Deps wired to the environment with opt.
func (e *env) deps(t testing.TB, opt Options) Deps {
	return Deps{
		DB: e.db, Redis: e.redis.Client, Prefix: e.redis.Prefix, WeChat: e.wc,
		Log: testLogger(t), Opt: opt,
	}
}

// testLogger logs warnings and errors to stderr (t.Log panics if a
// goroutine logs after the test ended; the jobs here always end first).
func testLogger(testing.TB) *slog.Logger {
	level := slog.LevelError
	if os.Getenv("DEPUTYLINK_TEST_VERBOSE") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// enqueueTemplates writes n template notifications in one transaction per
// 500 rows and returns their ids.
func enqueueTemplates(t testing.TB, db *gorm.DB, n int, prefix string, now time.Time) []uint64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]uint64, 0, n)
	for start := 0; start < n; start += 500 {
		err := db.Transaction(func(tx *gorm.DB) error {
			for i := start; i < min(n, start+500); i++ {
				id, created, err := models.Enqueue(ctx, tx, models.NotificationInput{
					Channel: models.ChannelTemplate, ToUser: fmt.Sprintf("oStaff%04d", i%97),
					TemplateID: "tplAlert", Fields: map[string]string{"thing1": "新的意见", "number2": fmt.Sprint(i)},
					DedupeKey: fmt.Sprintf("%s:%d", prefix, i),
				}, now)
				if err != nil {
					return err
				}
				if !created {
					return fmt.Errorf("row %d not created", i)
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	return ids
}

// drainRacing runs four dispatchers at once until n notifications are sent
// (or a minute passes: the caller then finds some unsent).
func drainRacing(t testing.TB, d Deps, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	allSent := func() bool { return statusCounts(t, d.DB)[models.NotifySent] == n }
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil && !allSent() {
				if _, err := Dispatch(ctx, d, time.Now()); err != nil {
					t.Errorf("dispatch: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// statusCounts returns the outbox rows per status.
func statusCounts(t testing.TB, db *gorm.DB) map[models.NotifyStatus]int64 {
	t.Helper()
	c, err := models.CountNotifications(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendStats summarises the fake's template traffic per client_msg_id.
type sendStats struct {
	calls, failedCalls int
	// okCalls counts the calls WeChat accepted per client_msg_id (a repeat
	// inside the 10-minute window is accepted but not delivered again).
	okCalls map[string]int
	// delivered counts deliveries per client_msg_id.
	delivered map[string]int
	msgID     map[string]int64
}

func templateStats(t testing.TB, fake *wechattest.Server) sendStats {
	t.Helper()
	s := sendStats{okCalls: map[string]int{}, delivered: map[string]int{}, msgID: map[string]int64{}}
	for _, c := range fake.Calls(templatePath) {
		s.calls++
		if c.ErrCode != 0 || c.HTTPStatus != 200 {
			s.failedCalls++
			continue
		}
		var body struct {
			ClientMsgID string `json:"client_msg_id"`
		}
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatalf("template call body: %v", err)
		}
		s.okCalls[body.ClientMsgID]++
	}
	for _, d := range fake.Templates() {
		s.delivered[d.ClientMsgID]++
		s.msgID[d.ClientMsgID] = d.MsgID
	}
	return s
}

// checkExactlyOnce fails unless every id was delivered exactly once and
// nothing else was delivered.
func (s sendStats) checkExactlyOnce(t testing.TB, ids []uint64) {
	t.Helper()
	if len(s.delivered) != len(ids) {
		t.Errorf("%d distinct client_msg_ids delivered, want %d", len(s.delivered), len(ids))
	}
	dups := 0
	for _, id := range ids {
		key := fmt.Sprint(id)
		if n := s.delivered[key]; n != 1 {
			if dups++; dups <= 5 {
				t.Errorf("notification %s delivered %d times", key, n)
			}
		}
	}
	if dups > 0 {
		t.Errorf("%d notifications not delivered exactly once", dups)
	}
}

// until polls cond every 10 ms until it holds or d passes.
func until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
