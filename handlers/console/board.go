package console

import (
	"bytes"
	_ "embed" // the board template ships inside the binary
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"deputylink/models"

	"github.com/skip2/go-qrcode"
)

//go:embed templates/board.html
var boardHTML string

var boardTmpl = template.Must(template.New("board").Parse(boardHTML))

// DefaultSchedule is the county-wide reception rule of docs/ARCHITECTURE.md#reception-days, printed
// when a station has no rule of its own. A board hangs for years, so it
// shows the rule; NextReception can add a date.
const DefaultSchedule = "每月10日 9:00-11:30（遇节假日顺延）"

// DefaultCommitment is the pledge printed when a deputy has none (neither
// a Pledge nor one in their bio).
const DefaultCommitment = "密切联系群众，倾听群众呼声，反映群众意愿，依法履行代表职责，自觉接受群众监督。"

// BoardData is everything a printable notice board (人大代表公示牌) shows.
// The images are raw bytes (PNG or JPEG); they are inlined as data: URIs so
// the page prints offline.
type BoardData struct {
	Code       string // the printed code, shown small in the footer
	Label      string // the board's place, for a board code
	Name       string
	LevelLabel string // e.g. 县人大代表
	Term       string // e.g. 第十八届
	Group      string // 代表小组
	Duties     string // 职务, e.g. 东门社区党委书记
	// PhotoURL is an http(s) URL or a data:image/… URI; anything else is
	// left out. An http(s) photo needs the network when printing.
	PhotoURL       string
	StationName    string
	StationKind    string // e.g. 代表联络站
	StationAddress string
	StationPhone   string
	OpenHours      string
	Schedule       string // the reception rule, DefaultSchedule if empty
	NextReception  string // optional, e.g. "2026年12月10日（周四）"
	Commitment     string // DefaultCommitment if empty
	County         string // e.g. 青溪县; names the issuer in the footer
	PrintedOn      string // e.g. 2026年11月
	MPCode         []byte // the mini-program code image
	OACode         []byte // the official-account QR image
}

// boardView is BoardData made safe for the template.
type boardView struct {
	BoardData
	Photo            any // template.URL for data: URIs, string for http(s)
	MPImage, OAImage template.HTMLAttr
	Issuer           string
}

// RenderBoard writes the board as one self-contained A4 HTML page. Nothing
// is written when rendering fails.
func RenderBoard(w io.Writer, b BoardData) error {
	return renderSheets(w, b.Name, []boardView{newBoardView(b)})
}

// newBoardView fills a board's defaults and inlines its images.
func newBoardView(b BoardData) boardView {
	v := boardView{BoardData: b}
	if v.Schedule == "" {
		v.Schedule = DefaultSchedule
	}
	if v.Commitment == "" {
		v.Commitment = DefaultCommitment
	}
	v.Issuer = "人大代表联络站"
	if b.County != "" {
		v.Issuer = b.County + "人大常委会"
	}
	v.Photo = photoSrc(b.PhotoURL)
	v.MPImage = imgSrc(b.MPCode)
	v.OAImage = imgSrc(b.OACode)
	return v
}

// RenderBoards writes several boards as one page, one A4 sheet each (a
// station's boards, printed at once). Nothing is written when rendering
// fails.
func RenderBoards(w io.Writer, title string, boards []BoardData) error {
	views := make([]boardView, len(boards))
	for i, b := range boards {
		views[i] = newBoardView(b)
	}
	return renderSheets(w, title, views)
}

