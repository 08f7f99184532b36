package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/wechat"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDispatchExactlyOnceUnderFailures drains 1,000 notifications through
// a fake WeChat failing 20% of calls with four dispatchers racing each
// other: every notification must be delivered once, and WeChat must have
// accepted exactly one call per notification (so the fake's client_msg_id
// de-duplication was never needed). It runs with immediate retries and
// with retries due 30 ms later, which each run waits for (untilNextDue)
// while the other three keep claiming.
func TestDispatchExactlyOnceUnderFailures(t *testing.T) {
	for _, retry := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(fmt.Sprintf("retry=%v", retry), func(t *testing.T) { dispatchRacingUnderFailures(t, retry) })
	}
}

func dispatchRacingUnderFailures(t *testing.T, retry time.Duration) {
	e := newEnv(t)
	const n = 1000
	ids := enqueueTemplates(t, e.db, n, "load", time.Now())
	e.fake.Seed(20)
	e.fake.FailRate(0.2)
	reg := prometheus.NewRegistry()
	d := e.deps(t, Options{SendRate: 5000, MaxAttempts: 50, Batch: 40, Lease: 30 * time.Second,
		RetryDelay: func(int) time.Duration { return retry }})
	d.Metrics = NewMetrics(reg)

	drainRacing(t, d, n)
	counts := statusCounts(t, e.db)
	if counts[models.NotifySent] != n || counts[models.NotifyDead]+counts[models.NotifyFailed]+counts[models.NotifySending] != 0 {
		t.Fatalf("statuses = %v", counts)
	}
	st := templateStats(t, e.fake)
	st.checkExactlyOnce(t, ids)
	for id, c := range st.okCalls {
		if c != 1 {
			t.Errorf("WeChat accepted %d calls for client_msg_id %s", c, id)
		}
	}
	if st.failedCalls < st.calls/10 || st.failedCalls > st.calls*3/10 {
		t.Errorf("%d of %d calls failed; the fake should fail about 20%%", st.failedCalls, st.calls)
	}
	var rows []models.Notification
	if err := e.db.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if want := st.msgID[fmt.Sprint(r.ID)]; r.MsgID != want || r.SentAt == nil {
			t.Fatalf("row %d: msgid %d sent_at %v, fake delivered msgid %d", r.ID, r.MsgID, r.SentAt, want)
		}
	}
	if got := gather(t, reg, "deputylink_notifications_sent_total"); got != n {
		t.Errorf("sent metric = %v, want %d", got, n)
	}
	if got := gather(t, reg, "deputylink_notifications_failed_total"); int(got) != st.failedCalls {
		t.Errorf("failed metric = %v, want %d", got, st.failedCalls)
	}
	t.Logf("%d calls, %d failed", st.calls, st.failedCalls)
}

