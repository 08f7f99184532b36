package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Every action from every status: allowed exactly where the table says.
func TestTransitionTable(t *testing.T) {
	S, A, T, R, C, Ret, Re := models.OpinionSubmitted, models.OpinionAccepted, models.OpinionTransferred,
		models.OpinionReplied, models.OpinionClosed, models.OpinionReturned, models.OpinionReopened
	allowed := map[models.OpinionAction]map[models.OpinionStatus]models.OpinionStatus{
		models.ActionAccept:   {S: A, Ret: A},
		models.ActionTransfer: {A: T, T: T, Re: T},
		models.ActionReply:    {A: R, T: R, Re: R},
		models.ActionReturn:   {S: Ret, Ret: Ret, A: Ret},
		models.ActionClose:    {S: C, Ret: C, A: C, T: C, Re: C, R: C},
		models.ActionReopen:   {R: Re},
		models.ActionEscalate: {R: R},
	}
	n := 0
	for action, from := range allowed {
		for _, s := range models.OpinionStatuses {
			to, err := models.Transition(s, action)
			want, ok := from[s]
			switch {
			case ok && (err != nil || to != want):
				t.Errorf("%s from %s = %s, %v; want %s", action, s, to, err, want)
			case !ok && (err == nil || opCode(err) != "invalid_transition" || !errors.Is(err, models.ErrConflict)):
				t.Errorf("%s from %s = %s, %v; want invalid_transition", action, s, to, err)
			}
			n++
		}
	}
	if n != 7*7 {
		t.Fatalf("checked %d pairs", n)
	}
	if _, err := models.Transition(models.OpinionClosed, "fly"); opCode(err) != "invalid_transition" {
		t.Fatalf("unknown action: %v", err)
	}
}

func TestStaffCanAccess(t *testing.T) {
	st := func(ids ...uint64) []models.Station {
		var out []models.Station
		for _, id := range ids {
			out = append(out, models.Station{ID: id})
		}
		return out
	}
	clerk := models.Staff{ID: 1, Role: models.RoleClerk, Active: true, Stations: st(2, 3)}
	head := models.Staff{ID: 2, Role: models.RoleHead, Active: true, Stations: st(4)}
	admin := models.Staff{ID: 3, Role: models.RoleAdmin, Active: true}
	gone := models.Staff{ID: 4, Role: models.RoleAdmin, Active: false}
	for _, c := range []struct {
		s       models.Staff
		station uint64
		ok      bool
	}{
		{clerk, 2, true}, {clerk, 3, true}, {clerk, 4, false}, {clerk, 0, false},
		{head, 4, true}, {head, 2, false},
		{admin, 2, true}, {admin, 0, true},
		{gone, 2, false},
	} {
		err := models.StaffCanAccess(c.s, models.Opinion{StationID: c.station})
		if (err == nil) != c.ok {
			t.Errorf("staff %d on station %d: %v", c.s.ID, c.station, err)
		}
		if err != nil && opCode(err) != "opinion_not_found" {
			t.Errorf("denial is %v, want opinion_not_found", err)
		}
	}
}

