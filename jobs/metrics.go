package jobs

import (
	"context"
	"errors"
	"time"

	"deputylink/models"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the jobs' Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	// Sent counts notifications WeChat accepted, by channel.
	Sent *prometheus.CounterVec
	// Failed counts failed attempts that will be retried, by channel.
	Failed *prometheus.CounterVec
	// Dead counts notifications given up on, by channel and reason
	// (permanent, no_consent, attempts, invalid).
	Dead *prometheus.CounterVec
	// SendSeconds is the latency of one WeChat send call, by channel.
	SendSeconds *prometheus.HistogramVec
	// Rows is the number of outbox rows in each status, refreshed by the
	// outbox-gauges job (each process sets it; aggregate with max()).
	Rows *prometheus.GaugeVec
	// JobRuns counts job runs by job and result (ok, error).
	JobRuns *prometheus.CounterVec
	// JobSeconds is how long job runs take, by job.
	JobSeconds *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Registering on a registry that already has them reuses the
// registered collectors, so calling it twice does not panic.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deputylink_notifications_sent_total", Help: "Notifications accepted by WeChat.",
		}, []string{"channel"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deputylink_notifications_failed_total", Help: "Failed notification attempts that will be retried.",
		}, []string{"channel"}),
		Dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deputylink_notifications_dead_total", Help: "Notifications given up on.",
		}, []string{"channel", "reason"}),
		SendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "deputylink_notification_send_seconds", Help: "Latency of one WeChat send call.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"channel"}),
		Rows: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "deputylink_notifications", Help: "Outbox rows by status.",
		}, []string{"status"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deputylink_job_runs_total", Help: "Background job runs by result.",
		}, []string{"job", "result"}),
		JobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "deputylink_job_seconds", Help: "Duration of background job runs.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"job"}),
	}
	if reg != nil {
		m.Sent = register(reg, m.Sent)
		m.Failed = register(reg, m.Failed)
		m.Dead = register(reg, m.Dead)
		m.SendSeconds = register(reg, m.SendSeconds)
		m.Rows = register(reg, m.Rows)
		m.JobRuns = register(reg, m.JobRuns)
		m.JobSeconds = register(reg, m.JobSeconds)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err)
	}
	return c
}

func (m *Metrics) sent(ch models.NotifyChannel) {
	if m == nil {
		return
	}
	m.Sent.WithLabelValues(string(ch)).Inc()
}

func (m *Metrics) latency(ch models.NotifyChannel, d time.Duration) {
	if m == nil {
		return
	}
	m.SendSeconds.WithLabelValues(string(ch)).Observe(d.Seconds())
}

func (m *Metrics) failed(ch models.NotifyChannel) {
	if m == nil {
		return
	}
	m.Failed.WithLabelValues(string(ch)).Inc()
}

func (m *Metrics) dead(ch models.NotifyChannel, reason string) {
	if m == nil {
		return
	}
	m.Dead.WithLabelValues(string(ch), reason).Inc()
}

func (m *Metrics) jobRun(job string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.JobRuns.WithLabelValues(job, result).Inc()
	m.JobSeconds.WithLabelValues(job).Observe(d.Seconds())
}

// RefreshGauges is the outbox-gauges job: it counts the outbox rows by
// status into Metrics.Rows and returns the number of rows not yet final
// (queued, sending, failed).
func RefreshGauges(ctx context.Context, d Deps, _ time.Time) (int, error) {
	counts, err := models.CountNotifications(ctx, d.DB)
	if err != nil {
		return 0, err
	}
	if d.Metrics != nil {
		for s, n := range counts {
			d.Metrics.Rows.WithLabelValues(string(s)).Set(float64(n))
		}
	}
	return int(counts[models.NotifyQueued] + counts[models.NotifySending] + counts[models.NotifyFailed]), nil
}
