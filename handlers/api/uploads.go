package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// Upload limits. A photo is decoded in full to be re-encoded, so what it
// declares in its header is checked before any pixel is decoded:
//
//   - at most 25 megapixels: every phone's default photo fits (12 MP,
//     4032×3024 or 4080×3072; the 24 MP default of recent iPhones,
//     5712×4284 = 24.5 MP), and the mini-program compresses before upload
//     anyway. The raw 48–50 MP modes (8064×6048, 8160×6120) are refused:
//     decoding one takes 73 MB as 4:2:0 (146 MB turned upright), more than
//     the process's whole memory target (docs/ARCHITECTURE.md#quality-targets),
//     and such files are 10–25 MB, over MaxUploadBytes, in practice anyway;
//   - at most 12,000 pixels a side and a ratio of at most 20:1 (long
//     chat screenshots reach about 1:11; nothing a camera makes is 1×12000);
//   - at most the whole decode budget in estimated decode memory
//     (decodeCost): a 12 MP photo held upright and a 24 MP one not turned
//     fit; a 24 MP one to turn upright, a 12 MP progressive JPEG (its
//     coefficients take 6 bytes a pixel) or a 16 MP RGBA PNG do not.
const (
	MaxUploadBytes  = 5 << 20
	maxUploadPixels = 25_000_000
	maxUploadSide   = 12_000
	maxUploadAspect = 20
	// multipartSlack is room for the multipart framing around the file.
	multipartSlack = 64 << 10
	jpegQuality    = 85
)

// UploadView is the answer to an upload: the id to attach to an opinion and
// the URL that serves the stored photo to its owner.
type UploadView struct {
	ID          uint64 `json:"id"`
	URL         string `json:"url"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

var (
	errNotImage    = models.Invalid("file", "只能上传 JPG 或 PNG 格式的照片")
	errNoFile      = models.Invalid("file", "请选择要上传的照片")
	errImageTooBig = models.Invalid("file", "照片的像素尺寸过大，请压缩后再上传")
	errTooManyPx   = models.Invalid("file", "照片像素过多（最多 2500 万像素），请压缩后再上传")
	errImageShape  = models.Invalid("file", "照片的长宽比超过 20:1，请裁剪后再上传")
	errImageEmpty  = models.Invalid("file", "照片的宽度或高度为零，请换一张照片")
	// errUploadsBusy answers an upload that waited decodeWait for the
	// decode budget; the answer carries Retry-After.
	errUploadsBusy = models.Coded(shared.ErrUnavailable, "uploads_busy", "正在处理的照片较多，请稍后再试")
)

func uploadURL(id uint64) string { return "/api/v1/uploads/" + strconv.FormatUint(id, 10) }

// createUpload takes one photo (multipart field "file"), checks by its
// content that it is a JPEG or PNG of at most 5 MB, re-encodes it (which
// drops EXIF, GPS and any other metadata; a JPEG's EXIF orientation is
// applied first so the photo stays upright) and stores it under
// <DataDir>/uploads/<yyyy>/<mm>/.
func (h *Handlers) createUpload(c *gin.Context) {
	if h.DataDir == "" {
		shared.RespondErr(c, shared.ErrNoUploads)
		return
	}
	data, err := readUploadFile(c)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, errFileTooLarge) || errors.As(err, &mbe) {
			shared.RespondErr(c, errUploadTooLarge)
			return
		}
		shared.RespondErr(c, err)
		return
	}
	ctx := c.Request.Context()
	p, err := inspect(data)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	g := decodeGate
	if err := g.acquire(ctx, p.cost); err != nil {
		c.Header("Retry-After", decodeRetryAfter)
		shared.RespondErr(c, errUploadsBusy)
		return
	}
	out, w, ht, err := func() ([]byte, int, int, error) {
		defer g.release(p.cost)
		if hook := testHookDecode; hook != nil {
			hook(g.inUse.Load())
		}
		return reencode(data, p)
	}()
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	kind := p.kind
	now := h.Now().In(h.Location)
	sum := sha256.Sum256(out)
	rnd := make([]byte, 16)
	_, _ = rand.Read(rnd)
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}[kind]
	rel := filepath.ToSlash(filepath.Join("uploads", now.Format("2006"), now.Format("01"), hex.EncodeToString(rnd)+ext))
	full := filepath.Join(h.DataDir, filepath.FromSlash(rel))
	if err := writeFileAtomic(full, out); err != nil {
		shared.RespondErr(c, err)
		return
	}
	u := models.Upload{VoterID: voterID(c), Path: rel, SHA256: hex.EncodeToString(sum[:]), ContentType: kind,
		Size: int64(len(out)), Width: w, Height: ht}
	if err := models.CreateUpload(ctx, h.DB, &u, h.Now()); err != nil {
		_ = os.Remove(full)
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, UploadView{ID: u.ID, URL: uploadURL(u.ID), SHA256: u.SHA256,
		ContentType: u.ContentType, Width: u.Width, Height: u.Height})
}

var errFileTooLarge = errors.New("file too large")

// errUploadTooLarge answers a photo over MaxUploadBytes.
var errUploadTooLarge = models.Coded(shared.ErrTooLarge, "file_too_large", "照片不能超过 5MB")

// readUploadFile streams the multipart body to the "file" part and reads it,
// refusing more than MaxUploadBytes without reading further.
func readUploadFile(c *gin.Context) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errNoFile
	}
	if c.Request.ContentLength > MaxUploadBytes+multipartSlack {
		return nil, errFileTooLarge
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxUploadBytes+multipartSlack)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, errNoFile
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errNoFile
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, errNoFile
		}
		if part.FormName() != "file" {
			continue // NextPart skips what is left of it
		}
		data, err := io.ReadAll(io.LimitReader(part, MaxUploadBytes+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, errNoFile
		}
		if len(data) > MaxUploadBytes {
			return nil, errFileTooLarge
		}
		if len(data) == 0 {
			return nil, errNoFile
		}
		return data, nil
	}
}

// exifOrientation reads the Orientation tag (0x0112) of a JPEG's EXIF

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a crash never leaves a half-written photo under its name.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o640)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// getUpload serves the voter's own upload; anyone else's is 404.
func (h *Handlers) getUpload(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	u, err := models.VoterUpload(c.Request.Context(), h.DB, voterID(c), id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	h.ServeUpload(c, u)
}
