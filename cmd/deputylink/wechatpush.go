package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"deputylink/wechat"
)

// cdata is an XML element whose text is written as CDATA, as WeChat does.
type cdata struct {
	Text string `xml:",cdata"`
}

func cd(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{s}
}

// pushMsg is a plain push message as WeChat sends it.
type pushMsg struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   *cdata   `xml:"ToUserName"`
	FromUserName *cdata   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      *cdata   `xml:"MsgType"`
	Content      *cdata   `xml:"Content,omitempty"`
	Event        *cdata   `xml:"Event,omitempty"`
	EventKey     *cdata   `xml:"EventKey,omitempty"`
	Ticket       *cdata   `xml:"Ticket,omitempty"`
	LocationX    string   `xml:"Location_X,omitempty"`
	LocationY    string   `xml:"Location_Y,omitempty"`
	Scale        string   `xml:"Scale,omitempty"`
	Label        *cdata   `xml:"Label,omitempty"`
	Latitude     string   `xml:"Latitude,omitempty"`
	Longitude    string   `xml:"Longitude,omitempty"`
	Precision    string   `xml:"Precision,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
}

// pushEnvelope is the outer XML of a safe-mode push.
type pushEnvelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName *cdata   `xml:"ToUserName"`
	Encrypt    *cdata   `xml:"Encrypt"`
}

// pushEvents maps --event to the Event value WeChat sends.
var pushEvents = map[string]string{
	"subscribe": "subscribe", "unsubscribe": "unsubscribe", "scan": "SCAN", "click": "CLICK", "location": "LOCATION",
}

// testTicket stands in for the QR ticket of a scan; the server ignores it.
const testTicket = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2RlcHV0eWxpbmstdGVzdA=="

// wechatPush sends one push to a running server as WeChat would (signed
// with DEPUTYLINK_OA_TOKEN; encrypted when DEPUTYLINK_OA_AES_KEY is set)
// and prints the reply, decrypted.
func wechatPush(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wechat push", stderr)
	target := fs.String("url", "", "the server's push endpoint, e.g. http://127.0.0.1:8080/wechat/official")
	openid := fs.String("openid", "", "the sender's `openid`")
	event := fs.String("event", "", "send this `event`: subscribe, unsubscribe, scan, click or location")
	scene := fs.String("scene", "", "the QR code's `scene` (a code such as KKDRS88A) of a scan or subscribe event")
	key := fs.String("key", "", "the menu `key` of a click event")
	text := fs.String("text", "", "send this `text` message instead of an event")
	at := fs.String("at", "", "send a location message (or the location event's point) at `lat,lng`")
	to := fs.String("to", "gh_deputylink_test", "the official account's original `id` (ToUserName)")
	plain := fs.Bool("plain", false, "send in plain mode even when DEPUTYLINK_OA_AES_KEY is set (a server with the key refuses it)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the reply")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bad := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "deputylink wechat push: "+format+"\n\n", a...)
		return usageOf(fs)
	}
	u, err := url.Parse(*target)
	switch {
	case *target == "" || *openid == "":
		return bad("--url and --openid are required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return bad("--url must be an http(s) URL, not %q", *target)
	case btoi(*event != "")+btoi(*text != "")+btoi(*at != "" && *event == "") != 1:
		return bad("give one of --event, --text and --at")
	case *event != "" && pushEvents[strings.ToLower(*event)] == "":
		return bad("--event must be subscribe, unsubscribe, scan, click or location, not %q", *event)
	}
	now := time.Now()
	m := pushMsg{ToUserName: cd(*to), FromUserName: cd(*openid), CreateTime: now.Unix()}
	var lat, lng string
	if *at != "" {
		var ok bool
		if lat, lng, ok = strings.Cut(*at, ","); !ok || !isFloat(lat) || !isFloat(lng) {
			return bad("--at must be lat,lng such as 30.27,120.15, not %q", *at)
		}
	}
	what := ""
	switch {
	case *text != "":
		m.MsgType, m.Content, m.MsgID = cd("text"), cd(*text), randomMsgID()
		what = fmt.Sprintf("text %q", *text)
	case *event == "":
		m.MsgType, m.LocationX, m.LocationY, m.Scale, m.MsgID = cd("location"), lat, lng, "15", randomMsgID()
		what = "location " + *at
	default:
		ev := pushEvents[strings.ToLower(*event)]
		m.MsgType, m.Event = cd("event"), cd(ev)
		what = "event " + ev
		switch ev {
		case "SCAN":
			if *scene == "" {
				return bad("a scan event needs --scene")
			}
			m.EventKey, m.Ticket = cd(*scene), cd(testTicket)
		case "subscribe":
			if *scene != "" { // a follow through a parametric QR code
				m.EventKey, m.Ticket = cd("qrscene_"+*scene), cd(testTicket)
			}
		case "CLICK":
			if *key == "" {
				return bad("a click event needs --key")
			}
			m.EventKey = cd(*key)
		case "LOCATION":
			if *at == "" {
				return bad("a location event needs --at")
			}
			m.Latitude, m.Longitude, m.Precision = lat, lng, "30.0"
		}
		if m.EventKey != nil {
			what += " " + m.EventKey.Text
		}
	}
	body, err := xml.Marshal(m)
	if err != nil {
		return err
	}

	cfg, _, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	token, aesKey, appID := cfg.OA.Token.Value(), cfg.OA.AESKey.Value(), cfg.OA.AppID
	if token == "" {
		return errors.New("DEPUTYLINK_OA_TOKEN is not set: the server refuses unsigned pushes (use the token the server runs with)")
	}
	aes := aesKey != "" && !*plain
	if aes && appID == "" {
		return errors.New("safe mode (DEPUTYLINK_OA_AES_KEY) needs DEPUTYLINK_OA_APPID: the appid is sealed into the message")
	}

	ts, nonce := strconv.FormatInt(now.Unix(), 10), strconv.FormatUint(uint64(randomMsgID()), 10)[:10]
	q := u.Query()
	q.Set("signature", wechat.Signature(token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", *openid)
	mode := "plain"
	if aes {
		mode = "aes"
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := wechat.EncryptMsg(random, body, appID, aesKey)
		if err != nil {
			return fmt.Errorf("encrypt the push: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(token, ts, nonce, enc))
		if body, err = xml.Marshal(pushEnvelope{ToUserName: cd(*to), Encrypt: cd(enc)}); err != nil {
			return err
		}
	}
	u.RawQuery = q.Encode()

	fmt.Fprintf(stdout, "push:   %s from %s (%s mode)\n", what, *openid, mode)
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0 (deputylink wechat push)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("send the push: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the reply: %w", err)
	}
	fmt.Fprintf(stdout, "status: %s\n", resp.Status)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stdout, "body:   %s\n", strings.TrimSpace(string(raw)))
		return fmt.Errorf("the server refused the push: %s", resp.Status)
	}
	reply := strings.TrimSpace(string(raw))
	if reply == "" || reply == "success" {
		fmt.Fprintf(stdout, "reply:  none (the server answered %q)\n", reply)
		return nil
	}
	if aes {
		plainReply, err := openReply(raw, token, appID, aesKey, ts, nonce)
		if err != nil {
			fmt.Fprintf(stdout, "body:   %s\n", reply)
			return err
		}
		reply = plainReply
	}
	var r struct {
		MsgType, Content, FromUserName, ToUserName string
	}
	if err := xml.Unmarshal([]byte(reply), &r); err != nil || r.MsgType != "text" {
		fmt.Fprintf(stdout, "reply:\n%s\n", reply)
		return nil
	}
	fmt.Fprintf(stdout, "reply:  text to %s\n\n%s\n", r.ToUserName, r.Content)
	return nil
}

// openReply checks and decrypts a safe-mode reply as WeChat would: the
// timestamp and nonce are the push's, the MsgSignature covers the Encrypt.
func openReply(raw []byte, token, appID, aesKey, ts, nonce string) (string, error) {
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(raw, &env); err != nil || env.Encrypt == "" {
		return "", errors.New("the reply is not a safe-mode envelope")
	}
	if env.TimeStamp != ts || env.Nonce != nonce {
		return "", fmt.Errorf("the reply's timestamp and nonce %s/%s are not the push's %s/%s", env.TimeStamp, env.Nonce, ts, nonce)
	}
	if !wechat.VerifySignature(env.MsgSignature, token, env.TimeStamp, env.Nonce, env.Encrypt) {
		return "", errors.New("the reply's MsgSignature does not verify (is DEPUTYLINK_OA_TOKEN the server's?)")
	}
	_, msg, err := wechat.DecryptMsg(appID, env.Encrypt, aesKey)
	if err != nil {
		return "", fmt.Errorf("decrypt the reply: %w", err)
	}
	return string(msg), nil
}

func randomMsgID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>2) + 1<<60
}

func isFloat(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}
