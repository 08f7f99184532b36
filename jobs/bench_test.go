package jobs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"

	"github.com/prometheus/client_golang/prometheus"
)

// TestOutboxDrainBenchmark is the outbox load run behind docs/BENCHMARKS.md.
// It is skipped unless DEPUTYLINK_BENCH_OUTBOX names how many notifications
// to queue:
//
//	DEPUTYLINK_BENCH_OUTBOX=10000 \
//	DEPUTYLINK_TEST_MYSQL=mysql://root@127.0.0.1:3306/test \
//	DEPUTYLINK_TEST_REDIS=redis://127.0.0.1:6379/0 \
//	go test ./jobs -run TestOutboxDrainBenchmark -count=1 -v -timeout 30m
//
// Optional: DEPUTYLINK_BENCH_RATE (sends/s, default 500), DEPUTYLINK_BENCH_FAIL
// (share of failing calls, default 0.2), DEPUTYLINK_BENCH_LATENCY (the fake's
// answer delay, default 0). The notifications are queued first; then one
// Scheduler running All's jobs (as one `deputylink worker`) drains them
// through the fake WeChat. Failed sends are retried at once instead of
// after the production backoff (1 min, 5 min, …), so the run measures the
// dispatcher, not the backoff schedule.
func TestOutboxDrainBenchmark(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DEPUTYLINK_BENCH_OUTBOX"))
	if n <= 0 {
		t.Skip("set DEPUTYLINK_BENCH_OUTBOX=10000 to run the outbox drain benchmark")
	}
	rate := envFloat("DEPUTYLINK_BENCH_RATE", 500)
	failRate := envFloat("DEPUTYLINK_BENCH_FAIL", 0.2)
	latency, _ := time.ParseDuration(os.Getenv("DEPUTYLINK_BENCH_LATENCY"))

	e := newEnv(t)
	e.fake.Seed(2025)
	e.fake.SetLatency(latency)
	queued := time.Now()
	ids := enqueueTemplates(t, e.db, n, "bench", time.Now())
	enqueueTime := time.Since(queued)
	e.fake.FailRate(failRate)

	d := e.deps(t, Options{SendRate: rate, MaxAttempts: 30, RetryDelay: func(int) time.Duration { return 0 }})
	d.Metrics = NewMetrics(prometheus.NewRegistry())
	sched := NewScheduler(d, All(d.Opt))

	var peakHeap, peakSys uint64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
			peakSys = max(peakSys, ms.Sys)
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	until(t, 30*time.Minute, "the outbox to drain", func() bool {
		time.Sleep(40 * time.Millisecond)
		return statusCounts(t, e.db)[models.NotifySent] == int64(n)
	})
	drain := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(stopSampling)
	sampler.Wait()

	st := templateStats(t, e.fake)
	st.checkExactlyOnce(t, ids)
	repeated := 0
	for _, c := range st.okCalls {
		repeated += c - 1
	}
	calls := e.fake.Calls(templatePath)
	times := make([]time.Time, len(calls))
	for i, c := range calls {
		times[i] = c.At
	}
	peak1s := peakPerSecond(times)
	floor := time.Duration(float64(st.calls) / rate * float64(time.Second))
	counts := statusCounts(t, e.db)

	report := []string{
		fmt.Sprintf("database                 %s", models.DialectOf(e.db)),
		fmt.Sprintf("notifications            %d (queued in %v)", n, enqueueTime.Round(time.Millisecond)),
		fmt.Sprintf("fake WeChat failure rate %.0f%% (errcode -1), latency %v", failRate*100, latency),
		fmt.Sprintf("configured rate          %.0f sends/s, %d in flight", rate, d.Opt.withDefaults().Concurrency),
		fmt.Sprintf("time to drain            %v", drain.Round(time.Millisecond)),
		// The floor: the calls this run needed, at the configured rate.
		fmt.Sprintf("rate-limit floor         %v (%d calls / %.0f per s): %.2f×", floor.Round(time.Millisecond), st.calls, rate, drain.Seconds()/floor.Seconds()),
		fmt.Sprintf("deliveries/s             %.0f", float64(n)/drain.Seconds()),
		fmt.Sprintf("calls/s (incl. failed)   %.0f (%d calls, %d failed)", float64(st.calls)/drain.Seconds(), st.calls, st.failedCalls),
		fmt.Sprintf("busiest 1 s window       %d calls (limit %.0f)", peak1s, rate),
		fmt.Sprintf("duplicates               %d delivered twice, %d calls repeated", countOver(st.delivered, 1), repeated),
		fmt.Sprintf("final statuses           %v", counts),
		fmt.Sprintf("peak heap in use         %.1f MiB (Go runtime Sys %.1f MiB)", mib(peakHeap), mib(peakSys)),
		fmt.Sprintf("peak RSS (VmHWM)         %s (whole test process, fake WeChat included)", vmHWM()),
	}
	for _, line := range report {
		t.Log(line)
	}
	// The limiter spaces departures 1/rate apart; arrival at the fake adds a
	// little scheduling jitter, hence the 2% allowance.
	if peak1s > int(rate*1.02)+2 {
		t.Errorf("%d calls in one second exceed the rate limit %v", peak1s, rate)
	}
	if counts[models.NotifySent] != int64(n) {
		t.Errorf("not all sent: %v", counts)
	}
}

// peakPerSecond is the largest number of events inside any 1-second window.
func peakPerSecond(ts []time.Time) int {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func countOver(m map[string]int, limit int) int {
	n := 0
	for _, v := range m {
		if v > limit {
			n++
		}
	}
	return n
}

func envFloat(name string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && f >= 0 {
		return f
	}
	return def
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// vmHWM reads the process's peak resident set size from /proc (Linux).
func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
