package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"deputylink/models"
)

func groupPath(id uint64) string { return "/console/manage/groups/" + idStr(id) }

func (e *depEnv) group(name string) models.DeputyGroup {
	e.t.Helper()
	var g models.DeputyGroup
	must(e.t, e.db.Where("name = ?", name).First(&g).Error)
	return g
}

func (e *depEnv) members(id uint64) []string {
	e.t.Helper()
	ms, err := models.GroupMembers(e.t.Context(), e.db, id)
	must(e.t, err)
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// Ensure who reaches the group pages: a clerk and a head get the 403 page
// on every page and action; a township user sees and changes only its
// township's groups (another township's and the county's are the 404 page,
// with nothing changed); the admin sees every group; the index links them.
func TestManageGroupsAccess(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	own, other, county := e.group("城关镇第一代表小组"), e.group("桃源镇第一代表小组"), e.group("法制专业代表小组")
	pan := e.deputy("潘红梅")
	for _, user := range []string{"clerk_e", "head_e"} {
		b := e.browser(user)
		for _, p := range []string{"/console/manage/groups", "/console/manage/groups/new", groupPath(own.ID)} {
			if st, body := b.get(p); st != http.StatusForbidden || !strings.Contains(body, "只有人大常委会办公室") {
				t.Errorf("%s GET %s: %d", user, p, st)
			}
		}
		for _, p := range []string{"/console/manage/groups", groupPath(own.ID), groupPath(own.ID) + "/members",
			groupPath(own.ID) + "/members/" + idStr(pan.ID) + "/remove", groupPath(own.ID) + "/delete"} {
			if st, _, _ := b.post(p, url.Values{"name": {"某组"}, "deputy_ids": {idStr(pan.ID)}}); st != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", user, p, st)
			}
		}
	}

	town := e.browser("town_cg")
	st, body := town.get("/console/manage/groups")
	if st != http.StatusOK || !strings.Contains(body, "城关镇第一代表小组") || !strings.Contains(body, "东门社区代表小组") ||
		strings.Contains(body, "桃源镇") || strings.Contains(body, "法制专业") || !strings.Contains(body, "共 4 个代表小组") {
		t.Errorf("township list: %d %q", st, between(body, `id="group-counts">`, "</p>"))
	}
	if st, body := town.get(groupPath(own.ID)); st != http.StatusOK || !strings.Contains(body, "潘红梅") || !strings.Contains(body, "组长") {
		t.Errorf("township, own group: %d", st)
	}
	wei := e.deputy("魏淑芬")
	for _, g := range []models.DeputyGroup{other, county} {
		if st, body := town.get(groupPath(g.ID)); st != http.StatusNotFound || !strings.Contains(body, "没有找到") {
			t.Errorf("township GET %s: %d", g.Name, st)
		}
		before := e.members(g.ID)
		for _, act := range []struct {
			path string
			form url.Values
		}{
			{groupPath(g.ID), url.Values{"name": {"改名"}}},
			{groupPath(g.ID) + "/members", url.Values{"deputy_ids": {idStr(pan.ID)}}},
			{groupPath(g.ID) + "/members/" + idStr(wei.ID) + "/remove", url.Values{}},
			{groupPath(g.ID) + "/delete", url.Values{}},
		} {
			if st, _, _ := town.post(act.path, act.form); st != http.StatusNotFound {
				t.Errorf("township POST %s: %d", act.path, st)
			}
		}
		again := e.group(g.Name)
		if strings.Join(e.members(g.ID), ",") != strings.Join(before, ",") || again.Name != g.Name {
			t.Errorf("%s changed by refused township actions", g.Name)
		}
	}
	if st, _ := town.get(groupPath(999999)); st != http.StatusNotFound {
		t.Errorf("no such group: %d", st)
	}

	admin := e.browser("admin")
	st, body = admin.get("/console/manage/groups")
	if st != http.StatusOK || !strings.Contains(body, "共 17 个代表小组") || !strings.Contains(body, "法制专业代表小组") {
		t.Errorf("admin list: %d %q", st, between(body, `id="group-counts">`, "</p>"))
	}
	_, body = admin.get("/console/manage/groups?township=county")
	if !strings.Contains(body, "共 3 个代表小组") || strings.Contains(body, "城关镇第一") {
		t.Errorf("county filter: %q", between(body, `id="group-counts">`, "</p>"))
	}
	if _, body := admin.get("/console/manage"); !strings.Contains(body, `href="/console/manage/groups"`) {
		t.Errorf("the management index does not link the groups")
	}
	if _, body := town.get("/console/manage"); !strings.Contains(body, `href="/console/manage/groups"`) {
		t.Errorf("the township's management index does not link the groups")
	}
}

