package shared

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// Ensure every kind of error maps to its status in the one table, and the
// body is the envelope with the code, the message and the request id, byte
// for byte what the handlers wrote before they all went through RespondErr.
func TestRespondErrStatuses(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{models.Coded(models.ErrNotFound, "route_not_found", "没有这个地址"), 404, `{"error":{"code":"route_not_found","message":"没有这个地址","request_id":"rid"}}`},
		{models.Coded(ErrMethodNotAllowed, "method_not_allowed", "不支持这种请求方式"), 405, `{"error":{"code":"method_not_allowed","message":"不支持这种请求方式","request_id":"rid"}}`},
		{models.Coded(models.ErrUnauthorized, "unauthorized", "请先登录"), 401, `{"error":{"code":"unauthorized","message":"请先登录","request_id":"rid"}}`},
		{models.Coded(models.ErrForbidden, "csrf_failed", "x"), 403, `{"error":{"code":"csrf_failed","message":"x","request_id":"rid"}}`},
		{models.Coded(models.ErrConflict, "idempotency_retry", "x"), 409, `{"error":{"code":"idempotency_retry","message":"x","request_id":"rid"}}`},
		{errBodyTooLarge, 413, `{"error":{"code":"body_too_large","message":"提交的内容太大","request_id":"rid"}}`},
		{models.Coded(ErrUnsupportedMediaType, "unsupported_media_type", "x"), 415, `{"error":{"code":"unsupported_media_type","message":"x","request_id":"rid"}}`},
		{models.Coded(errRateLimited, "rate_limited", "x"), 429, `{"error":{"code":"rate_limited","message":"x","request_id":"rid"}}`},
		{ErrNoUploads, 503, `{"error":{"code":"uploads_unavailable","message":"暂时无法上传照片","request_id":"rid"}}`},
		{errPanic, 500, `{"error":{"code":"internal","message":"系统繁忙，请稍后再试","request_id":"rid"}}`},
		{fmt.Errorf("wrapped: %w", models.Invalid("slot_id", "请选择")), 400, `{"error":{"code":"invalid_slot_id","message":"请选择","field":"slot_id","request_id":"rid"}}`},
		{models.ErrNotFound, 404, `{"error":{"code":"not_found","message":"没有找到您要的内容","request_id":"rid"}}`},
		{errors.New("sql: secret detail"), 500, `{"error":{"code":"internal","message":"系统繁忙，请稍后再试","request_id":"rid"}}`},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			r := gin.New()
			r.Use(RequestIDMiddleware(slog.New(slog.DiscardHandler)))
			r.GET("/", func(c *gin.Context) { RespondErr(c, tc.err) })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set(headerReqID, "rid")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Errorf("%v: %d %s, want %d %s", tc.err, w.Code, w.Body.String(), tc.status, tc.body)
			}
		})
	}
}

// Ensure connection-level failures of the database or Redis are told apart
// from bugs in one place: 503 "unavailable" with Retry-After, while the
// client's own cancellation and ordinary errors are not.
func TestDependencyDownIs503(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		down bool
	}{
		{"refused", fmt.Errorf("redis: %w", refused), true},
		{"bare ECONNREFUSED", syscall.ECONNREFUSED, true},
		{"timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"redis closed", redis.ErrClosed, true},
		{"redis pool timeout", redis.ErrPoolTimeout, true},
		{"batch stale", errRedisBatchStale, true},
		{"bad conn", fmt.Errorf("gorm: %w", driver.ErrBadConn), true},
		{"mysql invalid conn", mysql.ErrInvalidConn, true},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040, Message: "Too many connections"}, true},
		{"mysql gone away", &mysql.MySQLError{Number: 2006}, true},
		{"mysql lost connection", &mysql.MySQLError{Number: 2013}, true},
		{"database closed", errors.New("sql: database is closed"), true},
		{"dependency deadline", fmt.Errorf("exec: %w", context.DeadlineExceeded), true},
		{"client cancelled", context.Canceled, false},
		{"mysql syntax", &mysql.MySQLError{Number: 1064}, false},
		{"plain bug", errors.New("nil map"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gin.New()
			r.Use(RequestIDMiddleware(slog.New(slog.DiscardHandler)))
			r.GET("/", func(c *gin.Context) { RespondErr(c, tc.err) })
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			var b ErrorBody
			_ = json.Unmarshal(w.Body.Bytes(), &b)
			down := w.Code == 503 && w.Header().Get("Retry-After") != "" && b.Error.Code == "unavailable" &&
				b.Error.Message == "服务暂时不可用，请稍后再试。"
			if down != tc.down || (!tc.down && w.Code != 500) {
				t.Errorf("%v: %d Retry-After %q %s, want down=%v", tc.err, w.Code, w.Header().Get("Retry-After"), w.Body, tc.down)
			}
		})
	}
	// A deadline of the request itself is the client's, not the dependency's.
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 0)
		defer cancel()
		<-ctx.Done()
		c.Request = c.Request.WithContext(ctx)
		RespondErr(c, ctx.Err())
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code == 503 {
		t.Errorf("the request's own deadline answered 503")
	}
}
