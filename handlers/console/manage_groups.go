package console

import (
	"net/http"
	"strconv"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The management of deputy groups (代表小组, /console/manage/groups): the
// list with a search by name and a township filter, the form to add or edit
// a group (name, township or county, leader), its members with a search to
// add deputies and a button to remove each, and deletion. The county office
// manages every group, a township user its township's groups only
// (models.ManageScope); any other id is the 404 page. The rules of
// membership live in models/deputy_group.go; every change is audited there.

// Templates of the group pages.
const (
	tplManageGroups = "manage_groups.html"
	tplManageGroup  = "manage_group.html"
)

// ManageGroupsPath is the list; a group is ManageGroupPath(id).
const ManageGroupsPath = ManagePath + "/groups"

// ManageGroupPath is the page of one group.
func ManageGroupPath(id uint64) string { return ManageGroupsPath + "/" + strconv.FormatUint(id, 10) }

// groupCandidateLimit is how many deputies one search offers to add.
const groupCandidateLimit = 30

// manageGroupPages registers the management of deputy groups.
func (h *Handlers) manageGroupPages(manage *gin.RouterGroup) {
	manage.GET("/groups", h.pageGroups)
	manage.GET("/groups/new", h.pageGroupNew)
	manage.POST("/groups", h.pageGroupCreate)
	manage.GET("/groups/:id", h.pageGroup)
	manage.POST("/groups/:id", h.pageGroupUpdate)
	manage.POST("/groups/:id/members", h.pageGroupAddMembers)
	manage.POST("/groups/:id/members/:deputy/remove", h.pageGroupRemoveMember)
	manage.POST("/groups/:id/delete", h.pageGroupDelete)
}

// groupListData is the list page.
type groupListData struct {
	Rows            []models.GroupSummary
	Query, Township string
	Townships       []option
	All             bool
	Members         int
}

// countyValue is the township filter's value for the county's groups.
const countyValue = "county"

func (h *Handlers) pageGroups(c *gin.Context) {
	ctx, sc := c.Request.Context(), manageScope(c)
	d := groupListData{Query: models.CleanLine(c.Query("q")), Township: c.Query("township"), All: sc.All}
	q := models.GroupQuery{Query: d.Query}
	if d.Township == countyValue {
		q.CountyOnly = true
	} else {
		q.Township = d.Township
	}
	rows, err := models.ListGroups(ctx, h.DB, sc, q)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	districts, err := models.ManagedDistricts(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Rows = rows
	for _, r := range rows {
		d.Members += r.MemberCount
	}
	d.Townships = []option{{"", "全部"}, {countyValue, "县级代表小组"}}
	for _, t := range districts {
		d.Townships = append(d.Townships, option{t, t})
	}
	h.render(c, http.StatusOK, tplManageGroups, page{Title: "代表小组", Nav: "manage", Notice: noticeOf(c), Data: d})
}

// groupFormData is the page of a group: the form, and for an existing group
// its members, the search to add members and deletion.
type groupFormData struct {
	ID     uint64
	Action string
	// Form keeps what was typed (or the stored values).
	Form map[string]string
	// Bad names the field that was refused.
	Bad       string
	All       bool
	Townships []option
	// Leaders are the members the leader is chosen from.
	Leaders    []option
	Members    []models.GroupMember
	Query      string
	Searched   bool
	Candidates []models.ManagedDeputy
	// More says the search showed only the first CandidateLimit deputies.
	More           bool
	CandidateLimit int
	// MembersHref lists the members on the deputies page.
	MembersHref string
}

func (h *Handlers) showGroupForm(c *gin.Context, status int, p page, d groupFormData) {
	sc := manageScope(c)
	d.All = sc.All
	d.Action = ManageGroupsPath
	if sc.All {
		districts, err := models.ManagedDistricts(c.Request.Context(), h.DB, sc)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		d.Townships = []option{{"", "县级代表小组（成员可来自全县）"}}
		for _, t := range districts {
			d.Townships = append(d.Townships, option{t, t + "的代表小组"})
		}
	}
	if d.ID != 0 {
		d.Action = ManageGroupPath(d.ID)
		d.MembersHref = ManageDeputiesPath + "?group_id=" + strconv.FormatUint(d.ID, 10)
		d.Leaders = []option{{"", "不设组长"}}
		for _, m := range d.Members {
			d.Leaders = append(d.Leaders, option{strconv.FormatUint(m.ID, 10), m.Name + "（" + m.Level.Label() + "）"})
		}
	}
	if p.Title == "" {
		p.Title = "新建代表小组"
	}
	p.Nav, p.Data = "manage", d
	h.render(c, status, tplManageGroup, p)
}

func (h *Handlers) pageGroupNew(c *gin.Context) {
	h.showGroupForm(c, http.StatusOK, page{}, groupFormData{Form: map[string]string{}})
}

// groupFields are the fields of the group form.
var groupFields = []string{"name", "township", "leader_id"}

// groupInputOf reads the group form.
func groupInputOf(f map[string]string) (models.GroupInput, error) {
	in := models.GroupInput{Name: f["name"], Township: f["township"]}
	if s := f["leader_id"]; s != "" {
		id, ok := models.ParseID(s)
		if !ok {
			return in, models.Invalid("leader_id", "请从小组成员中选择组长")
		}
		in.LeaderID = id
	}
	return in, nil
}

func (h *Handlers) pageGroupCreate(c *gin.Context) {
	f := postedForm(c, groupFields...)
	delete(f, "leader_id")
	in, _ := groupInputOf(f)
	g, err := models.CreateGroup(c.Request.Context(), h.DB, manageScope(c), in, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showGroupForm(c, status, p, groupFormData{Form: f, Bad: bad})
		})
		return
	}
	seeOther(c, ManageGroupPath(g.ID), "已新建"+g.Name+"，请添加成员")
}

