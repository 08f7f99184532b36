package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure the clean-up removes the row and the file of an old upload no
// opinion refers to, and keeps attached and recent uploads with their files.
func TestCleanUploads(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	dir := t.TempDir()
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	old := now.Add(-models.UploadKeep - time.Hour)
	up := func(name string, at time.Time) models.Upload {
		t.Helper()
		u := models.Upload{VoterID: 1, Path: "uploads/2026/11/" + name + ".jpg", SHA256: strings.Repeat("ef", 32),
			ContentType: "image/jpeg", Size: 3, Width: 1, Height: 1}
		full := filepath.Join(dir, filepath.FromSlash(u.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("jpg"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := models.CreateUpload(ctx, db, &u, at); err != nil {
			t.Fatal(err)
		}
		return u
	}
	stale, attached, fresh := up("stale", old), up("attached", old), up("fresh", now.Add(-time.Hour))
	gone := up("gone", old) // its file was already removed by hand
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(gone.Path))); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&models.OpinionPhoto{OpinionID: 1, Path: attached.Path, SHA256: attached.SHA256}).Error; err != nil {
		t.Fatal(err)
	}

	d := jobs.Deps{DB: db, Opt: jobs.Options{DataDir: dir}}
	n, err := jobs.CleanUploads(ctx, d, now)
	if err != nil || n != 2 {
		t.Fatalf("CleanUploads = %d, %v; want 2 (stale and gone)", n, err)
	}
	for _, u := range []models.Upload{stale, attached, fresh, gone} {
		var rows int64
		db.Model(&models.Upload{}).Where("id = ?", u.ID).Count(&rows)
		_, statErr := os.Stat(filepath.Join(dir, filepath.FromSlash(u.Path)))
		keep := u.ID == attached.ID || u.ID == fresh.ID
		if keep != (rows == 1) || keep != (statErr == nil) {
			t.Errorf("%s: row %d, file err %v; want kept=%v", u.Path, rows, statErr, keep)
		}
	}
	if n, err := jobs.CleanUploads(ctx, d, now); n != 0 || err != nil {
		t.Errorf("second run = %d, %v; want nothing to do", n, err)
	}
	if n, err := jobs.CleanUploads(ctx, jobs.Deps{DB: db}, now.Add(365*24*time.Hour)); n != 0 || err != nil {
		t.Errorf("without a data directory = %d, %v; want off", n, err)
	}
}
