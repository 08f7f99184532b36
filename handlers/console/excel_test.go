package console_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"

	"github.com/xuri/excelize/v2"
)

// upload posts a file as the form field "file" of a multipart form, with
// the CSRF token, and returns the status, the Location and the page.
func (b browser) upload(path, name string, file []byte, fields url.Values) (int, string, string) {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	must(b.e.t, mw.WriteField("csrf", b.csrf))
	for k, vs := range fields {
		for _, v := range vs {
			must(b.e.t, mw.WriteField(k, v))
		}
	}
	if file != nil {
		w, err := mw.CreateFormFile("file", name)
		must(b.e.t, err)
		_, err = w.Write(file)
		must(b.e.t, err)
	}
	must(b.e.t, mw.Close())
	resp, raw := b.sendMultipart(path, mw.FormDataContentType(), &body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// sendMultipart posts a multipart body with the browser's session cookie
// and returns the answer, redirects not followed.
func (b browser) sendMultipart(path, contentType string, body io.Reader) (*http.Response, []byte) {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, body)
	must(b.e.t, err)
	req.Header.Set("Content-Type", contentType)
	req.AddCookie(&http.Cookie{Name: "dl_console", Value: b.cookie})
	resp, err := noRedirect.Do(req)
	must(b.e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// download gets a file and returns the response and its bytes.
func (b browser) download(path string) (*http.Response, []byte) {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	must(b.e.t, err)
	req.AddCookie(&http.Cookie{Name: "dl_console", Value: b.cookie})
	resp, err := noRedirect.Do(req)
	must(b.e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// sheetFile writes rows (the header first) as an .xlsx file.
func sheetFile(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			must(t, f.SetCellStr("Sheet1", cell, v))
		}
	}
	var buf bytes.Buffer
	must(t, f.Write(&buf))
	return buf.Bytes()
}

func rosterRow(name, level, station string) []string {
	return []string{name, level, station, "", "东门社区", "城关镇代表小组", "第十八届", "2021-12-01", "2026-11-30", "社区书记", "每月进站", ""}
}

var importID = regexp.MustCompile(`name="id" value="([A-Za-z0-9_-]{22})"`)

// Ensure clerks and heads cannot reach the imports; an admin gets the page
// and the templates, named in Chinese, with the headers the import reads.
func TestImportPagesAccess(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	for _, u := range []string{"clerk_e", "head_e"} {
		b := e.browser(u)
		if code, _ := b.get("/console/manage/import"); code != http.StatusForbidden {
			t.Fatalf("%s: import page %d", u, code)
		}
		if code, _, _ := b.upload("/console/manage/import/deputies", "a.xlsx", []byte("x"), nil); code != http.StatusForbidden {
			t.Fatalf("%s: upload %d", u, code)
		}
		if r, _ := b.download("/console/manage/import/deputies/template.xlsx"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: template %d", u, r.StatusCode)
		}
	}
	b := e.browser("admin")
	code, body := b.get("/console/manage/import")
	if code != http.StatusOK || !strings.Contains(body, "下载代表名册模板") || !strings.Contains(body, "上传并检查联络站") {
		t.Fatalf("admin import page %d", code)
	}
	if code, _ := b.get("/console/manage/import/nonsense/template.xlsx"); code != http.StatusNotFound {
		t.Fatalf("unknown kind: %d", code)
	}
	r, file := b.download("/console/manage/import/deputies/template.xlsx")
	cd := r.Header.Get("Content-Disposition")
	if r.StatusCode != http.StatusOK || !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("代表名册导入模板.xlsx")) ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/vnd.openxmlformats") {
		t.Fatalf("template: %d %q %q", r.StatusCode, cd, r.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(file))
	must(t, err)
	defer f.Close()
	rows, err := f.GetRows("代表名册")
	must(t, err)
	if rows[0][0] != "姓名*" || rows[0][1] != "层级*" || !strings.HasPrefix(rows[1][0], "示例：") {
		t.Fatalf("template rows %v", rows[:2])
	}
	names, err := f.GetRows("联络站名单")
	must(t, err)
	if len(names) < 10 {
		t.Fatalf("template lists %d stations", len(names))
	}
}

// Ensure a roster with one bad row is shown back row by row and writes
// nothing; the fixed roster is previewed, and only the confirmation writes
// it, once, audited.
func TestImportRosterFlow(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	b := e.browser("admin")
	head := models.ImportHeaders(models.ImportDeputies)
	bad := [][]string{head, rosterRow("导入甲", "县", e.east.Name), rosterRow("导入乙", "区级", e.east.Name)}
	code, _, body := b.upload("/console/manage/import/deputies", "名册.xlsx", sheetFile(t, bad), nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "第3行：层级“区级”不正确，应为 全国/省/市/县/镇 之一") ||
		!strings.Contains(body, "没有导入任何数据") {
		t.Fatalf("bad roster: %d\n%s", code, body)
	}
	var n int64
	e.db.Model(&models.Deputy{}).Where("name LIKE ?", "导入%").Count(&n)
	if n != 0 {
		t.Fatalf("a refused roster wrote %d deputies", n)
	}
	good := [][]string{head, rosterRow("导入甲", "县", e.east.Name), rosterRow("导入乙", "镇", e.east.Name)}
	code, _, body = b.upload("/console/manage/import/deputies", "名册.xlsx", sheetFile(t, good), nil)
	m := importID.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || !strings.Contains(body, "全部 2 行检查通过") {
		t.Fatalf("good roster: %d\n%s", code, body)
	}
	e.db.Model(&models.Deputy{}).Where("name LIKE ?", "导入%").Count(&n)
	if n != 0 {
		t.Fatal("the check wrote before the confirmation")
	}
	// Another admin cannot confirm this upload.
	_, err := models.CreateConsoleUser(t.Context(), e.db, "admin2", conPassword, "测试admin2", models.RoleAdmin, nil, conT0)
	must(t, err)
	if code, _, body := e.browser("admin2").post("/console/manage/import/deputies/confirm", url.Values{"id": {m[1]}}); code != http.StatusNotFound ||
		!strings.Contains(body, "已过期") {
		t.Fatalf("another admin's confirmation: %d", code)
	}
	code, loc, _ := b.post("/console/manage/import/deputies/confirm", url.Values{"id": {m[1]}})
	if code != http.StatusSeeOther || !strings.Contains(mustUnescape(t, loc), "已导入代表名册：新增 2 条，更新 0 条") {
		t.Fatalf("confirm: %d %s", code, mustUnescape(t, loc))
	}
	var ds []models.Deputy
	e.db.Preload("Constituency").Where("name LIKE ?", "导入%").Order("id").Find(&ds)
	if len(ds) != 2 || ds[0].StationID != e.east.ID || len(ds[0].Constituency) != 1 || ds[1].Level != models.LevelTownship {
		t.Fatalf("deputies %+v", ds)
	}
	var audits int64
	e.db.Model(&models.AuditLog{}).Where("action = ? AND actor_id = ?", "import.deputies", e.boss.ID).Count(&audits)
	if audits != 1 {
		t.Fatalf("%d import audit rows", audits)
	}
	// A second press finds nothing to import.
	if code, _, body := b.post("/console/manage/import/deputies/confirm", url.Values{"id": {m[1]}}); code != http.StatusNotFound || !strings.Contains(body, "已过期或已经导入") {
		t.Fatalf("second confirmation: %d", code)
	}
	if code, _, _ := b.post("/console/manage/import/deputies/confirm", url.Values{"id": {"../../x"}}); code != http.StatusNotFound {
		t.Fatalf("bad id: %d", code)
	}
}

// Ensure what is not an Excel file, no file, or a file too large, gets a
// Chinese message on the page and no 5xx.
func TestImportNotExcelFile(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	b := e.browser("admin")
	for name, tc := range map[string]struct {
		file   []byte
		status int
		want   string
	}{
		"text":      {[]byte("姓名,层级\n张三,县\n"), http.StatusBadRequest, "这个文件不是 Excel 表格"},
		"png":       {[]byte("\x89PNG\r\n\x1a\n0000"), http.StatusBadRequest, "这个文件不是 Excel 表格"},
		"no file":   {nil, http.StatusBadRequest, "请选择要上传的 Excel 文件"},
		"too large": {bytes.Repeat([]byte("x"), models.MaxImportBytes+1), http.StatusRequestEntityTooLarge, "文件不能超过 5MB"},
		"stations":  {sheetFile(t, [][]string{models.ImportHeaders(models.ImportStations), {"x"}}), http.StatusBadRequest, "这不是代表名册的模板"},
	} {
		code, _, body := b.upload("/console/manage/import/deputies", "file.xlsx", tc.file, nil)
		if code != tc.status || !strings.Contains(body, tc.want) {
			t.Fatalf("%s: %d, want %d with %q", name, code, tc.status, tc.want)
		}
	}
}

// Ensure a 5,000-row roster imports through the page.
func TestImport5000RowsPage(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	b := e.browser("admin")
	rows := [][]string{models.ImportHeaders(models.ImportDeputies)}
	for i := range 5000 {
		rows = append(rows, rosterRow(fmt.Sprintf("页面代表%04d", i), "镇", e.east.Name))
	}
	start := time.Now()
	code, _, body := b.upload("/console/manage/import/deputies", "big.xlsx", sheetFile(t, rows), nil)
	m := importID.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("upload: %d", code)
	}
	checked := time.Since(start)
	code, _, _ = b.post("/console/manage/import/deputies/confirm", url.Values{"id": {m[1]}})
	if code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	t.Logf("5000 rows: upload and check %v, confirm %v", checked, time.Since(start)-checked)
	var n int64
	e.db.Model(&models.Deputy{}).Where("name LIKE ?", "页面代表%").Count(&n)
	if n != 5000 {
		t.Fatalf("%d deputies", n)
	}
}

// Ensure a township user imports their township only, and gets the other
// townships' rows named.
func TestImportTownshipPage(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	u, err := models.CreateConsoleUser(t.Context(), e.db, "town", conPassword, "测试乡镇", models.RoleClerk, []uint64{e.east.ID}, conT0)
	must(t, err)
	must(t, e.db.Model(&models.Staff{}).Where("id = ?", u.ID).Updates(map[string]any{"role": models.RoleTownship, "township": e.east.District}).Error)
	var other models.Station
	must(t, e.db.Where("district <> ?", e.east.District).First(&other).Error)
	b := e.browser("town")
	file := sheetFile(t, [][]string{models.ImportHeaders(models.ImportCommunities),
		{"本镇新社区", e.east.Name, "", ""}, {"外镇新社区", other.Name, "", ""}})
	code, _, body := b.upload("/console/manage/import/communities", "社区.xlsx", file, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "第3行：联络站“"+other.Name+"”不在您管理的"+e.east.District+"范围内") {
		t.Fatalf("township upload: %d\n%s", code, body)
	}
	r, tpl := b.download("/console/manage/import/deputies/template.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	must(t, err)
	defer f.Close()
	names, _ := f.GetRows("联络站名单")
	for _, n := range names {
		if n[0] == other.Name {
			t.Fatalf("township template offers %s (%d)", other.Name, r.StatusCode)
		}
	}
}

// Ensure the exports: the ledger of a period holds the database's rows
// under Chinese headers; a clerk's holds their station's only, another
// station is the 404 page; wrong dates get a Chinese message.
func TestExportPages(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	eastOp := e.file(e.east.ID, conT0)
	westOp := e.file(e.west.ID, conT0.Add(time.Hour))
	clerk := e.browser("clerk_e")
	if code, body := clerk.get("/console/exports"); code != http.StatusOK || !strings.Contains(body, "意见建议台账") || strings.Contains(body, e.west.Name) {
		t.Fatalf("exports page: %d", code)
	}
	day := conT0.In(conLoc).Format(models.DateLayout)
	q := url.Values{"kind": {"opinions"}, "from": {day}, "to": {day}}
	r, file := clerk.download("/console/exports/download?" + q.Encode())
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=UTF-8''"+url.PathEscape("意见建议台账_"+day+"至"+day+".xlsx")) {
		t.Fatalf("download: %d %q", r.StatusCode, r.Header.Get("Content-Disposition"))
	}
	rows := ledgerRows(t, file)
	if rows[0][0] != "编号" || rows[0][1] != "提交时间" || len(rows) != 2 || rows[1][0] != eastOp.TrackingNo {
		t.Fatalf("clerk's ledger %v", rows)
	}
	_, file = e.browser("admin").download("/console/exports/download?" + q.Encode())
	rows = ledgerRows(t, file)
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0])
	}
	var want []string
	e.db.Model(&models.Opinion{}).Order("id").Pluck("tracking_no", &want)
	if !slices.Equal(got, want) || !slices.Contains(got, westOp.TrackingNo) {
		t.Fatalf("admin's ledger %v, database %v", got, want)
	}
	q.Set("station", fmt.Sprint(e.west.ID))
	if r, _ := clerk.download("/console/exports/download?" + q.Encode()); r.StatusCode != http.StatusNotFound || r.Header.Get("Content-Disposition") != "" {
		t.Fatalf("clerk exporting another station: %d", r.StatusCode)
	}
	q.Set("station", "")
	q.Set("from", "2026-12-31")
	if code, body := clerk.get("/console/exports/download?" + q.Encode()); code != http.StatusBadRequest || !strings.Contains(body, "结束日期不能早于开始日期") {
		t.Fatalf("dates: %d", code)
	}
	q.Set("kind", "passwords")
	if code, _ := clerk.get("/console/exports/download?" + q.Encode()); code != http.StatusBadRequest {
		t.Fatalf("unknown ledger: %d", code)
	}
}

func ledgerRows(t *testing.T, file []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(file))
	must(t, err)
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	must(t, err)
	return rows
}
