package models_test

import (
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

func TestUploadsOwnershipAndStaffAccess(t *testing.T) {
	e := newOpEnv(t)
	a, b := e.voters[0], e.voters[1]
	mine, theirs := createUpload(t, e, a, "mine", opMonday), createUpload(t, e, b, "theirs", opMonday)
	if err := models.CreateUpload(e.ctx, e.db, &models.Upload{VoterID: a, Path: "../etc/passwd", SHA256: strings.Repeat("ab", 32)}, opMonday); opCode(err) != "invalid_file" {
		t.Errorf("path escaping the data dir: %v", err)
	}

	if _, err := models.VoterUpload(e.ctx, e.db, b, mine.ID); opCode(err) != "upload_not_found" {
		t.Errorf("another voter's upload: %v", err)
	}
	photos, err := models.VoterPhotos(e.ctx, e.db, a, []uint64{mine.ID}, opMonday.Add(time.Hour))
	if err != nil || len(photos) != 1 || photos[0].Path != mine.Path || photos[0].SHA256 != mine.SHA256 {
		t.Fatalf("VoterPhotos = %+v %v", photos, err)
	}
	for _, ids := range [][]uint64{{theirs.ID}, {mine.ID, mine.ID}, {0}, {1, 2, 3, 4}} {
		if _, err := models.VoterPhotos(e.ctx, e.db, a, ids, opMonday); opCode(err) != "invalid_photo_ids" {
			t.Errorf("VoterPhotos(%v) = %v", ids, err)
		}
	}

	op, _ := e.file(models.FileInput{VoterID: a, StationID: e.st["东门社区代表联络站"].ID, Photos: photos}, opMonday)
	var ph models.OpinionPhoto
	if err := e.db.Where("opinion_id = ?", op.ID).First(&ph).Error; err != nil {
		t.Fatal(err)
	}
	for name, ok := range map[string]bool{"章佳怡": true, "应建明": true, "项海燕": true, "严少波": false} {
		u, err := models.StaffOpinionPhoto(e.ctx, e.db, e.staff[name].ID, op.ID, ph.ID)
		if ok && (err != nil || u.ID != mine.ID || u.Path != mine.Path) {
			t.Errorf("%s: %+v %v", name, u, err)
		}
		if !ok && opCode(err) != "upload_not_found" {
			t.Errorf("%s of another station got the photo: %v", name, err)
		}
	}
	if _, err := models.StaffOpinionPhoto(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, ph.ID+1); opCode(err) != "upload_not_found" {
		t.Errorf("a photo of no such id: %v", err)
	}
	byPath, err := models.UploadsByPath(e.ctx, e.db, a, []string{mine.Path, theirs.Path})
	if err != nil || len(byPath) != 1 || byPath[mine.Path].ID != mine.ID {
		t.Errorf("UploadsByPath = %+v %v", byPath, err)
	}
}

// Ensure an upload older than the attach window cannot be attached, and
// that the clean-up lists and deletes only old uploads no opinion refers
// to, checking again at deletion.
func TestUnattachedUploads(t *testing.T) {
	e := newOpEnv(t)
	a := e.voters[0]
	old := opMonday.Add(-10 * 24 * time.Hour)
	attached, stale, fresh := createUpload(t, e, a, "attached", old), createUpload(t, e, a, "stale", old),
		createUpload(t, e, a, "fresh", opMonday)
	photos, err := models.VoterPhotos(e.ctx, e.db, a, []uint64{attached.ID}, old.Add(models.UploadAttachWindow-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	e.file(models.FileInput{VoterID: a, StationID: e.st["东门社区代表联络站"].ID, Photos: photos}, opMonday)
	if _, err := models.VoterPhotos(e.ctx, e.db, a, []uint64{stale.ID}, old.Add(models.UploadAttachWindow+time.Minute)); opCode(err) != "invalid_photo_ids" {
		t.Errorf("an upload past the attach window was attached: %v", err)
	}

	rows, err := models.UnattachedUploads(e.ctx, e.db, opMonday.Add(-models.UploadKeep), 100)
	if err != nil || len(rows) != 1 || rows[0].ID != stale.ID {
		t.Fatalf("UnattachedUploads = %+v, %v; want only %d", rows, err, stale.ID)
	}
	// The attached upload survives even a direct delete (an opinion took
	// it after the listing).
	if ok, err := models.DeleteUnattachedUpload(e.ctx, e.db, attached.ID); ok || err != nil {
		t.Errorf("deleted the attached upload (%v, %v)", ok, err)
	}
	if ok, err := models.DeleteUnattachedUpload(e.ctx, e.db, stale.ID); !ok || err != nil {
		t.Fatalf("stale upload not deleted (%v, %v)", ok, err)
	}
	if ok, _ := models.DeleteUnattachedUpload(e.ctx, e.db, stale.ID); ok {
		t.Error("deleted twice")
	}
	var left []uint64
	e.db.Model(&models.Upload{}).Order("id").Pluck("id", &left)
	if len(left) != 2 || left[0] != attached.ID || left[1] != fresh.ID {
		t.Errorf("uploads left %v, want %d and %d", left, attached.ID, fresh.ID)
	}
}

// createUpload records an upload of voter's made at at.
func createUpload(t *testing.T, e *opEnv, voter uint64, name string, at time.Time) models.Upload {
	t.Helper()
	u := models.Upload{VoterID: voter, Path: "uploads/2026/03/" + name + ".jpg", SHA256: strings.Repeat("ab", 32),
		ContentType: "image/jpeg", Size: 10, Width: 4, Height: 3}
	if err := models.CreateUpload(e.ctx, e.db, &u, at); err != nil {
		t.Fatal(err)
	}
	return u
}
