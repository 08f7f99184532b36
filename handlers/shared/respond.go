// Package shared is what every face of the HTTP layer (the mini-program
// API, the official-account push endpoint, the staff console) uses: the one
// error map, the middleware, rate limits, idempotency, the Redis batcher,
// the database admission gate and the request helpers. It imports no face.
package shared

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// ErrorBody is the one error envelope of the API (docs/ARCHITECTURE.md#contracts).
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

// RespondPage answers a page of a list read by id cursor: the items, and
// the cursor of the next page when next is not 0; or the error of the read.
func RespondPage[T any](c *gin.Context, items []T, next uint64, err error) {
	if err != nil {
		RespondErr(c, err)
		return
	}
	out := List[T]{Items: items}
	if next != 0 {
		out.NextCursor = strconv.FormatUint(next, 10)
	}
	c.JSON(http.StatusOK, out)
}

// The kinds of error the HTTP layer raises itself, beside the models
// sentinels; a *models.CodedError of one of them carries the code and the
// message, and RespondErr maps the kind to its status.
var (
	// ErrUnavailable marks a dependency that is not there (503).
	ErrUnavailable = errors.New("unavailable")
	// ErrTooLarge marks a request body over its cap (413).
	ErrTooLarge = errors.New("too large")
	// ErrUnsupportedMediaType marks a body in a format the route refuses (415).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrMethodNotAllowed marks a method the route does not serve (405).
	ErrMethodNotAllowed = errors.New("method not allowed")
	// errRateLimited marks a caller over a limit (429).
	errRateLimited = errors.New("rate limited")
	// errInternal marks a failure already logged where it happened (500).
	errInternal = errors.New("internal")
)

// RespondErr is the one place where an error becomes an HTTP status (see
// ErrorOf), written as the JSON ErrorBody.
func RespondErr(c *gin.Context, err error) {
	status, d := ErrorOf(c, err)
	c.AbortWithStatusJSON(status, ErrorBody{Error: d})
}

// ErrorOf maps err to its status and the Chinese message the user sees; the
// console's pages render the same answer as HTML. The database or Redis
// being unreachable is 503 "unavailable", and every 503 gets Retry-After.
// Anything else that is not one of the models sentinels or the kinds above
// is an internal error: it is logged with the request id and the user sees
// only a generic message.
func ErrorOf(c *gin.Context, err error) (int, ErrorDetail) {
	var ve *models.ValidationError
	var ce *models.CodedError
	id := requestID(c)
	switch {
	case errors.As(err, &ve):
		return http.StatusBadRequest, ErrorDetail{Code: "invalid_" + ve.Field, Message: ve.Msg, Field: ve.Field, RequestID: id}
	case errors.As(err, &ce):
		status := statusOf(ce.Kind)
		if status == http.StatusServiceUnavailable {
			c.Header("Retry-After", retryAfterSeconds)
		}
		return status, ErrorDetail{Code: ce.Code, Message: ce.Msg, RequestID: id}
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, ErrorDetail{Code: "not_found", Message: "没有找到您要的内容", RequestID: id}
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, ErrorDetail{Code: "conflict", Message: "操作冲突，请刷新后重试", RequestID: id}
	case errors.Is(err, models.ErrInvalid):
		return http.StatusBadRequest, ErrorDetail{Code: "invalid_request", Message: "请求内容有误", RequestID: id}
	case dependencyDown(c.Request.Context(), err):
		Logger(c).WarnContext(c.Request.Context(), "Dependency unavailable", "err", err, "path", c.FullPath())
		return ErrorOf(c, errDependencyDown)
	default:
		Logger(c).ErrorContext(c.Request.Context(), "Internal error", "err", err, "path", c.FullPath())
		return http.StatusInternalServerError, ErrorDetail{Code: "internal", Message: "系统繁忙，请稍后再试", RequestID: id}
	}
}

// statusOf is the status table of the error kinds.
func statusOf(kind error) int {
	switch {
	case errors.Is(kind, models.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(kind, models.ErrConflict):
		return http.StatusConflict
	case errors.Is(kind, models.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(kind, models.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(kind, models.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(kind, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(kind, errRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(kind, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(kind, ErrUnsupportedMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(kind, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(kind, errInternal):
		return http.StatusInternalServerError
	}
	return http.StatusInternalServerError
}

// Logger is the request's logger, carrying its request id.
func Logger(c *gin.Context) *slog.Logger {
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
	l := LazyWith(base, func() []any { return []any{"request_id", id} })
	c.Set(ctxLogger, l)
	return l
}
