package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // WeChat sends mini-program codes as JPEG
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"deputylink/handlers/console"
	"deputylink/handlers/official"
	"deputylink/models"
	"deputylink/wechat"
)

// wxaCodeWidth is the mini-program code's width in pixels: about 300 dpi at
// the 56 mm it is printed at.
const wxaCodeWidth = 640

func codesCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("codes", args, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "generate":
		if err := parseFlags(newFlagSet("codes generate", stderr), args[1:]); err != nil {
			return err
		}
		return withApp(ctx, getenv, func(a *app) error {
			n, err := models.EnsureCodes(ctx, a.db)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created %d codes (every deputy and station now has one)\n", n)
			return nil
		})
	case "board":
		return codesBoard(ctx, getenv, args[1:], stdout, stderr)
	case "images":
		return codesImages(ctx, getenv, args[1:], stdout, stderr)
	case "print":
		return codesPrint(ctx, getenv, args[1:], stdout, stderr)
	}
	return errUsage
}

// withApp opens (and migrates) the database and Redis around fn.
func withApp(ctx context.Context, getenv func(string) string, fn func(a *app) error) error {
	a, err := openApp(ctx, getenv, true)
	if err != nil {
		return err
	}
	defer a.close()
	return fn(a)
}

func codesBoard(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("codes board", stderr)
	deputy := fs.Uint64("deputy", 0, "the deputy's id")
	label := fs.String("label", "", "where the board hangs, e.g. 东门社区公示栏")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *deputy == 0 || strings.TrimSpace(*label) == "" {
		fmt.Fprintln(stderr, "deputylink codes board: --deputy and --label are required")
		return usageOf(fs)
	}
	return withApp(ctx, getenv, func(a *app) error {
		c, err := models.CreateBoardCode(ctx, a.db, *deputy, *label, time.Now())
		if err != nil {
			return fmt.Errorf("deputy %d: %w", *deputy, err)
		}
		fmt.Fprintf(stdout, "board code %s created for deputy %d (%s)\n", c.Code, *deputy, c.Label)
		fmt.Fprintf(stdout, "print it with: deputylink codes print --code %s --out board.html\n", c.Code)
		return nil
	})
}

func codesImages(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("codes images", stderr)
	deputy := fs.Uint64("deputy", 0, "fetch the images of this deputy's code")
	code := fs.String("code", "", "fetch the images of this code")
	all := fs.Bool("all", false, "fetch the images of every live deputy, station and board code")
	page := fs.String("page", official.MPPageDeputy, "mini-program page the mini-program code opens")
	force := fs.Bool("force", false, "fetch again even when images are kept (e.g. after changing --page)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if n := btoi(*deputy != 0) + btoi(*code != "") + btoi(*all); n != 1 {
		fmt.Fprintln(stderr, "deputylink codes images: give exactly one of --deputy, --code and --all")
		return usageOf(fs)
	}
	return withApp(ctx, getenv, func(a *app) error {
		var todo []models.Code
		switch {
		case *all:
			var err error
			if todo, err = models.PrintableCodes(ctx, a.db, !*force); err != nil {
				return err
			}
		case *deputy != 0:
			c, err := models.EnsureDeputyCode(ctx, a.db, *deputy)
			if err != nil {
				return fmt.Errorf("deputy %d: %w", *deputy, err)
			}
			todo = []models.Code{c}
		default:
			c, err := models.FindCode(ctx, a.db, *code)
			if err == nil && (c.Revoked || c.Kind == models.CodeStaffInvite) {
				err = models.ErrCodeNotFound
			}
			if err != nil {
				return fmt.Errorf("code %s: %w", *code, err)
			}
			todo = []models.Code{c}
		}
		f := &imageFetcher{a: a, page: *page}
		fetched := 0
		for _, c := range todo {
			got, err := f.ensure(ctx, c, *force)
			if err != nil {
				return fmt.Errorf("%s (fetched %d before it): %w", c.Code, fetched, err)
			}
			if got {
				fetched++
			}
		}
		fmt.Fprintf(stdout, "fetched images for %d codes, %d already had them\n", fetched, len(todo)-fetched)
		return nil
	})
}

