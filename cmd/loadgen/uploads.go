package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"deputylink/wechat/wechattest"
)

// uploadsCmd measures photo uploads under image bombs: for each binary
// (--bin, and --compare in alternate rounds) and each scenario it starts a
// fresh `deputylink serve --demo --no-jobs` on a temporary SQLite data dir
// against an in-process fake WeChat, signs voters in, sends one burst of
// concurrent uploads (one per voter), and reads the server's peak resident
// memory (VmHWM) and the answers.
func uploadsCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	bin := fs.String("bin", "./deputylink", "deputylink binary")
	compare := fs.String("compare", "", "a second binary (e.g. the build before a change), run in alternate rounds")
	n := fs.Int("n", 24, "concurrent uploads per burst")
	rounds := fs.Int("rounds", 1, "rounds (each runs every scenario on every binary)")
	timeout := fs.Duration("timeout", 3*time.Minute, "per-request timeout")
	if err := fs.Parse(args); err != nil || *n < 1 || *rounds < 1 {
		return errUsage
	}
	bins := []string{*bin}
	if *compare != "" {
		bins = append(bins, *compare)
	}
	fake, err := wechattest.NewServer(freeAddr())
	if err != nil {
		return err
	}
	defer fake.Close()

	bomb := pngZeros(5000, 5000)    // 25 MP RGBA: 100 MB decoded
	bombMax := pngZeros(3500, 3500) // 12.25 MP RGBA: 49 MB, about the largest PNG the 48 MiB budget takes
	photo := phonePhoto(4032, 3024) // 12 MP, held upright (EXIF 6)
	small := phonePhoto(1080, 1440) // what the mini-program sends after compressing
	fmt.Fprintf(stdout, "files: bomb 5000x5000 RGBA PNG %d B; bomb 3500x3500 RGBA PNG %d B; 12 MP JPEG %d B; 1.6 MP JPEG %d B\n",
		len(bomb), len(bombMax), len(photo), len(small))
	type scenario struct {
		name  string
		files func(i int) []byte
	}
	scenarios := []scenario{
		{"24 bombs 5000x5000", func(int) []byte { return bomb }},
		{"24 bombs 3500x3500", func(int) []byte { return bombMax }},
		{"mix: 16 bombs 5000x5000 + 4 x 12 MP + 4 x 1.6 MP", func(i int) []byte {
			switch {
			case i%6 == 0:
				return photo
			case i%6 == 3:
				return small
			}
			return bomb
		}},
		{"photos: 12 x 12 MP + 12 x 1.6 MP", func(i int) []byte {
			if i%2 == 0 {
				return photo
			}
			return small
		}},
	}
	for r := range *rounds {
		for _, sc := range scenarios {
			for _, b := range bins {
				res, err := uploadBurst(ctx, b, fake.URL(), *n, sc.files, *timeout)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", b, sc.name, err)
				}
				fmt.Fprintf(stdout, "round %d | %-48s | %-28s | idle %5.1f MB, peak %6.1f MB | %s | %s | %s\n",
					r+1, sc.name, b, res.idleMB, res.peakMB, res.wall.Round(time.Millisecond), percentiles(res.lats), outcomes(res.outcomes))
			}
		}
	}
	return nil
}

type burstRes struct {
	idleMB, peakMB float64
	wall           time.Duration
	lats           []time.Duration
	outcomes       map[string]int
}

// uploadBurst runs one scenario against a fresh server.
func uploadBurst(ctx context.Context, bin, wechatURL string, n int, file func(int) []byte, timeout time.Duration) (burstRes, error) {
	var res burstRes
	dir, err := os.MkdirTemp("", "loadgen-uploads")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	addr := freeAddr()
	cmd := exec.CommandContext(ctx, bin, "serve", "--demo", "--no-jobs")
	cmd.Env = append(os.Environ(), "DEPUTYLINK_ADDR="+addr, "DEPUTYLINK_DATA_DIR="+dir,
		"DEPUTYLINK_DATABASE_URL=sqlite://"+filepath.Join(dir, "dl.db"), "DEPUTYLINK_LOG_LEVEL=warn",
		"DEPUTYLINK_MP_APPID="+wechattest.DefaultMPAppID, "DEPUTYLINK_MP_SECRET="+wechattest.DefaultMPSecret,
		"DEPUTYLINK_WECHAT_API_BASE="+wechatURL)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	base := "http://" + addr
	if err := waitHealthy(base+"/healthz", 30*time.Second); err != nil {
		return res, fmt.Errorf("%w\n%s", err, logs.String())
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConns: n + 10, MaxIdleConnsPerHost: n + 10,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	voters, err := loginVoters(ctx, client, bookingOpts{urls: []string{base}, voters: n, loginConc: 16}, randomHex(4), io.Discard)
	if err != nil {
		return res, err
	}
	bodies := make([][]byte, n)
	ctypes := make([]string, n)
	for i := range n {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "photo")
		_, _ = fw.Write(file(i))
		_ = mw.Close()
		bodies[i], ctypes[i] = buf.Bytes(), mw.FormDataContentType()
	}
	time.Sleep(time.Second)
	res.idleMB = procStatusMB(cmd.Process.Pid, "VmRSS:")
	type one struct {
		lat     time.Duration
		outcome string
	}
	got := make([]one, n)
	start := time.Now()
	burst(n, func(i int) {
		req, _ := http.NewRequest("POST", base+"/api/v1/uploads", bytes.NewReader(bodies[i]))
		req.Header.Set("Content-Type", ctypes[i])
		req.Header.Set("Authorization", "Bearer "+voters[i].token)
		req.Header.Set("X-Forwarded-For", voters[i].ip)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			got[i] = one{time.Since(t0), "transport error"}
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out := outcomeOf(resp.StatusCode, raw)
		if resp.StatusCode == http.StatusCreated {
			out = "201"
		} else {
			out = strconv.Itoa(resp.StatusCode) + " " + out
		}
		got[i] = one{time.Since(t0), out}
	})
	res.wall = time.Since(start)
	res.peakMB = procStatusMB(cmd.Process.Pid, "VmHWM:")
	res.outcomes = map[string]int{}
	for _, g := range got {
		res.lats = append(res.lats, g.lat)
		res.outcomes[g.outcome]++
	}
	return res, nil
}

func outcomes(m map[string]int) string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s×%d", k, v))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// procStatusMB reads a kB field of /proc/PID/status (Linux) in MB.
func procStatusMB(pid int, field string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// pngZeros is a valid w×h RGBA PNG of zero pixels, written row by row:
// about 1/1000 of its decoded size.
func pngZeros(w, h int) []byte {
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
	chunk("IHDR", append(ihdr, 8, 6, 0, 0, 0))
	row := make([]byte, 1+4*w)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	for range h {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// phonePhoto is a w×h 4:2:0 JPEG with some grain (so it weighs what a
// phone photo does, ~2.7 MB at 12 MP) and an EXIF orientation of 6, as a
// phone held upright writes it.
func phonePhoto(w, h int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(1)
	for i := range img.Y {
		seed = seed*1664525 + 1013904223
		img.Y[i] = byte(i%w/32) + byte(seed>>28)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 110, 150
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	// APP1 with a big-endian TIFF whose IFD0 holds Orientation = 6.
	tiff := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(tiff)+2))
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), append(seg, tiff...)...), b[2:]...)
}
