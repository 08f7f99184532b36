package jobs

import (
	"context"
	"testing"
	"time"

	"deputylink/models"

	"github.com/prometheus/client_golang/prometheus"
)

// gather sums every sample of the metric family name in reg.
func gather(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

// gaugeOf returns the value of the gauge name with label status.
func gaugeOf(t testing.TB, reg *prometheus.Registry, name, status string) float64 {
	t.Helper()
	fams, _ := reg.Gather()
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && l.GetValue() == status {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

func TestMetricsAndGauges(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	if again := NewMetrics(reg); again.Sent != m.Sent {
		t.Fatal("a second NewMetrics on the same registry did not reuse the collectors")
	}
	var nilMetrics *Metrics
	nilMetrics.sent(models.ChannelTemplate) // must not panic

	enqueueTemplates(t, e.db, 5, "gauge", time.Now())
	d := e.deps(t, Options{SendRate: 1000})
	d.Metrics = m
	e.fake.FailNext(templatePath, 40037)
	if _, err := RunOnce(context.Background(), d, JobDispatch, time.Now()); err != nil {
		t.Fatal(err)
	}
	enqueueTemplates(t, e.db, 2, "gauge-later", time.Now())
	n, err := RunOnce(context.Background(), d, JobGauges, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("gauges: %d %v", n, err)
	}
	for status, want := range map[string]float64{"sent": 4, "dead": 1, "queued": 2, "failed": 0, "sending": 0} {
		if got := gaugeOf(t, reg, "deputylink_notifications", status); got != want {
			t.Errorf("gauge %s = %v, want %v", status, got, want)
		}
	}
	for name, want := range map[string]float64{
		"deputylink_notifications_sent_total":  4,
		"deputylink_notifications_dead_total":  1,
		"deputylink_notification_send_seconds": 5,
		"deputylink_job_runs_total":            2,
	} {
		if got := gather(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
