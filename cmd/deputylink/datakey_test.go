package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"deputylink/config"
)

// Ensure processes starting together agree on one generated key, the file
// is private, and a configured key wins.
func TestSealerKeyFile(t *testing.T) {
	dir := t.TempDir()
	mk := func(key string) *app {
		c := config.Default()
		c.DataDir, c.DataKey = dir, config.Secret(key)
		return &app{cfg: c, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	var wg sync.WaitGroup
	sealed := make([][]byte, 8)
	for i := range sealed {
		wg.Go(func() {
			s, err := mk("").sealer()
			if err != nil {
				t.Error(err)
				return
			}
			sealed[i] = s.Seal("13800000000", "phone:1")
		})
	}
	wg.Wait()
	s, err := mk("").sealer()
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range sealed {
		if got, err := s.Open(b, "phone:1"); err != nil || got != "13800000000" {
			t.Fatalf("process %d used another key: %v", i, err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "data.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v", err, fi.Mode())
	}
	other, err := mk("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").sealer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed[0], "phone:1"); err == nil {
		t.Errorf("configured key opened data sealed with the file key")
	}
}
