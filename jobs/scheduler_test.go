package jobs

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/wechat/wechattest"
)

// runSchedulers runs one scheduler per Deps for d, then stops them and
// waits for them to return.
func runSchedulers(t *testing.T, d time.Duration, scheds ...*Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range scheds {
		wg.Go(func() {
			if err := s.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(d)
	cancel()
	wg.Wait()
}

// liveTTLs makes miniredis expire keys as real time passes (it otherwise
// only does on FastForward); a real Redis needs nothing.
func liveTTLs(t *testing.T, tr *wechattest.TestRedis) {
	if tr.Mini == nil {
		return
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				tr.Mini.FastForward(5 * time.Millisecond)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// TestSchedulersRunPeriodicJobOncePerTick runs two schedulers on one Redis,
// both checking ten times per period (as the daily digest checks every
// minute): the exclusive job must run once in every period, never twice,
// while the concurrent job runs in both.
func TestSchedulersRunPeriodicJobOncePerTick(t *testing.T) {
	tr := wechattest.NewRedis(t)
	liveTTLs(t, tr)
	const every = 100 * time.Millisecond
	var mu sync.Mutex
	runs := map[int64]int{}
	var concurrent atomic.Int32
	jobs := []Job{
		{Name: "periodic", Every: every, poll: every / 10, Run: func(ctx context.Context, d Deps, now time.Time) (int, error) {
			mu.Lock()
			runs[now.Truncate(every).UnixMilli()]++
			mu.Unlock()
			time.Sleep(15 * time.Millisecond) // overlap the other scheduler's polls
			return 1, nil
		}},
		{Name: "everywhere", Every: every, Concurrent: true, Run: func(context.Context, Deps, time.Time) (int, error) {
			concurrent.Add(1)
			return 0, nil
		}},
	}
	d := Deps{Redis: tr.Client, Prefix: tr.Prefix, Log: testLogger(t)}
	const span = 1500 * time.Millisecond
	runSchedulers(t, span, NewScheduler(d, jobs), NewScheduler(d, jobs))

	total := 0
	for slot, n := range runs {
		total += n
		if n != 1 {
			t.Errorf("period %d ran %d times", slot, n)
		}
	}
	periods := int(span / every)
	if total < periods-2 || total > periods+2 {
		t.Errorf("%d runs in %d periods", total, periods)
	}
	if c := int(concurrent.Load()); c < 2*(periods-2) {
		t.Errorf("concurrent job ran %d times in %d periods on 2 schedulers", c, periods)
	}
}

// TestSchedulerLockIsRenewed runs a job for several lock lifetimes while a
// second scheduler keeps trying: renewal must keep the second one out, and
// a failed run must be tried again in the same period.
func TestSchedulerLockIsRenewed(t *testing.T) {
	tr := wechattest.NewRedis(t)
	liveTTLs(t, tr)
	var running, maxRunning, runs atomic.Int32
	job := Job{Name: "slow", Every: time.Hour, poll: 20 * time.Millisecond,
		Run: func(ctx context.Context, d Deps, now time.Time) (int, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
			}
			if runs.Add(1) == 1 {
				return 0, context.DeadlineExceeded // the first run fails: retried
			}
			time.Sleep(500 * time.Millisecond)
			return 1, nil
		}}
	d := Deps{Redis: tr.Client, Prefix: tr.Prefix, Log: testLogger(t)}
	a, b := NewScheduler(d, []Job{job}), NewScheduler(d, []Job{job})
	a.lockTTL, b.lockTTL = 120*time.Millisecond, 120*time.Millisecond
	runSchedulers(t, 1200*time.Millisecond, a, b)
	if m := maxRunning.Load(); m != 1 {
		t.Errorf("%d runs overlapped; the lock was not renewed", m)
	}
	if r := runs.Load(); r != 2 {
		t.Errorf("%d runs in one period, want 2 (a failure, then one success)", r)
	}
}

// TestSchedulerLostLockCancelsRun deletes the lock under a running job: the
// renewal notices and cancels the job's context.
func TestSchedulerLostLockCancelsRun(t *testing.T) {
	tr := wechattest.NewRedis(t)
	liveTTLs(t, tr)
	cancelled := make(chan struct{})
	started := make(chan struct{})
	job := Job{Name: "victim", Every: time.Hour, Run: func(ctx context.Context, d Deps, now time.Time) (int, error) {
		close(started)
		select {
		case <-ctx.Done():
			close(cancelled)
		case <-time.After(5 * time.Second):
		}
		return 0, ctx.Err()
	}}
	d := Deps{Redis: tr.Client, Prefix: tr.Prefix, Log: testLogger(t)}
	s := NewScheduler(d, []Job{job})
	s.lockTTL = 90 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	<-started
	tr.Client.Del(context.Background(), tr.Prefix+"lock:job:victim")
	select {
	case <-cancelled:
	case <-time.After(3 * time.Second):
		t.Error("the run went on after its lock was lost")
	}
	cancel()
	<-done
}

// TestSchedulerStopWaitsForRunningJob cancels the scheduler while a job
// that ignores cancellation is running: Run must return only after it ends.
func TestSchedulerStopWaitsForRunningJob(t *testing.T) {
	tr := wechattest.NewRedis(t)
	started := make(chan struct{})
	var finished atomic.Bool
	var once sync.Once
	job := Job{Name: "stubborn", Every: time.Hour, Run: func(context.Context, Deps, time.Time) (int, error) {
		once.Do(func() { close(started) })
		time.Sleep(300 * time.Millisecond)
		finished.Store(true)
		return 1, nil
	}}
	s := NewScheduler(Deps{Redis: tr.Client, Prefix: tr.Prefix, Log: testLogger(t)}, []Job{job})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	<-started
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Run returned while a job was still running")
	}
	// The lock was released on the way out.
	if n, _ := tr.Client.Exists(context.Background(), tr.Prefix+"lock:job:stubborn").Result(); n != 0 {
		t.Fatal("the job lock outlived the run")
	}
}

func TestSchedulerRejectsBadJobs(t *testing.T) {
	ok := func(context.Context, Deps, time.Time) (int, error) { return 0, nil }
	for _, c := range []struct {
		job Job
		d   Deps
	}{
		{Job{Name: "x", Run: ok}, Deps{}},                     // no period
		{Job{Name: "x", Every: time.Second, Run: ok}, Deps{}}, // exclusive without Redis
	} {
		if err := NewScheduler(c.d, []Job{c.job}).Run(context.Background()); err == nil {
			t.Errorf("job %+v started", c.job)
		}
	}
}

func TestAllAndRunOnce(t *testing.T) {
	all := All(Options{Tick: 2 * time.Second, DigestHour: 8})
	want := "dispatch,stuck-digest,outbox-gauges,drain-scans,opinion-overdue,opinion-ask-result,opinion-deadlines,clean-uploads," +
		"reception-days,close-reception-days,reception-reminders,staff-roster,retention,accrue-activities,close-reviews,monthly-report"
	if got := strings.Join(Names(all), ","); got != want {
		t.Fatalf("jobs = %s", got)
	}
	if !all[0].Concurrent || all[0].Every != 2*time.Second || all[1].Concurrent || !all[2].Concurrent || !all[3].Concurrent {
		t.Fatalf("job settings: %+v", all)
	}
	_, err := RunOnce(context.Background(), Deps{}, "nope", time.Now())
	if err == nil || !strings.Contains(err.Error(), "dispatch, stuck-digest, outbox-gauges") {
		t.Fatalf("unknown job: %v", err)
	}
}

func TestDailySlot(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, sh) }
	for _, c := range []struct{ now, want time.Time }{
		{at(10, 9, 30), at(10, 8, 0)},
		{at(10, 8, 0), at(10, 8, 0)},
		{at(10, 7, 59), at(9, 8, 0)},
		{at(1, 0, 5), time.Date(2025, 2, 28, 8, 0, 0, 0, sh)},
		{at(10, 1, 0).UTC(), at(9, 8, 0)}, // the zone of now does not matter
	} {
		if got := dailySlot(c.now, 8, sh); !got.Equal(c.want) {
			t.Errorf("dailySlot(%v) = %v, want %v", c.now, got, c.want)
		}
	}
}

// Ensure every job describes its schedule, and every daily job its hour.
func TestJobSchedule(t *testing.T) {
	want := map[string]string{
		JobDispatch: "every 1s", JobGauges: "every 15s", JobDrainScans: "every 1s",
		JobOpinionOverdue: "every 10m", JobOpinionAskResult: "hourly", JobCleanUploads: "hourly",
		JobStuckDigest: "daily 06:00", JobReceptionDays: "daily 02:00", JobCloseReceptionDays: "daily 01:00",
		JobReceptionReminders: "daily 18:00", JobStaffRoster: "daily 17:00", JobRetention: "daily 03:00",
		JobAccrueActivities: "daily 04:00", JobCloseReviews: "every 5m", JobMonthlyReport: "daily 09:00",
	}
	for _, j := range All(Options{DigestHour: 6}) {
		if w, ok := want[j.Name]; ok && j.Schedule() != w {
			t.Errorf("%s: %q, want %q", j.Name, j.Schedule(), w)
		}
		if j.Every == 24*time.Hour && !strings.HasPrefix(j.Schedule(), "daily ") {
			t.Errorf("%s: daily job without its hour: %q", j.Name, j.Schedule())
		}
	}
}
