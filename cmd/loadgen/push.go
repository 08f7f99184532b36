package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"deputylink/wechat"
)

// pushRequest is one pre-built, signed, encrypted QR-scan push.
type pushRequest struct {
	url  string
	body string
}

// buildPushes makes n SCAN events from distinct voters (voters wrap around
// with a distinct CreateTime, so no two are duplicates of each other).
func buildPushes(base string, n, voters int, codes []string, token, aesKey, appID string) ([]pushRequest, error) {
	out := make([]pushRequest, n)
	now := time.Now().Unix()
	for i := range n {
		openid := fmt.Sprintf("oLoad%08d%s", i%voters, "xxxxxxxxxxxxxx")
		code := codes[i%len(codes)]
		created := now - int64(i/voters) // distinct per repeat of a voter
		plain := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_loadgen]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
			"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"+
			"<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>", openid, created, code)
		enc, err := wechat.EncryptMsg(randomBytes(16), []byte(plain), appID, aesKey)
		if err != nil {
			return nil, err
		}
		ts := strconv.FormatInt(now, 10)
		nonce := hex.EncodeToString(randomBytes(5))
		q := url.Values{}
		q.Set("signature", wechat.Signature(token, ts, nonce))
		q.Set("timestamp", ts)
		q.Set("nonce", nonce)
		q.Set("openid", openid)
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(token, ts, nonce, enc))
		out[i] = pushRequest{
			url:  base + "?" + q.Encode(),
			body: "<xml><ToUserName><![CDATA[gh_loadgen]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>",
		}
	}
	return out, nil
}

func pushCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	target := fs.String("url", "http://127.0.0.1:8080/wechat/official", "push endpoint")
	codesFlag := fs.String("codes", "", "comma-separated deputy codes to scan")
	rate := fs.Float64("rate", 1000, "requests per second; 0 = saturate with --concurrency workers")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	concurrency := fs.Int("concurrency", 64, "workers when saturating; most requests in flight at a fixed rate is 8x this")
	voters := fs.Int("voters", 5000, "distinct voter openids")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up time excluded from the figures")
	token := fs.String("token", defaultToken, "push token")
	aesKey := fs.String("aes-key", defaultAESKey, "EncodingAESKey")
	appID := fs.String("appid", defaultAppID, "official account appid")
	expect := fs.String("expect", "", "text every reply must contain after decryption (checked on a sample)")
	if err := fs.Parse(args); err != nil || *codesFlag == "" {
		return errUsage
	}
	codes := strings.Split(*codesFlag, ",")
	total := *duration + *warmup
	n := int(float64(total/time.Second+1) * max(*rate, 3000))
	if *rate == 0 {
		n = 200000
	}
	fmt.Fprintf(stdout, "building %d signed AES pushes…\n", n)
	reqs, err := buildPushes(*target, n, *voters, codes, *token, *aesKey, *appID)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute},
	}
	if *expect != "" {
		if err := checkReply(client, reqs[0], *token, *aesKey, *appID, *expect); err != nil {
			return err
		}
	}
	var rec recorder
	var next atomic.Int64
	send := func(i int, scheduled time.Time, measure bool) {
		r := reqs[i%len(reqs)]
		resp, err := client.Post(r.url, "text/xml", strings.NewReader(r.body))
		lat := time.Since(scheduled)
		ok := err == nil && resp.StatusCode == 200
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if measure {
			rec.add(lat, ok)
		}
	}
	start := time.Now()
	measureFrom := start.Add(*warmup)
	end := start.Add(total)
	var wg sync.WaitGroup
	if *rate > 0 {
		// Open loop: requests leave on schedule whether or not earlier ones
		// have returned, and latency counts from the scheduled time, so a
		// stall is not hidden (no coordinated omission).
		interval := time.Duration(float64(time.Second) / *rate)
		sem := make(chan struct{}, *concurrency*8)
		for i := 0; ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.After(end) || ctx.Err() != nil {
				break
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			select {
			case sem <- struct{}{}:
			default:
				rec.dropped.Add(1)
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				send(i, at, !at.Before(measureFrom))
			})
		}
	} else {
		for range *concurrency {
			wg.Go(func() {
				for time.Now().Before(end) && ctx.Err() == nil {
					i := int(next.Add(1))
					t := time.Now()
					send(i, t, !t.Before(measureFrom))
				}
			})
		}
	}
	wg.Wait()
	rec.report(stdout, time.Since(measureFrom))
	return nil
}

// checkReply sends one push and checks the decrypted reply mentions expect.
func checkReply(client *http.Client, r pushRequest, token, aesKey, appID, expect string) error {
	resp, err := client.Post(r.url, "text/xml", strings.NewReader(r.body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	if err := xmlUnmarshal(raw, &env); err != nil || env.Encrypt == "" {
		return fmt.Errorf("reply is not an encrypted envelope: %d %q", resp.StatusCode, raw)
	}
	_, plain, err := wechat.DecryptMsg(appID, env.Encrypt, aesKey)
	if err != nil {
		return fmt.Errorf("decrypt reply: %w", err)
	}
	if !strings.Contains(string(plain), expect) {
		return fmt.Errorf("reply does not contain %q: %s", expect, plain)
	}
	_ = token
	return nil
}
