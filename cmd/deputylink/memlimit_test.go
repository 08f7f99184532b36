package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"deputylink/config"
)

// TestSetMemoryLimit: DEPUTYLINK_MEMORY_LIMIT becomes the runtime's soft
// limit, 0 means none, and GOMEMLIMIT (read by the runtime itself) wins.
func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	a := &app{cfg: config.Config{MemoryLimit: 96 << 20}, log: slog.New(slog.DiscardHandler)}

	a.setMemoryLimit(getenv)
	if got := debug.SetMemoryLimit(-1); got != 96<<20 {
		t.Fatalf("limit %d, want %d", got, 96<<20)
	}
	a.cfg.MemoryLimit = 0
	a.setMemoryLimit(getenv)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("limit %d with 0, want none", got)
	}
	env["GOMEMLIMIT"] = "200MiB"
	debug.SetMemoryLimit(200 << 20) // what the runtime did at start
	a.cfg.MemoryLimit = 64 << 20
	a.setMemoryLimit(getenv)
	if got := debug.SetMemoryLimit(-1); got != 200<<20 {
		t.Fatalf("limit %d with GOMEMLIMIT set, want GOMEMLIMIT's %d", got, 200<<20)
	}
	if c, err := config.Load(func(k string) string { return map[string]string{"DEPUTYLINK_MEMORY_LIMIT": "16MB"}[k] }); err == nil {
		t.Fatalf("16MB accepted: %+v", c.MemoryLimit)
	}
}
