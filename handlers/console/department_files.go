package console

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The attachments of a department's reply (models.CheckReplyFile's
// limits): photos are told by content, checked by the size their header
// declares, then re-encoded, which drops EXIF, GPS and any other metadata
// (handlers/api/uploads.go does the same for voters; the EXIF orientation
// is not applied here); PDFs are stored as they came and only ever served
// as downloads. One photo is decoded at a time (decodeSlot), so a burst of
// replies cannot take more memory than one 25-megapixel decode.

// decodeSlot lets one reply photo be decoded at a time.
var decodeSlot = make(chan struct{}, 1)

// errReplyTooLarge answers a reply whose attachments pass MaxDeptReplyBody.
var errReplyTooLarge = models.Invalid("files", "附件合计不能超过20MB，请分开提交或压缩后再上传")

// storeReplyFiles stores the form's "files" under
// <DataDir>/uploads/dept/<yyyy>/<mm>/ and describes them; stored lists the
// written files so that a refused reply can remove them.
func (h *Handlers) storeReplyFiles(c *gin.Context) (files []models.ReplyFileInput, stored []string, err error) {
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, errReplyTooLarge
		}
		return nil, nil, models.Invalid("files", "附件没有上传成功，请重新选择")
	}
	if c.Request.MultipartForm == nil {
		return nil, nil, nil
	}
	var heads []*multipart.FileHeader
	for _, fh := range c.Request.MultipartForm.File["files"] {
		if fh.Size > 0 || fh.Filename != "" {
			heads = append(heads, fh)
		}
	}
	if len(heads) == 0 {
		return nil, nil, nil
	}
	if len(heads) > models.MaxReplyFiles {
		return nil, nil, models.Invalid("files", "附件最多5个")
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
		f, err := h.storeReplyFile(fh, now.Format("2006"), now.Format("01"))
		if err != nil {
			return nil, stored, err
		}
		stored = append(stored, filepath.Join(h.DataDir, filepath.FromSlash(f.Path)))
		files = append(files, f)
	}
	return files, stored, nil
}

func (h *Handlers) storeReplyFile(fh *multipart.FileHeader, yyyy, mm string) (models.ReplyFileInput, error) {
	return h.storeEvidenceFile(fh, models.ReplyFileDir, yyyy, mm)
}

// storeEvidenceFile checks one uploaded photo or PDF under the reply
// attachments' rules and stores it under <DataDir>/<dir>/<yyyy>/<mm>/ (the
// deputies' activity evidence uses it too).
func (h *Handlers) storeEvidenceFile(fh *multipart.FileHeader, dir, yyyy, mm string) (models.ReplyFileInput, error) {
	return h.storeUpload(fh, dir, yyyy, mm, evidenceRules)
}

// uploadRules are the kinds of file one upload field takes and how they
// are checked.
type uploadRules struct {
	// field is the form field a refusal names.
	field string
	// max is the most bytes read of one file (anything longer is refused
	// by check).
	max int64
	// sniff tells the kind, content type and stored extension from the
	// content; its error is the refusal.
	sniff func(data []byte, name string) (kind, ctype, ext string, err error)
	// check checks the size, and a photo's dimensions.
	check func(name, kind string, size int64, width, height int) error
}

// evidenceRules are the reply attachments' (and the activity evidence's):
// JPG or PNG photos and PDFs.
var evidenceRules = uploadRules{
	field: "files",
	max:   models.MaxReplyPDFBytes,
	sniff: func(data []byte, name string) (string, string, string, error) {
		kind, ctype, err := models.SniffReplyFile(data)
		if err != nil {
			return "", "", "", models.Invalid("files", "“"+models.Shorten(name, 40, "…")+"”不是照片或PDF文件：附件只能是 JPG、PNG 照片或 PDF 文件")
		}
		return kind, ctype, map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[ctype], nil
	},
	check: models.CheckReplyFile,
}

