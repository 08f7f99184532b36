package official_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/official"
	"deputylink/jobs"
	"deputylink/models"
	"deputylink/wechat"
)

// Ensure WeChat's published sample push, POSTed as WeChat sends it, is
// verified and decrypted, and that the encrypted reply decrypts with the
// same key, reuses the request's random, timestamp and nonce, and answers
// the sample's sender.
func TestOfficialSampleVector(t *testing.T) {
	e := newOAEnv(t, true, func(d *handlers.Deps) {
		d.Now = func() time.Time { return time.Unix(1409735669, 0) }
	})
	_, plain, err := wechat.DecryptMsg(vecAppID, vecEncrypt, vecAESKey)
	if err != nil || !strings.Contains(string(plain), "abcdteT") {
		t.Fatalf("sample does not decrypt to the text message: %v %q", err, plain)
	}
	q := url.Values{"signature": {vecSig}, "timestamp": {vecTS}, "nonce": {vecNonce},
		"openid": {vecOpenID}, "encrypt_type": {"aes"}, "msg_signature": {vecMsgSig}}
	body := "<xml><ToUserName><![CDATA[" + vecOAName + "]]></ToUserName><Encrypt><![CDATA[" + vecEncrypt + "]]></Encrypt></xml>"
	res := e.send("POST", "/wechat/official?"+q.Encode(), body, vecTS, vecNonce)
	if res.status != 200 || res.reply.MsgType != "text" {
		t.Fatalf("got %d %q", res.status, res.raw)
	}
	if res.reply.ToUserName != vecOpenID || res.reply.FromUserName != vecOAName {
		t.Errorf("reply addressed %s→%s", res.reply.FromUserName, res.reply.ToUserName)
	}
	// "abcdteT" is no keyword: the help menu.
	oaWant(t, res.reply.Content, "回复“预约”", "回复“意见”")

	var env struct{ Encrypt string }
	if err := oaXML(res.raw, &env); err != nil {
		t.Fatal(err)
	}
	random, _, err := wechat.DecryptMsg(vecAppID, env.Encrypt, vecAESKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(random) != "89465c840c5f116f" {
		t.Errorf("reply random %q, want the request's", random)
	}
	// The message was deduplicated under the sample's MsgId.
	if n, _ := e.rd.Client.Exists(context.Background(), oaDedupeKey(e.rd.Prefix, "m:"+vecOpenID+":6054768590064713728")).Result(); n != 1 {
		t.Errorf("dedupe key for the sample's MsgId missing")
	}
}

// Ensure the URL verification echoes echostr after checking the signature.
func TestOfficialURLVerification(t *testing.T) {
	e := newOAEnv(t, false, nil)
	ts := strconv.FormatInt(oaNow.Unix(), 10)
	q := url.Values{"signature": {wechat.Signature(vecToken, ts, "n1")}, "timestamp": {ts}, "nonce": {"n1"}, "echostr": {"5837397520665436492"}}
	res := e.send("GET", "/wechat/official?"+q.Encode(), "", ts, "n1")
	if res.status != 200 || res.raw != "5837397520665436492" {
		t.Fatalf("got %d %q", res.status, res.raw)
	}
	q.Set("signature", wechat.Signature(vecToken, ts, "n2"))
	if res := e.send("GET", "/wechat/official?"+q.Encode(), "", ts, "n1"); res.status != 403 || strings.Contains(res.raw, "5837") {
		t.Errorf("bad signature: got %d %q", res.status, res.raw)
	}
	old := strconv.FormatInt(oaNow.Add(-6*time.Minute).Unix(), 10)
	q = url.Values{"signature": {wechat.Signature(vecToken, old, "n1")}, "timestamp": {old}, "nonce": {"n1"}, "echostr": {"1"}}
	if res := e.send("GET", "/wechat/official?"+q.Encode(), "", old, "n1"); res.status != 403 {
		t.Errorf("stale timestamp: got %d %q", res.status, res.raw)
	}
	if res := e.send("PUT", "/wechat/official", "", "", ""); res.status != 405 {
		t.Errorf("PUT: got %d", res.status)
	}
}

// Ensure refused and unusable pushes get the right status and leave no
// trace in the database or Redis.
func TestOfficialRejectsBadPushes(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		scan := oaEvent("oVoterReject01", oaNextCT(), "SCAN", e.f.activeCode)
		errCode := func(r pushResult) string {
			var b struct{ Error struct{ Code string } }
			_ = json.Unmarshal([]byte(r.raw), &b)
			return b.Error.Code
		}
		if r := e.pushWith(scan, pushOpts{badSig: true}); r.status != 403 || errCode(r) != "bad_signature" {
			t.Errorf("bad signature: %d %q", r.status, r.raw)
		}
		for _, d := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
			ts := strconv.FormatInt(oaNow.Add(d).Unix(), 10)
			if r := e.pushWith(scan, pushOpts{ts: ts}); r.status != 403 || errCode(r) != "stale_timestamp" {
				t.Errorf("timestamp %v off: %d %q", d, r.status, r.raw)
			}
		}
		if r := e.pushWith(scan, pushOpts{ts: "soon"}); r.status != 403 {
			t.Errorf("timestamp not a number: %d", r.status)
		}
		big := oaText("oVoterReject01", oaNextMsgID(), strings.Repeat("长", 22000))
		if r := e.push(big); r.status != 413 || errCode(r) != "body_too_large" {
			t.Errorf("oversized body: %d %q", r.status, r.raw)
		}
		// Without a Content-Length (chunked), the cap still holds.
		r := e.sendChunked(strings.Repeat("x", 70<<10))
		if r.status != 413 {
			t.Errorf("oversized chunked body: %d %q", r.status, r.raw)
		}
		bad := map[string]string{
			"malformed XML":      "<xml><ToUserName>gh</ToUserName><FromUserName>oVoterReject01</From",
			"control character":  oaText("oVoterReject01", oaNextMsgID(), "你好\x02世界"),
			"control in key":     oaEvent("oVoterReject01", oaNextCT(), "SCAN", e.f.activeCode+"\x02"),
			"nested broken XML":  "<xml><xml><FromUserName>oVoterReject01</FromUserName><MsgType>text</MsgType></xml>",
			"no sender":          oaEvent("", oaNextCT(), "SCAN", e.f.activeCode),
			"not xml":            `{"FromUserName":"oVoterReject01"}`,
			"empty":              "",
			"openid with spaces": oaEvent("o Voter <b>", oaNextCT(), "SCAN", e.f.activeCode),
		}
		for name, body := range bad {
			if r := e.push(body); !r.success() {
				t.Errorf("%s: want 200 success, got %d %q", name, r.status, r.raw)
			}
		}
		if e.aes {
			if r := e.pushWith(scan, pushOpts{badMsgSig: true}); r.status != 403 {
				t.Errorf("bad msg_signature: %d %q", r.status, r.raw)
			}
			if r := e.pushWith(scan, pushOpts{appID: "wx0000000000000000"}); !r.success() {
				t.Errorf("wrong appid inside: want success, got %d %q", r.status, r.raw)
			}
			env := "<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[bm90IGNpcGhlcnRleHQ=]]></Encrypt></xml>"
			if r := e.pushWith("", pushOpts{rawBody: env}); !r.success() {
				t.Errorf("garbage ciphertext: want success, got %d %q", r.status, r.raw)
			}
			if r := e.pushWith("", pushOpts{rawBody: "<xml><Encrypt>"}); !r.success() {
				t.Errorf("broken envelope: want success, got %d %q", r.status, r.raw)
			}
		}
		if n := e.drain(); n != 0 {
			t.Errorf("%d scans recorded", n)
		}
		e.assertNothingWritten(t)
	})
}

