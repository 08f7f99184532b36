package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Upload is a photo a voter uploaded, re-encoded without its metadata and
// stored under the data directory. It belongs to the voter until it is
// attached to an opinion (OpinionPhoto keeps the same Path and SHA256), and
// only that voter (and later the handling staff) may read it.
type Upload struct {
	ID      uint64 `gorm:"primaryKey" json:"id"`
	VoterID uint64 `gorm:"not null;index" json:"-"`
	// Path is relative to the data directory, e.g. "uploads/2026/11/<random>.jpg".
	Path        string    `gorm:"size:255;not null;uniqueIndex" json:"-"`
	SHA256      string    `gorm:"column:sha256;size:64;not null;index" json:"sha256"`
	ContentType string    `gorm:"size:32;not null" json:"content_type"`
	Size        int64     `gorm:"not null" json:"size"`
	Width       int       `gorm:"not null" json:"width"`
	Height      int       `gorm:"not null" json:"height"`
	CreatedAt   time.Time `json:"created_at"`
}

// ErrUploadNotFound is an upload that does not exist or is not the caller's.
var ErrUploadNotFound = Coded(ErrNotFound, "upload_not_found", "没有找到这张照片")

// CreateUpload records a stored upload.
func CreateUpload(ctx context.Context, db *gorm.DB, u *Upload, now time.Time) error {
	if u.VoterID == 0 {
		return ErrVoterNotFound
	}
	if u.Path == "" || len(u.Path) > 255 || strings.Contains(u.Path, "..") || !sha256Re.MatchString(u.SHA256) {
		return Invalid("file", "照片无效，请重新上传")
	}
	u.CreatedAt = now.UTC()
	return translate(db.WithContext(ctx).Create(u).Error)
}

// GetUpload loads an upload; ownership is the caller's to check (see
// VoterUpload).
func GetUpload(ctx context.Context, db *gorm.DB, id uint64) (Upload, error) {
	var u Upload
	if err := db.WithContext(ctx).Take(&u, id).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrUploadNotFound)
	}
	return u, nil
}

// VoterUpload loads the voter's own upload; anyone else's is ErrUploadNotFound.
func VoterUpload(ctx context.Context, db *gorm.DB, voterID, id uint64) (Upload, error) {
	u, err := GetUpload(ctx, db, id)
	if err != nil {
		return Upload{}, err
	}
	if u.VoterID != voterID || voterID == 0 {
		return Upload{}, ErrUploadNotFound
	}
	return u, nil
}

// VoterPhotos resolves the upload ids a voter attaches to an opinion, in
// the order given, as PhotoInputs for FileOpinion. Every id must be the
// voter's own upload, made within UploadAttachWindow, at most
// MaxOpinionPhotos and no repeats; otherwise it is a validation error on
// photo_ids (someone else's upload reads as missing, so ids do not leak).
func VoterPhotos(ctx context.Context, db *gorm.DB, voterID uint64, ids []uint64, now time.Time) ([]PhotoInput, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > maxPhotos {
		return nil, Invalid("photo_ids", "最多上传3张照片")
	}
	for i, id := range ids {
		if id == 0 || slices.Contains(ids[:i], id) {
			return nil, Invalid("photo_ids", "照片编号无效或重复")
		}
	}
	var rows []Upload
	if err := db.WithContext(ctx).Where("id IN ? AND voter_id = ?", ids, voterID).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]PhotoInput, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(rows, func(u Upload) bool { return u.ID == id })
		if i < 0 {
			return nil, Invalid("photo_ids", "照片不存在或已失效，请重新上传")
		}
		if now.Sub(rows[i].CreatedAt) > UploadAttachWindow {
			return nil, Invalid("photo_ids", "照片上传时间太久，已失效，请重新上传")
		}
		out = append(out, PhotoInput{Path: rows[i].Path, SHA256: rows[i].SHA256})
	}
	return out, nil
}

// MaxOpinionPhotos is how many photos one opinion may carry.
const MaxOpinionPhotos = maxPhotos

// UploadsByPath maps stored paths to the voter's uploads, so an opinion's
// photos can be linked to the upload URLs that serve them.
func UploadsByPath(ctx context.Context, db *gorm.DB, voterID uint64, paths []string) (map[string]Upload, error) {
	out := map[string]Upload{}
	if len(paths) == 0 {
		return out, nil
	}
	var rows []Upload
	if err := db.WithContext(ctx).Where("voter_id = ? AND path IN ?", voterID, paths).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, u := range rows {
		out[u.Path] = u
	}
	return out, nil
}

// StaffOpinionPhoto returns photo photoID (an OpinionPhoto id, as in the
// opinion's photos) of opinion opinionID as an Upload to serve, if staffID
// may see the opinion (StaffCanAccess); anything else is ErrUploadNotFound.
// The console serves it with the same code that serves voters their uploads.
func StaffOpinionPhoto(ctx context.Context, db *gorm.DB, staffID, opinionID, photoID uint64) (Upload, error) {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.Select("id", "station_id").First(&op, opinionID).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrUploadNotFound)
	}
	if _, err := staffFor(db, staffID, op); err != nil {
		return Upload{}, ErrUploadNotFound
	}
	var ph OpinionPhoto
	if err := db.Where("id = ? AND opinion_id = ?", photoID, opinionID).First(&ph).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrUploadNotFound)
	}
	return photoUpload(db, ph)
}

// photoUpload is an opinion's photo as an Upload to serve: the voter's
// upload row with the same path (for its content type), or, once that is
// gone, the photo's own path and hash.
func photoUpload(db *gorm.DB, ph OpinionPhoto) (Upload, error) {
	u := Upload{Path: ph.Path, SHA256: ph.SHA256, CreatedAt: ph.CreatedAt}
	var rows []Upload
	if err := db.Where("path = ?", ph.Path).Limit(1).Find(&rows).Error; err != nil {
		return Upload{}, translate(err)
	}
	if len(rows) == 1 {
		u = rows[0]
	}
	return u, nil
}

const (
	// UploadAttachWindow is how long after uploading a photo a voter may
	// attach it to an opinion (the mini-program does so within minutes).
	UploadAttachWindow = 72 * time.Hour
	// UploadKeep is how long an upload attached to no opinion is kept; it
	// is well past UploadAttachWindow, so the clean-up never races with a
	// filing that is attaching the upload.
	UploadKeep = 7 * 24 * time.Hour
)

// unattached selects uploads no opinion photo refers to.
const unattached = "NOT EXISTS (SELECT 1 FROM opinion_photos WHERE opinion_photos.path = uploads.path)"

// UnattachedUploads lists, oldest first, up to limit uploads made before
// before that no opinion refers to: photos a voter uploaded and never
// filed, which the upload clean-up removes.
func UnattachedUploads(ctx context.Context, db *gorm.DB, before time.Time, limit int) ([]Upload, error) {
	var rows []Upload
	err := db.WithContext(ctx).Where("created_at < ?", before.UTC()).Where(unattached).
		Order("id").Limit(limit).Find(&rows).Error
	return rows, translate(err)
}

// DeleteUnattachedUpload deletes the upload's row if still no opinion
// refers to it, and reports whether it did; the caller then removes the
// file.
func DeleteUnattachedUpload(ctx context.Context, db *gorm.DB, id uint64) (bool, error) {
	res := db.WithContext(ctx).Where("id = ?", id).Where(unattached).Delete(&Upload{})
	return res.RowsAffected == 1, translate(res.Error)
}
