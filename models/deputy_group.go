package models

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Deputy groups (代表小组, docs/ARCHITECTURE.md#deputy-groups). A group
// belongs to a township (Township is a Station.District) or to the county
// (""). The rules:
//
//   - The county office (ManageScope.All) manages every group; a township
//     user manages only its township's groups and creates only such groups.
//     A group outside the scope is as absent as a missing one
//     (ErrGroupNotFound).
//   - A county group may hold any deputy, of any level and station:
//     professional groups (专业代表小组) cross stations and townships.
//   - A township group holds deputies who serve in that township: their
//     primary station or one of their other stations lies in it. Deputies
//     of any level qualify (the township's 人大 organises the county
//     deputies elected there as well as its own deputies).
//   - The rules are checked when a deputy joins: a member who later moves
//     away, or leaves office, stays until removed. A retired deputy cannot
//     join.
//   - The leader (组长) must be a member; a leader cannot be removed from
//     the group before the leader is changed or cleared.
//   - Deleting a group removes its memberships (a deputy's record belongs
//     to the deputy, not to a group, so nothing else is lost).
//
// Deputy.Group is kept as the names of the deputy's groups ("、"-joined),
// rewritten whenever memberships or names change, so the cards, boards
// and the API's deputy resource show the groups without a join. Nothing
// else writes it. Every change is audited in the transaction that makes it.

// Audit actions of deputy groups.
const (
	AuditGroupCreate  = "group.create"
	AuditGroupUpdate  = "group.update"
	AuditGroupMembers = "group.members"
	AuditGroupDelete  = "group.delete"
)

// Limits of a group.
const (
	MaxGroupName    = 100
	MaxGroupMembers = 500
)

// ErrGroupNotFound is a group that does not exist or is outside the scope.
var ErrGroupNotFound = Coded(ErrNotFound, "group_not_found", "没有找到这个代表小组")

// GroupInput is a group as the office enters it.
type GroupInput struct {
	Name string
	// Township is a Station.District, or "" for a county group.
	Township string
	// LeaderID is the leader, 0 for none. On CreateGroup the leader
	// becomes the first member; on UpdateGroup they must be a member.
	LeaderID uint64
}

// GroupSummary is one row of the group list.
type GroupSummary struct {
	DeputyGroup
	LeaderName  string
	MemberCount int
}

// TownshipLabel names the group's owner: a township, or 县级 for the county.
func (g DeputyGroup) TownshipLabel() string {
	if g.Township == "" {
		return "县级"
	}
	return g.Township
}

// GroupMember is one member of a group, with their primary station.
type GroupMember struct {
	Deputy
	StationName, Township string
	Leader                bool
}

// GroupDetail is a group with its members (leader first, then by level
// and name order of entry).
type GroupDetail struct {
	DeputyGroup
	LeaderName string
	Members    []GroupMember
}

// GroupQuery filters the group list.
type GroupQuery struct {
	// Query matches the group's name (or part of it).
	Query string
	// Township keeps one township's groups; CountyOnly the county's.
	Township   string
	CountyOnly bool
}

// allowsGroup reports whether the scope manages a group of township.
func (m ManageScope) allowsGroup(township string) bool {
	return m.All || (m.Township != "" && township == m.Township)
}

// ListGroups lists the groups the scope manages that match q: county
// groups first, then by township and name order of entry, with their
// leader's name and member count.
func ListGroups(ctx context.Context, db *gorm.DB, sc ManageScope, q GroupQuery) ([]GroupSummary, error) {
	if !sc.All && sc.Township == "" {
		return nil, ErrManageForbidden
	}
	tx := db.WithContext(ctx).Model(&DeputyGroup{})
	if !sc.All {
		tx = tx.Where("township = ?", sc.Township)
	}
	if s := CleanLine(q.Query); s != "" {
		tx = tx.Where("name LIKE ? ESCAPE '!'", "%"+escapeLike(s)+"%")
	}
	switch {
	case q.CountyOnly:
		tx = tx.Where("township = ''")
	case q.Township != "":
		tx = tx.Where("township = ?", q.Township)
	}
	var gs []DeputyGroup
	if err := tx.Order("CASE WHEN township = '' THEN 0 ELSE 1 END, township, id").Find(&gs).Error; err != nil {
		return nil, translate(err)
	}
	return summarize(db.WithContext(ctx), gs)
}

// VisibleGroups lists the groups with at least one member serving at a
// station of a staff member's scope (primary or other station), every
// group for the county office: the choices of a "by group" filter on the
// pages of clerks and heads (review queue, records, figures).
func VisibleGroups(ctx context.Context, db *gorm.DB, sc StaffScope) ([]GroupSummary, error) {
	tx := db.WithContext(ctx).Model(&DeputyGroup{})
	if !sc.All {
		if len(sc.StationIDs) == 0 {
			return nil, nil
		}
		deputies := db.Table("deputies").Select("id").Where("station_id IN ?", sc.StationIDs)
		others := db.Table("deputy_stations").Select("deputy_id").Where("station_id IN ?", sc.StationIDs)
		members := db.Table("deputy_group_members").Select("deputy_group_id").
			Where("deputy_id IN (?) OR deputy_id IN (?)", deputies, others)
		tx = tx.Where("id IN (?)", members)
	}
	var gs []DeputyGroup
	if err := tx.Order("CASE WHEN township = '' THEN 0 ELSE 1 END, township, id").Find(&gs).Error; err != nil {
		return nil, translate(err)
	}
	return summarize(db.WithContext(ctx), gs)
}

// summarize adds the leaders' names and the member counts.
func summarize(db *gorm.DB, gs []DeputyGroup) ([]GroupSummary, error) {
	out := make([]GroupSummary, len(gs))
	if len(gs) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(gs))
	var leaders []uint64
	for i, g := range gs {
		ids[i] = g.ID
		if g.LeaderID != nil {
			leaders = append(leaders, *g.LeaderID)
		}
	}
	type count struct {
		GroupID uint64
		N       int
	}
	var counts []count
	if err := db.Table("deputy_group_members").Select("deputy_group_id AS group_id, COUNT(*) AS n").
		Where("deputy_group_id IN ?", ids).Group("deputy_group_id").Scan(&counts).Error; err != nil {
		return nil, translate(err)
	}
	n := map[uint64]int{}
	for _, c := range counts {
		n[c.GroupID] = c.N
	}
	names := map[uint64]string{}
	if len(leaders) > 0 {
		var ds []Deputy
		if err := db.Select("id", "name").Where("id IN ?", leaders).Find(&ds).Error; err != nil {
			return nil, translate(err)
		}
		for _, d := range ds {
			names[d.ID] = d.Name
		}
	}
	for i, g := range gs {
		out[i] = GroupSummary{DeputyGroup: g, MemberCount: n[g.ID]}
		if g.LeaderID != nil {
			out[i].LeaderName = names[*g.LeaderID]
		}
	}
	return out, nil
}

