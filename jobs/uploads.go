package jobs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"deputylink/models"
)

// JobCleanUploads removes the photos voters uploaded but never attached to
// an opinion, so abandoned uploads do not fill the disk.
const JobCleanUploads = "clean-uploads"

// cleanUploadsBatch is how many uploads one query lists; cleanUploadsMax
// bounds one run (the next hour goes on).
const (
	cleanUploadsBatch = 200
	cleanUploadsMax   = 5000
)

// CleanUploads deletes the uploads older than models.UploadKeep that no
// opinion refers to: first the row (only if still unattached, checked in
// the same statement), then the file, so no row ever points to a missing
// file. A file that cannot be removed is logged and left; a missing one is
// fine. It returns how many uploads it deleted.
func CleanUploads(ctx context.Context, d Deps, now time.Time) (int, error) {
	dir := d.Opt.DataDir
	if dir == "" {
		return 0, nil
	}
	n := 0
	for n < cleanUploadsMax && ctx.Err() == nil {
		rows, err := models.UnattachedUploads(ctx, d.DB, now.Add(-models.UploadKeep), cleanUploadsBatch)
		if err != nil {
			return n, err
		}
		for _, u := range rows {
			ok, err := models.DeleteUnattachedUpload(ctx, d.DB, u.ID)
			if err != nil {
				return n, err
			}
			if !ok {
				continue // attached meanwhile
			}
			n++
			if !strings.HasPrefix(u.Path, "uploads/") || strings.Contains(u.Path, "..") {
				d.log().Warn("Upload clean-up: unexpected path left alone", "upload_id", u.ID)
				continue
			}
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(u.Path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				d.log().Warn("Upload clean-up: removing the file failed", "upload_id", u.ID, "err", err)
			}
		}
		if len(rows) < cleanUploadsBatch {
			break
		}
	}
	return n, ctx.Err()
}
