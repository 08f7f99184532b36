package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// burstProbe takes what a booking burst cost, around the burst: the
// MariaDB statement counters (SHOW GLOBAL STATUS LIKE 'Com_%'), the Redis
// commands (INFO commandstats) and, from each server's pprof
// (DEPUTYLINK_DEBUG_ADDR), a CPU profile of the burst and the allocations
// it made. The counters are the whole server's: run the burst on a
// database and Redis nobody else is using, or read them as an upper bound.
type burstProbe struct {
	sqlDB   *sql.DB
	rdb     *redis.Client
	debug   []string // pprof base URLs, one per server
	dir     string   // where profiles are written
	seconds int      // CPU profile length

	com0, rcmd0 map[string]int64
	cpu         sync.WaitGroup
	cpuErrs     []error
}

// start reads the counters and begins the CPU profiles; the burst follows.
func (p *burstProbe) start(ctx context.Context) error {
	var err error
	if p.sqlDB != nil {
		if p.com0, err = mysqlCom(ctx, p.sqlDB); err != nil {
			return err
		}
	}
	if p.rdb != nil {
		if p.rcmd0, err = redisCommandStats(ctx, p.rdb); err != nil {
			return err
		}
	}
	for i, base := range p.debug {
		if err := fetchTo(ctx, base+"/debug/pprof/allocs", filepath.Join(p.dir, fmt.Sprintf("allocs-before-%d.pb.gz", i+1))); err != nil {
			return err
		}
	}
	p.cpuErrs = make([]error, len(p.debug))
	for i, base := range p.debug {
		p.cpu.Go(func() {
			p.cpuErrs[i] = fetchTo(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, p.seconds),
				filepath.Join(p.dir, fmt.Sprintf("cpu-%d.pb.gz", i+1)))
		})
	}
	if len(p.debug) > 0 {
		time.Sleep(100 * time.Millisecond) // the profiles have begun
	}
	return nil
}

// finish reads the counters again (the burst is over), waits for the
// profiles and prints the differences per request and per confirmed
// booking.
func (p *burstProbe) finish(ctx context.Context, requests, confirmed int, w io.Writer) error {
	if p.sqlDB != nil {
		com1, err := mysqlCom(ctx, p.sqlDB)
		if err != nil {
			return err
		}
		printDelta(w, "MariaDB Com_", p.com0, com1, requests, confirmed)
	}
	if p.rdb != nil {
		r1, err := redisCommandStats(ctx, p.rdb)
		if err != nil {
			return err
		}
		printDelta(w, "Redis", p.rcmd0, r1, requests, confirmed)
	}
	p.cpu.Wait()
	for i, base := range p.debug {
		if p.cpuErrs[i] != nil {
			return p.cpuErrs[i]
		}
		if err := fetchTo(ctx, base+"/debug/pprof/allocs", filepath.Join(p.dir, fmt.Sprintf("allocs-after-%d.pb.gz", i+1))); err != nil {
			return err
		}
	}
	if len(p.debug) > 0 {
		fmt.Fprintf(w, "profiles of %d servers in %s: go tool pprof -top cpu-N.pb.gz; go tool pprof -sample_index=alloc_space -base allocs-before-N.pb.gz allocs-after-N.pb.gz\n",
			len(p.debug), p.dir)
	}
	return nil
}

// printDelta prints every counter that moved, per request and per
// confirmed booking.
func printDelta(w io.Writer, what string, before, after map[string]int64, requests, confirmed int) {
	var names []string
	var total int64
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			names = append(names, k)
			total += d
		}
	}
	slices.SortFunc(names, func(a, b string) int { return int((after[b] - before[b]) - (after[a] - before[a])) })
	var parts []string
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", k, after[k]-before[k]))
	}
	fmt.Fprintf(w, "%s during the burst: %d in all, %.2f per request, %.1f per confirmed booking: %s\n",
		what, total, float64(total)/float64(max(requests, 1)), float64(total)/float64(max(confirmed, 1)), strings.Join(parts, " "))
}

// mysqlCom reads MariaDB's global statement counters (Com_*, Questions).
func mysqlCom(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Com\\_%' OR Variable_name = 'Questions'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && k != "Questions" {
			out[strings.TrimPrefix(strings.ToLower(k), "com_")] = n
		}
	}
	return out, rows.Err()
}

// redisCommandStats reads INFO commandstats: calls per command.
func redisCommandStats(ctx context.Context, rdb *redis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		// cmdstat_get:calls=12,usec=...
		name, rest, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "cmdstat_"), ":calls=")
		if !ok || name == sc.Text() {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		if n, err := strconv.ParseInt(calls, 10, 64); err == nil && name != "info" {
			out[name] = n
		}
	}
	return out, sc.Err()
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newBurstProbe is the probe the options ask for, or nil.
func newBurstProbe(ctx context.Context, o bookingOpts, db *gorm.DB) (*burstProbe, error) {
	if !o.counters && len(o.debug) == 0 {
		return nil, nil
	}
	p := &burstProbe{debug: o.debug, dir: o.profileDir, seconds: max(o.profileSec, 1)}
	if o.counters {
		if db == nil {
			return nil, errors.New("--counters needs --mysql")
		}
		var err error
		if p.sqlDB, err = db.DB(); err != nil {
			return nil, err
		}
		if o.redisURL != "" {
			opt, err := redis.ParseURL(o.redisURL)
			if err != nil || loopback(opt.Addr) != nil {
				return nil, fmt.Errorf("--redis must be a redis:// URL on this machine")
			}
			p.rdb = redis.NewClient(opt)
			if err := p.rdb.Ping(ctx).Err(); err != nil {
				p.rdb.Close()
				return nil, fmt.Errorf("--redis: %w", err)
			}
		}
	}
	if len(p.debug) > 0 {
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *burstProbe) close() {
	if p.rdb != nil {
		p.rdb.Close()
	}
}