// GetGroup loads a group the scope manages, with its members.
func GetGroup(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (GroupDetail, error) {
	tx := db.WithContext(ctx)
	g, err := managedGroup(tx, sc, id, false)
	if err != nil {
		return GroupDetail{}, err
	}
	return groupDetail(tx, g)
}

func groupDetail(tx *gorm.DB, g DeputyGroup) (GroupDetail, error) {
	d := GroupDetail{DeputyGroup: g}
	var ms []GroupMember
	order := "CASE deputies.level WHEN 'national' THEN 0 WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, deputies.id"
	if err := tx.Table("deputies").Joins("JOIN deputy_group_members m ON m.deputy_id = deputies.id").
		Joins("LEFT JOIN stations ON stations.id = deputies.station_id").Where("m.deputy_group_id = ?", g.ID).
		Select("deputies.*, stations.name AS station_name, stations.district AS township").Order(order).
		Scan(&ms).Error; err != nil {
		return GroupDetail{}, translate(err)
	}
	for _, m := range ms {
		if g.LeaderID != nil && m.ID == *g.LeaderID {
			m.Leader = true
			d.LeaderName = m.Name
			d.Members = append([]GroupMember{m}, d.Members...)
			continue
		}
		d.Members = append(d.Members, m)
	}
	return d, nil
}

// managedGroup loads a group the scope manages; others are ErrGroupNotFound.
func managedGroup(tx *gorm.DB, sc ManageScope, id uint64, lock bool) (DeputyGroup, error) {
	if !sc.All && sc.Township == "" {
		return DeputyGroup{}, ErrManageForbidden
	}
	if !ValidID(id) {
		return DeputyGroup{}, ErrGroupNotFound
	}
	q := tx
	if lock {
		q = lockingUpdate(tx)
	}
	var g DeputyGroup
	if err := q.First(&g, id).Error; err != nil {
		return DeputyGroup{}, notFoundAs(err, ErrGroupNotFound)
	}
	if !sc.allowsGroup(g.Township) {
		return DeputyGroup{}, ErrGroupNotFound
	}
	return g, nil
}

// check cleans the input and checks it against the scope and the database;
// id is the group's own id (0 for a new one).
func (in *GroupInput) check(tx *gorm.DB, sc ManageScope, id uint64) error {
	in.Name = CleanLine(in.Name)
	in.Township = CleanLine(in.Township)
	switch {
	case in.Name == "":
		return Invalid("name", "请填写代表小组的名称")
	case utf8.RuneCountInString(in.Name) > MaxGroupName:
		return Invalid("name", "代表小组的名称不能超过100个字")
	case in.LeaderID != 0 && !ValidID(in.LeaderID):
		return Invalid("leader_id", "请从小组成员中选择组长")
	}
	if !sc.All {
		if in.Township == "" {
			in.Township = sc.Township
		}
		if in.Township != sc.Township {
			return Invalid("township", "乡镇（街道）人大只能管理本乡镇（街道）的代表小组")
		}
	}
	if in.Township != "" {
		var n int64
		if err := tx.Model(&Station{}).Where("district = ?", in.Township).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			return Invalid("township", "没有这个乡镇（街道），请重新选择")
		}
	}
	var n int64
	if err := tx.Model(&DeputyGroup{}).Where("name = ? AND id <> ?", in.Name, id).Count(&n).Error; err != nil {
		return translate(err)
	}
	if n > 0 {
		return Invalid("name", "已有名为“"+in.Name+"”的代表小组，请换一个名称")
	}
	return nil
}

