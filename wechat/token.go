package wechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/silenceper/wechat/v2/credential"
)

// SDK cache-key layout (credential/default_access_token.go): the handles use
// fmt.Sprintf("%s_stable_access_token_%s", prefix, appid) and
// fmt.Sprintf("%s_access_token_%s", prefix, appid), where prefix is
// credential.CacheKeyOfficialAccountPrefix ("gowechat_officialaccount_") or
// credential.CacheKeyMiniProgramPrefix ("gowechat_miniprogram_"); hence the
// double underscore.
func stableTokenKey(sdkPrefix, appID string) string {
	return sdkPrefix + "_stable_access_token_" + appID
}

func legacyTokenKey(sdkPrefix, appID string) string {
	return sdkPrefix + "_access_token_" + appID
}

// tokenSource wraps the SDK's StableAccessToken handle (same cache keys, same
// stable_token call, force_refresh always false) and adds what the SDK lacks:
//   - a Redis lock around the fetch, so replicas sharing Redis call
//     stable_token once per rotation instead of once per process;
//   - invalidation of the cached token after WeChat rejects it.
//
// It implements credential.AccessTokenContextHandle.
type tokenSource struct {
	appID     string
	key       string // SDK key of the stable token
	legacyKey string // SDK key of the non-stable token (never written by us)
	lockKey   string
	lockTTL   time.Duration
	cache     *RedisCache
	inner     credential.AccessTokenContextHandle
	log       *slog.Logger
}

func newTokenSource(appID, secret, sdkPrefix string, c *RedisCache, lockTTL time.Duration, log *slog.Logger) *tokenSource {
	return &tokenSource{
		appID:     appID,
		key:       stableTokenKey(sdkPrefix, appID),
		legacyKey: legacyTokenKey(sdkPrefix, appID),
		lockKey:   "wechat:tokenlock:" + sdkPrefix + appID,
		lockTTL:   lockTTL,
		cache:     c,
		inner:     credential.NewStableAccessToken(appID, secret, sdkPrefix, c),
		log:       log,
	}
}

// GetAccessToken implements credential.AccessTokenHandle (the official-account
// SDK calls only this variant).
func (t *tokenSource) GetAccessToken() (string, error) {
	return t.GetAccessTokenContext(context.Background())
}

// GetAccessTokenContext implements credential.AccessTokenContextHandle.
func (t *tokenSource) GetAccessTokenContext(ctx context.Context) (string, error) {
	// The SDK handle re-checks the cache under its own mutex before calling
	// stable_token, so a caller that stopped waiting still fetches at most once
	// per process.
	return t.cache.fetchOnce(ctx, t.lockKey, t.lockTTL, t.peek, t.fetch)
}

func (t *tokenSource) fetch(ctx context.Context) (string, error) {
	tok, err := t.inner.GetAccessTokenContext(ctx)
	if err != nil && tok != "" {
		// The token is good but caching it failed (Redis down). Use it; the
		// next call fetches again (stable_token is idempotent).
		t.log.Warn("wechat: caching access token failed", "appid", t.appID, "err", Redact(err.Error()))
		return tok, nil
	}
	return tok, err
}

// peek returns the cached token or "".
func (t *tokenSource) peek(ctx context.Context) string {
	s, _ := t.cache.GetContext(ctx, t.key).(string)
	return s
}

// invalidate drops a token WeChat rejected. seen is the token that was cached
// before the failed call; if another caller has already replaced it, the
// fresh value is kept.
func (t *tokenSource) invalidate(ctx context.Context, seen string) {
	var err error
	if seen != "" {
		_, err = t.cache.DeleteIf(ctx, t.key, seen)
	} else {
		err = t.cache.DeleteContext(ctx, t.key)
	}
	if err2 := t.cache.DeleteContext(ctx, t.legacyKey); err == nil {
		err = err2
	}
	if err != nil {
		t.log.Warn("wechat: invalidating access token failed", "appid", t.appID, "err", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// call runs fn, the SDK call for op. If WeChat rejects the access token
// (40001/42001/40014) it invalidates the cached token and runs fn once more;
// it never asks for force_refresh. ts may be nil for calls without a token.
// The returned error is nil or a redacted *APIError.
func (c *Client) call(ctx context.Context, ts *tokenSource, op string, fn func() error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return wrapErr(op, err)
		}
		var seen string
		if ts != nil {
			seen = ts.peek(ctx)
		}
		err := fn()
		if err == nil {
			return nil
		}
		code := errCodeOf(err)
		if ts != nil && attempt == 0 && isTokenErr(code) {
			c.log.Warn("wechat: access token rejected, refreshing and retrying once",
				"op", op, "appid", ts.appID, "errcode", code)
			ts.invalidate(ctx, seen)
			continue
		}
		werr := wrapErr(op, err)
		c.log.Debug("wechat: call failed", "op", op, "errcode", code, "err", werr.Error())
		return werr
	}
}
