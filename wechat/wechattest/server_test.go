package wechattest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// res is a decoded JSON answer.
type res map[string]any

func (r res) code() int {
	f, _ := r["errcode"].(float64)
	return int(f)
}

func get(t *testing.T, s *Server, path string, q url.Values) (res, *http.Response) {
	t.Helper()
	resp, err := http.Get(s.URL() + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func post(t *testing.T, s *Server, path, token string, body any) (res, *http.Response) {
	t.Helper()
	b, _ := json.Marshal(body)
	u := s.URL() + path
	if token != "" {
		u += "?access_token=" + url.QueryEscape(token)
	}
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (res, *http.Response) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r res
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("bad JSON %q: %v", b, err)
		}
	}
	return r, resp
}

func stable(t *testing.T, s *Server, appID, secret string, force bool) res {
	t.Helper()
	r, _ := post(t, s, "/cgi-bin/stable_token", "", map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force})
	return r
}

func TestTokens(t *testing.T) {
	s := New()
	defer s.Close()
	a := stable(t, s, DefaultOAAppID, DefaultOASecret, false)
	b := stable(t, s, DefaultOAAppID, DefaultOASecret, false)
	tok, _ := a["access_token"].(string)
	if tok == "" || b["access_token"] != tok || a["expires_in"].(float64) != 7200 {
		t.Fatalf("stable tokens differ or bad: %v / %v", a, b)
	}
	if s.StableTokenCalls(DefaultOAAppID) != 2 || s.StableToken(DefaultOAAppID) != tok {
		t.Fatal("stable call count / current token")
	}
	if r := stable(t, s, DefaultOAAppID, "wrong", false); r.code() != 40125 {
		t.Fatalf("wrong secret: %v", r)
	}
	if r := stable(t, s, "wxnobody", "x", false); r.code() != 40013 {
		t.Fatalf("unknown appid: %v", r)
	}
	r, _ := get(t, s, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {DefaultOAAppID}, "secret": {"bad"}})
	if r.code() != 40001 {
		t.Fatalf("/cgi-bin/token wrong secret: %v", r)
	}

	send := func(token string) int {
		r, _ := post(t, s, "/cgi-bin/message/custom/send", token, map[string]any{
			"touser": "o1", "msgtype": "text", "text": map[string]string{"content": "hi"}})
		return r.code()
	}
	s.Follow("o1")
	if c := send(""); c != 41001 {
		t.Fatalf("missing token: %d", c)
	}
	if c := send("bogus"); c != 40001 {
		t.Fatalf("unknown token: %d", c)
	}
	if c := send(tok); c != 0 {
		t.Fatalf("valid token: %d", c)
	}
	// force_refresh: new token, old one still valid (overlap).
	f := stable(t, s, DefaultOAAppID, DefaultOASecret, true)
	if f["access_token"] == tok || send(tok) != 0 || send(f["access_token"].(string)) != 0 {
		t.Fatalf("force_refresh: %v", f)
	}
	s.ExpireToken(DefaultOAAppID)
	if c := send(f["access_token"].(string)); c != 42001 {
		t.Fatalf("expired: %d", c)
	}
	s.RotateToken()
	if c := send(f["access_token"].(string)); c != 40001 {
		t.Fatalf("rotated: %d", c)
	}
}

func token(t *testing.T, s *Server, appID, secret string) string {
	t.Helper()
	return stable(t, s, appID, secret, false)["access_token"].(string)
}

