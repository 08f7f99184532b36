package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/models"
)

// upload posts data as the multipart field "file" and fails the test
// unless the answer is want.
func (e *opinionEnv) upload(token, name string, data []byte, want int) api.UploadView {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	must(e.t, mw.WriteField("note", "before the file"))
	fw, err := mw.CreateFormFile("file", name)
	must(e.t, err)
	_, _ = fw.Write(data)
	must(e.t, mw.Close())
	var raw json.RawMessage
	r := e.req("POST", "/api/v1/uploads", token, map[string]string{"Content-Type": mw.FormDataContentType()}, &buf, &raw)
	if r.StatusCode != want {
		e.t.Fatalf("upload %s: %d %s, want %d", name, r.StatusCode, raw, want)
	}
	var out api.UploadView
	_ = json.Unmarshal(raw, &out)
	return out
}

// fetch GETs path and returns the answer with its raw body.
func (e *opinionEnv) fetch(path, token string) (*http.Response, []byte) {
	e.t.Helper()
	r, err := http.NewRequest("GET", e.srv.URL+path, nil)
	must(e.t, err)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(r)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
)

// quadrants is a w×h image: top-left red, top-right green, bottom blue.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := blue
			if y < h/2 {
				c = red
				if x >= w/2 {
					c = green
				}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// jpegBytes encodes quadrants(w, h) as a JPEG and, when exif is given,
// puts it in an APP1 segment right after the start-of-image marker, where
// cameras write it.
func jpegBytes(t *testing.T, w, h int, exif []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, jpeg.Encode(&buf, quadrants(w, h), &jpeg.Options{Quality: 95}))
	b := buf.Bytes()
	if exif == nil {
		return b
	}
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2))
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, exif...)
	return append(out, b[2:]...)
}

