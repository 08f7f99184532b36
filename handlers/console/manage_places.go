package console

import (
	"net/http"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The management of places and rules (管理): the management index, the
// stations with their contact tables and reception rules, the communities
// and their aliases, and, for the county office only, the categories and
// their deadlines, the departments and the holiday calendar. The pages sit
// behind requireManage; every change goes through the models functions of
// models/manage_places.go, which scope it to the staff member's
// ManageScope (another township's station or community is the 404 page)
// and audit it. A refused change shows the form again with the Chinese
// message and what was typed; a made one answers 303 with a notice. A
// change to stations or communities drops the cached routing world, so
// opinions route by it at once.

// Templates of the management of places.
const (
	tplManageIndex      = "manage_index.html"
	tplManageStations   = "manage_stations.html"
	tplManageStation    = "manage_station.html"
	tplManageContacts   = "manage_station_contacts.html"
	tplManageRule       = "manage_rule.html"
	tplManageComms      = "manage_communities.html"
	tplManageComm       = "manage_community.html"
	tplManageCategories = "manage_categories.html"
	tplManageCategory   = "manage_category.html"
	tplManageDepts      = "manage_departments.html"
	tplManageDept       = "manage_department.html"
	tplManageHolidays   = "manage_holidays.html"
)

// Paths of the management pages.
const (
	// ManagePath is the management index.
	ManagePath            = pagesBase + "/manage"
	ManageStationsPath    = ManagePath + "/stations"
	ManageCommunitiesPath = ManagePath + "/communities"
	ManageCategoriesPath  = ManagePath + "/categories"
	ManageDepartmentsPath = ManagePath + "/departments"
	ManageHolidaysPath    = ManagePath + "/holidays"
)

// ManageStationPath is the edit page of a station; its contact table and
// reception rule are under it (/contacts, /rule).
func ManageStationPath(id uint64) string {
	return ManageStationsPath + "/" + strconv.FormatUint(id, 10)
}

// managePlacesPages registers the management of places and rules: stations, communities
// and their aliases, categories and deadlines, the (station, category)
// contact table, departments, the holiday calendar and reception rules.
func (h *Handlers) managePlacesPages(manage *gin.RouterGroup) {
	manage.GET("", h.pageManageIndex)
	manage.GET("/stations", h.pageManageStations)
	manage.GET("/stations/new", h.pageManageStationNew)
	manage.POST("/stations", h.pageManageStationCreate)
	manage.GET("/stations/:id", h.pageManageStation)
	manage.POST("/stations/:id", h.pageManageStationUpdate)
	manage.POST("/stations/:id/delete", h.pageManageStationDelete)
	manage.GET("/stations/:id/contacts", h.pageManageContacts)
	manage.POST("/stations/:id/contacts", h.pageManageContactsSave)
	manage.GET("/stations/:id/rule", h.pageManageRule)
	manage.POST("/stations/:id/rule", h.pageManageRuleSave)
	manage.GET("/communities", h.pageManageCommunities)
	manage.GET("/communities/new", h.pageManageCommunityNew)
	manage.POST("/communities", h.pageManageCommunityCreate)
	manage.GET("/communities/:id", h.pageManageCommunity)
	manage.POST("/communities/:id", h.pageManageCommunityUpdate)
	manage.POST("/communities/:id/delete", h.pageManageCommunityDelete)
	county := manage.Group("", h.requireCounty)
	county.GET("/categories", h.pageManageCategories)
	county.GET("/categories/new", h.pageManageCategoryNew)
	county.POST("/categories", h.pageManageCategoryCreate)
	county.GET("/categories/:id", h.pageManageCategory)
	county.POST("/categories/:id", h.pageManageCategoryUpdate)
	county.GET("/departments", h.pageManageDepartments)
	county.GET("/departments/new", h.pageManageDepartmentNew)
	county.POST("/departments", h.pageManageDepartmentCreate)
	county.GET("/departments/:id", h.pageManageDepartment)
	county.POST("/departments/:id", h.pageManageDepartmentUpdate)
	county.POST("/departments/:id/delete", h.pageManageDepartmentDelete)
	county.GET("/holidays", h.pageManageHolidays)
	county.POST("/holidays", h.pageManageHolidayAdd)
	county.POST("/holidays/:date/delete", h.pageManageHolidayDelete)
}

// requireCounty keeps the county office's sections (categories,
// departments, the calendar) from township users: the 403 page.
func (h *Handlers) requireCounty(c *gin.Context) {
	if !manageScope(c).All {
		h.renderErr(c, models.ErrCountyOnly)
		return
	}
	c.Next()
}

// placesChanged drops the cached routing world after a change to
// stations or communities.
func (h *Handlers) placesChanged() { h.Routes.Invalidate() }

// manageCard is one section of the management index.
type manageCard struct {
	Title, Desc, Href string
}

// manageIndexData is the management index.
type manageIndexData struct {
	Cards    []manageCard
	Township string
}

func (h *Handlers) pageManageIndex(c *gin.Context) {
	sc := manageScope(c)
	all := []struct {
		card   manageCard
		county bool
	}{
		{manageCard{"联络站", "代表之家、代表联络站、基层立法联系点：地址、位置、开放时间，各类意见的联系人，接待日规则", ManageStationsPath}, false},
		{manageCard{"村（社区）", "各村、社区由哪个联络站联系服务，以及群众常用的别名", ManageCommunitiesPath}, false},
		{manageCard{"代表", "代表的层级、选区、照片、职务和履职承诺，所在联络站，任期与离任", ManagePath + "/deputies"}, false},
		{manageCard{"代表小组", "代表小组的成员和组长：乡镇（街道）的代表小组和县级专业代表小组", ManagePath + "/groups"}, false},
		{manageCard{"工作人员与邀请", "联络员、站长和乡镇（街道）人大的账号，扫码绑定微信的邀请", ManagePath + "/staff"}, false},
		{manageCard{"二维码与公示牌", "代表和联络站的二维码，公示牌的打印", ManagePath + "/codes"}, false},
		{manageCard{"Excel导入", "从Excel模板导入代表、联络站、村（社区）", ManagePath + "/import"}, false},
		{manageCard{"履职考评", "代表年度履职考评：指标分值、代表自评、按在任月数折算的评价，一人一档导出和打印", pagesBase + "/eval"}, false},
		{manageCard{"数据导出", "意见台账、预约和接待记录导出为Excel", pagesBase + "/exports"}, false},
		{manageCard{"意见类别与办理期限", "意见的类别、说明，受理和答复的工作日期限", ManageCategoriesPath}, true},
		{manageCard{"承办部门", "转办意见的政府部门及其联系人、电话", ManageDepartmentsPath}, true},
		{manageCard{"节假日与调休", "法定节假日和调休上班日，用于计算办理期限和安排接待日", ManageHolidaysPath}, true},
		{manageCard{"通知发送", "模板消息的发送情况，失败和积压的通知可以重发", ManagePath + "/outbox"}, true},
	}
	d := manageIndexData{Township: sc.Township}
	for _, x := range all {
		if !x.county || sc.All {
			d.Cards = append(d.Cards, x.card)
		}
	}
	h.render(c, http.StatusOK, tplManageIndex, page{Title: "管理", Nav: "manage", Notice: noticeOf(c), Data: d})
}

// formRefused shows a refused change on its form (status and message,
// true) when the staff member can fix it there: a validation error or a
// conflict such as a station still in use. Anything else is the error
// page (false).
func (h *Handlers) formRefused(c *gin.Context, err error) (int, string, bool) {
	status, d := shared.ErrorOf(c, err)
	if status == http.StatusBadRequest || status == http.StatusConflict {
		return status, d.Message, true
	}
	h.renderErr(c, err)
	return 0, "", false
}

// postedForm keeps the fields of a posted form, to show them again.
func postedForm(c *gin.Context, names ...string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = c.PostForm(n)
	}
	return out
}

