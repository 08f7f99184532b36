// Package jobs runs deputylink's background work: the notification outbox
// dispatcher, the daily stuck-notification digest and the outbox gauges.
//
// A job is a plain function of (ctx, deps, now) returning a count and an
// error. The Scheduler runs jobs periodically in every serve/worker process:
//
//   - Exclusive jobs (the default, e.g. the digest) take a Redis leader lock
//     per run and leave a per-period marker, so however many replicas run,
//     each period's run happens once.
//   - Concurrent jobs (the dispatcher, the gauges) run in every process on
//     every tick without a lock. The dispatcher is safe that way because
//     models.Claim hands each worker disjoint rows (FOR UPDATE SKIP LOCKED on
//     MySQL), so two workers share the load instead of one idling.
//
// RunOnce runs one job by name, for `deputylink jobs run NAME`.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"deputylink/config"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// TemplateSpec is a WeChat template id and how our field names map onto its
// keywords (the same type config parses DEPUTYLINK_TPL_* into).
type TemplateSpec = config.TemplateSpec

// Sender sends WeChat messages; *wechat.Client implements it.
type Sender interface {
	SendTemplate(ctx context.Context, m wechat.TemplateMessage) wechat.Result
	SendSubscribe(ctx context.Context, m wechat.SubscribeMessage) wechat.Result
	SendCustomText(ctx context.Context, openid, text string) wechat.Result
}

// Options tune the jobs. Zero values fall back to the defaults noted (those
// shared with the configuration are config.Default's).
type Options struct {
	// SendRate is the most sends per second of one process (default 50).
	SendRate float64
	// MaxAttempts is how many attempts a notification gets before it is
	// dead (default 8).
	MaxAttempts int
	// Batch caps how many rows one claim takes (default 100). A claim is
	// also capped at what SendRate can send in half a Lease, so claimed rows
	// never wait out their lease in this process's rate limiter.
	Batch int
	// Lease is how long a claimed row may stay sending before another
	// worker takes it up again (default 2 min).
	Lease time.Duration
	// Tick is how often the dispatcher looks for due rows (default 1 s).
	Tick time.Duration
	// DigestHour is the local hour of the daily stuck digest (0–23).
	DigestHour int
	// StaffAlertTemplate is the OA template of the digest sent to staff.
	// Our fields: title, count, dead, overdue, station, time.
	StaffAlertTemplate TemplateSpec
	// Location is the deployment's time zone (default config.DefaultLocation).
	Location *time.Location

	// Concurrency is how many sends one dispatcher has in flight (default 8).
	Concurrency int
	// RetryDelay is the wait after failed attempt n (default
	// models.RetryDelay: 1 min, 5 min, 30 min, 2 h, 6 h, then 12 h).
	RetryDelay func(attempt int) time.Duration
	// OverdueAfter is how long past its due time a notification may wait
	// before the digest calls it overdue (default 1 h).
	OverdueAfter time.Duration
	// MiniProgramAppID is linked to template messages that open a
	// mini-program page (Notification.MiniPage).
	MiniProgramAppID string
	// MiniprogramState is sent with subscribe messages: developer, trial or
	// formal ("" = formal).
	MiniprogramState string
	// Opinion configures the opinion notifications the opinion jobs queue
	// and the "解决了吗?" delay (config.LoadOpinionNotify).
	Opinion config.OpinionNotify
	// Reception holds the templates of the reception-day reminders and
	// staff rosters (config.LoadNotify); unconfigured ones are skipped.
	Reception config.NotifyTemplates
	// Deputy holds the deputies' notice templates and weekly cap
	// (config.LoadDeputyNotify).
	Deputy config.DeputyNotify
	// DataDir is the data directory holding uploads/; empty turns the
	// upload clean-up off.
	DataDir string
	// RetentionDays is how long closed items keep the personal data they
	// hold before the retention job anonymises it (default 1095).
	RetentionDays int
}

