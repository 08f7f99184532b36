package handlers_test

// The congress office sets up a new station in a real browser: the
// management index, the stations list, the new station's form (one typing
// mistake, corrected), and its contact table; a voter's opinion filed to
// it then goes to the contact chosen. Each step leaves a screenshot.

import (
	"strconv"
	"testing"

	"deputylink/models"
)

// Ensure the county admin adds a station and its contact table at a desk,
// and the next opinion at that station goes to the chosen clerk.
func TestBrowserAddStation(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/manage")
	tb.waitText("节假日与调休")
	tb.screenshot("manage-index")
	tb.visit("/console/manage/stations")
	tb.waitText("东门社区代表联络站")
	tb.screenshot("stations")
	tb.clickText("新增联络站")
	tb.waitPath("/console/manage/stations/new")

	name := "北关社区代表联络站"
	f := tb.formOf("新增")
	f.choose("kind", string(models.KindStation))
	f.fill("name", name)
	f.fill("district", "城关镇")
	f.fill("address", "青溪县城关镇北关街8号北关社区党群服务中心")
	f.fill("lat", "120.1490") // a longitude typed as the latitude
	f.fill("lng", "120.1490")
	f.fill("open_hours", "周一至周五 9:00-17:00；每月10日接待日")
	f.fill("phone", "0571-63810031")
	f.send("新增")
	tb.waitText("纬度应在3到54之间")
	if eval[string](tb, `document.querySelector('[name=address]').value`) != "青溪县城关镇北关街8号北关社区党群服务中心" {
		t.Errorf("the refused form lost what was typed")
	}
	tb.screenshot("station-form-error")
	f = tb.formOf("新增")
	f.fill("lat", "30.2755")
	f.send("新增")
	tb.waitText("已新增" + name)
	tb.screenshot("station-created")
	st := app.station(name)
	if st.District != "城关镇" || st.Lat != 30.2755 || st.Phone != "0571-63810031" {
		t.Fatalf("the new station: %+v", st)
	}

	// A clerk of the county seat's home also serves the new station (the
	// staff pages assign stations; here the database does).
	clerk := app.staff(demoClerk)
	if err := app.DB.Exec("INSERT INTO staff_stations (staff_id, station_id) VALUES (?, ?)", clerk.ID, st.ID).Error; err != nil {
		t.Fatal(err)
	}
	tb.clickText("各类意见的联系人")
	tb.waitPath("/console/manage/stations/" + strconv.FormatUint(st.ID, 10) + "/contacts")
	tb.waitText("所有类别")
	var cat models.Category
	if err := app.DB.Where("code = ?", "lifa").First(&cat).Error; err != nil {
		t.Fatal(err)
	}
	admin := app.staff(demoAdmin)
	f = tb.formOf("保存联系人")
	f.fill("cat_0", demoClerk)
	f.fill("cat_"+strconv.FormatUint(cat.ID, 10), demoAdmin)
	tb.screenshot("contacts-form")
	f.send("保存联系人")
	tb.waitText("已保存联系人设置（2项变化）")
	tb.screenshot("contacts-saved")
	rows, err := models.ListStationContacts(t.Context(), app.DB, st.ID)
	if err != nil || len(rows) != 2 || rows[0].StaffID != clerk.ID || rows[1].CategoryID != cat.ID || rows[1].StaffID != admin.ID {
		t.Fatalf("contact table: %+v %v", rows, err)
	}

	// A voter's opinion at the new station goes to the clerk.
	id, _ := app.fileOpinion("oVoterBeiguan", name, "北关街的路灯坏了好几盏，晚上回家很黑，请尽快修一修。")
	var op models.Opinion
	if err := app.DB.First(&op, id).Error; err != nil {
		t.Fatal(err)
	}
	if op.StationID != st.ID || op.HandlerStaffID == nil || *op.HandlerStaffID != clerk.ID {
		t.Errorf("the opinion went to station %d, handler %v; want %d, %d", op.StationID, op.HandlerStaffID, st.ID, clerk.ID)
	}
}