func codesPrint(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("codes print", stderr)
	deputy := fs.Uint64("deputy", 0, "print the board of this deputy (their primary code)")
	code := fs.String("code", "", "print the board of this deputy or board code")
	out := fs.String("out", "", "write the HTML page to this file (default: standard output)")
	page := fs.String("page", official.MPPageDeputy, "mini-program page the mini-program code opens (when it is fetched)")
	county := fs.String("county", "", "the county's name, printed at the top and in the footer (e.g. 青溪县)")
	schedule := fs.String("schedule", console.DefaultSchedule, "the reception schedule text")
	next := fs.String("next-reception", "", "the next reception day, printed when given (e.g. 2026年12月10日)")
	commitment := fs.String("commitment", "", "the deputy's pledge (default: from the bio, else a standard one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if btoi(*deputy != 0)+btoi(*code != "") != 1 {
		fmt.Fprintln(stderr, "deputylink codes print: give one of --deputy and --code")
		return usageOf(fs)
	}
	return withApp(ctx, getenv, func(a *app) error {
		c, d, err := printableCode(ctx, a, *deputy, *code)
		if err != nil {
			return err
		}
		if d.Status != models.DeputyActive {
			return fmt.Errorf("deputy %d (%s) has left office: no board to print", d.ID, d.Name)
		}
		st, err := models.GetStation(ctx, a.db, d.Station.ID)
		if err != nil {
			return fmt.Errorf("station %d: %w", d.Station.ID, err)
		}
		f := &imageFetcher{a: a, page: *page}
		fetched, err := f.ensure(ctx, c, false)
		if err != nil {
			return err
		}
		if fetched {
			if c, err = models.FindCode(ctx, a.db, c.Code); err != nil {
				return err
			}
		}
		b, err := console.NewBoardData(d, st, c, console.BoardOptions{
			County: *county, Schedule: *schedule, NextReception: *next, Commitment: *commitment,
			Now: time.Now(), Location: a.cfg.Timezone,
		})
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := console.RenderBoard(&buf, b); err != nil {
			return err
		}
		if *out == "" || *out == "-" {
			_, err := buf.WriteTo(stdout)
			return err
		}
		if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
			return err
		}
		source := "kept images, no WeChat call"
		if fetched {
			source = "images fetched from WeChat and kept for reprints"
		}
		fmt.Fprintf(stdout, "wrote %s: %s (%s), code %s; %s\n", *out, d.Name, d.LevelLabel, c.Code, source)
		return nil
	})
}

// printableCode finds the code to print and its deputy: the deputy's primary
// code (created if missing) for deputyID, or the given deputy or board code.
func printableCode(ctx context.Context, a *app, deputyID uint64, code string) (models.Code, models.DeputyView, error) {
	var c models.Code
	var err error
	if code != "" {
		if c, err = models.FindCode(ctx, a.db, code); err != nil {
			return models.Code{}, models.DeputyView{}, fmt.Errorf("code %s: %w", code, err)
		}
		if deputyID, err = models.BoardTarget(c); err != nil {
			return models.Code{}, models.DeputyView{}, err
		}
	}
	d, err := models.GetDeputy(ctx, a.db, deputyID)
	if err != nil {
		return models.Code{}, models.DeputyView{}, fmt.Errorf("deputy %d: %w", deputyID, err)
	}
	if code == "" {
		if c, err = models.EnsureDeputyCode(ctx, a.db, deputyID); err != nil {
			return models.Code{}, models.DeputyView{}, err
		}
	}
	return c, d, nil
}

// imageFetcher fetches a code's two WeChat artefacts and keeps them, so the
// next print is made from the database alone. The WeChat client is built
// only when something is missing.
type imageFetcher struct {
	a    *app
	page string
	wc   *wechat.Client
}

func (f *imageFetcher) client() (*wechat.Client, error) {
	if f.wc == nil {
		wc, err := f.a.wechatClient()
		if err != nil {
			return nil, err
		}
		f.wc = wc
	}
	return f.wc, nil
}

// ensure fetches what c lacks (everything when force) and reports whether
// it called WeChat. Each artefact is stored as soon as it arrives, so a
// failure of the second does not cost the first again.
func (f *imageFetcher) ensure(ctx context.Context, c models.Code, force bool) (bool, error) {
	needMP := force || len(c.WXACode) == 0
	needOA := force || c.QRURL == ""
	if !needMP && !needOA {
		return false, nil
	}
	if needMP && f.a.cfg.MP.AppID == "" {
		return false, fmt.Errorf("code %s has no mini-program code and DEPUTYLINK_MP_APPID is not set", c.Code)
	}
	if needOA && f.a.cfg.OA.AppID == "" {
		return false, fmt.Errorf("code %s has no official-account QR code and DEPUTYLINK_OA_APPID is not set", c.Code)
	}
	wc, err := f.client()
	if err != nil {
		return false, err
	}
	if needMP {
		img, err := wc.WXACodeUnlimit(ctx, c.Code, f.page, wechat.WithoutCheckPath(), wechat.WithWidth(wxaCodeWidth))
		if err != nil {
			return true, fmt.Errorf("mini-program code of %s: %w", c.Code, err)
		}
		pngBytes, err := toPNG(img)
		if err != nil {
			return true, fmt.Errorf("mini-program code of %s: %w", c.Code, err)
		}
		if err := models.SetCodeImages(ctx, f.a.db, c.Code, "", pngBytes); err != nil {
			return true, err
		}
	}
	if needOA {
		// A permanent QR (QR_LIMIT_STR_SCENE): a board hangs for years. An
		// account may hold 100,000 of them, which is why each code gets one
		// and it is kept.
		t, err := wc.QRTicket(ctx, c.Code, 0, true)
		if err != nil {
			return true, fmt.Errorf("official-account QR code of %s: %w", c.Code, err)
		}
		if t.URL == "" {
			return true, fmt.Errorf("official-account QR code of %s: WeChat returned no url", c.Code)
		}
		if err := models.SetCodeImages(ctx, f.a.db, c.Code, t.URL, nil); err != nil {
			return true, err
		}
	}
	return true, nil
}

// toPNG re-encodes WeChat's image (JPEG today) as PNG. Decoding also checks
// that WeChat really sent an image before it is kept for years of reprints.
func toPNG(img []byte) ([]byte, error) {
	m, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("not an image: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeFileAtomic writes through a temporary file in the same directory, so
// an interrupted run never leaves half a page behind.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