func renderSheets(w io.Writer, title string, views []boardView) error {
	var buf bytes.Buffer
	if err := boardTmpl.Execute(&buf, struct {
		Title  string
		Boards []boardView
	}{title, views}); err != nil {
		return fmt.Errorf("render board: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// imgSrc inlines an image as a src="data:…" attribute; bytes that are not
// an image give "". It is written as a whole attribute so html/template
// does not entity-escape the base64 "+" (harmless, but 5× the bytes and
// unreadable to tools that grep the page).
func imgSrc(img []byte) template.HTMLAttr {
	if len(img) == 0 {
		return ""
	}
	mime := http.DetectContentType(img)
	if !strings.HasPrefix(mime, "image/") {
		return ""
	}
	// Safe: the MIME type is one of the sniffer's fixed strings and base64
	// has no quote, '<' or '&'.
	return template.HTMLAttr(`src="data:` + mime + ";base64," + base64.StdEncoding.EncodeToString(img) + `"`)
}

func photoSrc(u string) any {
	u = strings.TrimSpace(u)
	lower := strings.ToLower(u)
	switch {
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		return u // html/template escapes it as a URL
	case models.IsDeputyPhotoPath(u):
		return u // uploaded on the console, served by the API on this host
	case strings.HasPrefix(lower, "data:image/png;"), strings.HasPrefix(lower, "data:image/jpeg;"),
		strings.HasPrefix(lower, "data:image/gif;"), strings.HasPrefix(lower, "data:image/webp;"):
		return template.URL(u)
	}
	return nil
}

// BoardOptions are the parts of a board that do not come from the database.
type BoardOptions struct {
	County        string
	Schedule      string
	NextReception string
	// Commitment overrides the deputy's pledge (their Pledge, or a pledge
	// found in their bio).
	Commitment string
	// Now and Location date the board ("2026年11月制").
	Now      time.Time
	Location *time.Location
}

// ErrBoardImagesMissing means the code's WeChat images were never fetched.
var ErrBoardImagesMissing = errors.New("board: the code has no kept WeChat images")

// NewBoardData builds the board of a printable code from its deputy and
// station. The official-account QR is drawn here, locally, from the ticket's
// URL kept on the code, so printing never calls WeChat.
func NewBoardData(d models.DeputyView, st models.StationView, c models.Code, opt BoardOptions) (BoardData, error) {
	if !c.HasImages() {
		return BoardData{}, ErrBoardImagesMissing
	}
	return boardDataOf(d, st, c, opt)
}

// boardDataOf builds a board with the images the code has; a missing one
// is printed as a blank square saying so.
func boardDataOf(d models.DeputyView, st models.StationView, c models.Code, opt BoardOptions) (BoardData, error) {
	var oa []byte
	if c.QRURL != "" {
		var err error
		if oa, err = QRCodePNG(c.QRURL, 600); err != nil {
			return BoardData{}, err
		}
	}
	b := BoardData{
		Code: c.Code, Name: d.Name, LevelLabel: d.LevelLabel, Term: d.Term, Group: d.Group, Duties: d.Duties,
		PhotoURL: d.PhotoURL, StationName: st.Name, StationKind: st.KindLabel,
		StationAddress: st.Address, StationPhone: st.Phone, OpenHours: st.OpenHours,
		Schedule: opt.Schedule, NextReception: opt.NextReception, County: opt.County,
		Commitment: opt.Commitment, MPCode: c.WXACode, OACode: oa,
	}
	if c.Kind == models.CodeBoard {
		b.Label = c.Label
	}
	if b.Commitment == "" {
		b.Commitment = models.Shorten(strings.Join(strings.Fields(d.Pledge), " "), 120, "…")
	}
	if b.Commitment == "" {
		b.Commitment = CommitmentFromBio(d.Bio)
	}
	if !opt.Now.IsZero() {
		loc := opt.Location
		if loc == nil {
			loc = time.UTC
		}
		t := opt.Now.In(loc)
		b.PrintedOn = fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
	}
	return b, nil
}

// QRCodePNG draws a QR code of content as a size×size PNG. The High recovery
// level (30%) keeps a weathered or scratched printed board scannable.
func QRCodePNG(content string, size int) ([]byte, error) {
	if content == "" {
		return nil, errors.New("qr code: empty content")
	}
	png, err := qrcode.Encode(content, qrcode.High, size)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return png, nil
}

// CommitmentFromBio finds a pledge the deputy wrote into their bio as a
// line starting with "履职承诺：" or "承诺：", up to the end of that line.
// It returns "" when there is none.
func CommitmentFromBio(bio string) string {
	for _, line := range strings.Split(bio, "\n") {
		for _, marker := range []string{"履职承诺：", "履职承诺:", "承诺：", "承诺:"} {
			if _, rest, ok := strings.Cut(line, marker); ok {
				rest = strings.TrimSpace(rest)
				if rest == "" {
					continue
				}
				return models.Shorten(rest, 120, "…")
			}
		}
	}
	return ""
}
