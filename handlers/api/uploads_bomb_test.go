package api_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"mime/multipart"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/handlers/api"
	"deputylink/models"
)

// pngBomb is a valid PNG of w×h pixels, all zero, at the given bit depth
// and colour type (6: RGBA, 0: gray), written row by row so the test never
// holds the pixels: a 5000×5000 RGBA bomb is about 100 KB and 100 MB once
// decoded.
func pngBomb(t *testing.T, w, h int, depth, colorType byte) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	chunk("IHDR", ihdr)
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[colorType]
	row := make([]byte, 1+(w*channels*int(depth)+7)/8)
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	must(t, err)
	for range h {
		_, _ = zw.Write(row)
	}
	must(t, zw.Close())
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// jpegHeaderBomb is a JPEG that declares w×h progressive 4:4:4 (whose
// decoder would allocate 15 bytes a pixel before reading any scan) and
// carries nothing else but the JFIF marker: a few dozen bytes.
func jpegHeaderBomb(w, h int) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xFF, 0xC2, 0, 17, 8)
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = append(b, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	return append(b, 0xFF, 0xD9)
}

// uploadErr posts data and returns the status, the error body and the
// Retry-After header.
func (e *opinionEnv) uploadErr(token string, data []byte) (int, errBody, string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "photo.png")
	_, _ = fw.Write(data)
	_ = mw.Close()
	var eb errBody
	r := e.req("POST", "/api/v1/uploads", token, map[string]string{"Content-Type": mw.FormDataContentType()}, &buf, &eb)
	return r.StatusCode, eb, r.Header.Get("Retry-After")
}

// Small files that declare more pixels than a photo may have are refused
// from their header, with a message that says what to do.
func TestUploadRefusesImageBombs(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oBomb")
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"PNG 5000×5000 RGBA (25 MP, 100 MB decoded)", pngBomb(t, 5000, 5000, 8, 6), "像素"},
		{"PNG 4000×4000 16-bit RGBA (128 MB decoded)", pngBomb(t, 4000, 4000, 16, 6), "像素"},
		{"JPEG header 5000×5000 progressive 4:4:4", jpegHeaderBomb(5000, 5000), "像素"},
		{"PNG 1×12000", pngBomb(t, 1, 12000, 8, 0), "长宽比"},
		{"PNG 11000×200", pngBomb(t, 11000, 200, 8, 0), "长宽比"},
	}
	for _, c := range cases {
		if len(c.data) > 200<<10 {
			t.Fatalf("%s: the bomb is %d bytes, want a small file", c.name, len(c.data))
		}
		st, eb, _ := e.uploadErr(a, c.data)
		if st != 400 || eb.Error.Code != "invalid_file" || !strings.Contains(eb.Error.Message, c.msg) {
			t.Errorf("%s (%d bytes): %d %q %q, want 400 invalid_file mentioning %s", c.name, len(c.data), st, eb.Error.Code, eb.Error.Message, c.msg)
		}
	}
}

// The bombs above are refused from their header: nothing is decoded.
func TestUploadBombsAreNotDecoded(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oNoDecode")
	var decodes atomic.Int64
	api.SetDecodeHook(func(int64) { decodes.Add(1) })
	t.Cleanup(func() { api.SetDecodeHook(nil) })
	for _, b := range [][]byte{pngBomb(t, 5000, 5000, 8, 6), jpegHeaderBomb(5000, 5000), pngBomb(t, 1, 12000, 8, 0),
		jpegHeaderBomb(50_000, 50_000), jpegHeaderBomb(0, 100)} {
		if st, eb, _ := e.uploadErr(a, b); st != 400 || eb.Error.Code != "invalid_file" {
			t.Errorf("bomb of %d bytes: %d %q", len(b), st, eb.Error.Code)
		}
	}
	if n := decodes.Load(); n != 0 {
		t.Errorf("%d bombs were decoded, want none", n)
	}
	// A photo within the limits is decoded, once.
	e.upload(a, "ok.jpg", jpegBytes(t, 64, 32, nil), 201)
	if n := decodes.Load(); n != 1 {
		t.Errorf("decodes = %d after one photo, want 1", n)
	}
}