// sendChunked posts a correctly signed body without a Content-Length.
func (e *oaEnv) sendChunked(body string) pushResult {
	ts := strconv.FormatInt(e.now.Unix(), 10)
	q := url.Values{"signature": {wechat.Signature(vecToken, ts, "n")}, "timestamp": {ts}, "nonce": {"n"}}
	req := httptest.NewRequest("POST", "/wechat/official?"+q.Encode(), strings.NewReader(body))
	req.ContentLength = -1
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return pushResult{status: w.Code, raw: w.Body.String()}
}

// Ensure an unconfigured endpoint refuses pushes instead of guessing.
func TestOfficialNotConfigured(t *testing.T) {
	e := newOAEnv(t, false, func(d *handlers.Deps) { d.OA = official.Config{} })
	if r := e.push(oaText("oVoter1", oaNextMsgID(), "你好")); r.status != 503 {
		t.Fatalf("got %d %q", r.status, r.raw)
	}
	e.assertNothingWritten(t)
}

// Ensure a push delivered again (same MsgId, same event) gets the very same
// reply and has its side effects once.
func TestOfficialRetryGetsSameReply(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		msg := oaText("oVoterRetry01", oaNextMsgID(), "预约")
		first := e.push(msg)
		c1 := first.text(t, "oVoterRetry01")
		for i := range 2 {
			again := e.push(msg)
			if again.text(t, "oVoterRetry01") != c1 || again.reply.CreateTime != first.reply.CreateTime {
				t.Errorf("retry %d: reply %q at %d, want %q at %d", i, again.reply.Content, again.reply.CreateTime, c1, first.reply.CreateTime)
			}
		}

		scan := oaEvent("oVoterRetry01", oaNextCT(), "SCAN", e.f.activeCode)
		r1 := e.push(scan)
		card := r1.text(t, "oVoterRetry01")
		oaWant(t, card, "张秀兰")
		for range 2 {
			if r := e.push(scan); r.text(t, "oVoterRetry01") != card {
				t.Errorf("retried scan got another reply: %q", r.reply.Content)
			}
		}
		if n := e.drain(); n != 1 {
			t.Errorf("drained %d scans, want 1", n)
		}
		if n := e.scanCount(e.f.activeCode); n != 1 {
			t.Errorf("scan count %d, want 1", n)
		}
		// A new scan by the same voter (another CreateTime) counts again.
		e.push(oaEvent("oVoterRetry01", oaNextCT(), "SCAN", e.f.activeCode))
		e.drain()
		if n := e.scanCount(e.f.activeCode); n != 2 {
			t.Errorf("scan count %d after a second scan, want 2", n)
		}
	})
}

