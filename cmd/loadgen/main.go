// Command loadgen measures deputylink: start-up and idle memory, the
// official-account push endpoint under a fixed request rate or saturation,
// booking bursts, opinion filing, uploads and console pages. It also serves
// the "protocol floor": a bare gin handler that only verifies, decrypts and
// answers a fixed encrypted reply, the baseline the push endpoint is
// compared with in the same run. `loadgen target` runs each issue-18 target
// against its floor in one command (docs/BENCHMARKS.md, "Issue 18 targets:
// one command each").
//
// It only ever talks to addresses on this machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `loadgen: measure deputylink on this machine.

Usage:
  loadgen floor   --addr 127.0.0.1:18090 [--token T --aes-key K --appid A]
  loadgen startup --bin ./deputylink [--runs 5]
  loadgen push    --url http://127.0.0.1:8080/wechat/official --codes C1,C2 [--rate 1000] [--duration 20s] [--concurrency 64] [--voters 5000]
                  [--compare http://127.0.0.1:18090/wechat/official --rounds 5]  (alternate rounds with the floor)
  loadgen fakewechat --addr 127.0.0.1:18091
  loadgen booking --url http://127.0.0.1:8080[,http://127.0.0.1:8081] --voters 2000 --seats 100 --mysql mysql://root@127.0.0.1:3306/DB [--waitlist 0] [--consent TPL] [--slot ID] [--baseline-conns 20]
  loadgen opinion --url http://127.0.0.1:8080[,…] --voters 500 --per-voter 2 --mysql mysql://root@127.0.0.1:3306/DB [--rate 500] (floors: bare opinion+outbox insert, numbered insert)
  loadgen county  --mysql mysql://root@127.0.0.1:3306/EMPTYDB [--scale 1] [--seed 14]  (a county-year: 76 stations, 400 deputies, 50,000 opinions, 20,000 bookings)
  loadgen console --url http://127.0.0.1:8080 --mysql mysql://root@127.0.0.1:3306/DB [--n 300]  (console pages' p50/p99 beside a bare page)
  loadgen target  push|booking|opinion|outbox|startup|all --bin ./deputylink [--runs 5] [--mysql mysql://root@127.0.0.1:3306]
                  [--redis redis://127.0.0.1:6379/N] [--keep] [--county-db DB] [--outbox-test jobs.test]
                  (issue 18: scratch database, fake WeChat, servers, the measurement and its floor alternately, verdicts)
  loadgen uploads --bin ./deputylink [--compare ./deputylink.old] [--n 24] [--rounds 1]  (image bombs: peak RSS, latency)
`

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "floor":
		return floorCmd(ctx, fs, args[1:], stdout)
	case "startup":
		return startupCmd(ctx, fs, args[1:], stdout)
	case "push":
		return pushCmd(ctx, fs, args[1:], stdout)
	case "fakewechat":
		return fakeWeChatCmd(ctx, fs, args[1:], stdout)
	case "booking":
		return bookingCmd(ctx, fs, args[1:], stdout)
	case "opinion":
		return opinionCmd(ctx, fs, args[1:], stdout)
	case "uploads":
		return uploadsCmd(ctx, fs, args[1:], stdout)
	case "county":
		return countyCmd(ctx, fs, args[1:], stdout)
	case "target":
		return targetCmd(ctx, fs, args[1:], stdout)
	case "console":
		return consoleCmd(ctx, fs, args[1:], stdout)
	}
	return errUsage
}

// Demo WeChat push credentials shared by loadgen and the server it measures.
// They are WeChat's published sample values, never real secrets.
const (
	defaultToken  = "spamtest"
	defaultAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	defaultAppID  = "wx2c2769f8efd9abc2"
)
