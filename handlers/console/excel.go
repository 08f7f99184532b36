package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Excel: the office imports its rosters (stations, communities, deputies)
// from the templates it downloads here, and every staff member exports the
// ledgers of their stations. An upload is read and every row checked
// (models.ReadImportSheet, models.CheckImport); a file with a wrong row is
// shown back row by row and nothing is kept; a file that passes is kept in
// Redis for importTTL, bound to the staff member, until they confirm it
// (models.ApplyImport checks it again in the writing transaction).

const (
	tplImport        = "import.html"
	tplImportPreview = "import_preview.html"
	tplExports       = "exports.html"

	importPath  = pagesBase + "/manage/import"
	exportsPath = pagesBase + "/exports"

	// ImportRoute is the upload's route, whose body may be MaxImportBody.
	ImportRoute = importPath + "/:kind"
	// MaxImportBody caps an upload: the file and the form around it, with
	// room for a file a little over the limit to get the page's message.
	MaxImportBody = models.MaxImportBytes + 3<<20

	// importTTL is how long a checked file waits for its confirmation.
	importTTL = 30 * time.Minute
	// importShownErrors is how many row errors the page lists.
	importShownErrors = 200
	// xlsxType is the media type of an .xlsx file.
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// excelPages registers the Excel imports (manage) and exports (signedIn).
func (h *Handlers) excelPages(signedIn, manage *gin.RouterGroup) {
	manage.GET("/import", h.importPage)
	manage.GET("/import/:kind/template.xlsx", h.importTemplate)
	manage.POST("/import/:kind", h.importUpload)
	manage.POST("/import/:kind/confirm", h.importConfirm)
	signedIn.GET("/exports", h.exportsPage)
	signedIn.GET("/exports/download", h.exportDownload)
}

// importKindView is one kind of import on the page.
type importKindView struct {
	Kind, Label, TemplateURL, UploadURL string
}

// importData is the import page.
type importData struct {
	Kinds []importKindView
	// Township is the township a township user imports for.
	Township string
	// Checked is the refused upload, when there is one.
	Checked *importChecked
}

// importChecked is the outcome of checking an upload that was refused.
type importChecked struct {
	Kind, Label, FileName string
	Rows                  int
	Errors                []string
	More                  int
}

func importKindViews() []importKindView {
	out := make([]importKindView, 0, len(models.ImportKinds))
	for _, k := range models.ImportKinds {
		out = append(out, importKindView{Kind: string(k), Label: k.Label(),
			TemplateURL: importPath + "/" + string(k) + "/template.xlsx", UploadURL: importPath + "/" + string(k)})
	}
	return out
}

func (h *Handlers) importPage(c *gin.Context) {
	h.renderImport(c, http.StatusOK, "", nil)
}

func (h *Handlers) renderImport(c *gin.Context, status int, msg string, checked *importChecked) {
	h.render(c, status, tplImport, page{Title: "Excel 导入", Nav: "manage", Notice: noticeOf(c), Error: msg,
		Data: importData{Kinds: importKindViews(), Township: manageScope(c).Township, Checked: checked}})
}

// importKind is the :kind of the address; an unknown one is the 404 page.
func (h *Handlers) importKind(c *gin.Context) (models.ImportKind, bool) {
	k := models.ImportKind(c.Param("kind"))
	if !k.Valid() {
		h.renderErr(c, models.ErrNotFound)
		return "", false
	}
	return k, true
}

// contentDisposition names a download; filename* carries the Chinese name
// (RFC 5987), filename an ASCII fallback for old clients.
func contentDisposition(name, fallback string) string {
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, strings.ReplaceAll(url.QueryEscape(name), "+", "%20"))
}

func (h *Handlers) importTemplate(c *gin.Context) {
	kind, ok := h.importKind(c)
	if !ok {
		return
	}
	stations, err := models.ImportStationNames(c.Request.Context(), h.DB, manageScope(c))
	if err != nil {
		h.renderErr(c, err)
		return
	}
	c.Header("Content-Disposition", contentDisposition(kind.Label()+"导入模板.xlsx", string(kind)+"-template.xlsx"))
	c.Header("Content-Type", xlsxType)
	c.Status(http.StatusOK)
	if err := models.ImportTemplate(c.Writer, kind, stations); err != nil {
		shared.Logger(c).ErrorContext(c.Request.Context(), "Import template failed", "kind", kind, "err", err)
	}
}

