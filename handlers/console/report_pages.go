package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/records"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// The monthly 履职通报 (records.MonthlyReport): the deputy reads theirs at
// /console/me/report/<yyyy-mm>, the link of the notice the monthly-report
// job sends, and finds past months on 我的履职; staff read a deputy's of
// their stations from the deputy's record (/console/records/deputy/<id>).
// Each figure stands beside the median of the deputy's group(s) and of the
// county's deputies of the level, and the page says why: medians, never a
// rank.

const tplMeReport = "me_report.html"

// MeReportPath is the deputy's 通报 of month ("2026-11").
func MeReportPath(month string) string { return MePath + "/report/" + month }

// RecordsReportPath is a deputy's 通报 of month as staff open it.
func RecordsReportPath(id uint64, month string) string {
	return RecordsDeputyPath(id) + "/report/" + month
}

// How many past months the lists offer: the 通报's page, and 我的履职 and
// the record (the latest few; the 通报's page links the rest).
const (
	reportMonthsShown = 12
	reportMonthsHome  = 6
)

// reportMedianNote explains the comparison on every 通报.
const reportMedianNote = "每项数字旁是本组和全县同级代表的中位数，供对照；通报只列中位数，不排名次。"

// reportData is one 通报 as the page shows it.
type reportData struct {
	Title, Name, Level, Station string
	// Peers says whom the medians count; AsOf when the figures were read.
	Peers []string
	AsOf  string
	Note  string
	// Periods are the month and, after January, the year to date.
	Periods []reportPeriodView
	// Reviews are the deputy's published 述职评议 of the year up to the
	// month's end: their own counts (a rating of one deputy by their
	// voters has no median to stand beside).
	Reviews []reportReviewView
	// Months link the other months' 通报.
	Months              []reportMonthLink
	BackHref, BackLabel string
}

type reportPeriodView struct {
	Title    string
	Sections []reportSectionView
}

type reportSectionView struct {
	Title string
	Lines []reportLineView
	// Quiet names the activity types at zero for the deputy and both
	// medians, folded into one sentence.
	Quiet string
}

type reportLineView struct {
	Key, Label, Own, Unit string
	Medians               []reportMedianView
}

type reportMedianView struct{ Label, Value string }

type reportReviewView struct {
	Title, Date string
	Ballots     int
	Counts      []reviews.Count
}

// reportReviews are the deputy's published reviews held from the year's
// first day to the month's last (reviews.DeputyResults).
func (h *Handlers) reportReviews(c *gin.Context, r records.MonthReport) ([]reportReviewView, error) {
	ts, err := reviews.DeputyResults(c.Request.Context(), h.DB, r.Deputy.ID)
	if err != nil {
		return nil, err
	}
	var out []reportReviewView
	for _, t := range ts {
		rv := t.View.Review
		if rv.Date < r.YearToDate.From || rv.Date > r.YearToDate.To || len(t.Subjects) != 1 || t.Subjects[0].Subject.ID != r.Deputy.ID {
			continue
		}
		out = append(out, reportReviewView{Title: rv.Title, Date: models.CalendarDateText(rv.Date), Ballots: t.Ballots,
			Counts: t.Subjects[0].Counts})
	}
	return out, nil
}

type reportMonthLink struct {
	Href, Label string
	Current     bool
}

// reportMonthLinks are the deputy's last n months (records.ReportMonths)
// as links made by href.
func (h *Handlers) reportMonthLinks(d models.Deputy, n int, current string, href func(string) string) []reportMonthLink {
	var out []reportMonthLink
	for _, m := range records.ReportMonths(d, h.Now(), h.Location, n) {
		out = append(out, reportMonthLink{Href: href(m.Month), Label: m.Label, Current: m.Month == current})
	}
	return out
}

// medianText writes a median: "2", or "2.5" between two middle values.
func medianText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// foldable reports whether a line at zero for the deputy and every median
// may fold into its section's one sentence: all but the headline counts
// (reception days, voters, opinions), which always show.
func foldable(l records.ReportLine) bool {
	switch l.Key {
	case records.LineReception, records.LineVoters, records.LineOpinions:
		return false
	}
	return l.Quiet()
}

