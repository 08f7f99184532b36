package official_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models"
	"deputylink/wechat"
)

// errorCode is the error envelope's code of a refused push.
func errorCode(r pushResult) string {
	var b struct{ Error struct{ Code string } }
	_ = json.Unmarshal([]byte(r.raw), &b)
	return b.Error.Code
}

// Ensure that with an AES key configured only safe-mode pushes (with a
// valid msg_signature over the body) are accepted: a plain push, whose
// signature covers no body, is refused with 403 and leaves no trace, in
// every variant; compatible mode (plain fields beside Encrypt) is still
// handled as safe mode; and the URL verification GET, which WeChat signs
// without a body in every mode, still echoes echostr so that the account's
// server settings can be saved.
func TestOfficialAESKeyRefusesPlainPushes(t *testing.T) {
	e := newOAEnv(t, true, nil)
	ts := strconv.FormatInt(oaNow.Unix(), 10)
	scan := oaEvent("oVoterPlain01", oaNextCT(), "SCAN", e.f.activeCode)
	plainEnv := *e
	plainEnv.aes = false // e.send must not try to decrypt a refusal
	sendPlain := func(q url.Values, body string) pushResult {
		t.Helper()
		nonce := oaRandHex(5)
		q.Set("signature", wechat.Signature(vecToken, ts, nonce))
		q.Set("timestamp", ts)
		q.Set("nonce", nonce)
		return plainEnv.send("POST", "/wechat/official?"+q.Encode(), body, ts, nonce)
	}
	for name, q := range map[string]url.Values{
		"no encrypt_type":            {},
		"encrypt_type=raw":           {"encrypt_type": {"raw"}},
		"unknown encrypt_type":       {"encrypt_type": {"des"}},
		"aes without msg_signature":  {"encrypt_type": {"aes"}},
		"msg_signature without type": {"msg_signature": {wechat.Signature(vecToken, ts, "x", "y")}},
	} {
		if r := sendPlain(q, scan); r.status != 403 || errorCode(r) != "bad_signature" {
			t.Errorf("%s: got %d %q, want 403 bad_signature", name, r.status, r.raw)
		}
	}
	if n := e.drain(); n != 0 {
		t.Errorf("%d scans recorded from refused pushes", n)
	}
	e.assertNothingWritten(t)

	// Compatible mode: the plain fields travel beside Encrypt; only the
	// encrypted message counts.
	enc, err := wechat.EncryptMsg([]byte(oaRandHex(8)), []byte(scan), vecAppID, vecAESKey)
	must(t, err)
	nonce := oaRandHex(5)
	q := url.Values{"signature": {wechat.Signature(vecToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
		"encrypt_type": {"aes"}, "msg_signature": {wechat.Signature(vecToken, ts, nonce, enc)}}
	compat := strings.Replace(scan, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
	r := e.send("POST", "/wechat/official?"+q.Encode(), compat, ts, nonce)
	oaWant(t, r.text(t, "oVoterPlain01"), "张秀兰")

	// URL verification with the key set.
	q = url.Values{"signature": {wechat.Signature(vecToken, ts, "n1")}, "timestamp": {ts}, "nonce": {"n1"}, "echostr": {"5837397520665436492"}}
	if r := e.send("GET", "/wechat/official?"+q.Encode(), "", ts, "n1"); r.status != 200 || r.raw != "5837397520665436492" {
		t.Fatalf("URL verification with an AES key: got %d %q", r.status, r.raw)
	}
}

// Ensure that in plain mode (no AES key) a captured signature cannot carry
// another body: a second push with the same timestamp and nonce but a
// different body is refused with 403 and has no effect, while WeChat's
// retries of the same message, with the same nonce or a new one, still get
// the first reply; the (timestamp, nonce) is remembered for longer than the
// accepted timestamp window.
func TestOfficialPlainReplayRefused(t *testing.T) {
	e := newOAEnv(t, false, nil)
	const nonce = "1320562132"
	msg := oaText("oVoterReplay01", oaNextMsgID(), "预约")
	first := e.pushWith(msg, pushOpts{nonce: nonce})
	c1 := first.text(t, "oVoterReplay01")

	// Same signature, another body: a forged scan by someone else.
	forged := oaEvent("oVoterForged01", oaNextCT(), "SCAN", e.f.activeCode)
	if r := e.pushWith(forged, pushOpts{nonce: nonce}); r.status != 403 || errorCode(r) != "bad_signature" {
		t.Fatalf("replayed signature with another body: got %d %q, want 403", r.status, r.raw)
	}
	if n := e.drain(); n != 0 {
		t.Errorf("the forged scan was queued (%d)", n)
	}
	if _, err := models.FindVoterByOAOpenID(t.Context(), e.db, "oVoterForged01"); err == nil {
		t.Errorf("the forged push was handled")
	}
	for _, k := range e.redisKeys() {
		if strings.Contains(k, "oVoterForged01") {
			t.Errorf("Redis key written for the forged push: %s", k)
		}
	}

	// Retries of the first message: the same nonce and a new one.
	for _, n := range []string{nonce, ""} {
		again := e.pushWith(msg, pushOpts{nonce: n})
		if again.text(t, "oVoterReplay01") != c1 || again.reply.CreateTime != first.reply.CreateTime {
			t.Errorf("retry (nonce %q): got %q, want the first reply", n, again.raw)
		}
	}

	var ttl time.Duration
	for _, k := range e.redisKeys() {
		if strings.Contains(k, ":wx:tn:") || strings.HasPrefix(strings.TrimPrefix(k, e.rd.Prefix), "wx:tn:") {
			if d := e.rd.Client.TTL(context.Background(), k).Val(); d > ttl {
				ttl = d
			}
		}
	}
	if ttl < 10*time.Minute {
		t.Errorf("(timestamp, nonce) remembered for %v, want at least the 10-minute window", ttl)
	}
}

// Ensure the replay guard does not refuse a correctly signed push when
// Redis is missing: plain mode then works as before.
func TestOfficialPlainWithoutRedis(t *testing.T) {
	e := newOAEnv(t, false, func(d *handlers.Deps) { d.Redis = nil })
	r := e.pushWith(oaText("oVoterNoRedis02", oaNextMsgID(), "预约"), pushOpts{nonce: "42"})
	oaWant(t, r.text(t, "oVoterNoRedis02"), "预约接待")
}

// Ensure an address that keeps failing the push signature checks is
// answered 429 once it passed the limit, without its pushes being checked
// (a correctly signed push from it is refused too), while a correctly
// signed push from another address (WeChat's) still passes, and correctly
// signed pushes are never counted. The default limit is 20 a minute.
func TestOfficialSignatureFailuresRateLimited(t *testing.T) {
	for _, aes := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "aes"}[aes], func(t *testing.T) {
			e := newOAEnv(t, aes, func(d *handlers.Deps) { d.OA.BadSignatureLimit = 3 })
			bad := *e
			bad.remote = "198.51.100.7:5555"
			ok := *e
			ok.remote = "203.0.113.9:443"
			scan := func(i int) string { return oaEvent("oVoterLimit01", oaNextCT(), "SCAN", e.f.activeCode) }
			// Correct pushes from the address are not counted.
			for i := range 5 {
				oaWant(t, bad.push(scan(i)).text(t, "oVoterLimit01"), "张秀兰")
			}
			for i := range 3 {
				opts := pushOpts{badSig: i != 1}
				if i == 1 {
					opts.ts = strconv.FormatInt(oaNow.Add(-time.Hour).Unix(), 10)
				}
				if r := bad.pushWith(scan(i), opts); r.status != 403 {
					t.Fatalf("failure %d: got %d %q, want 403", i+1, r.status, r.raw)
				}
			}
			r := bad.pushWith(scan(0), pushOpts{badSig: true})
			if r.status != 429 || errorCode(r) != "rate_limited" {
				t.Fatalf("after 3 failures: got %d %q, want 429", r.status, r.raw)
			}
			if r := bad.push(scan(0)); r.status != 429 {
				t.Errorf("a correct push from the limited address was checked: got %d %q, want 429", r.status, r.raw)
			}
			oaWant(t, ok.push(scan(0)).text(t, "oVoterLimit01"), "张秀兰")
		})
	}

	e := newOAEnv(t, true, nil)
	e.remote = "198.51.100.8:5555"
	for i := range 20 {
		if r := e.pushWith(oaText("oVoterLimit02", oaNextMsgID(), "你好"), pushOpts{badMsgSig: true}); r.status != 403 {
			t.Fatalf("failure %d under the default limit: got %d", i+1, r.status)
		}
	}
	if r := e.pushWith(oaText("oVoterLimit02", oaNextMsgID(), "你好"), pushOpts{badMsgSig: true}); r.status != 429 {
		t.Errorf("21st failure: got %d, want 429", r.status)
	}
}
