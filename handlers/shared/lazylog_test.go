package shared

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestLazyWithFormatsOnlyWhenLogged(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	calls := 0
	l := LazyWith(base, func() []any { calls++; return []any{"request_id", "r1", slog.Int("n", 7)} })

	l.Info("below the level")
	if calls != 0 || buf.Len() != 0 {
		t.Fatalf("a record below the level built the attributes (%d calls) or wrote %q", calls, buf.String())
	}
	l.Warn("first", "err", "boom")
	l.With("k", "v").WithGroup("g").Error("second", "x", 1)
	got := buf.String()
	for _, want := range []string{
		`msg=first request_id=r1 n=7 err=boom`,
		`msg=second request_id=r1 n=7 k=v g.x=1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !l.Enabled(context.Background(), slog.LevelWarn) || l.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled does not follow the wrapped handler")
	}
}
