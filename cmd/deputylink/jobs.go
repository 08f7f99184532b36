package main

import (
	"context"
	"fmt"
	"io"
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
	if len(args) == 1 && args[0] == "list" {
		cfg, _, err := loadConfig(getenv)
		if err != nil {
			return err
		}
		for _, j := range jobs.All(jobs.OptionsFrom(cfg)) {
			fmt.Fprintf(stdout, "%-16s every %s\n", j.Name, j.Every)
		}
		return nil
	}
	if len(args) != 2 || args[0] != "run" {
		fmt.Fprintln(stderr, "deputylink jobs: want 'jobs list' or 'jobs run NAME'")
		return errUsage
	}
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	d, err := a.jobDeps()
	if err != nil {
		return err
	}
	n, err := jobs.RunOnce(ctx, d, args[1], time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d\n", args[1], n)
	return nil
}