// exifBlock builds "Exif\0\0" + a TIFF structure whose IFD0 holds the
// Orientation tag and, when gps is set, a GPS IFD with the latitude and
// longitude of a voter's home (30°16'12.34"N 120°9'56.78"E).
func exifBlock(bo binary.ByteOrder, orientation uint16, gps bool) []byte {
	var t bytes.Buffer
	w := func(v any) { _ = binary.Write(&t, bo, v) }
	if bo == binary.BigEndian {
		t.WriteString("MM")
	} else {
		t.WriteString("II")
	}
	w(uint16(42))
	w(uint32(8))
	entries := uint16(1)
	if gps {
		entries = 2
	}
	entry := func(tag, typ uint16, count, value uint32) { w(tag); w(typ); w(count); w(value) }
	short := func(tag, v uint16) { w(tag); w(uint16(3)); w(uint32(1)); w(v); w(uint16(0)) }
	w(entries)
	short(0x0112, orientation)
	ifd0End := uint32(8 + 2 + 12*int(entries) + 4)
	if gps {
		entry(0x8825, 4, 1, ifd0End) // GPS IFD pointer
	}
	w(uint32(0))
	if gps {
		dataAt := ifd0End + 2 + 4*12 + 4
		ascii := func(tag uint16, s string) { w(tag); w(uint16(2)); w(uint32(2)); t.WriteString(s + "\x00\x00\x00") }
		w(uint16(4))
		ascii(0x0001, "N")
		entry(0x0002, 5, 3, dataAt)
		ascii(0x0003, "E")
		entry(0x0004, 5, 3, dataAt+24)
		w(uint32(0))
		for _, r := range []uint32{30, 1, 16, 1, 1234, 100, 120, 1, 9, 1, 5678, 100} {
			w(r)
		}
	}
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

// segments lists a JPEG's marker segments before the image data.
func segments(t *testing.T, b []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("bad JPEG structure at %d", i)
		}
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return markers
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { return int(a>>8)-int(w) < 60 && int(w)-int(a>>8) < 60 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestUploadStripsExifAndGPS(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a, b := e.login(e.fake, "oPhotoA"), e.login(e.fake, "oPhotoB")
	src := jpegBytes(t, 64, 32, exifBlock(binary.BigEndian, 6, true))
	if !bytes.Contains(src, []byte("Exif")) || !bytes.Contains(segments(t, src), []byte{0xE1}) {
		t.Fatal("test JPEG has no EXIF segment")
	}
	up := e.upload(a, "IMG_0001.jpg", src, 201)
	if up.ID == 0 || up.URL != fmt.Sprintf("/api/v1/uploads/%d", up.ID) || up.ContentType != "image/jpeg" {
		t.Fatalf("upload = %+v", up)
	}

	// The stored file: under uploads/<yyyy>/<mm>/, no EXIF, no GPS, upright.
	var files []string
	must(t, filepath.WalkDir(e.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	if len(files) != 1 || !strings.HasPrefix(files[0], filepath.Join(e.dataDir, "uploads", "2026", "11")+string(filepath.Separator)) ||
		!strings.HasSuffix(files[0], ".jpg") {
		t.Fatalf("stored files = %v", files)
	}
	stored, err := os.ReadFile(files[0])
	must(t, err)
	for _, m := range segments(t, stored) {
		if m >= 0xE1 && m <= 0xEF {
			t.Errorf("stored JPEG keeps an APP%d segment", m-0xE0)
		}
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte{0x88, 0x25}) && bytes.Contains(stored, []byte("MM\x00*")) {
		t.Error("stored JPEG still carries EXIF")
	}
	sum := sha256.Sum256(stored)
	if up.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s does not match the stored file", up.SHA256)
	}
	img, err := jpeg.Decode(bytes.NewReader(stored))
	must(t, err)
	if bnd := img.Bounds(); bnd.Dx() != 32 || bnd.Dy() != 64 || up.Width != 32 || up.Height != 64 {
		t.Errorf("stored %v (answer %dx%d), want 32x64: the EXIF orientation 6 must be applied", bnd, up.Width, up.Height)
	}
	// Orientation 6: the stored top row is the right side, so red (top-left
	// of the stored pixels) is now top-right and green bottom-right.
	if !near(img.At(28, 4), red) || !near(img.At(28, 60), green) || !near(img.At(4, 32), blue) {
		t.Errorf("not rotated right: %v %v %v", img.At(28, 4), img.At(28, 60), img.At(4, 32))
	}

	// Served to the owner only.
	resp, body := e.fetch(up.URL, a)
	if resp.StatusCode != 200 || !bytes.Equal(body, stored) || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Cache-Control"), "private") {
		t.Errorf("owner fetch: %d %d bytes %v", resp.StatusCode, len(body), resp.Header)
	}
	if resp, _ := e.fetch(up.URL, b); resp.StatusCode != 404 {
		t.Errorf("another voter fetched the photo: %d", resp.StatusCode)
	}
	if resp, _ := e.fetch(up.URL, ""); resp.StatusCode != 401 {
		t.Errorf("anonymous fetch: %d", resp.StatusCode)
	}

	// Attached to an opinion, the photo is linked from it.
	op := e.fileOpinion(a, "", map[string]any{"content": lampContent, "category": "shenghuo", "photo_ids": []uint64{up.ID}}, 201)
	if len(op.Photos) != 1 || op.Photos[0].URL != up.URL || op.Photos[0].SHA256 != up.SHA256 {
		t.Errorf("opinion photos = %+v", op.Photos)
	}
	var ph models.OpinionPhoto
	must(t, e.db.Where("opinion_id = ?", op.ID).First(&ph).Error)
	if ph.SHA256 != up.SHA256 || !strings.HasPrefix(ph.Path, "uploads/2026/11/") {
		t.Errorf("opinion photo row = %+v", ph)
	}
}

func TestUploadAppliesEveryOrientation(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oOrient")
	// Where the stored top-left (red) and top-right (green) corners belong
	// once displayed, per EXIF orientation.
	type corner int
	const (
		tl corner = iota
		tr
		bl
		br
	)
	want := map[uint16][2]corner{1: {tl, tr}, 2: {tr, tl}, 3: {br, bl}, 4: {bl, br}, 5: {tl, bl}, 6: {tr, br}, 7: {br, tr}, 8: {bl, tl}}
	for o := uint16(1); o <= 8; o++ {
		bo := binary.ByteOrder(binary.LittleEndian)
		if o%2 == 0 {
			bo = binary.BigEndian
		}
		up := e.upload(a, "o.jpg", jpegBytes(t, 64, 32, exifBlock(bo, o, false)), 201)
		_, body := e.fetch(up.URL, a)
		img, err := jpeg.Decode(bytes.NewReader(body))
		must(t, err)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if (o >= 5) != (w == 32 && h == 64) {
			t.Errorf("orientation %d: stored %dx%d", o, w, h)
			continue
		}
		at := func(c corner) color.Color {
			x, y := 3, 3
			if c == tr || c == br {
				x = w - 4
			}
			if c == bl || c == br {
				y = h - 4
			}
			return img.At(x, y)
		}
		if !near(at(want[o][0]), red) || !near(at(want[o][1]), green) {
			t.Errorf("orientation %d: red corner %v, green corner %v", o, at(want[o][0]), at(want[o][1]))
		}
	}
}

// pngWithText encodes quadrants(w, h) as a PNG with a tEXt chunk carrying
// a location, inserted before IEND.
func pngWithText(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, png.Encode(&buf, quadrants(w, h)))
	b := buf.Bytes()
	iend := bytes.LastIndex(b, []byte("IEND")) - 4
	data := []byte("Comment\x00GPS 30.2700,120.1500")
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte("tEXt"), data...)))
	out := append([]byte{}, b[:iend]...)
	out = append(out, chunk...)
	return append(out, b[iend:]...)
}

