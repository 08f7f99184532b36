package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scheduler runs jobs periodically until its context is cancelled.
//
// Every job has its own loop, woken at wall-clock multiples of its poll
// interval (so replicas tick together) and once at start. A Concurrent job
// simply runs. Any other job runs at most once per period (Job.Every, or a
// day at Opt.DigestHour for the digest) across every scheduler sharing the
// Redis and the key prefix:
//
//  1. GET <prefix>job:<name>:last: skip if this period already ran;
//  2. SET <prefix>lock:job:<name> <instance token> NX PX <ttl>: skip if
//     another instance holds the lock;
//  3. check the marker again under the lock, run the job, renewing the lock
//     every ttl/3 with a compare-and-pexpire script (the job's context is
//     cancelled if the lock is lost);
//  4. on success raise the marker to this period's start; release the lock
//     with a compare-and-delete script.
//
// The lock keeps two instances from running a job at the same time; the
// marker keeps a second instance from running it again later in the same
// period, which a lock released at the end of a run cannot do. A failed run
// leaves no marker, so the next poll tries again.
type Scheduler struct {
	d     Deps
	jobs  []Job
	token string
	// lockTTL is how long a lock outlives a dead holder (default 30 s).
	lockTTL time.Duration
}

// NewScheduler prepares a scheduler for jobs; Run starts it. The
// dispatcher runs of one scheduler share one rate limiter.
func NewScheduler(d Deps, jobs []Job) *Scheduler {
	d.Opt = d.Opt.withDefaults()
	if d.limiter == nil {
		d.limiter = newLimiter(d.Opt.SendRate)
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return &Scheduler{d: d, jobs: jobs, token: hex.EncodeToString(b), lockTTL: 30 * time.Second}
}

// Run runs the jobs until ctx is cancelled, then waits for the running ones
// to return (they see the cancellation through their context). It returns
// an error only if it cannot start.
func (s *Scheduler) Run(ctx context.Context) error {
	for _, j := range s.jobs {
		if j.Every <= 0 || j.Run == nil || j.Name == "" {
			return fmt.Errorf("jobs: job %q needs a name, a period and a function", j.Name)
		}
		if !j.Concurrent && s.d.Redis == nil {
			return fmt.Errorf("jobs: job %q needs Redis for its leader lock", j.Name)
		}
	}
	s.d.log().InfoContext(ctx, "Scheduler started", "jobs", Names(s.jobs))
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() { s.loop(ctx, j) })
	}
	wg.Wait()
	s.d.log().InfoContext(context.WithoutCancel(ctx), "Scheduler stopped")
	return nil
}

func (s *Scheduler) loop(ctx context.Context, j Job) {
	poll := j.poll
	if poll <= 0 {
		poll = j.Every
	}
	for ctx.Err() == nil {
		s.tick(ctx, j)
		next := time.Now().Truncate(poll).Add(poll)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) tick(ctx context.Context, j Job) {
	now := time.Now()
	if j.Concurrent {
		_, _ = runLogged(ctx, s.d, j, now)
		return
	}
	slot := now.Truncate(j.Every)
	if j.slot != nil {
		slot = j.slot(now)
	}
	s.exclusive(ctx, j, slot, now)
}

var (
	// renewScript extends the lock only while we still hold it.
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	// releaseScript deletes the lock only while we still hold it.
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
	// markScript raises the period marker, never lowers it.
	markScript = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[1]) or "0")
if tonumber(ARGV[1]) > cur then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0`)
)

// exclusive runs j for the period starting at slot unless that period ran
// already or another instance is running it.
func (s *Scheduler) exclusive(ctx context.Context, j Job, slot, now time.Time) {
	rdb, log := s.d.Redis, s.d.log().With("job", j.Name)
	lockKey := s.d.Prefix + "lock:job:" + j.Name
	markKey := s.d.Prefix + "job:" + j.Name + ":last"
	done := func() bool {
		last, err := rdb.Get(ctx, markKey).Int64()
		return err == nil && last >= slot.UnixMilli()
	}
	if done() {
		return
	}
	got, err := rdb.SetNX(ctx, lockKey, s.token, s.lockTTL).Result()
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "Cannot take the job lock", "err", err)
		}
		return
	}
	if !got {
		return
	}
	bg := context.WithoutCancel(ctx)
	defer func() {
		if err := releaseScript.Run(bg, rdb, []string{lockKey}, s.token).Err(); err != nil {
			log.WarnContext(bg, "Cannot release the job lock; it expires by itself", "err", err)
		}
	}()
	if done() {
		return
	}

	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopRenew := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.lockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stopRenew:
				return
			case <-t.C:
				n, err := renewScript.Run(bg, rdb, []string{lockKey}, s.token, s.lockTTL.Milliseconds()).Int()
				switch {
				case err != nil:
					log.WarnContext(bg, "Cannot renew the job lock", "err", err)
				case n == 0:
					log.ErrorContext(bg, "Lost the job lock; stopping the run")
					cancel()
					return
				}
			}
		}
	}()
	_, err = runLogged(jobCtx, s.d, j, now)
	close(stopRenew)
	<-renewed
	if err != nil {
		return
	}
	keep := 2*j.Every + time.Minute
	if err := markScript.Run(bg, rdb, []string{markKey}, strconv.FormatInt(slot.UnixMilli(), 10), keep.Milliseconds()).Err(); err != nil && !errors.Is(err, redis.Nil) {
		log.WarnContext(bg, "Cannot record the job's period; it may run again this period", "err", err)
	}
}
