// Package official is the official account's face, /wechat/official: the
// push endpoint (verification, plain and safe mode, signature and freshness
// checks, exactly-once handling), the bot's replies and cards, the opinion
// chat and the custom menu.
package official

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// The official-account push endpoint (docs/WECHAT.md#official-account-push): URL verification, plain
// and safe (AES) mode, signature and freshness checks, exactly-once handling
// through Redis (dedupe.go) and the bot's replies (bot.go).
//
// We parse and reply ourselves instead of using the SDK's GetServer: it
// checks no freshness, compares signatures with ==, logs whole messages at
// Debug and panics on some write failures, and it costs a reflection pass per
// push on the hot path.

// Config configures the official-account push endpoint and the bot.
type Config struct {
	// AppID, Token and AESKey are the official account's appid, push Token
	// and EncodingAESKey (the AES key may be empty in plain mode). An empty
	// Token disables the endpoint (503).
	AppID, Token, AESKey string
	// MPAppID is the mini-program the bot links to; without it the cards
	// point to the menu instead of carrying links.
	MPAppID string
	// BookPage, FilePage and MyPage are mini-program page paths without a
	// query (defaults MPPageBook, MPPageFile and pages/my/index);
	// the bot appends ?deputy=ID or ?station=ID, and ?code=CODE.
	BookPage, FilePage, MyPage string
	// BadSignatureLimit is how many pushes failing the signature checks
	// one address may send a minute; past it the address is answered 429
	// without checking (0 means 20, negative turns the limit off). WeChat
	// signs correctly, so it is never limited.
	BadSignatureLimit int

	// hook, when set (tests only), runs before the bot computes a reply.
	hook func(ctx context.Context, openid, event string)
	// cardTTL overrides how long a code's card is cached (tests only).
	cardTTL time.Duration
}

const (
	// oaBodyLimit caps a push body: real pushes are a few KB, compatible
	// mode about three times that.
	oaBodyLimit = 64 << 10
	// oaClockSkew is how far a push's timestamp may be from our clock.
	oaClockSkew = 5 * time.Minute
	// oaWorkBudget bounds the bot's work and oaCommitBudget storing its
	// results: WeChat gives up after 5 s.
	oaWorkBudget   = 3 * time.Second
	oaCommitBudget = time.Second
	// oaTextLimit is WeChat's limit for a passive text reply, in bytes.
	oaTextLimit = 2048
	oaSuccess   = "success"
	// oaDefaultFailLimit is Config.BadSignatureLimit's default, and
	// oaFailLimitName the shared rate limit's name.
	oaDefaultFailLimit = 20
	oaFailLimitName    = "oa_bad_sig"
	oaFailSeenMax      = 10000
)

// The endpoint's refusals, before a push is read.
var (
	errMethod          = models.Coded(shared.ErrMethodNotAllowed, "method_not_allowed", "不支持这种请求方式")
	errPushTooLarge    = models.Coded(shared.ErrTooLarge, "body_too_large", "提交的内容太大")
	errOANotConfigured = models.Coded(shared.ErrUnavailable, "wechat_unavailable", "公众号服务暂未开通")
	errStaleTimestamp  = models.Coded(models.ErrForbidden, "stale_timestamp", "请求已过期")
	errBadSignature    = models.Coded(models.ErrForbidden, "bad_signature", "签名错误")
)