// The whole loop: file → accept → transfer → reply → rate → reopen → reply
// → unsatisfied again → escalated → closed by an admin, with the events,
// the audit trail and the public timeline at each step.
func TestWorkflowFullCycle(t *testing.T) {
	e := newOpEnv(t)
	e.bind("章佳怡", "项海燕") // 东门's clerk and the admin
	clerk, head, admin := e.staff["章佳怡"].ID, e.staff["应建明"].ID, e.staff["项海燕"].ID
	voter := e.voters[0]
	t0 := opMonday
	op, evs := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, t0)
	if evs[0].Via != models.ViaStation || !slices.Equal(staffIDs(evs[0].Staff), []uint64{clerk}) {
		t.Fatalf("new item event %+v", evs[0])
	}

	op, evs, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "已电话联系群众", t0.Add(time.Hour))
	if err != nil || op.Status != models.OpinionAccepted || op.AcceptedAt == nil {
		t.Fatalf("accept: %+v %v", op, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventAccepted || evs[0].VoterID != voter {
		t.Fatalf("accept events %+v", evs)
	}

	due := opAt(2026, 3, 13, 0, 0)
	op, evs, err = models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{
		DepartmentID: e.dept["县住建局"].ID, CoDepartmentIDs: []uint64{e.dept["县交通运输局"].ID},
		LeadStaffID: head, DueAt: &due, Note: "请住建局牵头"}, t0.Add(2*time.Hour))
	if err != nil || op.Status != models.OpinionTransferred || op.DepartmentID == nil || *op.HandlerStaffID != head ||
		!op.TransferDueAt.Equal(due) {
		t.Fatalf("transfer: %+v %v", op, err)
	}
	// The new lead (应建明) is not bound: the event names nobody.
	if len(evs) != 1 || evs[0].Kind != models.EventAssigned || evs[0].Via != models.ViaNone {
		t.Fatalf("transfer events %+v", evs)
	}

	if _, err := models.AddNote(e.ctx, e.db, clerk, op.ID, "住建局王科长说下周派人", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	op, evs, err = models.ReplyOpinion(e.ctx, e.db, head, op.ID, models.ReplyInput{Text: "路灯已于3月5日修复。", Note: "现场核实"}, t0.Add(72*time.Hour))
	if err != nil || op.Status != models.OpinionReplied || op.ReplyText != "路灯已于3月5日修复。" || op.RepliedAt == nil {
		t.Fatalf("reply: %+v %v", op, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReplied || evs[0].VoterID != voter {
		t.Fatalf("reply events %+v", evs)
	}

	if _, _, evs, err = models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageReply, models.ScoreSatisfied, "答复及时", t0.Add(73*time.Hour), opLoc, e.cal); err != nil || len(evs) != 0 {
		t.Fatalf("reply rating: %v %v", err, evs)
	}
	reopenAt := opAt(2026, 3, 12, 10, 0)
	_, op, evs, err = models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageResult, models.ScoreUnsatisfied, "晚上还是不亮", reopenAt, opLoc, e.cal)
	if err != nil || op.Status != models.OpinionReopened || op.Round != 2 || op.ReplyText != "" || op.RepliedAt != nil || op.DepartmentID != nil {
		t.Fatalf("reopen: %+v %v", op, err)
	}
	// 15 working days from Thu 12 Mar: 13, 16–20, 23–27, 30, 31 Mar, 1, 2 Apr → end of 2 Apr.
	if want := opAt(2026, 4, 3, 0, 0); !op.ReplyDueAt.Equal(want) {
		t.Errorf("round 2 reply due %s, want %s", op.ReplyDueAt.In(opLoc), want)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReopened || evs[0].Round != 2 || *op.HandlerStaffID != head {
		t.Fatalf("reopen events %+v", evs)
	}

	op, _, err = models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "已更换整条线路，经夜间复查正常。"}, reopenAt.Add(24*time.Hour))
	if err != nil || op.Round != 2 {
		t.Fatal(err)
	}
	_, op, evs, err = models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageResult, models.ScoreUnsatisfied, "", reopenAt.Add(48*time.Hour), opLoc, e.cal)
	if err != nil || op.Status != models.OpinionReplied || !op.Escalated || op.EscalatedAt == nil || op.Round != 2 {
		t.Fatalf("escalate: %+v %v", op, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventEscalated || evs[0].Via != models.ViaAdmins ||
		!slices.Equal(staffIDs(evs[0].Staff), []uint64{admin}) {
		t.Fatalf("escalation events %+v", evs)
	}
	if _, _, err := models.CloseOpinion(e.ctx, e.db, clerk, op.ID, "", reopenAt.Add(49*time.Hour)); opCode(err) != "admin_only" {
		t.Fatalf("clerk close: %v", err)
	}
	op, evs, err = models.CloseOpinion(e.ctx, e.db, admin, op.ID, "已约谈住建局，列入督办", reopenAt.Add(50*time.Hour))
	if err != nil || op.Status != models.OpinionClosed || op.ClosedAt == nil {
		t.Fatalf("close: %+v %v", op, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventClosed || evs[0].VoterID != voter {
		t.Fatalf("close events %+v", evs)
	}

	wantTrail := []string{"opinion.file", "opinion.accept", "opinion.transfer", "opinion.note", "opinion.reply",
		"opinion.rate", "opinion.rate", "opinion.reopen", "opinion.reply", "opinion.rate", "opinion.escalate", "opinion.close"}
	if got := e.trail(op.ID); !slices.Equal(got, wantTrail) {
		t.Fatalf("audit trail\n got %v\nwant %v", got, wantTrail)
	}
	rows, _ := models.AuditTrail(e.ctx, e.db, "opinion", op.ID)
	for _, r := range rows {
		if r.At.IsZero() || r.ActorKind == "" || (r.ActorKind != "system" && r.ActorID == 0) {
			t.Errorf("audit row without who/when: %+v", r)
		}
	}
	if rows[1].ActorKind != "staff" || rows[1].ActorID != clerk || rows[1].FromState != "submitted" || rows[1].ToState != "accepted" {
		t.Errorf("accept audit %+v", rows[1])
	}
	if rows[7].ActorKind != "voter" || rows[7].FromState != "replied" || rows[7].ToState != "reopened" {
		t.Errorf("reopen audit %+v", rows[7])
	}

	// The voter's view: the public timeline, no notes, no staff names.
	v, err := models.GetVoterOpinion(e.ctx, e.db, voter, op.ID, opLoc)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range v.Timeline {
		kinds = append(kinds, s.Kind)
		for _, secret := range []string{"章佳怡", "应建明", "项海燕", "王科长", "约谈"} {
			if strings.Contains(s.Text+s.Detail, secret) {
				t.Errorf("timeline step %q leaks %q", s.Text, secret)
			}
		}
	}
	wantKinds := []string{"submitted", "accepted", "transferred", "replied", "reopened", "replied", "escalated", "closed"}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("timeline %v, want %v", kinds, wantKinds)
	}
	if !strings.Contains(v.Timeline[2].Text, "县住建局") || !strings.Contains(v.Timeline[2].Text, "县交通运输局") {
		t.Errorf("transfer step %q", v.Timeline[2].Text)
	}
	if v.Timeline[3].Detail != "路灯已于3月5日修复。" {
		t.Errorf("reply step detail %q", v.Timeline[3].Detail)
	}
	// Closed by the admin, round 2's reply can still be rated, its result not.
	if len(v.Ratings) != 3 || !slices.Equal(v.CanRate, []string{models.StageReply}) {
		t.Errorf("ratings %+v can rate %v", v.Ratings, v.CanRate)
	}
	// The staff view has the notes, departments and a named trail.
	sv, err := models.GetStaffOpinion(e.ctx, e.db, admin, op.ID, reopenAt, opLoc)
	if err != nil || len(sv.Notes) != 1 || sv.Notes[0].Staff.Name != "章佳怡" || len(sv.Trail) != len(wantTrail) ||
		sv.Trail[1].ActorName != "章佳怡" || !sv.Escalated {
		t.Fatalf("staff view %+v %v", sv, err)
	}
}

// Forbidden steps change nothing: no status, no audit row, no timeline step.
func TestWorkflowForbiddenTransitions(t *testing.T) {
	e := newOpEnv(t)
	clerk, admin := e.staff["章佳怡"].ID, e.staff["项海燕"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	now := opMonday.Add(time.Hour)
	dept := e.dept["县住建局"].ID
	check := func(name string, err error) {
		t.Helper()
		if opCode(err) != "invalid_transition" || !errors.Is(err, models.ErrConflict) {
			t.Errorf("%s: %v, want invalid_transition", name, err)
		}
	}
	_, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "答复"}, now)
	check("reply before accept", err)
	_, _, err = models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{DepartmentID: dept}, now)
	check("transfer before accept", err)
	_, _, err = models.ReopenOpinion(e.ctx, e.db, admin, op.ID, "", now, opLoc, e.cal)
	check("reopen before reply", err)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", now); err != nil {
		t.Fatal(err)
	}
	_, _, err = models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", now)
	check("accept twice", err)
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "已处理"}, now); err != nil {
		t.Fatal(err)
	}
	_, _, err = models.ReturnOpinion(e.ctx, e.db, clerk, op.ID, models.ReturnInput{Reason: "不归我们管"}, e.world, now, opLoc, e.cal)
	check("return after reply", err)
	_, _, err = models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{DepartmentID: dept}, now)
	check("transfer after reply", err)
	if _, _, err := models.CloseOpinion(e.ctx, e.db, admin, op.ID, "", now); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"accept closed": func() error { return opErr3(models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", now)) },
		"reply closed": func() error {
			return opErr3(models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "x"}, now))
		},
		"close closed":  func() error { return opErr3(models.CloseOpinion(e.ctx, e.db, admin, op.ID, "", now)) },
		"reopen closed": func() error { return opErr3(models.ReopenOpinion(e.ctx, e.db, admin, op.ID, "", now, opLoc, e.cal)) },
		"transfer closed": func() error {
			return opErr3(models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{DepartmentID: dept}, now))
		},
	} {
		check(name, f())
	}
	want := []string{"opinion.file", "opinion.accept", "opinion.reply", "opinion.close"}
	if got := e.trail(op.ID); !slices.Equal(got, want) {
		t.Fatalf("trail %v, want %v", got, want)
	}
	var steps int64
	e.db.Model(&models.OpinionTimelineEntry{}).Where("opinion_id = ?", op.ID).Count(&steps)
	if steps != 4 {
		t.Fatalf("%d timeline steps", steps)
	}
}

