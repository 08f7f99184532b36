package shared

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"deputylink/models"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// errDependencyDown answers a request whose database or Redis could not be
// reached: 503 with Retry-After, so the mini-program tries again later.
var errDependencyDown = models.Coded(ErrUnavailable, "unavailable", "服务暂时不可用，请稍后再试。")

// retryAfterSeconds is the Retry-After of every 503: long enough for a
// restarted Redis or a failed-over database, short enough for a voter.
const retryAfterSeconds = "5"

// mysqlDownCodes are the MySQL errors that mean "the server is not there"
// rather than "the statement is wrong": too many connections (1040),
// shutdown in progress (1053), and the client's can't-connect (2002, 2003),
// server-gone-away (2006) and lost-connection (2013).
var mysqlDownCodes = map[uint16]bool{1040: true, 1053: true, 2002: true, 2003: true, 2006: true, 2013: true}

// dependencyDown reports whether err says that the database or Redis could
// not be reached (refused, timed out, closed, connection lost), as opposed
// to a bug or a refusal. The request's own end (the client hung up, or its
// own deadline passed) is not a dependency being down.
func dependencyDown(ctx context.Context, err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ctx.Err() == nil
	}
	if errors.Is(err, errRedisBatchStale) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return mysqlDownCodes[me.Number]
	}
	var oe *net.OpError
	var ne net.Error
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return true
	}
	// database/sql's own "database is closed" is not exported.
	return strings.Contains(err.Error(), "sql: database is closed")
}
