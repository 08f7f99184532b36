package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

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

// A period longer than dashboardCacheDays (a year: a few hundred
// milliseconds of counting for a whole county) is kept in Redis for
// dashboardCacheTTL per scope; a month is counted afresh every time (a few
// milliseconds). The page says when its figures were counted.
const (
	dashboardCacheDays = 62
	dashboardCacheTTL  = 2 * time.Minute
)

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
	f, at, err := h.dashboardFigures(ctx, from, to, ids)
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

// dashboardFigures counts the figures of the period for the stations ids
// (nil: all), or takes them from the cache for a long period, and says
// when they were counted.
func (h *Handlers) dashboardFigures(ctx context.Context, from, to string, ids []uint64) (models.Figures, time.Time, error) {
	now := h.Now()
	var key string
	f, _ := time.Parse(models.DateLayout, from)
	t, _ := time.Parse(models.DateLayout, to)
	if h.Redis != nil && t.Sub(f) > dashboardCacheDays*24*time.Hour {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%v|%v", from, to, ids == nil, ids))
		key = h.RedisPrefix + "dashfig:" + hex.EncodeToString(sum[:16])
		if raw, err := h.Redis.Get(ctx, key).Bytes(); err == nil {
			var c dashboardCached
			if json.Unmarshal(raw, &c) == nil {
				return c.F, c.At, nil
			}
		}
	}
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		return models.Figures{}, now, err
	}
	figs, err := models.ComputeFigures(ctx, h.DB, models.FigureQuery{From: from, To: to, StationIDs: ids,
		Location: h.Location, Calendar: cal, Now: now})
	if err != nil {
		return models.Figures{}, now, err
	}
	if key != "" {
		if raw, err := json.Marshal(dashboardCached{At: now, F: figs}); err == nil {
			// A cache that cannot be written only costs the next viewer the count.
			_ = h.Redis.Set(ctx, key, raw, dashboardCacheTTL).Err()
		}
	}
	return figs, now, nil
}

// dashboardCached is a long period's figures in the cache.
type dashboardCached struct {
	At time.Time      `json:"at"`
	F  models.Figures `json:"f"`
}