// A clerk of another station cannot see or touch an item: 404, and nothing changes.
func TestWorkflowAccess(t *testing.T) {
	e := newOpEnv(t)
	other, admin := e.staff["严少波"].ID, e.staff["项海燕"].ID // 西街's clerk
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	now := opMonday.Add(time.Hour)
	for name, err := range map[string]error{
		"accept":   opErr3(models.AcceptOpinion(e.ctx, e.db, other, op.ID, "", now)),
		"note":     opErr(models.AddNote(e.ctx, e.db, other, op.ID, "看看", now)),
		"return":   opErr3(models.ReturnOpinion(e.ctx, e.db, other, op.ID, models.ReturnInput{Reason: "x"}, e.world, now, opLoc, e.cal)),
		"unknown":  opErr3(models.AcceptOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, 999999, "", now)),
		"no staff": opErr3(models.AcceptOpinion(e.ctx, e.db, 999999, op.ID, "", now)),
	} {
		if opCode(err) != "opinion_not_found" || !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := e.trail(op.ID); len(got) != 1 {
		t.Fatalf("trail %v", got)
	}
	// The office queue belongs to the admins.
	office, evs := e.file(models.FileInput{}, opMonday)
	if office.StationID != 0 || evs[0].Via != models.ViaNone {
		t.Fatalf("office item %+v %+v", office, evs)
	}
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, office.ID, "", now); opCode(err) != "opinion_not_found" {
		t.Fatalf("clerk on office item: %v", err)
	}
	// An admin assigns it to a station by returning it there.
	dongmen := e.st["东门社区代表联络站"].ID
	got, evs, err := models.ReturnOpinion(e.ctx, e.db, admin, office.ID, models.ReturnInput{Reason: "根据内容分派", ToStationID: dongmen}, e.world, now, opLoc, e.cal)
	if err != nil || got.StationID != dongmen || got.RouteRule != models.RuleStaffReassign || got.ReturnedFrom != "" {
		t.Fatalf("assign: %+v %v", got, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReturned || evs[0].StationID != dongmen {
		t.Fatalf("assign events %+v", evs)
	}
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, office.ID, "", now); err != nil {
		t.Fatalf("clerk accepts the assigned item: %v", err)
	}
}

