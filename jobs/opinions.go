package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// The opinion jobs (docs/ARCHITECTURE.md#opinion-handling, docs/ARCHITECTURE.md#ratings).
const (
	// JobOpinionOverdue tells station heads, then admins, of missed deadlines.
	JobOpinionOverdue = "opinion-overdue"
	// JobOpinionAskResult asks voters "解决了吗?" some days after the reply.
	JobOpinionAskResult = "opinion-ask-result"
	// JobOpinionDeadlines recomputes open items' deadlines after a calendar edit.
	JobOpinionDeadlines = "opinion-deadlines"
)

// OpinionOverdue is the overdue job: it collects the deadlines that passed
// (models.CollectOverdue: the station head at the deadline, the admins
// OverdueAdminDays working days later) and enqueues their notifications in
// the same transaction, so an event is marked told exactly when its
// messages exist. It returns how many events it found.
func OpinionOverdue(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	cal, err := models.LoadCalendar(ctx, d.DB)
	if err != nil {
		return 0, fmt.Errorf("load calendar: %w", err)
	}
	return d.enqueueOpinionPages(ctx, now, func(tx *gorm.DB, after uint64) ([]models.OpinionEvent, uint64, error) {
		return models.CollectOverdueAfter(ctx, tx, cal, opt.Location, now, after, models.DuePage)
	})
}

// OpinionAskResult asks the voters of items replied Opinion.AskResultDays
// (default 7) days ago and not rated yet whether their problem was solved
// (models.DueResultQuestions), enqueueing the questions in the same
// transaction. It returns how many voters it asked.
func OpinionAskResult(ctx context.Context, d Deps, now time.Time) (int, error) {
	days := d.Opt.Opinion.AskResultDays
	return d.enqueueOpinionPages(ctx, now, func(tx *gorm.DB, after uint64) ([]models.OpinionEvent, uint64, error) {
		return models.DueResultQuestionsAfter(ctx, tx, now, days, after, models.DuePage)
	})
}

// RecomputeDeadlines recomputes the deadlines of open items from the
// working-day calendar (models.RecomputeOpenDeadlines) when the calendar
// changed since its last run: it keeps a fingerprint of the holiday table
// in Redis, so the hourly run costs one small query while nothing changed,
// and a calendar edit reaches the open items within the hour. Without
// Redis it recomputes every time. It returns how many items changed.
func RecomputeDeadlines(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	var days []models.Holiday
	if err := d.DB.WithContext(ctx).Order("date").Find(&days).Error; err != nil {
		return 0, fmt.Errorf("load calendar: %w", err)
	}
	h := sha256.New()
	for _, day := range days {
		fmt.Fprintf(h, "%s=%s;", day.Date, day.Kind)
	}
	fp := hex.EncodeToString(h.Sum(nil))
	key := d.Prefix + "opinion:calendar"
	if d.Redis != nil {
		last, err := d.Redis.Get(ctx, key).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			d.log().WarnContext(ctx, "Cannot read the calendar fingerprint; recomputing", "err", err)
		}
		if last == fp {
			return 0, nil
		}
	}
	n, err := models.RecomputeOpenDeadlines(ctx, d.DB, models.NewCalendar(days), opt.Location, now)
	if err != nil {
		return 0, fmt.Errorf("recompute deadlines: %w", err)
	}
	if d.Redis != nil {
		if err := d.Redis.Set(ctx, key, fp, 0).Err(); err != nil {
			d.log().WarnContext(ctx, "Cannot store the calendar fingerprint; the next run recomputes again", "err", err)
		}
	}
	if n > 0 {
		d.log().InfoContext(ctx, "Deadlines recomputed after a calendar change", "job", JobOpinionDeadlines, "items", n)
	}
	return n, nil
}

// enqueueOpinionPages runs collect page after page (models.DuePage
// opinions each, in id order), each page and its notifications in a
// transaction of its own, until a page comes back empty: a backlog of
// thousands of due items (a first start on a county-year) costs one page of
// memory and locks at a time. It returns how many events it enqueued; pages
// committed before an error stay committed.
func (d Deps) enqueueOpinionPages(ctx context.Context, now time.Time, collect func(tx *gorm.DB, after uint64) ([]models.OpinionEvent, uint64, error)) (int, error) {
	total := 0
	var after uint64
	for {
		var last uint64
		n, err := d.enqueueOpinionEvents(ctx, now, func(tx *gorm.DB) ([]models.OpinionEvent, error) {
			evs, l, err := collect(tx, after)
			last = l
			return evs, err
		})
		total += n
		if err != nil || last == 0 {
			return total, err
		}
		after = last
	}
}

// enqueueOpinionEvents runs collect and enqueues the notifications of the
// events it returns (models.NotifyOpinion), in one transaction.
func (d Deps) enqueueOpinionEvents(ctx context.Context, now time.Time, collect func(tx *gorm.DB) ([]models.OpinionEvent, error)) (int, error) {
	cfg := d.notifyConfig(d.log())
	var events []models.OpinionEvent
	err := models.RunTx(ctx, d.DB, func(tx *gorm.DB) error {
		var err error
		if events, err = collect(tx); err != nil {
			return err
		}
		_, err = models.NotifyOpinion(ctx, tx, events, cfg, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(events), nil
}
