package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"deputylink/handlers"
	"deputylink/models"
	"deputylink/models/broadcasts"
	"deputylink/models/reviews"
)

type serveOptions struct {
	demo bool
	jobs bool
}

// serve runs the HTTP server until SIGINT/SIGTERM, then stops accepting,
// drains in-flight requests (up to DEPUTYLINK_SHUTDOWN_TIMEOUT, default 10 s),
// waits for running jobs and closes the database and Redis.
func serve(ctx context.Context, getenv func(string) string, opt serveOptions) error {
	started := time.Now()
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	a.setMemoryLimit(getenv)
	if n, err := a.restoreRedisSnapshot(); err != nil {
		// Voters sign in again; nothing else depends on the file.
		a.log.Warn("Restoring the in-process Redis failed", "err", err)
	} else if n > 0 {
		a.log.Info("In-process Redis restored", "keys", n, "file", a.snapshotPath())
	}
	if opt.demo {
		st, err := models.LoadDemo(ctx, a.db)
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		if err := models.LoadDemoReception(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
			return fmt.Errorf("load demo reception days: %w", err)
		}
		rs, err := models.LoadDemoRecords(ctx, a.db, time.Now(), a.cfg.Timezone)
		if err != nil {
			return err
		}
		if _, err := broadcasts.LoadDemo(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
			return err
		}
		if err := a.loadDemoReviews(ctx); err != nil {
			return err
		}
		res, err := models.LoadDemoResults(ctx, a.db, time.Now(), a.cfg.Timezone)
		if err != nil {
			return err
		}
		a.log.Info("Demo data ready", "stations", st.Stations, "deputies", st.Deputies, "created", st.Created(),
			"records_created", rs.Created(), "opinions_created", res.Opinions, "results_published", res.Published)
		if !a.cfg.DevLogin {
			a.log.Info("To run the mini-program against this demo without a real AppID, restart with DEPUTYLINK_DEV_LOGIN=1: " +
				"POST /api/v1/session/dev {\"user\": \"demo-1\"} then signs in as a demo voter (never in production)")
		}
	}

	deps, err := a.handlerDeps()
	if err != nil {
		return err
	}
	// The dummy hash of unknown console usernames, made before the first
	// login needs it (a first one that took longer would tell).
	go models.WarmPasswordCheck()
	router := handlers.NewRouter(deps)
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (DEPUTYLINK_ADDR): %w", a.cfg.Addr, err)
	}
	// DEPUTYLINK_METRICS_ADDR: /metrics on its own listener (the router
	// then has none).
	var metricsSrv *http.Server
	if a.cfg.Metrics.Addr != "" {
		mln, err := net.Listen("tcp", a.cfg.Metrics.Addr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen on %s (DEPUTYLINK_METRICS_ADDR): %w", a.cfg.Metrics.Addr, err)
		}
		metricsSrv = &http.Server{
			Handler:           handlers.NewMetricsRouter(a.registry, a.cfg.Metrics.Token.Value(), a.log),
			ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Warn("Metrics server stopped", "err", err)
			}
		}()
		a.log.Info("Serving /metrics on its own address", "addr", mln.Addr().String(), "token", a.cfg.Metrics.Token != "")
	}

	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var jobsDone sync.WaitGroup
	if opt.jobs {
		jobsDone.Go(func() { a.runJobs(jobsCtx) })
	}

	var snapshots sync.WaitGroup
	if a.mini != nil {
		snapshots.Go(func() { a.snapshotRedisLoop(jobsCtx) })
	}
	if a.cfg.DebugAddr != "" {
		go a.serveDebug()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("Serving", "addr", ln.Addr().String(), "startup_ms", time.Since(started).Milliseconds(), "jobs", opt.jobs)

	select {
	case err := <-serveErr:
		stopJobs()
		jobsDone.Wait()
		snapshots.Wait()
		a.finalRedisSnapshot()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("Shutting down: draining requests", "timeout", a.cfg.ShutdownTimeout)
	shCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shCtx)
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shCtx)
	}
	stopJobs()
	jobsDone.Wait()
	snapshots.Wait()
	a.finalRedisSnapshot()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("Stopped")
	return nil
}

// worker runs only the background jobs, for scale-out.
func worker(ctx context.Context, getenv func(string) string) error {
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	a.setMemoryLimit(getenv)
	a.log.Info("Worker running")
	a.runJobs(ctx)
	a.log.Info("Worker stopped")
	return nil
}