// 退办: re-routed away from the station (and from every station that
// returned it), the accept clock restarts, the new station is told.
func TestReturnOpinion(t *testing.T) {
	e := newOpEnv(t)
	e.bind("柴晓丽")
	dongmen, home := e.st["东门社区代表联络站"], e.st["城关镇人大代表之家"]
	lat, lng := dongmen.Lat, dongmen.Lng
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID, Lat: &lat, Lng: &lng}, opMonday)
	if op.StationID != dongmen.ID {
		t.Fatalf("filed to %d", op.StationID)
	}
	clerk := e.staff["章佳怡"].ID
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []models.ReturnInput{{Reason: "  "}, {Reason: strings.Repeat("长", 501)},
		{Reason: "不归我们", ToStationID: dongmen.ID}, {Reason: "不归我们", ToStationID: 999999}} {
		if _, _, err := models.ReturnOpinion(e.ctx, e.db, clerk, op.ID, bad, e.world, opMonday, opLoc, e.cal); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("return %+v: %v", bad, err)
		}
	}
	returnAt := opAt(2026, 3, 4, 15, 0) // Wednesday
	got, evs, err := models.ReturnOpinion(e.ctx, e.db, clerk, op.ID, models.ReturnInput{Reason: "该路段属城关镇管理"}, models.RouteWorld{}, returnAt, opLoc, e.cal)
	if err != nil {
		t.Fatal(err)
	}
	// The community rule is out (its station returned it); the nearest other station is the home.
	if got.Status != models.OpinionReturned || got.StationID != home.ID || got.RouteRule != models.RuleNearest ||
		got.AcceptedAt != nil || got.ReturnCount != 1 || got.ReturnedFrom == "" {
		t.Fatalf("returned: %+v", got)
	}
	if want := opAt(2026, 3, 7, 0, 0); !got.AcceptDueAt.Equal(want) || !got.AcceptStartAt.Equal(returnAt) {
		t.Errorf("accept due %s, want %s", got.AcceptDueAt.In(opLoc), want)
	}
	if !got.ReplyDueAt.Equal(op.ReplyDueAt) {
		t.Errorf("reply deadline moved: %s → %s", op.ReplyDueAt, got.ReplyDueAt)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReturned || !slices.Equal(staffIDs(evs[0].Staff), []uint64{e.staff["柴晓丽"].ID}) {
		t.Fatalf("return events %+v", evs)
	}
	// The old station lost the item; the new one has it.
	if _, err := models.GetStaffOpinion(e.ctx, e.db, clerk, op.ID, returnAt, opLoc); opCode(err) != "opinion_not_found" {
		t.Fatalf("old station still sees it: %v", err)
	}
	// The home returns it too: neither it nor 东门 may get it again.
	got, _, err = models.ReturnOpinion(e.ctx, e.db, e.staff["柴晓丽"].ID, op.ID, models.ReturnInput{Reason: "也不归我们"}, e.world, returnAt, opLoc, e.cal)
	if err != nil || got.StationID == home.ID || got.StationID == dongmen.ID || got.ReturnCount != 2 {
		t.Fatalf("second return: %+v %v", got, err)
	}
	v, _ := models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	for _, s := range v.Timeline {
		if strings.Contains(s.Text, "不归我们") || strings.Contains(s.Text, "城关镇管理") {
			t.Errorf("the return reason leaked: %q", s.Text)
		}
	}
}