// CreateGroup adds a group in the scope; a leader given becomes its first
// member. Audited.
func CreateGroup(ctx context.Context, db *gorm.DB, sc ManageScope, in GroupInput, now time.Time) (DeputyGroup, error) {
	if !sc.All && sc.Township == "" {
		return DeputyGroup{}, ErrManageForbidden
	}
	var g DeputyGroup
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := in.check(tx, sc, 0); err != nil {
			return err
		}
		g = DeputyGroup{Name: in.Name, Township: in.Township, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
		if err := tx.Omit("Members").Create(&g).Error; err != nil {
			return groupNameTaken(err, in.Name)
		}
		if err := Audit(ctx, tx, now, sc.Actor, AuditGroupCreate, "deputy_group", g.ID, "", "", g.Name+"（"+g.TownshipLabel()+"）"); err != nil {
			return err
		}
		if in.LeaderID == 0 {
			return nil
		}
		if err := changeMembers(ctx, tx, sc, &g, []uint64{in.LeaderID}, nil, now); err != nil {
			return leaderField(err)
		}
		return setLeader(ctx, tx, sc, &g, in.LeaderID, now)
	})
	if err != nil {
		return DeputyGroup{}, err
	}
	return g, nil
}

// groupNameTaken turns the unique index's refusal into the name's message.
func groupNameTaken(err error, name string) error {
	err = translate(err)
	if errors.Is(err, ErrConflict) {
		return Invalid("name", "已有名为“"+name+"”的代表小组，请换一个名称")
	}
	return err
}

// leaderField moves a member error of the leader to the leader's field.
func leaderField(err error) error {
	var v *ValidationError
	if errors.As(err, &v) && v.Field == "members" {
		return Invalid("leader_id", v.Msg)
	}
	return err
}