func TestQRCodeAndWXACode(t *testing.T) {
	s := New()
	defer s.Close()
	tok := token(t, s, DefaultOAAppID, DefaultOASecret)
	qr := func(body map[string]any) res { r, _ := post(t, s, "/cgi-bin/qrcode/create", tok, body); return r }
	scene := func(k string, v any) map[string]any { return map[string]any{"scene": map[string]any{k: v}} }
	ok := qr(map[string]any{"expire_seconds": 600, "action_name": "QR_STR_SCENE", "action_info": scene("scene_str", "bind:x")})
	if ok["ticket"] == nil || ok["expire_seconds"].(float64) != 600 || ok["errmsg"] != nil {
		t.Fatalf("qr ok: %v", ok)
	}
	for _, bad := range []map[string]any{
		{"expire_seconds": 2592001, "action_name": "QR_STR_SCENE", "action_info": scene("scene_str", "x")},
		{"action_name": "QR_STR_SCENE", "action_info": scene("scene_str", strings.Repeat("x", 65))},
		{"action_name": "QR_LIMIT_SCENE", "action_info": scene("scene_id", 100001)},
		{"action_name": "QR_SCENE", "action_info": scene("scene_id", 0)},
		{"action_name": "QR_FANCY", "action_info": scene("scene_str", "x")},
	} {
		if r := qr(bad); r.code() != 40097 {
			t.Errorf("qr %v: %v", bad, r)
		}
	}
	if scn, found := s.TicketScene(ok["ticket"].(string)); !found || scn != "bind:x" {
		t.Fatal("TicketScene")
	}

	mtok := token(t, s, DefaultMPAppID, DefaultMPSecret)
	_, resp := post(t, s, "/wxa/getwxacodeunlimit", mtok, map[string]any{"scene": "d=1", "page": "pages/a"})
	if resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	if r, _ := post(t, s, "/wxa/getwxacodeunlimit", mtok, map[string]any{"scene": "中文"}); r.code() != 40169 {
		t.Fatalf("bad scene: %v", r)
	}
	s.SetPublishedPages([]string{"pages/a"})
	if r, _ := post(t, s, "/wxa/getwxacodeunlimit", mtok, map[string]any{"scene": "d=1", "page": "pages/b"}); r.code() != 41030 {
		t.Fatalf("unpublished: %v", r)
	}
	if r, _ := post(t, s, "/wxa/getwxacodeunlimit", mtok, map[string]any{"scene": "d=1", "page": "pages/b", "check_path": false}); r != nil {
		t.Fatalf("check_path false: %v", r)
	}
	// Wrong method.
	if r, _ := get(t, s, "/cgi-bin/message/template/send", url.Values{"access_token": {tok}}); r.code() != 43002 {
		t.Fatalf("GET on POST route: %v", r)
	}
}

func TestLoginCodes(t *testing.T) {
	s := New()
	defer s.Close()
	q := func(code string) url.Values {
		return url.Values{"appid": {DefaultMPAppID}, "secret": {DefaultMPSecret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	}
	s.AddLoginCode("c1", "oa", "ua")
	if r, _ := get(t, s, "/sns/jscode2session", q("c1")); r["openid"] != "oa" || r["unionid"] != "ua" {
		t.Fatalf("c1: %v", r)
	}
	if r, _ := get(t, s, "/sns/jscode2session", q("c1")); r.code() != 40163 {
		t.Fatalf("reuse: %v", r)
	}
	if r, _ := get(t, s, "/sns/jscode2session", q("zzz")); r.code() != 40029 {
		t.Fatalf("unknown: %v", r)
	}
	if r, _ := get(t, s, "/sns/jscode2session", q("test:oT")); r["openid"] != "oT" || r["unionid"] != nil {
		t.Fatalf("test code: %v", r)
	}
}

func TestFaultInjection(t *testing.T) {
	s := New()
	defer s.Close()
	tok := token(t, s, DefaultOAAppID, DefaultOASecret)
	s.Follow("o1")
	body := map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{}}
	s.FailNext("https://api.weixin.qq.com/cgi-bin/message/template/send", 45009, -1)
	s.HTTPStatusNext("/cgi-bin/message/template/send", 503)
	_, resp := post(t, s, "/cgi-bin/message/template/send", tok, body)
	if resp.StatusCode != 503 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []int{45009, -1, 0} {
		if r, _ := post(t, s, "/cgi-bin/message/template/send", tok, body); r.code() != want {
			t.Fatalf("want %d got %v", want, r)
		}
	}
	calls := s.Calls("/cgi-bin/message/template/send")
	if len(calls) != 4 || calls[0].HTTPStatus != 503 || calls[1].ErrCode != 45009 || calls[3].ErrCode != 0 {
		t.Fatalf("calls = %+v", calls)
	}
	// Seeded FailRate is reproducible and never hits token calls.
	pattern := func() string {
		s.Reset()
		s.SetFollowAll(true)
		s.Seed(7)
		s.FailRate(0.5)
		var b strings.Builder
		for range 40 {
			r, _ := post(t, s, "/cgi-bin/message/template/send", tok, body)
			fmt.Fprintf(&b, "%d,", r.code())
		}
		if r := stable(t, s, DefaultOAAppID, DefaultOASecret, false); r["access_token"] == nil {
			t.Fatal("FailRate hit stable_token")
		}
		return b.String()
	}
	p1, p2 := pattern(), pattern()
	if p1 != p2 || !strings.Contains(p1, "-1,") || !strings.Contains(p1, "0,") {
		t.Fatalf("patterns differ or degenerate:\n%s\n%s", p1, p2)
	}
	// Latency.
	s.Reset()
	s.SetLatency(100 * time.Millisecond)
	start := time.Now()
	stable(t, s, DefaultOAAppID, DefaultOASecret, false)
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("latency not applied")
	}
}

