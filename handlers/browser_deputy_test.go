package handlers_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"

	"github.com/chromedp/chromedp"
)

// TestBrowserDeputyAddsActivity: a deputy binds WeChat by scanning the
// invite the office made, opens 我的履职 from a notice's link inside
// WeChat (web authorization), adds an activity with a photo taken on the
// phone, and sees it waiting for review.
func TestBrowserDeputyAddsActivity(t *testing.T) {
	app := newBrowserApp(t)
	var dep models.Deputy
	if err := app.DB.Where("status = ? AND oa_openid IS NULL", models.DeputyActive).Order("id").First(&dep).Error; err != nil {
		t.Fatal(err)
	}
	inv, err := models.CreateDeputyInvite(t.Context(), app.DB, models.SystemActor, dep.ID, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	openid := "oDeputy" + randHex(6)
	app.Fake.Follow(openid)
	if reply := app.pushScan(openid, inv.Code); !strings.Contains(reply, dep.Name+"代表，您已绑定本公众号") {
		t.Fatalf("binding reply %q", reply)
	}

	tb := app.open(inWeChat)
	tb.signInViaWeChat(openid, "/console/me")
	tb.waitText(dep.Name + "代表")
	tb.waitText("登记履职活动")
	tb.screenshot("deputy-home")

	tb.clickText("登记履职活动")
	tb.waitPath("/console/me/activities/new")
	f := tb.formOf("提交").choose("type", "visit").fill("title", "走访东门社区困难群众").
		fill("description", "走访了三户困难家庭，了解到冬季取暖和老旧小区加装电梯的诉求。")
	photo := filepath.Join(t.TempDir(), "现场照片.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do("attach the photo", chromedp.SetUploadFiles(chromedp.CSS(f.sel+` [name="photos"]`), []string{photo}))
	tb.screenshot("deputy-new-activity")
	f.send("提交")
	tb.waitText("已提交，等待工作人员审核")
	tb.waitText("走访东门社区困难群众")
	if txt := tb.pageText(); !strings.Contains(txt, "待审核") {
		t.Fatalf("the new entry is not shown pending:\n%s", txt)
	}
	tb.screenshot("deputy-pending")

	var a models.Activity
	if err := app.DB.Where("deputy_id = ? AND title = ?", dep.ID, "走访东门社区困难群众").First(&a).Error; err != nil {
		t.Fatal(err)
	}
	var files int64
	app.DB.Model(&models.ActivityFile{}).Where("activity_id = ?", a.ID).Count(&files)
	if a.Status != models.ActivityPending || a.Source != models.SourceDeputy || files != 1 {
		t.Fatalf("stored %+v with %d files", a, files)
	}
	tb.click(`.me-list a`)
	tb.waitPath("/console/me/activities/" + strconv.FormatUint(a.ID, 10))
	tb.waitText("佐证材料")
	tb.screenshot("deputy-activity")
}
