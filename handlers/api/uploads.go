package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"
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

// The decode budget bounds the memory of the decodes running at once in
// this process: each takes its estimated cost (decodeCost) from one
// weighted semaphore before decoding and gives it back after encoding. 48
// MiB fits one 12 MP phone photo turned upright from a 5 MB file (~48 MB)
// and keeps the server near its 100 MB target with the ~45 MB it holds
// anyway (docs/ARCHITECTURE.md#quality-targets); photos the mini-program
// has compressed (1–3 MP) decode several at a time. An upload that cannot
// start within decodeWait is answered 503 with Retry-After.
const (
	defaultDecodeBudget = 48 << 20
	defaultDecodeWait   = 10 * time.Second
	decodeRetryAfter    = "5"
	// returnAfter is the cost from which a finished decode asks for its
	// memory to go back to the operating system (see returnMemory).
	returnAfter = 8 << 20
)

// decodeGate is the process's decode budget.
var decodeGate = newGate(defaultDecodeBudget, defaultDecodeWait)

// gate is a weighted semaphore over bytes of decode memory.
type gate struct {
	sem   *semaphore.Weighted
	size  int64
	wait  time.Duration
	inUse atomic.Int64
}

func newGate(size int64, wait time.Duration) *gate {
	return &gate{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// acquire waits, at most g.wait and while ctx lasts, for n bytes of the
// budget (n <= g.size: decodeCost refuses more).
func (g *gate) acquire(ctx context.Context, n int64) error {
	ctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.sem.Acquire(ctx, n); err != nil {
		return err
	}
	g.inUse.Add(n)
	return nil
}

func (g *gate) release(n int64) {
	g.inUse.Add(-n)
	g.sem.Release(n)
	if n >= returnAfter {
		returnMemory()
	}
}

var (
	returnOnce sync.Once
	returnReq  = make(chan struct{}, 1)
)

// returnMemory asks, without waiting, for the heap to be collected and its
// free pages handed back to the operating system. A decode leaves tens of
// MB of garbage; left to the pacer, the heap may grow to twice its live
// size and the freed pages stay resident, so a run of large photos would
// hold several budgets' worth of memory. One goroutine serves the requests,
// and requests made while it works are merged into one.
func returnMemory() {
	returnOnce.Do(func() {
		go func() {
			for range returnReq {
				debug.FreeOSMemory()
			}
		}()
	})
	select {
	case returnReq <- struct{}{}:
	default:
	}
}

// testHookDecode, when set (by tests), is called after a decode has taken
// its share of the budget and before it decodes, with the budget in use.
var testHookDecode func(inUse int64)

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

// photo is what an upload's header says, read before any pixel is decoded.
type photo struct {
	kind        string // image/jpeg or image/png
	cfg         image.Config
	orientation int   // EXIF orientation of a JPEG, 1 otherwise
	cost        int64 // estimated bytes to decode, turn upright and re-encode
}

// inspect checks data is a JPEG or PNG by its content and that the size its
// header declares is within the limits, without decoding any pixel.
func inspect(data []byte) (photo, error) {
	kind := http.DetectContentType(data)
	if kind != "image/jpeg" && kind != "image/png" {
		return photo{}, errNotImage
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != kind {
		return photo{}, errNotImage
	}
	w, h := cfg.Width, cfg.Height
	switch {
	case w <= 0 || h <= 0:
		return photo{}, errImageEmpty
	case w > maxUploadSide || h > maxUploadSide || int64(w)*int64(h) > maxUploadPixels:
		return photo{}, errTooManyPx
	case w > maxUploadAspect*h || h > maxUploadAspect*w:
		return photo{}, errImageShape
	}
	p := photo{kind: kind, cfg: cfg, orientation: 1}
	if kind == "image/jpeg" {
		p.orientation = exifOrientation(data)
	}
	p.cost = decodeCost(data, p)
	if p.cost > decodeGate.size {
		return photo{}, errImageTooBig
	}
	return p, nil
}

// decodeCost estimates the bytes a photo holds while it is decoded, turned
// upright and re-encoded, from its header: the decoded pixels as the
// standard decoders allocate them, a progressive JPEG's coefficients (4
// bytes per sample), the upright copy, and the file, its re-encoded form and
// the encoders' buffers.
func decodeCost(data []byte, p photo) int64 {
	px := int64(p.cfg.Width) * int64(p.cfg.Height)
	var pix int64
	if p.kind == "image/png" {
		pix = px * pngBytesPerPixel(p.cfg.ColorModel)
		if len(data) > 28 && data[28] != 0 {
			pix *= 2 // Adam7: each pass is decoded apart, then merged
		}
	} else {
		f, ok := readJPEGFrame(data)
		if !ok {
			return px * 16 // cannot happen after DecodeConfig; be safe
		}
		planes := f.planeBytes()
		pix = planes
		if f.progressive {
			pix += 4 * planes
		}
		if f.ncomp == 4 {
			pix += 4 * px // converted to CMYK
		}
		if p.orientation > 1 {
			if f.ncomp == 4 {
				pix += 8 * px // through RGBA, see orient
			} else {
				pix += planes
			}
		}
	}
	return pix + 2*int64(len(data)) + 1<<20 // the file, the output buffer (grown to its size up front), encoder state
}

// pngBytesPerPixel is the size of a pixel of the image png.Decode returns
// for a colour model.
func pngBytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegFrame is a JPEG's start-of-frame: size, components and their
// sampling factors.
type jpegFrame struct {
	w, h        int
	ncomp       int
	hs, vs      [4]int
	progressive bool
}

// planeBytes is what image/jpeg allocates for the decoded components: each
// plane padded to whole MCUs of the first component.
func (f jpegFrame) planeBytes() int64 {
	h0, v0 := f.hs[0], f.vs[0]
	if f.ncomp == 1 {
		h0, v0 = 1, 1
	}
	mxx := int64((f.w + 8*h0 - 1) / (8 * h0))
	myy := int64((f.h + 8*v0 - 1) / (8 * v0))
	var n int64
	for i := range f.ncomp {
		hi, vi := f.hs[i], f.vs[i]
		if f.ncomp == 1 {
			hi, vi = 1, 1
		}
		n += 8 * int64(hi) * mxx * 8 * int64(vi) * myy
	}
	return n
}

// readJPEGFrame finds the SOF0, SOF1 or SOF2 segment of a JPEG.
func readJPEGFrame(data []byte) (jpegFrame, bool) {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return jpegFrame{}, false
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return jpegFrame{}, false
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return jpegFrame{}, false
		}
		seg := data[i+4 : i+2+n]
		if marker >= 0xC0 && marker <= 0xC2 {
			if len(seg) < 6 {
				return jpegFrame{}, false
			}
			f := jpegFrame{h: int(binary.BigEndian.Uint16(seg[1:])), w: int(binary.BigEndian.Uint16(seg[3:])),
				ncomp: int(seg[5]), progressive: marker == 0xC2}
			if f.ncomp < 1 || f.ncomp > 4 || len(seg) < 6+3*f.ncomp {
				return jpegFrame{}, false
			}
			for k := range f.ncomp {
				f.hs[k], f.vs[k] = max(1, int(seg[7+3*k]>>4)), max(1, int(seg[7+3*k]&15))
			}
			return f, true
		}
		i += 2 + n
	}
	return jpegFrame{}, false
}

// reencode decodes an inspected photo and encodes it again, keeping
// nothing but the pixels (a JPEG turned upright first).
func reencode(data []byte, p photo) (out []byte, w, h int, err error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, errNotImage
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if p.kind == "image/jpeg" {
		img = orient(img, p.orientation)
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	}
	if err != nil {
		return nil, 0, 0, err
	}
	b := img.Bounds()
	return buf.Bytes(), b.Dx(), b.Dy(), nil
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
// rotate; 1 is already upright). A JPEG's YCbCr or gray image is turned
// plane by plane into an image of the same kind (one copy of its own size);
// anything else goes through RGBA.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	if m, ok := orientNative(img, o); ok {
		return m
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
			dx, dy := orientXY(o, x, y, w, h)
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

// orientXY is where pixel (x, y) of a w×h image goes when turned upright
// for EXIF orientation o.
func orientXY(o, x, y, w, h int) (int, int) {
	switch o {
	case 2: // mirrored horizontally
		return w - 1 - x, y
	case 3: // rotated 180°
		return w - 1 - x, h - 1 - y
	case 4: // mirrored vertically
		return x, h - 1 - y
	case 5: // transposed
		return y, x
	case 6: // rotated 90° clockwise to be upright
		return h - 1 - y, x
	case 7: // transversed
		return h - 1 - y, w - 1 - x
	case 8: // rotated 90° counter-clockwise to be upright
		return y, w - 1 - x
	}
	return x, y
}

// orientPlane copies a w×h plane of one byte a sample into dst turned for
// orientation o.
func orientPlane(dst []byte, dstStride int, src []byte, srcStride, w, h, o int) {
	for y := range h {
		row := src[y*srcStride : y*srcStride+w]
		for x, v := range row {
			dx, dy := orientXY(o, x, y, w, h)
			dst[dy*dstStride+dx] = v
		}
	}
}

// orientNative turns a YCbCr (4:4:4, 4:2:2, 4:2:0, 4:4:0) or gray image
// upright without leaving its kind; a 90° turn swaps 4:2:2 and 4:4:0.
func orientNative(img image.Image, o int) (image.Image, bool) {
	switch m := img.(type) {
	case *image.Gray:
		b := m.Bounds()
		if b.Min != (image.Point{}) {
			return nil, false
		}
		w, h := b.Dx(), b.Dy()
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
		}
		dst := image.NewGray(image.Rect(0, 0, dw, dh))
		orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, o)
		return dst, true
	case *image.YCbCr:
		b := m.Bounds()
		ratio := m.SubsampleRatio
		if b.Min != (image.Point{}) {
			return nil, false
		}
		var cw, ch int
		w, h := b.Dx(), b.Dy()
		switch ratio {
		case image.YCbCrSubsampleRatio444:
			cw, ch = w, h
		case image.YCbCrSubsampleRatio422:
			cw, ch = (w+1)/2, h
		case image.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case image.YCbCrSubsampleRatio440:
			cw, ch = w, (h+1)/2
		default:
			return nil, false
		}
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
			switch ratio {
			case image.YCbCrSubsampleRatio422:
				ratio = image.YCbCrSubsampleRatio440
			case image.YCbCrSubsampleRatio440:
				ratio = image.YCbCrSubsampleRatio422
			}
		}
		dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
		orientPlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, o)
		orientPlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, o)
		orientPlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, o)
		return dst, true
	}
	return nil, false
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
