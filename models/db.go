package models

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL database behind a *gorm.DB.
type Dialect string

// The two supported databases.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// DialectOf reports which database db talks to.
func DialectOf(db *gorm.DB) Dialect {
	if db.Dialector.Name() == "mysql" {
		return MySQL
	}
	return SQLite
}

// OpenOptions tunes Open. The zero value is fine.
type OpenOptions struct {
	Logger *slog.Logger
	// Now is gorm's clock for CreatedAt/UpdatedAt; tests inject a fixed one.
	Now func() time.Time
	// MaxOpenConns caps MySQL connections (default 20). SQLite always uses one.
	MaxOpenConns int
}

// Open connects to the database named by a sqlite:// or mysql:// URL.
//
// SQLite (pure Go, no cgo) runs in WAL mode with a busy timeout and exactly
// one connection: SQLite allows one writer at a time, and one connection
// makes that writer a queue in Go instead of SQLITE_BUSY errors.
//
// MySQL runs utf8mb4 (emoji and rare characters in names survive), parses
// DATETIMEs into time.Time in UTC, and retires connections well before the
// server's wait_timeout so a pooled connection is never found dead.
func Open(ctx context.Context, rawURL string, opt OpenOptions) (*gorm.DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	gcfg := &gorm.Config{
		TranslateError:                           true,
		DisableForeignKeyConstraintWhenMigrating: true,
		Logger:                                   newGormLogger(opt.Logger),
		NowFunc: func() time.Time {
			if opt.Now != nil {
				return opt.Now().UTC()
			}
			return time.Now().UTC()
		},
	}
	var db *gorm.DB
	switch u.Scheme {
	case "sqlite":
		path := strings.TrimPrefix(rawURL, "sqlite://")
		path, _, _ = strings.Cut(path, "?")
		if path == "" {
			return nil, fmt.Errorf("database url: sqlite needs a path")
		}
		dsn := path
		if path != ":memory:" && !strings.HasPrefix(path, "file:") {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		// _txlock=immediate: every transaction takes the write lock when it
		// begins, so two processes never deadlock upgrading a read lock.
		// (No _time_format: the driver ignores _txlock after it. The default
		// format is SQLite's own; times are stored in UTC so that text
		// comparisons in WHERE clauses order correctly.)
		dsn += sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err = retryBusy(ctx, func() (*gorm.DB, error) { return gorm.Open(sqlite.Open(dsn), gcfg) })
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetConnMaxLifetime(0)
	case "mysql":
		dsn, err := MySQLDSN(rawURL)
		if err != nil {
			return nil, err
		}
		db, err = gorm.Open(mysql.Open(dsn), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open mysql: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		n := opt.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxLifetime(mysqlLifetime(ctx, db))
	default:
		return nil, fmt.Errorf("database url: unsupported scheme %q (want sqlite or mysql)", u.Scheme)
	}
	if err := pingRetry(ctx, db); err != nil {
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return db, nil
}

// pingRetry runs the first query, waiting out SQLITE_BUSY (see retryBusy).
func pingRetry(ctx context.Context, db *gorm.DB) error {
	_, err := retryBusy(ctx, func() (*gorm.DB, error) { return db, db.WithContext(ctx).Exec("SELECT 1").Error })
	return err
}

// retryBusy retries f while SQLite answers SQLITE_BUSY, for up to 10 s: when
// two processes start on a fresh file at once, switching it to WAL takes an
// exclusive lock that SQLite's busy timeout does not cover.
func retryBusy(ctx context.Context, f func() (*gorm.DB, error)) (*gorm.DB, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		db, err := f()
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return db, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// mysqlLifetime keeps connections well under the server's wait_timeout
// (default 8 h, often lowered to minutes by hosting providers).
func mysqlLifetime(ctx context.Context, db *gorm.DB) time.Duration {
	const ceiling = 5 * time.Minute
	var wait int64
	if err := db.WithContext(ctx).Raw("SELECT @@wait_timeout").Scan(&wait).Error; err != nil || wait <= 0 {
		return ceiling
	}
	d := time.Duration(wait) * time.Second / 2
	if d > ceiling {
		return ceiling
	}
	if d < time.Second {
		return time.Second
	}
	return d
}

// MySQLDSN converts mysql://user:pass@host:port/db?opts into the driver's DSN
// with utf8mb4, parseTime and UTC forced and client-side placeholders.
func MySQLDSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "mysql" {
		return "", fmt.Errorf("database url: want mysql://user:pass@host:port/db")
	}
	c := mysqldrv.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net = "tcp"
	c.Addr = u.Host
	if !strings.Contains(c.Addr, ":") {
		c.Addr += ":3306"
	}
	c.DBName = strings.Trim(u.Path, "/")
	c.ParseTime = true
	c.Loc = time.UTC
	c.Params = map[string]string{"charset": "utf8mb4", "time_zone": "'+00:00'"}
	c.Collation = "utf8mb4_unicode_ci"
	c.Timeout = 5 * time.Second
	// Placeholders are filled in by the driver, so a statement with
	// arguments is one round trip instead of three (prepare, execute,
	// close): a filing made 20 such statements, a booking about 10.
	// Quoting is safe with utf8mb4; the driver refuses to interpolate for
	// the multi-byte charsets where it is not (BIG5, GBK, SJIS, ...), and
	// honours NO_BACKSLASH_ESCAPES. interpolateParams=false in the URL
	// turns it off.
	c.InterpolateParams = true
	for k, vs := range u.Query() {
		if len(vs) > 0 {
			c.Params[k] = vs[0]
		}
	}
	return c.FormatDSN(), nil
}

// Close closes the pool behind db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers, for /readyz.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// gormLogger routes gorm's messages into slog: slow queries and errors only,
// and never the SQL arguments (they may hold personal data).
type gormLogger struct{ log *slog.Logger }

func newGormLogger(l *slog.Logger) logger.Interface {
	if l == nil {
		return logger.Discard
	}
	return gormLogger{log: l}
}

func (g gormLogger) LogMode(logger.LogLevel) logger.Interface { return g }
func (g gormLogger) Info(ctx context.Context, msg string, args ...any) {
	g.log.DebugContext(ctx, fmt.Sprintf(msg, args...))
}
func (g gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	g.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}
func (g gormLogger) Error(ctx context.Context, msg string, args ...any) {
	g.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}
func (g gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if err != nil && err != gorm.ErrRecordNotFound && !isDuplicate(err) {
		g.log.WarnContext(ctx, "SQL error", "err", err, "elapsed", elapsed)
		return
	}
	if elapsed > 500*time.Millisecond {
		sql, rows := fc()
		// Only the statement's head: the bound values may hold personal data.
		g.log.WarnContext(ctx, "slow SQL", "elapsed", elapsed, "rows", rows, "sql", truncate(sql, 60))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
