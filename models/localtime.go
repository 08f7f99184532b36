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

// WeChat's time and date keywords (subscribe and template messages) take
// a date only with its year, written "2026年12月20日", and a span joined
// by "~" (docs/WECHAT.md#subscribe-messages); the plain "12月20日" is not
// one of the accepted forms. These are the keyword values.

// KeywordDateText is "2026年12月20日", a date keyword's value.
func KeywordDateText(t time.Time, loc *time.Location) string { return FullDateText(t, loc) }

// KeywordTimeText is "2026年12月20日 16:00", a time keyword's value.
func KeywordTimeText(t time.Time, loc *time.Location) string {
	return FullDateText(t, loc) + " " + ClockText(t, loc)
}

// KeywordSpanText is "2026年12月20日 09:00~09:30", a time keyword's value
// for a span within one day.
func KeywordSpanText(start, end time.Time, loc *time.Location) string {
	return KeywordTimeText(start, loc) + "~" + ClockText(end, loc)
}

// endOfDay reports whether t, read in loc, closes a day: midnight (the
// end of the day before, as Calendar.WorkingDeadline gives it) or its last
// second (a date entered as a deadline), and which day it closes.
func endOfDay(t time.Time, loc *time.Location) (time.Time, bool) {
	l := t.In(orLoc(loc))
	switch {
	case l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0:
		return l.Add(-time.Second), true
	case l.Hour() == 23 && l.Minute() == 59 && l.Second() == 59:
		return l, true
	}
	return l, false
}

// DueText writes a deadline: "12月20日" for one that ends with that day
// (so "期限：12月20日" reads "by the end of 20 December"), else
// "12月20日 16:00".
func DueText(t time.Time, loc *time.Location) string {
	if day, ok := endOfDay(t, loc); ok {
		return DateText(day, loc)
	}
	return DateTimeText(t, loc)
}

// KeywordDueText is a deadline as a time keyword's value: "2026年12月20日
// 23:59" for one that ends with that day, else KeywordTimeText.
func KeywordDueText(t time.Time, loc *time.Location) string {
	if day, ok := endOfDay(t, loc); ok {
		return FullDateText(day, loc) + " 23:59"
	}
	return KeywordTimeText(t, loc)
}

// CalendarDateText writes a calendar date "2026-12-20" (DateLayout) as
// "12月20日"; anything else comes back as it is.
func CalendarDateText(date string) string {
	d, err := time.Parse(DateLayout, date)
	if err != nil {
		return date
	}
	return DateText(d, time.UTC)
}

// CalendarFullDateText writes a calendar date "2026-12-20" (DateLayout)
// as "2026年12月20日"; anything else comes back as it is.
func CalendarFullDateText(date string) string {
	d, err := time.Parse(DateLayout, date)
	if err != nil {
		return date
	}
	return FullDateText(d, time.UTC)
}

// WeekdayText is "星期三", beside a date people must not get wrong (a
// training's session).
func WeekdayText(t time.Time, loc *time.Location) string {
	return "星期" + string([]rune("日一二三四五六")[t.In(orLoc(loc)).Weekday()])
}