// TestLoadUnderFailures: 5,000 template sends through 32 workers with 20%
// injected failures, each retried with the same client_msg_id until it
// succeeds. Every notification must be delivered exactly once, quickly.
func TestLoadUnderFailures(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetFollowAll(true)
	s.Seed(42)
	s.FailRate(0.2)
	tok := token(t, s, DefaultOAAppID, DefaultOASecret)
	const n, workers = 5000, 32
	jobs := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b, _ := json.Marshal(map[string]any{"touser": fmt.Sprintf("o%05d", i), "template_id": "T",
					"client_msg_id": fmt.Sprintf("n%d", i), "data": map[string]any{"thing1": map[string]string{"value": "x"}}})
				for attempt := 0; ; attempt++ {
					resp, err := client.Post(s.URL()+"/cgi-bin/message/template/send?access_token="+tok, "application/json", bytes.NewReader(b))
					if err != nil {
						t.Error(err)
						return
					}
					var r struct{ Errcode int }
					_ = json.NewDecoder(resp.Body).Decode(&r)
					resp.Body.Close()
					if r.Errcode == 0 {
						break
					}
					if attempt > 50 {
						t.Errorf("job %d never succeeded", i)
						break
					}
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	seen := map[string]bool{}
	for _, d := range s.Templates() {
		if seen[d.ClientMsgID] {
			t.Fatalf("duplicate delivery %s", d.ClientMsgID)
		}
		seen[d.ClientMsgID] = true
	}
	calls := s.CallCount("/cgi-bin/message/template/send")
	if len(seen) != n || calls < n*11/10 {
		t.Fatalf("delivered %d of %d; %d calls", len(seen), n, calls)
	}
	if el > 20*time.Second {
		t.Fatalf("too slow: %v", el)
	}
	t.Logf("%d sends, %d calls, %v", n, calls, el)
}

func TestStandaloneServer(t *testing.T) {
	s, err := NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := stable(t, s, DefaultMPAppID, DefaultMPSecret, false); r["access_token"] == nil {
		t.Fatalf("standalone: %v", r)
	}
	s.SetCallLimit(10)
	for range 25 {
		stable(t, s, DefaultMPAppID, DefaultMPSecret, false)
	}
	if n := s.CallCount("/cgi-bin/stable_token"); n < 5 || n > 10 {
		t.Fatalf("call limit: %d calls kept", n)
	}
	if _, err := NewServer("256.0.0.1:bad"); err == nil {
		t.Fatal("bad addr accepted")
	}
}

func TestDeliveryLogListsEachDelivery(t *testing.T) {
	s := New()
	defer s.Close()
	var log strings.Builder
	s.SetDeliveryLog(&log)
	s.SetFollowAll(true)
	s.SetUnlimitedConsent(true)
	tok := token(t, s, DefaultOAAppID, DefaultOASecret)
	if r, _ := post(t, s, "/cgi-bin/message/template/send", tok, map[string]any{
		"touser": "oLogTest1", "template_id": "tplStaff", "url": "https://example.org/console/opinions/7",
		"data": map[string]any{"thing1": map[string]any{"value": "新意见待受理"}}}); r.code() != 0 {
		t.Fatalf("template: %v", r)
	}
	mtok := token(t, s, DefaultMPAppID, DefaultMPSecret)
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", mtok, map[string]any{
		"touser": "oLogTest2", "template_id": "tplResult", "page": "pages/opinion/detail?id=7",
		"data": map[string]any{"thing1": map[string]any{"value": "已答复"}}}); r.code() != 0 {
		t.Fatalf("subscribe: %v", r)
	}
	out := log.String()
	for _, want := range []string{
		"template  to oLogTest1 template tplStaff opens https://example.org/console/opinions/7\n    thing1: 新意见待受理\n",
		"subscribe to oLogTest2 template tplResult opens pages/opinion/detail?id=7\n    thing1: 已答复\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("delivery log lacks %q:\n%s", want, out)
		}
	}
}
