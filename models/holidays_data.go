package models

import "time"

// Official public holidays and make-up working days, as published by the
// General Office of the State Council (国务院办公厅):
//
//   - 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号,
//     12 Nov 2024), e.g. https://m.gmw.cn/2024-11/12/content_1303894933.htm
//   - 2026: 国务院办公厅关于2026年部分节假日安排的通知 (4 Nov 2025),
//     e.g. https://politics.gmw.cn/2025-11/04/content_38391083.htm
//
// Both notices were checked against the published text; a new year's notice
// is added here and a migration calls EnsureHolidays.
var officialHolidayRanges = []struct {
	From, To string // inclusive
	Kind     HolidayKind
	Name     string
}{
	// 2025
	{"2025-01-01", "2025-01-01", HolidayOff, "元旦"},
	{"2025-01-26", "2025-01-26", HolidayWorkday, "春节调休上班"},
	{"2025-01-28", "2025-02-04", HolidayOff, "春节"},
	{"2025-02-08", "2025-02-08", HolidayWorkday, "春节调休上班"},
	{"2025-04-04", "2025-04-06", HolidayOff, "清明节"},
	{"2025-04-27", "2025-04-27", HolidayWorkday, "劳动节调休上班"},
	{"2025-05-01", "2025-05-05", HolidayOff, "劳动节"},
	{"2025-05-31", "2025-06-02", HolidayOff, "端午节"},
	{"2025-09-28", "2025-09-28", HolidayWorkday, "国庆节调休上班"},
	{"2025-10-01", "2025-10-08", HolidayOff, "国庆节、中秋节"},
	{"2025-10-11", "2025-10-11", HolidayWorkday, "国庆节调休上班"},
	// 2026
	{"2026-01-01", "2026-01-03", HolidayOff, "元旦"},
	{"2026-01-04", "2026-01-04", HolidayWorkday, "元旦调休上班"},
	{"2026-02-14", "2026-02-14", HolidayWorkday, "春节调休上班"},
	{"2026-02-15", "2026-02-23", HolidayOff, "春节"},
	{"2026-02-28", "2026-02-28", HolidayWorkday, "春节调休上班"},
	{"2026-04-04", "2026-04-06", HolidayOff, "清明节"},
	{"2026-05-01", "2026-05-05", HolidayOff, "劳动节"},
	{"2026-05-09", "2026-05-09", HolidayWorkday, "劳动节调休上班"},
	{"2026-06-19", "2026-06-21", HolidayOff, "端午节"},
	{"2026-09-20", "2026-09-20", HolidayWorkday, "国庆节调休上班"},
	{"2026-09-25", "2026-09-27", HolidayOff, "中秋节"},
	{"2026-10-01", "2026-10-07", HolidayOff, "国庆节"},
	{"2026-10-10", "2026-10-10", HolidayWorkday, "国庆节调休上班"},
}

// OfficialHolidays expands the shipped arrangements into one row per date.
func OfficialHolidays() []Holiday {
	var out []Holiday
	for _, r := range officialHolidayRanges {
		from, ok1 := parseDate(r.From, time.UTC)
		to, ok2 := parseDate(r.To, time.UTC)
		if !ok1 || !ok2 {
			panic("holidays_data: bad date in " + r.From + ".." + r.To)
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			out = append(out, Holiday{Date: d.Format(DateLayout), Kind: r.Kind, Name: r.Name})
		}
	}
	return out
}
