package records

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"deputylink/models"

	"github.com/xuri/excelize/v2"
)

// The evaluation in Excel: "一人一档" (WriteEvaluationSheets), one
// worksheet per deputy named after them, laid out like the printed sheet;
// and the summary (WriteEvaluationSummary), one row per deputy with the
// counts by type, the total, months in office and the band. Both are
// written through excelize's StreamWriter, one sheet after another, so a
// county's 400 deputies stay within its bounded buffers.

// EvaluationSummaryHeaders are the summary's column headers: the deputy,
// then one count per type, then the figures.
func EvaluationSummaryHeaders() []string {
	h := []string{"姓名", "层级", "联络站", "乡镇（街道）", "代表小组", "本年在任月数"}
	for _, t := range models.ActivityTypes {
		h = append(h, t.Label())
	}
	return append(h, "得分", "满分", "按12个月折算", "评价", "代表自评", "选民测评")
}

// EvaluationSheetHeaders are the headers of the table on each deputy's sheet.
var EvaluationSheetHeaders = []string{"指标", "次数", "每次分值", "最高分", "得分"}

// EvaluationFileName is the download's name, e.g.
// "2026年度县人大代表履职考评-一人一档.xlsx".
func EvaluationFileName(ev models.Evaluation, part string) string {
	return ev.Title() + "-" + part + ".xlsx"
}

// WriteEvaluationSheets writes "一人一档": one worksheet per sheet, named
// after the deputy (a second deputy of the same name gets "（2）").
func WriteEvaluationSheets(w io.Writer, ev models.Evaluation, sheets []Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	styles, err := newSheetStyles(f)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for i, s := range sheets {
		name := uniqueSheetName(s.Deputy.Name, used)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		if err := writeDeputySheet(f, name, styles, ev, s); err != nil {
			return err
		}
	}
	if len(sheets) == 0 {
		if err := f.SetCellValue("Sheet1", "A1", "没有代表"); err != nil {
			return err
		}
	}
	return f.Write(w)
}

type sheetStyles struct{ head, title int }

func newSheetStyles(f *excelize.File) (sheetStyles, error) {
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return sheetStyles{}, err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	return sheetStyles{head: head, title: title}, err
}

// uniqueSheetName is name made a valid worksheet name (31 characters, no
// []:*?/\) not yet in used.
func uniqueSheetName(name string, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, models.CleanLine(name))
	if name == "" {
		name = "代表"
	}
	if utf8.RuneCountInString(name) > 25 {
		name = string([]rune(name)[:25])
	}
	out := name
	for n := 2; used[strings.ToLower(out)]; n++ {
		out = name + "（" + strconv.Itoa(n) + "）"
	}
	used[strings.ToLower(out)] = true
	return out
}

// writeDeputySheet lays one deputy's sheet out on worksheet name.
func writeDeputySheet(f *excelize.File, name string, st sheetStyles, ev models.Evaluation, s Sheet) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for col, width := range []float64{16, 10, 12, 12, 12} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return err
		}
	}
	row := 0
	put := func(vals ...any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, vals)
	}
	heads := func(vals ...string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = excelize.Cell{StyleID: st.head, Value: v}
		}
		return put(cells...)
	}
	groups := strings.Join(s.Groups, "、")
	steps := []func() error{
		func() error {
			return put(excelize.Cell{StyleID: st.title, Value: s.Deputy.Name + " · " + ev.Title() + "（一人一档）"})
		},
		func() error { return put("层级", s.Deputy.Level.Label()) },
		func() error { return put("联络站", s.StationName) },
		func() error { return put("乡镇（街道）", s.Township) },
		func() error { return put("职务", s.Role()) },
		func() error { return put("代表小组", groups) },
		func() error { return put("本年在任月数", s.Months) },
		func() error { return put() },
		func() error { return heads(EvaluationSheetHeaders...) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	for _, l := range s.Lines {
		if s.Scored {
			err = put(l.Label, l.Count, l.Points, l.MaxPoints, l.Score)
		} else {
			err = put(l.Label, l.Count)
		}
		if err != nil {
			return err
		}
	}
	if s.Scored {
		err = put("合计", s.Activities, nil, s.MaxTotal, s.Total)
	} else {
		err = put("合计", s.Activities)
	}
	if err != nil {
		return err
	}
	if err := put(); err != nil {
		return err
	}
	tail := [][]any{{"按12个月折算", s.Normalised}, {"评价", s.Band.Label()}}
	if !s.Scored {
		tail = [][]any{{"评价", s.Band.Label()}}
	}
	self, grade := "", ""
	if s.Self != nil {
		self, grade = s.Self.Text, s.Self.Grade
	}
	tail = append(tail, []any{"代表自评等次", grade}, []any{"代表自评", self}, []any{"选民测评", s.VoterRating()})
	for _, t := range tail {
		if err := put(t...); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// WriteEvaluationSummary writes one row per sheet: the deputy, counts by
// type, the total and its fair reading. No rank: the summary is read by
// bands like the page.
func WriteEvaluationSummary(w io.Writer, ev models.Evaluation, sheets []Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	name := "考评汇总"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	st, err := newSheetStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	headers := EvaluationSummaryHeaders()
	for i := range headers {
		width := 10.0
		switch i {
		case 2, 4:
			width = 24
		case len(headers) - 2:
			width = 40
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: ev.Title() + "（" + ev.StatusLabel() + "）"}}); err != nil {
		return err
	}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = excelize.Cell{StyleID: st.head, Value: h}
	}
	if err := sw.SetRow("A2", cells); err != nil {
		return err
	}
	for i, s := range sheets {
		vals := []any{s.Deputy.Name, s.Deputy.Level.Label(), s.StationName, s.Township, strings.Join(s.Groups, "、"), s.Months}
		for _, l := range s.Lines {
			vals = append(vals, l.Count)
		}
		self := ""
		if s.Self != nil {
			self = s.Self.Grade
			if s.Self.Text != "" {
				self += "：" + s.Self.Text
			}
		}
		vals = append(vals, s.Total, s.MaxTotal, s.Normalised, s.Band.Label(), self, s.VoterRating())
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := sw.SetRow(cell, vals); err != nil {
			return fmt.Errorf("summary row %d: %w", i+3, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