// Ensure a retry that arrives while the first delivery is still being
// handled waits for and returns the first delivery's reply, and that the
// scan and the staff binding happen once.
func TestOfficialConcurrentRetry(t *testing.T) {
	for _, aes := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "aes"}[aes], func(t *testing.T) {
			var calls atomic.Int32
			started := make(chan struct{}, 4)
			e := newOAEnv(t, aes, func(d *handlers.Deps) {
				official.SetOAHook(&d.OA, func(ctx context.Context, openid, event string) {
					calls.Add(1)
					started <- struct{}{}
					time.Sleep(400 * time.Millisecond)
				})
			})
			code, err := models.CreateStaffInvite(t.Context(), e.db, models.Staff{Name: "王小明", Role: models.RoleClerk}, e.f.near.ID, 10*time.Minute, oaNow)
			must(t, err)
			for _, tc := range []struct {
				name, msg, want string
			}{
				{"scan", oaEvent("oVoterConc01", oaNextCT(), "SCAN", e.f.activeCode), "张秀兰"},
				{"invite", oaEvent("oStaffConc01", oaNextCT(), "subscribe", "qrscene_"+code.Code), "绑定成功"},
			} {
				calls.Store(0)
				var first pushResult
				var wg sync.WaitGroup
				wg.Go(func() { first = e.push(tc.msg) })
				<-started
				second := e.push(tc.msg) // arrives while the first sleeps
				wg.Wait()
				if calls.Load() != 1 {
					t.Errorf("%s: the bot ran %d times", tc.name, calls.Load())
				}
				openid := first.reply.ToUserName
				c1 := first.text(t, openid)
				oaWant(t, c1, tc.want)
				if c2 := second.text(t, openid); c2 != c1 || second.reply.CreateTime != first.reply.CreateTime {
					t.Errorf("%s: concurrent retry got %q, first %q", tc.name, c2, c1)
				}
			}
			if n := e.drain(); n != 1 {
				t.Errorf("drained %d scans, want 1", n)
			}
			if n := e.scanCount(e.f.activeCode); n != 1 {
				t.Errorf("scan count %d, want 1", n)
			}
			var binds int64
			e.db.Model(&models.AuditLog{}).Where("action = ?", "staff.bind").Count(&binds)
			if binds != 1 {
				t.Errorf("%d bindings audited, want 1", binds)
			}
		})
	}
}

