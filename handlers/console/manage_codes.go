package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat"

	"github.com/gin-gonic/gin"
)

// The codes and boards: the printed codes of deputies and stations and the
// deputies' notice boards (公示牌), with their scans in the last 90 days;
// making a code or a board, retiring one, and printing a board or all of a
// station's boards (the board renderer of board.go). Scoped by
// models.ManageScope: a township user sees its township's stations and the
// deputies whose primary station is there.

// The code pages' template.
const tplManageCodes = "manage_codes.html"

// Where the code pages live.
const (
	manageCodesPath  = pagesBase + "/manage/codes"
	manageBoardsPath = pagesBase + "/manage/boards"
	// boardMPPage is the mini-program page a board's mini-program code
	// opens: the deputy's page (the official account's MPPageDeputy).
	boardMPPage = "pages/deputy/index"
	// boardWXAWidth is the mini-program code's width: about 300 dpi at
	// the 56 mm it is printed at.
	boardWXAWidth = 640
)

func (h *Handlers) manageCodePages(manage *gin.RouterGroup) {
	manage.GET("/codes", h.manageCodesPage)
	manage.POST("/codes", h.manageCodeCreate)
	manage.POST("/codes/:code/retire", h.manageCodeRetire)
	manage.GET("/codes/:code/board", h.manageBoardPrint)
	manage.GET("/boards/:station", h.manageStationBoards)
}

// BoardPrintPath is the print view of one deputy or board code.
func BoardPrintPath(code string) string { return manageCodesPath + "/" + code + "/board" }

// StationBoardsPath is the print view of every board of a station.
func StationBoardsPath(stationID uint64) string {
	return manageBoardsPath + "/" + strconv.FormatUint(stationID, 10)
}

// codesData is what the code list shows.
type codesData struct {
	Rows []models.CodeRow
	// The filter, and the next page's address.
	Q, Kind, Station, Status string
	Next                     string
	Kinds, Statuses          []option
	Stations, Deputies       []option
	// Form holds what was typed into the create form after a refusal.
	Form map[string]string
	Open bool
	// PrintStation is the station whose boards can be printed at once.
	PrintStation string
}

var codeFormFields = []string{"kind", "deputy_id", "station_id", "label"}

func (h *Handlers) manageCodesPage(c *gin.Context) {
	h.showCodes(c, http.StatusOK, page{Notice: noticeOf(c)}, map[string]string{})
}

func (h *Handlers) showCodes(c *gin.Context, status int, p page, form map[string]string) {
	ctx := c.Request.Context()
	sc := manageScope(c)
	d := codesData{Q: strings.TrimSpace(c.Query("q")), Kind: c.Query("kind"), Station: c.Query("station_id"),
		Status: c.Query("status"), Form: form, Open: p.Error != ""}
	f := models.CodeFilter{Q: d.Q, Kind: models.CodeKind(d.Kind), Status: d.Status}
	switch f.Kind {
	case "", models.CodeDeputy, models.CodeStation, models.CodeBoard:
	default:
		f.Kind, d.Kind = "", ""
	}
	if f.Status != "active" && f.Status != "retired" {
		f.Status, d.Status = "", ""
	}
	if id, ok := models.ParseID(d.Station); ok {
		f.StationID = id
	} else {
		d.Station = ""
	}
	pg, _ := strconv.Atoi(c.Query("page"))
	pg = max(pg, 1)
	f.Offset = (pg - 1) * 50
	list, err := models.ListManagedCodes(ctx, h.DB, sc, f, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Rows = list.Rows
	if list.More {
		q := c.Request.URL.Query()
		q.Set("page", strconv.Itoa(pg+1))
		d.Next = manageCodesPath + "?" + q.Encode()
	}
	stations, err := models.ScopeStations(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	deputies, err := models.ScopeDeputies(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	for _, st := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(st.ID, 10), st.Name})
	}
	for _, dp := range deputies {
		d.Deputies = append(d.Deputies, option{strconv.FormatUint(dp.ID, 10), dp.String()})
	}
	if f.StationID != 0 {
		d.PrintStation = StationBoardsPath(f.StationID)
	}
	d.Kinds = []option{{"", "全部种类"}, {string(models.CodeDeputy), models.CodeKindLabel(models.CodeDeputy)},
		{string(models.CodeBoard), models.CodeKindLabel(models.CodeBoard)}, {string(models.CodeStation), models.CodeKindLabel(models.CodeStation)}}
	d.Statuses = []option{{"", "全部"}, {"active", "在用"}, {"retired", "已停用"}}
	if form["kind"] == "" {
		form["kind"] = string(models.CodeBoard)
	}
	p.Title, p.Nav, p.Data = "二维码和公示牌", "manage", d
	h.render(c, status, tplManageCodes, p)
}

