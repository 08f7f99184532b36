package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"deputylink/config"
	"deputylink/models"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// app holds the long-lived dependencies of one process.
type app struct {
	cfg config.Config
	log *slog.Logger
	db  *gorm.DB
	// redis is one server (*redis.Client) or a Redis Cluster
	// (*redis.ClusterClient, DEPUTYLINK_REDIS_CLUSTER); every component
	// takes the same client.
	redis    redis.UniversalClient
	mini     *miniredis.Miniredis // the in-process Redis, when no URL is set
	registry *prometheus.Registry
}

// environ lists the environment (os.Environ); tests swap it. Only the names
// whose getenv value is set are checked, so a test's own getenv decides.
var environ = os.Environ

// logOutput is where the logs go; tests swap it.
var logOutput io.Writer = os.Stderr

// loadConfig reads the environment, builds the logger and warns about
// misspelled variables and laptop settings in production.
func loadConfig(getenv func(string) string) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(getenv)
	if err == nil {
		err = models.CheckTemplateFields(cfg.Notify, cfg.OpinionNotify, cfg.Templates.StaffAlert, cfg.DeputyNotify)
	}
	if err != nil {
		return cfg, nil, err
	}
	log := newLogger(cfg, logOutput)
	var names []string
	for _, kv := range environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "" && getenv(k) != "" {
			names = append(names, k)
		}
	}
	for _, w := range cfg.Warnings(names) {
		log.Warn(w.String())
	}
	redis.SetLogger(redisLogger{log})
	return cfg, log, nil
}

// redisLogger sends go-redis's own messages (dial retries, mostly) to the
// log at debug level instead of raw lines on stderr: the failures they
// describe reach the caller as errors and are logged there.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h)
}

// openApp connects to the database (and migrates it when migrate is true)
// and to Redis, starting an in-process Redis when no URL is configured.
func openApp(ctx context.Context, getenv func(string) string, migrate bool) (*app, error) {
	cfg, log, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log}
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	dbCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	a.db, err = models.Open(dbCtx, cfg.DatabaseURL, models.OpenOptions{Logger: log})
	if err != nil {
		return nil, cfg.DatabaseError(err)
	}
	// Redis before migrating: a start that cannot reach it changes nothing.
	if err := a.openRedis(ctx); err != nil {
		a.close()
		return nil, err
	}
	if migrate {
		n, err := models.Migrate(dbCtx, a.db)
		if err != nil {
			a.close()
			return nil, err
		}
		if n > 0 {
			log.Info("Database migrated", "applied", n, "version", models.SchemaVersion())
		}
	}
	log.Info("Connected", "database", string(models.DialectOf(a.db)), "redis", a.redisKind(), "version", versionString())
	return a, nil
}

func (a *app) openRedis(ctx context.Context) error {
	const timeout = 3 * time.Second
	addr := ""
	switch {
	case a.cfg.RedisCluster != "":
		opt, err := redis.ParseClusterURL(a.cfg.RedisCluster)
		if err != nil {
			return &config.Error{Var: "DEPUTYLINK_REDIS_CLUSTER", Msg: err.Error()}
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
		a.redis = redis.NewClusterClient(opt)
	case a.cfg.RedisURL != "":
		opt, err := redis.ParseURL(a.cfg.RedisURL)
		if err != nil {
			return &config.Error{Var: "DEPUTYLINK_REDIS_URL", Msg: err.Error()}
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
		a.redis = redis.NewClient(opt)
	default:
		// No Redis configured: run one inside this process. It keeps
		// its keys in memory (serve saves sessions and idempotency
		// answers to the data directory, see redissnapshot.go), which
		// suits one process on a laptop; production sets
		// DEPUTYLINK_REDIS_URL or DEPUTYLINK_REDIS_CLUSTER.
		a.mini = miniredis.NewMiniRedis()
		// Keys expire as the clock runs, as in a real Redis (miniredis
		// otherwise only counts TTLs down when told to).
		a.mini.ClockTTL(true)
		if err := a.mini.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("start in-process redis: %w", err)
		}
		addr = a.mini.Addr()
		a.redis = redis.NewClient(&redis.Options{Addr: addr,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout})
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.redis.Ping(pctx).Err(); err != nil {
		if a.mini != nil {
			return fmt.Errorf("in-process redis at %s: %w", addr, err)
		}
		return a.cfg.RedisError(err)
	}
	return nil
}

func (a *app) redisKind() string {
	if a.mini != nil {
		return "in-process"
	}
	if a.cfg.RedisCluster != "" {
		return "cluster"
	}
	return "external"
}

// close releases everything; it is safe on a half-opened app.
func (a *app) close() {
	var errs []error
	if a.redis != nil {
		errs = append(errs, a.redis.Close())
	}
	if a.mini != nil {
		a.mini.Close()
	}
	if a.db != nil {
		errs = append(errs, models.Close(a.db))
	}
	if err := errors.Join(errs...); err != nil && a.log != nil {
		a.log.Warn("Closing connections", "err", err)
	}
}

// setMemoryLimit gives the Go runtime its soft memory limit
// (DEPUTYLINK_MEMORY_LIMIT) unless GOMEMLIMIT set one already. Only the
// long-running commands (serve, worker) set it: a one-shot command such as
// an import may need more for a while. GOGC stays
// on: the collector runs more often only when the heap nears the limit, and
// Go caps the collector's share of the CPU when the live heap itself
// outgrows the limit, so a process past it slows instead of stalling
// (docs/ARCHITECTURE.md, "Memory").
func (a *app) setMemoryLimit(getenv func(string) string) {
	limit, log := a.cfg.MemoryLimit, a.log
	if getenv("GOMEMLIMIT") != "" {
		log.Info("Memory limit from GOMEMLIMIT", "bytes", debug.SetMemoryLimit(-1))
		return
	}
	if limit <= 0 {
		limit = math.MaxInt64 // Go's own "no limit"
	}
	debug.SetMemoryLimit(limit)
}