// OptionsFrom builds Options from the loaded configuration.
func OptionsFrom(c config.Config) Options {
	return Options{
		SendRate: c.Jobs.SendRate, MaxAttempts: c.Jobs.MaxAttempts, Batch: c.Jobs.Batch,
		Lease: c.Jobs.Lease, Tick: c.Jobs.Tick, DigestHour: c.Jobs.DigestHour,
		StaffAlertTemplate: c.Templates.StaffAlert, Location: c.Timezone,
		MiniProgramAppID: c.MP.AppID,
		Opinion:          c.OpinionNotify, Reception: c.Notify, Deputy: c.DeputyNotify,
		DataDir: c.DataDir, RetentionDays: c.Jobs.RetentionDays,
	}
}

func (o Options) withDefaults() Options {
	def := config.Default().Jobs
	if o.SendRate <= 0 {
		o.SendRate = def.SendRate
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = def.MaxAttempts
	}
	if o.Batch <= 0 {
		o.Batch = def.Batch
	}
	if o.Lease <= 0 {
		o.Lease = def.Lease
	}
	if o.Tick <= 0 {
		o.Tick = def.Tick
	}
	if o.DigestHour < 0 || o.DigestHour > 23 {
		o.DigestHour = def.DigestHour
	}
	if o.RetentionDays <= 0 {
		o.RetentionDays = def.RetentionDays
	}
	if o.Location == nil {
		o.Location = config.DefaultLocation()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.OverdueAfter <= 0 {
		o.OverdueAfter = time.Hour
	}
	return o
}

// Deps is what jobs need. The zero Metrics and Log are fine.
type Deps struct {
	DB    *gorm.DB
	Redis redis.UniversalClient
	// Prefix namespaces the scheduler's Redis keys (config RedisPrefix).
	Prefix string
	// WeChat sends the notifications; nil makes every send a retryable
	// failure ("wechat client not configured") so nothing is lost.
	WeChat  Sender
	Log     *slog.Logger
	Metrics *Metrics
	Opt     Options

	// limiter is shared by every dispatcher run of one Scheduler, so
	// SendRate holds per process; a Deps without one gets one per run.
	limiter *limiter
}

// notifyConfig is what models needs to build notices, logging to log.
func (d Deps) notifyConfig(log *slog.Logger) models.NotifyConfig {
	opt := d.Opt.withDefaults()
	return models.NotifyConfig{
		Reception: opt.Reception, Opinion: opt.Opinion, StaffAlert: opt.StaffAlertTemplate, Deputy: opt.Deputy,
		Location: opt.Location, Log: log,
	}
}

func (d Deps) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

// Job is one background job.
type Job struct {
	Name string
	// Every is the job's period: the scheduler runs it once per period.
	Every time.Duration
	Run   func(ctx context.Context, d Deps, now time.Time) (int, error)
	// Concurrent jobs run in every process at every tick, without the
	// leader lock; the others run once per period across all processes.
	Concurrent bool

	// slot returns the start of the period holding now (default: now
	// truncated to Every); poll is how often the scheduler checks whether
	// the period's run is due (default Every).
	slot func(now time.Time) time.Time
	poll time.Duration
	// daily jobs run once a day at dailyAt:00 local time (see dailyJob).
	daily   bool
	dailyAt int
}

// Schedule describes when the job runs, for people: "every 1s",
// "every 10m", "hourly", "daily 02:00" (local time, DEPUTYLINK_TIMEZONE).
func (j Job) Schedule() string {
	switch {
	case j.daily:
		return fmt.Sprintf("daily %02d:00", j.dailyAt)
	case j.Every == 24*time.Hour:
		return "daily"
	case j.Every == time.Hour:
		return "hourly"
	}
	return "every " + ShortDuration(j.Every)
}

// ShortDuration is d without zero units: 10m, not 10m0s; 72h, not 72h0m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Job names.
const (
	JobDispatch    = "dispatch"
	JobStuckDigest = "stuck-digest"
	JobGauges      = "outbox-gauges"
	JobDrainScans  = "drain-scans"
)

// drainScansJob moves QR scan counts from Redis into the database.
func drainScansJob(ctx context.Context, d Deps, now time.Time) (int, error) {
	return DrainScans(ctx, d.DB, d.Redis, d.Prefix, now)
}

// All returns deputylink's jobs configured by opt.
func All(opt Options) []Job {
	opt = opt.withDefaults()
	hour, loc := opt.DigestHour, opt.Location
	return []Job{
		{Name: JobDispatch, Every: opt.Tick, Run: Dispatch, Concurrent: true},
		dailyJob(JobStuckDigest, hour, loc, StuckDigest),
		{Name: JobGauges, Every: 15 * time.Second, Run: RefreshGauges, Concurrent: true},
		// drain-scans adds each batch once, so it may run everywhere.
		{Name: JobDrainScans, Every: time.Second, Run: drainScansJob, Concurrent: true},
		{Name: JobOpinionOverdue, Every: 10 * time.Minute, Run: OpinionOverdue},
		{Name: JobOpinionAskResult, Every: time.Hour, Run: OpinionAskResult},
		{Name: JobOpinionDeadlines, Every: time.Hour, Run: RecomputeDeadlines},
		{Name: JobCleanUploads, Every: time.Hour, Run: CleanUploads},
		dailyJob(JobReceptionDays, generateHour, loc, GenerateReceptionDays),
		dailyJob(JobCloseReceptionDays, closeHour, loc, CloseReceptionDays),
		dailyJob(JobReceptionReminders, ReminderHour, loc, ReceptionReminders),
		dailyJob(JobStaffRoster, RosterHour, loc, StaffRoster),
		dailyJob(JobRetention, retentionHour, loc, Retention),
		dailyJob(JobAccrueActivities, accrueHour, loc, AccrueActivities),
		{Name: JobCloseReviews, Every: closeReviewsEvery, Run: CloseReviews},
		dailyJob(JobMonthlyReport, ReportHour, loc, MonthlyReport),
	}
}

// dailySlot is the latest hour:00 local time at or before now.
func dailySlot(now time.Time, hour int, loc *time.Location) time.Time {
	l := now.In(loc)
	s := time.Date(l.Year(), l.Month(), l.Day(), hour, 0, 0, 0, loc)
	if s.After(l) {
		s = time.Date(l.Year(), l.Month(), l.Day()-1, hour, 0, 0, 0, loc)
	}
	return s
}

// Names lists the jobs' names.
func Names(jobs []Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Name
	}
	return out
}

