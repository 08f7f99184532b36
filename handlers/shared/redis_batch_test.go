package shared

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"deputylink/wechat/wechattest"

	"github.com/redis/go-redis/v9"
)

// sizeLog records the batch sizes a batcher reports.
type sizeLog struct {
	mu    sync.Mutex
	sizes []int
}

func (s *sizeLog) Observe(v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes = append(s.sizes, int(v))
}

func (s *sizeLog) get() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.sizes...)
}

// gateHook holds the first pipeline until released.
type gateHook struct {
	entered, release chan struct{}
	once             sync.Once
}

func (g *gateHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (g *gateHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (g *gateHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.entered)
			<-g.release
		}
		return next(ctx, cmds)
	}
}

func pendingJobs(b *RedisBatcher) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

func waitIdle(t *testing.T, b *RedisBatcher) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b.mu.Lock()
		idle := !b.running && len(b.pending) == 0
		b.mu.Unlock()
		if idle {
			return
		}
	}
	t.Fatal("the batcher did not go idle")
}

// Jobs that arrive while a batch is in flight leave together in the next
// one, each gets its own results, and the sending goroutine exits when
// nothing is left.
func TestRedisBatcherGroupsJobsQueuedDuringARoundTrip(t *testing.T) {
	tr := wechattest.NewRedis(t)
	gate := &gateHook{entered: make(chan struct{}), release: make(chan struct{})}
	tr.Client.AddHook(gate)
	sizes := &sizeLog{}
	b := NewRedisBatcher(tr.Client, 5*time.Second, 256, sizes)
	key := tr.Prefix + "n"

	const n = 40
	got := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	job := func(i int) {
		defer wg.Done()
		var incr *redis.IntCmd
		errs[i] = b.Do(context.Background(), func(ctx context.Context, p redis.Pipeliner) { incr = p.Incr(ctx, key) })
		if errs[i] == nil {
			got[i] = incr.Val()
		}
	}
	wg.Add(1)
	go job(0)
	<-gate.entered // the first batch (job 0 alone) is in flight
	for i := 1; i < n; i++ {
		wg.Add(1)
		go job(i)
	}
	for deadline := time.Now().Add(5 * time.Second); pendingJobs(b) < n-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d jobs queued", pendingJobs(b))
		}
	}
	close(gate.release)
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("INCR results %v: want each of 1..%d once", got, n)
		}
	}
	if s := sizes.get(); fmt.Sprint(s) != fmt.Sprint([]int{1, n - 1}) {
		t.Fatalf("batch sizes %v, want [1 %d]", s, n-1)
	}
	waitIdle(t, b)
}

// A batch never exceeds max jobs.
func TestRedisBatcherCapsBatchSize(t *testing.T) {
	tr := wechattest.NewRedis(t)
	gate := &gateHook{entered: make(chan struct{}), release: make(chan struct{})}
	tr.Client.AddHook(gate)
	sizes := &sizeLog{}
	b := NewRedisBatcher(tr.Client, 5*time.Second, 4, sizes)
	var wg sync.WaitGroup
	for i := range 11 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Do(context.Background(), func(ctx context.Context, p redis.Pipeliner) {
				p.Set(ctx, fmt.Sprintf("%sk%d", tr.Prefix, i), i, time.Minute)
			}); err != nil {
				t.Error(err)
			}
		}()
		if i == 0 {
			<-gate.entered
		}
	}
	for deadline := time.Now().Add(5 * time.Second); pendingJobs(b) < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d jobs queued", pendingJobs(b))
		}
	}
	close(gate.release)
	wg.Wait()
	if s := sizes.get(); fmt.Sprint(s) != "[1 4 4 2]" {
		t.Fatalf("batch sizes %v, want [1 4 4 2]", s)
	}
	waitIdle(t, b)
}