func TestTransferValidation(t *testing.T) {
	e := newOpEnv(t)
	clerk := e.staff["章佳怡"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday); err != nil {
		t.Fatal(err)
	}
	past := opMonday.Add(-time.Hour)
	dept := e.dept["县住建局"].ID
	for name, c := range map[string]struct {
		in   models.TransferInput
		code string
	}{
		"no department":      {models.TransferInput{}, "invalid_department"},
		"unknown department": {models.TransferInput{DepartmentID: 999999}, "invalid_department"},
		"unknown co":         {models.TransferInput{DepartmentID: dept, CoDepartmentIDs: []uint64{999999}}, "invalid_department"},
		"due in the past":    {models.TransferInput{DepartmentID: dept, DueAt: &past}, "invalid_due_at"},
		"lead elsewhere":     {models.TransferInput{DepartmentID: dept, LeadStaffID: e.staff["严少波"].ID}, "invalid_lead_staff_id"},
	} {
		if _, _, err := models.TransferOpinion(e.ctx, e.db, clerk, op.ID, c.in, opMonday.Add(time.Hour)); opCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	// Re-transfer replaces the departments; duplicates and the lead among the co-handlers are dropped.
	for _, co := range [][]uint64{{e.dept["县交通运输局"].ID}, {dept, e.dept["县教育局"].ID, e.dept["县教育局"].ID}} {
		if _, _, err := models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{DepartmentID: dept, CoDepartmentIDs: co}, opMonday.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := models.GetStaffOpinion(e.ctx, e.db, clerk, op.ID, opMonday, opLoc)
	if err != nil || sv.Department == nil || sv.Department.Name != "县住建局" || len(sv.CoDepartments) != 1 || sv.CoDepartments[0].Name != "县教育局" {
		t.Fatalf("departments: %+v %+v %v", sv.Department, sv.CoDepartments, err)
	}
	if sv.TransferDueAt == nil || !sv.TransferDueAt.Equal(op.ReplyDueAt) {
		t.Errorf("default transfer due %v, want the reply due %s", sv.TransferDueAt, op.ReplyDueAt)
	}
}

func TestAddNote(t *testing.T) {
	e := newOpEnv(t)
	clerk := e.staff["章佳怡"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, err := models.AddNote(e.ctx, e.db, clerk, op.ID, " ", opMonday); opCode(err) != "invalid_text" {
		t.Fatalf("empty note: %v", err)
	}
	n, err := models.AddNote(e.ctx, e.db, clerk, op.ID, "群众情绪激动，注意沟通方式", opMonday)
	if err != nil || n.ID == 0 {
		t.Fatal(err)
	}
	v, _ := models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	for _, s := range v.Timeline {
		if strings.Contains(s.Text, "情绪") {
			t.Fatal("the note is in the public timeline")
		}
	}
	if got := e.trail(op.ID); !slices.Equal(got, []string{"opinion.file", "opinion.note"}) {
		t.Fatalf("trail %v", got)
	}
}

func opErr[T any](_ T, err error) error          { return err }
func opErr3[A, B any](_ A, _ B, err error) error { return err }