func (h *Handlers) manageCodeCreate(c *gin.Context) {
	form := map[string]string{}
	for _, k := range codeFormFields {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	kind := models.CodeKind(form["kind"])
	var target uint64
	var err error
	field, msg := "deputy_id", "请选择代表"
	if kind == models.CodeStation {
		field, msg = "station_id", "请选择联络站"
	}
	if s := form[field]; s != "" {
		var ok bool
		if target, ok = models.ParseID(s); !ok {
			err = models.Invalid(field, msg)
		}
	}
	var code models.Code
	if err == nil {
		code, err = models.CreateManagedCode(c.Request.Context(), h.DB, manageScope(c), kind, target, form["label"], h.Now())
	}
	if err != nil {
		h.refusedForm(c, err, func(status int, msg string) { h.showCodes(c, status, page{Error: msg}, form) })
		return
	}
	seeOther(c, manageCodesPath+"?q="+code.Code, "已生成"+models.CodeKindLabel(code.Kind)+" "+code.Code)
}

func (h *Handlers) manageCodeRetire(c *gin.Context) {
	code := c.Param("code")
	if err := models.RetireCode(c.Request.Context(), h.DB, manageScope(c), code, h.Now()); err != nil {
		if status, _ := shared.ErrorOf(c, err); status == http.StatusNotFound {
			h.renderErr(c, err)
			return
		}
		h.refusedForm(c, err, func(status int, msg string) { h.showCodes(c, status, page{Error: msg}, map[string]string{}) })
		return
	}
	back := manageCodesPath
	if ref := c.PostForm("back"); strings.HasPrefix(ref, manageCodesPath) && !strings.ContainsAny(ref, "\r\n\\") {
		back = ref
	}
	if u, err := url.Parse(back); err == nil {
		q := u.Query()
		q.Del("ok")
		u.RawQuery = q.Encode()
		back = u.String()
	}
	seeOther(c, back, "已停用 "+strings.ToUpper(code))
}

// manageBoardPrint shows one deputy or board code as its printable board.
func (h *Handlers) manageBoardPrint(c *gin.Context) {
	ctx := c.Request.Context()
	code, err := models.ManagedCode(ctx, h.DB, manageScope(c), c.Param("code"))
	if err == nil {
		_, err = models.BoardTarget(code)
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	b, err := h.boardOf(ctx, shared.Logger(c), code)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.writeBoards(c, b.Name, []BoardData{b})
}

// manageStationBoards prints every board of a station at once.
func (h *Handlers) manageStationBoards(c *gin.Context) {
	ctx := c.Request.Context()
	id, ok := h.pageID(c, "station")
	if !ok {
		return
	}
	st, codes, err := models.StationBoardCodes(ctx, h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if len(codes) == 0 {
		h.renderErr(c, models.Coded(models.ErrNotFound, "no_boards", st.Name+"没有在任代表的二维码，请先为代表生成代表码"))
		return
	}
	boards := make([]BoardData, 0, len(codes))
	for _, code := range codes {
		b, err := h.boardOf(ctx, shared.Logger(c), code)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		boards = append(boards, b)
	}
	h.writeBoards(c, st.Name, boards)
}

// boardCSP allows the board page's own inline style sheet, by its hash,
// and no other style or script: the board is a self-contained page for
// printing offline. The hash is of the sheet as rendered (html/template
// drops its comments).
func boardCSP(page []byte) string {
	style := ""
	if _, rest, ok := bytes.Cut(page, []byte("<style>")); ok {
		if css, _, ok := bytes.Cut(rest, []byte("</style>")); ok {
			sum := sha256.Sum256(css)
			style = "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; "
		}
	}
	return "default-src 'none'; " + style + "img-src data: https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func (h *Handlers) writeBoards(c *gin.Context, title string, boards []BoardData) {
	var buf bytes.Buffer
	if err := RenderBoards(&buf, title, boards); err != nil {
		h.renderErr(c, err)
		return
	}
	c.Header("Content-Security-Policy", boardCSP(buf.Bytes()))
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// wxaCoder is the mini-program code maker (*wechat.Client); the console's
// WebAuth may also be one.
type wxaCoder interface {
	WXACodeUnlimit(ctx context.Context, scene, page string, opts ...wechat.WXACodeOption) ([]byte, error)
}

// boardOf builds a code's board from its deputy and station. The WeChat
// images it lacks are fetched once and kept for reprints (a permanent
// official-account QR code, the mini-program code when the WeChat client
// makes them); one that cannot be made is printed as a blank saying so.
func (h *Handlers) boardOf(ctx context.Context, log *slog.Logger, code models.Code) (BoardData, error) {
	id, err := models.BoardTarget(code)
	if err != nil {
		return BoardData{}, err
	}
	d, err := models.GetDeputy(ctx, h.DB, id)
	if err != nil {
		return BoardData{}, err
	}
	st, err := models.GetStation(ctx, h.DB, d.Station.ID)
	if err != nil {
		return BoardData{}, err
	}
	if code.QRURL == "" && h.WebAuth != nil {
		if t, err := h.WebAuth.QRTicket(ctx, code.Code, 0, true); err != nil || t.URL == "" {
			log.WarnContext(ctx, "Board QR code failed", "code", code.Code, "err", err)
		} else if err := models.SetCodeImages(ctx, h.DB, code.Code, t.URL, nil); err != nil {
			return BoardData{}, err
		} else {
			code.QRURL = t.URL
		}
	}
	if wx, ok := h.WebAuth.(wxaCoder); ok && len(code.WXACode) == 0 {
		img, err := wx.WXACodeUnlimit(ctx, code.Code, boardMPPage, wechat.WithoutCheckPath(), wechat.WithWidth(boardWXAWidth))
		if err != nil || !strings.HasPrefix(http.DetectContentType(img), "image/") {
			log.WarnContext(ctx, "Board mini-program code failed", "code", code.Code, "err", err)
		} else if err := models.SetCodeImages(ctx, h.DB, code.Code, "", img); err != nil {
			return BoardData{}, err
		} else {
			code.WXACode = img
		}
	}
	return boardDataOf(d, st, code, BoardOptions{Now: h.Now(), Location: h.Location})
}