// formInt reads a whole number a form field holds; an empty or bad one is
// a validation error naming the field.
func formInt(form map[string]string, name, label string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(form[name]))
	if err != nil {
		return 0, models.Invalid(name, label+"应为整数")
	}
	return n, nil
}

// pathID reads the id of :id; a malformed one is notFound's 404 page.
func (h *Handlers) pathID(c *gin.Context, notFound error) (uint64, bool) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, notFound)
	}
	return id, ok
}

// ---- stations ----

// stationKinds are the kinds of station for the pages.
func stationKinds() []option {
	return []option{
		{string(models.KindHome), models.KindHome.Label()},
		{string(models.KindStation), models.KindStation.Label()},
		{string(models.KindLegislative), models.KindLegislative.Label()},
	}
}

// manageStationsData is the stations list.
type manageStationsData struct {
	Rows                  []models.ManagedStation
	Districts             []string
	Kinds                 []option
	Query, District, Kind string
	All                   bool
}

func (h *Handlers) pageManageStations(c *gin.Context) {
	ctx, sc := c.Request.Context(), manageScope(c)
	d := manageStationsData{Query: c.Query("q"), District: c.Query("district"), Kind: c.Query("kind"), Kinds: stationKinds(), All: sc.All}
	rows, err := models.ListManagedStations(ctx, h.DB, sc, models.ManageStationQuery{
		Query: d.Query, District: d.District, Kind: models.StationKind(d.Kind)})
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Rows = rows
	if d.Districts, err = models.ManagedDistricts(ctx, h.DB, sc); err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplManageStations, page{Title: "联络站", Nav: "manage", Notice: noticeOf(c), Data: d})
}

