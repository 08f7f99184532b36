// Package config loads deputylink's configuration from the environment.
//
// It uses the standard library only and keeps no globals: Load returns a
// Config value that cmd/deputylink passes down as plain parameters.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Config is the whole runtime configuration of one deputylink process.
type Config struct {
	Env  string // "development" or "production"
	Addr string
	// DebugAddr, when set, serves Go's pprof profiles there (keep it on
	// loopback or a private network).
	DebugAddr string
	LogLevel  string // debug, info, warn, error
	// LogFormat is "json" or "text"; it defaults to json in production.
	LogFormat string
	DataDir   string

	DatabaseURL string
	RedisURL    string
	// RedisCluster is a Redis Cluster in go-redis's cluster URL form
	// (redis://[user:pass@]host1:port?addr=host2:port&addr=host3:port);
	// exclusive with RedisURL. A cluster has no database index: the
	// prefix is the only namespace (docs/SCALE.md section 2).
	RedisCluster string
	// RedisPrefix namespaces every key deputylink writes to Redis.
	RedisPrefix string

	Timezone *time.Location

	// DataKey encrypts personal data at rest (32 bytes, base64 or hex).
	// Empty means a key file generated in DataDir (see cmd/deputylink).
	DataKey Secret

	OA            OfficialAccount
	MP            MiniProgram
	WeChatAPIBase string
	// WeChatAuthorizeBase is where browsers go for the official account's
	// web authorization (open.weixin.qq.com; the fake in tests and local
	// development).
	WeChatAuthorizeBase string

	// BodyLimit caps the size of an HTTP request body in bytes.
	BodyLimit       int64
	ShutdownTimeout time.Duration
	// MaxRequests is how many requests one process handles at once; the
	// others wait their turn (0: no limit). See docs/ARCHITECTURE.md,
	// "Memory".
	MaxRequests int
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (debug.SetMemoryLimit; 0: none, GOGC alone). GOMEMLIMIT, when set,
	// wins. See docs/ARCHITECTURE.md, "Memory".
	MemoryLimit int64

	Jobs      Jobs
	Templates Templates
	// Notify and OpinionNotify are the templates of the reception-day and
	// opinion notifications (DEPUTYLINK_TPL_*; see notify.go).
	Notify        NotifyTemplates
	OpinionNotify OpinionNotify
	// DeputyNotify holds the deputies' notice templates and weekly cap
	// (deputy_notify.go).
	DeputyNotify DeputyNotify

	// Metrics says who may read the Prometheus metrics.
	Metrics Metrics

	// DevLogin (DEPUTYLINK_DEV_LOGIN=1) turns on the development login,
	// POST /api/v1/session/dev, which signs in as any named voter without
	// WeChat, so the mini-program runs in WeChat's developer tools against
	// `serve --demo`. Validate refuses it in production.
	DevLogin bool
	// ResultsMinSample (DEPUTYLINK_RESULTS_MIN_SAMPLE) is the fewest items
	// a station's rates are published for in the public results; under it
	// only the counts are.
	ResultsMinSample int
}

// Metrics says where /metrics is served and who may read it. With
// neither field set, the main router serves it to loopback clients only
// (not through a proxy); see handlers.MetricsAccess.
type Metrics struct {
	// Addr (DEPUTYLINK_METRICS_ADDR), when set, serves /metrics on its own
	// listener there, and the main router does not serve it.
	Addr string
	// Token (DEPUTYLINK_METRICS_TOKEN), when set, is the bearer token
	// /metrics requires wherever it is served.
	Token Secret
}

// MetricsTokenMinLen is the shortest DEPUTYLINK_METRICS_TOKEN accepted.
const MetricsTokenMinLen = 16

// OfficialAccount holds the WeChat official account (公众号) credentials.
type OfficialAccount struct {
	AppID  string
	Secret Secret
	Token  Secret
	AESKey Secret
	// VerifyFile is the name of the domain-check file WeChat asks for
	// before it accepts a web-authorization or JS interface domain
	// (MP_verify_XXXX.txt), served at the site root; VerifyContent is what
	// it holds (XXXX unless told otherwise). Empty: no such file.
	VerifyFile    string
	VerifyContent string
}