// A 12 MP phone photo held upright (EXIF orientation 6) from a file near
// the 5 MB cap fits the default budget and comes back turned.
func TestUploadTwelveMegapixelPhoto(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oTwelve")
	img := image.NewYCbCr(image.Rect(0, 0, 4032, 3024), image.YCbCrSubsampleRatio420)
	seed := uint32(1)
	for i := range img.Y {
		seed = seed*1664525 + 1013904223
		img.Y[i] = byte(i%4032/32) + byte(seed>>28) // some grain, so the file is megabytes
	}
	for y := range 1512 { // the left half red-ish, the right half blue-ish
		for x := range 2016 {
			img.Cb[y*img.CStride+x], img.Cr[y*img.CStride+x] = 100, 200
			if x >= 1008 {
				img.Cb[y*img.CStride+x], img.Cr[y*img.CStride+x] = 200, 100
			}
		}
	}
	var buf bytes.Buffer
	must(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	src := buf.Bytes()
	exif := exifBlock(binary.BigEndian, 6, false)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(exif)+2))
	src = append(append(append([]byte{}, src[:2]...), append(seg, exif...)...), src[2:]...)
	cost, err := api.DecodeCost(src)
	t.Logf("12 MP JPEG of %d bytes: decode cost %.1f MB", len(src), float64(cost)/1e6)
	if err != nil || len(src) > api.MaxUploadBytes {
		t.Fatalf("a 12 MP photo of %d bytes is refused: %v", len(src), err)
	}
	// The same photo in a file at the 5 MB cap (a less compressed one) fits too.
	if _, err := api.DecodeCost(append(append([]byte{}, src...), make([]byte, api.MaxUploadBytes-len(src))...)); err != nil {
		t.Errorf("a 12 MP photo of 5 MB is refused: %v", err)
	}
	up := e.upload(a, "IMG_1200.jpg", src, 201)
	if up.Width != 3024 || up.Height != 4032 {
		t.Errorf("stored %dx%d, want 3024x4032 (turned upright)", up.Width, up.Height)
	}
	_, body := e.fetch(up.URL, a)
	out, err := jpeg.Decode(bytes.NewReader(body))
	must(t, err)
	// Turned 90° clockwise: the source's left half is now the top half.
	if r, _, b, _ := out.At(1500, 500).RGBA(); r <= b {
		t.Errorf("top half should be red-ish: %v", out.At(1500, 500))
	}
	if r, _, b, _ := out.At(1500, 3500).RGBA(); b <= r {
		t.Errorf("bottom half should be blue-ish: %v", out.At(1500, 3500))
	}
}

// Many uploads at once never have more decode memory in use than the
// budget, and still decode several at a time when they fit.
func TestUploadDecodeBudgetHolds(t *testing.T) {
	e := newOpinionEnv(t, nil)
	photo := pngWithText(t, 600, 400)
	cost, err := api.DecodeCost(photo)
	must(t, err)
	budget := 3 * cost
	t.Cleanup(api.SetDecodeBudget(budget, time.Minute))
	var mu sync.Mutex
	var running, peakRunning int
	var peakInUse int64
	api.SetDecodeHook(func(inUse int64) {
		mu.Lock()
		running++
		peakRunning = max(peakRunning, running)
		peakInUse = max(peakInUse, inUse)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond) // hold the budget so uploads overlap
		mu.Lock()
		running--
		mu.Unlock()
	})
	t.Cleanup(func() { api.SetDecodeHook(nil) })
	const n = 16
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = e.login(e.fake, fmt.Sprintf("oBudget%02d", i))
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() { statuses[i], _, _ = e.uploadErr(tokens[i], photo) })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 201 {
			t.Errorf("upload %d: %d, want 201", i, st)
		}
	}
	if peakInUse > budget || peakRunning > 3 {
		t.Errorf("peak budget in use %d of %d, %d decodes at once: the budget does not hold", peakInUse, budget, peakRunning)
	}
	if peakRunning < 2 {
		t.Errorf("at most %d decode at a time, want up to 3 within the budget", peakRunning)
	}
}

// An upload that cannot get its share of the budget in time is answered
// 503 with Retry-After, not 500, and nothing is stored.
func TestUploadBusyIs503(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oBusy")
	t.Cleanup(api.SetDecodeBudget(8<<20, 50*time.Millisecond))
	release, err := api.HoldDecodeBudget(8 << 20)
	must(t, err)
	st, eb, retry := e.uploadErr(a, jpegBytes(t, 64, 32, nil))
	if st != 503 || eb.Error.Code != "uploads_busy" || retry == "" || !strings.Contains(eb.Error.Message, "稍后") {
		t.Errorf("while the budget is taken: %d %q %q Retry-After=%q", st, eb.Error.Code, eb.Error.Message, retry)
	}
	if n := e.count(&models.Upload{}, ""); n != 0 {
		t.Errorf("a refused upload was recorded: %d", n)
	}
	release()
	e.upload(a, "p.jpg", jpegBytes(t, 64, 32, nil), 201)
}