// reportView turns a report into the page's periods and the sentences on
// whom the medians count.
func reportView(r records.MonthReport) ([]reportPeriodView, []string) {
	groupLabel := func(i int) string {
		if len(r.Groups) == 1 {
			return "本组中位数"
		}
		return r.Groups[i].Name + "中位数"
	}
	var peers []string
	for i, g := range r.Groups {
		if len(r.Groups) == 1 {
			peers = append(peers, "本组中位数："+g.Name+"的"+strconv.Itoa(g.Members)+"位代表")
		} else {
			peers = append(peers, groupLabel(i)+"：该组"+strconv.Itoa(g.Members)+"位代表")
		}
	}
	peers = append(peers, "全县中位数：全县"+strconv.Itoa(r.CountyMembers)+"位"+r.CountyLabel)
	who := "本人和本组、全县中位数均为0。"
	if len(r.Groups) == 0 {
		who = "本人和全县中位数均为0。"
	}
	period := func(title string, p records.ReportPeriod) reportPeriodView {
		v := reportPeriodView{Title: title}
		var quiet []string
		flush := func() {
			if len(quiet) > 0 {
				v.Sections[len(v.Sections)-1].Quiet = strings.Join(quiet, "、") + "：" + who
				quiet = nil
			}
		}
		for _, l := range p.Lines {
			if len(v.Sections) == 0 || v.Sections[len(v.Sections)-1].Title != l.Section {
				flush()
				v.Sections = append(v.Sections, reportSectionView{Title: l.Section})
			}
			if foldable(l) {
				quiet = append(quiet, l.Label)
				continue
			}
			lv := reportLineView{Key: l.Key, Label: l.Label, Own: strconv.Itoa(l.Own), Unit: l.Unit}
			for i, g := range l.Groups {
				lv.Medians = append(lv.Medians, reportMedianView{groupLabel(i), medianText(g)})
			}
			lv.Medians = append(lv.Medians, reportMedianView{"全县中位数", medianText(l.County)})
			sec := &v.Sections[len(v.Sections)-1]
			sec.Lines = append(sec.Lines, lv)
		}
		flush()
		return v
	}
	out := []reportPeriodView{period(r.MonthLabel, r.ThisMonth)}
	if r.YearToDate.From != r.ThisMonth.From {
		out = append(out, period(r.YearToDate.From[:4]+"年"+r.YearToDate.Label+"累计", r.YearToDate))
	}
	return out, peers
}

// showReport renders deputy d's 通报 of month (the address's "2026-11").
func (h *Handlers) showReport(c *gin.Context, d models.Deputy, month, nav string, href func(string) string, back, backLabel string) {
	ctx := c.Request.Context()
	first, err := records.DeputyReportMonth(d, month, h.Now(), h.Location)
	if errors.Is(err, records.ErrReportMonth) {
		// Not the generic "not found" page: the message says which months exist.
		_, e := shared.ErrorOf(c, err)
		h.render(c, http.StatusNotFound, tplError, page{Title: "履职情况通报", Nav: nav, Data: e})
		return
	}
	if err != nil {
		h.renderErr(c, err)
		return
	}
	r, err := records.MonthlyReport(ctx, h.DB, d.ID, first, h.Location)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	periods, peers := reportView(r)
	revs, err := h.reportReviews(c, r)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	data := reportData{Title: r.MonthLabel + "履职情况通报", Name: r.Deputy.Name, Level: r.Deputy.Level.Label(),
		Station: r.StationName, Peers: peers, AsOf: h.localTime(h.Now()), Note: reportMedianNote, Periods: periods, Reviews: revs,
		Months: h.reportMonthLinks(d, reportMonthsShown, r.Month, href), BackHref: back, BackLabel: backLabel}
	h.render(c, http.StatusOK, tplMeReport, page{Title: data.Title, Nav: nav, Data: data})
}

// pageMeReport is the signed-in deputy's own 通报.
func (h *Handlers) pageMeReport(c *gin.Context) {
	h.showReport(c, consoleDeputy(c), c.Param("month"), "me", MeReportPath, MePath, "返回我的履职")
}

// pageRecordsReport is a deputy's 通报 for staff of the deputy's stations
// (records.DeputyInScope; any other deputy is the 404 page).
func (h *Handlers) pageRecordsReport(c *gin.Context) {
	d, ok := h.recordsDeputy(c)
	if !ok {
		return
	}
	h.showReport(c, d, c.Param("month"), "records", func(m string) string { return RecordsReportPath(d.ID, m) },
		RecordsDeputyPath(d.ID), "返回"+d.Name+"的履职档案")
}
