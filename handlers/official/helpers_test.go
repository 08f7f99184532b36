package official_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/official"
	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// WeChat's published official-account sample (docs/WECHAT.md#vector-a-official-account).
const (
	vecToken    = "spamtest"
	vecAESKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	vecAppID    = "wx2c2769f8efd9abc2"
	vecTS       = "1409735669"
	vecNonce    = "1320562132"
	vecSig      = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
	vecMsgSig   = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	vecEncrypt  = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
	vecOpenID   = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
	vecOAName   = "gh_10f6c3c3ac5a"
	testMPAppID = "wxmp0123456789abcd"
	testOAName  = "gh_deputylink"
)

// oaNow is the injected clock; pushes are signed with this timestamp.
var oaNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// oaEnv is the real router with the push endpoint configured with the
// sample's token, key and appid, over a real database and Redis.
type oaEnv struct {
	t      testing.TB
	db     *gorm.DB
	rd     *wechattest.TestRedis
	router http.Handler
	now    time.Time
	aes    bool
	f      fixture
	// remote is the client address of the requests (default httptest's).
	remote string
}

// newOAEnv builds the env in plain or AES mode and seeds the tiny county.
// In plain mode the account has no AES key: with a key, plain pushes are
// refused.
func newOAEnv(t testing.TB, aes bool, adjust func(*handlers.Deps)) *oaEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	rd := wechattest.NewRedis(t)
	d := handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 1 << 20,
		Now: func() time.Time { return oaNow },
		OA:  oaConfig(aes),
	}
	if adjust != nil {
		adjust(&d)
	}
	e := &oaEnv{t: t, db: db, rd: rd, router: handlers.NewRouter(d), now: d.Now(), aes: aes}
	if tt, ok := t.(*testing.T); ok {
		e.f = seed(tt, db)
	}
	return e
}

// oaConfig is the endpoint's configuration with the sample's credentials;
// the AES key only in AES mode.
func oaConfig(aes bool) official.Config {
	c := official.Config{AppID: vecAppID, Token: vecToken, MPAppID: testMPAppID}
	if aes {
		c.AESKey = vecAESKey
	}
	return c
}

// oaForModes runs body once in plain mode and once in AES mode, each on a
// fresh env.
func oaForModes(t *testing.T, body func(t *testing.T, e *oaEnv)) {
	for _, aes := range []bool{false, true} {
		name := "plain"
		if aes {
			name = "aes"
		}
		t.Run(name, func(t *testing.T) { body(t, newOAEnv(t, aes, nil)) })
	}
}

// oaReply is a decoded passive reply.
type oaReply struct {
	ToUserName, FromUserName, MsgType, Content string
	CreateTime                                 int64
}

// pushResult is what the endpoint answered.
type pushResult struct {
	status int
	raw    string // the body as sent
	plain  string // the reply XML after decryption ("success" stays)
	reply  oaReply
}

func (r pushResult) success() bool { return r.status == 200 && r.raw == "success" }

// pushOpts bend a push for the rejection tests.
type pushOpts struct {
	ts        string // timestamp (default: the env's clock)
	badSig    bool
	badMsgSig bool
	appID     string // the appid sealed into the ciphertext
	rawBody   string // send this body as is
	method    string
	nonce     string // the nonce (default: a fresh one)
}

func oaRandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// push signs msg (plain XML) as WeChat would and POSTs it through the router.
func (e *oaEnv) push(msg string) pushResult {
	e.t.Helper()
	return e.pushWith(msg, pushOpts{})
}

