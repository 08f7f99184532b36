package console_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/handlers/console"
	"deputylink/handlers/shared"
	"deputylink/models"
)

// conSnap is everything an action may change about one item.
type conSnap struct {
	status            models.OpinionStatus
	version           int
	station           uint64
	audits, notes     int
	timeline, notifs  int64
	handler, replyTxt string
}

func (e *conEnv) snap(id uint64) conSnap {
	e.t.Helper()
	var op models.Opinion
	must(e.t, e.db.First(&op, id).Error)
	trail, err := models.AuditTrail(e.t.Context(), e.db, "opinion", id)
	must(e.t, err)
	s := conSnap{status: op.Status, version: op.Version, station: op.StationID, audits: len(trail), replyTxt: op.ReplyText}
	if op.HandlerStaffID != nil {
		s.handler = idStr(*op.HandlerStaffID)
	}
	var n int64
	e.db.Model(&models.OpinionNote{}).Where("opinion_id = ?", id).Count(&n)
	s.notes = int(n)
	e.db.Model(&models.OpinionTimelineEntry{}).Where("opinion_id = ?", id).Count(&s.timeline)
	e.db.Model(&models.Notification{}).Where("dedupe_key LIKE ?", "opinion:"+idStr(id)+":%").Count(&s.notifs)
	return s
}

// notified lists the recipients of the item's notifications of one kind
// (e.g. "accepted"), in order.
func (e *conEnv) notified(id uint64, kind string) []string {
	e.t.Helper()
	var rows []models.Notification
	must(e.t, e.db.Where("dedupe_key LIKE ?", "opinion:"+idStr(id)+":"+kind+":%").Order("id").Find(&rows).Error)
	var out []string
	for _, r := range rows {
		out = append(out, r.ToUser)
	}
	return out
}

// actions lists the item's audit actions with their actors.
func (e *conEnv) actions(id uint64) []string {
	e.t.Helper()
	trail, err := models.AuditTrail(e.t.Context(), e.db, "opinion", id)
	must(e.t, err)
	var out []string
	for _, a := range trail {
		out = append(out, a.Action+"/"+a.ActorKind+":"+idStr(a.ActorID))
	}
	return out
}

