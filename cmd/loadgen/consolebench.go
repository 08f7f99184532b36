package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"deputylink/models"
)

// consolePage is one page the measurement requests.
type consolePage struct {
	name, user, path string
	// optional pages (those of other parts of the console) are dropped when
	// they answer 404.
	optional bool
	lats     []time.Duration
	bad      int
}

// consoleCmd measures the console's pages on a county-year (loadgen
// county) served by a running deputylink: it signs in as bench_admin and
// bench_clerk, then requests every page --n times, one request at a time,
// in interleaved rounds (each round asks each page once), beside the bare
// /healthz and /readyz of the same server, and reports p50/p90/p99/max.
func consoleCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	base := fs.String("url", "http://127.0.0.1:8080", "the deputylink server (on this machine)")
	dbURL := fs.String("mysql", "", "the server's database (to pick an item and a reception day of bench_clerk's station)")
	n := fs.Int("n", 300, "requests per page")
	password := fs.String("password", "bench-password-1", "password of bench_admin and bench_clerk")
	if err := fs.Parse(args); err != nil || *dbURL == "" || *n < 10 {
		return errUsage
	}
	urls, err := baseURLs(*base)
	if err != nil {
		return err
	}
	u, err := url.Parse(*dbURL)
	if err != nil || u.Scheme != "mysql" || loopback(hostWithPort(u.Host, "3306")) != nil {
		return fmt.Errorf("--mysql must be a mysql:// URL on this machine")
	}
	db, err := models.Open(ctx, *dbURL, models.OpenOptions{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer models.Close(db)
	// The clerk's station, its newest accepted item and its last held day.
	var clerk models.Staff
	if err := db.WithContext(ctx).Preload("Stations").Where("username = ?", "bench_clerk").First(&clerk).Error; err != nil || len(clerk.Stations) == 0 {
		return fmt.Errorf("no bench_clerk with a station: run loadgen county first (%v)", err)
	}
	st := clerk.Stations[0].ID
	var item models.Opinion
	if err := db.WithContext(ctx).Where("station_id = ? AND status = ?", st, models.OpinionAccepted).Order("id DESC").First(&item).Error; err != nil {
		return fmt.Errorf("no accepted item at station %d: %w", st, err)
	}
	var day models.ReceptionDay
	if err := db.WithContext(ctx).Where("station_id = ? AND status = ?", st, models.DayClosed).Order("date DESC").First(&day).Error; err != nil {
		return fmt.Errorf("no held reception day at station %d: %w", st, err)
	}
	var cat models.Category
	if err := db.WithContext(ctx).Order("sort_order").First(&cat).Error; err != nil {
		return err
	}
	var opinions, bookings int64
	db.WithContext(ctx).Model(&models.Opinion{}).Count(&opinions)
	db.WithContext(ctx).Model(&models.Booking{}).Count(&bookings)
	fmt.Fprintf(stdout, "database: %d opinions, %d bookings; clerk's station %d, item %d, day %d (%s)\n", opinions, bookings, st, item.ID, day.ID, day.Date)

	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	cookies := map[string]string{}
	for _, user := range []string{"bench_admin", "bench_clerk"} {
		c, err := consoleSignIn(ctx, client, urls[0], user, *password)
		if err != nil {
			return err
		}
		cookies[user] = c
	}
	pages := []*consolePage{
		{name: "bare: /healthz", path: "/healthz"},
		{name: "bare: /readyz (pings MariaDB and Redis)", path: "/readyz"},
		{name: "inbox, admin (whole county)", user: "bench_admin", path: "/console/opinions"},
		{name: "inbox, admin, filtered (status+category)", user: "bench_admin", path: "/console/opinions?status=accepted&category=" + cat.Code},
		{name: "inbox, admin, overdue", user: "bench_admin", path: "/console/opinions?overdue=1"},
		{name: "inbox, admin, one station", user: "bench_admin", path: fmt.Sprintf("/console/opinions?station_id=%d", st)},
		{name: "inbox, clerk", user: "bench_clerk", path: "/console/opinions"},
		{name: "inbox, clerk, filtered (status)", user: "bench_clerk", path: "/console/opinions?status=closed"},
		{name: "item, clerk", user: "bench_clerk", path: fmt.Sprintf("/console/opinions/%d", item.ID)},
		{name: "desk days, clerk", user: "bench_clerk", path: "/console/desk"},
		{name: "desk day, clerk", user: "bench_clerk", path: fmt.Sprintf("/console/desk/%d", day.ID)},
		{name: "dashboard, admin (this month)", user: "bench_admin", path: "/console/dashboard"},
		{name: "dashboard, admin (this year)", user: "bench_admin", path: "/console/dashboard?period=this_year"},
		{name: "dashboard, clerk (this year)", user: "bench_clerk", path: "/console/dashboard?period=this_year"},
		{name: "manage index, admin", user: "bench_admin", path: "/console/manage"},
		{name: "manage stations, admin", user: "bench_admin", path: "/console/manage/stations"},
		{name: "manage deputies, admin", user: "bench_admin", path: "/console/manage/deputies"},
		{name: "manage staff, admin", user: "bench_admin", path: "/console/manage/staff"},
		{name: "manage codes, admin", user: "bench_admin", path: "/console/manage/codes"},
		{name: "manage outbox, admin", user: "bench_admin", path: "/console/manage/outbox"},
		{name: "exports page, clerk", user: "bench_clerk", path: "/console/exports"},
	}
	get := func(p *consolePage) (time.Duration, int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", urls[0]+p.path, nil)
		if p.user != "" {
			req.AddCookie(&http.Cookie{Name: "dl_console", Value: cookies[p.user]})
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(t0), resp.StatusCode, nil
	}
	// Warm-up, and drop the optional pages not built yet.
	live := pages[:0]
	for _, p := range pages {
		_, code, err := get(p)
		if err != nil {
			return err
		}
		switch {
		case code == http.StatusNotFound && p.optional:
			fmt.Fprintf(stdout, "skipped (404, not built yet): %s %s\n", p.name, p.path)
			continue
		case code != http.StatusOK:
			return fmt.Errorf("%s %s: %d", p.name, p.path, code)
		}
		for range 9 {
			if _, _, err := get(p); err != nil {
				return err
			}
		}
		live = append(live, p)
	}
	for range *n {
		for _, p := range live {
			d, code, err := get(p)
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				p.bad++
			}
			p.lats = append(p.lats, d)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	fmt.Fprintf(stdout, "%d requests per page, one at a time, pages interleaved\n", *n)
	fmt.Fprintf(stdout, "| page | p50 | p90 | p99 | max | p99 ÷ bare p99 | non-200 |\n|---|---|---|---|---|---|---|\n")
	var bare time.Duration
	for i, p := range live {
		slices.Sort(p.lats)
		pct := func(q float64) time.Duration { return p.lats[min(len(p.lats)-1, int(q*float64(len(p.lats))))] }
		if i == 0 {
			bare = pct(.99)
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %.1f× | %d |\n", p.name, ms(pct(.5)), ms(pct(.9)), ms(pct(.99)), ms(pct(1)),
			float64(pct(.99))/float64(max(bare, time.Microsecond)), p.bad)
	}
	return nil
}

// consoleSignIn signs in through the console's JSON login and returns the
// session cookie's value.
func consoleSignIn(ctx context.Context, client *http.Client, base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/console/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign in as %s: %d %s", user, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "dl_console" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("sign in as %s: no session cookie", user)
}