func (e *oaEnv) pushWith(msg string, o pushOpts) pushResult {
	e.t.Helper()
	ts := o.ts
	if ts == "" {
		ts = strconv.FormatInt(e.now.Unix(), 10)
	}
	nonce := o.nonce
	if nonce == "" {
		nonce = oaRandHex(5)
	}
	q := url.Values{}
	sig := wechat.Signature(vecToken, ts, nonce)
	if o.badSig {
		sig = strings.Repeat("0", 40)
	}
	q.Set("signature", sig)
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", "ignored")
	body := msg
	if e.aes && o.rawBody == "" {
		appID := vecAppID
		if o.appID != "" {
			appID = o.appID
		}
		enc, err := wechat.EncryptMsg([]byte(oaRandHex(8)), []byte(msg), appID, vecAESKey)
		if err != nil {
			e.t.Fatal(err)
		}
		ms := wechat.Signature(vecToken, ts, nonce, enc)
		if o.badMsgSig {
			ms = strings.Repeat("1", 40)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", ms)
		body = "<xml><ToUserName><![CDATA[" + testOAName + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	}
	if o.rawBody != "" {
		body = o.rawBody
		if e.aes {
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", wechat.Signature(vecToken, ts, nonce, envelopeEncrypt(body)))
		}
	}
	method := o.method
	if method == "" {
		method = http.MethodPost
	}
	return e.send(method, "/wechat/official?"+q.Encode(), body, ts, nonce)
}

// envelopeEncrypt digs the Encrypt value out of a raw envelope (best effort).
func envelopeEncrypt(body string) string {
	var env struct {
		XMLName xml.Name `xml:"xml"`
		Encrypt string   `xml:"Encrypt"`
	}
	_ = xml.Unmarshal([]byte(body), &env)
	return env.Encrypt
}

// send issues the request and decodes (and in AES mode verifies and
// decrypts) the reply.
func (e *oaEnv) send(method, target, body, ts, nonce string) pushResult {
	e.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	if e.remote != "" {
		req.RemoteAddr = e.remote
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	raw, _ := io.ReadAll(w.Result().Body)
	res := pushResult{status: w.Code, raw: string(raw), plain: string(raw)}
	if w.Code != 200 || res.raw == "success" || !strings.HasPrefix(res.raw, "<xml>") {
		return res
	}
	if e.aes {
		var env struct {
			Encrypt, MsgSignature, TimeStamp, Nonce string
		}
		if err := xml.Unmarshal(raw, &env); err != nil || env.Encrypt == "" {
			e.t.Fatalf("AES reply is not an envelope: %q", raw)
		}
		if env.TimeStamp != ts || env.Nonce != nonce {
			e.t.Fatalf("reply timestamp/nonce %s/%s, want the request's %s/%s", env.TimeStamp, env.Nonce, ts, nonce)
		}
		if !wechat.VerifySignature(env.MsgSignature, vecToken, env.TimeStamp, env.Nonce, env.Encrypt) {
			e.t.Fatalf("reply MsgSignature does not verify")
		}
		_, plain, err := wechat.DecryptMsg(vecAppID, env.Encrypt, vecAESKey)
		if err != nil {
			e.t.Fatalf("decrypt reply: %v", err)
		}
		res.plain = string(plain)
	}
	if err := xml.Unmarshal([]byte(res.plain), &res.reply); err != nil {
		e.t.Fatalf("reply XML %q: %v", res.plain, err)
	}
	return res
}

// text returns the reply's content, failing unless it is a text reply to
// openid from our account.
func (r pushResult) text(t testing.TB, openid string) string {
	t.Helper()
	if r.status != 200 || r.reply.MsgType != "text" {
		t.Fatalf("want a text reply, got %d %q", r.status, r.plain)
	}
	if r.reply.ToUserName != openid || r.reply.FromUserName != testOAName {
		t.Fatalf("reply addressed %s→%s, want %s→%s", r.reply.FromUserName, r.reply.ToUserName, testOAName, openid)
	}
	if len(r.reply.Content) > 2048 {
		t.Fatalf("reply is %d bytes, over WeChat's 2048", len(r.reply.Content))
	}
	return r.reply.Content
}

var msgSeq atomic.Int64

func oaNextMsgID() string { return strconv.FormatInt(7000000000000000000+msgSeq.Add(1), 10) }

func oaText(openid, msgID, content string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%s</MsgId></xml>",
		testOAName, openid, oaNow.Unix(), content, msgID)
}

func oaEvent(openid string, createTime int64, event, key string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event>"+
		"<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8v]]></Ticket></xml>",
		testOAName, openid, createTime, event, key)
}

func oaLocation(openid, msgID string, lat, lng float64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>%f</Location_X>"+
		"<Location_Y>%f</Location_Y><Scale>15</Scale><Label><![CDATA[东门路附近]]></Label><MsgId>%s</MsgId></xml>",
		testOAName, openid, oaNow.Unix(), lat, lng, msgID)
}

func oaTemplateFinish(openid string, createTime, msgID int64, status string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"+
		"<MsgID>%d</MsgID><Status><![CDATA[%s]]></Status></xml>", testOAName, openid, createTime, msgID, status)
}

var ctSeq atomic.Int64

// oaNextCT is a fresh CreateTime, so two events are never duplicates.
func oaNextCT() int64 { return oaNow.Unix() - 100000 + ctSeq.Add(1) }

// drain runs the scan job and returns how many scans it recorded.
func (e *oaEnv) drain() int {
	e.t.Helper()
	n, err := jobs.DrainScans(context.Background(), e.db, e.rd.Client, e.rd.Prefix, e.now)
	if err != nil {
		e.t.Fatalf("DrainScans: %v", err)
	}
	return n
}

func (e *oaEnv) scanCount(code string) int64 {
	e.t.Helper()
	c, err := models.FindCode(context.Background(), e.db, code)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ScanCount
}

// redisKeys lists the test's keys in Redis
// (on every master of a cluster).
func (e *oaEnv) redisKeys() []string {
	e.t.Helper()
	keys, err := wechattest.Keys(context.Background(), e.rd.Client, e.rd.Prefix+"*")
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// oaDedupeKey is the dedupe key of a push with this identity
// (dedupe.go: pushKeys).
func oaDedupeKey(prefix, id string) string {
	return prefix + "wx:dd:" + models.ScanShardTag(models.ScanShardOf(id)) + ":" + id
}

// scanDay loads the one scan_days row of code.
func (e *oaEnv) scanDay(t testing.TB, code string) models.ScanDay {
	t.Helper()
	var d models.ScanDay
	if err := e.db.Where("code = ?", code).Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *oaEnv) count(model any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(model).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// assertNothingWritten checks that a refused or ignored push left no trace
// but the count of failed signature checks.
func (e *oaEnv) assertNothingWritten(t testing.TB) {
	t.Helper()
	var keys []string
	for _, k := range e.redisKeys() {
		if !strings.HasPrefix(k, e.rd.Prefix+"rl:oa_bad_sig:") {
			keys = append(keys, k)
		}
	}
	if len(keys) != 0 {
		t.Errorf("Redis keys written: %v", keys)
	}
	if n := e.count(&models.Voter{}); n != 0 {
		t.Errorf("%d voters written", n)
	}
	if n := e.count(&models.ScanDay{}); n != 0 {
		t.Errorf("%d scan days written", n)
	}
	var total int64
	e.db.Model(&models.Code{}).Select("COALESCE(SUM(scan_count),0)").Scan(&total)
	if total != 0 {
		t.Errorf("scan counts moved by %d", total)
	}
}

func oaWant(t testing.TB, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("reply lacks %q:\n%s", sub, s)
		}
	}
}

func mpPath(path string) string {
	return `data-miniprogram-appid="` + testMPAppID + `" data-miniprogram-path="` + path + `"`
}

func oaMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