// UpdateGroup renames a group, moves it to another township (the county
// office only, and only when every member serves there) and sets or clears
// its leader, who must be a member. Audited with what changed.
func UpdateGroup(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, in GroupInput, now time.Time) (DeputyGroup, error) {
	var g DeputyGroup
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := managedGroup(tx, sc, id, true)
		if err != nil {
			return err
		}
		if err := in.check(tx, sc, cur.ID); err != nil {
			return err
		}
		members, err := memberIDs(tx, cur.ID)
		if err != nil {
			return err
		}
		if in.LeaderID != 0 && !slices.Contains(members, in.LeaderID) {
			return Invalid("leader_id", "组长必须是小组成员，请先把这位代表加入小组")
		}
		if in.Township != cur.Township && in.Township != "" {
			serving, err := servingIn(tx, members, in.Township)
			if err != nil {
				return err
			}
			for _, m := range members {
				if !serving[m] {
					return Invalid("township", "有的成员不在"+in.Township+"的联络站履职，不能把小组改为"+in.Township+"的代表小组")
				}
			}
		}
		g = cur
		var changed []string
		if cur.Name != in.Name {
			changed = append(changed, "名称："+cur.Name+"→"+in.Name)
		}
		if cur.Township != in.Township {
			g.Township = in.Township
			changed = append(changed, "所属："+cur.TownshipLabel()+"→"+g.TownshipLabel())
		}
		g.Name = in.Name
		if err := tx.Model(&DeputyGroup{ID: g.ID}).Updates(map[string]any{"name": g.Name, "township": g.Township,
			"updated_at": now.UTC()}).Error; err != nil {
			return groupNameTaken(err, g.Name)
		}
		if len(changed) > 0 {
			if err := Audit(ctx, tx, now, sc.Actor, AuditGroupUpdate, "deputy_group", g.ID, "", "", strings.Join(changed, "；")); err != nil {
				return err
			}
		}
		if cur.Name != g.Name {
			if err := syncDeputyGroupText(tx, members); err != nil {
				return err
			}
		}
		return setLeader(ctx, tx, sc, &g, in.LeaderID, now)
	})
	if err != nil {
		return DeputyGroup{}, err
	}
	return g, nil
}

// setLeader sets (or, with 0, clears) the leader of g, a member, and
// audits a change.
func setLeader(ctx context.Context, tx *gorm.DB, sc ManageScope, g *DeputyGroup, leaderID uint64, now time.Time) error {
	var cur uint64
	if g.LeaderID != nil {
		cur = *g.LeaderID
	}
	if cur == leaderID {
		return nil
	}
	var v any
	note := "不设组长"
	if leaderID != 0 {
		v = leaderID
		var d Deputy
		if err := tx.Select("id", "name").First(&d, leaderID).Error; err != nil {
			return orInvalid(err, "leader_id", "请从小组成员中选择组长")
		}
		note = "组长：" + d.Name
	}
	if err := tx.Model(&DeputyGroup{ID: g.ID}).Updates(map[string]any{"leader_id": v, "updated_at": now.UTC()}).Error; err != nil {
		return translate(err)
	}
	if leaderID == 0 {
		g.LeaderID = nil
	} else {
		g.LeaderID = &leaderID
	}
	return Audit(ctx, tx, now, sc.Actor, AuditGroupUpdate, "deputy_group", g.ID, strconv.FormatUint(cur, 10),
		strconv.FormatUint(leaderID, 10), note)
}

// SetGroupMembers replaces a group's members with deputyIDs. Deputies who
// join must qualify (see the rules above); the leader cannot leave. Audited
// with who joined and who left.
func SetGroupMembers(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, deputyIDs []uint64, now time.Time) (GroupDetail, error) {
	return editMembers(ctx, db, sc, id, now, func(cur []uint64) (add, remove []uint64) {
		want := uniqueIDs(deputyIDs)
		for _, d := range want {
			if !slices.Contains(cur, d) {
				add = append(add, d)
			}
		}
		for _, d := range cur {
			if !slices.Contains(want, d) {
				remove = append(remove, d)
			}
		}
		return add, remove
	})
}

// AddGroupMembers adds deputies to a group; those already in it are left.
func AddGroupMembers(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, deputyIDs []uint64, now time.Time) (GroupDetail, error) {
	return editMembers(ctx, db, sc, id, now, func(cur []uint64) (add, remove []uint64) {
		for _, d := range uniqueIDs(deputyIDs) {
			if !slices.Contains(cur, d) {
				add = append(add, d)
			}
		}
		return add, nil
	})
}

// RemoveGroupMember takes a deputy out of a group; the leader cannot be.
func RemoveGroupMember(ctx context.Context, db *gorm.DB, sc ManageScope, id, deputyID uint64, now time.Time) (GroupDetail, error) {
	return editMembers(ctx, db, sc, id, now, func(cur []uint64) (add, remove []uint64) {
		if slices.Contains(cur, deputyID) {
			remove = []uint64{deputyID}
		}
		return nil, remove
	})
}

