package console

import (
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/records"

	"github.com/gin-gonic/gin"
)

// The staff's pages of the deputies' records (履职档案): the review queue
// with batch approval and rejection, the entry of an activity for a
// deputy of the staff member's stations (with photos or PDFs as
// evidence), a deputy's record for a year, and the deputies with nothing
// recorded lately (三不代表), for the office, township users and heads.
// Every deputy outside the staff member's stations is the 404 page.

// Templates of the records' pages.
const (
	tplRecordsQueue    = "records_queue.html"
	tplRecordsNew      = "records_new.html"
	tplRecordsDeputy   = "records_deputy.html"
	tplRecordsInactive = "records_inactive.html"
)

const (
	// RecordsPath is the review queue.
	RecordsPath = pagesBase + "/records"
	// RecordsNewPath is the staff's entry form.
	RecordsNewPath = RecordsPath + "/new"
	// RecordsCreateRoute is the entry form's post, whose body (the
	// evidence) may be up to MaxActivityBody (handlers/router.go).
	RecordsCreateRoute = RecordsPath
	// MaxActivityBody caps an entry with its evidence: six files, PDFs up
	// to 10 MB, photos up to 5 MB, at most 30 MB in all.
	MaxActivityBody     = 30<<20 + 64<<10
	recordsInactivePath = RecordsPath + "/inactive"
)

// RecordsDeputyPath is a deputy's record as staff see it.
func RecordsDeputyPath(id uint64) string {
	return RecordsPath + "/deputy/" + strconv.FormatUint(id, 10)
}

// RecordsFilePath is an evidence file as staff open it.
func RecordsFilePath(id uint64) string { return RecordsPath + "/files/" + strconv.FormatUint(id, 10) }

// errActivityTooLarge answers an entry whose evidence passes its route's
// cap (MaxActivityBody for staff, MaxMeActivityBody for deputies).
var errActivityTooLarge = models.Invalid("files", "照片和文件合计太大，请分开提交或压缩后再上传")

// errInactiveForbidden keeps the inactive list to the office, township
// users and heads.
var errInactiveForbidden = models.Coded(models.ErrForbidden, "records_inactive_forbidden", "只有站长、乡镇（街道）人大和人大常委会办公室可以查看这份名单")

// recordsPages registers the records' pages.
func (h *Handlers) recordsPages(signedIn *gin.RouterGroup) {
	signedIn.GET("/records", h.pageRecordsQueue)
	signedIn.POST("/records/review", h.pageRecordsReview)
	signedIn.GET("/records/new", h.pageRecordsNew)
	signedIn.POST("/records", h.pageRecordsCreate)
	signedIn.GET("/records/inactive", h.pageRecordsInactive)
	signedIn.GET("/records/deputy/:id", h.pageRecordsDeputy)
	signedIn.GET("/records/deputy/:id/report/:month", h.pageRecordsReport)
	signedIn.GET("/records/files/:id", h.pageRecordsFile)
}

// activityRow is one entry in a list, with its evidence's links.
type activityRow struct {
	records.ActivityView
	DeputyHref string
	Checked    bool
	Files      []evidenceLink
	StatusTag  string
}

// evidenceLink is an evidence file's link.
type evidenceLink struct {
	Href, Name string
	Photo      bool
}

func activityRows(vs []records.ActivityView, checked map[uint64]bool) []activityRow {
	out := make([]activityRow, 0, len(vs))
	for _, v := range vs {
		r := activityRow{ActivityView: v, DeputyHref: RecordsDeputyPath(v.DeputyID), Checked: checked[v.ID],
			StatusTag: map[models.ActivityStatus]string{models.ActivityPending: "warn", models.ActivityApproved: "ok",
				models.ActivityRejected: "bad"}[v.Status]}
		for _, f := range v.Files {
			name := f.Name + "（" + sizeText(f.Size) + "）"
			r.Files = append(r.Files, evidenceLink{Href: RecordsFilePath(f.ID), Name: name, Photo: f.Kind == records.ActivityFilePhoto})
		}
		out = append(out, r)
	}
	return out
}

// queueData is the review queue.
type queueData struct {
	Rows                                  []activityRow
	Statuses, Types, Stations, Deputies   []option
	Status, Type, Station, Deputy, Reason string
	Next, Query                           string
	Pending                               bool
}

func (h *Handlers) pageRecordsQueue(c *gin.Context) {
	h.showQueue(c, http.StatusOK, page{Notice: noticeOf(c)}, nil, "")
}

