package console_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"deputylink/handlers/console"
	"deputylink/models"
)

func boardCode(t *testing.T) models.Code {
	t.Helper()
	mp, err := console.QRCodePNG("stand-in for the mini-program code", 300)
	if err != nil {
		t.Fatal(err)
	}
	return models.Code{Code: "ABCD2345", Kind: models.CodeBoard, TargetKind: models.CodeDeputy, TargetID: 7,
		Label: "东门社区公示栏", QRURL: "http://weixin.qq.com/q/02abcdef", WXACode: mp}
}

func boardViews() (models.DeputyView, models.StationView) {
	d := models.DeputyView{ID: 7, Name: "张<三>", Level: models.LevelCounty, LevelLabel: "县人大代表",
		Group: "城关镇代表小组", Term: "第十八届", Bio: "东门社区党委书记。\n履职承诺：每月走访社区，件件有回音。",
		PhotoURL: "javascript:alert(1)", Status: models.DeputyActive}
	st := models.StationView{ID: 2, Name: "东门社区代表联络站", KindLabel: "代表联络站",
		Address: "青溪县城关镇东门街12号", Phone: "0571-63810012", OpenHours: "周一至周五 9:00-17:00"}
	return d, st
}

var dataPNG = regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

// Ensure the board shows who, where and when, inlines both codes as PNG data
// URIs, escapes what it prints and needs nothing from the network.
func TestRenderBoard(t *testing.T) {
	d, st := boardViews()
	c := boardCode(t)
	b, err := console.NewBoardData(d, st, c, console.BoardOptions{
		County: "青溪县", NextReception: "2026年12月10日（周四）",
		Now: time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC), Location: time.FixedZone("CST", 8*3600),
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := console.RenderBoard(&buf, b); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"人大代表公示牌", "张&lt;三&gt;", "县人大代表", "第十八届", "城关镇代表小组", "东门社区代表联络站",
		"青溪县城关镇东门街12号", console.DefaultSchedule, "2026年12月10日（周四）", "0571-63810012",
		"「微信扫码预约接待」", "「扫码关注 反映意见」", "履职承诺：", "每月走访社区，件件有回音。",
		"青溪县人大常委会", "东门社区公示栏", "编号 ABCD2345", "2026年11月制", "@page { size: A4",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	if strings.Contains(page, "<三>") || strings.Contains(page, "javascript:") {
		t.Error("board printed unescaped or unsafe input")
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<link") || strings.Contains(page, "@import") ||
		strings.Contains(page, "url(") || strings.Contains(page, `src="http`) {
		t.Error("board refers to outside resources: it must print offline")
	}
	imgs := dataPNG.FindAllStringSubmatch(page, -1)
	if len(imgs) != 2 {
		t.Fatalf("found %d inline PNG images, want 2", len(imgs))
	}
	for i, m := range imgs {
		raw, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Fatalf("image %d is not a PNG: %v", i, err)
		}
	}
	if !bytes.Contains([]byte(page), []byte(base64.StdEncoding.EncodeToString(c.WXACode))) {
		t.Error("the mini-program code is not the kept one")
	}
}

// Ensure a code without kept images cannot make a board, and a board without
// images or photo still renders with placeholders and defaults.
func TestBoardDefaults(t *testing.T) {
	d, st := boardViews()
	d.Bio = "东门社区党委书记。"
	if _, err := console.NewBoardData(d, st, models.Code{Code: "ABCD2345", QRURL: "x"}, console.BoardOptions{}); err == nil {
		t.Fatal("board made without the mini-program code")
	}
	var buf bytes.Buffer
	err := console.RenderBoard(&buf, console.BoardData{Name: "李四", LevelLabel: "镇人大代表", StationName: "桃源镇代表联络站",
		PhotoURL: "https://example.org/p.jpg", MPCode: []byte("not an image")})
	if err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{console.DefaultSchedule, console.DefaultCommitment, "小程序码未生成", "公众号二维码未生成",
		`src="https://example.org/p.jpg"`, "人大代表联络站"} {
		if !strings.Contains(page, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	if got := console.CommitmentFromBio(d.Bio); got != "" {
		t.Errorf("commitment from a bio without one: %q", got)
	}
	if got := console.CommitmentFromBio("简介\n承诺: 为民办实事"); got != "为民办实事" {
		t.Errorf("commitment: %q", got)
	}
}

// Ensure the board prints the deputy's pledge (履职承诺) and duties from
// their profile, the pledge before one found in the bio, and a photo
// uploaded on the console by its address on this host.
func TestBoardPledgeDutiesAndUploadedPhoto(t *testing.T) {
	d, st := boardViews()
	d.Pledge, d.Duties, d.PhotoURL = "有事来站里找我，件件有落实。", "东门社区党委书记", models.DeputyPhotoPath(7, "a1b2c3")
	b, err := console.NewBoardData(d, st, boardCode(t), console.BoardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Commitment != d.Pledge || b.Duties != d.Duties {
		t.Errorf("commitment %q duties %q", b.Commitment, b.Duties)
	}
	var buf bytes.Buffer
	if err := console.RenderBoard(&buf, b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"有事来站里找我，件件有落实。", "东门社区党委书记", `src="/api/v1/deputies/7/photo?v=a1b2c3"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("board lacks %q", want)
		}
	}
	d.Pledge = ""
	if b, _ := console.NewBoardData(d, st, boardCode(t), console.BoardOptions{}); b.Commitment != "每月走访社区，件件有回音。" {
		t.Errorf("without a pledge the bio's: %q", b.Commitment)
	}
}