func migrateCmd(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	a, err := openApp(ctx, getenv, false)
	if err != nil {
		return err
	}
	defer a.close()
	n, err := models.Migrate(ctx, a.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d (%d migrations applied)\n", models.SchemaVersion(), n)
	return nil
}

func demoCmd(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	st, err := models.LoadDemo(ctx, a.db)
	if err != nil {
		return err
	}
	if err := models.LoadDemoReception(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
		return err
	}
	if _, err := models.LoadDemoRecords(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
		return err
	}
	if _, err := broadcasts.LoadDemo(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
		return err
	}
	if err := a.loadDemoReviews(ctx); err != nil {
		return err
	}
	if _, err := models.LoadDemoResults(ctx, a.db, time.Now(), a.cfg.Timezone); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo county loaded: %d stations, %d communities, %d deputies, %d codes (%d rows created)\n",
		st.Stations, st.Communities, st.Deputies, st.Codes, st.Created())
	return nil
}

// handlerDeps wires the HTTP layer.
func (a *app) handlerDeps() (handlers.Deps, error) {
	d := handlers.Deps{
		DB: a.db, Redis: a.redis, RedisPrefix: a.cfg.RedisPrefix, Log: a.log, Registry: a.registry,
		BodyLimit: a.cfg.BodyLimit, Location: a.cfg.Timezone, Version: versionString(),
		Limits:  handlers.DefaultRateLimits(),
		DataDir: a.cfg.DataDir, Notify: a.cfg.Notify, OpinionNotify: a.cfg.OpinionNotify, DeputyNotify: a.cfg.DeputyNotify,
		Routes:  &models.RouteWorldCache{TTL: time.Minute},
		Metrics: handlers.MetricsAccess{Token: a.cfg.Metrics.Token.Value(), Elsewhere: a.cfg.Metrics.Addr != ""},
		OA: handlers.OAConfig{
			AppID: a.cfg.OA.AppID, Token: a.cfg.OA.Token.Value(), AESKey: a.cfg.OA.AESKey.Value(),
			MPAppID: a.cfg.MP.AppID,
		},
		OAVerify: handlers.OAVerifyFile{Name: a.cfg.OA.VerifyFile, Content: a.cfg.OA.VerifyContent},
		Slips:    handlers.SlipLinks{VerifyName: a.cfg.MP.QRVerifyFile, VerifyContent: a.cfg.MP.QRVerifyContent, MPName: a.cfg.MP.Name},
		DevLogin: a.cfg.DevLogin, ResultsMinSample: a.cfg.ResultsMinSample,
		MaxRequests: a.cfg.MaxRequests,
	}
	var err error
	if d.Sealer, err = a.sealer(); err != nil {
		return d, err
	}
	if d.Ballots, err = a.ballotKeyer(); err != nil {
		return d, err
	}
	if a.cfg.OA.AppID != "" || a.cfg.MP.AppID != "" {
		wc, err := a.wechatClient()
		if err != nil {
			return d, err
		}
		if a.cfg.MP.AppID != "" {
			d.MP = wc
		}
		if a.cfg.OA.AppID != "" {
			d.WebAuth = wc
		}
	}
	return d, nil
}

// serveDebug serves pprof on DEPUTYLINK_DEBUG_ADDR for profiling in place.
func (a *app) serveDebug() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Addr: a.cfg.DebugAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("Debug server (pprof)", "addr", a.cfg.DebugAddr)
	if err := srv.ListenAndServe(); err != nil {
		a.log.Warn("Debug server stopped", "err", err)
	}
}

// loadDemoReviews loads the demo's reviews (after the records) and logs
// the slip codes of its open review, for the mini-program's demo.
func (a *app) loadDemoReviews(ctx context.Context) error {
	k, err := a.ballotKeyer()
	if err != nil {
		return err
	}
	st, err := reviews.LoadDemoReviews(ctx, a.db, k, time.Now(), a.cfg.Timezone)
	if err != nil {
		return fmt.Errorf("load demo reviews: %w", err)
	}
	a.log.Info("Demo review open: scan a slip in the mini-program", "review", st.OpenReviewID,
		"slips", reviews.DemoSlipCode(0)+" … "+reviews.DemoSlipCode(reviews.DemoSlips-1), "qr", reviews.SlipLink(a.cfg.OpinionNotify.PublicURL, reviews.DemoSlipCode(0)),
		"reviews_created", st.Reviews, "ballots_created", st.Ballots)
	return nil
}
