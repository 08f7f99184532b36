// Package handlers is deputylink's HTTP layer: the gin router, its
// middleware, and one file per resource. Handlers parse, validate, call
// models or wechat, and respond; business rules live in models.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"deputylink/config"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Deps is everything the handlers need, wired by cmd/deputylink.
type Deps struct {
	DB    *gorm.DB
	Redis redis.UniversalClient
	// RedisPrefix namespaces our Redis keys.
	RedisPrefix string
	Log         *slog.Logger
	// Registry receives the HTTP metrics and serves /metrics.
	Registry  *prometheus.Registry
	BodyLimit int64
	Location  *time.Location
	// Now is the clock; tests inject a fixed one.
	Now     func() time.Time
	Version string
	// MP is the mini-program side of WeChat (login, phone number).
	MP MiniProgram
	// Sealer encrypts personal data at rest.
	Sealer *models.Sealer
	// Limits are the abuse limits; the zero value turns them all off.
	Limits RateLimits
	// OA configures the official-account push endpoint and its bot.
	OA OAConfig
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
	Notify NotifyTemplates
}

// Handlers holds the dependencies of every handler.
type Handlers struct {
	Deps
	// full maps a slot that refused a booking as full to when that
	// answer stops being repeated (see SoldOutTTL).
	full sync.Map
	// dbGate admits bookings to the database as many at a time as the
	// pool has connections (nil: unlimited pool).
	dbGate chan struct{}
	// rb sends the per-request Redis commands of concurrent requests
	// (rate limits, sessions, idempotency keys, the sold-out flag)
	// together; nil without Redis.
	rb *redisBatcher
}

// NewRouter builds the gin engine with all middleware and routes.
func NewRouter(d Deps) *gin.Engine {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	if d.BodyLimit <= 0 {
		d.BodyLimit = 1 << 20
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	h := &Handlers{Deps: d}
	if d.Redis != nil {
		h.rb = newRedisBatcher(d.Redis, requestRedisBudget, 256, nil)
	}
	if d.DB != nil {
		if sqlDB, err := d.DB.DB(); err == nil {
			if n := sqlDB.Stats().MaxOpenConnections; n > 0 {
				h.dbGate = make(chan struct{}, n)
			}
		}
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	// We are behind one trusted reverse proxy at most; never trust arbitrary
	// X-Forwarded-For for the rate limits.
	_ = r.SetTrustedProxies([]string{"127.0.0.1", "::1"})
	m := newHTTPMetrics(d.Registry)
	r.Use(requestIDMiddleware(d.Log), recovery(), m.middleware(), accessLog(), bodyLimit(d.BodyLimit))
	r.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, "route_not_found", "没有这个地址") })
	r.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, "method_not_allowed", "不支持这种请求方式")
	})

	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))

	api := r.Group("/api/v1")
	api.GET("/codes/:code", h.getCode)
	api.GET("/deputies/:id", h.getDeputy)
	api.GET("/stations", h.listStations)
	api.GET("/stations/:id", h.getStation)
	h.sessionRoutes(api)
	h.bookingRoutes(api)
	h.opinionRoutes(api)
	r.Any("/wechat/official", h.wechatOfficial())
	h.consoleRoutes(r)
	return r
}

func (h *Handlers) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": h.Version})
}

// readyz pings the database and Redis; a load balancer stops sending
// traffic to a replica that answers 503.
func (h *Handlers) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{"database": "ok", "redis": "ok"}
	ok := true
	if err := models.Ping(ctx, h.DB); err != nil {
		checks["database"], ok = "down", false
		logger(c).WarnContext(ctx, "Readiness: database down", "err", err)
	}
	if h.Redis == nil {
		checks["redis"], ok = "missing", false
	} else if err := h.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"], ok = "down", false
		logger(c).WarnContext(ctx, "Readiness: redis down", "err", err)
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}
