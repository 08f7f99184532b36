package models_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
)

// deptContact creates a bound contact of department name and returns their id.
func (e *opEnv) deptContact(dept, name string) uint64 {
	e.t.Helper()
	s, code, err := models.CreateDepartmentInvite(e.ctx, e.db, models.SystemActor, e.dept[dept].ID, name, time.Hour, opMonday)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := models.BindDepartmentInvite(e.ctx, e.db, code.Code, "oa-"+name, opMonday); err != nil {
		e.t.Fatal(err)
	}
	return s.ID
}

// transferred files, accepts and transfers an item to lead (and co).
func (e *opEnv) transferred(lead string, co ...string) models.Opinion {
	e.t.Helper()
	clerk := e.staff["章佳怡"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday.Add(time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	in := models.TransferInput{DepartmentID: e.dept[lead].ID, Note: "请住建局牵头，交通局配合"}
	for _, c := range co {
		in.CoDepartmentIDs = append(in.CoDepartmentIDs, e.dept[c].ID)
	}
	op, _, err := models.TransferOpinion(e.ctx, e.db, clerk, op.ID, in, opMonday.Add(2*time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return op
}

// Ensure a department contact sees only the items transferred to their
// department this round (lead or co-handling), and nothing of any station.
func TestDepartmentScope(t *testing.T) {
	e := newOpEnv(t)
	zhujian := e.deptContact("县住建局", "住建王科长")
	jiaotong := e.deptContact("县交通运输局", "交通李科长")
	other := e.deptContact("县教育局", "教育赵科长")
	op := e.transferred("县住建局", "县交通运输局")
	plain, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)

	for _, c := range []struct {
		who  uint64
		id   uint64
		ok   bool
		lead bool
	}{{zhujian, op.ID, true, true}, {jiaotong, op.ID, true, false}, {other, op.ID, false, false}, {zhujian, plain.ID, false, false}} {
		v, err := models.GetDepartmentOpinion(e.ctx, e.db, c.who, c.id, opMonday, opLoc)
		if c.ok != (err == nil) || (!c.ok && opCode(err) != "opinion_not_found") {
			t.Errorf("contact %d item %d: %v", c.who, c.id, err)
		}
		if c.ok && (v.Lead != c.lead || v.TransferNote != "请住建局牵头，交通局配合" || v.LeadDept != "县住建局" || !v.CanReply) {
			t.Errorf("contact %d view %+v", c.who, v)
		}
		if err := models.CanSeeTransferSlip(e.ctx, e.db, c.who, c.id); c.ok != (err == nil) {
			t.Errorf("slip for contact %d item %d: %v", c.who, c.id, err)
		}
	}
	items, err := models.ListDepartmentOpinions(e.ctx, e.db, jiaotong, opMonday, opLoc)
	if err != nil || len(items) != 1 || items[0].ID != op.ID || items[0].Lead || !items[0].Open {
		t.Fatalf("co-handler's list %+v %v", items, err)
	}
	if items, _ := models.ListDepartmentOpinions(e.ctx, e.db, other, opMonday, opLoc); len(items) != 0 {
		t.Errorf("other department lists %+v", items)
	}
	// Nothing of the station's: not its list, not the item, not its workflow.
	if l, _, err := models.ListStaffOpinions(e.ctx, e.db, zhujian, models.StaffQuery{}, opMonday, opLoc); err != nil || len(l) != 0 {
		t.Errorf("station list for a contact: %d %v", len(l), err)
	}
	if _, err := models.GetStaffOpinion(e.ctx, e.db, zhujian, op.ID, opMonday, opLoc); opCode(err) != "opinion_not_found" {
		t.Errorf("staff view for a contact: %v", err)
	}
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, zhujian, op.ID, models.ReplyInput{Text: "已修"}, opMonday); opCode(err) != "opinion_not_found" {
		t.Errorf("a contact replied publicly: %v", err)
	}
	// A station's staff is no department contact; station staff see the slip.
	if _, err := models.ListDepartmentOpinions(e.ctx, e.db, e.staff["章佳怡"].ID, opMonday, opLoc); opCode(err) != "opinion_not_found" {
		t.Errorf("clerk as a department: %v", err)
	}
	if err := models.CanSeeTransferSlip(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID); err != nil {
		t.Errorf("slip for the clerk: %v", err)
	}
	if err := models.CanSeeTransferSlip(e.ctx, e.db, e.staff["严少波"].ID, op.ID); opCode(err) != "opinion_not_found" {
		t.Errorf("slip for another station's clerk: %v", err)
	}
	// A deactivated contact sees nothing.
	if err := models.DeactivateDepartmentContact(e.ctx, e.db, models.SystemActor, jiaotong, opMonday); err != nil {
		t.Fatal(err)
	}
	if _, err := models.GetDepartmentOpinion(e.ctx, e.db, jiaotong, op.ID, opMonday, opLoc); opCode(err) != "opinion_not_found" {
		t.Errorf("deactivated contact: %v", err)
	}
	// A reopened item has no departments until transferred again.
	slip, err := models.GetTransferSlip(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, opLoc)
	if err != nil || slip.Lead != "县住建局" || !slices.Equal(slip.Co, []string{"县交通运输局"}) || slip.Voter == "" || slip.Date == "" {
		t.Errorf("slip %+v %v", slip, err)
	}
}

// Ensure a department's reply waits for review unseen by the voter; sent
// back, the department reads the reason and replies again; adopted (edited),
// it becomes the public reply; each step is audited.
func TestDepartmentReplyReview(t *testing.T) {
	e := newOpEnv(t)
	e.bind("章佳怡")
	contact := e.deptContact("县住建局", "住建王科长")
	op := e.transferred("县住建局")
	clerk := e.staff["章佳怡"].ID
	at := opMonday.Add(24 * time.Hour)

	r, evs, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "已安排维修队，三日内修复。"}, at)
	if err != nil || r.Status != models.DeptReplyPending {
		t.Fatalf("submit: %+v %v", r, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventDeptReplied || len(evs[0].Staff) != 1 || evs[0].Staff[0].ID != clerk {
		t.Errorf("submit events %+v", evs)
	}
	if _, _, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "再来一次"}, at); !errors.Is(err, models.ErrDeptReplyPending) {
		t.Errorf("second pending reply: %v", err)
	}
	mine, err := models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	if err != nil || mine.Reply != "" || mine.Status != models.OpinionTransferred {
		t.Fatalf("voter sees %+v %v", mine, err)
	}
	for _, tl := range mine.Timeline {
		if strings.Contains(tl.Text+tl.Detail, "维修队") {
			t.Errorf("pending reply on the public timeline: %+v", tl)
		}
	}
	// Only the station reviews.
	if _, err := models.SendBackDepartmentReply(e.ctx, e.db, contact, op.ID, r.ID, "不行", at); opCode(err) != "opinion_not_found" {
		t.Errorf("contact reviewed their own reply: %v", err)
	}
	if _, err := models.SendBackDepartmentReply(e.ctx, e.db, clerk, op.ID, r.ID, "", at); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("send back without a reason: %v", err)
	}
	if _, err := models.SendBackDepartmentReply(e.ctx, e.db, clerk, op.ID, r.ID, "请写明具体修复日期", at); err != nil {
		t.Fatal(err)
	}
	v, err := models.GetDepartmentOpinion(e.ctx, e.db, contact, op.ID, at, opLoc)
	if err != nil || len(v.Replies) != 1 || v.Replies[0].Status != models.DeptReplyReturned ||
		v.Replies[0].ReviewNote != "请写明具体修复日期" || !v.CanReply {
		t.Fatalf("after send-back %+v %v", v, err)
	}
	r2, _, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "已于3月5日修复路灯。"}, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.AdoptDepartmentReply(e.ctx, e.db, clerk, op.ID, r.ID, "", at); !errors.Is(err, models.ErrDeptReplyReviewed) {
		t.Errorf("adopting a sent-back reply: %v", err)
	}
	got, evs, err := models.AdoptDepartmentReply(e.ctx, e.db, clerk, op.ID, r2.ID, "经核实，路灯已于3月5日修复。", at.Add(2*time.Hour))
	if err != nil || got.Status != models.OpinionReplied || got.ReplyText != "经核实，路灯已于3月5日修复。" {
		t.Fatalf("adopt: %+v %v", got, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReplied || evs[0].VoterID != e.voters[0] {
		t.Errorf("adopt events %+v", evs)
	}
	mine, _ = models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	if mine.Reply != "经核实，路灯已于3月5日修复。" {
		t.Errorf("voter's reply %q", mine.Reply)
	}
	v, _ = models.GetDepartmentOpinion(e.ctx, e.db, contact, op.ID, at, opLoc)
	if v.CanReply || v.Replies[1].Status != models.DeptReplyAdopted || v.PublicReply == "" {
		t.Errorf("after adopt %+v", v)
	}
	if _, _, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "补充"}, at); !errors.Is(err, models.ErrDeptReplyClosed) {
		t.Errorf("reply after the public reply: %v", err)
	}
	trail := e.trail(op.ID)
	for _, want := range []string{"opinion.dept_reply", "opinion.dept_sendback", "opinion.dept_adopt", "opinion.reply"} {
		if !slices.Contains(trail, want) {
			t.Errorf("trail %v lacks %s", trail, want)
		}
	}
}

