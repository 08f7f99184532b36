package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"deputylink/handlers"
	"deputylink/models"
)

// Ensure "wechat push" talks to the real push endpoint as WeChat would, in
// safe (AES) mode, and prints the decrypted reply; a --plain push to a
// server with an AES key is refused, as the server refuses every plain push
// then.
func TestWeChatPushAgainstRouter(t *testing.T) {
	e := newCLIEnv(t)
	e.env["DEPUTYLINK_OA_TOKEN"] = "pushtesttoken"
	e.env["DEPUTYLINK_OA_AES_KEY"] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	d := e.demoDeputy()
	code, err := models.EnsureDeputyCode(context.Background(), e.db, d.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The server: the real router, wired as serve wires it.
	a, err := openApp(context.Background(), func(k string) string { return e.env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	deps, err := a.handlerDeps()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.NewRouter(deps))
	t.Cleanup(srv.Close)
	url := srv.URL + "/wechat/official"

	if code2, out, _ := e.run("wechat", "push", "--url", url, "--openid", "oTestPushplain", "--text", "hi", "--plain"); code2 != 1 || !strings.Contains(out, "403") {
		t.Errorf("plain push with an AES key set: exit %d stdout %q", code2, out)
	}
	for _, mode := range []string{"aes"} {
		t.Run(mode, func(t *testing.T) {
			push := func(args ...string) string {
				t.Helper()
				args = append([]string{"wechat", "push", "--url", url, "--openid", "oTestPush" + mode}, args...)
				return e.mustRun(args...)
			}
			out := push("--event", "scan", "--scene", code.Code)
			if !strings.Contains(out, "("+mode+" mode)") || !strings.Contains(out, "status: 200") ||
				!strings.Contains(out, "reply:  text to oTestPush"+mode) || !strings.Contains(out, d.Name) {
				t.Errorf("scan of %s (%s): %s", code.Code, d.Name, out)
			}
			out = push("--event", "scan", "--scene", "NOPE2222")
			if !strings.Contains(out, "无法识别") {
				t.Errorf("scan of an unknown code: %s", out)
			}
			out = push("--event", "subscribe", "--scene", code.Code)
			if !strings.Contains(out, "event subscribe qrscene_"+code.Code) || !strings.Contains(out, d.Name) {
				t.Errorf("follow through a code: %s", out)
			}
			out = push("--text", "你好")
			if !strings.Contains(out, `text "你好"`) || !strings.Contains(out, "reply:  text") {
				t.Errorf("text: %s", out)
			}
			out = push("--event", "unsubscribe")
			if !strings.Contains(out, "reply:  none") {
				t.Errorf("unsubscribe: %s", out)
			}
		})
	}

	// A wrong token is refused by the server: exit 1 with its status.
	e.env["DEPUTYLINK_OA_TOKEN"] = "not-the-token"
	code2, out, errs := e.run("wechat", "push", "--url", url, "--openid", "oTestPush", "--text", "hi")
	if code2 != 1 || !strings.Contains(out, "403") || !strings.Contains(errs, "refused") {
		t.Errorf("wrong token: exit %d stdout %q stderr %q", code2, out, errs)
	}
	// No token: nothing is sent.
	delete(e.env, "DEPUTYLINK_OA_TOKEN")
	if code2, _, errs := e.run("wechat", "push", "--url", url, "--openid", "oTestPush", "--text", "hi"); code2 != 1 || !strings.Contains(errs, "DEPUTYLINK_OA_TOKEN") {
		t.Errorf("no token: exit %d stderr %q", code2, errs)
	}
}