// showQueue renders the queue with the filters of the address (the review
// form carries them back), the checked ids and the typed reason kept.
func (h *Handlers) showQueue(c *gin.Context, status int, p page, checked map[uint64]bool, reason string) {
	ctx := c.Request.Context()
	staff := consoleStaff(c)
	scope := models.ScopeOf(staff)
	// A refused review shows the queue it was sent from (its filters ride
	// in the form's "back").
	filters := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		filters, _ = url.ParseQuery(c.PostForm("back"))
	}
	get := filters.Get
	d := queueData{Status: get("status"), Type: get("type"), Station: get("station_id"), Deputy: get("deputy_id"), Reason: reason}
	if !filters.Has("status") {
		d.Status = string(models.ActivityPending)
	}
	q := records.ActivityQuery{Status: models.ActivityStatus(d.Status), Type: models.ActivityType(d.Type), Limit: 50, Loc: h.Location}
	var bad error
	switch {
	case d.Status != "" && q.Status != models.ActivityPending && q.Status != models.ActivityApproved && q.Status != models.ActivityRejected:
		bad = models.Invalid("status", "请选择有效的审核状态")
	case d.Type != "" && !q.Type.Valid():
		bad = models.Invalid("type", "请选择有效的活动类型")
	}
	if d.Station != "" {
		if id, ok := models.ParseID(d.Station); ok {
			q.StationIDs = []uint64{id}
		} else {
			bad = models.Invalid("station_id", "请选择有效的联络站")
		}
	}
	if d.Deputy != "" {
		if id, ok := models.ParseID(d.Deputy); ok {
			q.DeputyIDs = []uint64{id}
		} else {
			bad = models.Invalid("deputy_id", "请选择有效的代表")
		}
	}
	if s := c.Query("cursor"); s != "" {
		if id, ok := models.ParseID(s); ok {
			q.BeforeID = id
		}
	}
	var items []records.ActivityView
	var next uint64
	if bad == nil {
		items, next, bad = records.ListActivities(ctx, h.DB, q.InScope(scope))
	}
	p.Title, p.Nav = "履职记录审核", "records"
	if bad != nil {
		st, det := shared.ErrorOf(c, bad)
		if st != http.StatusBadRequest {
			h.renderErr(c, bad)
			return
		}
		status, p.Error = st, det.Message
	}
	d.Rows = activityRows(items, checked)
	d.Pending = d.Status == string(models.ActivityPending)
	d.Statuses = []option{{"pending", "待审核"}, {"approved", "已通过"}, {"rejected", "未通过"}, {"", "全部"}}
	d.Types = typeOptions("全部类型", true)
	stations, err := h.stationChoices(c, staff)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Stations = []option{{"", "全部联络站"}}
	for _, s := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
	}
	deps, err := records.RecordDeputies(ctx, h.DB, scope)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Deputies = []option{{"", "全部代表"}}
	for _, dp := range deps {
		d.Deputies = append(d.Deputies, option{strconv.FormatUint(dp.ID, 10), dp.Name + "（" + dp.StationName + "）"})
	}
	v := url.Values{"status": {d.Status}}
	for k, val := range map[string]string{"type": d.Type, "station_id": d.Station, "deputy_id": d.Deputy} {
		if val != "" {
			v.Set(k, val)
		}
	}
	d.Query = v.Encode()
	if next != 0 {
		v.Set("cursor", strconv.FormatUint(next, 10))
		d.Next = RecordsPath + "?" + v.Encode()
	}
	p.Data = d
	h.render(c, status, tplRecordsQueue, p)
}

// typeOptions lists the activity types (reception only when withReception:
// it accrues from the desk and is not entered by hand).
func typeOptions(first string, withReception bool) []option {
	out := []option{}
	if first != "" {
		out = append(out, option{"", first})
	}
	for _, t := range models.ActivityTypes {
		if t == models.ActReception && !withReception {
			continue
		}
		out = append(out, option{string(t), t.Label()})
	}
	return out
}

// pageRecordsReview approves or rejects the checked entries.
func (h *Handlers) pageRecordsReview(c *gin.Context) {
	staff := consoleStaff(c)
	var ids []uint64
	checked := map[uint64]bool{}
	for _, s := range c.PostFormArray("ids") {
		id, ok := models.ParseID(s)
		if !ok {
			continue
		}
		ids = append(ids, id)
		checked[id] = true
	}
	approve := c.PostForm("decision") != "reject"
	reason := c.PostForm("reason")
	n, err := records.ReviewActivities(c.Request.Context(), h.DB, models.ScopeOf(staff), staff.ID, ids, approve, reason, h.Now())
	if err != nil {
		st, det := shared.ErrorOf(c, err)
		if st == http.StatusNotFound || st >= 500 {
			h.renderErr(c, err)
			return
		}
		h.showQueue(c, st, page{Error: det.Message}, checked, reason)
		return
	}
	notice := "已通过" + strconv.Itoa(n) + "条记录"
	if !approve {
		notice = "已退回" + strconv.Itoa(n) + "条记录"
	}
	back := RecordsPath
	if q := c.PostForm("back"); q != "" {
		if v, err := url.ParseQuery(q); err == nil {
			back += "?" + v.Encode()
		}
	}
	seeOther(c, back, notice)
}