// RunOnce runs the job called name once, now, without the scheduler's lock
// (every job is idempotent: the dispatcher claims rows, the digest dedupes
// per day). An unknown name is an error listing the known ones.
func RunOnce(ctx context.Context, d Deps, name string, now time.Time) (int, error) {
	d.Opt = d.Opt.withDefaults()
	all := All(d.Opt)
	i := slices.IndexFunc(all, func(j Job) bool { return j.Name == name })
	if i < 0 {
		return 0, fmt.Errorf("unknown job %q (jobs: %s)", name, strings.Join(Names(all), ", "))
	}
	return runLogged(ctx, d, all[i], now)
}

// runLogged runs one job and logs and measures the run.
func runLogged(ctx context.Context, d Deps, j Job, now time.Time) (int, error) {
	start := time.Now()
	n, err := j.Run(ctx, d, now)
	elapsed := time.Since(start)
	d.Metrics.jobRun(j.Name, elapsed, err)
	attrs := []any{"job", j.Name, "count", n, "duration_ms", elapsed.Milliseconds()}
	switch {
	case err != nil:
		d.log().ErrorContext(ctx, "Job failed", append(attrs, "err", err)...)
	case n == 0 && j.Concurrent:
		d.log().DebugContext(ctx, "Job ran", attrs...)
	default:
		d.log().InfoContext(ctx, "Job ran", attrs...)
	}
	return n, err
}
