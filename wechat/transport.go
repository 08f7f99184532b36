package wechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// DefaultAPIBase is WeChat's real API origin; configuring it (or leaving
// Config.APIBase empty) disables host rewriting.
const DefaultAPIBase = "https://api.weixin.qq.com"

// DefaultHTTPTimeout bounds every HTTP exchange with WeChat unless
// Config.HTTPTimeout says otherwise.
const DefaultHTTPTimeout = 10 * time.Second

// wechatHost is the host the SDK hard-codes in every URL we use.
const wechatHost = "api.weixin.qq.com"

// The SDK reads the package variable util.DefaultHTTPClient on every call, so
// the HTTP setup is global by nature: one process, one API base, one timeout.
// New installs our client once and then only updates these atomics, so a later
// New (tests with a fresh fake server) retargets all clients safely and
// without a data race on util.DefaultHTTPClient.
var (
	apiBase     atomic.Pointer[url.URL] // nil: no rewrite
	httpTimeout atomic.Int64            // nanoseconds
	installOnce sync.Once
)

// rewriteTransport clones each request, rewrites scheme and host (and
// prefixes the base path) when an API base is set, and enforces the current
// timeout. It is the Transport of the *http.Client installed as
// util.DefaultHTTPClient.
type rewriteTransport struct {
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	cancel := context.CancelFunc(func() {})
	if d := time.Duration(httpTimeout.Load()); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	out := req.Clone(ctx)
	if b := apiBase.Load(); b != nil && strings.EqualFold(req.URL.Hostname(), wechatHost) {
		out.URL.Scheme = b.Scheme
		out.URL.Host = b.Host
		out.Host = b.Host
		if p := strings.TrimSuffix(b.Path, "/"); p != "" {
			out.URL.Path = p + req.URL.Path
			if req.URL.RawPath != "" {
				out.URL.RawPath = p + req.URL.RawPath
			}
		}
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases the per-request timeout once the body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases the request context.
func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// configureHTTP installs util.DefaultHTTPClient (once per process) and points
// it at base with the given timeout. Global: the last New wins.
func configureHTTP(base string, timeout time.Duration) error {
	u, err := parseBase(base)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	installOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		util.DefaultHTTPClient = &http.Client{Transport: &rewriteTransport{next: tr}}
	})
	httpTimeout.Store(int64(timeout))
	apiBase.Store(u)
	return nil
}

// parseBase validates an API base; nil means "real WeChat, no rewrite".
func parseBase(base string) (*url.URL, error) {
	return parseOrigin("APIBase", base, DefaultAPIBase)
}

// parseOrigin validates a replacement for WeChat's origin def, named name
// in errors: http(s)://host[:port][/path]. nil means def itself (empty or
// equal to def).
func parseOrigin(name, base, def string) (*url.URL, error) {
	base = strings.TrimSpace(base)
	if base == "" || strings.TrimSuffix(base, "/") == def {
		return nil, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("wechat: bad %s %q: %w", name, base, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wechat: bad %s %q: need http(s)://host[:port][/path]", name, base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("wechat: bad %s %q: query and fragment not allowed", name, base)
	}
	return u, nil
}

// APIBaseURL reports the API base currently in effect (process-wide).
func APIBaseURL() string {
	if b := apiBase.Load(); b != nil {
		return b.String()
	}
	return DefaultAPIBase
}