// verifyFileRe is the name of an official account's domain-check file.
var verifyFileRe = regexp.MustCompile(`^MP_verify_([A-Za-z0-9]{1,64})\.txt$`)

// MiniProgram holds the WeChat mini-program (小程序) credentials.
type MiniProgram struct {
	AppID  string
	Secret Secret
	// QRVerifyFile is the name of the verification file WeChat hands out
	// for the mini-program's QR rule (扫普通链接二维码打开小程序: letters and
	// digits, ".txt"), served at /b/<QRVerifyFile>, the rule's prefix
	// being <DEPUTYLINK_PUBLIC_URL>/b/; QRVerifyContent is what the file
	// holds. Both empty: no such file.
	QRVerifyFile    string
	QRVerifyContent string
	// Name is the mini-program's name as voters find it in WeChat, which
	// the page behind a slip's link names (empty: 人大代表联络站).
	Name string
}

// mpQRVerifyFileRe is the name of the mini-program's QR-rule verification
// file; nothing else may claim a path under /b/.
var mpQRVerifyFileRe = regexp.MustCompile(`^[A-Za-z0-9]{1,64}\.txt$`)

// MPNameMaxRunes is the longest DEPUTYLINK_MP_NAME: WeChat's own limit on
// a mini-program's name.
const MPNameMaxRunes = 30

// Jobs configures the background jobs and the notification dispatcher.
type Jobs struct {
	// SendRate is the most notifications sent per second by one process.
	SendRate float64
	// MaxAttempts is how many delivery attempts a notification gets before it is dead.
	MaxAttempts int
	// Batch is how many due notifications one dispatcher pass claims.
	Batch int
	// Lease is how long a claimed notification may stay "sending" before it is taken up again.
	Lease time.Duration
	// Tick is how often the dispatcher looks for due notifications.
	Tick time.Duration
	// DigestHour is the local hour at which the daily stuck-notification digest is sent.
	DigestHour int
	// RetentionDays is how long after an item closed the personal data it
	// holds is kept; the daily retention job then anonymises it.
	RetentionDays int
}

// Templates maps deployment-specific WeChat template ids and keyword names.
// Each entry is "template_id|ourfield=keyword,ourfield=keyword".
type Templates struct {
	// StaffAlert is the official-account template used for messages to staff.
	StaffAlert TemplateSpec
}

// TemplateSpec is one WeChat template and how our fields map to its keywords.
type TemplateSpec struct {
	ID     string
	Fields map[string]string
	// LongTerm marks a mini-program subscribe template as long-term
	// (长期订阅): a consent allows sends until the voter turns it off, and
	// no send spends it. False is one-time (一次性订阅): one consent, one send.
	LongTerm bool
}

// DefaultTimezone is the deployment's time zone unless DEPUTYLINK_TIMEZONE
// names another.
const DefaultTimezone = "Asia/Shanghai"

// DefaultLocation is DefaultTimezone, or a fixed UTC+8 where the zone
// database is missing (cmd/deputylink embeds time/tzdata, so only tests and
// tools can meet that).
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimezone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Secret is a string that never prints its value.
type Secret string

// String redacts the secret so it cannot leak through fmt or slog.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Value returns the secret itself, for the few places that must use it.
func (s Secret) Value() string { return string(s) }

// Error names the variable that holds a bad value.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Var, e.Msg) }

// Default returns the configuration used when no variable is set.
func Default() Config {
	return Config{
		Env:                 "development",
		Addr:                ":8080",
		LogLevel:            "info",
		DataDir:             "data",
		DatabaseURL:         "sqlite://data/deputylink.db",
		RedisPrefix:         "dl:",
		WeChatAPIBase:       "https://api.weixin.qq.com",
		WeChatAuthorizeBase: "https://open.weixin.qq.com",
		BodyLimit:           1 << 20,
		ShutdownTimeout:     10 * time.Second,
		MaxRequests:         DefaultMaxRequests,
		MemoryLimit:         DefaultMemoryLimit,
		DeputyNotify:        DeputyNotify{PerWeek: DefaultDeputyNoticesPerWeek},
		ResultsMinSample:    20,
		Jobs: Jobs{
			SendRate:    50,
			MaxAttempts: 8,
			Batch:       100,
			Lease:       2 * time.Minute,
			Tick:        time.Second,
			DigestHour:  8,
			// Three years: follow-ups, repeat complaints and the yearly
			// reviews of the office's handling look back that far.
			RetentionDays: 3 * 365,
		},
	}
}

