package handlers_test

// The office imports a roster at its desk: the first file has a wrong row,
// the page names it, the clerk fixes the file and uploads it again, checks
// the preview and confirms; the deputies are there.

import (
	"path/filepath"
	"testing"

	"deputylink/models"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// writeRoster writes a deputies file as the office fills the template.
func writeRoster(t *testing.T, path string, rows [][]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	all := append([][]string{models.ImportHeaders(models.ImportDeputies)}, rows...)
	for i, r := range all {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadFile puts a file into the file input sel, as choosing it does.
func (tb *tab) uploadFile(sel, path string) {
	tb.t.Helper()
	tb.do("choose "+filepath.Base(path), chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}, chromedp.NodeVisible))
}

func TestBrowserImportRoster(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/manage/import")
	tb.waitText("下载代表名册模板")
	tb.screenshot("import-page")

	dir := t.TempDir()
	row := func(name, level string) []string {
		return []string{name, level, otherStation, "", "东门社区", "城关镇代表小组", "第十八届", "2021-12-01", "2026-11-30",
			"东门社区居委会委员", "每月第一个周三到站接待", ""}
	}
	bad := writeRoster(t, filepath.Join(dir, "代表名册.xlsx"), [][]string{row("许文静", "县"), row("郑国强", "区级")})
	tb.uploadFile("#import-deputies input[type=file]", bad)
	tb.submit("上传并检查代表名册")
	tb.waitText("第3行：层级“区级”不正确，应为 全国/省/市/县/镇 之一")
	tb.screenshot("roster-error")
	var n int64
	if err := app.DB.Model(&models.Deputy{}).Where("name IN ?", []string{"许文静", "郑国强"}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("a refused roster wrote %d deputies (%v)", n, err)
	}

	fixed := writeRoster(t, filepath.Join(dir, "代表名册（改）.xlsx"), [][]string{row("许文静", "县"), row("郑国强", "镇")})
	tb.uploadFile("#import-deputies input[type=file]", fixed)
	tb.submit("上传并检查代表名册")
	tb.waitText("全部 2 行检查通过")
	tb.screenshot("roster-preview")
	tb.formOf("确认导入").send("确认导入")
	tb.waitText("已导入代表名册：新增 2 条，更新 0 条")
	tb.screenshot("roster-imported")

	var ds []models.Deputy
	if err := app.DB.Where("name IN ?", []string{"许文静", "郑国强"}).Order("id").Find(&ds).Error; err != nil {
		t.Fatal(err)
	}
	st := app.station(otherStation)
	if len(ds) != 2 || ds[0].StationID != st.ID || ds[1].Level != models.LevelTownship || ds[0].Pledge == "" {
		t.Fatalf("imported deputies %+v", ds)
	}
}
