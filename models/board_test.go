package models_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

func seedDeputy(t *testing.T, db *gorm.DB, stationID uint64, name string, status models.DeputyStatus) models.Deputy {
	t.Helper()
	d := models.Deputy{Name: name, Level: models.LevelCounty, Group: "城关镇代表小组", StationID: stationID,
		Bio: "城关镇东门社区居民。", Status: status, Term: "第十八届"}
	if err := db.Create(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

// Ensure board codes point at their deputy, are counted apart, and are
// refused for unknown or retired deputies and empty labels.
func TestCreateBoardCode(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "东门社区代表联络站")
	d := seedDeputy(t, db, st.ID, "张三", models.DeputyActive)
	retired := seedDeputy(t, db, st.ID, "李四", models.DeputyRetired)

	c, err := models.CreateBoardCode(ctx, db, d.ID, " 东门社区公示栏 ", inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != models.CodeBoard || c.TargetKind != models.CodeDeputy || c.TargetID != d.ID || c.Label != "东门社区公示栏" {
		t.Fatalf("board code: %+v", c)
	}
	view, err := models.ResolveCode(ctx, db, c.Code)
	if err != nil || view.Deputy == nil || view.Deputy.Name != "张三" || view.Label != "东门社区公示栏" {
		t.Fatalf("resolve: %+v %v", view, err)
	}
	if id, err := models.BoardTarget(c); err != nil || id != d.ID {
		t.Fatalf("board target: %d %v", id, err)
	}
	if trail, _ := models.AuditTrail(ctx, db, "deputy", d.ID); len(trail) != 1 || trail[0].Action != "code.board" {
		t.Fatalf("audit: %+v", trail)
	}

	if _, err := models.CreateBoardCode(ctx, db, d.ID+100, "x", inviteT0); !errors.Is(err, models.ErrDeputyNotFound) {
		t.Errorf("unknown deputy: %v", err)
	}
	if _, err := models.CreateBoardCode(ctx, db, retired.ID, "x", inviteT0); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("retired deputy: %v", err)
	}
	if _, err := models.CreateBoardCode(ctx, db, d.ID, "  ", inviteT0); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("empty label: %v", err)
	}
	if _, err := models.CreateBoardCode(ctx, db, d.ID, strings.Repeat("栏", 101), inviteT0); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("long label: %v", err)
	}
}

// Ensure the primary deputy code is made once, and images are kept and
// listed as missing until both are there.
func TestDeputyCodeAndImages(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "西街社区代表联络站")
	d := seedDeputy(t, db, st.ID, "王五", models.DeputyActive)

	c1, err := models.EnsureDeputyCode(ctx, db, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := models.EnsureDeputyCode(ctx, db, d.ID)
	if err != nil || c2.Code != c1.Code {
		t.Fatalf("second ensure: %s vs %s (%v)", c2.Code, c1.Code, err)
	}
	if _, err := models.EnsureDeputyCode(ctx, db, d.ID+100); !errors.Is(err, models.ErrDeputyNotFound) {
		t.Fatalf("unknown deputy: %v", err)
	}
	if n, err := models.EnsureCodes(ctx, db); err != nil || n != 1 { // the station's
		t.Fatalf("ensure codes: %d %v", n, err)
	}
	missing, err := models.PrintableCodes(ctx, db, true)
	if err != nil || len(missing) != 2 {
		t.Fatalf("missing: %d %v", len(missing), err)
	}

	img := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 1000)
	if err := models.SetCodeImages(ctx, db, c1.Code, "", img); err != nil {
		t.Fatal(err)
	}
	if got, _ := models.FindCode(ctx, db, c1.Code); got.HasImages() || !bytes.Equal(got.WXACode, img) {
		t.Fatalf("after the mini-program code: has=%v len=%d", got.HasImages(), len(got.WXACode))
	}
	if err := models.SetCodeImages(ctx, db, c1.Code, "http://weixin.qq.com/q/abc", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := models.FindCode(ctx, db, c1.Code)
	if !got.HasImages() || got.QRURL != "http://weixin.qq.com/q/abc" || !bytes.Equal(got.WXACode, img) {
		t.Fatalf("after both: %+v", got.QRURL)
	}
	if missing, _ = models.PrintableCodes(ctx, db, true); len(missing) != 1 || missing[0].Kind != models.CodeStation {
		t.Fatalf("still missing: %+v", missing)
	}
	if all, _ := models.PrintableCodes(ctx, db, false); len(all) != 2 {
		t.Fatalf("all printable: %d", len(all))
	}
	if err := models.SetCodeImages(ctx, db, "23456789", "http://x", nil); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
}

// Ensure rewriting the same images is not mistaken for an unknown code (MySQL
// reports no affected row when nothing changed).
func TestSetCodeImagesUnchanged(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	c, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeStation, TargetID: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := models.SetCodeImages(ctx, db, c.Code, "http://weixin.qq.com/q/same", []byte("img")); err != nil {
			t.Fatal(err)
		}
	}
}