// Ensure a township user creates a group, adds members found by name,
// picks the leader among them and removes one; the refusals (another
// township's deputy, a leader's removal, an empty name) keep what was
// typed with the Chinese message; each change is audited with a notice;
// the deputies list filters by the group; deletion keeps the deputies.
func TestManageGroupPages(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	town := e.browser("town_cg")
	var loc string
	st, _, body := town.post("/console/manage/groups", url.Values{"name": {"  "}})
	if st != http.StatusBadRequest || !strings.Contains(body, "请填写代表小组的名称") {
		t.Fatalf("empty name: %d", st)
	}
	st, _, body = town.post("/console/manage/groups", url.Values{"name": {"城关镇第一代表小组"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "已有名为“城关镇第一代表小组”的代表小组") ||
		!strings.Contains(body, `value="城关镇第一代表小组"`) {
		t.Fatalf("taken name: %d", st)
	}
	st, loc, body = town.post("/console/manage/groups", url.Values{"name": {"城关镇老城区代表小组"}, "township": {"桃源镇"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "只能管理本乡镇（街道）的代表小组") {
		t.Fatalf("another township: %d %s", st, loc)
	}
	st, loc, body = town.post("/console/manage/groups", url.Values{"name": {"城关镇老城区代表小组"}})
	wantSeeOther(t, st, loc, body, "/console/manage/groups/", "已新建城关镇老城区代表小组")
	g := e.group("城关镇老城区代表小组")
	if g.Township != "城关镇" {
		t.Errorf("the township user's group belongs to %q", g.Township)
	}

	// The search offers only deputies serving in 城关镇.
	_, body = town.get(groupPath(g.ID) + "?q=")
	if !strings.Contains(body, "潘红梅") || !strings.Contains(body, "王桂英") || strings.Contains(body, "范春生") {
		t.Errorf("the candidates of a 城关镇 group: %q", between(body, `id="group-add"`, "</form>"))
	}
	if strings.Contains(body, "郑晓峰") {
		t.Errorf("a retired deputy is offered")
	}
	_, body = town.get(groupPath(g.ID) + "?q=" + url.QueryEscape("红梅"))
	if !strings.Contains(body, "潘红梅") || strings.Contains(body, "王桂英") {
		t.Errorf("the search by name")
	}
	pan, wang, fan := e.deputy("潘红梅"), e.deputy("王桂英"), e.deputy("范春生")
	st, _, body = town.post(groupPath(g.ID)+"/members", url.Values{"deputy_ids": {idStr(pan.ID), idStr(fan.ID)}})
	if st != http.StatusBadRequest || !strings.Contains(body, "范春生代表不在城关镇的联络站履职") {
		t.Fatalf("a 桃源镇 deputy added: %d", st)
	}
	if len(e.members(g.ID)) != 0 {
		t.Fatalf("a refused add wrote members")
	}
	st, _, body = town.post(groupPath(g.ID)+"/members", url.Values{})
	if st != http.StatusBadRequest || !strings.Contains(body, "请勾选要加入小组的代表") {
		t.Errorf("nothing ticked: %d", st)
	}
	st, loc, body = town.post(groupPath(g.ID)+"/members", url.Values{"deputy_ids": {idStr(pan.ID), idStr(wang.ID)}})
	wantSeeOther(t, st, loc, body, groupPath(g.ID), "已加入2位代表")
	st, _, body = town.post(groupPath(g.ID), url.Values{"name": {"城关镇老城区代表小组"}, "leader_id": {idStr(fan.ID)}})
	if st != http.StatusBadRequest || !strings.Contains(body, "组长必须是小组成员") {
		t.Errorf("a leader who is not a member: %d", st)
	}
	st, loc, body = town.post(groupPath(g.ID), url.Values{"name": {"城关镇老城区代表小组"}, "leader_id": {idStr(wang.ID)}})
	wantSeeOther(t, st, loc, body, groupPath(g.ID), "已保存")
	_, body = town.get(groupPath(g.ID))
	if !strings.Contains(body, `<option value="`+idStr(wang.ID)+`" selected>王桂英`) {
		t.Errorf("the leader is not selected on the page")
	}
	st, _, body = town.post(groupPath(g.ID)+"/members/"+idStr(wang.ID)+"/remove", url.Values{})
	if st != http.StatusBadRequest || !strings.Contains(body, "王桂英是组长，不能移出小组") {
		t.Errorf("the leader removed: %d", st)
	}
	if st, _, _ := town.post(groupPath(g.ID)+"/members/"+idStr(fan.ID)+"/remove", url.Values{}); st != http.StatusNotFound {
		t.Errorf("removing a non-member: %d", st)
	}
	st, loc, body = town.post(groupPath(g.ID)+"/members/"+idStr(pan.ID)+"/remove", url.Values{})
	wantSeeOther(t, st, loc, body, groupPath(g.ID), "已把潘红梅代表移出城关镇老城区代表小组")
	if got := e.members(g.ID); strings.Join(got, ",") != "王桂英" {
		t.Errorf("members %v", got)
	}
	if n := e.auditRows(models.AuditGroupMembers); n != 2 {
		t.Errorf("%d member audits, want 2", n)
	}
	if d := e.deputy("王桂英"); !strings.Contains(d.Group, "城关镇老城区代表小组") {
		t.Errorf("王桂英's group text %q", d.Group)
	}

	// The admin's deputies list filters by group and shows the groups.
	admin := e.browser("admin")
	cg1 := e.group("城关镇第一代表小组")
	_, body = admin.get("/console/manage/deputies?group_id=" + idStr(cg1.ID))
	if !strings.Contains(body, "共 3 位代表") || !strings.Contains(body, "董美华") || strings.Contains(body, "王桂英") ||
		!strings.Contains(body, "代表小组：城关镇第一代表小组、东门社区代表小组") {
		t.Errorf("the group filter: %q", between(body, `id="deputy-counts">`, "</p>"))
	}
	if st, _ := admin.get("/console/manage/deputies?group_id=abc"); st != http.StatusBadRequest {
		t.Errorf("a bad group filter: %d", st)
	}

	// Deleting keeps the deputies and says so.
	st, loc, body = town.post(groupPath(g.ID)+"/delete", url.Values{})
	wantSeeOther(t, st, loc, body, "/console/manage/groups", "已删除城关镇老城区代表小组")
	var n int64
	must(t, e.db.Model(&models.DeputyGroup{}).Where("id = ?", g.ID).Count(&n).Error)
	if n != 0 || e.auditRows(models.AuditGroupDelete) != 1 {
		t.Errorf("the group was not deleted and audited")
	}
	if d := e.deputy("王桂英"); strings.Contains(d.Group, "老城区") || d.Status != models.DeputyActive {
		t.Errorf("王桂英 after the deletion: %+v", d)
	}
}

// Ensure the deputy form picks groups: the township user sees its
// township's groups checked as stored, saves a change, and a pick the
// rules refuse keeps what was ticked with the message.
func TestManageDeputyGroupsField(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	town := e.browser("town_cg")
	pan := e.deputy("潘红梅")
	cg1, cg2, dm := e.group("城关镇第一代表小组"), e.group("城关镇第二代表小组"), e.group("东门社区代表小组")
	_, body := town.get(depPath(pan.ID))
	if !strings.Contains(body, `name="group_ids" value="`+idStr(cg1.ID)+`" checked`) ||
		strings.Contains(body, `name="group_ids" value="`+idStr(cg2.ID)+`" checked`) || strings.Contains(body, "法制专业") {
		t.Errorf("the groups field: %q", between(body, `id="deputy-groups"`, "</fieldset>"))
	}
	form := url.Values{"name": {pan.Name}, "level": {"township"}, "term": {pan.Term}, "bio": {pan.Bio},
		"group_ids": {idStr(cg2.ID), idStr(dm.ID)}}
	st, loc, body := town.post(depPath(pan.ID), form)
	wantSeeOther(t, st, loc, body, depPath(pan.ID), "已保存")
	if d := e.deputy("潘红梅"); d.Group != "城关镇第二代表小组、东门社区代表小组" {
		t.Errorf("after saving: %q", d.Group)
	}
	// 王桂英 leads 东门社区代表小组: the admin cannot untick it from her form.
	wang := e.deputy("王桂英")
	admin := e.browser("admin")
	st, _, body = admin.post(depPath(wang.ID), url.Values{"name": {wang.Name}, "level": {"county"}, "term": {wang.Term},
		"group_ids": {idStr(e.group("城关镇代表小组").ID)}, "duties": {"新职务"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "王桂英是组长，不能移出小组") || !strings.Contains(body, `value="新职务"`) {
		t.Errorf("a leader unticked: %d", st)
	}
	if d := e.deputy("王桂英"); d.Duties == "新职务" {
		t.Errorf("a refused save wrote the profile")
	}
}