// TestDispatchWaitsForRetryDueSoon: a send that fails with a retry due in
// 200 ms is retried by the same Dispatch run (two calls, the failed one
// first, the row sent on its second attempt when Dispatch returns), not left
// for the next tick; the tick here is far away, so only the wait for the
// row's due time can have sent it.
func TestDispatchWaitsForRetryDueSoon(t *testing.T) {
	e := newEnv(t)
	ids := enqueueTemplates(t, e.db, 1, "soon", time.Now())
	e.fake.FailNext(templatePath, -1)
	d := e.deps(t, Options{Tick: 1000 * time.Hour, RetryDelay: func(int) time.Duration { return 200 * time.Millisecond }})

	handled, err := Dispatch(context.Background(), d, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if handled != 2 {
		t.Errorf("handled = %d, want 2 (the failed attempt and the retry)", handled)
	}
	row, err := models.FindNotification(context.Background(), e.db, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != models.NotifySent || row.Attempts != 2 {
		t.Errorf("row %s after %d attempts, want sent after 2", row.Status, row.Attempts)
	}
	calls := e.fake.Calls(templatePath)
	if len(calls) != 2 || calls[0].ErrCode != -1 || calls[1].ErrCode != 0 {
		codes := make([]int, len(calls))
		for i, c := range calls {
			codes[i] = c.ErrCode
		}
		t.Fatalf("errcodes of the calls = %v, want [-1 0]: a failed call, then the retry sent", codes)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 200*time.Millisecond {
		t.Errorf("retried %v after the failure, before its due time", gap)
	}
}

// TestDispatchLeavesLaterRetryToTick: a retry due after the next tick (the
// production backoff's minute, here an hour) ends the run; the row waits,
// failed, with one attempt and one call.
func TestDispatchLeavesLaterRetryToTick(t *testing.T) {
	e := newEnv(t)
	ids := enqueueTemplates(t, e.db, 1, "later", time.Now())
	e.fake.FailNext(templatePath, -1)
	d := e.deps(t, Options{RetryDelay: func(int) time.Duration { return time.Hour }})

	handled, err := Dispatch(context.Background(), d, time.Now())
	if err != nil || handled != 1 {
		t.Fatalf("handled %d, err %v; want 1", handled, err)
	}
	row, err := models.FindNotification(context.Background(), e.db, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != models.NotifyFailed || row.Attempts != 1 || len(e.fake.Calls(templatePath)) != 1 {
		t.Errorf("row %s after %d attempts, %d calls; want failed after 1", row.Status, row.Attempts, len(e.fake.Calls(templatePath)))
	}
}

func TestDispatchSubscribeConsents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	const tpl = "tplSub"
	sub := func(key, openid string, data map[string]string) {
		t.Helper()
		if data == nil {
			data = map[string]string{"thing1": "预约成功", "time2": "2025-03-10 09:00"}
		}
		_, _, err := models.Enqueue(ctx, e.db, models.NotificationInput{Channel: models.ChannelSubscribe,
			ToUser: openid, TemplateID: tpl, Fields: data, URL: "pages/booking/detail?id=1", DedupeKey: key}, now)
		if err != nil {
			t.Fatal(err)
		}
	}
	grant := func(openid string, ours, theirs int) {
		t.Helper()
		for range ours {
			if err := models.GrantConsents(ctx, e.db, openid, []string{tpl}, now); err != nil {
				t.Fatal(err)
			}
		}
		e.fake.GrantConsent(openid, tpl, theirs)
	}
	left := func(openid string) int {
		n, err := models.ConsentsLeft(ctx, e.db, openid, tpl)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	grant("oHas", 1, 1)   // consent on both sides → sent, used up
	grant("oNone", 0, 5)  // WeChat would accept, but we counted none → dead, no call
	grant("oStale", 2, 0) // we count two, WeChat has none → 43101 → dropped, dead
	grant("oLong", 1, 1)  // a thing value over 20 characters → 47003 → dead
	sub("s1", "oHas", nil)
	sub("s2", "oNone", nil)
	sub("s3", "oStale", nil)
	sub("s4", "oLong", map[string]string{"thing1": strings.Repeat("长", 21)})
	d := e.deps(t, Options{SendRate: 1000, MaxAttempts: 3, RetryDelay: func(int) time.Duration { return 0 }})
	if n, err := Dispatch(ctx, d, time.Now()); err != nil || n != 4 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	status := func(key string) models.Notification {
		var r models.Notification
		if err := e.db.Where("dedupe_key = ?", key).First(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := status("s1"); r.Status != models.NotifySent || left("oHas") != 0 || e.fake.Consent("oHas", tpl) != 0 {
		t.Errorf("with consent: %s, ours %d, theirs %d", r.Status, left("oHas"), e.fake.Consent("oHas", tpl))
	}
	if r := status("s2"); r.Status != models.NotifyDead || !strings.Contains(r.LastError, "consent") {
		t.Errorf("without consent: %s %q", r.Status, r.LastError)
	}
	calls := map[string]int{}
	for _, c := range e.fake.Calls(subscribePath) {
		for _, o := range []string{"oHas", "oNone", "oStale", "oLong"} {
			if strings.Contains(string(c.Body), `"`+o+`"`) {
				calls[o]++
			}
		}
	}
	if calls["oNone"] != 0 {
		t.Errorf("a voter without consent was sent %d calls", calls["oNone"])
	}
	if r := status("s3"); r.Status != models.NotifyDead || left("oStale") != 0 || calls["oStale"] != 1 {
		t.Errorf("43101: %s, consents left %d (want 0), calls %d (want 1, no retry)", r.Status, left("oStale"), calls["oStale"])
	}
	if r := status("s4"); r.Status != models.NotifyDead || calls["oLong"] != 1 || !strings.Contains(r.LastError, "47003") {
		t.Errorf("47003: %s, calls %d, %q", r.Status, calls["oLong"], r.LastError)
	}

	// A retried subscribe message spends its one consent only once.
	grant("oRetry", 2, 2)
	sub("s5", "oRetry", nil)
	e.fake.FailNext(subscribePath, -1)
	for range 2 {
		if _, err := Dispatch(ctx, d, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if r := status("s5"); r.Status != models.NotifySent || r.Attempts != 2 || left("oRetry") != 1 {
		t.Errorf("retried subscribe: %s after %d attempts, consents left %d (want 1)", r.Status, r.Attempts, left("oRetry"))
	}
}

func TestDispatchRetriesThenGivesUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := enqueueTemplates(t, e.db, 2, "retry", time.Now())
	d := e.deps(t, Options{SendRate: 1000, MaxAttempts: 3, Concurrency: 1})
	e.fake.FailNext(templatePath, 40037)      // permanent: dead at once
	e.fake.FailNext(templatePath, -1, -1, -1) // busy three times: dead after MaxAttempts
	now := time.Now()
	for i := range 3 {
		if _, err := Dispatch(ctx, d, now); err != nil {
			t.Fatal(err)
		}
		c := statusCounts(t, e.db)
		if i < 2 && (c[models.NotifyFailed] != 1 || c[models.NotifyDead] != 1) {
			t.Fatalf("after pass %d: %v", i+1, c)
		}
		// The failed row is due again only after the backoff step.
		if n, _ := Dispatch(ctx, d, now.Add(models.RetryDelay(i+1)-time.Second)); n != 0 {
			t.Fatalf("pass %d: %d rows sent before their backoff ran out", i+1, n)
		}
		now = now.Add(models.RetryDelay(i+1) + time.Second)
	}
	for _, id := range ids {
		r, _ := models.FindNotification(ctx, e.db, id)
		if r.Status != models.NotifyDead {
			t.Errorf("row %d: %s", id, r.Status)
		}
		if r.Attempts == 3 && !strings.Contains(r.LastError, "gave up after 3 attempts") {
			t.Errorf("row %d: last error %q", id, r.LastError)
		}
	}
	if got := e.fake.CallCount(templatePath); got != 4 {
		t.Errorf("%d template calls, want 4 (1 permanent + 3 busy)", got)
	}
}

// TestDispatchRespectsRate shares one limiter between two dispatchers (as a
// Scheduler does) and checks the calls are spaced by the rate.
func TestDispatchRespectsRate(t *testing.T) {
	e := newEnv(t)
	const n, rate = 30, 40.0
	enqueueTemplates(t, e.db, n, "rate", time.Now())
	d := e.deps(t, Options{SendRate: rate, Concurrency: 8})
	d.limiter = newLimiter(rate)
	// The turns the limiter hands out are what it promises; when the sends
	// then reach WeChat depends on the scheduler (a loaded machine delays a
	// goroutine after its turn and bunches arrivals), so arrivals are only
	// checked in aggregate.
	var turns []time.Time
	d.limiter.granted = func(at time.Time) { turns = append(turns, at) }
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := Dispatch(context.Background(), d, time.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if sent := statusCounts(t, e.db)[models.NotifySent]; sent != n {
		t.Fatalf("sent %d of %d", sent, n)
	}
	if calls := len(e.fake.Calls(templatePath)); calls != n || len(turns) != n {
		t.Fatalf("%d calls and %d limiter turns for %d sends", calls, len(turns), n)
	}
	for i := 1; i < len(turns); i++ {
		if gap := turns[i].Sub(turns[i-1]); gap < time.Duration(float64(time.Second)/rate) {
			t.Fatalf("turns %d and %d only %v apart at %v/s", i-1, i, gap, rate)
		}
	}
	if min := time.Duration(float64(n-1) / rate * float64(time.Second)); elapsed < min {
		t.Fatalf("%d sends took %v; at %v/s they need at least %v", n, elapsed, rate, min)
	}
}

func TestDispatchWithoutSender(t *testing.T) {
	e := newEnv(t)
	enqueueTemplates(t, e.db, 3, "nosender", time.Now())
	var typedNil *wechat.Client
	for i, s := range []Sender{nil, typedNil} {
		d := e.deps(t, Options{SendRate: 100})
		d.WeChat = s
		if _, err := Dispatch(context.Background(), d, time.Now().Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	var rows []models.Notification
	e.db.Find(&rows)
	for _, r := range rows {
		if r.Status != models.NotifyFailed || r.Attempts != 2 || !strings.Contains(r.LastError, "not configured") {
			t.Errorf("row %d: %s attempts %d %q", r.ID, r.Status, r.Attempts, r.LastError)
		}
	}
}

// TestDispatchShutdownAndLeaseExpiry stops a dispatcher mid-batch: the
// sends in flight are recorded, the claimed rows it did not send go back at
// once. A row left sending by a dead worker is taken up after its lease.
func TestDispatchShutdownAndLeaseExpiry(t *testing.T) {
	e := newEnv(t)
	ids := enqueueTemplates(t, e.db, 60, "stop", time.Now())
	e.fake.SetLatency(20 * time.Millisecond)
	d := e.deps(t, Options{SendRate: 1000, Concurrency: 2, Batch: 60, Lease: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for deadline := time.Now().Add(5 * time.Second); len(e.fake.Templates()) < 4 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := Dispatch(ctx, d, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := statusCounts(t, e.db)
	if c[models.NotifySending] != 0 || c[models.NotifySent] == 0 || c[models.NotifyQueued] == 0 ||
		c[models.NotifySent]+c[models.NotifyQueued] != 60 || int(c[models.NotifySent]) != len(e.fake.Templates()) {
		t.Fatalf("after shutdown: %v, %d delivered", c, len(e.fake.Templates()))
	}
	e.fake.SetLatency(0)

	// A worker claims a few rows and dies without a word.
	dead, err := models.Claim(context.Background(), e.db, time.Now(), 5, time.Minute)
	if err != nil || len(dead) != 5 {
		t.Fatalf("claim: %d %v", len(dead), err)
	}
	if _, err := Dispatch(context.Background(), d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c := statusCounts(t, e.db); c[models.NotifySending] != 5 {
		t.Fatalf("leased rows were taken before their lease ended: %v", c)
	}
	if _, err := Dispatch(context.Background(), d, time.Now().Add(time.Minute+time.Second)); err != nil {
		t.Fatal(err)
	}
	if c := statusCounts(t, e.db); c[models.NotifySent] != 60 {
		t.Fatalf("after the lease: %v", c)
	}
	templateStats(t, e.fake).checkExactlyOnce(t, ids)
	for _, r := range dead {
		if got, _ := models.FindNotification(context.Background(), e.db, r.ID); got.Attempts != 2 {
			t.Errorf("re-claimed row %d has %d attempts, want 2", r.ID, got.Attempts)
		}
	}
}

func TestClaimSize(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		batch int
		lease time.Duration
		want  int
	}{{50, 100, 2 * time.Minute, 100}, {1, 100, time.Minute, 15}, {0.01, 100, time.Second, 1}, {500, 100, 3 * time.Second, 100}} {
		if got := claimSize(Options{SendRate: c.rate, Batch: c.batch, Lease: c.lease}); got != c.want {
			t.Errorf("claimSize(%v/s, batch %d, lease %v) = %d, want %d", c.rate, c.batch, c.lease, got, c.want)
		}
	}
}