// DefaultMaxRequests is how many requests one process handles at once
// unless DEPUTYLINK_MAX_REQUESTS says otherwise: far more than two cores
// keep busy, far fewer than a reception-day burst opens.
const DefaultMaxRequests = 128

// DefaultMemoryLimit is the Go runtime's soft memory limit unless
// DEPUTYLINK_MEMORY_LIMIT (or GOMEMLIMIT) says otherwise. The collector
// works harder only when the Go heap and stacks near it, so a burst's
// garbage does not take a process past 100 MB resident: the executable's
// own pages add about 30 MB to what the limit counts (docs/ARCHITECTURE.md,
// "Memory").
const DefaultMemoryLimit = 64 << 20

// EnvTplStaffAlert is the official-account template of the stuck digest.
const EnvTplStaffAlert = "DEPUTYLINK_TPL_STAFF_ALERT"

// Load reads the configuration from getenv (os.Getenv in production) and
// validates it. Every error names the variable that caused it.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	l := loader{getenv: getenv}

	l.str("DEPUTYLINK_ENV", &c.Env)
	l.str("DEPUTYLINK_ADDR", &c.Addr)
	l.str("DEPUTYLINK_DEBUG_ADDR", &c.DebugAddr)
	l.str("DEPUTYLINK_LOG_LEVEL", &c.LogLevel)
	l.str("DEPUTYLINK_LOG_FORMAT", &c.LogFormat)
	l.str("DEPUTYLINK_DATA_DIR", &c.DataDir)
	dbSet := l.str("DEPUTYLINK_DATABASE_URL", &c.DatabaseURL)
	l.secretURL("DEPUTYLINK_DATABASE_URL", &c.DatabaseURL, dbSet)
	l.str("DEPUTYLINK_REDIS_URL", &c.RedisURL)
	l.secretURL("DEPUTYLINK_REDIS_URL", &c.RedisURL, c.RedisURL != "")
	l.str("DEPUTYLINK_REDIS_CLUSTER", &c.RedisCluster)
	l.secretURL("DEPUTYLINK_REDIS_CLUSTER", &c.RedisCluster, c.RedisCluster != "")
	l.str("DEPUTYLINK_REDIS_PREFIX", &c.RedisPrefix)
	l.secret("DEPUTYLINK_DATA_KEY", &c.DataKey)
	l.str("DEPUTYLINK_OA_APPID", &c.OA.AppID)
	l.secret("DEPUTYLINK_OA_SECRET", &c.OA.Secret)
	l.secret("DEPUTYLINK_OA_TOKEN", &c.OA.Token)
	l.secret("DEPUTYLINK_OA_AES_KEY", &c.OA.AESKey)
	l.str("DEPUTYLINK_MP_APPID", &c.MP.AppID)
	l.secret("DEPUTYLINK_MP_SECRET", &c.MP.Secret)
	l.str("DEPUTYLINK_WECHAT_API_BASE", &c.WeChatAPIBase)
	l.str("DEPUTYLINK_WECHAT_AUTHORIZE_BASE", &c.WeChatAuthorizeBase)
	l.str("DEPUTYLINK_OA_VERIFY_FILE", &c.OA.VerifyFile)
	l.str("DEPUTYLINK_OA_VERIFY_CONTENT", &c.OA.VerifyContent)
	if m := verifyFileRe.FindStringSubmatch(c.OA.VerifyFile); m != nil && c.OA.VerifyContent == "" {
		c.OA.VerifyContent = m[1] // what the file WeChat hands out holds
	}
	l.str("DEPUTYLINK_MP_QR_VERIFY_FILE", &c.MP.QRVerifyFile)
	l.str("DEPUTYLINK_MP_QR_VERIFY_CONTENT", &c.MP.QRVerifyContent)
	l.str("DEPUTYLINK_MP_NAME", &c.MP.Name)
	l.bytes("DEPUTYLINK_BODY_LIMIT", &c.BodyLimit)
	l.duration("DEPUTYLINK_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	l.integer("DEPUTYLINK_MAX_REQUESTS", &c.MaxRequests)
	l.bytes("DEPUTYLINK_MEMORY_LIMIT", &c.MemoryLimit)
	l.float("DEPUTYLINK_SEND_RATE", &c.Jobs.SendRate)
	l.integer("DEPUTYLINK_SEND_MAX_ATTEMPTS", &c.Jobs.MaxAttempts)
	l.integer("DEPUTYLINK_SEND_BATCH", &c.Jobs.Batch)
	l.duration("DEPUTYLINK_SEND_LEASE", &c.Jobs.Lease)
	l.duration("DEPUTYLINK_JOBS_TICK", &c.Jobs.Tick)
	l.integer("DEPUTYLINK_DIGEST_HOUR", &c.Jobs.DigestHour)
	l.integer("DEPUTYLINK_RETENTION_DAYS", &c.Jobs.RetentionDays)
	l.template(EnvTplStaffAlert, &c.Templates.StaffAlert)
	l.str("DEPUTYLINK_METRICS_ADDR", &c.Metrics.Addr)
	l.secret("DEPUTYLINK_METRICS_TOKEN", &c.Metrics.Token)
	l.boolean("DEPUTYLINK_DEV_LOGIN", &c.DevLogin)
	l.integer("DEPUTYLINK_RESULTS_MIN_SAMPLE", &c.ResultsMinSample)

	tz := DefaultTimezone
	l.str("DEPUTYLINK_TIMEZONE", &tz)
	if loc, err := time.LoadLocation(tz); err != nil {
		l.fail("DEPUTYLINK_TIMEZONE", fmt.Sprintf("unknown time zone %q", tz))
	} else {
		c.Timezone = loc
	}

	var err error
	if c.Notify, err = LoadNotify(getenv); err != nil {
		l.errs = append(l.errs, err)
	}
	if c.OpinionNotify, err = LoadOpinionNotify(getenv); err != nil {
		l.errs = append(l.errs, err)
	}
	if c.DeputyNotify, err = LoadDeputyNotify(getenv); err != nil {
		l.errs = append(l.errs, err)
	}
	if err := c.checkVoterTemplates(); err != nil {
		l.errs = append(l.errs, err)
	}
	if len(l.errs) > 0 {
		return Config{}, errors.Join(l.errs...)
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
		if c.Env == "production" {
			c.LogFormat = "json"
		}
	}
	return c, c.Validate()
}

