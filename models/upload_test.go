package models_test

import (
	"strings"
	"testing"

	"deputylink/models"
)

func TestUploadsOwnershipAndStaffAccess(t *testing.T) {
	e := newOpEnv(t)
	a, b := e.voters[0], e.voters[1]
	up := func(voter uint64, name string) models.Upload {
		t.Helper()
		u := models.Upload{VoterID: voter, Path: "uploads/2026/03/" + name + ".jpg", SHA256: strings.Repeat("ab", 32),
			ContentType: "image/jpeg", Size: 10, Width: 4, Height: 3}
		if err := models.CreateUpload(e.ctx, e.db, &u, opMonday); err != nil {
			t.Fatal(err)
		}
		return u
	}
	mine, theirs := up(a, "mine"), up(b, "theirs")
	if err := models.CreateUpload(e.ctx, e.db, &models.Upload{VoterID: a, Path: "../etc/passwd", SHA256: strings.Repeat("ab", 32)}, opMonday); opCode(err) != "invalid_file" {
		t.Errorf("path escaping the data dir: %v", err)
	}

	if _, err := models.VoterUpload(e.ctx, e.db, b, mine.ID); opCode(err) != "upload_not_found" {
		t.Errorf("another voter's upload: %v", err)
	}
	photos, err := models.VoterPhotos(e.ctx, e.db, a, []uint64{mine.ID})
	if err != nil || len(photos) != 1 || photos[0].Path != mine.Path || photos[0].SHA256 != mine.SHA256 {
		t.Fatalf("VoterPhotos = %+v %v", photos, err)
	}
	for _, ids := range [][]uint64{{theirs.ID}, {mine.ID, mine.ID}, {0}, {1, 2, 3, 4}} {
		if _, err := models.VoterPhotos(e.ctx, e.db, a, ids); opCode(err) != "invalid_photo_ids" {
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
