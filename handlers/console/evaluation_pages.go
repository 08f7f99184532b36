package console

import (
	"bytes"
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/records"

	"github.com/gin-gonic/gin"
)

// The yearly evaluation (考评, /console/eval; docs/ARCHITECTURE.md#deputies-records):
// the evaluations the staff member organises (the county office the
// county deputies', a township user its township deputies'), creating one
// for a year, the weights while it is open, every deputy's sheet read by
// bands (normalised to twelve months in office; a rank column only on the
// explicit 显示排名 toggle), closing it, a printable sheet per deputy, the
// self-assessment entered on a deputy's behalf, and Excel ("一人一档" and
// the summary). Behind requireManage: clerks and heads get the 403 page;
// an evaluation of another organiser is the 404 page. Every change is
// audited by models.

// Templates of the evaluation pages.
const (
	tplEvalList  = "eval_list.html"
	tplEval      = "eval.html"
	tplEvalSheet = "eval_sheet.html"
	tplEvalSelf  = "eval_self.html"
)

// EvalPath is the list of evaluations.
const EvalPath = pagesBase + "/eval"

// EvalSheetRoute is one deputy's sheet; EvalSelfRoute the form of their
// self-assessment entered by staff.
const (
	EvalSheetRoute = EvalPath + "/:id/deputies/:deputy"
	EvalSelfRoute  = EvalSheetRoute + "/self"
)

// EvaluationPath is the page of one evaluation.
func EvaluationPath(id uint64) string { return EvalPath + "/" + strconv.FormatUint(id, 10) }

// EvalSheetPath is one deputy's sheet in an evaluation.
func EvalSheetPath(id, deputy uint64) string {
	return EvaluationPath(id) + "/deputies/" + strconv.FormatUint(deputy, 10)
}

// evaluationPages registers the evaluation pages on eval (/console/eval,
// behind requireManage).
func (h *Handlers) evaluationPages(eval *gin.RouterGroup) {
	eval.GET("", h.evalListPage)
	eval.POST("", h.evalCreate)
	eval.GET("/:id", h.evalPage)
	eval.POST("/:id/weights", h.evalWeights)
	eval.POST("/:id/close", h.evalClose)
	eval.POST("/:id/reopen", h.evalReopen)
	eval.GET("/:id/export", h.evalExport)
	eval.GET("/:id/deputies/:deputy", h.evalSheetPage)
	eval.GET("/:id/deputies/:deputy/print", h.evalSheetPrint)
	eval.GET("/:id/deputies/:deputy/self", h.evalSelfPage)
	eval.POST("/:id/deputies/:deputy/self", h.evalSelfSave)
}

// evalRow is one evaluation of the list.
type evalRow struct {
	Href, Title, Organiser, Status string
	Closed                         bool
}

// evalListData is the list page.
type evalListData struct {
	Rows []evalRow
	// Levels the staff member may create; Years offered.
	Levels, Years []option
	Year, Level   string
	Township      string
}

func (h *Handlers) evalListPage(c *gin.Context) {
	h.renderEvalList(c, http.StatusOK, "", c.Query("year"), "")
}

