package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"deputylink/jobs"
)

// jobDeps builds what the jobs need from the app. Without WeChat
// credentials the dispatcher keeps notifications queued (retryable) rather
// than losing them.
func (a *app) jobDeps() (jobs.Deps, error) {
	d := jobs.Deps{
		DB: a.db, Redis: a.redis, Prefix: a.cfg.RedisPrefix, Log: a.log,
		Metrics: jobs.NewMetrics(a.registry), Opt: jobs.OptionsFrom(a.cfg),
	}
	if a.cfg.OA.AppID != "" || a.cfg.MP.AppID != "" {
		wc, err := a.wechatClient()
		if err != nil {
			return d, err
		}
		d.WeChat = wc
	}
	return d, nil
}

// runJobs runs the background jobs until ctx is cancelled, then waits for
// the running ones.
func (a *app) runJobs(ctx context.Context) {
	d, err := a.jobDeps()
	if err != nil {
		a.log.Error("Jobs not started", "err", err)
		<-ctx.Done()
		return
	}
	if err := jobs.NewScheduler(d, jobs.All(d.Opt)).Run(ctx); err != nil {
		a.log.Error("Scheduler stopped", "err", err)
	}
}

func jobsCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("jobs", args, stderr)
	if err != nil {
		return err
	}
	if sub == "list" {
		if err := parseFlags(newFlagSet("jobs list", stderr), args[1:]); err != nil {
			return err
		}
		cfg, _, err := loadConfig(getenv)
		if err != nil {
			return err
		}
		return listJobs(stdout, jobs.OptionsFrom(cfg))
	}
	rest, err := parseArgs(newFlagSet("jobs run", stderr), args[1:], 1)
	if err != nil {
		return err
	}
	name := rest[0]
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	d, err := a.jobDeps()
	if err != nil {
		return err
	}
	n, err := jobs.RunOnce(ctx, d, name, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d\n", name, n)
	return nil
}

// listJobs prints the jobs as a table: name, schedule, and where they run.
func listJobs(w io.Writer, opt jobs.Options) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCHEDULE\tRUNS")
	for _, j := range jobs.All(opt) {
		runs := "one process (leader lock)"
		if j.Concurrent {
			runs = "every process"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", j.Name, j.Schedule(), runs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	loc := "Asia/Shanghai"
	if opt.Location != nil {
		loc = opt.Location.String()
	}
	_, err := fmt.Fprintf(w, "\nDaily times are %s time (DEPUTYLINK_TIMEZONE).\n", loc)
	return err
}