// Upload refusals, shown on the import page.
var (
	errImportNoFile  = models.Coded(models.ErrInvalid, "import_no_file", "请选择要上传的 Excel 文件（.xlsx）")
	errImportTooBig  = models.Coded(shared.ErrTooLarge, "import_file_too_large", "文件不能超过 5MB，请分成几个文件导入")
	errImportExpired = models.Coded(models.ErrNotFound, "import_expired", "这次上传已过期或已经导入，请重新上传文件")
)

func (h *Handlers) importUpload(c *gin.Context) {
	kind, ok := h.importKind(c)
	if !ok {
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		h.importRefused(c, errImportNoFile)
		return
	}
	if fh.Size > models.MaxImportBytes {
		h.importRefused(c, errImportTooBig)
		return
	}
	file, err := fh.Open()
	if err != nil {
		h.importRefused(c, errImportNoFile)
		return
	}
	defer file.Close()
	sheet, err := models.ReadImportSheet(file, kind)
	if err != nil {
		h.importRefused(c, err)
		return
	}
	ctx := c.Request.Context()
	scope := manageScope(c)
	plan, err := models.CheckImport(ctx, h.DB, scope, sheet)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	name := models.Shorten(models.CleanLine(fh.Filename), 80, "…")
	if !plan.OK() {
		h.importRowsRefused(c, kind, name, plan)
		return
	}
	id := randomToken()[:22]
	raw, err := json.Marshal(importPending{Staff: scope.Actor.ID, File: name, Sheet: sheet})
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if err := h.Redis.Set(ctx, h.importKey(id), raw, importTTL).Err(); err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplImportPreview, page{Title: "确认导入" + kind.Label(), Nav: "manage", Data: importPreview{
		Label: kind.Label(), FileName: name, Rows: plan.Rows, Creates: plan.Creates, Updates: plan.Updates,
		ConfirmURL: importPath + "/" + string(kind) + "/confirm", ID: id,
		Until: models.ClockText(h.Now().Add(importTTL), h.Location),
	}})
}

// importPending is a checked upload waiting for its confirmation.
type importPending struct {
	Staff uint64             `json:"staff"`
	File  string             `json:"file"`
	Sheet models.ImportSheet `json:"sheet"`
}

// importPreview is the confirmation page of a checked upload.
type importPreview struct {
	Label, FileName        string
	Rows, Creates, Updates int
	ConfirmURL, ID, Until  string
}

func (h *Handlers) importKey(id string) string { return h.RedisPrefix + "cimport:" + id }

// importRefused shows the import page with a file-level refusal.
func (h *Handlers) importRefused(c *gin.Context, err error) {
	status, d := shared.ErrorOf(c, err)
	if status >= http.StatusInternalServerError {
		h.renderErr(c, err)
		return
	}
	h.renderImport(c, status, d.Message, nil)
}

// importRowsRefused lists the wrong rows of an upload.
func (h *Handlers) importRowsRefused(c *gin.Context, kind models.ImportKind, file string, plan models.ImportPlan) {
	ch := &importChecked{Kind: string(kind), Label: kind.Label(), FileName: file, Rows: plan.Rows, More: plan.MoreErrors}
	for i, e := range plan.Errors {
		if i == importShownErrors {
			ch.More += len(plan.Errors) - i
			break
		}
		ch.Errors = append(ch.Errors, e.Text())
	}
	msg := fmt.Sprintf("“%s”中有 %d 处错误，没有导入任何数据。请在表格中改正下面列出的行，再重新上传。", file, len(plan.Errors)+plan.MoreErrors)
	h.renderImport(c, http.StatusUnprocessableEntity, msg, ch)
}

// importIDLen is the length of an upload's id (randomToken()[:22]).
const importIDLen = 22

