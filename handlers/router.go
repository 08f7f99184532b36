// Package handlers is deputylink's HTTP router: it builds the gin engine
// with the shared middleware, answers /healthz, /readyz and /metrics, and
// mounts the faces: handlers/api (the mini-program, /api/v1),
// handlers/official (the official account, /wechat/official) and
// handlers/console (the staff, /console). What the faces share is in
// handlers/shared. Handlers parse, validate, call models or wechat, and
// respond; business rules live in models.
package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"deputylink/config"
	"deputylink/handlers/api"
	"deputylink/handlers/console"
	"deputylink/handlers/official"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

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
	// Ballots keys the ballots of reviews (reviews.NewKeyer from the data
	// key); nil turns the voters' and the deputies' ballots off.
	Ballots *reviews.Keyer
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
	// DeputyNotify holds the deputies' notice templates and weekly cap
	// (config.LoadDeputyNotify); unconfigured templates are skipped.
	DeputyNotify config.DeputyNotify
	// WebAuth is the official account's web authorization, JS-SDK and QR
	// codes for the console; nil turns its WeChat sign-ins off.
	WebAuth console.WebAuth
	// OAVerify is the official account's domain-check file, served at the
	// site root; the zero value serves none.
	OAVerify OAVerifyFile
	// Slips configures GET /b/<code>, where a printed slip's link points
	// (sliplink.go).
	Slips SlipLinks
	// Metrics says who may read /metrics (see MetricsAccess).
	Metrics MetricsAccess
	// DevLogin turns on the development login, POST /api/v1/session/dev
	// (config.Config.DevLogin; 404 when off).
	DevLogin bool
	// ResultsMinSample is the fewest items a station's rates are
	// published for (0: models.DefaultResultsMinSample).
	ResultsMinSample int
	// MaxRequests is how many requests the router handles at once; the
	// others wait up to AdmissionWait (shared.Admission; 0: no limit).
	MaxRequests int
}

// AdmissionWait is how long a request waits for its turn when MaxRequests
// are being handled before it gets 503 with Retry-After: well past a
// reception-day burst's queue, short of the server's write timeout.
const AdmissionWait = 30 * time.Second

// OAVerifyFile is the file WeChat fetches from the site root before it
// accepts the domain for web authorization or the JS-SDK
// (DEPUTYLINK_OA_VERIFY_FILE, docs/WECHAT.md#web-authorization-and-js-sdk).
type OAVerifyFile struct {
	// Name is MP_verify_XXXX.txt; anything else serves nothing.
	Name string
	// Content is what the file holds (WeChat's file holds XXXX).
	Content string
}

// oaVerifyName is the only shape of name OAVerifyFile serves, so a
// misconfigured Deps can never claim another root path.
var oaVerifyName = regexp.MustCompile(`^MP_verify_[A-Za-z0-9]{1,64}\.txt$`)

// serveOAVerify answers the domain-check file as WeChat's download has it:
// plain text, nothing else.
func serveOAVerify(content string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(content))
	}
}

// MetricsAccess says who may read /metrics on the main router:
//   - Elsewhere: nobody here (404); cmd/deputylink serves NewMetricsRouter
//     on DEPUTYLINK_METRICS_ADDR instead;
//   - Token set: callers that send "Authorization: Bearer <Token>" (401
//     otherwise);
//   - neither: loopback clients that did not come through a proxy (a
//     request with X-Forwarded-For, X-Real-IP or Forwarded came from
//     somewhere else), 404 for everyone else, so nothing is exposed by
//     default.
type MetricsAccess struct {
	Token     string
	Elsewhere bool
}

// Aliases of the faces' types that Deps carries, so that callers configure
// the whole HTTP layer from this package.
type (
	// OAConfig configures the official-account push endpoint and its bot.
	OAConfig = official.Config
	// MiniProgram is what the mini-program's session endpoints need from
	// WeChat; *wechat.Client implements it.
	MiniProgram = api.MiniProgram
	// RateLimit is "at most N requests per window" for one kind of caller.
	RateLimit = shared.RateLimit
	// RateLimits are the abuse limits of the mini-program API.
	RateLimits = shared.RateLimits
	// NotifyTemplates are the WeChat templates of the reception-day
	// notifications (config.LoadNotify); an unconfigured one is skipped.
	NotifyTemplates = config.NotifyTemplates
)

// DefaultRateLimits are generous for people and tight for scripts.
func DefaultRateLimits() RateLimits { return shared.DefaultRateLimits() }

// probes answers the router's own routes: liveness and readiness.
type probes struct {
	shared.Deps
	Version string
}

// Route-level refusals of the router itself.
var (
	errNoRoute  = models.Coded(models.ErrNotFound, "route_not_found", "没有这个地址")
	errNoMethod = models.Coded(shared.ErrMethodNotAllowed, "method_not_allowed", "不支持这种请求方式")
)

