package shared

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	ctxRequestID  = "request_id"
	ctxLogger     = "logger"
	ctxBaseLogger = "base_logger"
	headerReqID   = "X-Request-Id"
)

// RequestIDMiddleware takes a sane X-Request-Id from the caller (a proxy) or
// makes one, echoes it, and gives the request a logger that carries it.
func RequestIDMiddleware(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerReqID)
		if !ValidRequestID(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(ctxRequestID, id)
		// The request's logger is built on first use (see Logger): most
		// requests never log, and With costs an allocation per request.
		c.Set(ctxBaseLogger, base)
		c.Header(headerReqID, id)
		c.Next()
	}
}

// ValidRequestID reports whether s is a sane token: 1 to 64 letters,
// digits, '-' or '_'. Request ids, idempotency keys and template ids are
// held to it.
func ValidRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// requestID is the request's id (RequestIDMiddleware ran).
func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// AccessLog logs one line per request. Query strings are left out: WeChat's
// carry signatures and openids.
func AccessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		// Probes, scrapes and successful WeChat pushes (thousands a second
		// when a board is scanned at a reception) are not worth a line each
		// at info; their counts and latencies are in /metrics.
		switch c.Request.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			level = slog.LevelDebug
		case "/wechat/official":
			if status < 400 {
				level = slog.LevelDebug
			}
		}
		l := Logger(c)
		if !l.Enabled(c.Request.Context(), level) {
			return
		}
		l.Log(c.Request.Context(), level, "HTTP request",
			"method", c.Request.Method, "route", routeOf(c), "status", status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "bytes", c.Writer.Size(),
			"client_ip", c.ClientIP())
	}
}

func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// errPanic answers a request whose handler panicked.
var errPanic = models.Coded(errInternal, "internal", "系统繁忙，请稍后再试")

// Recovery turns a panic into the JSON 500 envelope and logs the stack.
func Recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				Logger(c).ErrorContext(c.Request.Context(), "Panic in handler",
					"panic", fmt.Sprint(r), "route", routeOf(c), "stack", string(debug.Stack()))
				if !c.Writer.Written() {
					RespondErr(c, errPanic)
				} else {
					c.Abort()
				}
			}
		}()
		c.Next()
	}
}

// errBodyTooLarge answers a body over its cap.
var errBodyTooLarge = models.Coded(ErrTooLarge, "body_too_large", "提交的内容太大")

// RouteLimit is a route whose bodies may be larger than the router-wide
// cap: N bytes for Method on the gin route template Route.
type RouteLimit struct {
	Method, Route string
	N             int64
}

// BodyLimit caps every request body at n, or at a larger cap its route has
// in routes; reading past it fails, and a declared Content-Length over the
// cap is refused at once with 413.
func BodyLimit(n int64, routes ...RouteLimit) gin.HandlerFunc {
	routes = append([]RouteLimit(nil), routes...)
	for i := range routes {
		routes[i].N = max(n, routes[i].N)
	}
	return func(c *gin.Context) {
		n := n
		for _, r := range routes {
			if c.Request.Method == r.Method && c.FullPath() == r.Route {
				n = r.N
				break
			}
		}
		if c.Request.ContentLength > n {
			RespondErr(c, errBodyTooLarge)
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// HTTPMetrics counts requests and their latency by route and status.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	cache    sync.Map // seriesKey → httpSeries
}

// NewHTTPMetrics registers the request counter and latency histogram.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "deputylink_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "deputylink_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Middleware counts each request under its route, method and status.
func (m *HTTPMetrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s := m.series(routeOf(c), metricMethod(c.Request.Method), c.Writer.Status())
		s.requests.Inc()
		s.latency.Observe(time.Since(start).Seconds())
	}
}

type seriesKey struct {
	route, method string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// series returns the counter and histogram of a route, method and status,
// cached: looking them up by label values hashes the labels every time,
// which showed on the push endpoint. Routes are gin's templates and
// methods a fixed set, so the cache is as bounded as the series.
func (m *HTTPMetrics) series(route, method string, status int) httpSeries {
	k := seriesKey{route, method, status}
	if s, ok := m.cache.Load(k); ok {
		return s.(httpSeries)
	}
	st := strconv.Itoa(status)
	s := httpSeries{m.requests.WithLabelValues(route, method, st), m.latency.WithLabelValues(route, method, st)}
	m.cache.Store(k, s)
	return s
}

// metricMethod keeps the method label to the standard methods: net/http
// accepts any token as a method, and each would be a new series.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}
