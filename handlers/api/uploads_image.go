package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
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
