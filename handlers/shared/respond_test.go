package shared

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"deputylink/models"

	"github.com/gin-gonic/gin"
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
