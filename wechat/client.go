// Package wechat adapts the silenceper/wechat SDK (v2.1.10) for deputylink:
// one set-up of the official account (OA) and the mini-program (MP) with
// stable access tokens shared through Redis, token invalidation with a single
// retry, redacted errors, classified message sends and the push crypto
// helpers. It imports no other deputylink package.
//
// The SDK's HTTP client is a package variable (util.DefaultHTTPClient), so
// the API base and the HTTP timeout are process-wide: the most recent New
// decides them for every Client (see APIBaseURL).
package wechat

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram"
	"github.com/silenceper/wechat/v2/miniprogram/auth"
	"github.com/silenceper/wechat/v2/miniprogram/business"
	mpconfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/oauth"
	"github.com/silenceper/wechat/v2/officialaccount/user"
	"github.com/sirupsen/logrus"
)

// Config holds both WeChat accounts. Either account may be left out (empty
// appid); its methods then return ErrNotConfigured.
type Config struct {
	OAAppID, OASecret, OAToken, OAAESKey string
	MPAppID, MPSecret                    string
	// APIBase replaces https://api.weixin.qq.com (e.g. a fake server in
	// tests); empty or the default means no rewrite. Process-wide.
	APIBase string
	// AuthorizeBase replaces https://open.weixin.qq.com, the host of the
	// web-authorization page (AuthorizeURL), e.g. the fake in tests. Unlike
	// APIBase it is per Client: the browser, not this process, follows it.
	AuthorizeBase string
	// HTTPTimeout bounds each HTTP exchange (default 10 s). Process-wide.
	HTTPTimeout time.Duration
	// KeyPrefix namespaces every Redis key written by this package or the
	// SDK cache, e.g. "dl:".
	KeyPrefix string
}

// Client is safe for concurrent use. Build it once with New.
type Client struct {
	cfg   Config
	log   *slog.Logger
	cache *RedisCache

	oa      *officialaccount.OfficialAccount
	oaToken *tokenSource
	basic   *basic.Basic
	tmpl    *message.Template
	custom  *message.Manager
	menu    *menu.Menu
	user    *user.User
	oauth   *oauth.Oauth
	// authorize is the web-authorization origin, without a trailing slash.
	authorize string

	mp      *miniprogram.MiniProgram
	mpToken *tokenSource
	mpAuth  *auth.Auth
	mpBiz   *business.Business
	mpQR    *qrcode.QRCode
	mpSub   *subscribe.Subscribe
}