func editMembers(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time, diff func(cur []uint64) (add, remove []uint64)) (GroupDetail, error) {
	var d GroupDetail
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := managedGroup(tx, sc, id, true)
		if err != nil {
			return err
		}
		cur, err := memberIDs(tx, g.ID)
		if err != nil {
			return err
		}
		add, remove := diff(cur)
		if len(cur)+len(add)-len(remove) > MaxGroupMembers {
			return Invalid("members", "一个代表小组最多"+strconv.Itoa(MaxGroupMembers)+"名成员")
		}
		if err := changeMembers(ctx, tx, sc, &g, add, remove, now); err != nil {
			return err
		}
		d, err = groupDetail(tx, g)
		return err
	})
	if err != nil {
		return GroupDetail{}, err
	}
	return d, nil
}

// changeMembers adds and removes members of g: joiners are checked, the
// leader cannot leave; the deputies' group text is rewritten and the
// change audited.
func changeMembers(ctx context.Context, tx *gorm.DB, sc ManageScope, g *DeputyGroup, add, remove []uint64, now time.Time) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	if g.LeaderID != nil && slices.Contains(remove, *g.LeaderID) {
		var l Deputy
		_ = tx.Select("id", "name").First(&l, *g.LeaderID).Error
		return Invalid("members", l.Name+"是组长，不能移出小组；请先更换组长或设为不设组长")
	}
	var joined, left []Deputy
	if len(add) > 0 {
		for _, id := range add {
			if !ValidID(id) {
				return Invalid("members", "有的代表不存在，请重新选择")
			}
		}
		if err := tx.Select("id", "name", "status").Where("id IN ?", add).Order("id").Find(&joined).Error; err != nil {
			return translate(err)
		}
		if len(joined) != len(add) {
			return Invalid("members", "有的代表不存在，请重新选择")
		}
		for _, d := range joined {
			if d.Status != DeputyActive {
				return Invalid("members", d.Name+"代表已离任，不能加入代表小组")
			}
		}
		if g.Township != "" {
			serving, err := servingIn(tx, add, g.Township)
			if err != nil {
				return err
			}
			for _, d := range joined {
				if !serving[d.ID] {
					return Invalid("members", d.Name+"代表不在"+g.Township+"的联络站履职，不能加入"+g.Township+"的代表小组")
				}
			}
		}
		for _, d := range joined {
			if err := tx.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", g.ID, d.ID).Error; err != nil {
				return translate(err)
			}
		}
	}
	if len(remove) > 0 {
		if err := tx.Select("id", "name").Where("id IN ?", remove).Order("id").Find(&left).Error; err != nil {
			return translate(err)
		}
		if err := tx.Exec("DELETE FROM deputy_group_members WHERE deputy_group_id = ? AND deputy_id IN ?", g.ID, remove).Error; err != nil {
			return translate(err)
		}
	}
	if err := syncDeputyGroupText(tx, append(slices.Clone(add), remove...)); err != nil {
		return err
	}
	var note []string
	if len(joined) > 0 {
		note = append(note, "加入："+deputyNames(joined))
	}
	if len(left) > 0 {
		note = append(note, "移出："+deputyNames(left))
	}
	return Audit(ctx, tx, now, sc.Actor, AuditGroupMembers, "deputy_group", g.ID, "", "",
		Shorten(strings.Join(note, "；"), 1000, "…"))
}

func deputyNames(ds []Deputy) string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	return strings.Join(names, "、")
}

