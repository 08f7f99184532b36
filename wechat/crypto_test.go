package wechat_test

import (
	"encoding/xml"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"deputylink/wechat"

	"github.com/silenceper/wechat/v2/util"
)

// Vectors from docs/WECHAT.md#crypto-test-vectors (official WXBizMsgCrypt samples).

const (
	vecAToken   = "spamtest"
	vecAKey     = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	vecAAppID   = "wx2c2769f8efd9abc2"
	vecATS      = "1409735669"
	vecANonce   = "1320562132"
	vecAMsgSig  = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	vecAPlain   = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
	vecAEncrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="

	vecBToken    = "QDG6eK"
	vecBKey      = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecBCorpID   = "wx5823bf96d3bd56c7"
	vecBMsgSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecBTS       = "1409659813"
	vecBNonce    = "1372623149"
	vecBPlainSig = "d2157f2f9079f4d6257b45edf665c43c62e60a0a"
	vecBEncrypt  = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="

	vecBEchoSig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecBEchoTS    = "1409659589"
	vecBEchoNonce = "263014780"
	vecBEchoStr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)

// textMsg is the subset of a pushed text message the vectors check.
type textMsg struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        int64  `xml:"MsgId"`
	AgentID      int64  `xml:"AgentID"`
}

func TestCryptoVectorA_OfficialAccount(t *testing.T) {
	if got := wechat.Signature(vecAToken, vecATS, vecANonce); got != vecAPlain {
		t.Fatalf("plain signature = %s, want %s", got, vecAPlain)
	}
	if got := wechat.Signature(vecAToken, vecATS, vecANonce, vecAEncrypt); got != vecAMsgSig {
		t.Fatalf("msg_signature = %s, want %s", got, vecAMsgSig)
	}
	if !wechat.VerifySignature(vecAPlain, vecAToken, vecATS, vecANonce) ||
		!wechat.VerifySignature(strings.ToUpper(vecAMsgSig), vecAToken, vecATS, vecANonce, vecAEncrypt) {
		t.Fatal("VerifySignature rejected a valid signature")
	}
	bad := []byte(vecAPlain)
	bad[0] ^= 1
	for _, sig := range []string{string(bad), "", vecAPlain[:39]} {
		if wechat.VerifySignature(sig, vecAToken, vecATS, vecANonce) {
			t.Fatalf("VerifySignature accepted %q", sig)
		}
	}

	random, plain, err := wechat.DecryptMsg(vecAAppID, vecAEncrypt, vecAKey)
	if err != nil {
		t.Fatalf("DecryptMsg: %v", err)
	}
	if string(random) != "89465c840c5f116f" {
		t.Fatalf("random = %q", random)
	}
	var m textMsg
	if err := xml.Unmarshal(plain, &m); err != nil {
		t.Fatalf("xml: %v\n%s", err, plain)
	}
	want := textMsg{ToUserName: "gh_10f6c3c3ac5a", FromUserName: "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
		CreateTime: 1409735668, MsgType: "text", Content: "abcdteT", MsgID: 6054768590064713728}
	if m != want {
		t.Fatalf("decrypted = %+v, want %+v", m, want)
	}

	// Re-encrypting with the same random reproduces the ciphertext exactly.
	enc, err := wechat.EncryptMsg(random, plain, vecAAppID, vecAKey)
	if err != nil || enc != vecAEncrypt {
		t.Fatalf("EncryptMsg round trip mismatch (err %v)", err)
	}
	enc2, sig, err := wechat.EncryptReply(random, plain, vecAAppID, vecAKey, vecAToken, vecATS, vecANonce)
	if err != nil || enc2 != vecAEncrypt || sig != vecAMsgSig {
		t.Fatalf("EncryptReply = %q, %q, %v", enc2[:8], sig, err)
	}

	// Wrong appid must fail, with our error class and no Chinese SDK text.
	_, _, err = wechat.DecryptMsg("wx0000000000000000", vecAEncrypt, vecAKey)
	if !errors.Is(err, wechat.ErrDecrypt) || !strings.Contains(err.Error(), "appid mismatch") {
		t.Fatalf("wrong appid err = %v", err)
	}
	if _, _, err := wechat.DecryptMsg(vecAAppID, "not base64!", vecAKey); !errors.Is(err, wechat.ErrDecrypt) {
		t.Fatalf("bad base64 err = %v", err)
	}
	if _, _, err := wechat.DecryptMsg(vecAAppID, vecAEncrypt, "short"); !errors.Is(err, wechat.ErrDecrypt) {
		t.Fatalf("bad key err = %v", err)
	}
}