// Ensure every workflow action works through the API, each with its
// audit row and its notification, and that refused ones change nothing.
func TestConsoleWorkflow(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	op := e.file(e.east.ID, conT0)
	clerk, head, boss := e.token("clerk_e"), e.token("head_e"), e.token("admin")
	base := "/console/api/opinions/" + idStr(op.ID)
	act := func(tok, action, body string, wantStatus models.OpinionStatus) models.StaffOpinionView {
		t.Helper()
		var v models.StaffOpinionView
		var b errBody
		r := e.bearer("POST", base+"/"+action, tok, body, &v)
		if r.StatusCode != 200 || v.Status != wantStatus || v.ID != op.ID {
			e.bearer("POST", base+"/"+action, tok, body, &b)
			t.Fatalf("%s: %d %s %+v", action, r.StatusCode, v.Status, b)
		}
		return v
	}
	refused := func(tok, action, body string, status int, code string) {
		t.Helper()
		before := e.snap(op.ID)
		var b errBody
		if r := e.bearer("POST", base+"/"+action, tok, body, &b); r.StatusCode != status || b.Error.Code != code {
			t.Errorf("%s: %d %q, want %d %q", action, r.StatusCode, b.Error.Code, status, code)
		}
		if after := e.snap(op.ID); after != before {
			t.Errorf("refused %s changed the item: %+v → %+v", action, before, after)
		}
	}

	// Nothing but accept (or return) from submitted.
	refused(clerk, "reply", `{"text":"已修好"}`, 409, "invalid_transition")
	refused(clerk, "transfer", `{"department_id":`+idStr(e.dept.ID)+`}`, 409, "invalid_transition")

	v := act(clerk, "accept", `{"note":"属实，受理"}`, models.OpinionAccepted)
	if v.AcceptedAt == nil || !v.AcceptedAt.Equal(conT0) {
		t.Errorf("accepted at %v", v.AcceptedAt)
	}
	if got := e.notified(op.ID, "accepted"); !slices.Equal(got, []string{"oVoterFollowing"}) {
		t.Errorf("accepted notifications %v", got)
	}
	refused(clerk, "accept", ``, 409, "invalid_transition")

	e.clock.Add(time.Hour)
	v = act(clerk, "transfer", `{"department_id":`+idStr(e.dept.ID)+`,"lead_staff_id":`+idStr(e.headE.ID)+`,"due_at":"2026-12-04","note":"请住建局处理"}`,
		models.OpinionTransferred)
	if v.Department == nil || v.Department.ID != e.dept.ID || v.Handler == nil || v.Handler.ID != e.headE.ID ||
		v.TransferDueAt == nil || !v.TransferDueAt.Equal(time.Date(2026, 12, 4, 23, 59, 59, 0, conLoc)) {
		t.Errorf("transferred %+v", v)
	}
	if got := e.notified(op.ID, "assigned"); !slices.Equal(got, []string{"oa-head_e"}) {
		t.Errorf("assigned notifications %v", got)
	}

	v = act(head, "reply", `{"text":"路灯已于今日修复。","note":"现场核实"}`, models.OpinionReplied)
	if v.Reply != "路灯已于今日修复。" {
		t.Errorf("reply %q", v.Reply)
	}
	if got := e.notified(op.ID, "replied"); len(got) != 1 {
		t.Errorf("replied notifications %v", got)
	}

	// Closing and reopening are for admins only.
	refused(clerk, "close", `{"note":"办结"}`, 403, "admin_only")
	refused(head, "reopen", `{}`, 403, "admin_only")
	act(boss, "reopen", `{"note":"群众反映仍未修好"}`, models.OpinionReopened)
	if got := e.notified(op.ID, "reopened"); !slices.Equal(got, []string{"oa-head_e"}) {
		t.Errorf("reopened notifications %v", got)
	}
	v = act(clerk, "reply", `{"text":"已更换整条线路。"}`, models.OpinionReplied)
	if v.Round != 2 {
		t.Errorf("round %d", v.Round)
	}
	act(boss, "close", `{"note":"群众满意"}`, models.OpinionClosed)
	if got := e.notified(op.ID, "closed"); len(got) != 1 {
		t.Errorf("closed notifications %v", got)
	}
	refused(boss, "reopen", ``, 409, "invalid_transition")

	// A note by any of them, in any status; shown with its author.
	var note models.NoteView
	if r := e.bearer("POST", base+"/notes", head, `{"text":"回访：群众满意"}`, &note); r.StatusCode != 201 ||
		note.Staff.ID != e.headE.ID || note.Text != "回访：群众满意" {
		t.Fatalf("note: %d %+v", r.StatusCode, note)
	}

	c, h, a := idStr(e.clerkE.ID), idStr(e.headE.ID), idStr(e.boss.ID)
	want := []string{"opinion.accept/staff:" + c, "opinion.transfer/staff:" + c, "opinion.reply/staff:" + h,
		"opinion.reopen/staff:" + a, "opinion.reply/staff:" + c, "opinion.close/staff:" + a, "opinion.note/staff:" + h}
	if got := e.actions(op.ID); len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want) {
		t.Errorf("audit trail %v, want it to end with %v", got, want)
	}

	// The detail shows the internal notes and the trail to staff.
	var d models.StaffOpinionView
	if r := e.bearer("GET", base, clerk, "", &d); r.StatusCode != 200 || len(d.Notes) != 1 || len(d.Trail) < len(want) ||
		d.VoterID != e.voter || len(d.Timeline) == 0 {
		t.Errorf("detail: %d notes %d trail %d", r.StatusCode, len(d.Notes), len(d.Trail))
	}
}