// servingIn reports which of the deputies serve in a township: their
// primary station or one of their other stations lies in it.
func servingIn(tx *gorm.DB, ids []uint64, township string) (map[uint64]bool, error) {
	out := map[uint64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var primary, other []uint64
	if err := tx.Table("deputies").Joins("JOIN stations ON stations.id = deputies.station_id").
		Where("deputies.id IN ? AND stations.district = ?", ids, township).Pluck("deputies.id", &primary).Error; err != nil {
		return nil, translate(err)
	}
	if err := tx.Table("deputy_stations").Joins("JOIN stations ON stations.id = deputy_stations.station_id").
		Where("deputy_stations.deputy_id IN ? AND stations.district = ?", ids, township).
		Pluck("deputy_stations.deputy_id", &other).Error; err != nil {
		return nil, translate(err)
	}
	for _, id := range append(primary, other...) {
		out[id] = true
	}
	return out, nil
}

// memberIDs are the ids of a group's members, in order.
func memberIDs(tx *gorm.DB, groupID uint64) ([]uint64, error) {
	var ids []uint64
	err := tx.Table("deputy_group_members").Where("deputy_group_id = ?", groupID).Order("deputy_id").Pluck("deputy_id", &ids).Error
	return ids, translate(err)
}

// DeleteGroup deletes a group the scope manages and its memberships; the
// deputies stay, with their records. Audited with the members it had.
func DeleteGroup(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := managedGroup(tx, sc, id, true)
		if err != nil {
			return err
		}
		members, err := memberIDs(tx, g.ID)
		if err != nil {
			return err
		}
		var ds []Deputy
		if len(members) > 0 {
			if err := tx.Select("id", "name").Where("id IN ?", members).Order("id").Find(&ds).Error; err != nil {
				return translate(err)
			}
		}
		if err := tx.Exec("DELETE FROM deputy_group_members WHERE deputy_group_id = ?", g.ID).Error; err != nil {
			return translate(err)
		}
		if err := tx.Delete(&DeputyGroup{}, g.ID).Error; err != nil {
			return translate(err)
		}
		if err := syncDeputyGroupText(tx, members); err != nil {
			return err
		}
		note := g.Name + "（" + g.TownshipLabel() + "）"
		if len(ds) > 0 {
			note += "；成员：" + deputyNames(ds)
		}
		return Audit(ctx, tx, now, sc.Actor, AuditGroupDelete, "deputy_group", g.ID, "", "", Shorten(note, 1000, "…"))
	})
}

// GroupsOf lists the groups a deputy belongs to, county groups first.
func GroupsOf(ctx context.Context, db *gorm.DB, deputyID uint64) ([]DeputyGroup, error) {
	var gs []DeputyGroup
	err := db.WithContext(ctx).Where("id IN (?)", db.Table("deputy_group_members").Select("deputy_group_id").
		Where("deputy_id = ?", deputyID)).Order("CASE WHEN township = '' THEN 0 ELSE 1 END, township, id").Find(&gs).Error
	return gs, translate(err)
}

// GroupMembers lists a group's members (leader first); no scope: callers
// that show it to staff check the scope themselves. A missing group is
// ErrGroupNotFound.
func GroupMembers(ctx context.Context, db *gorm.DB, groupID uint64) ([]GroupMember, error) {
	tx := db.WithContext(ctx)
	var g DeputyGroup
	if !ValidID(groupID) {
		return nil, ErrGroupNotFound
	}
	if err := tx.First(&g, groupID).Error; err != nil {
		return nil, notFoundAs(err, ErrGroupNotFound)
	}
	d, err := groupDetail(tx, g)
	return d.Members, err
}

// GroupDeputyIDs are the ids of a group's members, in order, for filters
// "by group" (review queue, evaluation, figures): callers intersect them
// with their own scope. A missing group is ErrGroupNotFound.
func GroupDeputyIDs(ctx context.Context, db *gorm.DB, groupID uint64) ([]uint64, error) {
	tx := db.WithContext(ctx)
	if !ValidID(groupID) {
		return nil, ErrGroupNotFound
	}
	var n int64
	if err := tx.Model(&DeputyGroup{}).Where("id = ?", groupID).Count(&n).Error; err != nil {
		return nil, translate(err)
	}
	if n == 0 {
		return nil, ErrGroupNotFound
	}
	return memberIDs(tx, groupID)
}