// Validate checks the values that Load cannot check one by one.
func (c Config) Validate() error {
	var errs []error
	bad := func(v, msg string) { errs = append(errs, &Error{Var: v, Msg: msg}) }

	switch c.Env {
	case "development", "production":
	default:
		bad("DEPUTYLINK_ENV", fmt.Sprintf("must be development or production, not %q", c.Env))
	}
	if c.Addr == "" || !strings.Contains(c.Addr, ":") {
		bad("DEPUTYLINK_ADDR", fmt.Sprintf("must be host:port or :port, not %q", c.Addr))
	} else if _, port, _ := strings.Cut(c.Addr[strings.LastIndex(c.Addr, ":"):], ":"); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("DEPUTYLINK_ADDR", fmt.Sprintf("bad port %q", port))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("DEPUTYLINK_LOG_LEVEL", fmt.Sprintf("must be debug, info, warn or error, not %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text", "":
	default:
		bad("DEPUTYLINK_LOG_FORMAT", fmt.Sprintf("must be json or text, not %q", c.LogFormat))
	}
	if c.DataDir == "" {
		bad("DEPUTYLINK_DATA_DIR", "must not be empty")
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "sqlite" && u.Scheme != "mysql") {
		bad("DEPUTYLINK_DATABASE_URL", "must be sqlite://PATH or mysql://user:pass@host:port/db")
	} else if u.Scheme == "mysql" && (u.Host == "" || strings.Trim(u.Path, "/") == "") {
		bad("DEPUTYLINK_DATABASE_URL", "a mysql URL needs a host and a database name")
	} else if u.Scheme == "sqlite" && u.Host+u.Path == "" && u.Opaque == "" {
		bad("DEPUTYLINK_DATABASE_URL", "a sqlite URL needs a file path")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("DEPUTYLINK_REDIS_URL", "must be empty (in-process Redis) or redis://host:port/db")
		}
	}
	if c.RedisCluster != "" {
		if c.RedisURL != "" {
			bad("DEPUTYLINK_REDIS_CLUSTER", "set either DEPUTYLINK_REDIS_URL (one Redis) or DEPUTYLINK_REDIS_CLUSTER (a Redis Cluster), not both")
		} else if msg := checkClusterURL(c.RedisCluster); msg != "" {
			bad("DEPUTYLINK_REDIS_CLUSTER", msg)
		}
	}
	if u, err := url.Parse(c.WeChatAPIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("DEPUTYLINK_WECHAT_API_BASE", "must be an http(s) URL")
	}
	if u, err := url.Parse(c.WeChatAuthorizeBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		bad("DEPUTYLINK_WECHAT_AUTHORIZE_BASE", "must be an http(s) URL without a query")
	}
	if f := c.OA.VerifyFile; f != "" && !verifyFileRe.MatchString(f) {
		bad("DEPUTYLINK_OA_VERIFY_FILE", fmt.Sprintf("must be the file name WeChat gives, MP_verify_<letters and digits>.txt, not %q", f))
	}
	if c.OA.VerifyContent != "" && c.OA.VerifyFile == "" {
		bad("DEPUTYLINK_OA_VERIFY_CONTENT", "needs DEPUTYLINK_OA_VERIFY_FILE")
	}
	if v := c.OA.VerifyContent; len(v) > 256 || strings.ContainsAny(v, "\r\n") {
		bad("DEPUTYLINK_OA_VERIFY_CONTENT", "must be one line of at most 256 characters")
	}
	if f := c.MP.QRVerifyFile; f != "" && !mpQRVerifyFileRe.MatchString(f) {
		bad("DEPUTYLINK_MP_QR_VERIFY_FILE", fmt.Sprintf("must be the file name WeChat gives, <letters and digits>.txt, not %q", f))
	}
	if (c.MP.QRVerifyFile == "") != (c.MP.QRVerifyContent == "") {
		bad("DEPUTYLINK_MP_QR_VERIFY_CONTENT", "DEPUTYLINK_MP_QR_VERIFY_FILE and DEPUTYLINK_MP_QR_VERIFY_CONTENT (what the downloaded file holds) go together")
	}
	if v := c.MP.QRVerifyContent; len(v) > 256 || strings.ContainsAny(v, "\r\n") {
		bad("DEPUTYLINK_MP_QR_VERIFY_CONTENT", "must be one line of at most 256 characters")
	}
	if n := c.MP.Name; !utf8.ValidString(n) || utf8.RuneCountInString(n) > MPNameMaxRunes || strings.IndexFunc(n, unicode.IsControl) >= 0 {
		bad("DEPUTYLINK_MP_NAME", fmt.Sprintf("must be the mini-program's name, one line of at most %d characters", MPNameMaxRunes))
	}
	if c.OA.AESKey != "" && len(c.OA.AESKey) != 43 {
		bad("DEPUTYLINK_OA_AES_KEY", "an EncodingAESKey has 43 characters")
	}
	if (c.OA.AppID == "") != (c.OA.Secret == "") {
		bad("DEPUTYLINK_OA_SECRET", "DEPUTYLINK_OA_APPID and DEPUTYLINK_OA_SECRET go together")
	}
	if (c.MP.AppID == "") != (c.MP.Secret == "") {
		bad("DEPUTYLINK_MP_SECRET", "DEPUTYLINK_MP_APPID and DEPUTYLINK_MP_SECRET go together")
	}
	if c.DataKey != "" {
		if _, err := ParseDataKey(c.DataKey.Value()); err != nil {
			bad("DEPUTYLINK_DATA_KEY", err.Error())
		}
	}
	if c.BodyLimit < 1024 {
		bad("DEPUTYLINK_BODY_LIMIT", "must be at least 1KB")
	}
	if c.ShutdownTimeout <= 0 {
		bad("DEPUTYLINK_SHUTDOWN_TIMEOUT", "must be positive")
	}
	if c.MaxRequests < 0 {
		bad("DEPUTYLINK_MAX_REQUESTS", "must be 0 (no limit) or more")
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < 32<<20 {
		bad("DEPUTYLINK_MEMORY_LIMIT", "must be 0 (none) or at least 32MB")
	}
	if c.Jobs.SendRate <= 0 {
		bad("DEPUTYLINK_SEND_RATE", "must be positive")
	}
	if c.Jobs.MaxAttempts < 1 || c.Jobs.MaxAttempts > 50 {
		bad("DEPUTYLINK_SEND_MAX_ATTEMPTS", "must be between 1 and 50")
	}
	if c.Jobs.Batch < 1 || c.Jobs.Batch > 10000 {
		bad("DEPUTYLINK_SEND_BATCH", "must be between 1 and 10000")
	}
	if c.Jobs.Lease < time.Second {
		bad("DEPUTYLINK_SEND_LEASE", "must be at least 1s")
	}
	if c.Jobs.Tick < 10*time.Millisecond {
		bad("DEPUTYLINK_JOBS_TICK", "must be at least 10ms")
	}
	if c.Jobs.DigestHour < 0 || c.Jobs.DigestHour > 23 {
		bad("DEPUTYLINK_DIGEST_HOUR", "must be an hour from 0 to 23")
	}
	if a := c.Metrics.Addr; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil {
			bad("DEPUTYLINK_METRICS_ADDR", fmt.Sprintf("must be host:port or :port, not %q", a))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("DEPUTYLINK_METRICS_ADDR", fmt.Sprintf("bad port %q", port))
		} else if a == c.Addr {
			bad("DEPUTYLINK_METRICS_ADDR", "must differ from DEPUTYLINK_ADDR (leave it empty to serve /metrics there)")
		}
	}
	if t := c.Metrics.Token.Value(); t != "" && (len(t) < MetricsTokenMinLen || strings.ContainsAny(t, " \t\r\n")) {
		bad("DEPUTYLINK_METRICS_TOKEN", fmt.Sprintf("must be at least %d characters without spaces (openssl rand -hex 24)", MetricsTokenMinLen))
	}
	if c.Jobs.RetentionDays < 30 || c.Jobs.RetentionDays > 36500 {
		bad("DEPUTYLINK_RETENTION_DAYS", "must be between 30 and 36500 days")
	}
	if c.DevLogin && c.Env == "production" {
		bad("DEPUTYLINK_DEV_LOGIN", "the development login signs anyone in as any voter without WeChat: it is refused with DEPUTYLINK_ENV=production")
	}
	if c.ResultsMinSample < 1 || c.ResultsMinSample > 10000 {
		bad("DEPUTYLINK_RESULTS_MIN_SAMPLE", "must be between 1 and 10000")
	}
	return errors.Join(errs...)
}

