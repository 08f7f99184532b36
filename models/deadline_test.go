package models_test

import (
	"slices"
	"testing"
	"time"

	"deputylink/models"
)

// Working-day arithmetic around the 2026 Spring Festival (off 15–23 Feb,
// make-up working days Sat 14 Feb and Sat 28 Feb), by hand.
func TestWorkingDaysSpringFestival2026(t *testing.T) {
	cal := models.NewCalendar(models.OfficialHolidays())
	for _, c := range []struct {
		start time.Time
		n     int
		want  time.Time // the end of the n-th working day
	}{
		{opAt(2026, 2, 12, 10, 0), 1, opAt(2026, 2, 14, 0, 0)}, // Fri 13
		{opAt(2026, 2, 12, 10, 0), 2, opAt(2026, 2, 15, 0, 0)}, // Sat 14, a make-up day
		{opAt(2026, 2, 12, 10, 0), 3, opAt(2026, 2, 25, 0, 0)}, // Tue 24, after the festival
		{opAt(2026, 2, 13, 10, 0), 6, opAt(2026, 3, 1, 0, 0)},  // 14, 24–27, Sat 28
		{opAt(2026, 2, 14, 10, 0), 1, opAt(2026, 2, 25, 0, 0)}, // filed on the make-up day
		{opAt(2026, 2, 20, 10, 0), 2, opAt(2026, 2, 26, 0, 0)}, // filed during the festival
		{opAt(2026, 2, 27, 18, 0), 2, opAt(2026, 3, 3, 0, 0)},  // Sat 28, Mon 2 Mar
		{opAt(2026, 1, 2, 9, 0), 1, opAt(2026, 1, 5, 0, 0)},    // New Year: Sun 4 Jan is a make-up day
		{opAt(2026, 9, 30, 9, 0), 2, opAt(2026, 10, 10, 0, 0)}, // National Day (off 1–7 Oct): Thu 8, Fri 9
		{opAt(2026, 9, 30, 9, 0), 3, opAt(2026, 10, 11, 0, 0)}, // … and Sat 10 Oct is a make-up day
	} {
		if got := cal.WorkingDeadline(c.start, c.n, opLoc); !got.Equal(c.want) {
			t.Errorf("%d working days after %s end at %s, want %s", c.n, c.start, got.In(opLoc), c.want)
		}
	}
}

// A calendar change moves open items' due dates; answered and closed items
// keep theirs.
func TestRecomputeOpenDeadlines(t *testing.T) {
	e := newOpEnv(t)
	weekendsOnly := models.NewCalendar(nil)
	filed := opAt(2026, 2, 12, 10, 0)
	in := models.FileInput{VoterID: e.voters[0], Category: "shenghuo", CommunityID: e.comm["东门社区"].ID,
		Content: "春节前反映：小区停车位不够，消防通道被堵。"}
	open, _, err := models.FileOpinion(e.ctx, e.db, in, e.world, filed, opLoc, weekendsOnly)
	if err != nil {
		t.Fatal(err)
	}
	// Without the festival: accept by the end of Mon 16 Feb, reply by the end of Thu 5 Mar.
	if !open.AcceptDueAt.Equal(opAt(2026, 2, 17, 0, 0)) || !open.ReplyDueAt.Equal(opAt(2026, 3, 6, 0, 0)) {
		t.Fatalf("weekends-only deadlines %s %s", open.AcceptDueAt.In(opLoc), open.ReplyDueAt.In(opLoc))
	}
	replied, _, _ := models.FileOpinion(e.ctx, e.db, in, e.world, filed, opLoc, weekendsOnly)
	clerk := e.staff["章佳怡"].ID
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, replied.ID, "", filed); err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, replied.ID, models.ReplyInput{Text: "已处理"}, filed); err != nil {
		t.Fatal(err)
	}
	// The overdue job already told the head about the accept deadline.
	if _, err := models.CollectOverdue(e.ctx, e.db, weekendsOnly, opLoc, opAt(2026, 2, 17, 8, 0)); err != nil {
		t.Fatal(err)
	}

	n, err := models.RecomputeOpenDeadlines(e.ctx, e.db, e.cal, opLoc, opAt(2026, 2, 13, 9, 0))
	if err != nil || n != 1 {
		t.Fatalf("recompute changed %d, %v", n, err)
	}
	var got, untouched models.Opinion
	e.db.First(&got, open.ID)
	e.db.First(&untouched, replied.ID)
	if !got.AcceptDueAt.Equal(opAt(2026, 2, 15, 0, 0)) || !got.ReplyDueAt.Equal(opAt(2026, 3, 12, 0, 0)) {
		t.Fatalf("recomputed deadlines %s %s", got.AcceptDueAt.In(opLoc), got.ReplyDueAt.In(opLoc))
	}
	if got.AcceptOverdueAt != nil {
		t.Errorf("the overdue mark survived a deadline moved to the future")
	}
	if !untouched.ReplyDueAt.Equal(replied.ReplyDueAt) {
		t.Errorf("a replied item's deadline moved")
	}
	if tr := e.trail(open.ID); tr[len(tr)-1] != "opinion.deadlines" {
		t.Errorf("trail %v", tr)
	}
	if n, _ := models.RecomputeOpenDeadlines(e.ctx, e.db, e.cal, opLoc, opAt(2026, 2, 13, 9, 0)); n != 0 {
		t.Errorf("second recompute changed %d", n)
	}
}