// Ensure a retry gives up waiting after about 3 s when the first delivery
// is still running, answering "success" (WeChat keeps the first answer).
func TestOfficialRetryGivesUpOnSlowFirst(t *testing.T) {
	started := make(chan struct{}, 1)
	e := newOAEnv(t, false, func(d *handlers.Deps) {
		official.SetOAHook(&d.OA, func(ctx context.Context, openid, event string) {
			started <- struct{}{}
			time.Sleep(3500 * time.Millisecond)
		})
	})
	msg := oaText("oVoterSlow01", oaNextMsgID(), "帮助")
	var first pushResult
	var wg sync.WaitGroup
	wg.Go(func() { first = e.push(msg) })
	<-started
	t0 := time.Now()
	second := e.push(msg)
	waited := time.Since(t0)
	wg.Wait()
	if !second.success() || waited < 2500*time.Millisecond || waited > 3400*time.Millisecond {
		t.Errorf("retry: %d %q after %v, want success after ~3 s", second.status, second.raw, waited)
	}
	oaWant(t, first.text(t, "oVoterSlow01"), "回复“预约”")
	// Once stored, a later retry gets the reply.
	if third := e.push(msg); third.text(t, "oVoterSlow01") != first.reply.Content {
		t.Errorf("third delivery got %q", third.raw)
	}
}

// Ensure the endpoint works without Redis: scans are recorded at once.
func TestOfficialWithoutRedis(t *testing.T) {
	e := newOAEnv(t, true, func(d *handlers.Deps) { d.Redis = nil })
	r := e.push(oaEvent("oVoterNoRedis", oaNextCT(), "SCAN", e.f.activeCode))
	oaWant(t, r.text(t, "oVoterNoRedis"), "张秀兰")
	if n := e.scanCount(e.f.activeCode); n != 1 {
		t.Errorf("scan count %d, want 1", n)
	}
}

// Ensure a Redis outage does not lose the reply or the scan: the scan is
// recorded in the database directly, once even if WeChat retries.
func TestOfficialRedisDown(t *testing.T) {
	e := newOAEnv(t, false, nil)
	if e.rd.Mini == nil {
		t.Skip("needs the in-process Redis to stop it")
	}
	e.rd.Mini.Close()
	scan := oaEvent("oVoterDown01", oaNextCT(), "SCAN", e.f.activeCode)
	for range 2 {
		r := e.push(scan)
		oaWant(t, r.text(t, "oVoterDown01"), "张秀兰")
	}
	if n := e.scanCount(e.f.activeCode); n != 1 {
		t.Errorf("scan count %d, want 1", n)
	}
}

func oaXML(s string, v any) error { return xml.Unmarshal([]byte(s), v) }