// stationFields are the fields of the station form.
var stationFields = []string{"kind", "name", "district", "address", "lat", "lng", "open_hours", "phone"}

// manageStationData is the station form, new or edit.
type manageStationData struct {
	ID        uint64
	Form      map[string]string
	Kinds     []option
	Districts []string
	// All lets the county office pick the township; a township user's
	// station is in its own.
	All      bool
	Township string
}

func (h *Handlers) stationForm(c *gin.Context, id uint64, form map[string]string) (manageStationData, error) {
	sc := manageScope(c)
	ds, err := models.ManagedDistricts(c.Request.Context(), h.DB, sc)
	return manageStationData{ID: id, Form: form, Kinds: stationKinds(), Districts: ds, All: sc.All, Township: sc.Township}, err
}

func (h *Handlers) showStationForm(c *gin.Context, status int, id uint64, form map[string]string, p page) {
	d, err := h.stationForm(c, id, form)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	p.Nav, p.Data = "manage", d
	if p.Title == "" {
		p.Title = "新增联络站"
		if id != 0 {
			p.Title = form["name"]
		}
	}
	h.render(c, status, tplManageStation, p)
}

func (h *Handlers) pageManageStationNew(c *gin.Context) {
	sc := manageScope(c)
	h.showStationForm(c, http.StatusOK, 0, map[string]string{"kind": string(models.KindStation), "district": sc.Township}, page{})
}

