package models

import (
	"strconv"
	"time"
)

// Times that people read (WeChat replies and notices, pages, Excel,
// timeline texts) are local and written the Chinese way: "12月20日 16:00",
// "期限：12月20日". The JSON API keeps RFC 3339 with the offset instead
// (docs/ARCHITECTURE.md#times). These functions are the one place that
// writes a time for a person; loc nil means UTC+8.

// DateText is "12月20日".
func DateText(t time.Time, loc *time.Location) string {
	t = t.In(orLoc(loc))
	return strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日"
}

// DateTimeText is "12月20日 16:00".
func DateTimeText(t time.Time, loc *time.Location) string {
	return DateText(t, loc) + " " + ClockText(t, loc)
}

// ClockText is "16:00".
func ClockText(t time.Time, loc *time.Location) string {
	return t.In(orLoc(loc)).Format("15:04")
}

// FullDateText is "2026年12月20日", for documents that outlive the year
// (ledgers, printed slips).
func FullDateText(t time.Time, loc *time.Location) string {
	t = t.In(orLoc(loc))
	return strconv.Itoa(t.Year()) + "年" + DateText(t, loc)
}

// SpanText is "12月20日 09:00～09:30": a slot or any span within one day.
func SpanText(start, end time.Time, loc *time.Location) string {
	return DateTimeText(start, loc) + "～" + ClockText(end, loc)
}