// oaMsg is the part of a push (message.MixMessage) the bot uses. Numbers are
// kept as text: a malformed number must not make the whole push unreadable,
// and MsgId is only ever used as a key.
type oaMsg struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   string   `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	// TemplateMsgID is the MsgID of TEMPLATESENDJOBFINISH (note the case).
	TemplateMsgID string `xml:"MsgID"`
	Event         string `xml:"Event"`
	EventKey      string `xml:"EventKey"`
	Ticket        string `xml:"Ticket"`
	Latitude      string `xml:"Latitude"`
	Longitude     string `xml:"Longitude"`
	LocationX     string `xml:"Location_X"`
	LocationY     string `xml:"Location_Y"`
	Label         string `xml:"Label"`
	Status        string `xml:"Status"`
}

// oaEnvelope is the outer XML of a safe-mode push.
type oaEnvelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
}

// oaRequest is what the reply needs to know about how the push came.
type oaRequest struct {
	aes              bool
	random           []byte
	timestamp, nonce string
}

// oaServer is the endpoint's state, built once per router.
type oaServer struct {
	h     *shared.Base
	cfg   Config
	cards *oaCardCache
	// batch sends the Redis commands of concurrent scans together (nil
	// without Redis).
	batch *shared.RedisBatcher
	// blobNext is when each card text referred to by stored replies is
	// next rewritten (see cardBlobDue).
	blobMu   sync.Mutex
	blobNext map[string]time.Time
	// failLimit bounds the pushes failing the signature checks per
	// address (oaFailLimitName). failSeen notes when this process last saw
	// each address fail, so only such addresses cost a look at the shared
	// counter before their pushes are checked: WeChat's never do.
	failLimit shared.RateLimit
	failMu    sync.Mutex
	failSeen  map[string]time.Time
}

// Mount registers the push endpoint on g (/wechat) as /official, for every
// method: WeChat verifies with GET and pushes with POST, and anything else
// gets the error envelope's 405.
func Mount(g *gin.RouterGroup, b *shared.Base, cfg Config) {
	g.Any("/official", handler(b, cfg))
}

// handler builds the push endpoint's handler.
func handler(h *shared.Base, cfg Config) gin.HandlerFunc {
	// The defaults are the pages the custom menu links to (menu.go).
	if cfg.BookPage == "" {
		cfg.BookPage = MPPageBook
	}
	if cfg.FilePage == "" {
		cfg.FilePage = MPPageFile
	}
	if cfg.MyPage == "" {
		cfg.MyPage = oaDefaultMyPage
	}
	ttl := cfg.cardTTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	o := &oaServer{h: h, cfg: cfg}
	switch {
	case cfg.BadSignatureLimit == 0:
		o.failLimit = shared.RateLimit{N: oaDefaultFailLimit, Window: time.Minute}
	case cfg.BadSignatureLimit > 0:
		o.failLimit = shared.RateLimit{N: cfg.BadSignatureLimit, Window: time.Minute}
	}
	o.cards = newOACardCache(ttl, o.loadCard)
	if h.Redis != nil {
		o.batch = shared.NewRedisBatcher(h.Redis, oaCommitBudget, 256, pushBatchSizes(h))
	}
	return o.serve
}

func (o *oaServer) serve(c *gin.Context) {
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodPost {
		shared.RespondErr(c, errMethod)
		return
	}
	if o.overFailLimit(c) {
		shared.RespondRateLimited(c, o.failLimit)
		return
	}
	body, ok := readPushBody(c)
	if !ok {
		shared.RespondErr(c, errPushTooLarge)
		return
	}
	q := c.Request.URL.Query()
	if !o.verify(c, q) {
		return
	}
	if c.Request.Method == http.MethodGet {
		// URL verification: the echostr comes back verbatim, in safe mode too.
		c.Header("X-Content-Type-Options", "nosniff")
		if e := q.Get("echostr"); e != "" {
			c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(e))
			return
		}
		c.String(http.StatusOK, oaSuccess)
		return
	}
	req, plain, ok := o.open(c, q, body)
	if !ok {
		return
	}
	m, err := parsePush(plain)
	if err != nil {
		o.ignore(c, "unreadable push", err)
		return
	}
	// An unusable body above has no effect however often it comes; a
	// usable one in plain mode must not reuse another push's signature.
	if !req.aes && !o.freshNonce(c, req, plain) {
		o.refuse(c, "plain push reuses the timestamp and nonce of another body")
		return
	}
	reply := o.process(c.Request.Context(), shared.Logger(c), &m)
	o.respond(c, req, &m, reply)
}

// verify checks the timestamp's freshness and the signature; it answers
// the request itself when they fail.
func (o *oaServer) verify(c *gin.Context, q url.Values) bool {
	ctx, log := c.Request.Context(), shared.Logger(c)
	if o.cfg.Token == "" {
		log.ErrorContext(ctx, "WeChat push refused: the official account is not configured")
		shared.RespondErr(c, errOANotConfigured)
		return false
	}
	ts := q.Get("timestamp")
	if !wechat.FreshTimestamp(ts, o.h.Now(), oaClockSkew) {
		log.WarnContext(ctx, "WeChat push refused: stale timestamp")
		o.countFailure(c)
		shared.RespondErr(c, errStaleTimestamp)
		return false
	}
	if !wechat.VerifySignature(q.Get("signature"), o.cfg.Token, ts, q.Get("nonce")) {
		o.refuse(c, "bad signature")
		return false
	}
	return true
}

// open returns the plain push: the body itself in plain mode, the checked
// and decrypted Encrypt field in safe (and compatible) mode. It answers the
// request itself when it returns false.
//
// With an AES key configured only safe mode is accepted: WeChat then sends
// encrypt_type=aes and msg_signature in safe and in compatible mode alike,
// and a plain push's signature covers the token, timestamp and nonce but
// not the body, so a captured one could carry any body
// (docs/WECHAT.md#message-modes).
func (o *oaServer) open(c *gin.Context, q url.Values, body []byte) (oaRequest, []byte, bool) {
	req := oaRequest{timestamp: q.Get("timestamp"), nonce: q.Get("nonce")}
	et := q.Get("encrypt_type")
	if o.cfg.AESKey != "" && (et != "aes" || q.Get("msg_signature") == "") {
		o.refuse(c, "not a safe-mode push, and the account has an AES key")
		return req, nil, false
	}
	switch et {
	case "", "raw":
		return req, body, true
	case "aes":
	default:
		o.ignore(c, "unknown encrypt_type", nil)
		return req, nil, false
	}
	req.aes = true
	env, ok := fastParseEnvelope(body)
	if !ok {
		env = oaEnvelope{}
		if err := xml.Unmarshal(body, &env); err != nil {
			o.ignore(c, "unreadable envelope", err)
			return req, nil, false
		}
	}
	if env.Encrypt == "" {
		o.ignore(c, "unreadable envelope", nil)
		return req, nil, false
	}
	if !wechat.VerifySignature(q.Get("msg_signature"), o.cfg.Token, req.timestamp, req.nonce, env.Encrypt) {
		o.refuse(c, "bad msg_signature")
		return req, nil, false
	}
	random, plain, err := wechat.DecryptMsg(o.cfg.AppID, env.Encrypt, o.cfg.AESKey)
	if err != nil {
		// Includes an appid inside that is not ours.
		o.ignore(c, "undecryptable push", err)
		return req, nil, false
	}
	req.random = random
	return req, plain, true
}

// refuse answers a push that failed the signature checks with 403.
func (o *oaServer) refuse(c *gin.Context, why string) {
	shared.Logger(c).WarnContext(c.Request.Context(), "WeChat push refused: "+why)
	o.countFailure(c)
	shared.RespondErr(c, errBadSignature)
}

// countFailure counts a push that failed the signature checks against its
// address, in the shared rate limit, and notes the address as failing.
func (o *oaServer) countFailure(c *gin.Context) {
	if o.failLimit.N <= 0 || o.h.Redis == nil {
		return
	}
	ip := c.ClientIP()
	o.failMu.Lock()
	if o.failSeen == nil || len(o.failSeen) >= oaFailSeenMax {
		o.failSeen = map[string]time.Time{}
	}
	o.failSeen[ip] = time.Now()
	o.failMu.Unlock()
	if _, err := o.h.Count(c.Request.Context(), oaFailLimitName, "ip:"+ip, o.failLimit); err != nil {
		shared.Logger(c).WarnContext(c.Request.Context(), "WeChat push: counting a failed signature check failed", "err", err)
	}
}

// overFailLimit reports whether the request's address has failed the
// signature checks too often this minute. Only an address this process saw
// failing within the window is looked up (another process's failures
// reach it after its own first one), so correctly signing senders cost
// nothing; Redis trouble lets the request through to the checks.
func (o *oaServer) overFailLimit(c *gin.Context) bool {
	if o.failLimit.N <= 0 || o.h.Redis == nil {
		return false
	}
	ip := c.ClientIP()
	o.failMu.Lock()
	seen, ok := o.failSeen[ip]
	o.failMu.Unlock()
	if !ok || time.Since(seen) > o.failLimit.Window {
		return false
	}
	spent, err := o.h.Spent(c.Request.Context(), oaFailLimitName, "ip:"+ip, o.failLimit)
	return err == nil && spent
}

// oaNonceTTL is how long a plain push's (timestamp, nonce) is remembered:
// longer than a timestamp is accepted (oaClockSkew either side of our
// clock).
const oaNonceTTL = 2*oaClockSkew + time.Minute

// freshNonce remembers the (timestamp, nonce) of a plain push with a digest
// of its body, and is false when the pair came before with another body: a
// captured signature carrying a forged body. The same body again is a retry
// of the same message, which the dedupe answers with the first reply (WeChat
// may or may not reuse the nonce when it retries). Without Redis, or when
// it fails, the push is let through: the signature and the timestamp were
// checked.
func (o *oaServer) freshNonce(c *gin.Context, req oaRequest, body []byte) bool {
	if o.h.Redis == nil {
		return true
	}
	ctx := c.Request.Context()
	id := sha256.Sum256([]byte(req.timestamp + "\n" + req.nonce))
	key := o.rkey("tn", hex.EncodeToString(id[:16]))
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:16])
	rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	ok, err := o.h.Redis.SetNX(rctx, key, digest, oaNonceTTL).Result()
	if err == nil && !ok {
		var prev string
		prev, err = o.h.Redis.Get(rctx, key).Result()
		if err == nil {
			return prev == digest
		}
		if errors.Is(err, redis.Nil) {
			return true // expired in between: long past the window
		}
	}
	if err != nil {
		shared.Logger(c).WarnContext(ctx, "WeChat push replay check unavailable", "err", err)
	}
	return true
}

// readPushBody reads the body up to oaBodyLimit; false means it is larger.
func readPushBody(c *gin.Context) ([]byte, bool) {
	if c.Request.ContentLength > oaBodyLimit {
		return nil, false
	}
	if c.Request.Body == nil {
		return nil, true
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, oaBodyLimit+1))
	if err != nil {
		// Most likely the router-wide MaxBytesReader; a broken connection
		// gets no answer anyway.
		var mbe *http.MaxBytesError
		return nil, !errors.As(err, &mbe) && len(body) <= oaBodyLimit
	}
	return body, len(body) <= oaBodyLimit
}

// ignore answers a correctly signed push we cannot use with "success", so
// WeChat neither retries it nor tells the user the account is broken.
func (o *oaServer) ignore(c *gin.Context, why string, err error) {
	attrs := []any{"reason", why}
	if err != nil {
		attrs = append(attrs, "err", truncateForLog(err.Error()))
	}
	shared.Logger(c).WarnContext(c.Request.Context(), "WeChat push ignored", attrs...)
	c.String(http.StatusOK, oaSuccess)
}

func truncateForLog(s string) string {
	if len(s) <= 200 {
		return s
	}
	for i := 200; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// errBadPush is a push that parsed but lacks what every push has.
var errBadPush = errors.New("push lacks FromUserName, MsgType or CreateTime")

// parsePush decodes a plain push. encoding/xml rejects control characters
// (docs/WECHAT.md#official-account-push, SDK issue #750); such a push ends here as an error.
func parsePush(body []byte) (oaMsg, error) {
	m, ok := fastParsePush(body)
	if !ok {
		m = oaMsg{}
		if err := xml.Unmarshal(body, &m); err != nil {
			return oaMsg{}, err
		}
	}
	for _, f := range []*string{&m.ToUserName, &m.FromUserName, &m.CreateTime, &m.MsgType, &m.MsgID,
		&m.TemplateMsgID, &m.Event, &m.EventKey, &m.Latitude, &m.Longitude, &m.LocationX, &m.LocationY, &m.Status} {
		*f = strings.TrimSpace(*f)
	}
	if !validOpenID(m.FromUserName) || m.MsgType == "" || len(m.MsgType) > 32 || !isDigits(m.CreateTime, 20) {
		return oaMsg{}, errBadPush
	}
	return m, nil
}

func validOpenID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

func isDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// openIDHash is how logs name a user: never the openid itself.
func openIDHash(openid string) string {
	sum := sha256.Sum256([]byte(openid))
	return hex.EncodeToString(sum[:6])
}

// process runs the bot for a push exactly once (see claim) and returns the
// reply every delivery of it gets.
func (o *oaServer) process(ctx context.Context, log *slog.Logger, m *oaMsg) oaReply {
	keys := o.pushKeys(m)
	log = shared.LazyWith(log, func() []any {
		return []any{"openid_hash", openIDHash(m.FromUserName), "msg_type", m.MsgType, "event", m.Event}
	})
	r, done, redisDown := o.fastScan(ctx, log, keys, m)
	if done {
		return r
	}
	var cl oaClaim
	var err error
	if redisDown {
		cl = oaClaim{owner: true, noRedis: true}
	} else {
		cl, err = o.claim(ctx, keys.dd)
	}
	switch {
	case err != nil && cl.owner:
		// Redis is down: handle the push anyway. Every side effect is
		// idempotent in the database (a scan is added under the push's
		// identity, bindings are one-time), so a retry cannot double count.
		log.WarnContext(ctx, "WeChat push dedupe unavailable; handling without it", "err", err)
	case err != nil:
		log.WarnContext(ctx, "WeChat push dedupe failed", "err", err)
		return oaReply{}
	case !cl.owner && cl.stored != nil:
		return *cl.stored
	case !cl.owner:
		// The first delivery is still working; WeChat keeps its answer.
		log.InfoContext(ctx, "WeChat push retried while the first delivery is still running")
		return oaReply{}
	}

	// The work outlives a client that hung up: its result is what a retry
	// gets.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oaWorkBudget)
	defer cancel()
	if cl.noRedis {
		wctx = context.WithValue(wctx, oaNoRedis{}, true)
	}
	if o.cfg.hook != nil {
		o.cfg.hook(wctx, m.FromUserName, m.Event)
	}
	fx := &oaEffects{}
	reply, err := o.reply(wctx, m, fx)
	if err != nil {
		log.ErrorContext(ctx, "WeChat push handling failed", "err", err)
		// Give the claim up so a retry tries again; nothing was stored.
		o.release(wctx, keys.dd, cl)
		if !expectsReply(m) {
			return oaReply{}
		}
		return oaReply{Type: oaReplyText, Content: oaBusyText, At: o.h.Now().Unix()}
	}
	if reply.Type != "" && reply.At == 0 {
		reply.At = o.h.Now().Unix()
	}
	reply.Content = clipBytes(reply.Content, oaTextLimit)
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), oaCommitBudget)
	defer ccancel()
	o.commit(cctx, log, keys, cl, fx, reply, m)
	return reply
}
