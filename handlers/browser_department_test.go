package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Ensure the transfer loop in the browser: a clerk transfers an item to a
// department; the department's contact, bound to WeChat by an invite,
// signs in from a link, sees only that item and replies; the clerk adopts
// the reply, which becomes the voter's. The transfer slip prints.
func TestBrowserDepartmentLoop(t *testing.T) {
	app := newBrowserApp(t)
	ctx := t.Context()
	var dept models.Department
	if err := app.DB.Where("name = ?", "县住建局").First(&dept).Error; err != nil {
		t.Fatal(err)
	}
	_, inv, err := models.CreateDepartmentInvite(ctx, app.DB, models.SystemActor, dept.ID, "住建局李工", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	openid := "oDept" + randHex(6)
	app.Fake.Follow(openid)
	if _, _, err := models.BindDepartmentInvite(ctx, app.DB, inv.Code, openid, time.Now()); err != nil {
		t.Fatal(err)
	}
	id, no := app.fileOpinion("oVoterDept", demoStation, "城关镇老街的排水沟堵塞，下雨天积水到膝盖，请尽快疏通。")

	clerk := app.open(desktop)
	clerk.signInAs(demoClerk)
	clerk.visit(fmt.Sprintf("/console/opinions/%d", id))
	clerk.formOf("受理").send("受理")
	clerk.waitText("已受理")
	clerk.formOf("转办").fill("department_id", "县住建局").fill("note", "请住建局安排疏通。").send("转办")
	clerk.waitText("已转办")

	clerk.visit(fmt.Sprintf("/console/opinions/%d/slip", id))
	clerk.waitText("交办单")
	if txt := clerk.pageText(); !strings.Contains(txt, no) || !strings.Contains(txt, "县住建局") {
		t.Errorf("the transfer slip lacks the number or the department:\n%s", txt)
	}
	clerk.screenshot("slip")

	dep := app.open(inWeChat)
	dep.signInViaWeChat(openid, "/console/dept")
	dep.waitText(no)
	dep.screenshot("dept-inbox")
	dep.visit(fmt.Sprintf("/console/dept/opinions/%d", id))
	dep.waitText("提交答复")
	dep.formOf("提交答复").fill("text", "已安排施工队于本周五疏通排水沟，并加装雨水篦子。").send("提交答复")
	dep.waitText("已提交答复，等待联络站审核")
	dep.screenshot("dept-replied")
	if st := app.opinionStatus(id); st == models.OpinionReplied {
		t.Fatal("the department's reply reached the voter before the clerk's review")
	}

	clerk.visit(fmt.Sprintf("/console/opinions/%d", id))
	clerk.waitText("采用并答复群众")
	clerk.screenshot("review")
	clerk.formOf("采用并答复群众").send("采用并答复群众")
	clerk.waitText("已答复")
	if st := app.opinionStatus(id); st != models.OpinionReplied {
		t.Errorf("after adopting, the item is %s, want replied", st)
	}
}