// loadGroupPage loads the group of the page in the scope; a missing or
// out-of-scope one is the 404 page.
func (h *Handlers) loadGroupPage(c *gin.Context) (models.GroupDetail, bool) {
	id, ok := h.pathID(c, models.ErrGroupNotFound)
	if !ok {
		return models.GroupDetail{}, false
	}
	g, err := models.GetGroup(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return models.GroupDetail{}, false
	}
	return g, true
}

// groupForm is the form of g (the stored values).
func groupForm(g models.GroupDetail) map[string]string {
	f := map[string]string{"name": g.Name, "township": g.Township}
	if g.LeaderID != nil {
		f["leader_id"] = strconv.FormatUint(*g.LeaderID, 10)
	}
	return f
}

// showGroup renders an existing group's page with its members and, when
// the search was used, the deputies who may join.
func (h *Handlers) showGroup(c *gin.Context, g models.GroupDetail, status int, p page, d groupFormData) {
	d.ID, d.Members = g.ID, g.Members
	if d.Form == nil {
		d.Form = groupForm(g)
	}
	if p.Title == "" {
		p.Title = "代表小组：" + g.Name
	}
	d.Query = models.CleanLine(c.Query("q"))
	_, d.Searched = c.GetQuery("q")
	if d.Searched {
		var err error
		d.Candidates, err = models.GroupCandidates(c.Request.Context(), h.DB, manageScope(c), g.ID, d.Query, groupCandidateLimit+1)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		if len(d.Candidates) > groupCandidateLimit {
			d.Candidates, d.More = d.Candidates[:groupCandidateLimit], true
		}
		d.CandidateLimit = groupCandidateLimit
	}
	h.showGroupForm(c, status, p, d)
}

func (h *Handlers) pageGroup(c *gin.Context) {
	g, ok := h.loadGroupPage(c)
	if !ok {
		return
	}
	h.showGroup(c, g, http.StatusOK, page{Notice: noticeOf(c)}, groupFormData{})
}

func (h *Handlers) pageGroupUpdate(c *gin.Context) {
	g, ok := h.loadGroupPage(c)
	if !ok {
		return
	}
	f := postedForm(c, groupFields...)
	in, err := groupInputOf(f)
	if err == nil {
		_, err = models.UpdateGroup(c.Request.Context(), h.DB, manageScope(c), g.ID, in, h.Now())
	}
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showGroup(c, g, status, p, groupFormData{Form: f, Bad: bad})
		})
		return
	}
	seeOther(c, ManageGroupPath(g.ID), "已保存"+in.Name)
}

