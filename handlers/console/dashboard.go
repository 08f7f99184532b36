package console

import (
	"net/http"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The dashboard (统计): the figures of models.ComputeFigures for a period
// the viewer picks, scoped like every other page (a clerk or head their
// stations, a township its township, the county office everything). The
// page carries the figures twice: as tables, which are the whole page
// without JavaScript, and as JSON in a <script type="application/json">
// block, from which static/dashboard.js draws the charts with the vendored
// Apache ECharts (static/echarts.min.js).

// tplDashboard is the dashboard's template.
const tplDashboard = "dashboard.html"

// DashboardPath is the dashboard page.
const DashboardPath = pagesBase + "/dashboard"

// dashboardListMax is the most rows of a board list the page shows.
const dashboardListMax = 50

// dashboardPages registers the dashboard.
func (h *Handlers) dashboardPages(signedIn *gin.RouterGroup) {
	signedIn.GET("/dashboard", h.pageDashboard)
}

// dashboardBoard is one row of a board list.
type dashboardBoard struct {
	models.BoardFigure
	LastScan, Manage string
}

// dashboardData is the dashboard page.
type dashboardData struct {
	F                                  models.Figures
	Period, From, To, PeriodText, Area string
	Periods                            []option
	CountedAt                          string
	Rates                              []dashboardRate
	Silent, Retired                    []dashboardBoard
	SilentMore, RetiredMore            int
	CanManage                          bool
	Charts                             dashboardCharts
}

// dashboardRate is one row of the satisfaction table.
type dashboardRate struct {
	Label string
	models.FigureRate
}

// dashboardCharts is what dashboard.js draws, as the page's JSON block.
type dashboardCharts struct {
	Months     []models.FigureCount `json:"months"`
	Categories []models.FigureCount `json:"categories"`
	Channels   []models.FigureCount `json:"channels"`
	Statuses   []models.FigureCount `json:"statuses"`
	Stations   []models.FigureCount `json:"stations"`
}

func (h *Handlers) pageDashboard(c *gin.Context) {
	ctx := c.Request.Context()
	staff := consoleStaff(c)
	d := dashboardData{Period: c.DefaultQuery("period", models.PeriodThisMonth), From: c.Query("from"), To: c.Query("to"),
		CanManage: staff.Role == models.RoleAdmin || staff.Role == models.RoleTownship}
	for _, p := range []string{models.PeriodThisMonth, models.PeriodLastMonth, models.PeriodThisYear, models.PeriodCustom} {
		d.Periods = append(d.Periods, option{p, models.PeriodLabel(p)})
	}
	p := page{Title: "统计", Nav: "dashboard", Notice: noticeOf(c)}
	status := http.StatusOK
	from, to, err := models.FigurePeriod(d.Period, d.From, d.To, h.Now(), h.Location)
	if err != nil {
		st, det := shared.ErrorOf(c, err)
		if st != http.StatusBadRequest {
			h.renderErr(c, err)
			return
		}
		// What was typed stays in the form; the figures are this month's.
		status, p.Error = st, det.Message+"，下面是本月的统计"
		from, to, _ = models.FigurePeriod(models.PeriodThisMonth, "", "", h.Now(), h.Location)
	} else if d.Period != models.PeriodCustom {
		d.From, d.To = from, to
	}
	scope := models.ScopeOf(staff)
	var ids []uint64
	d.Area = "全部联络站和" + models.OfficeName
	if !scope.All {
		ids = append([]uint64{}, scope.StationIDs...)
		d.Area = dashboardArea(staff)
	}
	// A long period's figures may come from the cache (shared.Figures);
	// the page says when they were counted.
	f, at, err := h.Figures(ctx, from, to, ids)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.F, d.CountedAt = f, models.DateTimeText(at, h.Location)
	d.PeriodText = models.CalendarFullDateText(from) + "至" + models.CalendarFullDateText(to)
	d.Rates = []dashboardRate{
		{"群众评价答复", d.F.ReplyOnline}, {"群众评价办理结果", d.F.ResultOnline},
		{"电话回访：答复", d.F.ReplyPhone}, {"电话回访：办理结果", d.F.ResultPhone},
	}
	d.Silent, d.SilentMore = h.dashboardBoards(d.F.SilentBoards, d.CanManage, false)
	d.Retired, d.RetiredMore = h.dashboardBoards(d.F.RetiredBoards, d.CanManage, true)
	d.Charts = dashboardCharts{Months: d.F.ByMonth, Categories: d.F.ByCategory, Channels: d.F.ByChannel,
		Statuses: d.F.ByStatus, Stations: d.F.ByStation}
	p.Data = d
	h.render(c, status, tplDashboard, p)
}

// dashboardArea names what a scoped viewer's figures cover.
func dashboardArea(s models.Staff) string {
	if s.Role == models.RoleTownship && s.Township != "" {
		return s.Township + "的联络站"
	}
	switch len(s.Stations) {
	case 0:
		return "（未分配联络站）"
	case 1:
		return s.Stations[0].Name
	}
	return s.Stations[0].Name + "等" + strconv.Itoa(len(s.Stations)) + "个联络站"
}

// dashboardBoards shapes a board list for the page, at most
// dashboardListMax rows, and says how many more there are; a manager's
// rows link to the code (silent) or the deputy (retired).
func (h *Handlers) dashboardBoards(list []models.BoardFigure, manage, deputy bool) ([]dashboardBoard, int) {
	more := max(0, len(list)-dashboardListMax)
	list = list[:len(list)-more]
	out := make([]dashboardBoard, 0, len(list))
	for _, b := range list {
		row := dashboardBoard{BoardFigure: b, LastScan: "从未扫码"}
		if b.LastScanAt != nil {
			row.LastScan = models.FullDateText(*b.LastScanAt, h.Location)
		}
		if manage {
			row.Manage = manageCodesPath + "?q=" + b.Code
			if deputy && b.DeputyID != 0 {
				row.Manage = ManageDeputyPath(b.DeputyID)
			}
		}
		out = append(out, row)
	}
	return out, more
}