// Ensure a return (退办) sends the item to the other station: the clerk
// who returned it no longer sees it, the other station's clerk does.
func TestConsoleReturn(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	op := e.file(e.east.ID, conT0)
	clerkE, clerkW := e.token("clerk_e"), e.token("clerk_w")
	var moved console.ConsoleMovedView
	r := e.bearer("POST", "/console/api/opinions/"+idStr(op.ID)+"/return", clerkE,
		`{"reason":"属于西街社区","to_station_id":`+idStr(e.west.ID)+`}`, &moved)
	if r.StatusCode != 200 || moved.Visible || moved.StationID != e.west.ID || moved.Status != models.OpinionReturned || moved.TrackingNo != op.TrackingNo {
		t.Fatalf("return: %d %+v", r.StatusCode, moved)
	}
	if r := e.bearer("GET", "/console/api/opinions/"+idStr(op.ID), clerkE, "", nil); r.StatusCode != 404 {
		t.Errorf("returning clerk still sees it: %d", r.StatusCode)
	}
	var v models.StaffOpinionView
	if r := e.bearer("POST", "/console/api/opinions/"+idStr(op.ID)+"/accept", clerkW, ``, &v); r.StatusCode != 200 || v.Status != models.OpinionAccepted {
		t.Fatalf("accept at the new station: %d %+v", r.StatusCode, v.Status)
	}
	got := e.actions(op.ID)
	if !slices.Contains(got, "opinion.return/staff:"+idStr(e.clerkE.ID)) || got[len(got)-1] != "opinion.accept/staff:"+idStr(e.clerkW.ID) {
		t.Errorf("audit %v", got)
	}

	// Without a station the item is re-routed away from this one.
	op2 := e.file(e.east.ID, conT0)
	r = e.bearer("POST", "/console/api/opinions/"+idStr(op2.ID)+"/return", clerkE, `{"reason":"不属于本站"}`, &moved)
	if r.StatusCode != 200 || moved.StationID == e.east.ID || moved.Status != models.OpinionReturned {
		t.Fatalf("re-route: %d %+v", r.StatusCode, moved)
	}
}

