package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"deputylink/models"
)

func (e *mdEnv) group(name string) models.DeputyGroup {
	e.t.Helper()
	var g models.DeputyGroup
	if err := e.db.Where("name = ?", name).First(&g).Error; err != nil {
		e.t.Fatal(name, err)
	}
	return g
}

func (e *mdEnv) memberNames(id uint64) []string {
	e.t.Helper()
	ms, err := models.GroupMembers(context.Background(), e.db, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func (e *mdEnv) groupAudits(id uint64, action string) []models.AuditLog {
	e.t.Helper()
	rows, err := models.AuditTrail(context.Background(), e.db, "deputy_group", id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []models.AuditLog
	for _, r := range rows {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// Ensure the demo creates its groups: each with members and a leader among
// them, township groups holding only deputies serving in the township, a
// county professional group drawing on several stations, and the deputies'
// group text made of their groups' names.
func TestDemoGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	gs, err := models.ListGroups(ctx, e.db, e.admin, models.GroupQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 17 {
		t.Fatalf("%d demo groups, want 17", len(gs))
	}
	if gs[0].Township != "" {
		t.Errorf("county groups come first: %+v", gs[0])
	}
	for _, g := range gs {
		if g.LeaderID == nil || g.LeaderName == "" || g.MemberCount < 2 {
			t.Errorf("group %s: leader %q, %d members", g.Name, g.LeaderName, g.MemberCount)
			continue
		}
		ms, err := models.GroupMembers(ctx, e.db, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !ms[0].Leader || ms[0].ID != *g.LeaderID {
			t.Errorf("group %s: the leader is not listed first as a member: %+v", g.Name, ms[0])
		}
		for _, m := range ms {
			if g.Township != "" && m.Township != g.Township {
				t.Errorf("group %s (%s) holds %s of %s", g.Name, g.Township, m.Name, m.Township)
			}
		}
	}
	law := e.group("法制专业代表小组")
	ms, _ := models.GroupMembers(ctx, e.db, law.ID)
	stations, towns := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		stations[m.StationName], towns[m.Township] = true, true
	}
	if law.Township != "" || len(stations) < 3 || len(towns) < 3 {
		t.Errorf("法制专业代表小组 is not a county group across stations: %+v %v %v", law, stations, towns)
	}
	if d := e.deputy("潘红梅"); d.Group != "城关镇第一代表小组、东门社区代表小组" {
		t.Errorf("潘红梅's group text %q", d.Group)
	}
	if d := e.deputy("张海明"); d.Group != "法制专业代表小组、城关镇代表小组" {
		t.Errorf("张海明's group text %q (county groups first)", d.Group)
	}
	// The API's deputy resource shows the names.
	if v, err := models.GetDeputy(ctx, e.db, e.deputy("潘红梅").ID); err != nil || v.Group != "城关镇第一代表小组、东门社区代表小组" {
		t.Errorf("the public view's group %q %v", v.Group, err)
	}
	// A second load leaves the groups alone.
	st, err := models.LoadDemo(ctx, e.db)
	if err != nil || st.New.Groups != 0 || st.Groups != 17 {
		t.Fatalf("second load: %+v %v", st, err)
	}
	if n := e.memberNames(law.ID); len(n) != 5 {
		t.Errorf("second load changed the members: %v", n)
	}
}

// Ensure the scope: the county office manages every group; a township user
// only its township's, creating only such groups; another township's group
// and the county's groups are as absent as missing ones.
func TestGroupScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	gs, err := models.ListGroups(ctx, e.db, e.cg, models.GroupQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 4 {
		t.Errorf("城关镇 sees %d groups, want its 4", len(gs))
	}
	for _, g := range gs {
		if g.Township != "城关镇" {
			t.Errorf("城关镇 sees %s (%s)", g.Name, g.TownshipLabel())
		}
	}
	for _, name := range []string{"桃源镇第一代表小组", "法制专业代表小组"} {
		g := e.group(name)
		if _, err := models.GetGroup(ctx, e.db, e.cg, g.ID); !errors.Is(err, models.ErrGroupNotFound) {
			t.Errorf("城关镇 opens %s: %v", name, err)
		}
		if err := models.DeleteGroup(ctx, e.db, e.cg, g.ID, mdT0); !errors.Is(err, models.ErrGroupNotFound) {
			t.Errorf("城关镇 deletes %s: %v", name, err)
		}
		if _, err := models.AddGroupMembers(ctx, e.db, e.cg, g.ID, []uint64{e.deputy("潘红梅").ID}, mdT0); !errors.Is(err, models.ErrGroupNotFound) {
			t.Errorf("城关镇 adds to %s: %v", name, err)
		}
	}
	if _, err := models.ListGroups(ctx, e.db, models.ManageScope{}, models.GroupQuery{}); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("a clerk lists groups: %v", err)
	}
	if _, err := models.CreateGroup(ctx, e.db, e.cg, models.GroupInput{Name: "桃源镇第三代表小组", Township: "桃源镇"}, mdT0); fieldOf(err) != "township" {
		t.Errorf("城关镇 creates a group of 桃源镇: %v", err)
	}
	g, err := models.CreateGroup(ctx, e.db, e.cg, models.GroupInput{Name: " 城关镇第三代表小组 "}, mdT0)
	if err != nil || g.Township != "城关镇" || g.Name != "城关镇第三代表小组" {
		t.Fatalf("城关镇's new group %+v %v", g, err)
	}
	if _, err := models.CreateGroup(ctx, e.db, e.admin, models.GroupInput{Name: "城关镇第三代表小组"}, mdT0); fieldOf(err) != "name" {
		t.Errorf("a second group of the same name: %v", err)
	}
	if _, err := models.CreateGroup(ctx, e.db, e.admin, models.GroupInput{Name: "新组", Township: "火星镇"}, mdT0); fieldOf(err) != "township" {
		t.Errorf("a group of an unknown township: %v", err)
	}
	if a := e.groupAudits(g.ID, models.AuditGroupCreate); len(a) != 1 || a[0].ActorID != 902 {
		t.Errorf("create audit %+v", a)
	}
	// The staff filter: a clerk of 东门 sees the groups with members there.
	vis, err := models.VisibleGroups(ctx, e.db, models.StaffScope{StationIDs: []uint64{e.stations["东门社区代表联络站"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vis {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != "城关镇代表小组,城关镇第一代表小组,东门社区代表小组" {
		t.Errorf("东门 sees %v", names)
	}
}

// Ensure the members: a county group takes deputies from any station; a
// township group only those serving in it (primary or other station); a
// retired deputy cannot join; the leader must be a member and cannot
// leave; every change is audited and rewrites the deputies' group text;
// a refusal writes nothing.
func TestGroupMembers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	pan, he, fan, xu := e.deputy("潘红梅"), e.deputy("何慧敏"), e.deputy("范春生"), e.deputy("许丽娟")
	// A county group across stations and levels, with a leader from the start.
	g, err := models.CreateGroup(ctx, e.db, e.admin, models.GroupInput{Name: "医卫专业代表小组", LeaderID: he.ID}, mdT0)
	if err != nil || g.LeaderID == nil || *g.LeaderID != he.ID {
		t.Fatalf("create %+v %v", g, err)
	}
	if _, err := models.AddGroupMembers(ctx, e.db, e.admin, g.ID, []uint64{pan.ID, fan.ID, pan.ID}, mdT0); err != nil {
		t.Fatal(err)
	}
	if got := e.memberNames(g.ID); strings.Join(got, ",") != "何慧敏,潘红梅,范春生" {
		t.Errorf("members %v (leader first, then township deputies by entry)", got)
	}
	if d := e.deputy("范春生"); !strings.HasPrefix(d.Group, "医卫专业代表小组、") {
		t.Errorf("范春生's group text %q", d.Group)
	}
	// A township group refuses a deputy of another township, until they serve there.
	cg1 := e.group("城关镇第一代表小组")
	if _, err := models.AddGroupMembers(ctx, e.db, e.cg, cg1.ID, []uint64{fan.ID}, mdT0); fieldOf(err) != "members" ||
		!strings.Contains(err.Error(), "范春生代表不在城关镇") {
		t.Errorf("a 桃源镇 deputy joins a 城关镇 group: %v", err)
	}
	if _, err := models.AddGroupMembers(ctx, e.db, e.admin, cg1.ID, []uint64{xu.ID}, mdT0); fieldOf(err) != "members" {
		t.Errorf("a 东溪 deputy joins a 城关镇 group: %v", err)
	}
	in := models.DeputyInput{Name: fan.Name, Level: fan.Level, StationID: fan.StationID, Term: fan.Term, Bio: fan.Bio,
		OtherStationIDs: []uint64{e.stations["西街社区代表联络站"].ID}}
	if _, err := models.UpdateDeputy(ctx, e.db, e.admin, fan.ID, in, mdT0); err != nil {
		t.Fatal(err)
	}
	if _, err := models.AddGroupMembers(ctx, e.db, e.cg, cg1.ID, []uint64{fan.ID}, mdT0); err != nil {
		t.Errorf("a deputy also serving at 西街 joins 城关镇第一代表小组: %v", err)
	}
	// A retired deputy cannot join.
	zheng := e.deputy("郑晓峰")
	if _, err := models.AddGroupMembers(ctx, e.db, e.admin, g.ID, []uint64{zheng.ID}, mdT0); fieldOf(err) != "members" {
		t.Errorf("a retired deputy joins: %v", err)
	}
	if _, err := models.AddGroupMembers(ctx, e.db, e.admin, g.ID, []uint64{99999}, mdT0); fieldOf(err) != "members" {
		t.Errorf("a missing deputy joins: %v", err)
	}
	// The leader must be a member and cannot leave.
	if _, err := models.UpdateGroup(ctx, e.db, e.admin, g.ID, models.GroupInput{Name: g.Name, LeaderID: xu.ID}, mdT0); fieldOf(err) != "leader_id" {
		t.Errorf("a leader who is not a member: %v", err)
	}
	if _, err := models.RemoveGroupMember(ctx, e.db, e.admin, g.ID, he.ID, mdT0); fieldOf(err) != "members" {
		t.Errorf("the leader leaves: %v", err)
	}
	if _, err := models.SetGroupMembers(ctx, e.db, e.admin, g.ID, []uint64{pan.ID}, mdT0); fieldOf(err) != "members" {
		t.Errorf("a member list without the leader: %v", err)
	}
	if got := e.memberNames(g.ID); len(got) != 3 {
		t.Errorf("refusals changed the members: %v", got)
	}
	// Change the leader, then the former leader may leave.
	g2, err := models.UpdateGroup(ctx, e.db, e.admin, g.ID, models.GroupInput{Name: "医疗卫生专业代表小组", LeaderID: pan.ID}, mdT0)
	if err != nil || *g2.LeaderID != pan.ID || g2.Name != "医疗卫生专业代表小组" {
		t.Fatalf("update %+v %v", g2, err)
	}
	if d := e.deputy("何慧敏"); d.Group != "省人大代表青溪县小组、医疗卫生专业代表小组" {
		t.Errorf("the rename did not reach the members' text: %q", d.Group)
	}
	det, err := models.SetGroupMembers(ctx, e.db, e.admin, g.ID, []uint64{pan.ID, fan.ID}, mdT0)
	if err != nil || len(det.Members) != 2 || det.LeaderName != "潘红梅" {
		t.Fatalf("set members %+v %v", det, err)
	}
	if d := e.deputy("何慧敏"); d.Group != "省人大代表青溪县小组" {
		t.Errorf("何慧敏 left but her text is %q", d.Group)
	}
	ids, err := models.GroupDeputyIDs(ctx, e.db, g.ID)
	if err != nil || !slices.Equal(ids, []uint64{pan.ID, fan.ID}) && !slices.Equal(ids, []uint64{fan.ID, pan.ID}) {
		t.Errorf("GroupDeputyIDs %v %v", ids, err)
	}
	if _, err := models.GroupDeputyIDs(ctx, e.db, 99999); !errors.Is(err, models.ErrGroupNotFound) {
		t.Errorf("GroupDeputyIDs of a missing group: %v", err)
	}
	mem := e.groupAudits(g.ID, models.AuditGroupMembers)
	if len(mem) != 3 || mem[2].Note != "移出：何慧敏" {
		t.Errorf("member audits %+v", mem)
	}
	if up := e.groupAudits(g.ID, models.AuditGroupUpdate); len(up) < 2 {
		t.Errorf("update audits %+v", up)
	}
	// Moving a township group to another township needs every member there.
	if _, err := models.UpdateGroup(ctx, e.db, e.admin, cg1.ID, models.GroupInput{Name: cg1.Name, Township: "桃源镇",
		LeaderID: *cg1.LeaderID}, mdT0); fieldOf(err) != "township" {
		t.Errorf("a 城关镇 group moved to 桃源镇: %v", err)
	}
	// Deleting removes the memberships and the text, and is audited.
	if err := models.DeleteGroup(ctx, e.db, e.admin, g.ID, mdT0); err != nil {
		t.Fatal(err)
	}
	var links int64
	e.db.Table("deputy_group_members").Where("deputy_group_id = ?", g.ID).Count(&links)
	if links != 0 {
		t.Errorf("%d memberships left", links)
	}
	if d := e.deputy("范春生"); strings.Contains(d.Group, "医疗") {
		t.Errorf("范春生's text still names the deleted group: %q", d.Group)
	}
	if a := e.groupAudits(g.ID, models.AuditGroupDelete); len(a) != 1 || !strings.Contains(a[0].Note, "潘红梅") {
		t.Errorf("delete audit %+v", a)
	}
	gs, _ := models.GroupsOf(ctx, e.db, pan.ID)
	if len(gs) != 2 {
		t.Errorf("潘红梅 is in %d groups, want 2", len(gs))
	}
}

// Ensure the deputy form's groups: the deputy joins and leaves the groups
// the scope manages, others stay; a township user cannot pick another
// township's group; the list filters by group.
func TestDeputyFormGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	pan := e.deputy("潘红梅")
	cg2, dm, cg1 := e.group("城关镇第二代表小组"), e.group("东门社区代表小组"), e.group("城关镇第一代表小组")
	law := e.group("法制专业代表小组")
	// The county office adds 潘红梅 to 法制专业 first: a group 城关镇 does not manage.
	if _, err := models.AddGroupMembers(ctx, e.db, e.admin, law.ID, []uint64{pan.ID}, mdT0); err != nil {
		t.Fatal(err)
	}
	in := models.DeputyInput{Name: pan.Name, Level: pan.Level, StationID: pan.StationID, Term: pan.Term, Bio: pan.Bio,
		GroupIDs: []uint64{cg2.ID, dm.ID}, SetGroups: true}
	d, err := models.UpdateDeputy(ctx, e.db, e.cg, pan.ID, in, mdT0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Group != "法制专业代表小组、城关镇第二代表小组、东门社区代表小组" {
		t.Errorf("after the edit %q", d.Group)
	}
	in.GroupIDs = []uint64{e.group("桃源镇第一代表小组").ID}
	if _, err := models.UpdateDeputy(ctx, e.db, e.cg, pan.ID, in, mdT0); fieldOf(err) != "group_ids" {
		t.Errorf("城关镇 picks a 桃源镇 group: %v", err)
	}
	// Leaving a group one leads is refused.
	in.GroupIDs = []uint64{cg2.ID}
	if _, err := models.UpdateDeputy(ctx, e.db, e.admin, e.deputy("王桂英").ID, models.DeputyInput{Name: "王桂英",
		Level: models.LevelCounty, StationID: e.deputy("王桂英").StationID, SetGroups: true}, mdT0); fieldOf(err) != "group_ids" {
		t.Errorf("the leader of 东门社区代表小组 leaves it from the form: %v", err)
	}
	rows, counts, err := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{GroupID: cg1.ID})
	if err != nil || counts.Total != 2 || len(rows) != 2 {
		t.Errorf("list of 城关镇第一代表小组: %d %+v %v", len(rows), counts, err)
	}
	// A new deputy joins groups on creation.
	nd, err := models.CreateDeputy(ctx, e.db, e.cg, models.DeputyInput{Name: "新代表", Level: models.LevelTownship,
		StationID: e.stations["西街社区代表联络站"].ID, GroupIDs: []uint64{cg2.ID}}, mdT0)
	if err != nil || nd.Group != "城关镇第二代表小组" {
		t.Errorf("new deputy %+v %v", nd, err)
	}
}

// Ensure the import's 代表小组 column: a registered group is joined (only
// where the rules allow), an unregistered one is created (a township's
// when its rows share one, else the county's), memberships are only added,
// and the deputies' group text follows.
func TestImportGroups(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	line := func(name, level, station, groups string) []string {
		l := deputyLine(name, level, station)
		l[5] = groups
		return l
	}
	head := models.ImportHeaders(models.ImportDeputies)
	// A 桃源镇 deputy cannot join a 城关镇 group; a township user cannot name a county group.
	_, plan, err := importFile(t, db, adminScope, models.ImportDeputies, [][]string{head,
		line("范春生", "镇", "桃源镇代表联络站", "城关镇第一代表小组")})
	if !errors.Is(err, models.ErrImportRows) || len(plan.Errors) != 1 || !strings.Contains(plan.Errors[0].Text(), "不在城关镇的联络站履职") {
		t.Fatalf("a 桃源镇 deputy into a 城关镇 group: %v %+v", err, plan.Errors)
	}
	town := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 9}, Township: "城关镇"}
	_, plan, err = importFile(t, db, town, models.ImportDeputies, [][]string{head,
		line("潘红梅", "镇", "东门社区代表联络站", "法制专业代表小组")})
	if !errors.Is(err, models.ErrImportRows) || len(plan.Errors) != 1 || !strings.Contains(plan.Errors[0].Text(), "属于县级") {
		t.Fatalf("a township user names a county group: %v %+v", err, plan.Errors)
	}
	res, plan, err := importFile(t, db, adminScope, models.ImportDeputies, [][]string{head,
		line("潘红梅", "镇", "东门社区代表联络站", "东门社区代表小组、城关镇西片代表小组"),
		line("新代表甲", "县", "西街社区代表联络站", "城关镇西片代表小组、水利专业代表小组"),
		line("新代表乙", "县", "沙湾村代表联络站", "水利专业代表小组"),
	})
	if err != nil {
		t.Fatalf("import: %v %+v", err, plan.Errors)
	}
	if res.Created != 2 || res.Updated != 1 {
		t.Errorf("result %+v", res)
	}
	var west, water models.DeputyGroup
	if err := db.Where("name = ?", "城关镇西片代表小组").First(&west).Error; err != nil || west.Township != "城关镇" {
		t.Errorf("城关镇西片代表小组 %+v %v", west, err)
	}
	if err := db.Where("name = ?", "水利专业代表小组").First(&water).Error; err != nil || water.Township != "" {
		t.Errorf("水利专业代表小组 %+v %v", water, err)
	}
	var pan models.Deputy
	db.Where("name = ?", "潘红梅").First(&pan)
	if pan.Group != "城关镇第一代表小组、东门社区代表小组、城关镇西片代表小组" {
		t.Errorf("潘红梅 after the import: %q (memberships are only added)", pan.Group)
	}
	var n int64
	db.Model(&models.AuditLog{}).Where("action IN ?", []string{models.AuditGroupCreate, models.AuditGroupMembers}).
		Where("entity_id IN ?", []uint64{west.ID, water.ID}).Count(&n)
	if n != 4 {
		t.Errorf("%d group audits of the import, want 4", n)
	}
	// Importing the same file again adds nothing.
	if _, _, err := importFile(t, db, adminScope, models.ImportDeputies, [][]string{head,
		line("潘红梅", "镇", "东门社区代表联络站", "东门社区代表小组、城关镇西片代表小组")}); err != nil {
		t.Fatal(err)
	}
	db.Model(&models.AuditLog{}).Where("action = ? AND entity_id = ?", models.AuditGroupMembers, west.ID).Count(&n)
	if n != 1 {
		t.Errorf("a repeated import audited %d member changes", n)
	}
}
