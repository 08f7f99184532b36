package models_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// hidden reports a character that must never be stored from a person's
// input: a control character other than newline and tab, or a
// bidirectional formatting character.
func hidden(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		switch {
		case r == '\n' || r == '\t':
			return false
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return true
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return true
		}
		return r == 0x200e || r == 0x200f || r == 0x061c
	})
}

// dirty wraps s in every kind of hidden character.
func dirty(s string) string {
	return "\u202e\x00" + s[:3] + "\u2066\x07\u200f" + s[3:] + "\x1b\u061c\u202c\x7f\u0085\r"
}

func TestCleanTextAndLine(t *testing.T) {
	cases := []struct{ in, text, line string }{
		{"  路灯坏了  ", "路灯坏了", "路灯坏了"},
		{"第一行\r\n第二行\r第三行\n\t缩进", "第一行\n第二行\n第三行\n\t缩进", "第一行  第二行 第三行  缩进"},
		{"abc\u202edcba\u202c", "abcdcba", "abcdcba"},
		{"\u2066名字\u2069\u200e\u200f\u061c", "名字", "名字"},
		{"a\x00b\x1bc\x7fd\u0085e\u009ff", "abcdef", "abcdef"},
		{"bad \xff\xfe utf8", "bad  utf8", "bad  utf8"},
		{"\u202e\u202c\x00 ", "", ""},
		{"emoji 👍 and 中文，标点。", "emoji 👍 and 中文，标点。", "emoji 👍 and 中文，标点。"},
	}
	for _, c := range cases {
		if got := models.CleanText(c.in); got != c.text {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.text)
		}
		if got := models.CleanLine(c.in); got != c.line {
			t.Errorf("CleanLine(%q) = %q, want %q", c.in, got, c.line)
		}
	}
}