func TestUploadPNGDropsTextChunks(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oPNG")
	src := pngWithText(t, 20, 10)
	if _, err := png.Decode(bytes.NewReader(src)); err != nil || !bytes.Contains(src, []byte("tEXt")) {
		t.Fatalf("test PNG broken: %v", err)
	}
	up := e.upload(a, "shot.png", src, 201)
	resp, body := e.fetch(up.URL, a)
	if up.ContentType != "image/png" || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("content type %q / %q", up.ContentType, resp.Header.Get("Content-Type"))
	}
	if bytes.Contains(body, []byte("tEXt")) || bytes.Contains(body, []byte("GPS")) {
		t.Error("stored PNG keeps its text chunk")
	}
	img, err := png.Decode(bytes.NewReader(body))
	must(t, err)
	if img.Bounds().Dx() != 20 || !near(img.At(15, 2), green) {
		t.Errorf("stored PNG %v", img.Bounds())
	}
}

func TestUploadRejects(t *testing.T) {
	e := newOpinionEnv(t, nil)
	a := e.login(e.fake, "oRejects")
	var gif bytes.Buffer
	gif.WriteString("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	var tall bytes.Buffer
	must(t, png.Encode(&tall, image.NewGray(image.Rect(0, 0, 1, 12001))))
	bigJPEG := append(jpegBytes(t, 8, 8, nil), make([]byte, api.MaxUploadBytes)...)
	cases := []struct {
		name   string
		data   []byte
		status int
		code   string
	}{
		{"a text file renamed .jpg", []byte("这不是照片，只是一段文字。\nnot a photo\n"), 400, "invalid_file"},
		{"JPEG magic then garbage", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("x"), 600)...), 400, "invalid_file"},
		{"a GIF", gif.Bytes(), 400, "invalid_file"},
		{"too many pixels", tall.Bytes(), 400, "invalid_file"},
		{"empty", nil, 400, "invalid_file"},
		{"just over 5 MB", append(jpegBytes(t, 8, 8, nil), make([]byte, api.MaxUploadBytes+1-len(jpegBytes(t, 8, 8, nil)))...), 413, "file_too_large"},
		{"well over 5 MB", bigJPEG, 413, "file_too_large"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "photo.jpg")
		_, _ = fw.Write(c.data)
		_ = mw.Close()
		var eb errBody
		r := e.req("POST", "/api/v1/uploads", a, map[string]string{"Content-Type": mw.FormDataContentType()}, &buf, &eb)
		if r.StatusCode != c.status || eb.Error.Code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.StatusCode, eb.Error.Code, c.status, c.code)
		}
	}
	// A form without the file field, and a body that is not a form.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("photo", "x")
	_ = mw.Close()
	var eb errBody
	if r := e.req("POST", "/api/v1/uploads", a, map[string]string{"Content-Type": mw.FormDataContentType()}, &buf, &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_file" {
		t.Errorf("no file field: %d %q", r.StatusCode, eb.Error.Code)
	}
	eb = errBody{}
	if r := e.req("POST", "/api/v1/uploads", a, nil, strings.NewReader(`{"file":"x"}`), &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_file" {
		t.Errorf("JSON body: %d %q", r.StatusCode, eb.Error.Code)
	}
	for path, code := range map[string]string{"/api/v1/uploads/abc": "invalid_id", "/api/v1/uploads/424242": "upload_not_found"} {
		eb = errBody{}
		r := e.req("GET", path, a, nil, nil, &eb)
		if eb.Error.Code != code || r.StatusCode/100 != 4 {
			t.Errorf("GET %s: %d %q, want %q", path, r.StatusCode, eb.Error.Code, code)
		}
	}
	if n := e.count(&models.Upload{}, ""); n != 0 {
		t.Errorf("rejected uploads recorded: %d", n)
	}
	entries, _ := os.ReadDir(e.dataDir)
	if len(entries) != 0 {
		t.Errorf("rejected uploads left files: %v", entries)
	}
}

func TestUploadUnavailableWithoutDataDir(t *testing.T) {
	e := newOpinionEnv(t, func(d *handlers.Deps) { d.DataDir = "" })
	a := e.login(e.fake, "oNoDir")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "p.jpg")
	_, _ = fw.Write(jpegBytes(t, 8, 8, nil))
	_ = mw.Close()
	var eb errBody
	if r := e.req("POST", "/api/v1/uploads", a, map[string]string{"Content-Type": mw.FormDataContentType()}, &buf, &eb); r.StatusCode != 503 || eb.Error.Code != "uploads_unavailable" {
		t.Errorf("without a data dir: %d %q", r.StatusCode, eb.Error.Code)
	}
}
