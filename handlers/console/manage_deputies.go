package console

import (
	"net/http"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The management of deputies (/console/manage/deputies): the list with a
// search by name and filters, the form to add a deputy or edit one, and the
// actions retire (离任), reinstate and move (换站). The county office
// manages every deputy, a township user its township's township-level
// deputies only (models.ManageScope); any other id is the 404 page. Every
// change is audited by models and drops the cached routing world, so the
// deputy's code routes by the new data at once.

// Templates of the deputy management pages.
const (
	tplManageDeputies = "manage_deputies.html"
	tplManageDeputy   = "manage_deputy.html"
)

// ManageDeputiesPath is the list; a deputy is ManageDeputyPath(id).
const ManageDeputiesPath = pagesBase + "/manage/deputies"

// ManageDeputyPath is the management page of one deputy.
func ManageDeputyPath(id uint64) string { return ManageDeputiesPath + "/" + strconv.FormatUint(id, 10) }

// deputyPageSize is how many deputies one page of the list shows.
const deputyPageSize = 50

// manageDeputyPages registers the management of deputies.
func (h *Handlers) manageDeputyPages(manage *gin.RouterGroup) {
	manage.GET("/deputies", h.pageDeputies)
	manage.GET("/deputies/new", h.pageDeputyNew)
	manage.POST("/deputies", h.pageDeputyCreate)
	manage.GET("/deputies/:id", h.pageDeputy)
	manage.POST("/deputies/:id", h.pageDeputyUpdate)
	manage.POST("/deputies/:id/retire", h.pageDeputyRetire)
	manage.POST("/deputies/:id/reinstate", h.pageDeputyReinstate)
	manage.POST("/deputies/:id/move", h.pageDeputyMove)
	manage.POST(strings.TrimPrefix(DeputyPhotoRoute, "/manage"), h.pageDeputyPhoto)
	// Binding the deputy's WeChat (deputy_bind_pages.go).
	manage.POST("/deputies/:id/wechat-invite", h.pageDeputyWeChatInvite)
	manage.POST("/deputies/:id/wechat-unbind", h.pageDeputyWeChatUnbind)
	h.manageGroupPages(manage)
}

// levelOptions are the levels a scope may choose: a township user only
// township deputies.
func levelOptions(sc models.ManageScope) []option {
	if !sc.All {
		return []option{{string(models.LevelTownship), "镇人大代表"}}
	}
	var out []option
	for _, l := range []models.Level{models.LevelNational, models.LevelProvincial, models.LevelCity, models.LevelCounty, models.LevelTownship} {
		out = append(out, option{string(l), l.Label()})
	}
	return out
}

// deputyRow is one deputy of the list.
type deputyRow struct {
	ID                                       uint64
	Href, Name, Level, Station, Township     string
	Duties, Term, StatusLabel, Photo, Others string
	// Groups are the deputy's groups' names (Deputy.Group).
	Groups  string
	Retired bool
}

// deputyListData is the list page.
type deputyListData struct {
	Rows                                    []deputyRow
	Counts                                  models.DeputyCounts
	Query, Level, Station, Township, Status string
	Group                                   string
	Levels, Stations, Townships, Statuses   []option
	Groups                                  []option
	All                                     bool
	Prev, Next                              string
	From, To                                int
}

func (h *Handlers) pageDeputies(c *gin.Context) {
	ctx := c.Request.Context()
	sc := manageScope(c)
	d := deputyListData{Query: models.CleanLine(c.Query("q")), Level: c.Query("level"), Station: c.Query("station_id"),
		Township: c.Query("township"), Status: c.Query("status"), Group: c.Query("group_id"), All: sc.All}
	q := models.DeputyQuery{Query: d.Query, Limit: deputyPageSize}
	p := page{Title: "代表管理", Nav: "manage", Notice: noticeOf(c)}
	status := http.StatusOK
	if d.Level != "" {
		if models.Level(d.Level).Valid() {
			q.Level = models.Level(d.Level)
		} else {
			d.Level, p.Error, status = "", "请选择有效的代表层级", http.StatusBadRequest
		}
	}
	if d.Status == string(models.DeputyActive) || d.Status == string(models.DeputyRetired) {
		q.Status = models.DeputyStatus(d.Status)
	} else {
		d.Status = ""
	}
	if d.Station != "" {
		if id, ok := models.ParseID(d.Station); ok {
			q.StationID = id
		} else {
			d.Station, p.Error, status = "", "请选择有效的联络站", http.StatusBadRequest
		}
	}
	if d.Group != "" {
		if id, ok := models.ParseID(d.Group); ok {
			q.GroupID = id
		} else {
			d.Group, p.Error, status = "", "请选择有效的代表小组", http.StatusBadRequest
		}
	}
	q.Township = d.Township
	if n, err := strconv.Atoi(c.Query("page")); err == nil && n > 1 && n < 10000 {
		q.Offset = (n - 1) * deputyPageSize
	}
	rows, counts, err := models.ListManagedDeputies(ctx, h.DB, sc, q)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	choices, err := models.DeputyFormChoices(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if d.Groups, err = h.groupOptions(c); err != nil {
		h.renderErr(c, err)
		return
	}
	d.Counts = counts
	for _, r := range rows {
		row := deputyRow{ID: r.ID, Href: ManageDeputyPath(r.ID), Name: r.Name, Level: r.Level.Label(),
			Station: r.StationName, Township: r.Township, Duties: r.Duties, Term: r.Term, Groups: r.Group,
			Retired: r.Status == models.DeputyRetired, StatusLabel: "在任"}
		if row.Retired {
			row.StatusLabel = "已离任"
		}
		d.Rows = append(d.Rows, row)
	}
	d.Levels = append([]option{{"", "全部层级"}}, levelOptions(sc)...)
	d.Statuses = []option{{"", "全部状态"}, {string(models.DeputyActive), "在任"}, {string(models.DeputyRetired), "已离任"}}
	d.Stations = []option{{"", "全部联络站"}}
	for _, s := range choices.Stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
	}
	d.Townships = []option{{"", "全部乡镇（街道）"}}
	for _, t := range choices.Townships {
		d.Townships = append(d.Townships, option{t, t})
	}
	d.From, d.To = q.Offset+1, q.Offset+len(rows)
	pageNo := q.Offset/deputyPageSize + 1
	link := func(n int) string {
		v := c.Request.URL.Query()
		v.Del("ok")
		v.Set("page", strconv.Itoa(n))
		return ManageDeputiesPath + "?" + v.Encode()
	}
	if pageNo > 1 {
		d.Prev = link(pageNo - 1)
	}
	if int64(q.Offset+len(rows)) < counts.Total {
		d.Next = link(pageNo + 1)
	}
	p.Data = d
	h.render(c, status, tplManageDeputies, p)
}

// checkItem is one checkbox of a group.
type checkItem struct {
	Value, Label string
	Checked      bool
}

// checkGroup is the checkboxes of one township.
type checkGroup struct {
	Township string
	Items    []checkItem
	// Checked counts the checked items, shown on the closed group.
	Checked int
}

// deputyFormData is the page of one deputy: the form, and for an existing
// deputy the retire, reinstate and move forms and the history.
type deputyFormData struct {
	ID     uint64
	Action string
	// Form keeps what was typed (or the stored values).
	Form map[string]string
	// Bad names the field that was refused.
	Bad                  string
	Levels, Stations     []option
	OtherStations, Comms []checkGroup
	// Groups are the deputy groups the scope manages, by township (county
	// groups first); GroupSet the checked ones.
	Groups                   []checkGroup
	GroupSet                 map[uint64]bool
	Retired                  bool
	StatusLabel, StationName string
	MoveStations             []option
	Today                    string
	Code, PhotoURL           string
	Trail                    []timeRow
	CanUpload                bool
	// OpenMove and OpenRetire open the action whose form was refused.
	OpenMove, OpenRetire bool
	MaxPhotoMB           int
	// WeChat is the deputy's WeChat binding (deputy_bind_pages.go).
	WeChat deputyWeChat
}

// deputyAuditLabels name the audit actions in a deputy's history.
var deputyAuditLabels = map[string]string{
	models.AuditDeputyCreate: "添加", models.AuditDeputyUpdate: "修改资料", models.AuditDeputyRetire: "离任",
	models.AuditDeputyReinstate: "恢复在任", models.AuditDeputyMove: "更换主要联络站", "code.board": "新建公示牌",
	auditDeputyPhoto: "上传照片", models.AuditDeputyInvite: "生成微信绑定二维码", models.AuditDeputyBind: "绑定微信",
	models.AuditDeputyUnbind: "解除微信绑定",
}

// deputyForm is the form of d (the stored values).
func deputyForm(d models.Deputy) (map[string]string, map[uint64]bool, map[uint64]bool) {
	f := map[string]string{"name": d.Name, "level": string(d.Level),
		"station_id": strconv.FormatUint(d.StationID, 10), "duties": d.Duties, "pledge": d.Pledge, "term": d.Term,
		"term_start": d.TermStart, "term_end": d.TermEnd, "bio": d.Bio, "photo_url": d.PhotoURL}
	others, comms := map[uint64]bool{}, map[uint64]bool{}
	for _, s := range d.Stations {
		others[s.ID] = true
	}
	for _, c := range d.Constituency {
		comms[c.ID] = true
	}
	return f, others, comms
}

// deputyInputOf reads the posted form: the input, the typed values to
// show again, and the checked stations and communities.
func deputyInputOf(c *gin.Context) (models.DeputyInput, map[string]string, map[uint64]bool, map[uint64]bool) {
	f := map[string]string{}
	for _, k := range []string{"name", "level", "station_id", "duties", "pledge", "term", "term_start", "term_end", "bio", "photo_url"} {
		f[k] = c.PostForm(k)
	}
	ids := func(name string) ([]uint64, map[uint64]bool) {
		var out []uint64
		set := map[uint64]bool{}
		vals := c.PostFormArray(name)
		if len(vals) > 500 {
			vals = vals[:500]
		}
		for _, s := range vals {
			if id, ok := models.ParseID(s); ok {
				out = append(out, id)
				set[id] = true
			}
		}
		return out, set
	}
	others, otherSet := ids("station_ids")
	comms, commSet := ids("community_ids")
	groups, _ := ids("group_ids")
	station, _ := models.ParseID(f["station_id"])
	in := models.DeputyInput{Name: f["name"], Level: models.Level(f["level"]), GroupIDs: groups, SetGroups: true, StationID: station,
		OtherStationIDs: others, CommunityIDs: comms, Duties: f["duties"], Pledge: f["pledge"], Term: f["term"],
		TermStart: f["term_start"], TermEnd: f["term_end"], Bio: f["bio"], PhotoURL: f["photo_url"]}
	return in, f, otherSet, commSet
}

// fillChoices fills the form's select and checkbox choices.
func (h *Handlers) fillChoices(c *gin.Context, d *deputyFormData, others, comms map[uint64]bool) error {
	sc := manageScope(c)
	ch, err := models.DeputyFormChoices(c.Request.Context(), h.DB, sc)
	if err != nil {
		return err
	}
	d.Levels = levelOptions(sc)
	if err := h.fillGroupChoices(c, d); err != nil {
		return err
	}
	groups := map[string]int{}
	for _, t := range ch.Townships {
		groups[t] = len(d.OtherStations)
		d.OtherStations = append(d.OtherStations, checkGroup{Township: t})
		d.Comms = append(d.Comms, checkGroup{Township: t})
	}
	primary := d.Form["station_id"]
	for _, s := range ch.Stations {
		id := strconv.FormatUint(s.ID, 10)
		d.Stations = append(d.Stations, option{id, s.District + " · " + s.Name})
		if id != primary {
			d.MoveStations = append(d.MoveStations, option{id, s.District + " · " + s.Name})
		} else {
			d.StationName = s.Name
		}
		g := &d.OtherStations[groups[s.District]]
		g.Items = append(g.Items, checkItem{Value: id, Label: s.Name, Checked: others[s.ID]})
		if others[s.ID] {
			g.Checked++
		}
	}
	for _, cm := range ch.Communities {
		i, ok := groups[cm.District]
		if !ok {
			continue
		}
		g := &d.Comms[i]
		g.Items = append(g.Items, checkItem{Value: strconv.FormatUint(cm.ID, 10), Label: cm.Name, Checked: comms[cm.ID]})
		if comms[cm.ID] {
			g.Checked++
		}
	}
	return nil
}

func (h *Handlers) pageDeputyNew(c *gin.Context) {
	sc := manageScope(c)
	f := map[string]string{}
	if !sc.All {
		f["level"] = string(models.LevelTownship)
	}
	h.showDeputyForm(c, http.StatusOK, page{}, deputyFormData{Form: f}, nil, nil)
}

// showDeputyForm renders the form of a new deputy (d.ID 0) or of an
// existing one with its actions.
func (h *Handlers) showDeputyForm(c *gin.Context, status int, p page, d deputyFormData, others, comms map[uint64]bool) {
	if err := h.fillChoices(c, &d, others, comms); err != nil {
		h.renderErr(c, err)
		return
	}
	d.Action, p.Title = ManageDeputiesPath, "添加代表"
	d.MaxPhotoMB = MaxDeputyPhotoBytes >> 20
	if d.ID != 0 {
		d.Action, p.Title = ManageDeputyPath(d.ID), "代表："+d.Form["name"]
		d.CanUpload = h.DataDir != ""
	}
	p.Nav, p.Data = "manage", d
	h.render(c, status, tplManageDeputy, p)
}

// deputyRefused shows the form again with the message of a refused change and
// what was typed; an error that is not the user's is the error page.
func (h *Handlers) deputyRefused(c *gin.Context, err error, show func(status int, p page, bad string)) {
	status, det := shared.ErrorOf(c, err)
	if status != http.StatusBadRequest && status != http.StatusConflict {
		h.renderErr(c, err)
		return
	}
	show(status, page{Error: det.Message}, det.Field)
}

func (h *Handlers) pageDeputyCreate(c *gin.Context) {
	in, f, others, comms := deputyInputOf(c)
	d, err := models.CreateDeputy(c.Request.Context(), h.DB, manageScope(c), in, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showDeputyForm(c, status, p, deputyFormData{Form: f, Bad: bad, GroupSet: idSet(in.GroupIDs)}, others, comms)
		})
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageDeputyPath(d.ID), "已添加"+d.Name+"代表")
}