func (h *Handlers) renderEvalList(c *gin.Context, status int, msg, year, level string) {
	sc := manageScope(c)
	list, err := records.ListEvaluations(c.Request.Context(), h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	now := h.Now().In(h.Location)
	d := evalListData{Year: year, Level: level, Township: sc.Township}
	if d.Year == "" {
		d.Year = strconv.Itoa(now.Year())
	}
	for _, ev := range list {
		d.Rows = append(d.Rows, evalRow{Href: EvaluationPath(ev.ID), Title: ev.Title(), Organiser: ev.Organiser(),
			Status: ev.StatusLabel(), Closed: ev.Status == models.EvaluationClosed})
	}
	if sc.All {
		d.Levels = []option{{string(models.LevelCounty), "县人大代表"}}
	} else {
		d.Levels = []option{{string(models.LevelTownship), sc.Township + "人大代表"}}
	}
	for y := now.Year() + 1; y >= now.Year()-2; y-- {
		d.Years = append(d.Years, option{strconv.Itoa(y), strconv.Itoa(y) + "年度"})
	}
	h.render(c, status, tplEvalList, page{Title: "履职考评", Nav: "manage", Notice: noticeOf(c), Error: msg, Data: d})
}

func (h *Handlers) evalCreate(c *gin.Context) {
	year, level := c.PostForm("year"), c.PostForm("level")
	y, err := strconv.Atoi(strings.TrimSpace(year))
	if err != nil {
		h.renderEvalList(c, http.StatusBadRequest, "请选择考评年度", year, level)
		return
	}
	ev, err := records.CreateEvaluation(c.Request.Context(), h.DB, manageScope(c), y, models.Level(level), h.Now())
	if err != nil {
		status, d := shared.ErrorOf(c, err)
		h.renderEvalList(c, status, d.Message, year, level)
		return
	}
	seeOther(c, EvaluationPath(ev.ID), "已建立"+ev.Title())
}

// evalWeightRow is one type of the weights form.
type evalWeightRow struct {
	Type, Label, Points, Max string
	Bad                      bool
}

// evalDeputyRow is one deputy of the bands table.
type evalDeputyRow struct {
	Href, Name, Level, Station, Groups, Role string
	Months, Activities                       int
	Total, Normalised, Band, BandKey         string
	Rank                                     int
	Self                                     string
}

// evalData is the page of one evaluation.
type evalData struct {
	ID                          uint64
	Title, Organiser, Status    string
	Open, CanReopen             bool
	Weights                     []evalWeightRow
	MinMonths, MaxTotal         string
	BadMinMonths                bool
	Rows                        []evalDeputyRow
	Unscored                    []evalDeputyRow
	BandCounts                  []option
	Station, Group, Band        string
	Stations, Groups, BandOpts  []option
	ShowRank                    bool
	RankHref, BandsHref         string
	ExportSheets, ExportSummary string
	Action                      string
	Total                       int
	GoodShare, FairShare        string
}

func (h *Handlers) evalPage(c *gin.Context) {
	h.renderEval(c, http.StatusOK, "", nil)
}

// renderEval writes the page of the evaluation :id; a refused weights form
// comes back with msg and what was typed (form).
func (h *Handlers) renderEval(c *gin.Context, status int, msg string, form url.Values) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	sc := manageScope(c)
	v, err := records.GetEvaluation(ctx, h.DB, sc, id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	sheets, err := records.EvaluationSheets(ctx, h.DB, id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := evalData{ID: id, Title: v.Title(), Organiser: v.Organiser(), Status: v.StatusLabel(),
		Open: v.Status == models.EvaluationOpen, CanReopen: sc.All && v.Status == models.EvaluationClosed,
		MinMonths: strconv.Itoa(v.MinMonths), MaxTotal: records.PointsText(v.MaxTotal()), Action: EvaluationPath(id),
		Station: c.Query("station"), Group: c.Query("group"), Band: c.Query("band"), ShowRank: c.Query("rank") == "1",
		Total:     len(sheets),
		GoodShare: strconv.Itoa(int(records.BandGoodShare * 100)), FairShare: strconv.Itoa(int(records.BandFairShare * 100))}
	bad, _ := c.Get(ctxEvalBad)
	for _, w := range v.Weights {
		row := evalWeightRow{Type: string(w.Type), Label: w.Type.Label(), Points: records.PointsText(w.Points), Max: records.PointsText(w.MaxPoints)}
		if form != nil {
			row.Points, row.Max = form.Get("points_"+row.Type), form.Get("max_"+row.Type)
			row.Bad = bad == "points_"+row.Type || bad == "max_"+row.Type
		}
		d.Weights = append(d.Weights, row)
	}
	if form != nil {
		d.MinMonths, d.BadMinMonths = form.Get("min_months"), bad == "min_months"
	}
	d.ExportSheets = EvaluationPath(id) + "/export?kind=sheets"
	d.ExportSummary = EvaluationPath(id) + "/export?kind=summary"

	// The filters: stations and groups of the evaluation's deputies.
	choices, err := models.DeputyFormChoices(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	stationName := map[uint64]string{}
	for _, s := range choices.Stations {
		stationName[s.ID] = s.Name
	}
	seenStation, groupName := map[uint64]bool{}, map[uint64]string{}
	for _, s := range sheets {
		for _, st := range s.StationIDs {
			seenStation[st] = true
		}
		for i, g := range s.GroupIDs {
			groupName[g] = s.Groups[i]
		}
	}
	d.Stations = []option{{"", "全部联络站"}}
	for _, s := range choices.Stations {
		if seenStation[s.ID] {
			d.Stations = append(d.Stations, option{strconv.FormatUint(s.ID, 10), s.Name})
		}
	}
	d.Groups = []option{{"", "全部代表小组"}}
	gids := make([]uint64, 0, len(groupName))
	for g := range groupName {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	for _, g := range gids {
		d.Groups = append(d.Groups, option{strconv.FormatUint(g, 10), groupName[g]})
	}
	d.BandOpts = []option{{"", "全部评价"}}
	for _, b := range records.Bands {
		d.BandOpts = append(d.BandOpts, option{string(b), b.Label()})
	}
	stationID, _ := models.ParseID(d.Station)
	groupID, _ := models.ParseID(d.Group)
	counts := map[records.Band]int{}
	var shown []records.Sheet
	for _, s := range sheets {
		if stationID != 0 && !slices.Contains(s.StationIDs, stationID) ||
			groupID != 0 && !slices.Contains(s.GroupIDs, groupID) {
			continue
		}
		counts[s.Band]++
		if d.Band != "" && string(s.Band) != d.Band {
			continue
		}
		shown = append(shown, s)
	}
	for _, b := range records.Bands {
		d.BandCounts = append(d.BandCounts, option{string(b), b.Label() + " " + strconv.Itoa(counts[b]) + " 人"})
	}
	if d.ShowRank {
		slices.SortStableFunc(shown, func(a, b records.Sheet) int {
			ra, rb := a.Rank, b.Rank
			if ra == 0 {
				ra = 1 << 30
			}
			if rb == 0 {
				rb = 1 << 30
			}
			return cmp.Compare(ra, rb)
		})
	}
	for _, s := range shown {
		d.Rows = append(d.Rows, evalDeputyRowOf(s, id))
	}
	if v.Level == models.LevelCounty {
		un, err := records.EvaluationUnscored(ctx, h.DB, id)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		for _, s := range un {
			if stationID != 0 && !slices.Contains(s.StationIDs, stationID) {
				continue
			}
			r := evalDeputyRowOf(s, id)
			r.Href = ""
			d.Unscored = append(d.Unscored, r)
		}
	}
	q := url.Values{}
	for k, val := range map[string]string{"station": d.Station, "group": d.Group, "band": d.Band} {
		if val != "" {
			q.Set(k, val)
		}
	}
	d.BandsHref = EvaluationPath(id) + "?" + q.Encode()
	q.Set("rank", "1")
	d.RankHref = EvaluationPath(id) + "?" + q.Encode()
	h.render(c, status, tplEval, page{Title: v.Title(), Nav: "manage", Notice: noticeOf(c), Error: msg, Data: d})
}

func evalDeputyRowOf(s records.Sheet, id uint64) evalDeputyRow {
	r := evalDeputyRow{Href: EvalSheetPath(id, s.Deputy.ID), Name: s.Deputy.Name, Level: s.Deputy.Level.Label(), Station: s.StationName,
		Groups: strings.Join(s.Groups, "、"), Role: s.Role(), Months: s.Months, Activities: s.Activities,
		Total: records.PointsText(s.Total), Normalised: records.PointsText(s.Normalised), Band: s.Band.Label(),
		BandKey: string(s.Band), Rank: s.Rank, Self: "未提交"}
	if s.Self != nil {
		r.Self = s.Self.Grade
	}
	return r
}

// ctxEvalBad names the field a refused weights form got wrong.
const ctxEvalBad = "console_eval_bad"

func (h *Handlers) evalWeights(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		h.renderErr(c, models.Invalid("form", "表单内容有误"))
		return
	}
	form := c.Request.PostForm
	fail := func(err error) {
		status, d := shared.ErrorOf(c, err)
		if status == http.StatusNotFound || status == http.StatusForbidden {
			h.renderErr(c, err)
			return
		}
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			c.Set(ctxEvalBad, ve.Field)
		}
		h.renderEval(c, status, d.Message, form)
	}
	var ws []models.EvaluationWeight
	for _, t := range models.ActivityTypes {
		p, errP := parsePoints(form.Get("points_" + string(t)))
		m, errM := parsePoints(form.Get("max_" + string(t)))
		if errP != nil {
			fail(models.Invalid("points_"+string(t), "“"+t.Label()+"”每次分值请填写数字"))
			return
		}
		if errM != nil {
			fail(models.Invalid("max_"+string(t), "“"+t.Label()+"”最高分请填写数字"))
			return
		}
		ws = append(ws, models.EvaluationWeight{Type: t, Points: p, MaxPoints: m})
	}
	minMonths, err := strconv.Atoi(strings.TrimSpace(form.Get("min_months")))
	if err != nil {
		fail(models.Invalid("min_months", "最少在任月数请填写1到12之间的整数"))
		return
	}
	if err := records.SetWeights(c.Request.Context(), h.DB, manageScope(c), id, ws, minMonths, h.Now()); err != nil {
		fail(err)
		return
	}
	seeOther(c, EvaluationPath(id), "已保存指标分值")
}

// parsePoints reads a number of points ("2", "2.5").
func parsePoints(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 10 {
		return 0, errors.New("no number")
	}
	return strconv.ParseFloat(s, 64)
}

func (h *Handlers) evalClose(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	ev, err := records.CloseEvaluation(c.Request.Context(), h.DB, manageScope(c), id, h.Now())
	if err != nil {
		h.evalActionFail(c, id, err)
		return
	}
	seeOther(c, EvaluationPath(id), ev.Title()+"已结束，本年度已通过的履职记录已锁定")
}

func (h *Handlers) evalReopen(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	sc := manageScope(c)
	if _, err := records.GetEvaluation(c.Request.Context(), h.DB, sc, id); err != nil {
		h.renderErr(c, err)
		return
	}
	ev, err := records.ReopenEvaluation(c.Request.Context(), h.DB, sc, id, c.PostForm("reason"), h.Now())
	if err != nil {
		h.evalActionFail(c, id, err)
		return
	}
	seeOther(c, EvaluationPath(id), ev.Title()+"已重新开启")
}

// evalActionFail shows a refused action on the evaluation's page; a
// missing or foreign evaluation is the 404 page.
func (h *Handlers) evalActionFail(c *gin.Context, id uint64, err error) {
	status, d := shared.ErrorOf(c, err)
	if status == http.StatusNotFound || status == http.StatusForbidden || status >= 500 {
		h.renderErr(c, err)
		return
	}
	h.renderEval(c, status, d.Message, nil)
}

// evalSheetData is one deputy's sheet.
type evalSheetData struct {
	Sheet                                      records.Sheet
	Title, Level, Role, Groups                 string
	Lines                                      []evalLine
	Total, MaxTotal, Normalised, Band, BandKey string
	MinMonths                                  int
	Self, Grade, VoterRating, SelfAt           string
	Open                                       bool
	BackHref, PrintHref, SelfHref, ExportHref  string
	Printed                                    string
}

// evalLine is one type on the sheet.
type evalLine struct {
	Label, Points, Max, Score string
	Count                     int
	Capped                    bool
}

// evalSheet loads the sheet of :deputy in the evaluation :id of the scope.
func (h *Handlers) evalSheet(c *gin.Context) (evalSheetData, bool) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return evalSheetData{}, false
	}
	dep, ok := h.pageID(c, "deputy")
	if !ok {
		return evalSheetData{}, false
	}
	ctx := c.Request.Context()
	v, err := records.GetEvaluation(ctx, h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return evalSheetData{}, false
	}
	s, err := records.EvaluationSheet(ctx, h.DB, id, dep)
	if err != nil {
		h.renderErr(c, err)
		return evalSheetData{}, false
	}
	d := evalSheetData{Sheet: s, Title: s.Deputy.Name + " · " + v.Title(), Level: s.Deputy.Level.Label(), Role: s.Role(),
		Groups: strings.Join(s.Groups, "、"), Total: records.PointsText(s.Total), MaxTotal: records.PointsText(s.MaxTotal),
		Normalised: records.PointsText(s.Normalised), Band: s.Band.Label(), BandKey: string(s.Band), MinMonths: v.MinMonths,
		VoterRating: s.VoterRating(), Open: v.Status == models.EvaluationOpen,
		BackHref: EvaluationPath(id), PrintHref: EvalSheetPath(id, dep) + "/print", SelfHref: EvalSheetPath(id, dep) + "/self",
		ExportHref: EvaluationPath(id) + "/export?kind=sheets&deputy=" + strconv.FormatUint(dep, 10),
		Printed:    models.DateTimeText(h.Now(), h.Location)}
	for _, l := range s.Lines {
		d.Lines = append(d.Lines, evalLine{Label: l.Label, Count: l.Count, Points: records.PointsText(l.Points),
			Max: records.PointsText(l.MaxPoints), Score: records.PointsText(l.Score), Capped: l.Capped})
	}
	if s.Self != nil {
		d.Self, d.Grade = s.Self.Text, s.Self.Grade
		d.SelfAt = models.DateTimeText(s.Self.UpdatedAt, h.Location)
	}
	return d, true
}

