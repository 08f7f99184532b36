package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func parse(args ...string) (targetOpts, error) {
	fs := flag.NewFlagSet("target", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return parseTarget(fs, args)
}

// Ensure `target` takes the name first, then flags, with the documented
// defaults, and refuses what it cannot measure safely.
func TestParseTarget(t *testing.T) {
	o, err := parse("booking", "--bin", "/tmp/dl", "--runs", "3", "--mysql", "mysql://root@127.0.0.1:3306/ignored", "--redis", "redis://127.0.0.1:6379/5", "--keep")
	if err != nil {
		t.Fatal(err)
	}
	if o.name != "booking" || o.bin != "/tmp/dl" || o.runs != 3 || !o.keep || o.redis != "redis://127.0.0.1:6379/5" {
		t.Errorf("parsed %+v", o)
	}
	if o.mysql != "mysql://root@127.0.0.1:3306" {
		t.Errorf("server URL keeps a database path: %q", o.mysql)
	}
	if o, err = parse("all"); err != nil || o.runs != 5 || o.outboxN != 10000 || o.duration != 10*time.Second {
		t.Errorf("defaults: %+v %v", o, err)
	}
	for _, bad := range [][]string{
		{},
		{"--runs", "1"},
		{"nosuch"},
		{"push", "--runs", "0"},
		{"push", "extra"},
		{"push", "--mysql", "mysql://root@10.0.0.5:3306"},
		{"push", "--mysql", "postgres://127.0.0.1"},
		{"push", "--redis", "redis://cache.example:6379/0"},
		{"startup", "--county-db", "dl; DROP DATABASE x"},
		{"push", "--db-prefix", "a-b"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := parse("nosuch"); errors.Is(err, errUsage) || !strings.Contains(err.Error(), "booking") {
		t.Errorf("unknown target: %v (should list the targets)", err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{0.62, 0.4, 0.7, 0.55, 0.9}, 0.62}} {
		in := slices.Clone(c.in)
		if got := median(in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}

// Ensure the verdicts judge the median ratio, the p99 ratio and the
// largest peak RSS of any server, with the right comparison each.
func TestCriteria(t *testing.T) {
	rows := []targetRow{
		{run: 1, measure: "burst", figure: 60, floor: 100, p99: 130 * time.Millisecond, floorP99: 100 * time.Millisecond, rss: []procRSS{{"serve 1", 70}, {"serve 2", 71}}},
		{run: 2, measure: "burst", figure: 40, floor: 100, p99: 200 * time.Millisecond, floorP99: 100 * time.Millisecond, rss: []procRSS{{"serve 1", 80}, {"serve 2", 99.5}}},
		{run: 3, measure: "burst", figure: 62, floor: 100, p99: 120 * time.Millisecond, floorP99: 100 * time.Millisecond, rss: []procRSS{{"serve 1", 81}, {"serve 2", 90}}},
		{run: 3, measure: "other", figure: 1, floor: 100},
	}
	if got := rows[0].ratio(); got != 0.6 {
		t.Errorf("ratio %v", got)
	}
	for _, c := range []struct {
		c    criterion
		want string
	}{
		{criterion{label: "ratio", measure: "burst", value: rowRatio, limit: 0.5, atLeast: true}, "ratio median 0.60 ≥ 0.50 MET"},
		{criterion{label: "ratio", measure: "burst", value: rowRatio, limit: 0.61, atLeast: true}, "ratio median 0.60 ≥ 0.61 MISSED"},
		{criterion{label: "p99 ratio", measure: "burst", value: rowP99Ratio, limit: 1.3}, "p99 ratio median 1.30 ≤ 1.30 MET"},
		{criterion{label: "p99 (ms)", measure: "burst", value: rowP99ms, limit: 130, strict: true}, "p99 (ms) median 130 < 130 MISSED"},
		{memoryCriterion, "peak RSS max (MB) 99.5 < 100 MET"},
		{criterion{label: "x", measure: "nothing", value: rowRatio, limit: 1}, "x: not measured"},
	} {
		if got := c.c.String(rows); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	rep := &targetReport{name: "booking", rows: rows, criteria: []criterion{memoryCriterion}}
	rep.rows[1].rss[1].mb = 100
	if v := rep.verdict(); v != "booking: peak RSS max (MB) 100 < 100 MISSED" {
		t.Errorf("verdict %q", v)
	}
	rep.broken = []error{errors.New("oversold")}
	if !strings.HasSuffix(rep.verdict(), "1 GUARANTEE(S) BROKEN") {
		t.Errorf("verdict %q", rep.verdict())
	}
	var out strings.Builder
	rep.print(&out)
	if !strings.Contains(out.String(), "serve 2 100.0 MB") || !strings.Contains(out.String(), "0.60") {
		t.Errorf("table:\n%s", out.String())
	}
}

// Ensure the servers get the scratch settings and none of loadgen's own
// DEPUTYLINK_ settings.
func TestServerEnv(t *testing.T) {
	env := serverEnv([]string{"PATH=/usr/bin", "DEPUTYLINK_DATABASE_URL=mysql://root@127.0.0.1:3306/production", "DEPUTYLINK_DEV_LOGIN=1", "HOME=/root"},
		"127.0.0.1:19501", "mysql://root@127.0.0.1:3306/scratch", "redis://127.0.0.1:6379/5", "lgab:", "http://127.0.0.1:19502", "/tmp/d")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	for k, v := range map[string]string{
		"PATH": "/usr/bin", "HOME": "/root",
		"DEPUTYLINK_ADDR": "127.0.0.1:19501", "DEPUTYLINK_DATABASE_URL": "mysql://root@127.0.0.1:3306/scratch",
		"DEPUTYLINK_REDIS_URL": "redis://127.0.0.1:6379/5", "DEPUTYLINK_REDIS_PREFIX": "lgab:",
		"DEPUTYLINK_WECHAT_API_BASE": "http://127.0.0.1:19502", "DEPUTYLINK_OA_TOKEN": defaultToken,
		"DEPUTYLINK_OA_AES_KEY": defaultAESKey, "DEPUTYLINK_TPL_OPINION_STAFF": "tplOpinionStaff",
	} {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["DEPUTYLINK_DEV_LOGIN"]; ok {
		t.Error("loadgen's own DEPUTYLINK_DEV_LOGIN leaked into the server")
	}
}

// Ensure the RSS reader reads this process's VmHWM and VmRSS, peak at
// least current, and 0 for a process that does not exist.
func TestProcStatusMB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	rss, hwm := procStatusMB(os.Getpid(), "VmRSS:"), procStatusMB(os.Getpid(), "VmHWM:")
	if rss <= 1 || hwm < rss || hwm > 1<<20 {
		t.Errorf("VmRSS %.1f MB, VmHWM %.1f MB", rss, hwm)
	}
	if v := procStatusMB(1<<30, "VmHWM:"); v != 0 {
		t.Errorf("missing process: %v", v)
	}
}

func TestParseOutboxRun(t *testing.T) {
	out := []byte(`=== RUN   TestOutboxDrainBenchmark
    bench_test.go:124: time to drain            26.412s
    bench_test.go:124: rate-limit floor         24.894s (12447 calls / 500 per s): 1.06×
    bench_test.go:124: duplicates               0 delivered twice, 2 calls repeated
    bench_test.go:124: peak RSS (VmHWM)         77824 kB (whole test process, fake WeChat included)
--- PASS: TestOutboxDrainBenchmark (40.01s)`)
	r, err := parseOutboxRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.drain != 26412*time.Millisecond || r.floor != 24894*time.Millisecond || r.twice != 0 || r.repeated != 2 || r.peakMB != 76 {
		t.Errorf("%+v", r)
	}
	if _, err := parseOutboxRun([]byte("--- SKIP: TestOutboxDrainBenchmark")); err == nil {
		t.Error("a skipped run parsed")
	}
}

func TestMySQLClientArgs(t *testing.T) {
	got, err := mysqlClientArgs("mysql://bench:s3cret@127.0.0.1:3307")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--protocol=tcp", "-h", "127.0.0.1", "-P", "3307", "-u", "bench", "-ps3cret"}
	if !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	if got, _ := mysqlClientArgs("mysql://root@127.0.0.1"); !slices.Equal(got, []string{"--protocol=tcp", "-h", "127.0.0.1", "-P", "3306", "-u", "root"}) {
		t.Errorf("%q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	_, _ = io.WriteString(b, "hello ")
	_, _ = io.WriteString(b, "world!")
	if b.String() != "o world!" {
		t.Errorf("%q", b.String())
	}
}

// --server-env repeats, keeps its order and refuses what is not KEY=VALUE.
func TestParseTargetServerEnv(t *testing.T) {
	o, err := parse("booking", "--server-env", "DEPUTYLINK_MEMORY_LIMIT=80MB", "--server-env", "GOGC=200")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.serverEnv, " "); got != "DEPUTYLINK_MEMORY_LIMIT=80MB GOGC=200" {
		t.Errorf("serverEnv %q", got)
	}
	if _, err := parse("booking", "--server-env", "NOEQUALS"); err == nil {
		t.Error("--server-env NOEQUALS accepted")
	}
}