func TestParseID(t *testing.T) {
	for s, want := range map[string]uint64{"1": 1, "42": 42, "9223372036854775807": math.MaxInt64} {
		if got, ok := models.ParseID(s); !ok || got != want {
			t.Errorf("ParseID(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "0", "-1", "+1", "1.0", "0x10", "1_000", "abc", " 1",
		"9223372036854775808", "18446744073709551615", "18446744073709551616", strings.Repeat("9", 300)} {
		if _, ok := models.ParseID(s); ok {
			t.Errorf("ParseID(%q) accepted", s)
		}
	}
	if models.ValidID(0) || models.ValidID(math.MaxInt64+1) || !models.ValidID(math.MaxInt64) {
		t.Error("ValidID bounds")
	}
}

// Every write path of text a person typed stores it without hidden
// characters, and a name made only of them is refused.
func TestWritePathsDropHiddenCharacters(t *testing.T) {
	t.Run("opinion filing", func(t *testing.T) {
		e := newOpEnv(t)
		content := dirty("东门菜市场门口的路灯坏了一个多月，晚上很不安全。\n请尽快修复。")
		op, _ := e.file(models.FileInput{Content: content, Source: models.SourceChat}, opMonday)
		if hidden(op.Content) || !strings.Contains(op.Content, "\n请尽快修复。") {
			t.Errorf("chat content %q", op.Content)
		}
		op, _ = e.file(models.FileInput{Category: "lifa", Content: content,
			Extra: map[string]string{"law_name": dirty("《养犬管理条例（草案）》")}}, opMonday)
		if hidden(op.Content) || !strings.Contains(op.Content, "【法规草案名称】《养犬管理条例（草案）》\n") {
			t.Errorf("content with extra %q", op.Content)
		}
		_, _, err := models.FileOpinion(e.ctx, e.db, models.FileInput{VoterID: e.voters[0], Category: "lifa",
			Content: content, Extra: map[string]string{"x\u202e\x00": "1"}}, e.world, opMonday, opLoc, e.cal)
		if opCode(err) != "invalid_extra" || hidden(err.Error()) {
			t.Errorf("unknown extra key: %v", err)
		}
	})
	t.Run("workflow texts and notes", func(t *testing.T) {
		e := newOpEnv(t)
		clerk, admin := e.staff["章佳怡"].ID, e.staff["项海燕"].ID
		op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
		at := opMonday.Add(time.Hour)
		step := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			at = at.Add(time.Minute)
		}
		step(opErr3(models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, dirty("已电话联系"), at)))
		step(opErr3(models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{
			DepartmentID: e.dept["县住建局"].ID, Note: dirty("请住建局牵头")}, at)))
		step(opErr(models.AddNote(e.ctx, e.db, clerk, op.ID, dirty("群众情绪激动\n注意沟通"), at)))
		replied, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{
			Text: dirty("已联系供电所修复。\n感谢监督。"), Note: dirty("内部说明")}, at)
		step(err)
		if hidden(replied.ReplyText) || replied.ReplyText != "已联系供电所修复。\n感谢监督。" {
			t.Errorf("reply text %q", replied.ReplyText)
		}
		step(opErr3(models.ReopenOpinion(e.ctx, e.db, admin, op.ID, dirty("再办一轮"), at, opLoc, e.cal)))
		step(opErr3(models.CloseOpinion(e.ctx, e.db, admin, op.ID, dirty("已办结"), at)))
		other, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
		step(opErr3(models.ReturnOpinion(e.ctx, e.db, clerk, other.ID, models.ReturnInput{Reason: dirty("不属于本站")},
			e.world, at, opLoc, e.cal)))

		var notes []models.OpinionNote
		var audits []models.AuditLog
		var lines []models.OpinionTimelineEntry
		for _, q := range []any{&notes, &audits, &lines} {
			if err := e.db.Find(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		if len(notes) != 1 || hidden(notes[0].Text) || notes[0].Text != "群众情绪激动\n注意沟通" {
			t.Errorf("notes %+v", notes)
		}
		seen := map[string]bool{}
		for _, a := range audits {
			seen[a.Action] = true
			if hidden(a.Note) {
				t.Errorf("audit %s note %q", a.Action, a.Note)
			}
		}
		for _, a := range []string{"opinion.accept", "opinion.transfer", "opinion.note", "opinion.reply",
			"opinion.reopen", "opinion.close", "opinion.return"} {
			if !seen[a] {
				t.Errorf("no audit row %s in %v", a, seen)
			}
		}
		for _, l := range lines {
			if hidden(l.Text) {
				t.Errorf("timeline %q", l.Text)
			}
		}
	})
	t.Run("rating comment", func(t *testing.T) {
		e := newOpEnv(t)
		op := e.repliedItem(opMonday.Add(2 * time.Hour))
		r, _, _, err := models.RateOpinion(e.ctx, e.db, e.voters[0], op.ID, models.StageReply, models.ScoreSatisfied,
			dirty("答复很及时"), opMonday.Add(3*time.Hour), opLoc, e.cal)
		if err != nil || hidden(r.Comment) || r.Comment != "答复很及时" {
			t.Errorf("comment %q, %v", r.Comment, err)
		}
	})
	t.Run("booking topic and walk-in", func(t *testing.T) {
		db := modelstest.NewDB(t)
		f := newFixture(t, db, 1, small)
		s := f.slots(0, recDate)
		b, _, err := models.BookSlot(f.ctx, db, 1, s[0].ID, dirty("楼道灯不亮"), bookNow)
		if err != nil || hidden(f.booking(b.ID).Topic) || f.booking(b.ID).Topic != "楼道灯不亮" {
			t.Errorf("topic %q, %v", b.Topic, err)
		}
		staff := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 9}, StationIDs: []uint64{f.stations[0].ID}}
		w, err := models.RecordWalkIn(f.ctx, db, staff, f.day(0, recDate).ID, dirty("张大爷"), dirty("路灯\n坏了"), at(2026, 3, 10, 9, 0))
		if err != nil || w.Name != "张大爷" || w.Topic != "路灯 坏了" {
			t.Errorf("walk-in %q %q, %v", w.Name, w.Topic, err)
		}
	})
	t.Run("staff names", func(t *testing.T) {
		e := newOpEnv(t)
		s, err := models.CreateConsoleUser(e.ctx, e.db, "hygiene", "correct horse 1", dirty("王小明"), models.RoleAdmin, nil, opMonday)
		if err != nil || s.Name != "王小明" {
			t.Errorf("console user %q, %v", s.Name, err)
		}
		if _, err := models.CreateConsoleUser(e.ctx, e.db, "hygiene2", "correct horse 1", "\u202e\u202c\x00 ", models.RoleAdmin, nil, opMonday); opCode(err) != "invalid_name" {
			t.Errorf("a name of hidden characters only: %v", err)
		}
		st := e.st["东门社区代表联络站"]
		if _, err := models.CreateStaffInvite(e.ctx, e.db, models.Staff{Name: dirty("李四"), Role: models.RoleClerk}, st.ID, time.Hour, opMonday); err != nil {
			t.Fatal(err)
		}
		var got models.Staff
		if err := e.db.Where("name = ?", "李四").First(&got).Error; err != nil {
			t.Errorf("invited staff not stored clean: %v", err)
		}
		if _, err := models.CreateStaffInvite(e.ctx, e.db, models.Staff{Name: "\u2066\u2069", Role: models.RoleClerk}, st.ID, time.Hour, opMonday); opCode(err) != "invalid_name" {
			t.Errorf("invite with a hidden-only name: %v", err)
		}
	})
	t.Run("holiday name and board label", func(t *testing.T) {
		e := newOpEnv(t)
		h := models.Holiday{Date: "2026-12-31", Kind: models.HolidayOff, Name: dirty("测试假日")}
		if err := models.SetHoliday(e.ctx, e.db, models.SystemActor, h, opMonday); err != nil {
			t.Fatal(err)
		}
		var got models.Holiday
		if err := e.db.Where("date = ?", "2026-12-31").First(&got).Error; err != nil || got.Name != "测试假日" {
			t.Errorf("holiday %q, %v", got.Name, err)
		}
		var d models.Deputy
		if err := e.db.Order("id").First(&d).Error; err != nil {
			t.Fatal(err)
		}
		c, err := models.CreateBoardCode(e.ctx, e.db, d.ID, dirty("东门公示栏"), opMonday)
		if err != nil || c.Label != "东门公示栏" {
			t.Errorf("board label %q, %v", c.Label, err)
		}
	})
}
