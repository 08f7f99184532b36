package official_test

import (
	"testing"

	"deputylink/models"

	"gorm.io/gorm"
)

// fixture is a tiny county: two stations, an active and a retired deputy.
type fixture struct {
	near, far             models.Station
	active, retired       models.Deputy
	activeCode, farCode   string
	retiredCode, revCode  string
	boardCode, inviteCode string
}

func seed(t *testing.T, db *gorm.DB) fixture {
	t.Helper()
	ctx := t.Context()
	var f fixture
	f.near = models.Station{Kind: models.KindStation, Name: "东门社区代表联络站", Address: "东门路1号", District: "城关镇", Lat: 30.2700, Lng: 120.1500, OpenHours: "周一至周五"}
	f.far = models.Station{Kind: models.KindLegislative, Name: "西湖基层立法联系点", Address: "西路9号", District: "西镇", Lat: 30.4000, Lng: 120.3000, OpenHours: "周三"}
	must(t, db.Create(&f.near).Error)
	must(t, db.Create(&f.far).Error)
	f.active = models.Deputy{Name: "张秀兰", Level: models.LevelCounty, Group: "城关镇代表小组", StationID: f.near.ID, Bio: "社区医生", Status: models.DeputyActive, Term: "第十八届"}
	f.retired = models.Deputy{Name: "李建国", Level: models.LevelTownship, Group: "城关镇代表小组", StationID: f.near.ID, Bio: "退休教师", Status: models.DeputyRetired, Term: "第十七届"}
	must(t, db.Create(&f.active).Error)
	must(t, db.Create(&f.retired).Error)
	code := func(c models.Code) string {
		got, err := models.CreateCode(ctx, db, c)
		must(t, err)
		return got.Code
	}
	f.activeCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.active.ID})
	f.retiredCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.retired.ID})
	f.farCode = code(models.Code{Kind: models.CodeStation, TargetID: f.far.ID})
	code(models.Code{Kind: models.CodeStation, TargetID: f.near.ID})
	f.revCode = code(models.Code{Kind: models.CodeDeputy, TargetID: f.active.ID})
	must(t, models.RevokeCode(ctx, db, f.revCode))
	f.boardCode = code(models.Code{Kind: models.CodeBoard, TargetKind: models.CodeDeputy, TargetID: f.active.ID, Label: "东门公示栏"})
	f.inviteCode = code(models.Code{Kind: models.CodeStaffInvite, TargetKind: "staff", TargetID: 1})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
