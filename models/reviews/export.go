package reviews

import (
	"io"
	"strconv"

	"deputylink/models"

	"github.com/xuri/excelize/v2"
)

// A review's result in Excel (the 代表评部门 results go to the government
// and the departments this way): the sheet 评议结果 has one row per subject
// and dimension with the count of each mark and its share; the sheet 意见
// has the ballots' comments by subject, in the tally's (random) order. Like
// every report of a review it holds counts and texts only, nothing of who
// cast what.

// TallyHeaders are the column headers of the sheet 评议结果.
var TallyHeaders = []string{"评议对象", "测评项目", "满意", "基本满意", "不满意", "合计", "满意占比", "基本满意占比", "不满意占比"}

// Sheet names of the workbook.
const (
	TallySheet    = "评议结果"
	CommentsSheet = "意见"
)

// TallyFileName is the download's name, e.g. "2026年部门工作评议-评议结果.xlsx".
func TallyFileName(r models.Review) string {
	return models.CleanLine(r.Title) + "-评议结果.xlsx"
}

// WriteTallyExcel writes t as an .xlsx workbook to w.
func WriteTallyExcel(w io.Writer, t Tally) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", TallySheet); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(TallySheet)
	if err != nil {
		return err
	}
	for i := range TallyHeaders {
		width := 12.0
		if i == 0 {
			width = 28
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	r := t.View.Review
	paper := ""
	if r.PaperBallots > 0 {
		paper = "（其中纸质票" + strconv.Itoa(r.PaperBallots) + "张）"
	}
	row := 0
	put := func(vals ...any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, vals)
	}
	heads := make([]any, len(TallyHeaders))
	for i, h := range TallyHeaders {
		heads[i] = excelize.Cell{StyleID: head, Value: h}
	}
	for _, vals := range [][]any{
		{excelize.Cell{StyleID: title, Value: r.Title + "（" + r.Kind.Label() + "）"}},
		{"评议日期", models.CalendarFullDateText(r.Date), "地点", r.Place},
		{"有效票", strconv.Itoa(t.Ballots) + "张" + paper, "状态", t.View.Status.Label()},
		{},
		heads,
	} {
		if err := put(vals...); err != nil {
			return err
		}
	}
	share := func(n, total int) any {
		if total == 0 {
			return ""
		}
		return excelize.Cell{StyleID: pct, Value: float64(n) / float64(total)}
	}
	for _, s := range t.Subjects {
		for _, c := range s.Counts {
			n := c.Total()
			if err := put(s.Subject.Name, c.Dimension, c.Satisfied, c.Fair, c.Unsatisfied, n,
				share(c.Satisfied, n), share(c.Fair, n), share(c.Unsatisfied, n)); err != nil {
				return err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := writeComments(f, head, t); err != nil {
		return err
	}
	return f.Write(w)
}

// writeComments fills the sheet 意见.
func writeComments(f *excelize.File, head int, t Tally) error {
	if _, err := f.NewSheet(CommentsSheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(CommentsSheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 28); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 80); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: head, Value: "评议对象"}, excelize.Cell{StyleID: head, Value: "意见"}}); err != nil {
		return err
	}
	row := 1
	for _, s := range t.Subjects {
		for _, text := range s.Comments {
			row++
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{s.Subject.Name, text}); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}
