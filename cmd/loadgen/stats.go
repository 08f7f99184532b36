package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// recorder keeps every latency of the measured window.
type recorder struct {
	mu      sync.Mutex
	lats    []time.Duration
	errors  int
	dropped atomic.Int64
}

func (r *recorder) add(d time.Duration, ok bool) {
	r.mu.Lock()
	r.lats = append(r.lats, d)
	if !ok {
		r.errors++
	}
	r.mu.Unlock()
}

func (r *recorder) throughput(window time.Duration) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(len(r.lats)) / window.Seconds()
}

func (r *recorder) report(w io.Writer, window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.lats)
	pct := func(p float64) time.Duration { return quantile(r.lats, p) }
	fmt.Fprintf(w, "requests=%d errors=%d dropped=%d window=%.1fs throughput=%.0f/s\n",
		n, r.errors, r.dropped.Load(), window.Seconds(), float64(n)/window.Seconds())
	fmt.Fprintf(w, "latency p50=%s p90=%s p99=%s p99.9=%s max=%s\n",
		ms(pct(.50)), ms(pct(.90)), ms(pct(.99)), ms(pct(.999)), ms(pct(1)))
}

// p99 is the 99th percentile of the recorded latencies.
func (r *recorder) p99() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return quantile(r.lats, .99)
}

// quantile is the p-quantile (0..1) of lats, which it sorts in place; 0
// when empty.
func quantile(lats []time.Duration, p float64) time.Duration {
	n := len(lats)
	if n == 0 {
		return 0
	}
	if !slices.IsSorted(lats) {
		slices.Sort(lats)
	}
	return lats[min(n-1, int(p*float64(n)))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
