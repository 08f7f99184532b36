package handlers_test

import (
	"strconv"
	"testing"

	"deputylink/models"
)

// The county office manages deputy groups in a real browser: from the
// management index to the list, a professional group across stations, a
// new county group whose members are found by name and ticked, and its
// leader picked among them. Screenshots on the desk and on a phone.
func TestBrowserManageGroups(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/manage")
	tb.click(`a.manage-card[href="/console/manage/groups"]`)
	tb.waitPath("/console/manage/groups")
	tb.waitText("共 17 个代表小组")
	tb.screenshot("list")
	var law models.DeputyGroup
	if err := app.DB.Where("name = ?", "法制专业代表小组").First(&law).Error; err != nil {
		t.Fatal(err)
	}
	tb.click(`a.group-row[data-id="` + strconv.FormatUint(law.ID, 10) + `"]`)
	tb.waitPath("/console/manage/groups/" + strconv.FormatUint(law.ID, 10))
	tb.waitText("成员（5 人）")
	tb.screenshot("law-group")

	tb.visit("/console/manage/groups/new")
	tb.formOf("新建").fill("name", "医卫专业代表小组").send("新建")
	tb.waitText("已新建医卫专业代表小组，请添加成员")
	tb.formOf("查找代表").fill("q", "").send("查找代表")
	tb.waitText("加入小组")
	var grp models.DeputyGroup
	if err := app.DB.Where("name = ?", "医卫专业代表小组").First(&grp).Error; err != nil {
		t.Fatal(err)
	}
	f := tb.formOf("加入小组")
	var ids []uint64
	for _, name := range []string{"何慧敏", "李文涛"} {
		var d models.Deputy
		if err := app.DB.Where("name = ?", name).First(&d).Error; err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
		f.choose("deputy_ids", strconv.FormatUint(d.ID, 10))
	}
	f.send("加入小组")
	tb.waitText("已加入2位代表")
	tb.formOf("保存").fill("leader_id", "何慧敏").send("保存")
	tb.waitText("已保存医卫专业代表小组")
	tb.screenshot("new-group")
	if err := app.DB.First(&grp, grp.ID).Error; err != nil || grp.LeaderID == nil || *grp.LeaderID != ids[0] {
		t.Fatalf("the leader was not saved: %+v %v", grp, err)
	}

	ph := app.open(phone)
	ph.signInAs(demoAdmin)
	ph.visit("/console/manage/groups/" + strconv.FormatUint(grp.ID, 10))
	ph.waitText("成员（2 人）")
	ph.screenshot("group-phone")
	ph.visit("/console/manage/groups")
	ph.waitText("共 18 个代表小组")
	ph.screenshot("list-phone")
}