func (h *Handlers) evalSheetPage(c *gin.Context) {
	d, ok := h.evalSheet(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, tplEvalSheet, page{Title: d.Title, Nav: "manage", Notice: noticeOf(c), Data: d})
}

// evalSheetPrint is the sheet on A4, without navigation.
func (h *Handlers) evalSheetPrint(c *gin.Context) {
	d, ok := h.evalSheet(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := pageTemplates[tplEvalSheet].ExecuteTemplate(&buf, "print", page{Title: d.Title, Data: d}); err != nil {
		h.renderErr(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// evalSelfData is the self-assessment form.
type evalSelfData struct {
	Name, EvalTitle, Intro, Text, Grade, Action string
	BackHref, BackLabel                         string
	Grades                                      []string
	Bad                                         string
	Max                                         int
}

func (h *Handlers) evalSelfPage(c *gin.Context) {
	d, ok := h.evalSheet(c)
	if !ok {
		return
	}
	h.renderEvalSelf(c, http.StatusOK, "", d, d.Self, d.Grade, "")
}

func (h *Handlers) renderEvalSelf(c *gin.Context, status int, msg string, d evalSheetData, text, grade, bad string) {
	f := evalSelfData{Name: d.Sheet.Deputy.Name, EvalTitle: d.Sheet.Evaluation.Title(), Text: text, Grade: grade,
		Intro:  "代表本人可以在微信中的“我的履职”页面填写自评；代表交来书面自评的，由工作人员在这里代为录入。",
		Action: d.SelfHref, BackHref: EvalSheetPath(d.Sheet.Evaluation.ID, d.Sheet.Deputy.ID), BackLabel: "返回考评表", Grades: records.SelfGrades,
		Bad: bad, Max: records.MaxSelfAssessment}
	if !d.Open && msg == "" {
		msg = "这次考评已经结束，自评不能再修改。"
	}
	h.render(c, status, tplEvalSelf, page{Title: "代表自评：" + f.Name, Nav: "manage", Error: msg, Data: f})
}

func (h *Handlers) evalSelfSave(c *gin.Context) {
	d, ok := h.evalSheet(c)
	if !ok {
		return
	}
	text, grade := c.PostForm("text"), c.PostForm("grade")
	_, err := records.EnterSelfAssessment(c.Request.Context(), h.DB, manageScope(c), d.Sheet.Evaluation.ID, d.Sheet.Deputy.ID,
		text, grade, h.Now())
	if err != nil {
		status, e := shared.ErrorOf(c, err)
		if status == http.StatusNotFound || status == http.StatusForbidden || status >= 500 {
			h.renderErr(c, err)
			return
		}
		var ve *models.ValidationError
		bad := ""
		if errors.As(err, &ve) {
			bad = ve.Field
		}
		h.renderEvalSelf(c, status, e.Message, d, text, grade, bad)
		return
	}
	seeOther(c, EvalSheetPath(d.Sheet.Evaluation.ID, d.Sheet.Deputy.ID), "已保存"+d.Sheet.Deputy.Name+"的自评")
}

// evalExport downloads the evaluation in Excel: kind=sheets is "一人一档"
// (one worksheet per deputy; deputy=ID for one deputy), kind=summary one
// row per deputy.
func (h *Handlers) evalExport(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	v, err := records.GetEvaluation(ctx, h.DB, manageScope(c), id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	kind := c.Query("kind")
	if kind != "sheets" && kind != "summary" {
		h.renderErr(c, models.Invalid("kind", "请选择导出“一人一档”或“考评汇总”"))
		return
	}
	var sheets []records.Sheet
	part := "考评汇总"
	if dep := c.Query("deputy"); dep != "" && kind == "sheets" {
		did, ok := models.ParseID(dep)
		if !ok {
			h.renderErr(c, models.Invalid("deputy", "编号格式不正确"))
			return
		}
		s, err := records.EvaluationSheet(ctx, h.DB, id, did)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		sheets, part = []records.Sheet{s}, s.Deputy.Name+"-一人一档"
	} else if sheets, err = records.EvaluationSheets(ctx, h.DB, id); err != nil {
		h.renderErr(c, err)
		return
	} else if kind == "sheets" {
		part = "一人一档"
	}
	var buf bytes.Buffer
	if kind == "sheets" {
		err = records.WriteEvaluationSheets(&buf, v.Evaluation, sheets)
	} else {
		err = records.WriteEvaluationSummary(&buf, v.Evaluation, sheets)
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	c.Header("Content-Disposition", contentDisposition(records.EvaluationFileName(v.Evaluation, part),
		"evaluation-"+strconv.Itoa(v.Year)+"-"+kind+".xlsx"))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}