// Ensure a clerk cannot see or act on another station's item (404, and
// nothing changes), an expired session cannot act (401, nothing changes),
// and admins see everything.
func TestConsoleAuthorization(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	east := e.file(e.east.ID, conT0)
	west := e.file(e.west.ID, conT0)
	clerkW, clerkE, boss := e.token("clerk_w"), e.token("clerk_e"), e.token("admin")
	eastPath := "/console/api/opinions/" + idStr(east.ID)
	attempts := []struct{ action, body string }{
		{"accept", `{"note":"x"}`},
		{"transfer", `{"department_id":` + idStr(e.dept.ID) + `}`},
		{"reply", `{"text":"答复"}`},
		{"return", `{"reason":"不是我们的","to_station_id":` + idStr(e.west.ID) + `}`},
		{"close", `{}`},
		{"reopen", `{}`},
		{"notes", `{"text":"偷看"}`},
	}
	before := e.snap(east.ID)
	var b errBody
	if r := e.bearer("GET", eastPath, clerkW, "", &b); r.StatusCode != 404 || b.Error.Code != "opinion_not_found" {
		t.Errorf("GET another station's item: %d %q", r.StatusCode, b.Error.Code)
	}
	for _, a := range attempts {
		b = errBody{}
		if r := e.bearer("POST", eastPath+"/"+a.action, clerkW, a.body, &b); r.StatusCode != 404 || b.Error.Code != "opinion_not_found" {
			t.Errorf("%s on another station's item: %d %q", a.action, r.StatusCode, b.Error.Code)
		}
	}
	// The same for a session that expired: 401, before anything is read.
	sum := sha256.Sum256([]byte(clerkE))
	if n, _ := e.rd.Client.Del(t.Context(), e.rd.Prefix+"csess:"+hex.EncodeToString(sum[:])).Result(); n != 1 {
		t.Fatalf("expiring the session deleted %d keys", n)
	}
	for _, a := range attempts {
		b = errBody{}
		if r := e.bearer("POST", eastPath+"/"+a.action, clerkE, a.body, &b); r.StatusCode != 401 || b.Error.Code != "unauthorized" {
			t.Errorf("%s with an expired session: %d %q", a.action, r.StatusCode, b.Error.Code)
		}
	}
	if after := e.snap(east.ID); after != before {
		t.Fatalf("refused requests changed the item: %+v → %+v", before, after)
	}

	// Lists: each clerk their own station's, the admin all of them.
	list := func(tok, query string) []uint64 {
		t.Helper()
		var l shared.List[models.StaffOpinionView]
		if r := e.bearer("GET", "/console/api/opinions"+query, tok, "", &l); r.StatusCode != 200 {
			t.Fatalf("list %s: %d", query, r.StatusCode)
		}
		var ids []uint64
		for _, it := range l.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if got := list(clerkW, ""); !slices.Equal(got, []uint64{west.ID}) {
		t.Errorf("west clerk sees %v", got)
	}
	if got := list(e.token("clerk_e"), ""); !slices.Equal(got, []uint64{east.ID}) {
		t.Errorf("east clerk sees %v", got)
	}
	if got := list(boss, ""); !slices.Equal(got, []uint64{west.ID, east.ID}) {
		t.Errorf("admin sees %v", got)
	}
	if got := list(clerkW, "?station_id="+idStr(e.east.ID)); len(got) != 0 {
		t.Errorf("west clerk filtering on the east station sees %v", got)
	}
	if r := e.bearer("GET", eastPath, boss, "", nil); r.StatusCode != 200 {
		t.Errorf("admin GET: %d", r.StatusCode)
	}
}

// Ensure the list filters and pages.
func TestConsoleListFilters(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	old := e.file(e.east.ID, conT0.AddDate(0, 0, -14)) // long past its accept deadline
	fresh := e.file(e.east.ID, conT0)
	third := e.file(e.east.ID, conT0)
	tok := e.token("clerk_e")
	if r := e.bearer("POST", "/console/api/opinions/"+idStr(third.ID)+"/accept", tok, ``, nil); r.StatusCode != 200 {
		t.Fatalf("accept: %d", r.StatusCode)
	}
	ids := func(query string) ([]uint64, string) {
		t.Helper()
		var l shared.List[models.StaffOpinionView]
		if r := e.bearer("GET", "/console/api/opinions"+query, tok, "", &l); r.StatusCode != 200 {
			t.Fatalf("list %s: %d", query, r.StatusCode)
		}
		var out []uint64
		for _, it := range l.Items {
			out = append(out, it.ID)
		}
		return out, l.NextCursor
	}
	for _, c := range []struct {
		query string
		want  []uint64
	}{
		{"?status=submitted", []uint64{fresh.ID, old.ID}},
		{"?status=accepted", []uint64{third.ID}},
		{"?overdue=1", []uint64{old.ID}},
		{"?overdue=0", []uint64{third.ID, fresh.ID, old.ID}},
		{"?category=shenghuo", []uint64{third.ID, fresh.ID, old.ID}},
		{"?category=jiaotong", nil},
		{"?escalated=1", nil},
	} {
		if got, _ := ids(c.query); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}
	var all []uint64
	cursor := ""
	for range 5 {
		page, next := ids("?limit=1&cursor=" + cursor)
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(all, []uint64{third.ID, fresh.ID, old.ID}) {
		t.Errorf("pages %v", all)
	}
}

// Ensure the transfer pickers list departments and the station's people.
func TestConsolePickers(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	tok := e.token("clerk_e")
	var d shared.List[models.Department]
	if r := e.bearer("GET", "/console/api/departments", tok, "", &d); r.StatusCode != 200 || len(d.Items) < 5 {
		t.Fatalf("departments: %d %d", r.StatusCode, len(d.Items))
	}
	var s shared.List[models.StaffBrief]
	if r := e.bearer("GET", "/console/api/staff?station_id="+idStr(e.east.ID), tok, "", &s); r.StatusCode != 200 {
		t.Fatalf("staff: %d", r.StatusCode)
	}
	var got []uint64
	for _, it := range s.Items {
		got = append(got, it.ID)
	}
	for _, want := range []uint64{e.clerkE.ID, e.headE.ID, e.boss.ID} {
		if !slices.Contains(got, want) {
			t.Errorf("staff %v lacks %d", got, want)
		}
	}
	if slices.Contains(got, e.clerkW.ID) {
		t.Errorf("staff %v lists the west clerk", got)
	}
	var b errBody
	if r := e.bearer("GET", "/console/api/staff?station_id="+idStr(e.west.ID), tok, "", &b); r.StatusCode != 404 || b.Error.Code != "station_not_found" {
		t.Errorf("another station's staff: %d %q", r.StatusCode, b.Error.Code)
	}
}

// Ensure bad input is a 400 naming the field (or a 404 for a missing
// item), never a 500, and changes nothing.
func TestConsoleBadInputs(t *testing.T) {
	t.Parallel()
	e := newConEnv(t)
	op := e.file(e.east.ID, conT0)
	accepted := e.file(e.east.ID, conT0)
	tok := e.token("clerk_e")
	if r := e.bearer("POST", "/console/api/opinions/"+idStr(accepted.ID)+"/accept", tok, ``, nil); r.StatusCode != 200 {
		t.Fatalf("accept: %d", r.StatusCode)
	}
	o, a := "/console/api/opinions/"+idStr(op.ID), "/console/api/opinions/"+idStr(accepted.ID)
	dep := idStr(e.dept.ID)
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/console/api/opinions/abc", "", 400, "invalid_id"},
		{"GET", "/console/api/opinions/0", "", 400, "invalid_id"},
		{"GET", "/console/api/opinions/99999999", "", 404, "opinion_not_found"},
		{"POST", "/console/api/opinions/99999999/accept", "", 404, "opinion_not_found"},
		{"GET", "/console/api/opinions?status=bogus", "", 400, "invalid_status"},
		{"GET", "/console/api/opinions?overdue=yes", "", 400, "invalid_overdue"},
		{"GET", "/console/api/opinions?cursor=x", "", 400, "invalid_cursor"},
		{"GET", "/console/api/opinions?cursor=-1", "", 400, "invalid_cursor"},
		{"GET", "/console/api/opinions?limit=500", "", 400, "invalid_limit"},
		{"GET", "/console/api/opinions?category=nope", "", 400, "invalid_category"},
		{"GET", "/console/api/opinions?station_id=abc", "", 400, "invalid_station_id"},
		{"GET", "/console/api/staff?station_id=-3", "", 400, "invalid_station_id"},
		{"POST", o + "/accept", `{"note":` + `"` + strings.Repeat("长", 2001) + `"}`, 400, "invalid_note"},
		{"POST", o + "/accept", `{"note":5}`, 400, "invalid_note"},
		{"POST", o + "/accept", `{"note":"x"} trailing`, 400, "invalid_json"},
		{"POST", o + "/accept", `[1,2]`, 400, "invalid_json"},
		{"POST", a + "/transfer", `{}`, 400, "invalid_department_id"},
		{"POST", a + "/transfer", `{"department_id":"x"}`, 400, "invalid_department_id"},
		{"POST", a + "/transfer", `{"department_id":-1}`, 400, "invalid_department_id"},
		{"POST", a + "/transfer", `{"department_id":99999}`, 400, "invalid_department"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"co_department_ids":[99999]}`, 400, "invalid_department"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"co_staff_ids":[1]}`, 400, "invalid_co_staff_ids"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"due_at":"next week"}`, 400, "invalid_due_at"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"due_at":"2026-11-01"}`, 400, "invalid_due_at"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"lead_staff_id":` + idStr(e.clerkW.ID) + `}`, 400, "invalid_lead_staff_id"},
		{"POST", a + "/transfer", `{"department_id":` + dep + `,"lead_staff_id":99999}`, 400, "invalid_lead_staff_id"},
		{"POST", a + "/reply", `{}`, 400, "invalid_text"},
		{"POST", a + "/reply", `{"text":"   "}`, 400, "invalid_text"},
		{"POST", o + "/return", `{}`, 400, "invalid_reason"},
		{"POST", o + "/return", `{"reason":"x","to_station_id":99999}`, 400, "invalid_to_station_id"},
		{"POST", o + "/return", `{"reason":"x","to_station_id":` + idStr(e.east.ID) + `}`, 400, "invalid_to_station_id"},
		{"POST", o + "/notes", `{}`, 400, "invalid_text"},
		{"POST", o + "/notes", `{"text":"` + strings.Repeat("长", 2001) + `"}`, 400, "invalid_text"},
		{"POST", o + "/reopen", `{"note":"` + strings.Repeat("长", 501) + `"}`, 400, "invalid_note"},
		{"DELETE", o, "", 405, "method_not_allowed"},
	}
	before, beforeA := e.snap(op.ID), e.snap(accepted.ID)
	for _, c := range cases {
		var b errBody
		r := e.bearer(c.method, c.path, tok, c.body, &b)
		if r.StatusCode != c.status || b.Error.Code != c.code {
			t.Errorf("%s %s %.60s: %d %q, want %d %q", c.method, c.path, c.body, r.StatusCode, b.Error.Code, c.status, c.code)
		}
		if c.status == 400 && strings.HasPrefix(c.code, "invalid_") && c.code != "invalid_json" &&
			c.code != "invalid_department" && b.Error.Field == "" {
			t.Errorf("%s %s %.60s: no field named", c.method, c.path, c.body)
		}
	}
	if after, afterA := e.snap(op.ID), e.snap(accepted.ID); after != before || afterA != beforeA {
		t.Errorf("bad inputs changed items: %+v → %+v, %+v → %+v", before, after, beforeA, afterA)
	}
}