// NewRouter builds the gin engine with all middleware and routes: its own
// probes and metrics, then each face under its base path.
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
	base := shared.NewBase(shared.Deps{
		DB: d.DB, Redis: d.Redis, RedisPrefix: d.RedisPrefix, Log: d.Log, Registry: d.Registry,
		Location: d.Location, Now: d.Now, DataDir: d.DataDir, Routes: d.Routes, OpinionNotify: d.OpinionNotify, Notify: d.Notify,
		DeputyNotify: d.DeputyNotify,
	})
	h := &probes{Deps: base.Deps, Version: d.Version}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	// We are behind one trusted reverse proxy at most; never trust arbitrary
	// X-Forwarded-For for the rate limits.
	_ = r.SetTrustedProxies([]string{"127.0.0.1", "::1"})
	m := shared.NewHTTPMetrics(d.Registry)
	// Photo uploads have their own, larger cap (enforced in api/uploads.go).
	upload := shared.RouteLimit{Method: http.MethodPost, Route: apiBase + api.UploadRoute, N: api.MaxUploadBytes + 64<<10}
	// A department's reply carries its attachments (console/department_files.go).
	deptReply := shared.RouteLimit{Method: http.MethodPost, Route: console.DeptReplyRoute, N: console.MaxDeptReplyBody}
	// So have deputies' photos uploaded on the console (console/manage_deputies_photo.go).
	deputyPhoto := shared.RouteLimit{Method: http.MethodPost, Route: "/console" + console.DeputyPhotoRoute, N: console.MaxDeputyPhotoBytes + 64<<10}
	// So do the console's Excel imports (checked in console/excel.go).
	importFile := shared.RouteLimit{Method: http.MethodPost, Route: console.ImportRoute, N: console.MaxImportBody}
	// So do the deputies' activities with their evidence, entered by staff
	// (console/records_pages.go) or by the deputy (console/deputy_files.go).
	activity := shared.RouteLimit{Method: http.MethodPost, Route: console.RecordsCreateRoute, N: console.MaxActivityBody}
	meActivity := shared.RouteLimit{Method: http.MethodPost, Route: console.MeActivitiesRoute, N: console.MaxMeActivityBody}
	// So does a broadcast to deputies with its attachment (console/broadcast_pages.go).
	broadcast := shared.RouteLimit{Method: http.MethodPost, Route: console.BroadcastsCreateRoute, N: console.MaxBroadcastBody}
	r.Use(shared.RequestIDMiddleware(d.Log), shared.Recovery(), m.Middleware(), shared.AccessLog(),
		shared.BodyLimit(d.BodyLimit, upload, deptReply, deputyPhoto, importFile, activity, meActivity, broadcast),
		shared.Admission(d.MaxRequests, AdmissionWait, "/healthz", "/readyz", "/metrics"))
	r.NoRoute(func(c *gin.Context) { shared.RespondErr(c, errNoRoute) })
	r.NoMethod(func(c *gin.Context) { shared.RespondErr(c, errNoMethod) })

	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	if !d.Metrics.Elsewhere {
		r.GET("/metrics", metricsHandler(d.Registry, d.Metrics.Token, true))
	}

	if v := d.OAVerify; oaVerifyName.MatchString(v.Name) {
		r.GET("/"+v.Name, serveOAVerify(v.Content))
	} else if v.Name != "" {
		d.Log.Warn("official account domain-check file not served: bad name", "name", v.Name)
	}
	if v := d.Slips.VerifyName; v != "" && !mpQRVerifyName.MatchString(v) {
		d.Log.Warn("mini-program QR rule's verification file not served: bad name", "name", v)
	}
	r.GET(slipLinkRoute, slipLink(d.Slips))
	api.Mount(r.Group(apiBase), base, api.Config{MP: d.MP, Sealer: d.Sealer, Limits: d.Limits, Ballots: d.Ballots,
		DevLogin: d.DevLogin, ResultsMinSample: d.ResultsMinSample})
	official.Mount(r.Group("/wechat"), base, d.OA)
	console.Mount(r.Group("/console"), base, console.Config{WebAuth: d.WebAuth, Sealer: d.Sealer, Ballots: d.Ballots})
	return r
}

// NewMetricsRouter serves only /metrics, for its own listener
// (DEPUTYLINK_METRICS_ADDR): to anyone who reaches it, or with token set
// to callers that send it as a bearer token.
func NewMetricsRouter(reg *prometheus.Registry, token string, log *slog.Logger) *gin.Engine {
	if log == nil {
		log = slog.Default()
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(shared.RequestIDMiddleware(log), shared.Recovery())
	r.NoRoute(func(c *gin.Context) { shared.RespondErr(c, errNoRoute) })
	r.GET("/metrics", metricsHandler(reg, token, false))
	return r
}

// errMetricsToken answers a /metrics request without the right token.
var errMetricsToken = models.Coded(models.ErrUnauthorized, "unauthorized", "需要有效的访问令牌")

// metricsHandler serves the registry to the callers MetricsAccess allows;
// loopbackOnly applies when no token is configured.
func metricsHandler(reg *prometheus.Registry, token string, loopbackOnly bool) gin.HandlerFunc {
	prom := gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		switch {
		case token != "":
			got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
			sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
				shared.RespondErr(c, errMetricsToken)
				return
			}
		case loopbackOnly && !directLoopback(c.Request):
			shared.RespondErr(c, errNoRoute)
			return
		}
		prom(c)
	}
}

// directLoopback reports whether r came from this machine and not through
// a reverse proxy on it.
func directLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// apiBase is the mini-program API's base path.
const apiBase = "/api/v1"

func (h *probes) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": h.Version})
}

// readyz pings the database and Redis; a load balancer stops sending
// traffic to a replica that answers 503.
func (h *probes) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{"database": "ok", "redis": "ok"}
	ok := true
	if err := models.Ping(ctx, h.DB); err != nil {
		checks["database"], ok = "down", false
		shared.Logger(c).WarnContext(ctx, "Readiness: database down", "err", err)
	}
	if h.Redis == nil {
		checks["redis"], ok = "missing", false
	} else if err := h.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"], ok = "down", false
		shared.Logger(c).WarnContext(ctx, "Readiness: redis down", "err", err)
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}
