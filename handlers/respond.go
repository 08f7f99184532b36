package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// ErrorBody is the one error envelope of the API (DESIGN §4).
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code for programs and a Chinese message for people.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// List is the one list shape of the API.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// fail writes a plain error response with the given status and code.
func fail(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, RequestID: requestID(c)}})
}

// respondErr is the one place where an error becomes an HTTP status.
// Anything that is not one of the models sentinels is an internal error: it
// is logged with the request id and the user sees only a generic message.
func respondErr(c *gin.Context, err error) {
	var ve *models.ValidationError
	var ce *models.CodedError
	switch {
	case errors.As(err, &ve):
		c.AbortWithStatusJSON(http.StatusBadRequest, ErrorBody{Error: ErrorDetail{
			Code: "invalid_" + ve.Field, Message: ve.Msg, Field: ve.Field, RequestID: requestID(c)}})
	case errors.As(err, &ce):
		fail(c, statusOf(ce.Kind), ce.Code, ce.Msg)
	case errors.Is(err, models.ErrNotFound):
		fail(c, http.StatusNotFound, "not_found", "没有找到您要的内容")
	case errors.Is(err, models.ErrConflict):
		fail(c, http.StatusConflict, "conflict", "操作冲突，请刷新后重试")
	case errors.Is(err, models.ErrInvalid):
		fail(c, http.StatusBadRequest, "invalid_request", "请求内容有误")
	default:
		logger(c).ErrorContext(c.Request.Context(), "Internal error", "err", err, "path", c.FullPath())
		fail(c, http.StatusInternalServerError, "internal", "系统繁忙，请稍后再试")
	}
}

func statusOf(kind error) int {
	switch {
	case errors.Is(kind, models.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(kind, models.ErrConflict):
		return http.StatusConflict
	case errors.Is(kind, models.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(kind, errForbidden):
		return http.StatusForbidden
	case errors.Is(kind, models.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(kind, errUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(kind, errRateLimited):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// logger is the request's logger, carrying its request id.
func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	base := slog.Default()
	if b, ok := c.Get(ctxBaseLogger); ok {
		base = b.(*slog.Logger)
	}
	// The id is read now: gin reuses c once the request is over, and the
	// logger may be used by work that outlives it.
	id := requestID(c)
	l := lazyWith(base, func() []any { return []any{"request_id", id} })
	c.Set(ctxLogger, l)
	return l
}

// errForbidden marks an action the signed-in staff member's role does not
// allow; respond maps it to 403.
var errForbidden = models.ErrForbidden
