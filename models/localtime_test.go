package models

import (
	"testing"
	"time"
)

func TestLocalTimeTexts(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 2026-12-20T07:59:59Z is 15:59 in Shanghai; 2026-12-31T16:30Z is
	// already 1 January in Shanghai.
	at := time.Date(2026, 12, 20, 7, 59, 59, 0, time.UTC)
	cases := []struct{ got, want string }{
		{DateText(at, sh), "12月20日"},
		{DateTimeText(at, sh), "12月20日 15:59"},
		{ClockText(at, sh), "15:59"},
		{FullDateText(time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), sh), "2027年1月1日"},
		{SpanText(at, at.Add(30*time.Minute), sh), "12月20日 15:59～16:29"},
		{DateTimeText(at, nil), "12月20日 15:59"},
		{KeywordDateText(at, sh), "2026年12月20日"},
		{KeywordTimeText(at, sh), "2026年12月20日 15:59"},
		{KeywordSpanText(at, at.Add(30*time.Minute), sh), "2026年12月20日 15:59~16:29"},
		// 16:00Z is midnight in Shanghai: the end of the 20th.
		{DueText(time.Date(2026, 12, 20, 16, 0, 0, 0, time.UTC), sh), "12月20日"},
		{DueText(at.Add(8*time.Hour), sh), "12月20日"}, // 23:59:59, a date entered as a deadline
		{DueText(at, sh), "12月20日 15:59"},
		{CalendarDateText("2026-03-10"), "3月10日"},
		{CalendarFullDateText("2026-03-10"), "2026年3月10日"},
		{KeywordDueText(time.Date(2026, 12, 20, 16, 0, 0, 0, time.UTC), sh), "2026年12月20日 23:59"},
		{KeywordDueText(at, sh), "2026年12月20日 15:59"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}
