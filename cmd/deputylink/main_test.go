package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"
)

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"serve", "--bogus"}, {"migrate", "extra"}, {"worker", "-x"}, {"jobs"}, {"jobs", "run"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, func(string) string { return "" }, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(errb.String(), "Usage:") {
			t.Errorf("%v: no usage on stderr: %q", args, errb.String())
		}
	}
}

func TestVersionAndBadConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "deputylink ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	env := map[string]string{"DEPUTYLINK_DATABASE_URL": "oracle://x"}
	errb.Reset()
	if code := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &errb); code != 1 || !strings.Contains(errb.String(), "DEPUTYLINK_DATABASE_URL") {
		t.Errorf("bad config: exit %d stderr %q", code, errb.String())
	}
	// A template setting that maps a field no notice fills is refused at
	// start, naming the variable, before anything is opened.
	env = map[string]string{"DEPUTYLINK_TPL_BOOKING_RESULT": "tplB|resutl=phrase1"}
	errb.Reset()
	if code := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "DEPUTYLINK_TPL_BOOKING_RESULT") || !strings.Contains(errb.String(), `unknown field "resutl"`) {
		t.Errorf("bad template: exit %d stderr %q", code, errb.String())
	}
}

// buildBinary compiles deputylink once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "deputylink")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Ensure "serve --demo" comes up on the embedded defaults (or the CI
// services), lists demo stations nearest first, and drains on SIGTERM.
func TestServeDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	addr := freePort(t)
	env := append(os.Environ(),
		"DEPUTYLINK_ADDR="+addr,
		"DEPUTYLINK_DATA_DIR="+t.TempDir(),
		"DEPUTYLINK_DATABASE_URL="+modelstest.URL(t),
		"DEPUTYLINK_LOG_FORMAT=json",
	)
	if os.Getenv(wechattest.EnvRedis) != "" || os.Getenv(wechattest.EnvRedisCluster) != "" {
		rd := wechattest.NewRedis(t)
		env = append(env, rd.ServerEnv(), "DEPUTYLINK_REDIS_PREFIX="+rd.Prefix)
	}
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://" + addr
	// A wait for start-up (a fresh database migrated and the demo county
	// loaded), not a speed check: generous, so a loaded CI machine passes.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz within 2 minutes; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var list struct {
		Items []struct {
			Name      string `json:"name"`
			DistanceM *int   `json:"distance_m"`
		} `json:"items"`
	}
	resp, err := http.Get(base + "/api/v1/stations?lat=30.27&lng=120.15&limit=50")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Items) < 12 {
		t.Fatalf("stations: %v, %d items", err, len(list.Items))
	}
	for i := 1; i < len(list.Items); i++ {
		if list.Items[i].DistanceM == nil || *list.Items[i].DistanceM < *list.Items[i-1].DistanceM {
			t.Fatalf("not nearest first at %d: %+v", i, list.Items)
		}
	}

	// A request in flight when SIGTERM comes is finished, not cut: half
	// of its body goes before the signal, the rest once the server is
	// draining, and the full answer must still come.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	login := `{"username":"nobody","password":"not-the-password"}`
	if _, err := fmt.Fprintf(conn, "POST /console/api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", addr, len(login), login[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the handler is reading the body

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "Shutting down"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no drain after SIGTERM:\n%s", logs.String())
		}
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("a new request was served while draining: %d", resp.StatusCode)
	}
	if _, err := conn.Write([]byte(login[10:])); err != nil {
		t.Fatalf("the in-flight request was cut: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the in-flight request: %v", err)
	}
	var fail struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	err = json.NewDecoder(resp.Body).Decode(&fail)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusUnauthorized || fail.Error.Code == "" {
		t.Fatalf("in-flight login answered %d %+v (%v), want a complete 401", resp.StatusCode, fail, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("did not stop within 15 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"Stopped"`) {
		t.Errorf("no clean stop in logs:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer that a child's output and the test may use
// at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