// A failing command fails only its own job; a job whose context ends
// returns at once without its results.
func TestRedisBatcherIsolatesFailuresAndHonoursContext(t *testing.T) {
	tr := wechattest.NewRedis(t)
	b := NewRedisBatcher(tr.Client, 5*time.Second, 256, nil)
	ctx := context.Background()
	if err := tr.Client.Set(ctx, tr.Prefix+"text", "abc", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	var bad, good *redis.IntCmd
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = b.Do(ctx, func(ctx context.Context, p redis.Pipeliner) { bad = p.Incr(ctx, tr.Prefix+"text") })
	}()
	go func() {
		defer wg.Done()
		_ = b.Do(ctx, func(ctx context.Context, p redis.Pipeliner) { good = p.Incr(ctx, tr.Prefix+"count") })
	}()
	wg.Wait()
	if bad.Err() == nil {
		t.Error("INCR of a non-number succeeded")
	}
	if good.Err() != nil || good.Val() != 1 {
		t.Errorf("the other job's INCR = %d, %v; want 1, nil", good.Val(), good.Err())
	}

	// A request that has already ended sends nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Do(cctx, func(ctx context.Context, p redis.Pipeliner) { p.Incr(ctx, tr.Prefix+"late") }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job: err %v, want context.Canceled", err)
	}
	waitIdle(t, b)
	if n, err := tr.Client.Exists(ctx, tr.Prefix+"late").Result(); err != nil || n != 0 {
		t.Fatalf("a job cancelled before do ran its command (exists=%d, %v)", n, err)
	}
}

// A job whose context ends while it waits behind a stuck batch returns at
// once with ctx's error, and the batcher still drains afterwards.
func TestRedisBatcherReturnsWhenContextEndsWhileWaiting(t *testing.T) {
	tr := wechattest.NewRedis(t)
	gate := &gateHook{entered: make(chan struct{}), release: make(chan struct{})}
	tr.Client.AddHook(gate)
	b := NewRedisBatcher(tr.Client, 5*time.Second, 256, nil)
	first := make(chan error, 1)
	go func() {
		first <- b.Do(context.Background(), func(ctx context.Context, p redis.Pipeliner) { p.Incr(ctx, tr.Prefix+"first") })
	}()
	<-gate.entered // the first batch is stuck in Redis
	cctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() {
		waited <- b.Do(cctx, func(ctx context.Context, p redis.Pipeliner) { p.Incr(ctx, tr.Prefix+"second") })
	}()
	for deadline := time.Now().Add(5 * time.Second); pendingJobs(b) < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second job never queued")
		}
	}
	cancel()
	select {
	case err := <-waited:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting job: err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled job kept waiting for the stuck batch")
	}
	close(gate.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
}

// With Redis unreachable every job gets its command's error once the
// batch's timeout ends, and the batcher does not wedge.
func TestRedisBatcherRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	b := NewRedisBatcher(rdb, 200*time.Millisecond, 256, nil)
	for range 2 {
		var c *redis.StatusCmd
		if err := b.Do(context.Background(), func(ctx context.Context, p redis.Pipeliner) { c = p.Ping(ctx) }); err != nil {
			t.Fatal(err)
		}
		if c.Err() == nil {
			t.Fatal("PING to a closed port succeeded")
		}
	}
	waitIdle(t, b)
}

// A job that waited longer than the timeout (behind a batch stuck on a
// slow Redis) is dropped unsent; the others in its batch still go.
func TestRedisBatcherDropsStaleJobs(t *testing.T) {
	tr := wechattest.NewRedis(t)
	b := NewRedisBatcher(tr.Client, time.Second, 256, nil)
	ctx := context.Background()
	staleKey, freshKey := tr.Prefix+"stale", tr.Prefix+"fresh"
	stale := &redisJob{
		queue:  func(ctx context.Context, p redis.Pipeliner) { p.Incr(ctx, staleKey) },
		queued: time.Now().Add(-2 * time.Second),
		done:   make(chan struct{}),
	}
	b.mu.Lock()
	b.pending = append(b.pending, stale)
	b.mu.Unlock()
	var fresh *redis.IntCmd
	if err := b.Do(ctx, func(ctx context.Context, p redis.Pipeliner) { fresh = p.Incr(ctx, freshKey) }); err != nil {
		t.Fatal(err)
	}
	<-stale.done
	if !errors.Is(stale.err, errRedisBatchStale) {
		t.Fatalf("stale job: err %v, want errRedisBatchStale", stale.err)
	}
	if fresh.Err() != nil || fresh.Val() != 1 {
		t.Fatalf("fresh job's INCR = %d, %v", fresh.Val(), fresh.Err())
	}
	if n, err := tr.Client.Exists(ctx, staleKey).Result(); err != nil || n != 0 {
		t.Fatalf("the stale job ran (exists=%d, %v)", n, err)
	}
	waitIdle(t, b)
}