// BenchmarkOfficialScanAES measures the hot path of docs/ARCHITECTURE.md#quality-targets: AES-mode QR
// scans of one deputy code by distinct voters, through the router.
func BenchmarkOfficialScanAES(b *testing.B) {
	e := newOAEnv(b, true, func(d *handlers.Deps) { d.Log = slog.New(slog.DiscardHandler) })
	st := models.Station{Kind: models.KindStation, Name: "基准联络站", Address: "路1号", District: "镇", OpenHours: "周一"}
	oaMust(b, e.db.Create(&st).Error)
	dep := models.Deputy{Name: "基准代表", Level: models.LevelCounty, StationID: st.ID, Status: models.DeputyActive}
	oaMust(b, e.db.Create(&dep).Error)
	code, err := models.CreateCode(context.Background(), e.db, models.Code{Kind: models.CodeDeputy, TargetID: dep.ID})
	oaMust(b, err)
	type req struct{ target, body string }
	reqs := make([]req, b.N) // every push distinct: no dedupe hits
	ts := strconv.FormatInt(oaNow.Unix(), 10)
	for i := range reqs {
		msg := oaEvent(fmt.Sprintf("oBench%06d", i), oaNextCT(), "SCAN", code.Code)
		enc, _ := wechat.EncryptMsg([]byte(oaRandHex(8)), []byte(msg), vecAppID, vecAESKey)
		nonce := oaRandHex(5)
		q := url.Values{"signature": {wechat.Signature(vecToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
			"encrypt_type": {"aes"}, "msg_signature": {wechat.Signature(vecToken, ts, nonce, enc)}}
		reqs[i] = req{"/wechat/official?" + q.Encode(), "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"}
	}
	var next atomic.Int64
	b.SetParallelism(16) // requests wait on Redis; keep the CPUs busy
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[int(next.Add(1)-1)]
			w := httptest.NewRecorder()
			e.router.ServeHTTP(w, httptest.NewRequest("POST", r.target, strings.NewReader(r.body)))
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// Ensure a retry taking the one-round-trip path for cached cards still waits
// for a first delivery that is running the full path (it had to load the
// card), and gets that delivery's reply.
func TestOfficialRetryFastPathWaitsForPending(t *testing.T) {
	started := make(chan struct{}, 1)
	e := newOAEnv(t, true, func(d *handlers.Deps) {
		official.SetOAHook(&d.OA, func(ctx context.Context, openid, event string) {
			if openid == "oVoterSlowX" {
				started <- struct{}{}
				time.Sleep(400 * time.Millisecond)
			}
		})
	})
	x := oaEvent("oVoterSlowX", oaNextCT(), "SCAN", e.f.activeCode)
	var first pushResult
	var wg sync.WaitGroup
	wg.Go(func() { first = e.push(x) })
	<-started
	// Another voter's scan loads the card into the cache meanwhile.
	oaWant(t, e.push(oaEvent("oVoterFastY", oaNextCT(), "SCAN", e.f.activeCode)).text(t, "oVoterFastY"), "张秀兰")
	retry := e.push(x)
	wg.Wait()
	c1 := first.text(t, "oVoterSlowX")
	if c2 := retry.text(t, "oVoterSlowX"); c2 != c1 || retry.reply.CreateTime != first.reply.CreateTime {
		t.Errorf("retry got %q, first %q", c2, c1)
	}
	if n := e.drain(); n != 2 {
		t.Errorf("drained %d new scans, want 2 (X once, Y once)", n)
	}
	if n := e.scanCount(e.f.activeCode); n != 2 {
		t.Errorf("scan count %d, want 2", n)
	}
}

// Ensure scans are counted exactly once when Redis lost its scripts (a
// restart, SCRIPT FLUSH): the fast path's script fails as a whole with
// NOSCRIPT and is loaded and sent again, a retry gets the same reply and
// counts nothing, and nothing goes to the database on its own.
func TestOfficialScanAfterScriptFlush(t *testing.T) {
	e := newOAEnv(t, true, nil)
	ctx := context.Background()
	var scans []string
	for i := range 4 {
		if i == 2 {
			oaMust(t, e.rd.Client.ScriptFlush(ctx).Err())
		}
		openid := fmt.Sprintf("oVoterFlush%02d", i)
		x := oaEvent(openid, oaNextCT(), "SCAN", e.f.activeCode)
		scans = append(scans, x)
		oaWant(t, e.push(x).text(t, openid), "张秀兰")
	}
	first := e.push(scans[2]).text(t, "oVoterFlush02")
	if again := e.push(scans[2]).text(t, "oVoterFlush02"); again != first {
		t.Errorf("retry got %q, want %q", again, first)
	}
	if n := e.drain(); n != 4 {
		t.Errorf("drained %d scans, want 4", n)
	}
	if n := e.scanCount(e.f.activeCode); n != 4 {
		t.Errorf("scan count %d, want 4", n)
	}
	// One batch per scan shard the drain found, none of a push's own.
	var inline int64
	oaMust(t, e.db.Model(&models.ScanBatch{}).Where("batch_key NOT LIKE ?", "d:%").Count(&inline).Error)
	if inline != 0 {
		t.Errorf("%d batches added by pushes, want 0 (no scan went to the database on its own)", inline)
	}
}

// Ensure a fast-path card reply is stored for retries as a short
// reference, and that a retry gets the very reply of the first delivery
// even after the card changed in between (from the old text kept under its
// digest), or the current card when Redis lost that text.
func TestOfficialScanRetryAfterCardChange(t *testing.T) {
	e := newOAEnv(t, true, func(d *handlers.Deps) { official.SetOACardTTL(&d.OA, 100*time.Millisecond) })
	ctx := context.Background()
	oaWant(t, e.push(oaEvent("oVoterWarm01", oaNextCT(), "SCAN", e.f.activeCode)).text(t, "oVoterWarm01"), "张秀兰")

	scan := oaEvent("oVoterRef01", oaNextCT(), "SCAN", e.f.activeCode) // the card is cached: fast path
	first := e.push(scan)
	card := first.text(t, "oVoterRef01")
	oaWant(t, card, "张秀兰")
	var ref string
	for _, k := range e.redisKeys() {
		if strings.Contains(k, ":oVoterRef01:") {
			ref = e.rd.Client.Get(ctx, k).Val()
		}
	}
	if !strings.HasPrefix(ref, "@"+e.f.activeCode+":") || len(ref) > 64 {
		t.Fatalf("stored reply %q, want a short card reference", ref)
	}

	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", e.f.active.ID).Update("name", "张秀英").Error)
	time.Sleep(150 * time.Millisecond)
	deadline := time.Now().Add(2 * time.Second)
	for {
		id := fmt.Sprintf("oVoterNew%06d", ctSeq.Add(1))
		if strings.Contains(e.push(oaEvent(id, oaNextCT(), "SCAN", e.f.activeCode)).text(t, id), "张秀英") {
			break // the cache holds the changed card
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed card never showed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	again := e.push(scan)
	if got := again.text(t, "oVoterRef01"); got != card || again.reply.CreateTime != first.reply.CreateTime {
		t.Fatalf("retry after the change got %q at %d, want the first reply %q at %d",
			got, again.reply.CreateTime, card, first.reply.CreateTime)
	}

	for _, k := range e.redisKeys() {
		if strings.Contains(k, "wx:card:") {
			e.rd.Client.Del(ctx, k)
		}
	}
	oaWant(t, e.push(scan).text(t, "oVoterRef01"), "张秀英")
}

// Ensure scans spread over the scan shards are counted exactly once while
// drains race them: pushes of distinct voters (and a retry of each) from
// several goroutines, two drainers looping as two processes' jobs would,
// on real Redis and MariaDB (or a Redis Cluster) when configured.
func TestOfficialScansRacingDrains(t *testing.T) {
	e := newOAEnv(t, true, nil)
	ctx := context.Background()
	// The first scan loads the card; the racing ones take the fast path.
	oaWant(t, e.push(oaEvent("oVoterWarm00", oaNextCT(), "SCAN", e.f.activeCode)).text(t, "oVoterWarm00"), "张秀兰")
	const voters, pushers = 160, 8
	scans := make([]string, voters)
	shards := map[int]bool{}
	for i := range scans {
		openid, ct := fmt.Sprintf("oVoterRace%03d", i), oaNextCT()
		scans[i] = oaEvent(openid, ct, "SCAN", e.f.activeCode)
		shards[models.ScanShardOf(fmt.Sprintf("e:%s:%d:SCAN:%s", openid, ct, e.f.activeCode))] = true
	}
	if len(shards) < models.ScanShards/2 {
		t.Fatalf("the scans fall in %d shards only", len(shards))
	}
	stop := make(chan struct{})
	var drainers, senders sync.WaitGroup
	var drained atomic.Int64
	errs := make(chan error, 10)
	for range 2 {
		drainers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := jobs.DrainScans(ctx, e.db, e.rd.Client, e.rd.Prefix, e.now)
				if err != nil {
					errs <- err
					return
				}
				drained.Add(int64(n))
			}
		})
	}
	var next atomic.Int64
	for range pushers {
		senders.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= 2*voters {
					return
				}
				// Every scan twice (the second a WeChat retry), the retry
				// half a run later.
				openid := fmt.Sprintf("oVoterRace%03d", i%voters)
				if r := e.push(scans[i%voters]); r.status != 200 || !strings.Contains(r.reply.Content, "张秀兰") {
					errs <- fmt.Errorf("push %s: %d %q", openid, r.status, r.plain)
				}
			}
		})
	}
	senders.Wait()
	close(stop)
	drainers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	drained.Add(int64(e.drain()))
	if n := drained.Load(); n != voters+1 {
		t.Errorf("drains added %d scans, want %d", n, voters+1)
	}
	if n := e.scanCount(e.f.activeCode); n != voters+1 {
		t.Errorf("scan count %d, want %d", n, voters+1)
	}
	if d := e.scanDay(t, e.f.activeCode); d.Count != voters+1 {
		t.Errorf("scan_days count %d, want %d", d.Count, voters+1)
	}
	for k := range models.ScanShards {
		if n := e.rd.Client.Exists(ctx, models.ScanHashKey(e.rd.Prefix, k), jobs.ScanDrainingKey(e.rd.Prefix, k)).Val(); n != 0 {
			t.Errorf("shard %d: %d hashes left", k, n)
		}
	}
}
