package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"deputylink/wechat"
)

// pushRequest is one pre-built, signed, encrypted QR-scan push.
type pushRequest struct {
	query string
	body  string
}

// buildPushes makes n SCAN events from distinct voters: voters wrap around
// with a distinct CreateTime, and every call tags its openids with a random
// run id, so no push repeats one of this or an earlier run (a repeat would
// be a retry, which the endpoint answers from its dedupe store).
func buildPushes(n, voters int, codes []string, token, aesKey, appID string) ([]pushRequest, error) {
	out := make([]pushRequest, n)
	now := time.Now().Unix()
	run := hex.EncodeToString(randomBytes(4))
	for i := range n {
		openid := fmt.Sprintf("oLoad%s%08d%s", run, i%voters, "xxxxxx")
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
			query: q.Encode(),
			body:  "<xml><ToUserName><![CDATA[gh_loadgen]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>",
		}
	}
	return out, nil
}

// pushLoad is one run's settings.
type pushLoad struct {
	rate        float64
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	// maxRate sizes the pushes built for a saturated run.
	maxRate float64
}

// pushCount is how many distinct pushes a run needs.
func (l pushLoad) pushCount() int {
	r := l.rate
	if r == 0 {
		r = l.maxRate
	}
	return int((l.warmup+l.duration).Seconds()*max(r, 3000)) + 1000
}

func pushCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	target := fs.String("url", "http://127.0.0.1:8080/wechat/official", "push endpoint")
	compare := fs.String("compare", "", "a second endpoint (the floor) measured in alternate rounds with --url; prints the ratio")
	rounds := fs.Int("rounds", 5, "rounds per endpoint with --compare")
	codesFlag := fs.String("codes", "", "comma-separated deputy codes to scan")
	rate := fs.Float64("rate", 1000, "requests per second; 0 = saturate with --concurrency workers")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	concurrency := fs.Int("concurrency", 64, "workers when saturating; most requests in flight at a fixed rate is 8x this")
	voters := fs.Int("voters", 5000, "distinct voter openids")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up time excluded from the figures")
	maxRate := fs.Float64("max-rate", 40000, "highest rate a saturated run may reach: sizes the pushes built (none is sent twice)")
	token := fs.String("token", defaultToken, "push token")
	aesKey := fs.String("aes-key", defaultAESKey, "EncodingAESKey")
	appID := fs.String("appid", defaultAppID, "official account appid")
	expect := fs.String("expect", "", "text every reply of --url must contain after decryption (checked on a sample)")
	if err := fs.Parse(args); err != nil || *codesFlag == "" {
		return errUsage
	}
	codes := strings.Split(*codesFlag, ",")
	load := pushLoad{rate: *rate, concurrency: *concurrency, warmup: *warmup, duration: *duration, maxRate: *maxRate}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute},
	}
	build := func() ([]pushRequest, error) {
		n := load.pushCount()
		fmt.Fprintf(stdout, "building %d signed AES pushes…\n", n)
		return buildPushes(n, *voters, codes, *token, *aesKey, *appID)
	}
	if *expect != "" {
		reqs, err := buildPushes(1, 1, codes, *token, *aesKey, *appID)
		if err != nil {
			return err
		}
		if err := checkReply(client, *target, reqs[0], *aesKey, *appID, *expect); err != nil {
			return err
		}
	}
	if *compare == "" {
		reqs, err := build()
		if err != nil {
			return err
		}
		runPushes(ctx, client, *target, reqs, load).report(stdout)
		return nil
	}

	// Alternate rounds, each on fresh pushes, after a warm-up of both:
	// this VM's speed drifts by more than most changes, so the figure is
	// the median of the rounds' ratios, each measured minutes apart at most.
	warm := load
	warm.duration, warm.warmup = 3*time.Second, 0
	for _, u := range []string{*target, *compare} {
		reqs, err := buildPushes(warm.pushCount(), *voters, codes, *token, *aesKey, *appID)
		if err != nil {
			return err
		}
		runPushes(ctx, client, u, reqs, warm)
	}
	var ratios []float64
	for r := 1; r <= *rounds && ctx.Err() == nil; r++ {
		var res [2]pushResult
		for k, u := range []string{*target, *compare} {
			reqs, err := build()
			if err != nil {
				return err
			}
			res[k] = runPushes(ctx, client, u, reqs, load)
			fmt.Fprintf(stdout, "round %d %s: ", r, []string{"url", "compare"}[k])
			res[k].report(stdout)
		}
		ratio := res[0].throughput() / res[1].throughput()
		ratios = append(ratios, ratio)
		fmt.Fprintf(stdout, "round %d: ratio %.1f%%\n", r, 100*ratio)
	}
	slices.Sort(ratios)
	if len(ratios) > 0 {
		fmt.Fprintf(stdout, "ratio url/compare: median %.1f%%, min %.1f%%, max %.1f%% over %d rounds\n",
			100*ratios[len(ratios)/2], 100*ratios[0], 100*ratios[len(ratios)-1], len(ratios))
	}
	return nil
}

// pushResult is one run's measurements.
type pushResult struct {
	rec    *recorder
	window time.Duration
	// short: the run ran out of pushes before its end.
	short bool
}

func (r pushResult) throughput() float64 { return r.rec.throughput(r.window) }

func (r pushResult) report(w io.Writer) {
	r.rec.report(w, r.window)
	if r.short {
		fmt.Fprintln(w, "WARNING: the run ran out of distinct pushes before its end: raise --max-rate")
	}
}

// runPushes sends reqs to base, each once, open-loop at load.rate or
// saturated with load.concurrency workers.
func runPushes(ctx context.Context, client *http.Client, base string, reqs []pushRequest, load pushLoad) pushResult {
	rec := &recorder{}
	var next atomic.Int64
	var lastEnd atomic.Int64 // UnixNano when the pushes ran out
	send := func(r pushRequest, scheduled time.Time, measure bool) {
		resp, err := client.Post(base+"?"+r.query, "text/xml", strings.NewReader(r.body))
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
	measureFrom := start.Add(load.warmup)
	end := start.Add(load.warmup + load.duration)
	var wg sync.WaitGroup
	if load.rate > 0 {
		// Open loop: requests leave on schedule whether or not earlier ones
		// have returned, and latency counts from the scheduled time, so a
		// stall is not hidden (no coordinated omission).
		interval := time.Duration(float64(time.Second) / load.rate)
		sem := make(chan struct{}, load.concurrency*8)
		for i := 0; i < len(reqs); i++ {
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
				send(reqs[i], at, !at.Before(measureFrom))
			})
		}
	} else {
		for range load.concurrency {
			wg.Go(func() {
				for time.Now().Before(end) && ctx.Err() == nil {
					i := int(next.Add(1)) - 1
					if i >= len(reqs) {
						lastEnd.CompareAndSwap(0, time.Now().UnixNano())
						return
					}
					t := time.Now()
					send(reqs[i], t, !t.Before(measureFrom))
				}
			})
		}
	}
	wg.Wait()
	res := pushResult{rec: rec, window: time.Since(measureFrom)}
	if e := lastEnd.Load(); e != 0 {
		res.short = true
		res.window = time.Unix(0, e).Sub(measureFrom)
	}
	return res
}

// checkReply sends one push and checks the decrypted reply mentions expect.
func checkReply(client *http.Client, base string, r pushRequest, aesKey, appID, expect string) error {
	resp, err := client.Post(base+"?"+r.query, "text/xml", strings.NewReader(r.body))
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
	return nil
}