// pipelineLog records the command names of every pipeline.
type pipelineLog struct {
	mu    sync.Mutex
	names [][]string
}

func (l *pipelineLog) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (l *pipelineLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (l *pipelineLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var names []string
		for _, c := range cmds {
			names = append(names, c.Name())
		}
		l.mu.Lock()
		l.names = append(l.names, names)
		l.mu.Unlock()
		return next(ctx, cmds)
	}
}

// Appends to one list by the jobs of a batch go out as one RPUSH, shared
// by those jobs, beside each job's own commands.
func TestRedisBatcherMergesAppends(t *testing.T) {
	tr := wechattest.NewRedis(t)
	gate := &gateHook{entered: make(chan struct{}), release: make(chan struct{})}
	plog := &pipelineLog{}
	tr.Client.AddHook(gate)
	tr.Client.AddHook(plog)
	b := NewRedisBatcher(tr.Client, 5*time.Second, 256, nil)
	ctx := context.Background()
	l1, l2 := tr.Prefix+"l1", tr.Prefix+"l2"

	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := b.DoAppend(ctx, l1, []any{"first"}, nil); err != nil {
			t.Error(err)
		}
	})
	<-gate.entered
	cmds := make([]*redis.IntCmd, 7)
	for i := range 7 {
		key := l1
		if i >= 5 {
			key = l2
		}
		wg.Go(func() {
			c, err := b.DoAppend(ctx, key, []any{fmt.Sprint("v", i)}, func(ctx context.Context, p redis.Pipeliner) {
				p.Incr(ctx, tr.Prefix+"own")
			})
			if err != nil {
				t.Error(err)
			}
			cmds[i] = c
		})
	}
	for deadline := time.Now().Add(5 * time.Second); pendingJobs(b) < 7; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d jobs queued", pendingJobs(b))
		}
	}
	close(gate.release)
	wg.Wait()

	if cmds[0] != cmds[4] || cmds[5] != cmds[6] || cmds[0] == cmds[5] {
		t.Fatal("jobs appending to one list do not share its RPUSH")
	}
	if n := cmds[0].Val(); n != 6 {
		t.Errorf("RPUSH to l1 answered length %d, want 6", n)
	}
	got := tr.Client.LRange(ctx, l1, 0, -1).Val()
	sort.Strings(got[1:])
	if fmt.Sprint(got) != "[first v0 v1 v2 v3 v4]" {
		t.Errorf("l1 = %v", got)
	}
	if got := tr.Client.LRange(ctx, l2, 0, -1).Val(); len(got) != 2 {
		t.Errorf("l2 = %v, want 2 values", got)
	}
	plog.mu.Lock()
	defer plog.mu.Unlock()
	// go-redis sets a new connection up with a pipeline of its own (HELLO,
	// CLIENT SETINFO); only ours carry RPUSH.
	var ours [][]string
	for _, names := range plog.names {
		if slices.Contains(names, "rpush") {
			ours = append(ours, names)
		}
	}
	if len(ours) != 2 {
		t.Fatalf("pipelines %v, want 2 with RPUSH", plog.names)
	}
	counts := map[string]int{}
	for _, n := range ours[1] {
		counts[n]++
	}
	if counts["rpush"] != 2 || counts["incr"] != 7 || len(ours[1]) != 9 {
		t.Errorf("second batch sent %v, want 2 RPUSH and 7 INCR", ours[1])
	}
}
