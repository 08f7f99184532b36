package console

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"image"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The evidence of an activity (models.ActivityFile): photos under the
// opinions' rules (told by content, checked by their declared pixel size,
// re-encoded without metadata), PDFs size-limited and kept as they came,
// served only as downloads (department_files.go does the same for
// departments' replies).

// errActivityTooLarge answers evidence past MaxMeActivityBody.
var errActivityTooLarge = models.Invalid("files", "照片和PDF合计不能超过20MB，请分开提交或压缩后再上传")

// storeActivityUploads stores the files of the form's fields under
// <DataDir>/uploads/activity/<yyyy>/<mm>/ and describes them; stored lists
// the written files so that a refused entry can remove them.
func (h *Handlers) storeActivityUploads(c *gin.Context, fields ...string) (files []models.ActivityFileInput, stored []string, err error) {
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, errActivityTooLarge
		}
		return nil, nil, models.Invalid("files", "照片或文件没有上传成功，请重新选择")
	}
	if c.Request.MultipartForm == nil {
		return nil, nil, nil
	}
	var heads []*multipart.FileHeader
	for _, field := range fields {
		for _, fh := range c.Request.MultipartForm.File[field] {
			if fh.Size > 0 || fh.Filename != "" {
				heads = append(heads, fh)
			}
		}
	}
	if len(heads) == 0 {
		return nil, nil, nil
	}
	if len(heads) > models.MaxActivityFiles {
		return nil, nil, models.Invalid("files", "照片和文件最多6个")
	}
	if h.DataDir == "" {
		return nil, nil, shared.ErrNoUploads
	}
	defer func() {
		if err != nil {
			removeFiles(stored)
			stored = nil
		}
	}()
	now := h.Now().In(h.Location)
	for _, fh := range heads {
		f, err := h.storeActivityUpload(fh, now.Format("2006"), now.Format("01"))
		if err != nil {
			return nil, stored, err
		}
		stored = append(stored, filepath.Join(h.DataDir, filepath.FromSlash(f.Path)))
		files = append(files, f)
	}
	return files, stored, nil
}

func (h *Handlers) storeActivityUpload(fh *multipart.FileHeader, yyyy, mm string) (models.ActivityFileInput, error) {
	name := models.CleanFileName(fh.Filename)
	short := models.Shorten(name, 40, "…")
	failed := models.Invalid("files", "照片或文件没有上传成功，请重新选择")
	src, err := fh.Open()
	if err != nil {
		return models.ActivityFileInput{}, failed
	}
	defer src.Close()
	data, err := io.ReadAll(io.LimitReader(src, models.MaxReplyPDFBytes+1))
	if err != nil {
		return models.ActivityFileInput{}, failed
	}
	kind, ctype, err := models.SniffReplyFile(data)
	if err != nil {
		return models.ActivityFileInput{}, models.Invalid("files", "“"+short+"”不是照片或PDF文件：只能上传 JPG、PNG 照片或 PDF 文件")
	}
	out := data
	if kind == models.ReplyFilePhoto {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return models.ActivityFileInput{}, models.Invalid("files", "“"+short+"”无法识别，请换一张照片")
		}
		if err := models.CheckReplyFile(name, kind, int64(len(data)), cfg.Width, cfg.Height); err != nil {
			return models.ActivityFileInput{}, err
		}
		if out, err = reencodePhoto(data, ctype); err != nil {
			return models.ActivityFileInput{}, models.Invalid("files", "“"+short+"”无法识别，请换一张照片")
		}
	} else if err := models.CheckReplyFile(name, kind, int64(len(data)), 0, 0); err != nil {
		return models.ActivityFileInput{}, err
	}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[ctype]
	rnd := make([]byte, 16)
	_, _ = rand.Read(rnd)
	rel := models.ActivityFileDir + "/" + yyyy + "/" + mm + "/" + hex.EncodeToString(rnd) + ext
	if err := writeAtomic(filepath.Join(h.DataDir, filepath.FromSlash(rel)), out); err != nil {
		return models.ActivityFileInput{}, err
	}
	if name == "" {
		name = "佐证材料" + ext
	}
	return models.ActivityFileInput{Kind: kind, Name: name, Path: rel, Size: int64(len(out))}, nil
}

// serveActivityFile writes an evidence file: a photo inline, a PDF as a
// download under its name; nosniff, private.
func (h *Handlers) serveActivityFile(c *gin.Context, f models.ActivityFile) {
	if h.DataDir == "" {
		h.renderErr(c, shared.ErrNoUploads)
		return
	}
	root := filepath.Join(h.DataDir, filepath.FromSlash(models.ActivityFileDir))
	full := filepath.Join(h.DataDir, filepath.FromSlash(f.Path))
	if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		h.renderErr(c, models.ErrActivityFileNotFound)
		return
	}
	file, err := os.Open(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			h.renderErr(c, models.ErrActivityFileNotFound)
			return
		}
		h.renderErr(c, err)
		return
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		h.renderErr(c, err)
		return
	}
	disp, ctype := "inline", ""
	switch {
	case f.Kind == models.ActivityFilePhoto && strings.HasSuffix(f.Path, ".jpg"):
		ctype = "image/jpeg"
	case f.Kind == models.ActivityFilePhoto && strings.HasSuffix(f.Path, ".png"):
		ctype = "image/png"
	default:
		name := f.Name
		if name == "" {
			name = "佐证材料.pdf"
		}
		disp = "attachment; filename=\"evidence.pdf\"; filename*=UTF-8''" + url.PathEscape(name)
		ctype = "application/pdf"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", disp)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), file)
}
