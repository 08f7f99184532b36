package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"deputylink/models"
	"deputylink/wechat"
)

// errNoSender is recorded on rows while no WeChat client is configured.
var errNoSender = errors.New("wechat client not configured: set DEPUTYLINK_OA_APPID/SECRET (and MP for subscribe messages)")

// Dispatch is the outbox dispatcher job. It claims due notifications in
// batches and sends them, Concurrency at a time and no faster than SendRate
// per process, until none is due before the next tick (a row due sooner,
// such as a retry with a short delay, is waited for and sent in the same
// run); it returns how many it handled (sent, retried or dead).
//
// Outcomes: Sent → sent; Retryable → failed and due again after RetryDelay,
// or dead after MaxAttempts; Permanent → dead; NoConsent (43101) → the
// voter's consent count is dropped to zero and the row is dead, never
// retried. A subscribe message holds its consent from the moment it was
// queued (the consent rule in models); a row queued before that settles
// one here (models.SpendConsent). Template messages carry the row id as
// client_msg_id, so a row re-claimed after a worker died mid-send is not
// delivered twice within WeChat's 10-minute window.
//
// When ctx is cancelled it stops claiming, lets the sends in flight finish
// and records them, and hands the claimed rows it did not send back
// (models.Release) so another worker takes them at once.
func Dispatch(ctx context.Context, d Deps, now time.Time) (int, error) {
	d.Opt = d.Opt.withDefaults()
	lim := d.limiter
	if lim == nil {
		lim = newLimiter(d.Opt.SendRate)
	}
	start := time.Now()
	clock := func() time.Time { return now.Add(time.Since(start)) }
	size := claimSize(d.Opt)

	// The claimer keeps a batch ready in the channel while the workers send
	// the previous one, so the limiter, not the claim round trips, sets the
	// pace. Rows wait at most about two batches, half a lease (claimSize).
	work := make(chan models.Notification, size)
	var handled atomic.Int64
	var wg, inFlight sync.WaitGroup
	for range d.Opt.Concurrency {
		wg.Go(func() {
			for row := range work {
				if d.deliver(ctx, row, lim, clock) {
					handled.Add(1)
				}
				inFlight.Done()
			}
		})
	}
	var claimErr error
	for ctx.Err() == nil {
		rows, err := models.Claim(ctx, d.DB, clock(), size, d.Opt.Lease)
		if err != nil {
			if ctx.Err() == nil {
				claimErr = fmt.Errorf("claim: %w", err)
			}
			break
		}
		inFlight.Add(len(rows))
		for _, r := range rows {
			work <- r // the workers release what they cannot send after a cancel
		}
		if len(rows) == size {
			continue
		}
		// Fewer rows than asked: nothing else is due now. Let the sends
		// finish (their retries are recorded by then), then go on when
		// the earliest waiting row is due if that comes before the next
		// tick; otherwise the tick starts the next run.
		inFlight.Wait()
		if err := d.untilNextDue(ctx, clock, len(rows) == 0); err != nil {
			if !errors.Is(err, errNothingDue) && ctx.Err() == nil {
				claimErr = err
			}
			break
		}
	}
	close(work)
	wg.Wait()
	return int(handled.Load()), claimErr
}

// errNothingDue ends a dispatcher run: no row is due before the next tick.
var errNothingDue = errors.New("no notification due before the next tick")

// idlePause is the least a run waits before claiming again after a claim
// that found nothing although a row was due (rows another worker is just
// claiming look due until its transaction commits): no busy loop.
const idlePause = 20 * time.Millisecond

// untilNextDue waits until the earliest queued or failed row is due, if it
// is due before the scheduler's next wall-clock tick (Opt.Tick), and
// returns errNothingDue otherwise. A retry due in 200 ms is thus sent by
// the same run 200 ms later, not at the next tick; the production backoff
// (a minute and more) always ends the run. Every run of every process still
// takes rows only through Claim, so leases keep each send to one worker.
func (d Deps) untilNextDue(ctx context.Context, clock func() time.Time, idle bool) error {
	due, found, err := models.NextDue(ctx, d.DB)
	if err != nil {
		if ctx.Err() != nil {
			return errNothingDue
		}
		return fmt.Errorf("next due: %w", err)
	}
	if !found {
		return errNothingDue
	}
	wait := due.Sub(clock())
	if idle {
		wait = max(wait, idlePause)
	}
	if wait > time.Until(time.Now().Truncate(d.Opt.Tick).Add(d.Opt.Tick)) {
		return errNothingDue
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errNothingDue
	case <-t.C:
		return nil
	}
}

// claimSize keeps a claim small enough that two claims' worth of rows get
// through the rate limiter within half a lease.
func claimSize(o Options) int {
	fit := int(o.SendRate * o.Lease.Seconds() / 4)
	return max(1, min(o.Batch, fit))
}

