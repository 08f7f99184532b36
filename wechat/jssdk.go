package wechat

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
)

// JSConfig is what a page passes to the JS-SDK's wx.config for one page
// address (docs/WECHAT.md#js-sdk-signature).
type JSConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// JSSDKSignature is the JS-SDK's signature: the hex SHA-1 of
// "jsapi_ticket=T&noncestr=N&timestamp=TS&url=U", U being the page's full
// address without its #fragment (cut here if present). The SDK's js.Js
// signs the same string but keeps a fragment and draws its nonce from
// math/rand, hence our own.
func JSSDKSignature(ticket, nonceStr string, timestamp int64, pageURL string) string {
	pageURL, _, _ = strings.Cut(pageURL, "#")
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonceStr +
		"&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}

// jsTicketKey is the SDK's cache key of the official account's jsapi_ticket
// (credential/default_js_ticket.go: "%s_jsapi_ticket_%s" with the OA
// prefix), so a process using the SDK's js.Js would share it too.
func jsTicketKey(appID string) string {
	return credential.CacheKeyOfficialAccountPrefix + "_jsapi_ticket_" + appID
}

// jsTicketMargin is how long before WeChat's expiry a cached ticket is
// replaced, so a page never gets a signature from a ticket about to die.
const jsTicketMargin = 10 * time.Minute

// jsTicketTTL is how long a ticket WeChat gave for expiresIn seconds stays
// in the cache: expiresIn less the margin, or half of it when short.
func jsTicketTTL(expiresIn int64) time.Duration {
	d := time.Duration(expiresIn) * time.Second
	if d > 2*jsTicketMargin {
		return d - jsTicketMargin
	}
	return d / 2
}

// JSConfig signs the JS-SDK configuration of the page at pageURL (its full
// http(s) address; a #fragment is ignored) with a fresh nonce and the
// current time. The jsapi_ticket comes from Redis, shared by every process,
// and is fetched (GET /cgi-bin/ticket/getticket?type=jsapi) by one caller
// at a time when missing or near its expiry.
func (c *Client) JSConfig(ctx context.Context, pageURL string) (JSConfig, error) {
	const op = "ticket.getticket"
	if err := c.needOA(op); err != nil {
		return JSConfig{}, err
	}
	pageURL, _, _ = strings.Cut(pageURL, "#")
	if u, err := url.Parse(pageURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return JSConfig{}, invalidArg(op, "page URL must be an absolute http(s) address")
	}
	ticket, err := c.jsTicket(ctx)
	if err != nil {
		return JSConfig{}, err
	}
	nonce := rand.Text() // 26 characters of [A-Z2-7], from crypto/rand
	ts := time.Now().Unix()
	return JSConfig{
		AppID: c.cfg.OAAppID, Timestamp: ts, NonceStr: nonce,
		Signature: JSSDKSignature(ticket, nonce, ts, pageURL),
	}, nil
}

// jsTicket returns the cached jsapi_ticket or fetches it once across
// processes. A rejected access token is dropped and the fetch retried once,
// as for every other call.
func (c *Client) jsTicket(ctx context.Context) (string, error) {
	const op = "ticket.getticket"
	key := jsTicketKey(c.cfg.OAAppID)
	peek := func(ctx context.Context) string {
		s, _ := c.cache.GetContext(ctx, key).(string)
		return s
	}
	fetch := func(ctx context.Context) (string, error) {
		var res credential.ResTicket
		err := c.call(ctx, c.oaToken, op, func() error {
			tok, err := c.oaToken.GetAccessTokenContext(ctx)
			if err != nil {
				return err
			}
			res, err = credential.GetTicketFromServerContext(ctx, tok)
			return err
		})
		if err != nil {
			return "", err
		}
		if res.Ticket == "" {
			return "", &APIError{Op: op, Msg: "answer without ticket", kind: ErrTransport}
		}
		if err := c.cache.SetContext(ctx, key, res.Ticket, jsTicketTTL(res.ExpiresIn)); err != nil {
			// Signing still works; the next call fetches again.
			c.log.Warn("wechat: caching jsapi_ticket failed", "appid", c.cfg.OAAppID, "err", err)
		}
		return res.Ticket, nil
	}
	return c.cache.fetchOnce(ctx, "wechat:ticketlock:"+c.cfg.OAAppID, c.oaToken.lockTTL, peek, fetch)
}
