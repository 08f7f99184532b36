// Command deputylink runs the deputylink server, its background workers and
// its operator commands. Run "deputylink help" for the list.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // config.DefaultTimezone must load on minimal images without zoneinfo
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	var help helpText
	var wrong usageText
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		fmt.Fprint(stdout, string(help))
		return 0
	case errors.As(err, &wrong):
		fmt.Fprint(stderr, string(wrong))
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, mainUsage())
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
		demo := fs.Bool("demo", false, "load the demo county before serving (add DEPUTYLINK_DEV_LOGIN=1 to sign the mini-program in without WeChat)")
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
		if err := parseFlags(newFlagSet("version", stderr), rest); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "deputylink", versionString())
		return nil
	case "help", "--help", "-h", "-help":
		return helpCmd(ctx, getenv, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "deputylink: unknown command %q\n\n", cmd)
	return errUsage
}

// helpCmd prints the general help, or with a command the command's.
func helpCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		return helpText(mainUsage())
	}
	name := strings.Join(args, " ")
	if _, ok := findCommand(name); !ok && !slices.Contains(groups, name) {
		fmt.Fprintf(stderr, "deputylink help: unknown command %q\n\n", name)
		return errUsage
	}
	if name == "help" {
		return helpText(mainUsage())
	}
	return dispatch(ctx, append(slices.Clone(args), "--help"), getenv, stdout, stderr)
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
