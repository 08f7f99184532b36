package handlers_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"deputylink/handlers"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"
	"deputylink/wechat/wechattest"
)

// serveGet serves GET path on h and returns the recorder.
func serveGet(h http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// wantVerifyFile checks that GET path on h answers a verification file's
// content, as plain text.
func wantVerifyFile(t *testing.T, h http.Handler, path, content string) {
	t.Helper()
	w := serveGet(h, path)
	if w.Code != http.StatusOK || w.Body.String() != content || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %q %q", path, w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}

// Ensure a slip's link opened outside WeChat (or before the mini-program's
// QR rule is live) answers the Chinese page that says how to vote, with
// the database and Redis closed: the page reads nothing, echoes no code,
// is never cached, and the access log keeps the route, not the code.
func TestSlipLinkPageReadsNothing(t *testing.T) {
	db, rd := modelstest.NewDB(t), wechattest.NewRedis(t)
	var logs bytes.Buffer
	r := handlers.NewRouter(handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Slips: handlers.SlipLinks{MPName: "清河县人大代表联络站"},
	})
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlDB.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rd.Client.Close(); err != nil {
		t.Fatal(err)
	}
	if w := serveGet(r, "/readyz"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database and Redis closed: %d", w.Code)
	}

	const code = "BS7Q2K9M4X"
	link := reviews.SlipLink("https://rd.example.gov.cn", code)
	// What has a code's shape is 200 (only the mini-program may ask the
	// database whether it is a slip); what cannot be a code is 404, with
	// the same page.
	for path, status := range map[string]int{
		strings.TrimPrefix(link, "https://rd.example.gov.cn"): http.StatusOK, "/b/bs7q2k9m4x": http.StatusOK, "/b/ABCDEFGHJK": http.StatusOK,
		"/b/%E4%BD%A0%3Cscript%3E": http.StatusNotFound, "/b/0": http.StatusNotFound,
	} {
		w := serveGet(r, path)
		body := w.Body.String()
		if w.Code != status || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %q\n%s", path, w.Code, w.Header().Get("Content-Type"), body)
		}
		if !strings.Contains(body, "这是一张述职评议票。请用微信“扫一扫”扫描票上的二维码，在“清河县人大代表联络站”小程序中匿名评议。每张票只能用一次。") {
			t.Errorf("%s: the page does not say how to vote:\n%s", path, body)
		}
		if strings.Contains(strings.ToUpper(body), code) || strings.Contains(strings.ToUpper(body), "ABCDEFGHJK") || strings.Contains(body, "script") {
			t.Errorf("%s: the page echoes the code:\n%s", path, body)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		if w.Header().Get("Referrer-Policy") != "no-referrer" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: headers %v", path, w.Header())
		}
	}
	if strings.Contains(strings.ToUpper(logs.String()), code) || strings.Contains(logs.String(), "ABCDEFGHJK") {
		t.Errorf("the log keeps a slip's code:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "route=/b/:code") || !strings.Contains(logs.String(), "status=200") || !strings.Contains(logs.String(), "status=404") {
		t.Errorf("the access log lacks the route:\n%s", logs.String())
	}

	// Without DEPUTYLINK_MP_NAME the page names the mini-program's title.
	plain := handlers.NewRouter(handlers.Deps{Log: slog.New(slog.DiscardHandler)})
	if body := serveGet(plain, "/b/"+code).Body.String(); !strings.Contains(body, "在“人大代表联络站”小程序中匿名评议") {
		t.Errorf("default name:\n%s", body)
	}
	// A name with markup is text on the page.
	odd := handlers.NewRouter(handlers.Deps{Log: slog.New(slog.DiscardHandler), Slips: handlers.SlipLinks{MPName: `<b>联络站</b>`}})
	if body := serveGet(odd, "/b/"+code).Body.String(); strings.Contains(body, "<b>联络站") || !strings.Contains(body, "&lt;b&gt;联络站") {
		t.Errorf("the name is not escaped:\n%s", body)
	}
}

// Ensure the mini-program's QR-rule verification file is served under
// /b/ as plain text when configured, a name of another shape claims
// nothing, and without it the same path is the slip page.
func TestSlipLinkVerifyFile(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	r := handlers.NewRouter(handlers.Deps{Log: quiet,
		Slips: handlers.SlipLinks{VerifyName: "lmZXvWnkX3.txt", VerifyContent: "0f3c2a9be1d74e6a8b5c7d9e1f2a3b4c"}})
	wantVerifyFile(t, r, "/b/lmZXvWnkX3.txt", "0f3c2a9be1d74e6a8b5c7d9e1f2a3b4c")
	for _, path := range []string{"/b/lmzxvwnkx3.txt", "/b/Other.txt", "/b/BS7Q2K9M4X"} {
		if w := serveGet(r, path); strings.Contains(w.Body.String(), "0f3c2a9b") || !strings.Contains(w.Body.String(), "述职评议票") {
			t.Errorf("%s: %d %q", path, w.Code, w.Body.String())
		}
	}
	if w := serveGet(r, "/b/lmZXvWnkX3.txt/x"); w.Code != http.StatusNotFound {
		t.Errorf("a path under the file: %d", w.Code)
	}
	none := handlers.NewRouter(handlers.Deps{Log: quiet})
	if w := serveGet(none, "/b/lmZXvWnkX3.txt"); strings.Contains(w.Body.String(), "0f3c2a9b") || !strings.Contains(w.Body.String(), "述职评议票") {
		t.Errorf("not configured: %d %q", w.Code, w.Body.String())
	}
	odd := handlers.NewRouter(handlers.Deps{Log: quiet, Slips: handlers.SlipLinks{VerifyName: "../x.txt", VerifyContent: "secret"}})
	if w := serveGet(odd, "/b/..%2Fx.txt"); strings.Contains(w.Body.String(), "secret") {
		t.Error("a bad name served the file")
	}
}
