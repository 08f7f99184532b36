package shared

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"deputylink/models"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// RedisBatcher sends the Redis commands of concurrent requests together, in
// one pipeline per round trip ("automatic pipelining"). A request's
// commands go out at once when no batch is in flight; while one is, they
// wait for it to return and then leave with everything else that queued
// meanwhile. There is no timer: an idle server pays nothing extra, and a
// busy one makes one write and one read per batch instead of per request.
// On the push endpoint, where a crowd scans the same boards, the write that
// wakes Redis was the largest single cost (docs/BENCHMARKS.md).
//
// Jobs only add commands to the shared pipeline and read their own results
// afterwards; a job that fails does not fail its batch-mates (every command
// carries its own error).
type RedisBatcher struct {
	rdb     redis.UniversalClient
	timeout time.Duration
	max     int
	sizes   prometheus.Observer

	mu      sync.Mutex
	pending []*redisJob
	running bool
}

// redisJob is one request's share of a batch.
type redisJob struct {
	queue func(context.Context, redis.Pipeliner)
	// appendKey and appendVals, when set, go out in one RPUSH shared with
	// every job of the batch that appends to the same list; appended is
	// that command.
	appendKey  string
	appendVals []any
	appended   *redis.IntCmd
	queued     time.Time
	// err is set before done is closed when the job was not sent.
	err  error
	done chan struct{}
}

// errRedisBatchStale is a job that waited longer than the batcher's timeout
// for its turn (Redis is slow or down): it is dropped unsent.
var errRedisBatchStale = errors.New("redis batch: waited too long to be sent")

// NewRedisBatcher makes a batcher. timeout bounds both how long a job may
// wait for its batch and that batch's round trip, so Do returns within
// about twice timeout; max caps the number of jobs in one pipeline.
func NewRedisBatcher(rdb redis.UniversalClient, timeout time.Duration, max int, sizes prometheus.Observer) *RedisBatcher {
	return &RedisBatcher{rdb: rdb, timeout: timeout, max: max, sizes: sizes}
}

// Do runs queue's commands in the next batch and returns once they have
// their results. queue runs on the batch's goroutine; the commands it
// creates may be read only after do returns nil (each then carries its own
// result or error). A job that waited longer than the timeout is dropped
// unsent (errRedisBatchStale). When ctx ends first, do returns ctx's error
// and the commands may still run, later, so a caller with a cancellable ctx
// only queues commands that are safe to apply late.
func (b *RedisBatcher) Do(ctx context.Context, queue func(context.Context, redis.Pipeliner)) error {
	_, err := b.DoAppend(ctx, "", nil, queue)
	return err
}

// DoAppend is Do that also appends vals to the list at key (RPUSH), in one
// command with the other jobs of its batch that append to that list: the
// order of the values within the list follows the batch's order, not
// necessarily Do's. It returns that command.
func (b *RedisBatcher) DoAppend(ctx context.Context, key string, vals []any, queue func(context.Context, redis.Pipeliner)) (*redis.IntCmd, error) {
	// A request that has already ended sends nothing: otherwise the select
	// below could pick either ready case and the commands would run anyway.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j := &redisJob{queue: queue, queued: time.Now(), done: make(chan struct{})}
	if len(vals) > 0 {
		j.appendKey, j.appendVals = key, vals
	}
	b.mu.Lock()
	b.pending = append(b.pending, j)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.run()
	}
	select {
	case <-j.done:
		return j.appended, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run sends batches until nothing is pending, then exits: there is no
// goroutine while the server is idle, and none to stop at shutdown.
func (b *RedisBatcher) run() {
	for {
		// Let the handlers that are ready to run queue their jobs first:
		// free when nothing else is runnable, and fewer, larger batches
		// when the server is busy.
		runtime.Gosched()
		b.mu.Lock()
		batch := b.pending
		if len(batch) > b.max {
			batch = batch[:b.max:b.max]
			b.pending = append([]*redisJob(nil), b.pending[b.max:]...)
		} else {
			b.pending = nil
		}
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.send(batch)
	}
}

func (b *RedisBatcher) send(batch []*redisJob) {
	now := time.Now()
	live := batch[:0:0]
	for _, j := range batch {
		if now.Sub(j.queued) > b.timeout {
			j.err = errRedisBatchStale
			close(j.done)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	pipe := b.rdb.Pipeline()
	// The appends of the batch, one RPUSH per list, in first-use order.
	type list struct {
		vals []any
		cmd  *redis.IntCmd
	}
	var lists map[string]*list
	var order []string
	joined := make([]*list, len(live))
	for k, j := range live {
		if j.queue != nil {
			j.queue(ctx, pipe)
		}
		if j.appendKey == "" {
			continue
		}
		l := lists[j.appendKey]
		if l == nil {
			if lists == nil {
				lists = map[string]*list{}
			}
			l = &list{}
			lists[j.appendKey] = l
			order = append(order, j.appendKey)
		}
		l.vals = append(l.vals, j.appendVals...)
		joined[k] = l
	}
	for _, key := range order {
		lists[key].cmd = pipe.RPush(ctx, key, lists[key].vals...)
	}
	for k, j := range live {
		if joined[k] != nil {
			j.appended = joined[k].cmd
		}
	}
	// Each command keeps its own error; Exec's is the first of them.
	_, _ = pipe.Exec(ctx)
	if b.sizes != nil {
		b.sizes.Observe(float64(len(live)))
	}
	for _, j := range live {
		close(j.done)
	}
}

// errNoRedis answers a call that needs Redis on a server without it.
var errNoRedis = models.Coded(ErrUnavailable, "redis_unavailable", "服务暂时不可用，请稍后再试")

// requestRedisBudget bounds a request's wait for its Redis commands in the
// shared batcher (twice this at worst, see NewRedisBatcher); go-redis's own
// read timeout is 3 s.
const requestRedisBudget = 3 * time.Second

// rdo runs a request's Redis commands through the shared batcher: in a
// burst (booking opening) thousands of requests each make several short
// Redis calls, and sending them together saves a write and a read per
// call. The commands are read after rdo returns nil, each with its own
// result or error, exactly as after a direct call.
func (h *Base) rdo(ctx context.Context, queue func(context.Context, redis.Pipeliner)) error {
	if h.rb == nil { // NewBase makes one whenever there is Redis
		return errNoRedis
	}
	return h.rb.Do(ctx, queue)
}

// RDoCmd is rdo for a request whose answer is one command: queue adds its
// commands and returns the one to read. The error is rdo's, else that
// command's own (redis.Nil for a missing key, as after a direct call).
func RDoCmd[C redis.Cmder](ctx context.Context, h *Base, queue func(context.Context, redis.Pipeliner) C) (C, error) {
	var cmd C
	if err := h.rdo(ctx, func(ctx context.Context, p redis.Pipeliner) { cmd = queue(ctx, p) }); err != nil {
		return cmd, err
	}
	return cmd, cmd.Err()
}