// storeUpload checks one uploaded file under rules and stores it under
// <DataDir>/<dir>/<yyyy>/<mm>/ with a random name: a photo re-encoded
// (without its metadata), anything else as it came.
func (h *Handlers) storeUpload(fh *multipart.FileHeader, dir, yyyy, mm string, rules uploadRules) (models.ReplyFileInput, error) {
	name := models.CleanFileName(fh.Filename)
	src, err := fh.Open()
	if err != nil {
		return models.ReplyFileInput{}, models.Invalid(rules.field, "附件没有上传成功，请重新选择")
	}
	defer src.Close()
	data, err := io.ReadAll(io.LimitReader(src, rules.max+1))
	if err != nil {
		return models.ReplyFileInput{}, models.Invalid(rules.field, "附件没有上传成功，请重新选择")
	}
	kind, ctype, ext, err := rules.sniff(data, name)
	if err != nil {
		return models.ReplyFileInput{}, err
	}
	out := data
	if kind == models.ReplyFilePhoto {
		unreadable := models.Invalid(rules.field, "“"+models.Shorten(name, 40, "…")+"”无法识别，请换一张照片")
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return models.ReplyFileInput{}, unreadable
		}
		if err := rules.check(name, kind, int64(len(data)), cfg.Width, cfg.Height); err != nil {
			return models.ReplyFileInput{}, err
		}
		if out, err = reencodePhoto(data, ctype); err != nil {
			return models.ReplyFileInput{}, unreadable
		}
	} else if err := rules.check(name, kind, int64(len(data)), 0, 0); err != nil {
		return models.ReplyFileInput{}, err
	}
	rnd := make([]byte, 16)
	_, _ = rand.Read(rnd)
	rel := dir + "/" + yyyy + "/" + mm + "/" + hex.EncodeToString(rnd) + ext
	if err := writeAtomic(filepath.Join(h.DataDir, filepath.FromSlash(rel)), out); err != nil {
		return models.ReplyFileInput{}, err
	}
	sum := sha256.Sum256(out)
	if name == "" {
		name = "附件" + ext
	}
	return models.ReplyFileInput{Kind: kind, Name: name, Path: rel, SHA256: hex.EncodeToString(sum[:]),
		ContentType: ctype, Size: int64(len(out))}, nil
}

// reencodePhoto decodes a checked photo and encodes it again, without its
// metadata, one at a time.
func reencodePhoto(data []byte, ctype string) ([]byte, error) {
	decodeSlot <- struct{}{}
	defer func() { <-decodeSlot }()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if ctype == "image/png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
	return buf.Bytes(), err
}

// writeAtomic writes data to path through a temporary file in the same
// directory, so no half-written file ever has the name.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".dept-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func removeFiles(paths []string) {
	for _, p := range paths {
		_ = os.Remove(p)
	}
}

// serveReplyFile writes an attachment: a photo inline, a PDF as a
// download under its name; nosniff, private.
func (h *Handlers) serveReplyFile(c *gin.Context, f models.DepartmentReplyFile) {
	h.serveEvidenceFile(c, models.ReplyFileDir, f.Kind, f.ContentType, f.Name, f.Path)
}

// downloadExt are the content types served as downloads, with the
// extension of their ASCII fallback name: PDFs, and the Word documents a
// broadcast may carry (models/broadcasts/attachment.go).
var downloadExt = map[string]string{
	"application/pdf":    ".pdf",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}

// serveEvidenceFile writes a stored photo inline, or a PDF or Word
// document as a download under its name (RFC 5987), from under
// <DataDir>/<dir> only; nosniff, private.
func (h *Handlers) serveEvidenceFile(c *gin.Context, dir, kind, ctype, fname, fpath string) {
	if h.DataDir == "" {
		h.renderErr(c, shared.ErrNoUploads)
		return
	}
	root := filepath.Join(h.DataDir, filepath.FromSlash(dir))
	full := filepath.Join(h.DataDir, filepath.FromSlash(fpath))
	if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		h.renderErr(c, models.ErrUploadNotFound)
		return
	}
	file, err := os.Open(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			h.renderErr(c, models.ErrUploadNotFound)
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
	disp := "inline"
	if kind != models.ReplyFilePhoto || (ctype != "image/jpeg" && ctype != "image/png") {
		ext, ok := downloadExt[ctype]
		if !ok {
			ctype, ext = "application/pdf", ".pdf"
		}
		name := fname
		if name == "" {
			name = "附件" + ext
		}
		disp = contentDisposition(name, "attachment"+ext)
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", disp)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), file)
}