func (h *Handlers) importConfirm(c *gin.Context) {
	kind, ok := h.importKind(c)
	if !ok {
		return
	}
	id := c.PostForm("id")
	if len(id) != importIDLen || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		h.importRefused(c, errImportExpired)
		return
	}
	ctx := c.Request.Context()
	scope := manageScope(c)
	raw, err := h.Redis.Get(ctx, h.importKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		h.importRefused(c, errImportExpired)
		return
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var p importPending
	if err := json.Unmarshal(raw, &p); err != nil || p.Staff != scope.Actor.ID || p.Sheet.Kind != kind {
		h.importRefused(c, errImportExpired)
		return
	}
	// Only the press that deletes the upload imports it: a second press
	// (or a second tab) finds nothing.
	if n, err := h.Redis.Del(ctx, h.importKey(id)).Result(); err != nil || n == 0 {
		if err != nil {
			h.renderErr(c, err)
			return
		}
		h.importRefused(c, errImportExpired)
		return
	}
	res, plan, err := models.ApplyImport(ctx, h.DB, scope, p.Sheet, p.File, h.Now())
	if errors.Is(err, models.ErrImportRows) {
		// The database changed since the check (another import, an edit).
		h.importRowsRefused(c, kind, p.File, plan)
		return
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	// New stations, communities and deputies route voters' items at once.
	h.placesChanged()
	seeOther(c, importPath, fmt.Sprintf("已导入%s：新增 %d 条，更新 %d 条", kind.Label(), res.Created, res.Updated))
}

// exportsData is the exports page.
type exportsData struct {
	Kinds    []option
	Stations []option
	Form     map[string]string
}

func (h *Handlers) exportsPage(c *gin.Context) {
	now := h.Now().In(h.Location)
	form := map[string]string{
		"kind": string(models.ExportOpinions), "station": "",
		"from": time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, h.Location).Format(models.DateLayout),
		"to":   now.Format(models.DateLayout),
	}
	h.renderExports(c, http.StatusOK, "", form)
}

func (h *Handlers) renderExports(c *gin.Context, status int, msg string, form map[string]string) {
	staff := consoleStaff(c)
	stations, err := h.stationChoices(c, staff)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := exportsData{Form: form, Stations: []option{{"", "全部联络站"}}}
	if staff.Role != models.RoleAdmin {
		d.Stations[0].Label = "我负责的全部联络站"
	}
	for _, s := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
	}
	for _, k := range models.ExportKinds {
		d.Kinds = append(d.Kinds, option{string(k), k.Label()})
	}
	h.render(c, status, tplExports, page{Title: "导出台账", Nav: "exports", Error: msg, Data: d})
}

// exportSlots bounds the exports running at once: each holds a database
// connection and a core for seconds.
var exportSlots = make(chan struct{}, 2)

// exportWait is how long an export waits for a slot before a 503.
const exportWait = 5 * time.Second

var errExportBusy = models.Coded(shared.ErrUnavailable, "exports_busy", "正在导出的台账较多，请稍等片刻再试")

func (h *Handlers) exportDownload(c *gin.Context) {
	form := map[string]string{"kind": c.Query("kind"), "station": c.Query("station"), "from": c.Query("from"), "to": c.Query("to")}
	staff := consoleStaff(c)
	q := models.ExportQuery{Kind: models.ExportKind(form["kind"]), Scope: models.ScopeOf(staff),
		From: form["from"], To: form["to"], Loc: h.Location, Now: h.Now()}
	if s := form["station"]; s != "" {
		id, ok := models.ParseID(s)
		if !ok {
			h.renderExports(c, http.StatusBadRequest, "请从列表中选择联络站", form)
			return
		}
		q.StationID = id
	}
	if err := q.Check(); err != nil {
		status, d := shared.ErrorOf(c, err)
		h.renderExports(c, status, d.Message, form)
		return
	}
	ctx := c.Request.Context()
	station, err := models.ExportStationName(ctx, h.DB, q.StationID)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	select {
	case exportSlots <- struct{}{}:
		defer func() { <-exportSlots }()
	case <-time.After(exportWait):
		h.renderErr(c, errExportBusy)
		return
	case <-ctx.Done():
		return
	}
	name := models.ExportFileName(q, station)
	c.Header("Content-Disposition", contentDisposition(name, string(q.Kind)+"-"+q.From+"-"+q.To+".xlsx"))
	c.Header("Content-Type", xlsxType)
	start := time.Now()
	n, err := models.WriteExport(ctx, h.DB, q, c.Writer)
	if err != nil {
		if !c.Writer.Written() {
			c.Writer.Header().Del("Content-Disposition")
			c.Writer.Header().Del("Content-Type")
			h.renderErr(c, err)
			return
		}
		// Half a file is out: the browser's download fails, which is all
		// that can be said now.
		shared.Logger(c).ErrorContext(ctx, "Export failed while writing", "kind", q.Kind, "rows", n, "err", err)
		c.Abort()
		return
	}
	shared.Logger(c).InfoContext(ctx, "Ledger exported", "kind", q.Kind, "station", q.StationID, "rows", n,
		"ms", time.Since(start).Milliseconds())
}