func TestCryptoVectorB_WeCom(t *testing.T) {
	if got := wechat.Signature(vecBToken, vecBTS, vecBNonce, vecBEncrypt); got != vecBMsgSig {
		t.Fatalf("msg_signature = %s, want %s", got, vecBMsgSig)
	}
	if got := wechat.Signature(vecBToken, vecBTS, vecBNonce); got != vecBPlainSig {
		t.Fatalf("plain signature = %s, want %s", got, vecBPlainSig)
	}
	_, plain, err := wechat.DecryptMsg(vecBCorpID, vecBEncrypt, vecBKey)
	if err != nil {
		t.Fatalf("DecryptMsg: %v", err)
	}
	var m textMsg
	if err := xml.Unmarshal(plain, &m); err != nil {
		t.Fatalf("xml: %v", err)
	}
	if m.Content != "hello" || m.MsgID != 4561255354251345929 || m.AgentID != 218 || m.MsgType != "text" {
		t.Fatalf("decrypted = %+v", m)
	}

	if !wechat.VerifySignature(vecBEchoSig, vecBToken, vecBEchoTS, vecBEchoNonce, vecBEchoStr) {
		t.Fatal("echostr msg_signature rejected")
	}
	_, echo, err := wechat.DecryptMsg(vecBCorpID, vecBEchoStr, vecBKey)
	if err != nil || string(echo) != "1616140317555161061" {
		t.Fatalf("echostr = %q, %v", echo, err)
	}
}

func TestCryptoVectorC_DeterministicEncrypt(t *testing.T) {
	const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	got, err := wechat.EncryptMsg([]byte("aaaabbbbccccdddd"), []byte("我是中文abcd123"), "wxb11529c136998cb6", vecAKey)
	if err != nil || got != want {
		t.Fatalf("EncryptMsg = %q, %v; want %q", got, err, want)
	}
	_, plain, err := wechat.DecryptMsg("wxb11529c136998cb6", got, vecAKey)
	if err != nil || string(plain) != "我是中文abcd123" {
		t.Fatalf("round trip = %q, %v", plain, err)
	}
	if _, err := wechat.EncryptMsg([]byte("short"), []byte("x"), "wxb11529c136998cb6", vecAKey); err == nil {
		t.Fatal("EncryptMsg accepted a 5-byte random")
	}
}

func TestFreshTimestamp(t *testing.T) {
	now := time.Unix(1409735669, 0)
	cases := map[string]bool{
		"1409735669": true, "1409735369": true, "1409735969": true,
		"1409735368": false, "1409735970": false, "": false, "abc": false, "-1": false,
	}
	for ts, want := range cases {
		if got := wechat.FreshTimestamp(ts, now, 5*time.Minute); got != want {
			t.Errorf("FreshTimestamp(%q) = %v, want %v", ts, got, want)
		}
	}
}

// Signature and EncryptMsg hash and encode without the SDK's copies; they
// must still agree with the SDK byte for byte, and a bad key is an error,
// not a panic.
func TestCryptoAgreesWithSDK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	for i := range 200 {
		parts := []string{word(r.IntN(40)), word(r.IntN(12)), word(r.IntN(12))}
		if i%2 == 0 {
			parts = append(parts, word(r.IntN(3000)))
		}
		if got, want := wechat.Signature(parts[0], parts[1], parts[2], parts[3:]...), util.Signature(parts...); got != want {
			t.Fatalf("Signature(%q) = %s, SDK %s", parts, got, want)
		}
		random, msg := []byte(word(16)), []byte(word(r.IntN(3000)))
		got, err := wechat.EncryptMsg(random, msg, vecAAppID, vecAKey)
		want, werr := util.EncryptMsg(random, msg, vecAAppID, vecAKey)
		if err != nil || werr != nil || got != string(want) {
			t.Fatalf("EncryptMsg of %d bytes differs from the SDK (%v, %v)", len(msg), err, werr)
		}
	}
	for _, key := range []string{"", "short", vecAKey[:42] + "!"} {
		if _, err := wechat.EncryptMsg(make([]byte, 16), []byte("x"), vecAAppID, key); err == nil {
			t.Errorf("EncryptMsg accepted the key %q", key)
		}
	}
}