// GroupCandidates lists up to limit active deputies who may join a group
// and are not in it yet, whose name contains query: any deputy for a
// county group, those serving in the township for a township group.
func GroupCandidates(ctx context.Context, db *gorm.DB, sc ManageScope, groupID uint64, query string, limit int) ([]ManagedDeputy, error) {
	tx := db.WithContext(ctx)
	g, err := managedGroup(tx, sc, groupID, false)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	q := tx.Table("deputies").Joins("JOIN stations ON stations.id = deputies.station_id").
		Where("deputies.status = ?", DeputyActive).
		Where("deputies.id NOT IN (?)", db.Table("deputy_group_members").Select("deputy_id").Where("deputy_group_id = ?", g.ID))
	if s := CleanLine(query); s != "" {
		q = q.Where("deputies.name LIKE ? ESCAPE '!'", "%"+escapeLike(s)+"%")
	}
	if g.Township != "" {
		q = q.Where("stations.district = ? OR deputies.id IN (?)", g.Township,
			db.Table("deputy_stations").Joins("JOIN stations s2 ON s2.id = deputy_stations.station_id").
				Select("deputy_stations.deputy_id").Where("s2.district = ?", g.Township))
	}
	var out []ManagedDeputy
	order := "CASE deputies.level WHEN 'national' THEN 0 WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, deputies.id"
	if err := q.Select("deputies.*, stations.name AS station_name, stations.district AS township").Order(order).
		Limit(limit).Scan(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// syncDeputyGroupText rewrites Deputy.Group of the deputies as the names
// of their groups, county groups first, "、"-joined.
func syncDeputyGroupText(tx *gorm.DB, deputyIDs []uint64) error {
	ids := uniqueIDs(deputyIDs)
	for chunk := range slices.Chunk(ids, 500) {
		type row struct {
			DeputyID uint64
			Name     string
		}
		var rows []row
		if err := tx.Table("deputy_group_members m").Joins("JOIN deputy_groups g ON g.id = m.deputy_group_id").
			Select("m.deputy_id AS deputy_id, g.name AS name").Where("m.deputy_id IN ?", chunk).
			Order("m.deputy_id, CASE WHEN g.township = '' THEN 0 ELSE 1 END, g.township, g.id").Scan(&rows).Error; err != nil {
			return translate(err)
		}
		names := map[uint64][]string{}
		for _, r := range rows {
			names[r.DeputyID] = append(names[r.DeputyID], r.Name)
		}
		var cur []Deputy
		if err := tx.Select("id", "deputy_group").Where("id IN ?", chunk).Find(&cur).Error; err != nil {
			return translate(err)
		}
		for _, d := range cur {
			text := Shorten(strings.Join(names[d.ID], "、"), 100, "…")
			if text == d.Group {
				continue
			}
			if err := tx.Model(&Deputy{}).Where("id = ?", d.ID).UpdateColumn("deputy_group", text).Error; err != nil {
				return translate(err)
			}
		}
	}
	return nil
}

// setDeputyGroups makes a deputy a member of exactly the groups ids among
// the groups the scope manages; other groups' memberships stay. Joining and
// leaving follow the groups' rules (a leader cannot leave).
func setDeputyGroups(ctx context.Context, tx *gorm.DB, sc ManageScope, d *Deputy, ids []uint64, now time.Time) error {
	ids = uniqueIDs(ids)
	var want []DeputyGroup
	if len(ids) > 0 {
		for _, id := range ids {
			if !ValidID(id) {
				return Invalid("group_ids", "有的代表小组不存在，请重新选择")
			}
		}
		if err := tx.Where("id IN ?", ids).Order("id").Find(&want).Error; err != nil {
			return translate(err)
		}
		if len(want) != len(ids) {
			return Invalid("group_ids", "有的代表小组不存在，请重新选择")
		}
		for _, g := range want {
			if !sc.allowsGroup(g.Township) {
				return Invalid("group_ids", "只能选择本乡镇（街道）的代表小组")
			}
		}
	}
	cur, err := GroupsOf(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	asField := func(err error) error {
		var v *ValidationError
		if errors.As(err, &v) && v.Field == "members" {
			return Invalid("group_ids", v.Msg)
		}
		return err
	}
	for _, g := range cur {
		if sc.allowsGroup(g.Township) && !slices.Contains(ids, g.ID) {
			if err := changeMembers(ctx, tx, sc, &g, nil, []uint64{d.ID}, now); err != nil {
				return asField(err)
			}
		}
	}
	for _, g := range want {
		if !slices.ContainsFunc(cur, func(c DeputyGroup) bool { return c.ID == g.ID }) {
			if err := changeMembers(ctx, tx, sc, &g, []uint64{d.ID}, nil, now); err != nil {
				return asField(err)
			}
		}
	}
	var text []string
	if err := tx.Model(&Deputy{}).Where("id = ?", d.ID).Pluck("deputy_group", &text).Error; err != nil {
		return translate(err)
	}
	if len(text) == 1 {
		d.Group = text[0]
	}
	return nil
}