// New builds the SDK objects with UseStableAK and a Redis cache, installs the
// process-wide HTTP client (see package doc) and validates cfg. log may be
// nil.
func New(cfg Config, rdb redis.UniversalClient, log *slog.Logger) (*Client, error) {
	if rdb == nil {
		return nil, errors.New("wechat: a Redis client is required (token cache)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = DefaultHTTPTimeout
	}
	if err := configureHTTP(cfg.APIBase, cfg.HTTPTimeout); err != nil {
		return nil, err
	}
	quietLogrus()

	c := &Client{cfg: cfg, log: log, cache: NewRedisCache(rdb, cfg.KeyPrefix)}
	c.authorize = DefaultAuthorizeBase
	if u, _ := parseOrigin("AuthorizeBase", cfg.AuthorizeBase, DefaultAuthorizeBase); u != nil {
		c.authorize = strings.TrimSuffix(u.String(), "/")
	}
	lockTTL := cfg.HTTPTimeout + 2*time.Second
	if cfg.OAAppID != "" {
		c.oa = officialaccount.NewOfficialAccount(&oaconfig.Config{
			AppID: cfg.OAAppID, AppSecret: cfg.OASecret,
			Token: cfg.OAToken, EncodingAESKey: cfg.OAAESKey,
			Cache: c.cache, UseStableAK: true,
		})
		c.oaToken = newTokenSource(cfg.OAAppID, cfg.OASecret, credential.CacheKeyOfficialAccountPrefix, c.cache, lockTTL, log)
		c.oa.SetAccessTokenHandle(c.oaToken)
		// The OA getters are unsynchronised check-then-set: call each once here.
		c.basic = c.oa.GetBasic()
		c.tmpl = c.oa.GetTemplate()
		c.custom = c.oa.GetCustomerMessageManager()
		c.menu = c.oa.GetMenu()
		c.user = c.oa.GetUser()
		c.oauth = c.oa.GetOauth()
	}
	if cfg.MPAppID != "" {
		c.mp = miniprogram.NewMiniProgram(&mpconfig.Config{
			AppID: cfg.MPAppID, AppSecret: cfg.MPSecret,
			Cache: c.cache, UseStableAK: true,
		})
		c.mpToken = newTokenSource(cfg.MPAppID, cfg.MPSecret, credential.CacheKeyMiniProgramPrefix, c.cache, lockTTL, log)
		c.mp.SetAccessTokenContextHandle(c.mpToken)
		c.mpAuth = c.mp.GetAuth()
		c.mpBiz = c.mp.GetBusiness()
		c.mpQR = c.mp.GetQRCode()
		c.mpSub = c.mp.GetSubscribe()
	}
	return c, nil
}

func validateConfig(cfg Config) error {
	if cfg.OAAppID != "" && cfg.OASecret == "" {
		return errors.New("wechat: OA secret is required when the OA appid is set")
	}
	if cfg.MPAppID != "" && cfg.MPSecret == "" {
		return errors.New("wechat: MP secret is required when the MP appid is set")
	}
	if cfg.OAAESKey != "" {
		if len(cfg.OAAESKey) != 43 {
			return errors.New("wechat: OA EncodingAESKey must be 43 characters")
		}
		if k, err := base64.StdEncoding.DecodeString(cfg.OAAESKey + "="); err != nil || len(k) != 32 {
			return errors.New("wechat: OA EncodingAESKey is not valid base64 of 32 bytes")
		}
	}
	if _, err := parseBase(cfg.APIBase); err != nil {
		return err
	}
	if _, err := parseOrigin("AuthorizeBase", cfg.AuthorizeBase, DefaultAuthorizeBase); err != nil {
		return err
	}
	return nil
}

// quietLogrus keeps the SDK's logrus output (global) at Warn or quieter: at
// Debug the push server logs whole decrypted messages (openid, user text).
// The SDK root package's init sets Debug; we never import it, but another
// package of the binary might.
func quietLogrus() {
	if logrus.GetLevel() > logrus.WarnLevel {
		logrus.SetLevel(logrus.WarnLevel)
	}
}

// OfficialAccount returns the SDK object (nil when the OA is not configured),
// e.g. for GetServer in the push endpoint. Do not call its lazy getters
// concurrently; the ones this package needs were called once in New.
func (c *Client) OfficialAccount() *officialaccount.OfficialAccount { return c.oa }

// OAAppID returns the official account's appid ("" if not configured).
func (c *Client) OAAppID() string { return c.cfg.OAAppID }

// MPAppID returns the mini-program's appid ("" if not configured).
func (c *Client) MPAppID() string { return c.cfg.MPAppID }

// OAToken returns the push-verification Token of the official account.
func (c *Client) OAToken() string { return c.cfg.OAToken }

// OAAESKey returns the official account's EncodingAESKey.
func (c *Client) OAAESKey() string { return c.cfg.OAAESKey }

// Cache returns the Redis cache adapter used for access tokens.
func (c *Client) Cache() *RedisCache { return c.cache }

// TokenCacheKeys returns the Redis keys (prefix included) holding the cached
// stable access tokens of the configured accounts.
func (c *Client) TokenCacheKeys() []string {
	var keys []string
	for _, ts := range []*tokenSource{c.oaToken, c.mpToken} {
		if ts != nil {
			keys = append(keys, c.cache.Key(ts.key))
		}
	}
	return keys
}

func (c *Client) needOA(op string) error {
	if c.oa == nil {
		return notConfigured(op, "official account")
	}
	return nil
}

func (c *Client) needMP(op string) error {
	if c.mp == nil {
		return notConfigured(op, "mini-program")
	}
	return nil
}

// String hides secrets if a Client is ever printed.
func (c *Client) String() string {
	return fmt.Sprintf("wechat.Client{oa=%q mp=%q}", c.cfg.OAAppID, c.cfg.MPAppID)
}