// newData is the entry form, with what was typed.
type newData struct {
	Deputies, Types                        []option
	Deputy, Type, Date, Title, Desc, Today string
	MaxFiles                               int
	MaxPDFMB, MaxPhotoMB                   int
}

func (h *Handlers) pageRecordsNew(c *gin.Context) {
	h.showNew(c, http.StatusOK, page{}, newData{Deputy: c.Query("deputy_id")})
}

func (h *Handlers) showNew(c *gin.Context, status int, p page, d newData) {
	deps, err := records.RecordDeputies(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)))
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Deputies = []option{{"", "请选择代表"}}
	for _, dp := range deps {
		d.Deputies = append(d.Deputies, option{strconv.FormatUint(dp.ID, 10), dp.Name + "（" + dp.LevelLabel + "，" + dp.StationName + "）"})
	}
	d.Types = typeOptions("请选择活动类型", false)
	d.Today = h.Now().In(h.Location).Format(models.DateLayout)
	d.MaxFiles, d.MaxPDFMB, d.MaxPhotoMB = records.MaxActivityFiles, models.MaxReplyPDFBytes>>20, models.MaxReplyPhotoBytes>>20
	p.Title, p.Nav, p.Data = "录入履职活动", "records", d
	h.render(c, status, tplRecordsNew, p)
}

// pageRecordsCreate enters an activity for a deputy of the staff member's
// stations, with its evidence.
func (h *Handlers) pageRecordsCreate(c *gin.Context) {
	staff := consoleStaff(c)
	files, stored, err := h.storeActivityFiles(c)
	d := newData{Deputy: c.PostForm("deputy_id"), Type: c.PostForm("type"), Date: c.PostForm("date"),
		Title: c.PostForm("title"), Desc: c.PostForm("description")}
	var a models.Activity
	if err == nil {
		depID, ok := models.ParseID(d.Deputy)
		if !ok {
			err = models.Invalid("deputy_id", "请选择代表")
		} else {
			a, err = records.AddStaffActivity(c.Request.Context(), h.DB, models.ScopeOf(staff), staff.ID, records.ActivityInput{
				DeputyID: depID, Type: models.ActivityType(d.Type), Date: d.Date, Title: d.Title, Description: d.Desc,
				Files: files, Loc: h.Location}, h.Now())
		}
	}
	if err != nil {
		removeFiles(stored)
		st, det := shared.ErrorOf(c, err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusServiceUnavailable {
			h.renderErr(c, err)
			return
		}
		h.showNew(c, st, page{Error: det.Message}, d)
		return
	}
	seeOther(c, RecordsDeputyPath(a.DeputyID), "已录入，等待审核")
}

// storeActivityFiles stores the files of the form's fields (default
// "files"; photos re-encoded without metadata, PDFs as they came) under
// <DataDir>/uploads/activity/<yyyy>/<mm>/; stored lists the written files
// so that a refused entry can remove them. The deputies' own pages use it
// too, with their fields "photos" and "pdf".
func (h *Handlers) storeActivityFiles(c *gin.Context, fields ...string) (files []records.ActivityFileInput, stored []string, err error) {
	if len(fields) == 0 {
		fields = []string{"files"}
	}
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, errActivityTooLarge
		}
		return nil, nil, models.Invalid("files", "佐证材料没有上传成功，请重新选择")
	}
	if c.Request.MultipartForm == nil {
		return nil, nil, nil
	}
	var heads []*multipart.FileHeader
	for _, field := range fields {
		for _, fh := range c.Request.MultipartForm.File[field] {
			if fh.Size > 0 || fh.Filename != "" {
				heads = append(heads, fh)
			}
		}
	}
	if len(heads) == 0 {
		return nil, nil, nil
	}
	if len(heads) > records.MaxActivityFiles {
		return nil, nil, models.Invalid("files", "佐证材料最多"+strconv.Itoa(records.MaxActivityFiles)+"个")
	}
	if h.DataDir == "" {
		return nil, nil, shared.ErrNoUploads
	}
	defer func() {
		if err != nil {
			removeFiles(stored)
			stored = nil
		}
	}()
	now := h.Now().In(h.Location)
	for _, fh := range heads {
		f, err := h.storeEvidenceFile(fh, records.ActivityFileDir, now.Format("2006"), now.Format("01"))
		if err != nil {
			return nil, stored, err
		}
		stored = append(stored, filepath.Join(h.DataDir, filepath.FromSlash(f.Path)))
		files = append(files, records.ActivityFileInput{Kind: f.Kind, Name: f.Name, Path: f.Path, Size: f.Size})
	}
	return files, stored, nil
}

