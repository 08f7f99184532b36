package jobs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"
)

// TestWorkersSurviveKill9 builds the deputylink binary and runs two
// `deputylink worker` processes against one MariaDB, one Redis and the fake
// WeChat with 2,000 queued notifications. One worker is killed with SIGKILL
// mid-run and started again. Every notification must be delivered, none
// twice: the killed worker's claimed rows come back when their lease ends,
// and a send that was in flight when it died is re-sent with the same
// client_msg_id, which WeChat (and the fake) deliver only once.
//
// It needs MariaDB/MySQL (DEPUTYLINK_TEST_MYSQL): two processes cannot share
// an SQLite file the way they share a server. Skipped with -short.
func TestWorkersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if !modelstest.OnMySQL() {
		t.Skip("needs " + modelstest.EnvMySQL + ": two worker processes share one MySQL/MariaDB")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deputylink")
	build := exec.Command("go", "build", "-o", bin, "./cmd/deputylink")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/deputylink: %v\n%s", err, out)
	}

	dbURL := modelstest.URL(t)
	db := modelstest.Open(t, dbURL)
	tr := wechattest.NewRedis(t)
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	fake.SetFollowAll(true)
	fake.SetLatency(2 * time.Millisecond) // so sends are in flight when the kill lands
	const n = 2000
	ids := enqueueTemplates(t, db, n, "mp", time.Now())

	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DEPUTYLINK_DATABASE_URL=" + dbURL,
		tr.ServerEnv(),
		"DEPUTYLINK_REDIS_PREFIX=" + tr.Prefix,
		"DEPUTYLINK_WECHAT_API_BASE=" + fake.URL(),
		"DEPUTYLINK_OA_APPID=" + wechattest.DefaultOAAppID,
		"DEPUTYLINK_OA_SECRET=" + wechattest.DefaultOASecret,
		"DEPUTYLINK_SEND_RATE=500",
		"DEPUTYLINK_SEND_LEASE=3s",
		"DEPUTYLINK_JOBS_TICK=200ms",
		"DEPUTYLINK_DATA_DIR=" + filepath.Join(dir, "data"),
		"DEPUTYLINK_LOG_LEVEL=info",
		"DEPUTYLINK_ADDR=127.0.0.1:0", // in case a worker serves /metrics
	}
	type proc struct {
		cmd  *exec.Cmd
		logs *bytes.Buffer
	}
	var procs []*proc
	start := func(name string) *proc {
		t.Helper()
		p := &proc{cmd: exec.Command(bin, "worker"), logs: &bytes.Buffer{}}
		p.cmd.Env = env
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		procs = append(procs, p)
		return p
	}
	t.Cleanup(func() {
		for _, p := range procs {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
		if t.Failed() {
			for i, p := range procs {
				t.Logf("worker %d output:\n%s", i, tail(p.logs.String(), 3000))
			}
		}
	})
	sentRows := func() int64 { return statusCounts(t, db)[models.NotifySent] }

	a := start("worker A")
	start("worker B")
	until(t, 60*time.Second, "the first 300 deliveries", func() bool { return len(fake.Templates()) >= 300 })
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	killedAt := len(fake.Templates())
	t.Logf("killed worker A after %d deliveries; %d rows sending", killedAt, statusCounts(t, db)[models.NotifySending])
	time.Sleep(500 * time.Millisecond)
	start("worker A again")
	until(t, 90*time.Second, "every notification sent", func() bool { return sentRows() == n })

	// Stop the survivors gracefully.
	for _, p := range procs[1:] {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, p := range procs[1:] {
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker did not stop cleanly: %v", err)
			}
		case <-ctx.Done():
			t.Error("worker did not stop within 15 s of SIGTERM")
		}
	}

	counts := statusCounts(t, db)
	if counts[models.NotifySent] != n {
		t.Fatalf("statuses: %v", counts)
	}
	st := templateStats(t, fake)
	st.checkExactlyOnce(t, ids)
	resent := 0
	for _, c := range st.okCalls {
		if c > 1 {
			resent += c - 1
		}
	}
	// Only sends in flight at the kill (at most 8 per worker) may be
	// repeated; more would mean rows were claimed twice without a kill.
	if resent > 16 {
		t.Errorf("%d sends repeated (absorbed by client_msg_id); only the killed worker's in-flight sends may be", resent)
	}
	t.Logf("%d notifications delivered once each; %d calls, %d repeated after the kill", n, st.calls, resent)
	for i, p := range procs {
		runs := strings.Count(p.logs.String(), "job=dispatch")
		t.Logf("worker %d logged %d dispatcher runs that sent something", i, runs)
		if runs == 0 && i == 1 {
			t.Errorf("worker B never dispatched:\n%s", tail(p.logs.String(), 2000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
