package main

import (
	"deputylink/jobs"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// command is the help of one command line.
type command struct {
	name     string // "codes board"
	synopsis string // what follows the name: "--deputy ID --label TEXT"
	summary  string // one line, lower case
}

// commands lists every command; the usage texts are made from it and the
// tests walk it, so a command missing here has no help and fails them.
var commands = []command{
	{"serve", "[--demo] [--no-jobs]", "run the HTTP server (and the background jobs)"},
	{"worker", "", "run the background jobs only"},
	{"migrate", "", "bring the database schema up to date"},
	{"demo", "", "load the demo county (idempotent)"},
	{"jobs list", "", "list the background jobs and their schedules"},
	{"jobs run", "NAME", "run one background job once (for cron and ops)"},
	{"codes generate", "", "give every deputy and station without a code one"},
	{"codes board", "--deputy ID --label TEXT", "create the code of one printed notice board"},
	{"codes images", "(--deputy ID | --code CODE | --all) [--force]", "fetch and keep the codes' WeChat images"},
	{"codes print", "(--deputy ID | --code CODE) [--out FILE] [--county NAME]", "write a printable A4 notice board (HTML)"},
	{"wechat menu", "[--dry-run]", "publish the official account's custom menu"},
	{"wechat push", "--url URL --openid OPENID (--event EVENT [--scene CODE] | --text TEXT)",
		"send a running server a push signed (and encrypted) as WeChat would, print the reply"},
	{"admin invite", "--station ID --name NAME [--role clerk|head] [--ttl 72h]", "create a staff member and their one-time invite QR"},
	{"admin create-user", "--username U --role clerk|head|admin [--station ID ...] --name NAME [--password-file FILE]",
		"create a console login (password typed, piped in, or from the file)"},
	{"version", "", "print the version"},
	{"help", "[COMMAND]", "print this help, or a command's"},
}

// groups are the commands that only take a subcommand.
var groups = []string{"jobs", "codes", "wechat", "admin"}

func findCommand(name string) (command, bool) {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

// errUsage means the command line was wrong: print the general usage, exit 2.
var errUsage = errors.New("usage")

// usageText is a wrong command line: run prints the text on stderr and
// exits 2. It counts as errUsage for errors.Is.
type usageText string

func (usageText) Error() string        { return "usage" }
func (usageText) Is(target error) bool { return target == errUsage }

// helpText is a request for help: run prints the text on stdout and exits 0.
type helpText string

func (helpText) Error() string { return "help" }

// listing renders commands as the lines of a usage text.
func listing(cmds []command) string {
	var b strings.Builder
	for _, c := range cmds {
		line := "  deputylink " + c.name
		if c.synopsis != "" {
			line += " " + c.synopsis
		}
		if len(line) <= 40 {
			fmt.Fprintf(&b, "%-42s%s\n", line, c.summary)
		} else {
			fmt.Fprintf(&b, "%s\n%42s%s\n", line, "", c.summary)
		}
	}
	return b.String()
}

// mainUsage is the usage of deputylink itself.
func mainUsage() string {
	return "deputylink: People's Congress liaison work in WeChat.\n\nUsage:\n" + listing(commands) +
		"\nRun \"deputylink COMMAND --help\" for a command's flags.\n" +
		"Configuration comes from DEPUTYLINK_* environment variables; see README.md.\n"
}

// groupUsage is the usage of a command that takes a subcommand.
func groupUsage(group string) string {
	var sub []command
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			sub = append(sub, c)
		}
	}
	return "Usage:\n" + listing(sub) + "\nRun \"deputylink " + group + " COMMAND --help\" for a command's flags.\n"
}

// commandUsage is the usage of the leaf command fs parses (named after it).
func commandUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	c, _ := findCommand(fs.Name())
	b.WriteString("Usage: deputylink " + fs.Name())
	if c.synopsis != "" {
		b.WriteString(" " + c.synopsis)
	}
	b.WriteString("\n")
	if c.summary != "" {
		b.WriteString("\n" + strings.ToUpper(c.summary[:1]) + c.summary[1:] + ".\n")
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("\nFlags:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			arg, text := flag.UnquoteUsage(f)
			if arg != "" {
				arg = " " + arg
			}
			if def := f.DefValue; def != "" && def != "0" && def != "false" {
				if d, err := time.ParseDuration(def); err == nil {
					def = jobs.ShortDuration(d)
				}
				text += " (default " + def + ")"
			}
			fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, arg, text)
		})
		_ = tw.Flush()
	}
	return b.String()
}

// usageOf is the error of a wrong command line for the command fs parses.
func usageOf(fs *flag.FlagSet) error { return usageText(commandUsage(fs)) }

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// parseFlags prints the usage itself: on stdout for --help.
	fs.Usage = func() {}
	return fs
}

// parseFlags parses a command's flags and refuses stray arguments.
// --help/-h is a helpText, a bad flag or argument a usageText.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseArgs(fs, args, 0)
	return err
}

// parseArgs is parseFlags for a command taking exactly n arguments after
// its flags.
func parseArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, helpText(commandUsage(fs))
		}
		// fs has printed the reason ("flag provided but not defined").
		fmt.Fprintln(fs.Output())
		return nil, usageOf(fs)
	}
	rest := fs.Args()
	if slices.ContainsFunc(rest, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" }) {
		return nil, helpText(commandUsage(fs))
	}
	switch {
	case len(rest) > n:
		fmt.Fprintf(fs.Output(), "deputylink %s: unexpected argument %q\n\n", fs.Name(), rest[n])
		return nil, usageOf(fs)
	case len(rest) < n:
		c, _ := findCommand(fs.Name())
		fmt.Fprintf(fs.Output(), "deputylink %s: missing %s\n\n", fs.Name(), c.synopsis)
		return nil, usageOf(fs)
	}
	return rest, nil
}

// subcommand checks the subcommand of group in args: help for --help,
// a usage error for none or an unknown one.
func subcommand(group string, args []string, stderr io.Writer) (string, error) {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "deputylink %s: which one?\n\n", group)
		return "", usageText(groupUsage(group))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return "", helpText(groupUsage(group))
	}
	if _, ok := findCommand(group + " " + args[0]); !ok {
		fmt.Fprintf(stderr, "deputylink %s: unknown command %q\n\n", group, args[0])
		return "", usageText(groupUsage(group))
	}
	return args[0], nil
}
