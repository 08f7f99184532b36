package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// startupCmd starts the deputylink binary on a fresh embedded database with
// the demo data, measures the time to a 200 from /healthz and the resident
// memory after it has idled, and does the same for the bare floor server in
// the same run as the baseline.
func startupCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	bin := fs.String("bin", "./deputylink", "deputylink binary")
	runs := fs.Int("runs", 5, "runs of each")
	idle := fs.Duration("idle", 5*time.Second, "idle time before reading memory")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	type result struct{ start, rss []float64 }
	measure := func(name string, argv func(addr, dir string) []string, env func(addr, dir string) []string) (result, error) {
		var res result
		for i := range *runs {
			dir, err := os.MkdirTemp("", "loadgen-startup")
			if err != nil {
				return res, err
			}
			addr := freeAddr()
			a := argv(addr, dir)
			cmd := exec.CommandContext(ctx, a[0], a[1:]...)
			cmd.Env = append(os.Environ(), env(addr, dir)...)
			t0 := time.Now()
			if err := cmd.Start(); err != nil {
				return res, err
			}
			if err := waitHealthy("http://"+addr+"/healthz", 30*time.Second); err != nil {
				_ = cmd.Process.Kill()
				return res, fmt.Errorf("%s run %d: %w", name, i, err)
			}
			res.start = append(res.start, float64(time.Since(t0).Microseconds())/1000)
			time.Sleep(*idle)
			res.rss = append(res.rss, rssMB(cmd.Process.Pid))
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
			os.RemoveAll(dir)
		}
		return res, nil
	}
	dl, err := measure("deputylink", func(addr, dir string) []string { return []string{*bin, "serve", "--demo"} },
		func(addr, dir string) []string {
			return []string{"DEPUTYLINK_ADDR=" + addr, "DEPUTYLINK_DATA_DIR=" + dir,
				"DEPUTYLINK_DATABASE_URL=sqlite://" + filepath.Join(dir, "dl.db"), "DEPUTYLINK_LOG_LEVEL=warn"}
		})
	if err != nil {
		return err
	}
	fl, err := measure("floor", func(addr, dir string) []string { return []string{self, "floor", "--addr", addr} },
		func(string, string) []string { return nil })
	if err != nil {
		return err
	}
	med := func(v []float64) float64 {
		s := append([]float64(nil), v...)
		for i := range s {
			for j := i + 1; j < len(s); j++ {
				if s[j] < s[i] {
					s[i], s[j] = s[j], s[i]
				}
			}
		}
		return s[len(s)/2]
	}
	fmt.Fprintf(stdout, "%-44s %10s %10s\n", "", "start ms", "idle RSS MB")
	fmt.Fprintf(stdout, "%-44s %10.0f %10.1f\n", "deputylink serve --demo (fresh SQLite + demo)", med(dl.start), med(dl.rss))
	fmt.Fprintf(stdout, "%-44s %10.0f %10.1f\n", "baseline: bare gin floor server", med(fl.start), med(fl.rss))
	fmt.Fprintf(stdout, "%-44s %10.1fx %9.1fx\n", "ratio", med(dl.start)/med(fl.start), med(dl.rss)/med(fl.rss))
	fmt.Fprintf(stdout, "runs=%d medians; raw deputylink start=%v rss=%v\n", *runs, dl.start, dl.rss)
	return nil
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:18099"
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy within %s", u, limit)
}

// rssMB reads VmRSS from /proc (Linux).
func rssMB(pid int) float64 { return procStatusMB(pid, "VmRSS:") }