// The overdue job tells the station head once per stage when a deadline
// passes, and the admins 5 working days later.
func TestCollectOverdue(t *testing.T) {
	e := newOpEnv(t)
	e.bind("应建明", "项海燕") // 东门's head and the admin
	head, admin := e.staff["应建明"].ID, e.staff["项海燕"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	// Filed Mon 2 Mar: accept due at the end of Wed 4 Mar, reply due at the end of Mon 23 Mar.
	if !op.AcceptDueAt.Equal(opAt(2026, 3, 5, 0, 0)) || !op.ReplyDueAt.Equal(opAt(2026, 3, 24, 0, 0)) {
		t.Fatalf("deadlines %s %s", op.AcceptDueAt.In(opLoc), op.ReplyDueAt.In(opLoc))
	}
	accepted, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, accepted.ID, "", opMonday); err != nil {
		t.Fatal(err)
	}
	collect := func(at time.Time) []models.OpinionEvent {
		t.Helper()
		evs, err := models.CollectOverdue(e.ctx, e.db, e.cal, opLoc, at)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	if evs := collect(opAt(2026, 3, 4, 23, 59)); len(evs) != 0 {
		t.Fatalf("before the deadline: %+v", evs)
	}
	evs := collect(opAt(2026, 3, 5, 0, 0).Add(time.Second))
	if len(evs) != 1 || evs[0].Kind != models.EventOverdue || evs[0].Stage != models.StageAccept || evs[0].OpinionID != op.ID ||
		evs[0].Via != models.ViaHead || !slices.Equal(staffIDs(evs[0].Staff), []uint64{head}) || !evs[0].DueAt.Equal(op.AcceptDueAt) {
		t.Fatalf("accept overdue: %+v", evs)
	}
	if evs := collect(opAt(2026, 3, 6, 9, 0)); len(evs) != 0 {
		t.Fatalf("told twice: %+v", evs)
	}
	items, err := models.OverdueItems(e.ctx, e.db, opAt(2026, 3, 6, 9, 0))
	if err != nil || len(items) != 1 || items[0].ID != op.ID {
		t.Fatalf("overdue items %+v %v", items, err)
	}
	// 5 working days after Wed 4 Mar: 5, 6, 9, 10, 11 → the admins hear at the end of Wed 11 Mar.
	if at := models.AdminEscalationAt(e.cal, op.AcceptDueAt, opLoc); !at.Equal(opAt(2026, 3, 12, 0, 0)) {
		t.Fatalf("admin escalation at %s", at.In(opLoc))
	}
	if evs := collect(opAt(2026, 3, 11, 23, 0)); len(evs) != 0 {
		t.Fatalf("admins too early: %+v", evs)
	}
	evs = collect(opAt(2026, 3, 12, 0, 0))
	if len(evs) != 1 || evs[0].Kind != models.EventOverdueAdmins || !slices.Equal(staffIDs(evs[0].Staff), []uint64{admin}) {
		t.Fatalf("admin overdue: %+v", evs)
	}
	// Reply deadline (end of 23 Mar) for both items; the accepted one has no accept stage.
	evs = collect(opAt(2026, 3, 24, 8, 0))
	if len(evs) != 2 || evs[0].Stage != models.StageReply || evs[1].Stage != models.StageReply {
		t.Fatalf("reply overdue: %+v", evs)
	}
	keys := map[string]bool{}
	for _, ev := range evs {
		keys[ev.DedupeKey] = true
	}
	if len(keys) != 2 {
		t.Fatalf("dedupe keys %v", keys)
	}
	if tr := e.trail(op.ID); !slices.Contains(tr, "opinion.overdue") || !slices.Contains(tr, "opinion.overdue_admins") {
		t.Fatalf("trail %v", tr)
	}
	// A return restarts the accept clock, so a new accept deadline may be told again.
	if _, _, err := models.ReturnOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID,
		models.ReturnInput{Reason: "非本站", ToStationID: e.st["西街社区代表联络站"].ID}, e.world, opAt(2026, 3, 24, 9, 0), opLoc, e.cal); err != nil {
		t.Fatal(err)
	}
	evs = collect(opAt(2026, 3, 30, 9, 0))
	if len(evs) != 1 || evs[0].Stage != models.StageAccept || evs[0].Via != models.ViaAdmins {
		// 西街's head is not bound: the admins hear instead.
		t.Fatalf("after the return: %+v", evs)
	}
}