// loadDeputyPage loads the deputy of the page in the scope; a missing or
// out-of-scope one is the 404 page.
func (h *Handlers) loadDeputyPage(c *gin.Context) (models.Deputy, bool) {
	id, ok := models.ParseID(c.Param("id"))
	if !ok {
		h.renderErr(c, models.ErrDeputyNotFound)
		return models.Deputy{}, false
	}
	d, err := models.GetManagedDeputy(c.Request.Context(), h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return models.Deputy{}, false
	}
	return d, true
}

func (h *Handlers) pageDeputy(c *gin.Context) {
	d, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	h.showDeputy(c, d, http.StatusOK, page{Notice: noticeOf(c)}, nil)
}

// showDeputy renders an existing deputy's page; keep, when set, replaces
// the stored values with what was typed into a refused form.
func (h *Handlers) showDeputy(c *gin.Context, dep models.Deputy, status int, p page, keep func(*deputyFormData, *map[uint64]bool, *map[uint64]bool)) {
	ctx := c.Request.Context()
	f, others, comms := deputyForm(dep)
	d := deputyFormData{ID: dep.ID, Form: f, Retired: dep.Status == models.DeputyRetired, StatusLabel: "在任",
		PhotoURL: dep.PhotoURL, Today: h.Now().In(h.Location).Format("2006-01-02")}
	if d.Retired {
		d.StatusLabel = "已离任"
		if dep.TermEnd != "" {
			d.StatusLabel += "（" + dep.TermEnd + "）"
		}
	}
	codes, err := models.PrimaryCodes(ctx, h.DB, models.CodeDeputy, []uint64{dep.ID})
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Code = codes[dep.ID]
	gs, err := models.GroupsOf(ctx, h.DB, dep.ID)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.GroupSet = map[uint64]bool{}
	for _, g := range gs {
		d.GroupSet[g.ID] = true
	}
	trail, err := models.AuditTrail(ctx, h.DB, "deputy", dep.ID)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	for i := len(trail) - 1; i >= 0; i-- {
		a := trail[i]
		label, ok := deputyAuditLabels[a.Action]
		if !ok {
			label = a.Action
		}
		d.Trail = append(d.Trail, timeRow{At: h.localTime(a.At), Text: label, Detail: a.Note})
	}
	d.WeChat = h.deputyWeChatView(c, dep)
	if keep != nil {
		keep(&d, &others, &comms)
	}
	d.OpenMove, d.OpenRetire = strings.HasPrefix(d.Bad, "move."), strings.HasPrefix(d.Bad, "retire.")
	h.showDeputyForm(c, status, p, d, others, comms)
}