// recordData is a deputy's record as staff see it.
type recordData struct {
	R          records.RecordView
	Rows       []activityRow
	Years      []option
	Year       string
	NewHref    string
	LevelLabel string
	RatingsAny bool
	// Reports link the deputy's monthly 履职通报 (report_pages.go).
	Reports []reportMonthLink
}

// recordsDeputy is the deputy of the address's :id when the staff
// member's stations cover them (records.DeputyInScope); otherwise it has
// answered the 404 page and ok is false.
func (h *Handlers) recordsDeputy(c *gin.Context) (models.Deputy, bool) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, models.ErrDeputyNotFound)
		return models.Deputy{}, false
	}
	d, err := records.DeputyInScope(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id)
	if err != nil {
		h.renderErr(c, err)
		return models.Deputy{}, false
	}
	return d, true
}

func (h *Handlers) pageRecordsDeputy(c *gin.Context) {
	dep, ok := h.recordsDeputy(c)
	if !ok {
		return
	}
	id, ctx := dep.ID, c.Request.Context()
	this := h.Now().In(h.Location).Year()
	year := this
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= this-10 && y <= this {
		year = y
	}
	r, err := records.DeputyRecord(ctx, h.DB, id, year, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := recordData{R: r, Rows: activityRows(r.Entries, nil), Year: strconv.Itoa(year),
		NewHref: RecordsNewPath + "?deputy_id=" + strconv.FormatUint(id, 10), LevelLabel: r.Deputy.Level.Label(),
		Reports: h.reportMonthLinks(r.Deputy, reportMonthsShown, "", func(m string) string { return RecordsReportPath(id, m) })}
	for y := this; y >= this-2; y-- {
		d.Years = append(d.Years, option{strconv.Itoa(y), strconv.Itoa(y) + "年"})
	}
	for _, l := range append(append([]records.LabelCount{}, r.Context.ReplyRatings...), r.Context.ResultRatings...) {
		if l.Count > 0 {
			d.RatingsAny = true
		}
	}
	h.render(c, http.StatusOK, tplRecordsDeputy, page{Title: r.Deputy.Name + "的履职档案", Nav: "records", Notice: noticeOf(c), Data: d})
}

// inactiveData is the list of deputies with nothing recorded lately.
type inactiveData struct {
	Rows   []inactiveRow
	Months string
	Choice []option
}

type inactiveRow struct {
	records.InactiveDeputy
	Href string
}

func (h *Handlers) pageRecordsInactive(c *gin.Context) {
	staff := consoleStaff(c)
	if staff.Role != models.RoleAdmin && staff.Role != models.RoleTownship && staff.Role != models.RoleHead {
		h.renderErr(c, errInactiveForbidden)
		return
	}
	months := records.DefaultInactiveMonths
	if m, err := strconv.Atoi(c.Query("months")); err == nil && (m == 6 || m == 12) {
		months = m
	}
	list, err := records.InactiveDeputies(c.Request.Context(), h.DB, models.ScopeOf(staff), h.Now(), h.Location, months)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := inactiveData{Months: strconv.Itoa(months), Choice: []option{{"3", "三个月"}, {"6", "半年"}, {"12", "一年"}}}
	for _, v := range list {
		d.Rows = append(d.Rows, inactiveRow{InactiveDeputy: v, Href: RecordsDeputyPath(v.ID)})
	}
	h.render(c, http.StatusOK, tplRecordsInactive, page{Title: "近期无履职记录的代表", Nav: "records", Data: d})
}

// pageRecordsFile serves an evidence file of a deputy of the staff
// member's stations: a photo inline, a PDF as a download.
func (h *Handlers) pageRecordsFile(c *gin.Context) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, records.ErrActivityFileNotFound)
		return
	}
	f, err := records.StaffActivityFile(c.Request.Context(), h.DB, models.ScopeOf(consoleStaff(c)), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.serveActivityFile(c, f)
}

// serveActivityFile writes an evidence file (the deputies' own pages use
// it too): a photo inline, a PDF as a download under its name.
func (h *Handlers) serveActivityFile(c *gin.Context, f models.ActivityFile) {
	ctype := "application/pdf"
	switch strings.ToLower(filepath.Ext(f.Path)) {
	case ".jpg":
		ctype = "image/jpeg"
	case ".png":
		ctype = "image/png"
	}
	h.serveEvidenceFile(c, records.ActivityFileDir, f.Kind, ctype, f.Name, f.Path)
}