func (h *Handlers) pageGroupAddMembers(c *gin.Context) {
	g, ok := h.loadGroupPage(c)
	if !ok {
		return
	}
	var ids []uint64
	vals := c.PostFormArray("deputy_ids")
	if len(vals) > models.MaxGroupMembers {
		vals = vals[:models.MaxGroupMembers]
	}
	for _, s := range vals {
		if id, ok := models.ParseID(s); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		h.showGroup(c, g, http.StatusBadRequest, page{Error: "请勾选要加入小组的代表"}, groupFormData{Bad: "members"})
		return
	}
	d, err := models.AddGroupMembers(c.Request.Context(), h.DB, manageScope(c), g.ID, ids, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) {
			h.showGroup(c, g, status, p, groupFormData{Bad: "members"})
		})
		return
	}
	seeOther(c, ManageGroupPath(g.ID), "已加入"+strconv.Itoa(len(ids))+"位代表，"+d.Name+"现有"+strconv.Itoa(len(d.Members))+"名成员")
}

func (h *Handlers) pageGroupRemoveMember(c *gin.Context) {
	g, ok := h.loadGroupPage(c)
	if !ok {
		return
	}
	dep, _ := models.ParseID(c.Param("deputy"))
	var name string
	for _, m := range g.Members {
		if m.ID == dep {
			name = m.Name
		}
	}
	if name == "" {
		h.renderErr(c, models.ErrDeputyNotFound)
		return
	}
	if _, err := models.RemoveGroupMember(c.Request.Context(), h.DB, manageScope(c), g.ID, dep, h.Now()); err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) {
			h.showGroup(c, g, status, p, groupFormData{Bad: "members"})
		})
		return
	}
	seeOther(c, ManageGroupPath(g.ID), "已把"+name+"代表移出"+g.Name)
}

func (h *Handlers) pageGroupDelete(c *gin.Context) {
	g, ok := h.loadGroupPage(c)
	if !ok {
		return
	}
	if err := models.DeleteGroup(c.Request.Context(), h.DB, manageScope(c), g.ID, h.Now()); err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) { h.showGroup(c, g, status, p, groupFormData{}) })
		return
	}
	seeOther(c, ManageGroupsPath, "已删除"+g.Name+"（成员的履职档案不受影响）")
}

// fillGroupChoices fills the deputy form's group checkboxes: the groups the
// scope manages, county groups first, then by township.
func (h *Handlers) fillGroupChoices(c *gin.Context, d *deputyFormData) error {
	gs, err := models.ListGroups(c.Request.Context(), h.DB, manageScope(c), models.GroupQuery{})
	if err != nil {
		return err
	}
	idx := map[string]int{}
	for _, g := range gs {
		label := g.TownshipLabel()
		i, ok := idx[label]
		if !ok {
			i = len(d.Groups)
			idx[label] = i
			d.Groups = append(d.Groups, checkGroup{Township: label})
		}
		checked := d.GroupSet[g.ID]
		d.Groups[i].Items = append(d.Groups[i].Items, checkItem{Value: strconv.FormatUint(g.ID, 10), Label: g.Name, Checked: checked})
		if checked {
			d.Groups[i].Checked++
		}
	}
	return nil
}

// idSet is the set of ids.
func idSet(ids []uint64) map[uint64]bool {
	out := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// groupOptions are the groups of the deputies list's filter.
func (h *Handlers) groupOptions(c *gin.Context) ([]option, error) {
	gs, err := models.ListGroups(c.Request.Context(), h.DB, manageScope(c), models.GroupQuery{})
	if err != nil {
		return nil, err
	}
	out := []option{{"", "全部代表小组"}}
	for _, g := range gs {
		out = append(out, option{strconv.FormatUint(g.ID, 10), g.Name})
	}
	return out, nil
}
