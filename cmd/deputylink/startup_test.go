package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// swapLogs sends the logs to a buffer and the environment listing to env's
// names for the test.
func swapLogs(t *testing.T, env map[string]string) *syncBuffer {
	t.Helper()
	var logs syncBuffer
	oldOut, oldEnv := logOutput, environ
	logOutput = &logs
	environ = func() []string {
		var kv []string
		for k, v := range env {
			kv = append(kv, k+"="+v)
		}
		return kv
	}
	t.Cleanup(func() { logOutput, environ = oldOut, oldEnv })
	return &logs
}

// Ensure an unreachable MySQL, Redis or Redis Cluster (closed local ports) stops the
// start with exit 1 and a message naming the variable and host:port, and
// without the password.
func TestStartupUnreachableDatabaseOrRedis(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"mysql", map[string]string{
			"DEPUTYLINK_DATABASE_URL": "mysql://dl:Pa55word@127.0.0.1:1/deputylink",
		}, []string{"DEPUTYLINK_DATABASE_URL", "MySQL at 127.0.0.1:1"}},
		{"redis", map[string]string{
			"DEPUTYLINK_DATABASE_URL": "sqlite://" + filepath.Join(dir, "dl.db"),
			"DEPUTYLINK_REDIS_URL":    "redis://:Pa55word@127.0.0.1:1/0",
		}, []string{"DEPUTYLINK_REDIS_URL", "Redis at 127.0.0.1:1"}},
		{"redis cluster", map[string]string{
			"DEPUTYLINK_DATABASE_URL":  "sqlite://" + filepath.Join(dir, "dl.db"),
			"DEPUTYLINK_REDIS_CLUSTER": "redis://:Pa55word@127.0.0.1:1?addr=127.0.0.1:2",
		}, []string{"DEPUTYLINK_REDIS_CLUSTER", "Redis Cluster at 127.0.0.1:1,127.0.0.1:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["DEPUTYLINK_DATA_DIR"] = dir
			logs := swapLogs(t, tc.env)
			for _, cmd := range [][]string{{"migrate"}, {"serve", "--no-jobs"}} {
				var out, errb bytes.Buffer
				code := run(context.Background(), cmd, func(k string) string { return tc.env[k] }, &out, &errb)
				msg := errb.String()
				if code != 1 {
					t.Errorf("%v: exit %d, want 1; stderr %q", cmd, code, msg)
				}
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%v: stderr %q lacks %q", cmd, msg, w)
					}
				}
				if strings.Contains(msg+logs.String(), "Pa55word") {
					t.Errorf("%v: the password shows: %q %q", cmd, msg, logs.String())
				}
			}
			// Redis is reached before the schema is touched.
			if strings.Contains(logs.String(), "migrated") {
				t.Errorf("migrated before failing: %s", logs.String())
			}
		})
	}
}

// Ensure a misspelled variable is warned about at start with a suggestion,
// and production on SQLite too.
func TestStartupWarnsAboutConfiguration(t *testing.T) {
	env := map[string]string{
		"DEPUTYLINK_ENV":       "production",
		"DEPUTYLINK_DATA_DIR":  t.TempDir(),
		"DEPUTYLINK_REDIS_ULR": "redis://127.0.0.1:6379/0",
	}
	logs := swapLogs(t, env)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"jobs", "list"}, func(k string) string { return env[k] }, &out, &errb); code != 0 {
		t.Fatalf("jobs list: exit %d %s", code, errb.String())
	}
	l := logs.String()
	for _, w := range []string{"DEPUTYLINK_REDIS_ULR", "did you mean DEPUTYLINK_REDIS_URL?", "production on SQLite"} {
		if !strings.Contains(l, w) {
			t.Errorf("logs lack %q:\n%s", w, l)
		}
	}
}