// deliver sends one claimed row and records the outcome. It reports whether
// the row was handled (false: released or left to its lease).
func (d Deps) deliver(ctx context.Context, row models.Notification, lim *limiter, clock func() time.Time) bool {
	// Sends in flight and their bookkeeping outlive a shutdown request.
	bg := context.WithoutCancel(ctx)
	if ctx.Err() != nil || lim.Wait(ctx) != nil {
		d.release(bg, row, clock())
		return false
	}
	// Do not start a send so late in the lease that another worker may
	// take the row up while it is in flight.
	if row.LeaseUntil != nil && clock().After(row.LeaseUntil.Add(-d.Opt.Lease/4)) {
		d.release(bg, row, clock())
		return false
	}
	log := d.log().With("notification", row.ID, "channel", row.Channel, "attempt", row.Attempts)
	data, err := row.Data()
	if err != nil {
		d.Metrics.dead(row.Channel, "invalid")
		d.mark(bg, log, models.MarkDead(bg, d.DB, row, err.Error(), clock()))
		return true
	}
	if row.Channel == models.ChannelSubscribe {
		ok, err := models.SpendConsent(bg, d.DB, d.notifyConfig(log), row, clock())
		if err != nil {
			d.mark(bg, log, err)
			return false
		}
		if !ok {
			log.WarnContext(ctx, "Notification dead: no subscribe consent left")
			d.Metrics.dead(row.Channel, "no_consent")
			d.mark(bg, log, models.MarkDead(bg, d.DB, row, "no subscribe consent left (not sent)", clock()))
			return true
		}
	}

	sendCtx, cancel := context.WithTimeout(bg, d.Opt.Lease/2)
	began := time.Now()
	res := d.send(sendCtx, row, data)
	cancel()
	d.Metrics.latency(row.Channel, time.Since(began))

	at := clock()
	cause := ""
	if res.Err != nil {
		cause = res.Err.Error()
	}
	switch res.Outcome {
	case wechat.Sent:
		d.Metrics.sent(row.Channel)
		d.mark(bg, log, models.MarkSent(bg, d.DB, row, res.MsgID, at))
	case wechat.Retryable:
		if row.Attempts >= d.Opt.MaxAttempts {
			log.WarnContext(ctx, "Notification dead: out of attempts", "errcode", res.ErrCode, "err", res.Err)
			d.Metrics.dead(row.Channel, "attempts")
			d.mark(bg, log, models.MarkDead(bg, d.DB, row, fmt.Sprintf("gave up after %d attempts: %s", row.Attempts, cause), at))
			break
		}
		log.DebugContext(ctx, "Notification failed, will retry", "errcode", res.ErrCode, "err", res.Err)
		d.Metrics.failed(row.Channel)
		d.mark(bg, log, models.MarkRetry(bg, d.DB, row, cause, at.Add(d.retryDelay(row.Attempts)), at))
	case wechat.NoConsent:
		log.WarnContext(ctx, "Notification dead: no consent (43101)")
		d.Metrics.dead(row.Channel, "no_consent")
		if row.Channel == models.ChannelSubscribe {
			d.mark(bg, log, models.DropConsent(bg, d.DB, row.ToUser, row.TemplateID, at))
		}
		d.mark(bg, log, models.MarkDead(bg, d.DB, row, "no consent: "+cause, at))
	default:
		log.WarnContext(ctx, "Notification dead: permanent error", "errcode", res.ErrCode, "err", res.Err)
		d.Metrics.dead(row.Channel, "permanent")
		d.mark(bg, log, models.MarkDead(bg, d.DB, row, cause, at))
	}
	return true
}

// send makes the WeChat call for row.
func (d Deps) send(ctx context.Context, row models.Notification, data map[string]string) wechat.Result {
	if noSender(d.WeChat) {
		return wechat.Result{Outcome: wechat.Retryable, Err: errNoSender}
	}
	switch row.Channel {
	case models.ChannelTemplate:
		m := wechat.TemplateMessage{
			ToUser: row.ToUser, TemplateID: row.TemplateID, URL: row.URL, Data: data,
			ClientMsgID: strconv.FormatUint(row.ID, 10),
		}
		if row.MiniPage != "" {
			m.MiniProgramAppID, m.MiniProgramPage = d.Opt.MiniProgramAppID, row.MiniPage
		}
		return d.WeChat.SendTemplate(ctx, m)
	case models.ChannelSubscribe:
		return d.WeChat.SendSubscribe(ctx, wechat.SubscribeMessage{
			ToUser: row.ToUser, TemplateID: row.TemplateID, Page: row.URL,
			MiniprogramState: d.Opt.MiniprogramState, Data: data,
		})
	case models.ChannelCustom:
		return d.WeChat.SendCustomText(ctx, row.ToUser, data["text"])
	}
	return wechat.Result{Outcome: wechat.Permanent, Err: fmt.Errorf("unknown channel %q", row.Channel)}
}

func noSender(s Sender) bool {
	if s == nil {
		return true
	}
	c, ok := s.(*wechat.Client)
	return ok && c == nil
}

func (d Deps) retryDelay(attempt int) time.Duration {
	if d.Opt.RetryDelay != nil {
		return d.Opt.RetryDelay(attempt)
	}
	return models.RetryDelay(attempt)
}

func (d Deps) release(ctx context.Context, row models.Notification, now time.Time) {
	d.mark(ctx, d.log().With("notification", row.ID), models.Release(ctx, d.DB, row, now))
}

// mark logs a failed bookkeeping write. The row then stays sending and is
// taken up again when its lease ends; a stale claim is expected and quiet.
func (d Deps) mark(ctx context.Context, log *slog.Logger, err error) {
	switch {
	case err == nil:
	case errors.Is(err, models.ErrStaleClaim):
		log.DebugContext(ctx, "Notification was claimed again by another worker; outcome not recorded")
	default:
		log.ErrorContext(ctx, "Recording a notification outcome failed; the lease will bring it back", "err", err)
	}
}

// limiter spaces events at least 1/rate apart across all its callers (a
// token bucket of size one).
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
	// granted, when set (tests), is told each turn handed out, in order.
	granted func(at time.Time)
}

func newLimiter(rate float64) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// Wait blocks until the caller's turn, or until ctx is done.
func (l *limiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	if l.granted != nil {
		l.granted(at)
	}
	l.mu.Unlock()
	wait := at.Sub(now)
	if wait <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
