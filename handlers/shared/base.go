package shared

import (
	"context"
	"log/slog"
	"time"

	"deputylink/config"
	"deputylink/models"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Deps are the dependencies more than one face uses; the router fills them
// from handlers.Deps, defaults applied.
type Deps struct {
	DB    *gorm.DB
	Redis redis.UniversalClient
	// RedisPrefix namespaces our Redis keys.
	RedisPrefix string
	Log         *slog.Logger
	// Registry receives the metrics.
	Registry *prometheus.Registry
	Location *time.Location
	// Now is the clock; tests inject a fixed one.
	Now func() time.Time
	// DataDir is the data directory; uploaded photos live under
	// <DataDir>/uploads. Empty turns uploads off (503).
	DataDir string
	// Routes caches what opinion routing needs (stations, communities,
	// deputies, codes); nil loads it for every filing.
	Routes *models.RouteWorldCache
	// OpinionNotify configures the opinion notifications
	// (config.LoadOpinionNotify); unconfigured templates are skipped.
	OpinionNotify config.OpinionNotify
	// Notify holds the templates of the reception-day notifications
	// (config.LoadNotify); unconfigured templates are skipped.
	Notify config.NotifyTemplates
	// DeputyNotify holds the deputies' notice templates and weekly cap
	// (config.LoadDeputyNotify); unconfigured templates are skipped.
	DeputyNotify config.DeputyNotify
}

// Base is what the handlers of every face hold: the shared dependencies and
// the state built once per router.
type Base struct {
	Deps
	// dbGate admits bookings to the database as many at a time as the
	// pool has connections (nil: unlimited pool).
	dbGate chan struct{}
	// rb sends the per-request Redis commands of concurrent requests
	// (rate limits, sessions, idempotency keys, the sold-out flag)
	// together; nil without Redis.
	rb *RedisBatcher
	// scans holds the ScanHooks of our temporary QR codes.
	scans scanHooks
}

// NewBase builds the shared state of one router.
func NewBase(d Deps) *Base {
	b := &Base{Deps: d}
	if d.Redis != nil {
		b.rb = NewRedisBatcher(d.Redis, requestRedisBudget, 256, nil)
	}
	if d.DB != nil {
		if sqlDB, err := d.DB.DB(); err == nil {
			if n := sqlDB.Stats().MaxOpenConnections; n > 0 {
				b.dbGate = make(chan struct{}, n)
			}
		}
	}
	return b
}

// errBusy answers a request that gave up waiting for the database.
var errBusy = models.Coded(ErrUnavailable, "busy", "当前预约的人较多，请稍后再试")

// AdmitDB waits for one of as many places as the database pool has
// connections (none to wait for with an unlimited pool), or for ctx.
func (h *Base) AdmitDB(ctx context.Context) (release func(), err error) {
	if h.dbGate == nil {
		return func() {}, nil
	}
	select {
	case h.dbGate <- struct{}{}:
		return func() { <-h.dbGate }, nil
	case <-ctx.Done():
		return nil, errBusy
	}
}
