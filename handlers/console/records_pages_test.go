package console_test

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/records"
)

// recPages is the department env (demo data, a data directory) with a
// deputy of 东门 and one of 西街, and entries they submitted.
type recPages struct {
	*deptEnv
	eastDep, westDep models.Deputy
}

func newRecPages(t *testing.T) *recPages {
	t.Helper()
	e := &recPages{deptEnv: newDeptEnv(t)}
	must(t, e.db.Where("station_id = ? AND status = ? AND level = ?", e.east.ID, models.DeputyActive, models.LevelCounty).
		Order("id").First(&e.eastDep).Error)
	must(t, e.db.Where("station_id = ? AND status = ? AND level = ? AND id NOT IN (SELECT deputy_id FROM deputy_stations WHERE station_id = ?)",
		e.west.ID, models.DeputyActive, models.LevelCounty, e.east.ID).Order("id").First(&e.westDep).Error)
	return e
}

func (e *recPages) submit(dep models.Deputy, date, title string) models.Activity {
	e.t.Helper()
	a, err := records.AddDeputyActivity(e.t.Context(), e.db, dep.ID, records.ActivityInput{Type: models.ActVisit,
		Date: date, Title: title, Description: "走访了5户居民。", Loc: conLoc}, conT0)
	must(e.t, err)
	return a
}

func (e *recPages) status(id uint64) models.ActivityStatus {
	e.t.Helper()
	var a models.Activity
	must(e.t, e.db.First(&a, id).Error)
	return a.Status
}

// Ensure the review queue lists the pending entries of the clerk's
// stations only, approves a batch, refuses a rejection without a reason
// (keeping what was checked), rejects with one, answers 404 for another
// station's entry (nothing written), and refuses entries of a closed year.
func TestRecordsQueuePage(t *testing.T) {
	e := newRecPages(t)
	a1 := e.submit(e.eastDep, "2026-10-08", "走访东门社区独居老人")
	a2 := e.submit(e.eastDep, "2026-10-15", "走访东门菜市场商户")
	a3 := e.submit(e.eastDep, "2026-10-22", "走访东门小学家长")
	w1 := e.submit(e.westDep, "2026-10-09", "走访西街老旧小区")
	clerk := e.browser("clerk_e")

	code, body := clerk.get("/console/records")
	if code != 200 || !strings.Contains(body, "走访东门社区独居老人") || !strings.Contains(body, "走访东门小学家长") ||
		strings.Contains(body, "走访西街老旧小区") || !strings.Contains(body, "批量通过") || !strings.Contains(body, "履职记录") {
		t.Fatalf("queue: %d\n%s", code, body)
	}
	code, loc, _ := clerk.post("/console/records/review", url.Values{"ids": {idStr(a1.ID), idStr(a2.ID)}, "decision": {"approve"},
		"back": {"status=pending"}})
	if code != 303 || !strings.HasPrefix(loc, "/console/records?") || !strings.Contains(mustUnescape(t, loc), "已通过2条记录") {
		t.Fatalf("approve: %d %s", code, loc)
	}
	if e.status(a1.ID) != models.ActivityApproved || e.status(a2.ID) != models.ActivityApproved {
		t.Fatal("approve did not write")
	}
	code, _, body = clerk.post("/console/records/review", url.Values{"ids": {idStr(a3.ID)}, "decision": {"reject"}, "reason": {" "}})
	if code != 400 || !strings.Contains(body, "退回时请写明原因") || !strings.Contains(body, `value="`+idStr(a3.ID)+`" checked`) {
		t.Fatalf("reject without a reason: %d\n%s", code, body)
	}
	code, loc, _ = clerk.post("/console/records/review", url.Values{"ids": {idStr(a3.ID)}, "decision": {"reject"}, "reason": {"缺少走访照片"}})
	if code != 303 || !strings.Contains(mustUnescape(t, loc), "已退回1条记录") || e.status(a3.ID) != models.ActivityRejected {
		t.Fatalf("reject: %d %s", code, loc)
	}
	// Another station's entry: the 404 page, nothing written.
	code, _, body = clerk.post("/console/records/review", url.Values{"ids": {idStr(w1.ID)}, "decision": {"approve"}})
	if code != 404 || e.status(w1.ID) != models.ActivityPending {
		t.Fatalf("another station's entry: %d\n%s", code, body)
	}
	// Without the CSRF token: refused.
	if code, _, _ := clerk.post("/console/records/review", url.Values{"ids": {idStr(w1.ID)}, "csrf": {"x"}}); code != 403 {
		t.Fatalf("without CSRF: %d", code)
	}
	// The record as staff see it; another station's clerk gets 404.
	code, body = clerk.get("/console/records/deputy/" + idStr(e.eastDep.ID))
	if code != 200 || !strings.Contains(body, e.eastDep.Name+"的履职档案") || !strings.Contains(body, "<td>走访选民</td><td>2</td>") ||
		!strings.Contains(body, "退回原因：缺少走访照片") || !strings.Contains(body, "不计入代表本人提出的建议") {
		t.Fatalf("record: %d\n%s", code, body)
	}
	if code, _ := e.browser("clerk_w").get("/console/records/deputy/" + idStr(e.eastDep.ID)); code != 404 {
		t.Fatalf("another station's deputy: %d", code)
	}
	// Closing the year's county evaluation locks the entries.
	must(t, e.db.Create(&models.Evaluation{Year: 2026, Level: models.LevelCounty, Status: models.EvaluationClosed}).Error)
	code, _, body = clerk.post("/console/records/review", url.Values{"ids": {idStr(a1.ID)}, "decision": {"reject"}, "reason": {"重复录入"}})
	if code != 409 || !strings.Contains(body, "该年度考评已结束，记录已锁定") || e.status(a1.ID) != models.ActivityApproved {
		t.Fatalf("locked: %d\n%s", code, body)
	}
}

