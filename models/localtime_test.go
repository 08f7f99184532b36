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
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}
