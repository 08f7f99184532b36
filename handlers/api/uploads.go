package api

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
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

// Upload limits. A photo is decoded in full to be re-encoded, so its pixel
// count is capped as well as its size: 25 megapixels is a 24 MP camera or
// any phone's default, and keeps one decode under ~100 MB.
const (
	MaxUploadBytes  = 5 << 20
	maxUploadPixels = 25_000_000
	maxUploadSide   = 12_000
	// multipartSlack is room for the multipart framing around the file.
	multipartSlack = 64 << 10
	jpegQuality    = 85
)

// decodeSlots caps the photos decoded at once in this process, so a burst
// of uploads cannot exhaust memory; the others wait their turn.
var decodeSlots = make(chan struct{}, 2)

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
	select {
	case decodeSlots <- struct{}{}:
	case <-ctx.Done():
		c.Abort()
		return
	}
	out, kind, w, ht, err := reencode(data)
	<-decodeSlots
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
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

// reencode checks data is a JPEG or PNG by its content, decodes it within
// the pixel limits and encodes it again, keeping nothing but the pixels.
func reencode(data []byte) (out []byte, kind string, w, h int, err error) {
	kind = http.DetectContentType(data)
	if kind != "image/jpeg" && kind != "image/png" {
		return nil, "", 0, 0, errNotImage
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != kind {
		return nil, "", 0, 0, errNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxUploadSide || cfg.Height > maxUploadSide ||
		cfg.Width*cfg.Height > maxUploadPixels {
		return nil, "", 0, 0, errImageTooBig
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", 0, 0, errNotImage
	}
	var buf bytes.Buffer
	if kind == "image/jpeg" {
		img = orient(img, exifOrientation(data))
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	}
	if err != nil {
		return nil, "", 0, 0, err
	}
	b := img.Bounds()
	return buf.Bytes(), kind, b.Dx(), b.Dy(), nil
}

// exifOrientation reads the Orientation tag (0x0112) of a JPEG's EXIF
// segment: 1 (upright) when there is none or it cannot be read.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++ // fill bytes and markers without a length
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 1 // start of scan: no EXIF before the image data
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds the Orientation entry in IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := range count {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright for an EXIF orientation (2–8 mirror and/or
// rotate; 1 is already upright).
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180°
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotated 90° clockwise to be upright
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // rotated 90° counter-clockwise to be upright
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

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