// Ensure a transfer tells each bound contact of the lead and co-handling
// departments, through the department template, linking to their page;
// unbound contacts and other departments get nothing.
func TestDepartmentTransferNotice(t *testing.T) {
	e := newOpEnv(t)
	zhujian := e.deptContact("县住建局", "住建王科长")
	jiaotong := e.deptContact("县交通运输局", "交通李科长")
	e.deptContact("县教育局", "教育赵科长")
	if _, _, err := models.CreateDepartmentInvite(e.ctx, e.db, models.SystemActor, e.dept["县住建局"].ID, "未绑定", time.Hour, opMonday); err != nil {
		t.Fatal(err)
	}
	clerk := e.staff["章佳怡"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday); err != nil {
		t.Fatal(err)
	}
	due := opAt(2026, 3, 20, 0, 0)
	_, evs, err := models.TransferOpinion(e.ctx, e.db, clerk, op.ID, models.TransferInput{
		DepartmentID: e.dept["县住建局"].ID, CoDepartmentIDs: []uint64{e.dept["县交通运输局"].ID}, DueAt: &due}, opMonday.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventDeptTransferred || evs[0].Via != models.ViaDepartment {
		t.Fatalf("events %+v", evs)
	}
	if got := staffIDs(evs[0].Staff); !slices.Equal(got, []uint64{zhujian, jiaotong}) {
		t.Errorf("recipients %v, want %v", got, []uint64{zhujian, jiaotong})
	}
	cfg := notifyCfg
	cfg.Location = opLoc
	cfg.Opinion.DeptTransfer = config.TemplateSpec{ID: "tplDept", Fields: map[string]string{
		"title": "thing1", "no": "character_string2", "summary": "thing3", "station": "thing4", "due": "time5"}}
	ins, skips := models.OpinionStaffNotifications(evs[0], cfg, opMonday)
	if len(ins) != 2 || len(skips) != 0 {
		t.Fatalf("notices %+v skips %+v", ins, skips)
	}
	for i, n := range ins {
		if n.TemplateID != "tplDept" || n.ToUser != []string{"oa-住建王科长", "oa-交通李科长"}[i] ||
			!strings.HasSuffix(n.URL, "/console/dept/opinions/"+itoa(op.ID)) ||
			n.Fields["thing1"] != "您单位有一件转办的群众意见" || n.Fields["character_string2"] != op.TrackingNo ||
			n.Fields["thing4"] != "东门社区代表联络站" || !strings.Contains(n.Fields["time5"], "3月") {
			t.Errorf("notice %d = %+v", i, n)
		}
	}
	// Unconfigured: skipped, naming the variable.
	cfg.Opinion.DeptTransfer = config.TemplateSpec{}
	if ins, skips := models.OpinionStaffNotifications(evs[0], cfg, opMonday); len(ins) != 0 || len(skips) != 2 ||
		!strings.Contains(skips[0].Reason, config.EnvTplDeptTransfer) {
		t.Errorf("unconfigured: %+v %+v", ins, skips)
	}
	// Written to the outbox in the change's transaction.
	cfg.Opinion.DeptTransfer = config.TemplateSpec{ID: "tplDept"}
	if n, err := models.NotifyOpinion(e.ctx, e.db, evs, cfg, opMonday); err != nil || n != 2 {
		t.Errorf("queued %d, %v", n, err)
	}
}

// Ensure an invite binds once, only a department's contact, and an openid
// bound elsewhere is refused with the invite left unused.
func TestDepartmentInvite(t *testing.T) {
	e := newOpEnv(t)
	d := e.dept["县住建局"].ID
	if _, _, err := models.CreateDepartmentInvite(e.ctx, e.db, models.SystemActor, 999999, "某人", time.Hour, opMonday); opCode(err) != "invalid_department" {
		t.Errorf("unknown department: %v", err)
	}
	if _, _, err := models.CreateDepartmentInvite(e.ctx, e.db, models.SystemActor, d, " ", time.Hour, opMonday); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
	s, code, err := models.CreateDepartmentInvite(e.ctx, e.db, models.SystemActor, d, "住建王科长", time.Hour, opMonday)
	if err != nil || s.Role != models.RoleDepartment || *s.DepartmentID != d {
		t.Fatalf("invite %+v %v", s, err)
	}
	e.bind("章佳怡")
	if _, _, err := models.BindDepartmentInvite(e.ctx, e.db, code.Code, "oa-章佳怡", opMonday); !errors.Is(err, models.ErrOpenIDAlreadyBound) {
		t.Errorf("openid of a clerk: %v", err)
	}
	if _, _, err := models.BindDepartmentInvite(e.ctx, e.db, code.Code, "oa-wang", opMonday.Add(2*time.Hour)); !errors.Is(err, models.ErrInviteExpired) {
		t.Errorf("expired: %v", err)
	}
	got, dept, err := models.BindDepartmentInvite(e.ctx, e.db, code.Code, "oa-wang", opMonday)
	if err != nil || got.ID != s.ID || dept.Name != "县住建局" {
		t.Fatalf("bind %+v %+v %v", got, dept, err)
	}
	if _, _, err := models.BindDepartmentInvite(e.ctx, e.db, code.Code, "oa-other", opMonday); !errors.Is(err, models.ErrInviteUsed) {
		t.Errorf("replay: %v", err)
	}
	if a, err := models.ActiveStaffByOAOpenID(e.ctx, e.db, "oa-wang"); err != nil || a.ID != s.ID || len(a.Stations) != 0 {
		t.Errorf("sign-in lookup %+v %v", a, err)
	}
	// A station staff invite is not a department's.
	clerkCode, err := models.CreateStaffInvite(e.ctx, e.db, models.Staff{Name: "新联络员", Role: models.RoleClerk}, e.st["东门社区代表联络站"].ID, time.Hour, opMonday)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.BindDepartmentInvite(e.ctx, e.db, clerkCode.Code, "oa-x", opMonday); !errors.Is(err, models.ErrNotDepartmentInvite) {
		t.Errorf("staff invite as a department's: %v", err)
	}
	list, err := models.ListDepartmentContacts(e.ctx, e.db, d)
	if err != nil || len(list) != 1 || !list[0].Bound || list[0].Department != "县住建局" {
		t.Errorf("contacts %+v %v", list, err)
	}
}

// Ensure attachments are told by content and held to their limits.
func TestReplyFileLimits(t *testing.T) {
	for _, c := range []struct {
		head []byte
		kind string
	}{{[]byte{0xFF, 0xD8, 0xFF, 0xE0}, models.ReplyFilePhoto}, {[]byte("\x89PNG\r\n\x1a\n...."), models.ReplyFilePhoto},
		{[]byte("%PDF-1.7\n"), models.ReplyFilePDF}, {[]byte("PK\x03\x04"), ""}, {[]byte("<html>"), ""}} {
		kind, _, err := models.SniffReplyFile(c.head)
		if kind != c.kind || (c.kind == "") != (err != nil) {
			t.Errorf("sniff %q = %q %v", c.head, kind, err)
		}
	}
	for _, c := range []struct {
		kind string
		size int64
		w, h int
		ok   bool
	}{
		{models.ReplyFilePDF, models.MaxReplyPDFBytes, 0, 0, true},
		{models.ReplyFilePDF, models.MaxReplyPDFBytes + 1, 0, 0, false},
		{models.ReplyFilePDF, 0, 0, 0, false},
		{models.ReplyFilePhoto, models.MaxReplyPhotoBytes, 4032, 3024, true},
		{models.ReplyFilePhoto, models.MaxReplyPhotoBytes + 1, 4032, 3024, false},
		{models.ReplyFilePhoto, 1000, 8160, 6120, false},
		{models.ReplyFilePhoto, 1000, 12001, 10, false},
		{models.ReplyFilePhoto, 1000, 2100, 100, false},
		{models.ReplyFilePhoto, 1000, 0, 100, false},
		{"exe", 1000, 0, 0, false},
	} {
		err := models.CheckReplyFile("现场照片.jpg", c.kind, c.size, c.w, c.h)
		if c.ok != (err == nil) {
			t.Errorf("%s %d %dx%d: %v", c.kind, c.size, c.w, c.h, err)
		}
		if err != nil && !errors.Is(err, models.ErrInvalid) {
			t.Errorf("not a validation error: %v", err)
		}
	}
	e := newOpEnv(t)
	contact := e.deptContact("县住建局", "住建王科长")
	op := e.transferred("县住建局")
	sum := strings.Repeat("a", 64)
	file := func(p string) models.ReplyFileInput {
		return models.ReplyFileInput{Kind: models.ReplyFilePDF, Name: "答复函.pdf", Path: p, SHA256: sum, ContentType: "application/pdf", Size: 100}
	}
	many := make([]models.ReplyFileInput, models.MaxReplyFiles+1)
	for i := range many {
		many[i] = file("uploads/dept/2026/03/f" + itoa(uint64(i)) + ".pdf")
	}
	for name, files := range map[string][]models.ReplyFileInput{
		"too many": many, "escaping path": {file("uploads/dept/../../etc/passwd")}, "outside the dir": {file("uploads/2026/x.jpg")},
	} {
		if _, _, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "见附件", Files: files}, opMonday); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	r, _, err := models.SubmitDepartmentReply(e.ctx, e.db, contact, op.ID, models.DeptReplyInput{Text: "见附件", Files: many[:2]}, opMonday)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := models.GetDepartmentOpinion(e.ctx, e.db, contact, op.ID, opMonday, opLoc)
	if len(v.Replies) != 1 || v.Replies[0].ID != r.ID || len(v.Replies[0].Files) != 2 {
		t.Fatalf("replies %+v", v.Replies)
	}
	fid := v.Replies[0].Files[0].ID
	if _, err := models.DepartmentReplyFileFor(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, fid); err != nil {
		t.Errorf("clerk's file: %v", err)
	}
	if _, err := models.DepartmentReplyFileFor(e.ctx, e.db, contact, op.ID, fid); err != nil {
		t.Errorf("contact's file: %v", err)
	}
	other := e.deptContact("县教育局", "教育赵科长")
	for _, who := range []uint64{other, e.staff["严少波"].ID} {
		if _, err := models.DepartmentReplyFileFor(e.ctx, e.db, who, op.ID, fid); !errors.Is(err, models.ErrUploadNotFound) {
			t.Errorf("staff %d reads the file: %v", who, err)
		}
	}
	if got := models.MaskName("欧阳娜娜"); got != "欧阳**" {
		t.Errorf("MaskName = %q", got)
	}
	if got := models.CleanFileName(`C:\x\..\答复"函".pdf`); got != "答复函.pdf" {
		t.Errorf("CleanFileName = %q", got)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
