package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return code, out.String(), errb.String()
}

// Ensure every command and command group prints its own usage on stdout
// and exits 0 for --help and -h, and prints usage on stderr and exits 2
// for an unknown flag, without touching the database or the network.
func TestEveryCommandHelpAndUnknownFlag(t *testing.T) {
	var lines [][]string
	for _, c := range commands {
		lines = append(lines, strings.Fields(c.name))
	}
	for _, g := range groups {
		lines = append(lines, []string{g})
	}
	lines = append(lines, nil) // deputylink itself
	for _, words := range lines {
		name := strings.Join(append([]string{"deputylink"}, words...), " ")
		t.Run(name, func(t *testing.T) {
			want := "Usage: " + name
			switch {
			case len(words) == 0:
				want = "Usage:\n  deputylink serve"
			case len(words) == 1 && isGroup(words[0]):
				want = "Usage:\n  " + name + " "
			case words[0] == "help":
				want = "Usage:\n  deputylink serve"
			}
			for _, h := range []string{"--help", "-h"} {
				code, out, errs := runArgs(append(words, h)...)
				if code != 0 || !strings.Contains(out, want) || errs != "" {
					t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", name, h, code, out, errs, want)
				}
			}
			code, out, errs := runArgs(append(words, "--no-such-flag")...)
			if code != 2 || out != "" || !strings.Contains(errs, "Usage:") {
				t.Errorf("%s --no-such-flag: exit %d, stdout %q, stderr %q; want 2 and usage on stderr", name, code, out, errs)
			}
		})
	}
}

func isGroup(w string) bool {
	for _, g := range groups {
		if g == w {
			return true
		}
	}
	return false
}

func TestUsageMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:\n  deputylink serve"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"jobs"}, "deputylink jobs list"},
		{[]string{"jobs", "frob"}, `deputylink jobs: unknown command "frob"`},
		{[]string{"jobs", "run"}, "missing NAME"},
		{[]string{"jobs", "run", "a", "b"}, `unexpected argument "b"`},
		{[]string{"migrate", "extra"}, "Usage: deputylink migrate"},
		{[]string{"codes", "board", "--deputy", "3"}, "--deputy and --label are required"},
		{[]string{"admin", "invite", "--station", "1", "--name", "甲", "--role", "boss"}, "Usage: deputylink admin invite"},
		{[]string{"wechat", "push", "--url", "http://127.0.0.1:1/wechat/official"}, "--url and --openid are required"},
		{[]string{"wechat", "push", "--url", "http://x/", "--openid", "o1", "--event", "scan"}, "a scan event needs --scene"},
		{[]string{"help", "frob"}, `unknown command "frob"`},
	} {
		code, out, errs := runArgs(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d stdout %q stderr %q; want 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	// help COMMAND is COMMAND --help.
	code, out, _ := runArgs("help", "codes", "print")
	if code != 0 || !strings.Contains(out, "Usage: deputylink codes print") || !strings.Contains(out, "--county") {
		t.Errorf("help codes print: %d %q", code, out)
	}
}

// Ensure "jobs list" is a table with each job's real schedule.
func TestJobsList(t *testing.T) {
	env := map[string]string{"DEPUTYLINK_DIGEST_HOUR": "7", "DEPUTYLINK_JOBS_TICK": "500ms", "DEPUTYLINK_DATA_DIR": t.TempDir()}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"jobs", "list"}, func(k string) string { return env[k] }, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	col := strings.Index(lines[0], "SCHEDULE")
	if !strings.HasPrefix(lines[0], "NAME ") || col < 0 {
		t.Fatalf("header %q", lines[0])
	}
	rows := map[string]string{}
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		if len(l) < col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row not aligned with the header: %q", l)
			continue
		}
		rows[strings.Fields(l)[0]] = strings.TrimSpace(l[col:])
	}
	for name, want := range map[string]string{
		"dispatch":             "every 500ms",
		"stuck-digest":         "daily 07:00",
		"outbox-gauges":        "every 15s",
		"opinion-overdue":      "every 10m",
		"opinion-ask-result":   "hourly",
		"reception-reminders":  "daily 18:00",
		"staff-roster":         "daily 17:00",
		"reception-days":       "daily 02:00",
		"close-reception-days": "daily 01:00",
	} {
		if !strings.HasPrefix(rows[name], want+" ") {
			t.Errorf("%s: %q, want it to start with %q", name, rows[name], want)
		}
	}
	if !strings.Contains(rows["dispatch"], "every process") || !strings.Contains(rows["stuck-digest"], "leader lock") {
		t.Errorf("where they run: %q %q", rows["dispatch"], rows["stuck-digest"])
	}
	if !strings.Contains(out.String(), "Asia/Shanghai") {
		t.Errorf("no time zone: %s", out.String())
	}
}