// SQLitePath returns the file path of a sqlite:// database URL, or "" for MySQL.
func (c Config) SQLitePath() string {
	rest, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://")
	if !ok {
		return ""
	}
	path, _, _ := strings.Cut(rest, "?")
	return path
}

// checkClusterURL explains what is wrong with a Redis Cluster URL, or
// returns "". The form is go-redis's (redis.ParseClusterURL):
// redis://[user:pass@]host:port?addr=host:port&addr=host:port, rediss://
// for TLS. A cluster has no database index, so a path is refused.
func checkClusterURL(raw string) string {
	const form = "must be redis://[user:pass@]host1:6379?addr=host2:6379&addr=host3:6379 (rediss:// for TLS)"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return form
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return fmt.Sprintf("a Redis Cluster has no database index: remove the path /%s (DEPUTYLINK_REDIS_PREFIX is the namespace)", p)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return form
	}
	for _, a := range append([]string{u.Host}, q["addr"]...) {
		if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
			return fmt.Sprintf("%q is not host:port; %s", a, form)
		}
	}
	return ""
}

type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(v, msg string) { l.errs = append(l.errs, &Error{Var: v, Msg: msg}) }

// lookup returns the variable, or the contents of the file named by NAME_FILE.
func (l *loader) lookup(name string, fileOK bool) (string, bool) {
	if v := l.getenv(name); v != "" {
		return v, true
	}
	if !fileOK {
		return "", false
	}
	path := l.getenv(name + "_FILE")
	if path == "" {
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		l.fail(name+"_FILE", fmt.Sprintf("cannot read the file: %v", err))
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

func (l *loader) str(name string, dst *string) bool {
	v, ok := l.lookup(name, false)
	if ok {
		*dst = strings.TrimSpace(v)
	}
	return ok
}

// secretURL accepts NAME_FILE for URLs that may carry a password.
func (l *loader) secretURL(name string, dst *string, already bool) {
	if already {
		return
	}
	if v, ok := l.lookup(name, true); ok {
		*dst = v
	}
}

func (l *loader) secret(name string, dst *Secret) {
	if v, ok := l.lookup(name, true); ok {
		*dst = Secret(v)
	}
}

func (l *loader) integer(name string, dst *int) {
	parseInto(l, name, dst, strconv.Atoi, "a whole number")
}

func (l *loader) float(name string, dst *float64) {
	parseInto(l, name, dst, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, "a number")
}

func (l *loader) duration(name string, dst *time.Duration) {
	parseInto(l, name, dst, time.ParseDuration, "a duration such as 10s or 2m")
}

// parseInto sets *dst to the variable name parsed by parse, when it is set;
// a value parse refuses is a failure that says what it must be.
func parseInto[T any](l *loader, name string, dst *T, parse func(string) (T, error), must string) {
	if v, ok := l.lookup(name, false); ok {
		x, err := parse(strings.TrimSpace(v))
		if err != nil {
			l.fail(name, fmt.Sprintf("must be %s, not %q", must, v))
			return
		}
		*dst = x
	}
}

// boolean parses 1, true, yes or on (and 0, false, no or off).
func (l *loader) boolean(name string, dst *bool) {
	parseInto(l, name, dst, func(s string) (bool, error) {
		switch strings.ToLower(s) {
		case "1", "true", "yes", "on":
			return true, nil
		case "0", "false", "no", "off":
			return false, nil
		}
		return false, strconv.ErrSyntax
	}, "1 or 0")
}

// bytes parses a size such as 1048576, 512KB or 1MB.
func (l *loader) bytes(name string, dst *int64) {
	v, ok := l.lookup(name, false)
	if !ok {
		return
	}
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		l.fail(name, fmt.Sprintf("must be a size such as 1MB or 65536, not %q", v))
		return
	}
	*dst = n * mult
}

// template parses a DEPUTYLINK_TPL_* variable of an official-account
// template (see ParseTemplateSpec), which has no kind.
func (l *loader) template(name string, dst *TemplateSpec) {
	l.parseTemplate(name, dst)
	if dst.LongTerm {
		l.fail(name, "is an official-account template: "+TemplateLongTerm+" applies only to mini-program subscribe templates")
		*dst = TemplateSpec{}
	}
}

// subscribeTemplate parses a DEPUTYLINK_TPL_* variable of a mini-program
// subscribe template, which may be one_time or long_term.
func (l *loader) subscribeTemplate(name string, dst *TemplateSpec) {
	l.parseTemplate(name, dst)
}

func (l *loader) parseTemplate(name string, dst *TemplateSpec) {
	v, ok := l.lookup(name, false)
	if !ok {
		return
	}
	spec, err := ParseTemplateSpec(v)
	if err != nil {
		l.fail(name, err.Error())
		return
	}
	*dst = spec
}

// ParseDataKey decodes a 32-byte key given as base64 (std or URL) or hex.
func ParseDataKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes as base64 or 64 hex digits (openssl rand -base64 32)")
}