func (h *Handlers) pageManageStation(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	st, err := models.GetManagedStation(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	form := map[string]string{"kind": string(st.Kind), "name": st.Name, "district": st.District, "address": st.Address,
		"lat": strconv.FormatFloat(st.Lat, 'f', -1, 64), "lng": strconv.FormatFloat(st.Lng, 'f', -1, 64),
		"open_hours": st.OpenHours, "phone": st.Phone}
	h.showStationForm(c, http.StatusOK, id, form, page{Title: st.Name, Notice: noticeOf(c)})
}

// stationOf reads the station form.
func stationOf(form map[string]string) (models.Station, error) {
	st := models.Station{Kind: models.StationKind(form["kind"]), Name: form["name"], District: form["district"],
		Address: form["address"], OpenHours: form["open_hours"], Phone: form["phone"]}
	var err error
	if st.Lat, err = strconv.ParseFloat(strings.TrimSpace(form["lat"]), 64); err != nil {
		return st, models.Invalid("lat", "纬度应为数字（例如30.2712），可在地图上查到")
	}
	if st.Lng, err = strconv.ParseFloat(strings.TrimSpace(form["lng"]), 64); err != nil {
		return st, models.Invalid("lng", "经度应为数字（例如120.1565），可在地图上查到")
	}
	return st, nil
}

func (h *Handlers) pageManageStationCreate(c *gin.Context) {
	form := postedForm(c, stationFields...)
	st, err := stationOf(form)
	if err == nil {
		st, err = models.CreateStation(c.Request.Context(), h.DB, manageScope(c), st, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showStationForm(c, status, 0, form, page{Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageStationPath(st.ID), "已新增"+st.Name+"，请设置联系人和接待日规则")
}

func (h *Handlers) pageManageStationUpdate(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	form := postedForm(c, stationFields...)
	st, err := stationOf(form)
	if err == nil {
		st.ID = id
		st, err = models.UpdateStation(c.Request.Context(), h.DB, manageScope(c), st, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showStationForm(c, status, id, form, page{Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageStationPath(id), "已保存")
}

func (h *Handlers) pageManageStationDelete(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	ctx, sc := c.Request.Context(), manageScope(c)
	st, err := models.GetManagedStation(ctx, h.DB, sc, id)
	if err == nil {
		err = models.DeleteStation(ctx, h.DB, sc, id, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			form := map[string]string{"kind": string(st.Kind), "name": st.Name, "district": st.District, "address": st.Address,
				"lat": strconv.FormatFloat(st.Lat, 'f', -1, 64), "lng": strconv.FormatFloat(st.Lng, 'f', -1, 64),
				"open_hours": st.OpenHours, "phone": st.Phone}
			h.showStationForm(c, status, id, form, page{Title: st.Name, Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageStationsPath, "已删除"+st.Name)
}

// ---- the contact table ----

// contactRowView is one row of the contact table's form.
type contactRowView struct {
	Field, Category, Selected string
}

// manageContactsData is a station's contact table.
type manageContactsData struct {
	Station models.Station
	Rows    []contactRowView
	Staff   []option
}

func (h *Handlers) showContacts(c *gin.Context, status int, id uint64, kept map[string]string, p page) {
	st, rows, staff, err := models.StationContactTable(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := manageContactsData{Station: st, Staff: []option{{"", "未指定"}}}
	for _, s := range staff {
		d.Staff = append(d.Staff, option{strconv.FormatUint(s.ID, 10), s.Name + "（" + s.RoleLabel + "）"})
	}
	for _, r := range rows {
		v := contactRowView{Field: "cat_" + strconv.FormatUint(r.CategoryID, 10), Category: r.CategoryName}
		if r.StaffID != 0 {
			v.Selected = strconv.FormatUint(r.StaffID, 10)
		}
		if k, ok := kept[v.Field]; ok {
			v.Selected = k
		}
		d.Rows = append(d.Rows, v)
	}
	p.Title, p.Nav, p.Data = st.Name+" · 联系人", "manage", d
	h.render(c, status, tplManageContacts, p)
}

func (h *Handlers) pageManageContacts(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	h.showContacts(c, http.StatusOK, id, nil, page{Notice: noticeOf(c)})
}

func (h *Handlers) pageManageContactsSave(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		h.renderErr(c, models.Invalid("form", "表单内容有误"))
		return
	}
	want := map[uint64]uint64{}
	kept := map[string]string{}
	var bad error
	for k, vs := range c.Request.PostForm {
		rest, ok := strings.CutPrefix(k, "cat_")
		if !ok || len(vs) == 0 {
			continue
		}
		cat, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || (cat != 0 && !models.ValidID(cat)) {
			continue
		}
		kept[k] = vs[0]
		staff := uint64(0)
		if v := strings.TrimSpace(vs[0]); v != "" {
			if staff, ok = models.ParseID(v); !ok {
				bad = models.Invalid("staff_id", "请选择有效的工作人员")
			}
		}
		want[cat] = staff
	}
	n := 0
	err := bad
	if err == nil {
		n, err = models.SetStationContacts(c.Request.Context(), h.DB, manageScope(c), id, want, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showContacts(c, status, id, kept, page{Error: msg})
		}
		return
	}
	notice := "联系人没有变化"
	if n > 0 {
		notice = "已保存联系人设置（" + strconv.Itoa(n) + "项变化），新的意见将按此分派"
	}
	seeOther(c, ManageStationPath(id)+"/contacts", notice)
}

// ---- reception rules ----

// ruleFields are the fields of the reception-rule form.
var ruleFields = []string{"active", "day_of_month", "start_time", "end_time", "slot_minutes", "seats_per_slot",
	"walk_in_seats", "waitlist", "waitlist_max", "opens_days_before", "closes_at"}

// manageRuleData is a station's reception-rule form.
type manageRuleData struct {
	Station models.Station
	Form    map[string]string
	// Found is false while the station has no rule (the form shows the
	// county default).
	Found bool
}

func ruleForm(r models.ReceptionRule) map[string]string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return ""
	}
	i := strconv.Itoa
	return map[string]string{"active": b(r.Active), "day_of_month": i(r.DayOfMonth), "start_time": r.StartTime,
		"end_time": r.EndTime, "slot_minutes": i(r.SlotMinutes), "seats_per_slot": i(r.SeatsPerSlot),
		"walk_in_seats": i(r.WalkInSeats), "waitlist": b(r.Waitlist), "waitlist_max": i(r.WaitlistMax),
		"opens_days_before": i(r.OpensDaysBefore), "closes_at": r.ClosesAt}
}

func (h *Handlers) showRule(c *gin.Context, status int, id uint64, kept map[string]string, p page) {
	st, r, found, err := models.ManagedReceptionRule(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := manageRuleData{Station: st, Form: ruleForm(r), Found: found}
	if kept != nil {
		d.Form = kept
	}
	p.Title, p.Nav, p.Data = st.Name+" · 接待日规则", "manage", d
	h.render(c, status, tplManageRule, p)
}

func (h *Handlers) pageManageRule(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	h.showRule(c, http.StatusOK, id, nil, page{Notice: noticeOf(c)})
}

// ruleOf reads the reception-rule form.
func ruleOf(stationID uint64, f map[string]string) (models.ReceptionRule, error) {
	r := models.ReceptionRule{StationID: stationID, Active: f["active"] != "", Waitlist: f["waitlist"] != "",
		StartTime: strings.TrimSpace(f["start_time"]), EndTime: strings.TrimSpace(f["end_time"]),
		ClosesAt: strings.TrimSpace(f["closes_at"])}
	for _, x := range []struct {
		dst         *int
		name, label string
	}{
		{&r.DayOfMonth, "day_of_month", "接待日"}, {&r.SlotMinutes, "slot_minutes", "每个时段的分钟数"},
		{&r.SeatsPerSlot, "seats_per_slot", "每个时段的名额"}, {&r.WalkInSeats, "walk_in_seats", "现场名额"},
		{&r.WaitlistMax, "waitlist_max", "候补人数上限"}, {&r.OpensDaysBefore, "opens_days_before", "提前开放预约的天数"},
	} {
		n, err := formInt(f, x.name, x.label)
		if err != nil {
			return r, err
		}
		*x.dst = n
	}
	return r, nil
}

func (h *Handlers) pageManageRuleSave(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrStationNotFound)
	if !ok {
		return
	}
	form := postedForm(c, ruleFields...)
	r, err := ruleOf(id, form)
	if err == nil {
		_, err = models.SetManagedReceptionRule(c.Request.Context(), h.DB, manageScope(c), r, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showRule(c, status, id, form, page{Error: msg})
		}
		return
	}
	seeOther(c, ManageStationPath(id)+"/rule", "已保存接待日规则，尚无预约的接待日将在下一次生成接待日时（每天一次）按新规则调整")
}

// ---- communities ----

// manageCommunitiesData is the communities list.
type manageCommunitiesData struct {
	Rows                     []models.ManagedCommunity
	Stations                 []option
	Districts                []string
	Query, Station, District string
	All                      bool
}

// stationOptions lists the stations of the scope for a select.
func (h *Handlers) stationOptions(c *gin.Context) ([]option, error) {
	rows, err := models.ListManagedStations(c.Request.Context(), h.DB, manageScope(c), models.ManageStationQuery{})
	out := make([]option, 0, len(rows))
	for _, st := range rows {
		out = append(out, option{strconv.FormatUint(st.ID, 10), st.District + " · " + st.Name})
	}
	return out, err
}

func (h *Handlers) pageManageCommunities(c *gin.Context) {
	ctx, sc := c.Request.Context(), manageScope(c)
	d := manageCommunitiesData{Query: c.Query("q"), Station: c.Query("station_id"), District: c.Query("district"), All: sc.All}
	q := models.ManageCommunityQuery{Query: d.Query, District: d.District}
	if d.Station != "" {
		q.StationID, _ = models.ParseID(d.Station)
	}
	rows, err := models.ListManagedCommunities(ctx, h.DB, sc, q)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Rows = rows
	if d.Stations, err = h.stationOptions(c); err != nil {
		h.renderErr(c, err)
		return
	}
	if d.Districts, err = models.ManagedDistricts(ctx, h.DB, sc); err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplManageComms, page{Title: "村（社区）", Nav: "manage", Notice: noticeOf(c), Data: d})
}

// communityFields are the fields of the community form.
var communityFields = []string{"name", "station_id", "district", "aliases"}

// manageCommunityData is the community form, new or edit.
type manageCommunityData struct {
	ID        uint64
	Form      map[string]string
	Stations  []option
	Districts []string
	All       bool
}

func (h *Handlers) showCommunityForm(c *gin.Context, status int, id uint64, form map[string]string, p page) {
	sc := manageScope(c)
	d := manageCommunityData{ID: id, Form: form, All: sc.All}
	var err error
	if d.Stations, err = h.stationOptions(c); err == nil {
		d.Districts, err = models.ManagedDistricts(c.Request.Context(), h.DB, sc)
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	p.Nav, p.Data = "manage", d
	if p.Title == "" {
		p.Title = "新增村（社区）"
		if id != 0 {
			p.Title = form["name"]
		}
	}
	h.render(c, status, tplManageComm, p)
}

func (h *Handlers) pageManageCommunityNew(c *gin.Context) {
	h.showCommunityForm(c, http.StatusOK, 0, map[string]string{"station_id": c.Query("station_id")}, page{})
}

func communityForm(cm models.Community) map[string]string {
	return map[string]string{"name": cm.Name, "station_id": strconv.FormatUint(cm.StationID, 10), "district": cm.District,
		"aliases": strings.Join(cm.AliasList(), "\n")}
}

func (h *Handlers) pageManageCommunity(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrCommunityNotFound)
	if !ok {
		return
	}
	cm, err := models.GetManagedCommunity(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.showCommunityForm(c, http.StatusOK, id, communityForm(cm), page{Title: cm.Name, Notice: noticeOf(c)})
}

// communityOf reads the community form.
func communityOf(id uint64, form map[string]string) (models.Community, error) {
	cm := models.Community{ID: id, Name: form["name"], District: form["district"]}
	if s := strings.TrimSpace(form["station_id"]); s != "" {
		var ok bool
		if cm.StationID, ok = models.ParseID(s); !ok {
			return cm, models.Invalid("station_id", "请选择有效的联络站")
		}
	}
	return cm, nil
}

func (h *Handlers) pageManageCommunityCreate(c *gin.Context) {
	form := postedForm(c, communityFields...)
	cm, err := communityOf(0, form)
	if err == nil {
		cm, err = models.CreateCommunity(c.Request.Context(), h.DB, manageScope(c), cm, form["aliases"], h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showCommunityForm(c, status, 0, form, page{Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageCommunitiesPath, "已新增"+cm.Name)
}

func (h *Handlers) pageManageCommunityUpdate(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrCommunityNotFound)
	if !ok {
		return
	}
	form := postedForm(c, communityFields...)
	cm, err := communityOf(id, form)
	if err == nil {
		cm, err = models.UpdateCommunity(c.Request.Context(), h.DB, manageScope(c), cm, form["aliases"], h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showCommunityForm(c, status, id, form, page{Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageCommunitiesPath+"/"+strconv.FormatUint(id, 10), "已保存"+cm.Name)
}

func (h *Handlers) pageManageCommunityDelete(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrCommunityNotFound)
	if !ok {
		return
	}
	ctx, sc := c.Request.Context(), manageScope(c)
	cm, err := models.GetManagedCommunity(ctx, h.DB, sc, id)
	if err == nil {
		err = models.DeleteCommunity(ctx, h.DB, sc, id, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showCommunityForm(c, status, id, communityForm(cm), page{Title: cm.Name, Error: msg})
		}
		return
	}
	h.placesChanged()
	seeOther(c, ManageCommunitiesPath, "已删除"+cm.Name)
}

// ---- categories ----

// categoryRow is one category of the list.
type categoryRow struct {
	models.Category
	Fields string
}

func (h *Handlers) pageManageCategories(c *gin.Context) {
	cats, err := models.ListCategories(c.Request.Context(), h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	rows := make([]categoryRow, 0, len(cats))
	for _, cat := range cats {
		var fs []string
		for _, f := range models.CategoryFieldsOf(cat.Code) {
			fs = append(fs, f.Label)
		}
		rows = append(rows, categoryRow{Category: cat, Fields: strings.Join(fs, "、")})
	}
	h.render(c, http.StatusOK, tplManageCategories, page{Title: "意见类别与办理期限", Nav: "manage", Notice: noticeOf(c), Data: rows})
}

// categoryFields are the fields of the category form.
var categoryFields = []string{"code", "name", "hint", "accept_days", "reply_days", "sort_order"}

// manageCategoryData is the category form.
type manageCategoryData struct {
	ID   uint64
	Form map[string]string
	// Fields names the extra fields the category asks for (fixed in the
	// code, e.g. the draft law's name for 立法意见).
	Fields              string
	AcceptMax, ReplyMax int
}

func (h *Handlers) showCategoryForm(c *gin.Context, status int, id uint64, form map[string]string, p page) {
	var fs []string
	for _, f := range models.CategoryFieldsOf(form["code"]) {
		fs = append(fs, f.Label)
	}
	p.Nav, p.Data = "manage", manageCategoryData{ID: id, Form: form, Fields: strings.Join(fs, "、"),
		AcceptMax: models.AcceptDaysMax, ReplyMax: models.ReplyDaysMax}
	if p.Title == "" {
		p.Title = "新增意见类别"
	}
	h.render(c, status, tplManageCategory, p)
}

func (h *Handlers) pageManageCategoryNew(c *gin.Context) {
	h.showCategoryForm(c, http.StatusOK, 0, map[string]string{"accept_days": "2", "reply_days": "15", "sort_order": "100"}, page{})
}

func (h *Handlers) pageManageCategory(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrCategoryNotFound)
	if !ok {
		return
	}
	cat, err := models.GetManagedCategory(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	form := map[string]string{"code": cat.Code, "name": cat.Name, "hint": cat.Hint, "accept_days": strconv.Itoa(cat.AcceptDays),
		"reply_days": strconv.Itoa(cat.ReplyDays), "sort_order": strconv.Itoa(cat.SortOrder)}
	h.showCategoryForm(c, http.StatusOK, id, form, page{Title: cat.Name, Notice: noticeOf(c)})
}

// categoryOf reads the category form.
func categoryOf(id uint64, f map[string]string) (models.Category, error) {
	cat := models.Category{ID: id, Code: f["code"], Name: f["name"], Hint: f["hint"]}
	var err error
	if cat.AcceptDays, err = formInt(f, "accept_days", "受理期限"); err != nil {
		return cat, err
	}
	if cat.ReplyDays, err = formInt(f, "reply_days", "答复期限"); err != nil {
		return cat, err
	}
	if strings.TrimSpace(f["sort_order"]) == "" {
		return cat, nil
	}
	cat.SortOrder, err = formInt(f, "sort_order", "排序")
	return cat, err
}

func (h *Handlers) pageManageCategoryCreate(c *gin.Context) {
	form := postedForm(c, categoryFields...)
	cat, err := categoryOf(0, form)
	if err == nil {
		cat, err = models.CreateCategory(c.Request.Context(), h.DB, manageScope(c), cat, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showCategoryForm(c, status, 0, form, page{Error: msg})
		}
		return
	}
	h.Routes.Invalidate() // filings read categories from the cached world
	seeOther(c, ManageCategoriesPath, "已新增类别“"+cat.Name+"”")
}

func (h *Handlers) pageManageCategoryUpdate(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrCategoryNotFound)
	if !ok {
		return
	}
	form := postedForm(c, categoryFields...)
	cat, err := categoryOf(id, form)
	if err == nil {
		cat, err = models.UpdateCategory(c.Request.Context(), h.DB, manageScope(c), cat, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			if old, err := models.GetManagedCategory(c.Request.Context(), h.DB, manageScope(c), id); err == nil {
				form["code"] = old.Code
			}
			h.showCategoryForm(c, status, id, form, page{Title: "修改意见类别", Error: msg})
		}
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageCategoriesPath, "已保存类别“"+cat.Name+"”，新的期限适用于此后提交的意见")
}

// ---- departments ----

func (h *Handlers) pageManageDepartments(c *gin.Context) {
	rows, err := models.ListDepartments(c.Request.Context(), h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.render(c, http.StatusOK, tplManageDepts, page{Title: "承办部门", Nav: "manage", Notice: noticeOf(c), Data: rows})
}

// departmentFields are the fields of the department form.
var departmentFields = []string{"name", "contact", "phone"}

// manageDepartmentData is the department form.
type manageDepartmentData struct {
	ID   uint64
	Form map[string]string
}

func (h *Handlers) showDepartmentForm(c *gin.Context, status int, id uint64, form map[string]string, p page) {
	p.Nav, p.Data = "manage", manageDepartmentData{ID: id, Form: form}
	if p.Title == "" {
		p.Title = "新增承办部门"
	}
	h.render(c, status, tplManageDept, p)
}

func (h *Handlers) pageManageDepartmentNew(c *gin.Context) {
	h.showDepartmentForm(c, http.StatusOK, 0, map[string]string{}, page{})
}

func departmentForm(d models.Department) map[string]string {
	return map[string]string{"name": d.Name, "contact": d.Contact, "phone": d.Phone}
}

func (h *Handlers) pageManageDepartment(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrNoSuchDepartment)
	if !ok {
		return
	}
	d, err := models.GetManagedDepartment(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	h.showDepartmentForm(c, http.StatusOK, id, departmentForm(d), page{Title: d.Name, Notice: noticeOf(c)})
}

func (h *Handlers) pageManageDepartmentCreate(c *gin.Context) {
	form := postedForm(c, departmentFields...)
	d, err := models.CreateDepartment(c.Request.Context(), h.DB, manageScope(c),
		models.Department{Name: form["name"], Contact: form["contact"], Phone: form["phone"]}, h.Now())
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showDepartmentForm(c, status, 0, form, page{Error: msg})
		}
		return
	}
	seeOther(c, ManageDepartmentsPath, "已新增"+d.Name)
}

func (h *Handlers) pageManageDepartmentUpdate(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrNoSuchDepartment)
	if !ok {
		return
	}
	form := postedForm(c, departmentFields...)
	d, err := models.UpdateDepartment(c.Request.Context(), h.DB, manageScope(c),
		models.Department{ID: id, Name: form["name"], Contact: form["contact"], Phone: form["phone"]}, h.Now())
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showDepartmentForm(c, status, id, form, page{Title: "修改承办部门", Error: msg})
		}
		return
	}
	seeOther(c, ManageDepartmentsPath, "已保存"+d.Name)
}

func (h *Handlers) pageManageDepartmentDelete(c *gin.Context) {
	id, ok := h.pathID(c, models.ErrNoSuchDepartment)
	if !ok {
		return
	}
	ctx, sc := c.Request.Context(), manageScope(c)
	d, err := models.GetManagedDepartment(ctx, h.DB, sc, id)
	if err == nil {
		err = models.DeleteDepartment(ctx, h.DB, sc, id, h.Now())
	}
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showDepartmentForm(c, status, id, departmentForm(d), page{Title: d.Name, Error: msg})
		}
		return
	}
	seeOther(c, ManageDepartmentsPath, "已删除"+d.Name)
}

// ---- the holiday calendar ----

// holidayRow is one date of the calendar.
type holidayRow struct {
	Date, DateText, Name string
	Workday              bool
}

// manageHolidaysData is one year of the calendar.
type manageHolidaysData struct {
	Year, Prev, Next int
	HasPrev, HasNext bool
	Rows             []holidayRow
	Form             map[string]string
	Kinds            []option
}

func (h *Handlers) showHolidays(c *gin.Context, status int, year int, form map[string]string, p page) {
	now := h.Now()
	d := manageHolidaysData{Year: year, Prev: year - 1, Next: year + 1, Form: form,
		Kinds: []option{{string(models.HolidayOff), "放假"}, {string(models.HolidayWorkday), "调休上班"}}}
	d.HasPrev = models.CheckHolidayYear("year", year-1, now, h.Location) == nil
	d.HasNext = models.CheckHolidayYear("year", year+1, now, h.Location) == nil
	y := strconv.Itoa(year)
	rows, err := models.ListHolidays(c.Request.Context(), h.DB, y+"-01-01", y+"-12-31")
	if err != nil {
		h.renderErr(c, err)
		return
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, holidayRow{Date: r.Date, DateText: models.CalendarFullDateText(r.Date), Name: r.Name,
			Workday: r.Kind == models.HolidayWorkday})
	}
	p.Title, p.Nav, p.Data = y+"年节假日与调休", "manage", d
	h.render(c, status, tplManageHolidays, p)
}

func (h *Handlers) pageManageHolidays(c *gin.Context) {
	year := h.Now().In(h.Location).Year()
	if s := c.Query("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || len(s) != 4 {
			y = 0
		}
		if err := models.CheckHolidayYear("year", y, h.Now(), h.Location); err != nil {
			h.showHolidays(c, http.StatusBadRequest, year, map[string]string{"kind": string(models.HolidayOff)},
				page{Error: err.(*models.ValidationError).Msg})
			return
		}
		year = y
	}
	h.showHolidays(c, http.StatusOK, year, map[string]string{"kind": string(models.HolidayOff)}, page{Notice: noticeOf(c)})
}

// yearOf is the year of a "2006-01-02" date, or the current one.
func (h *Handlers) yearOf(date string) int {
	if y, err := strconv.Atoi(strings.TrimSpace(date)[:min(4, len(strings.TrimSpace(date)))]); err == nil &&
		models.CheckHolidayYear("year", y, h.Now(), h.Location) == nil {
		return y
	}
	return h.Now().In(h.Location).Year()
}

func (h *Handlers) pageManageHolidayAdd(c *gin.Context) {
	form := postedForm(c, "date", "kind", "name")
	hd := models.Holiday{Date: form["date"], Kind: models.HolidayKind(form["kind"]), Name: form["name"]}
	err := models.SetManagedHoliday(c.Request.Context(), h.DB, manageScope(c), hd, h.Now())
	year := h.yearOf(form["date"])
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showHolidays(c, status, year, form, page{Error: msg})
		}
		return
	}
	h.Routes.Invalidate() // filings read the calendar from the cached world
	seeOther(c, ManageHolidaysPath+"?year="+strconv.Itoa(year),
		"已保存"+models.CalendarFullDateText(strings.TrimSpace(form["date"]))+"，办理期限将在一小时内、接待日将在下一次生成时按新日历调整")
}

func (h *Handlers) pageManageHolidayDelete(c *gin.Context) {
	date := c.Param("date")
	err := models.DeleteManagedHoliday(c.Request.Context(), h.DB, manageScope(c), date, h.Now())
	year := h.yearOf(date)
	if err != nil {
		if status, msg, ok := h.formRefused(c, err); ok {
			h.showHolidays(c, status, year, map[string]string{"kind": string(models.HolidayOff)}, page{Error: msg})
		}
		return
	}
	h.Routes.Invalidate() // filings read the calendar from the cached world
	seeOther(c, ManageHolidaysPath+"?year="+strconv.Itoa(year), "已删除"+models.CalendarFullDateText(date)+"的记录")
}
