// Command deputylink runs the deputylink server, its background workers and
// its operator commands. Run "deputylink help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // config.DefaultTimezone must load on minimal images without zoneinfo
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

const usage = `deputylink: People's Congress liaison work in WeChat.

Usage:
  deputylink serve [--demo] [--no-jobs]   run the HTTP server (and the background jobs)
  deputylink worker                       run the background jobs only
  deputylink migrate                      bring the database schema up to date
  deputylink demo                         load the demo county (idempotent)
  deputylink jobs run NAME                run one background job once (for cron and ops)
  deputylink jobs list                    list the background jobs
  deputylink codes generate               give every deputy and station without a code one
  deputylink codes board --deputy ID --label TEXT
                                          create the code of one printed notice board
  deputylink codes images (--deputy ID | --code CODE | --all) [--force]
                                          fetch and keep the codes' WeChat images
  deputylink codes print (--deputy ID | --code CODE) [--out FILE] [--county NAME]
                                          write a printable A4 notice board (HTML)
  deputylink wechat menu [--dry-run]      publish the official account's custom menu
  deputylink admin invite --station ID --name NAME [--role clerk|head] [--ttl 72h]
                                          create a staff member and their one-time invite QR
  deputylink admin create-user --username U --role clerk|head|admin [--station ID ...] --name NAME [--password-file FILE]
                                          create a console login (password from stdin or the file)
  deputylink version                      print the version

Configuration comes from DEPUTYLINK_* environment variables; see README.md.
`

// errUsage means the command line was wrong: print usage, exit 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "deputylink: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		fs := newFlagSet("serve", stderr)
		demo := fs.Bool("demo", false, "load the demo county before serving")
		noJobs := fs.Bool("no-jobs", false, "do not run background jobs in this process")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		return serve(ctx, getenv, serveOptions{demo: *demo, jobs: !*noJobs})
	case "worker":
		if err := parseFlags(newFlagSet("worker", stderr), rest); err != nil {
			return err
		}
		return worker(ctx, getenv)
	case "migrate":
		if err := parseFlags(newFlagSet("migrate", stderr), rest); err != nil {
			return err
		}
		return migrateCmd(ctx, getenv, stdout)
	case "demo":
		if err := parseFlags(newFlagSet("demo", stderr), rest); err != nil {
			return err
		}
		return demoCmd(ctx, getenv, stdout)
	case "jobs":
		return jobsCmd(ctx, getenv, rest, stdout, stderr)
	case "codes":
		return codesCmd(ctx, getenv, rest, stdout, stderr)
	case "wechat":
		return wechatCmd(ctx, getenv, rest, stdout, stderr)
	case "admin":
		return adminCmd(ctx, getenv, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "deputylink", versionString())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "deputylink: unknown command %q\n\n", cmd)
	return errUsage
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses and refuses stray arguments, mapping both to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "deputylink %s: unexpected argument %q\n\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