// Ensure the inactive list is for heads, township users and the office,
// not clerks, and lists deputies without entries.
func TestRecordsInactivePage(t *testing.T) {
	e := newRecPages(t)
	if code, body := e.browser("clerk_e").get("/console/records/inactive"); code != 403 || !strings.Contains(body, "站长") {
		t.Fatalf("clerk: %d", code)
	}
	code, body := e.browser("head_e").get("/console/records/inactive")
	if code != 200 || !strings.Contains(body, e.eastDep.Name) || !strings.Contains(body, "无记录") || strings.Contains(body, e.westDep.Name) {
		t.Fatalf("head: %d\n%s", code, body)
	}
	e.submit(e.eastDep, "2026-11-02", "走访选民")
	if _, body := e.browser("head_e").get("/console/records/inactive"); strings.Contains(body, e.eastDep.Name+"</strong>") {
		t.Fatalf("a deputy with a recent entry is listed")
	}
	if code, body := e.browser("admin").get("/console/records/inactive?months=6"); code != 200 || !strings.Contains(body, e.westDep.Name) {
		t.Fatalf("admin: %d", code)
	}
}

// multipartActivity builds the entry form with files (name → content).
func multipartActivity(t *testing.T, csrf string, fields map[string]string, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	must(t, w.WriteField("csrf", csrf))
	for k, v := range fields {
		must(t, w.WriteField(k, v))
	}
	for name, data := range files {
		fw, err := w.CreateFormFile("files", name)
		must(t, err)
		_, err = fw.Write(data)
		must(t, err)
	}
	must(t, w.Close())
	return w.FormDataContentType(), &buf
}

func (e *recPages) activityFiles() int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(e.dataDir, "uploads", "activity"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Ensure staff enter an activity for a deputy of their station with a
// photo and a PDF: pending, its evidence stored and served (the PDF as a
// download, nosniff); a refused entry keeps what was typed and stores
// nothing; another station's deputy is the 404 page.
func TestRecordsNewPage(t *testing.T) {
	e := newRecPages(t)
	clerk := e.browser("clerk_e")
	code, body := clerk.get("/console/records/new?deputy_id=" + idStr(e.eastDep.ID))
	if code != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "data-confirm") ||
		strings.Contains(body, e.westDep.Name+"（") {
		t.Fatalf("form: %d\n%s", code, body)
	}
	fields := map[string]string{"deputy_id": idStr(e.eastDep.ID), "type": "inspection", "date": "2026-11-20",
		"title": "参加县人大常委会安全生产视察", "description": "视察了三家企业。"}
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	ct, buf := multipartActivity(t, clerk.csrf, fields, map[string][]byte{"视察.png": pngBytes(t), "签到表.pdf": pdf})
	resp, _ := clerk.sendMultipart("/console/records", ct, buf)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/console/records/deputy/"+idStr(e.eastDep.ID)) {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var a models.Activity
	must(t, e.db.Where("deputy_id = ?", e.eastDep.ID).Last(&a).Error)
	var files []models.ActivityFile
	must(t, e.db.Where("activity_id = ?", a.ID).Order("kind").Find(&files).Error)
	if a.Status != models.ActivityPending || a.Source != models.SourceStaff || len(files) != 2 || e.activityFiles() != 2 {
		t.Fatalf("stored: %+v %+v", a, files)
	}
	var pdfFile models.ActivityFile
	for _, f := range files {
		if f.Kind == records.ActivityFilePDF {
			pdfFile = f
		}
	}
	r, got := clerk.download("/console/records/files/" + idStr(pdfFile.ID))
	if r.StatusCode != 200 || !bytes.Equal(got, pdf) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
		r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %v", r.StatusCode, r.Header)
	}
	if r, _ := e.browser("clerk_w").download("/console/records/files/" + idStr(pdfFile.ID)); r.StatusCode != 404 {
		t.Fatalf("another station's evidence: %d", r.StatusCode)
	}
	// A refused entry keeps what was typed and leaves no file behind.
	bad := map[string]string{"deputy_id": idStr(e.eastDep.ID), "type": "inspection", "date": "2026-11-30",
		"title": "参加视察", "description": "写了很多"}
	ct, buf = multipartActivity(t, clerk.csrf, bad, map[string][]byte{"照片.png": pngBytes(t)})
	resp, raw := clerk.sendMultipart("/console/records", ct, buf)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "活动日期不能晚于今天") || !strings.Contains(string(raw), `value="参加视察"`) ||
		e.activityFiles() != 2 {
		t.Fatalf("future date: %d\n%s", resp.StatusCode, raw)
	}
	fields["deputy_id"] = idStr(e.westDep.ID)
	ct, buf = multipartActivity(t, clerk.csrf, fields, nil)
	if resp, _ := clerk.sendMultipart("/console/records", ct, buf); resp.StatusCode != 404 {
		t.Fatalf("another station's deputy: %d", resp.StatusCode)
	}
}
