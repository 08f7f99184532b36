package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decode PNG photos
	"io"
	"os"
	"path/filepath"
	"sync"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// A deputy's photo for the boards and the card, uploaded on the console:
// a JPEG or PNG of at most 5 MB and 16 megapixels (a 12 MP phone photo
// fits; the pixels are checked from the header before any is decoded),
// scaled down to at most deputyPhotoSide pixels a side and encoded again
// as a JPEG, which keeps nothing but the pixels (no EXIF, no GPS). It is
// kept under <DataDir>/deputies and served by the API at
// models.DeputyPhotoPath, whose version changes with the photo. One photo
// is decoded at a time: uploads are rare, and this bounds their memory.
const (
	// MaxDeputyPhotoBytes caps a photo; the router lets DeputyPhotoRoute's
	// bodies be that large.
	MaxDeputyPhotoBytes = 5 << 20
	// DeputyPhotoRoute is the upload's route under the console.
	DeputyPhotoRoute     = "/manage/deputies/:id/photo"
	maxDeputyPhotoPixels = 16_000_000
	maxDeputyPhotoAspect = 20
	deputyPhotoSide      = 1200
	auditDeputyPhoto     = models.AuditDeputyPhoto
)

var (
	errPhotoNone    = models.Invalid("photo", "请选择要上传的照片")
	errPhotoKind    = models.Invalid("photo", "只能上传 JPG 或 PNG 格式的照片")
	errPhotoTooBig  = models.Invalid("photo", "照片不能超过 5 MB，请压缩后再上传")
	errPhotoPixels  = models.Invalid("photo", "照片像素过多（最多 1600 万像素），请压缩后再上传")
	errPhotoShape   = models.Invalid("photo", "照片的长宽比不正常，请裁剪后再上传")
	errPhotoStorage = models.Coded(shared.ErrUnavailable, "no_photo_storage", "暂时无法保存照片（未配置数据目录），请填写照片地址")
)

// photoDecode lets one photo be decoded at a time.
var photoDecode sync.Mutex

func (h *Handlers) pageDeputyPhoto(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	fail := func(err error) {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showDeputy(c, dep, status, p, func(d *deputyFormData, _, _ *map[uint64]bool) { d.Bad = "photo" })
		})
	}
	if h.DataDir == "" {
		fail(errPhotoStorage)
		return
	}
	data, err := readPhotoField(c)
	if err != nil {
		fail(err)
		return
	}
	out, err := deputyPhotoJPEG(data)
	if err != nil {
		fail(err)
		return
	}
	sum := sha256.Sum256(out)
	version := hex.EncodeToString(sum[:6])
	path := shared.DeputyPhotoFile(h.DataDir, dep.ID)
	if err := writeFileAtomic(path, out); err != nil {
		h.renderErr(c, err)
		return
	}
	d, err := models.SetDeputyPhoto(c.Request.Context(), h.DB, manageScope(c), dep.ID, models.DeputyPhotoPath(dep.ID, version), h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	seeOther(c, ManageDeputyPath(d.ID), "已更新"+d.Name+"代表的照片")
}

// readPhotoField reads the multipart field "photo", at most
// MaxDeputyPhotoBytes.
func readPhotoField(c *gin.Context) ([]byte, error) {
	fh, err := c.FormFile("photo")
	if err != nil {
		return nil, errPhotoNone
	}
	if fh.Size > MaxDeputyPhotoBytes {
		return nil, errPhotoTooBig
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errPhotoNone
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDeputyPhotoBytes+1))
	if err != nil {
		return nil, errPhotoNone
	}
	if len(data) > MaxDeputyPhotoBytes {
		return nil, errPhotoTooBig
	}
	if len(data) == 0 {
		return nil, errPhotoNone
	}
	return data, nil
}

// deputyPhotoJPEG checks a photo by its content and header, then decodes,
// scales and encodes it again as a JPEG.
func deputyPhotoJPEG(data []byte) ([]byte, error) {
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (kind != "jpeg" && kind != "png") {
		return nil, errPhotoKind
	}
	w, h := cfg.Width, cfg.Height
	switch {
	case w <= 0 || h <= 0:
		return nil, errPhotoKind
	case int64(w)*int64(h) > maxDeputyPhotoPixels:
		return nil, errPhotoPixels
	case w > h*maxDeputyPhotoAspect || h > w*maxDeputyPhotoAspect:
		return nil, errPhotoShape
	}
	photoDecode.Lock()
	defer photoDecode.Unlock()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errPhotoKind
	}
	img = shrink(img, deputyPhotoSide)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// shrink scales img down by a whole factor (averaging each block) until
// its longer side is at most side pixels; a smaller image is kept.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	long := max(b.Dx(), b.Dy())
	if long <= side {
		return img
	}
	f := (long + side - 1) / side
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	n := uint32(f * f)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, bl uint32
			for dy := 0; dy < f; dy++ {
				for dx := 0; dx < f; dx++ {
					cr, cg, cb, _ := img.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy).RGBA()
					r, g, bl = r+cr>>8, g+cg>>8, bl+cb>>8
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n), uint8(g / n), uint8(bl / n), 255})
		}
	}
	return out
}

// writeFileAtomic writes data to path through a temporary file, so a
// reader never sees half a photo.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".photo-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