func (h *Handlers) pageDeputyUpdate(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	in, f, others, comms := deputyInputOf(c)
	in.StationID = dep.StationID
	f["station_id"] = strconv.FormatUint(dep.StationID, 10)
	d, err := models.UpdateDeputy(c.Request.Context(), h.DB, manageScope(c), dep.ID, in, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showDeputy(c, dep, status, p, func(d *deputyFormData, o, cm *map[uint64]bool) {
				d.Form, d.Bad, *o, *cm = f, bad, others, comms
				d.GroupSet = idSet(in.GroupIDs)
			})
		})
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageDeputyPath(d.ID), "已保存"+d.Name+"代表的资料")
}

func (h *Handlers) pageDeputyRetire(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	d, err := models.RetireDeputy(c.Request.Context(), h.DB, manageScope(c), dep.ID, c.PostForm("date"), c.PostForm("reason"), h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showDeputy(c, dep, status, p, func(d *deputyFormData, _, _ *map[uint64]bool) { d.Bad = "retire." + bad })
		})
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageDeputyPath(d.ID), d.Name+"代表已离任，其二维码今后由"+h.stationName(c, d.StationID)+"接收意见")
}

func (h *Handlers) pageDeputyReinstate(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	d, err := models.ReinstateDeputy(c.Request.Context(), h.DB, manageScope(c), dep.ID, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, _ string) { h.showDeputy(c, dep, status, p, nil) })
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageDeputyPath(d.ID), d.Name+"代表已恢复在任")
}

func (h *Handlers) pageDeputyMove(c *gin.Context) {
	dep, ok := h.loadDeputyPage(c)
	if !ok {
		return
	}
	to, _ := models.ParseID(c.PostForm("station_id"))
	d, err := models.MoveDeputy(c.Request.Context(), h.DB, manageScope(c), dep.ID, to, h.Now())
	if err != nil {
		h.deputyRefused(c, err, func(status int, p page, bad string) {
			h.showDeputy(c, dep, status, p, func(d *deputyFormData, _, _ *map[uint64]bool) { d.Bad = "move." + bad })
		})
		return
	}
	h.Routes.Invalidate()
	seeOther(c, ManageDeputyPath(d.ID), d.Name+"代表已换到"+h.stationName(c, d.StationID))
}

// stationName is a station's name for a notice, from the routing world.
func (h *Handlers) stationName(c *gin.Context, id uint64) string {
	if w, err := h.routeWorld(c.Request.Context()); err == nil {
		if st, ok := w.Stations[id]; ok {
			return st.Name
		}
	}
	return "其主要联络站"
}
