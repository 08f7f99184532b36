package models_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
)

func testSealer(t *testing.T) *models.Sealer {
	t.Helper()
	s, err := models.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// offline enters an offline opinion at 东门 by its clerk.
func (e *opEnv) offline(in models.OfflineInput, now time.Time) (models.Opinion, []models.OpinionEvent) {
	e.t.Helper()
	if in.Channel == "" {
		in.Channel = models.SourceLetter
	}
	if in.StationID == 0 {
		in.StationID = e.st["东门社区代表联络站"].ID
	}
	if in.CategoryCode == "" {
		in.CategoryCode = "shenghuo"
	}
	if in.Content == "" {
		in.Content = "来信反映：东门菜市场门口的路灯坏了一个多月。"
	}
	op, evs, err := models.FileOfflineOpinion(e.ctx, e.db, testSealer(e.t), e.staff["章佳怡"].ID, in, e.world, now, opLoc, e.cal)
	if err != nil {
		e.t.Fatalf("FileOfflineOpinion: %v", err)
	}
	return op, evs
}

// Ensure an opinion received by letter needs no voter, goes to the
// station that received it with an honest reason, gets the category's
// deadlines, a timeline entry naming the channel, an audit row by the
// clerk and the staff's new-item event; its phone is sealed and masked.
func TestFileOfflineOpinion(t *testing.T) {
	e := newOpEnv(t)
	e.bind("应建明")
	east := e.st["东门社区代表联络站"]
	deputy := e.world.Deputies
	var dep uint64
	for id, d := range deputy {
		if d.StationID == east.ID {
			dep = id
			break
		}
	}
	op, evs := e.offline(models.OfflineInput{ContactName: " 王阿姨 ", ContactPhone: "138 0013 8000",
		ReceivedOn: "2026-02-27", DeputyID: dep}, opMonday)
	if op.VoterID != 0 || op.Source != models.SourceLetter || op.StationID != east.ID || op.RouteRule != models.RuleStaffEntry {
		t.Fatalf("filed %+v", op)
	}
	if !strings.Contains(op.RouteReason, "联络站工作人员登记（来信）") {
		t.Errorf("route reason %q", op.RouteReason)
	}
	if op.EnteredByStaffID == nil || *op.EnteredByStaffID != e.staff["章佳怡"].ID || op.ReceivedOn != "2026-02-27" {
		t.Errorf("entered by %v on %q", op.EnteredByStaffID, op.ReceivedOn)
	}
	if op.ContactName != "王阿姨" || op.ContactPhoneMasked != "138****8000" {
		t.Errorf("contact %q %q", op.ContactName, op.ContactPhoneMasked)
	}
	if !strings.HasPrefix(op.TrackingNo, "YJ20260302-") || op.AcceptDueAt.IsZero() || !op.ReplyDueAt.After(op.AcceptDueAt) {
		t.Errorf("numbering and deadlines: %s %v %v", op.TrackingNo, op.AcceptDueAt, op.ReplyDueAt)
	}
	var stored models.Opinion
	must(t, e.db.First(&stored, op.ID).Error)
	if len(stored.ContactPhoneEnc) == 0 || bytes.Contains(stored.ContactPhoneEnc, []byte("13800138000")) {
		t.Errorf("phone not sealed: %q", stored.ContactPhoneEnc)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventNewItem || evs[0].VoterID != 0 || len(evs[0].Staff) == 0 {
		t.Fatalf("events %+v", evs)
	}
	var tl []models.OpinionTimelineEntry
	must(t, e.db.Where("opinion_id = ?", op.ID).Find(&tl).Error)
	if len(tl) != 1 || !strings.HasPrefix(tl[0].Text, "工作人员登记：来信") {
		t.Errorf("timeline %+v", tl)
	}
	rows, err := models.AuditTrail(e.ctx, e.db, "opinion", op.ID)
	must(t, err)
	if len(rows) != 1 || rows[0].ActorKind != "staff" || rows[0].ActorID != e.staff["章佳怡"].ID || strings.Contains(rows[0].Note, "13800138000") {
		t.Errorf("audit %+v", rows)
	}
	// The staff notices go out; nothing is addressed to a voter.
	n, err := models.NotifyOpinion(e.ctx, e.db, evs, models.NotifyConfig{Opinion: config.OpinionNotify{
		Staff: config.TemplateSpec{ID: "TPL_STAFF"}, VoterOA: config.TemplateSpec{ID: "TPL_VOTER"}}}, opMonday)
	if err != nil || n != 1 {
		t.Errorf("notified %d, %v", n, err)
	}
	// It is in the same ledger, and the channel filter finds it.
	items, _, err := models.ListStaffOpinions(e.ctx, e.db, e.staff["章佳怡"].ID, models.StaffQuery{Source: models.SourceLetter}, opMonday, opLoc)
	if err != nil || len(items) != 1 || items[0].ID != op.ID || items[0].SourceLabel != "来信" || !items[0].Offline {
		t.Fatalf("letter filter: %v %+v", err, items)
	}
	if items, _, _ := models.ListStaffOpinions(e.ctx, e.db, e.staff["章佳怡"].ID, models.StaffQuery{Source: models.SourcePhone}, opMonday, opLoc); len(items) != 0 {
		t.Errorf("phone filter found %d", len(items))
	}
	v, err := models.GetStaffOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, opMonday, opLoc)
	if err != nil || v.ContactName != "王阿姨" || v.PhoneMasked != "138****8000" || v.EnteredBy == nil || v.EnteredBy.Name != "章佳怡" {
		t.Errorf("view %v %+v", err, v)
	}
	// A voter with id 0 sees nothing of it.
	if mine, _, err := models.ListVoterOpinions(e.ctx, e.db, 0, 0, 0, opLoc); err != nil || len(mine) != 0 {
		t.Errorf("voter 0 lists %d, %v", len(mine), err)
	}
}

// Ensure the entry is refused, naming the field, for bad input and for a
// station that is not the clerk's, and that a double submit files once.
func TestFileOfflineOpinionRules(t *testing.T) {
	e := newOpEnv(t)
	clerk := e.staff["章佳怡"].ID
	east, west := e.st["东门社区代表联络站"].ID, e.st["西街社区代表联络站"].ID
	ok := models.OfflineInput{Channel: models.SourcePhone, StationID: east, CategoryCode: "shenghuo",
		Content: "电话反映：西门小区的垃圾好几天没有清运了。"}
	for name, c := range map[string]struct {
		mod  func(*models.OfflineInput)
		want string
	}{
		"channel":       {func(in *models.OfflineInput) { in.Channel = "miniprogram" }, "invalid_channel"},
		"no station":    {func(in *models.OfflineInput) { in.StationID = 0 }, "invalid_station_id"},
		"other station": {func(in *models.OfflineInput) { in.StationID = west }, "invalid_station_id"},
		"short":         {func(in *models.OfflineInput) { in.Content = "太短" }, "invalid_content"},
		"category":      {func(in *models.OfflineInput) { in.CategoryCode = "nope" }, "invalid_category"},
		"phone":         {func(in *models.OfflineInput) { in.ContactPhone = "12345" }, "invalid_contact_phone"},
		"phone letters": {func(in *models.OfflineInput) { in.ContactPhone = "1380013800a" }, "invalid_contact_phone"},
		"future":        {func(in *models.OfflineInput) { in.ReceivedOn = "2026-03-03" }, "invalid_received_on"},
		"bad date":      {func(in *models.OfflineInput) { in.ReceivedOn = "3月1日" }, "invalid_received_on"},
		"long name":     {func(in *models.OfflineInput) { in.ContactName = strings.Repeat("王", 21) }, "invalid_contact_name"},
		"day elsewhere": {func(in *models.OfflineInput) { in.ReceptionDayID = 999999 }, "invalid_reception_day_id"},
		"deputy":        {func(in *models.OfflineInput) { in.DeputyID = 999999 }, "invalid_deputy_id"},
	} {
		in := ok
		c.mod(&in)
		_, _, err := models.FileOfflineOpinion(e.ctx, e.db, testSealer(t), clerk, in, e.world, opMonday, opLoc, e.cal)
		if opCode(err) != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
	var n int64
	e.db.Model(&models.Opinion{}).Count(&n)
	if n != 0 {
		t.Fatalf("refused entries stored %d rows", n)
	}
	// An admin may enter for any station.
	in := ok
	in.StationID = west
	if _, _, err := models.FileOfflineOpinion(e.ctx, e.db, testSealer(t), e.staff["项海燕"].ID, in, e.world, opMonday, opLoc, e.cal); err != nil {
		t.Errorf("admin at west: %v", err)
	}
	// The same nonce files once; another content with it is refused.
	in = ok
	in.IdempotencyKey = "nonce-1"
	first, evs := e.offline(in, opMonday)
	again, evs2 := e.offline(in, opMonday.Add(time.Minute))
	if again.ID != first.ID || !again.Replayed || len(evs) != 1 || len(evs2) != 0 {
		t.Errorf("double submit: %d/%d replayed %v events %d/%d", first.ID, again.ID, again.Replayed, len(evs), len(evs2))
	}
	in.Content = "电话反映：另一件事情，需要另外登记一下。"
	if _, _, err := models.FileOfflineOpinion(e.ctx, e.db, testSealer(t), clerk, in, e.world, opMonday, opLoc, e.cal); opCode(err) != "idempotency_key_reused" {
		t.Errorf("reused key: %v", err)
	}
	// The same nonce by another staff member is another entry.
	in = ok
	in.IdempotencyKey = "nonce-1"
	other, _, err := models.FileOfflineOpinion(e.ctx, e.db, testSealer(t), e.staff["应建明"].ID, in, e.world, opMonday, opLoc, e.cal)
	if err != nil || other.ID == first.ID {
		t.Errorf("head's entry with the clerk's nonce: %v, id %d", err, other.ID)
	}
}

// Ensure a reveal is scoped, audited without the number, and opens the
// contact's phone or the voter's.
func TestRevealOpinionPhone(t *testing.T) {
	e := newOpEnv(t)
	sealer := testSealer(t)
	op, _ := e.offline(models.OfflineInput{ContactPhone: "0571-8888 6666"}, opMonday)
	clerk, west := e.staff["章佳怡"].ID, e.staff["严少波"].ID
	got, err := models.RevealOpinionPhone(e.ctx, e.db, sealer, clerk, op.ID, opMonday)
	if err != nil || got != "057188886666" {
		t.Fatalf("reveal: %q, %v", got, err)
	}
	if _, err := models.RevealOpinionPhone(e.ctx, e.db, sealer, west, op.ID, opMonday); opCode(err) != "opinion_not_found" {
		t.Errorf("west clerk: %v", err)
	}
	rows, _ := models.AuditTrail(e.ctx, e.db, "opinion", op.ID)
	last := rows[len(rows)-1]
	if last.Action != "opinion.reveal_phone" || last.ActorID != clerk || strings.Contains(last.Note, "88886666") {
		t.Errorf("audit %+v", last)
	}
	if len(rows) != 2 {
		t.Errorf("the refused reveal was audited: %d rows", len(rows))
	}
	// A voter's number.
	if _, err := models.SetVoterPhone(e.ctx, e.db, sealer, e.voters[0], "13900001111", opMonday); err != nil {
		t.Fatal(err)
	}
	vop, _ := e.file(models.FileInput{StationID: e.st["东门社区代表联络站"].ID}, opMonday)
	if got, err := models.RevealOpinionPhone(e.ctx, e.db, sealer, clerk, vop.ID, opMonday); err != nil || got != "13900001111" {
		t.Errorf("voter's phone: %q, %v", got, err)
	}
	// No number at all.
	bare, _ := e.offline(models.OfflineInput{Content: "来信反映：没有留下电话，只说了小区名字。"}, opMonday)
	if _, err := models.RevealOpinionPhone(e.ctx, e.db, sealer, clerk, bare.ID, opMonday); opCode(err) != "no_phone" {
		t.Errorf("no phone: %v", err)
	}
}

// Ensure the contact's data is deleted by a head or an admin only, and by
// the retention period, while what they said stays.
func TestOfflineContactErasureAndRetention(t *testing.T) {
	e := newOpEnv(t)
	op, _ := e.offline(models.OfflineInput{ContactName: "王阿姨", ContactPhone: "13800138000"}, opMonday)
	if err := models.EraseOpinionContact(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, opMonday); opCode(err) != "head_or_admin_only" {
		t.Errorf("clerk: %v", err)
	}
	if err := models.EraseOpinionContact(e.ctx, e.db, e.staff["鲍志红"].ID, op.ID, opMonday); opCode(err) != "opinion_not_found" {
		t.Errorf("west head: %v", err)
	}
	if err := models.EraseOpinionContact(e.ctx, e.db, e.staff["应建明"].ID, op.ID, opMonday); err != nil {
		t.Fatalf("head: %v", err)
	}
	var got models.Opinion
	must(t, e.db.First(&got, op.ID).Error)
	if got.ContactName != "" || got.ContactPhoneEnc != nil || got.ContactPhoneMasked != "" || got.Content != op.Content {
		t.Errorf("after erasure %+v", got)
	}
	if err := models.EraseOpinionContact(e.ctx, e.db, e.staff["项海燕"].ID, op.ID, opMonday); opCode(err) != "no_contact" {
		t.Errorf("again: %v", err)
	}
	if tr := e.trail(op.ID); !slices.Contains(tr, "opinion.erase_contact") {
		t.Errorf("trail %v", tr)
	}

	// Retention: a closed offline item loses its contact.
	old, _ := e.offline(models.OfflineInput{ContactName: "李大伯", ContactPhone: "13800138001",
		Content: "来信反映：老年活动室的空调坏了，夏天很热。"}, opMonday)
	if _, _, err := models.CloseOpinion(e.ctx, e.db, e.staff["项海燕"].ID, old.ID, "已处理", opMonday.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := models.AnonymiseClosedOpinions(e.ctx, e.db, opMonday.Add(2*time.Hour), 10, opMonday.Add(3*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("anonymised %d, %v", n, err)
	}
	got = models.Opinion{}
	must(t, e.db.First(&got, old.ID).Error)
	if got.ContactName != "" || got.ContactPhoneEnc != nil || got.ContactPhoneMasked != "" || got.Content == "" {
		t.Errorf("after retention %+v", got)
	}
	if n, _ := models.AnonymiseClosedOpinions(e.ctx, e.db, opMonday.Add(2*time.Hour), 10, opMonday.Add(3*time.Hour)); n != 0 {
		t.Errorf("second run anonymised %d", n)
	}
}

// Ensure a call-back needs a reply, is scoped, records each stage once and
// never over an online rating, closes or reopens like the voter's result,
// and is counted apart from the online ratings.
func TestRecordCallback(t *testing.T) {
	e := newOpEnv(t)
	clerk := e.staff["章佳怡"].ID
	op, _ := e.offline(models.OfflineInput{ContactPhone: "13800138000"}, opMonday)
	cb := func(staff, id uint64, in models.CallbackInput) (models.Opinion, []models.OpinionEvent, error) {
		return models.RecordCallback(e.ctx, e.db, staff, id, in, opMonday.Add(48*time.Hour), opLoc, e.cal)
	}
	if _, _, err := cb(clerk, op.ID, models.CallbackInput{ReplyScore: models.ScoreSatisfied}); opCode(err) != "not_ready_to_call_back" {
		t.Errorf("before the reply: %v", err)
	}
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "已联系供电所修复。"}, opMonday.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		staff uint64
		in    models.CallbackInput
		want  string
	}{
		"empty":      {clerk, models.CallbackInput{}, "invalid_reply_score"},
		"bad score":  {clerk, models.CallbackInput{ReplyScore: "great"}, "invalid_reply_score"},
		"bad result": {clerk, models.CallbackInput{ResultScore: "yes"}, "invalid_result_score"},
		"west clerk": {e.staff["严少波"].ID, models.CallbackInput{ReplyScore: models.ScoreSatisfied}, "opinion_not_found"},
		"long note":  {clerk, models.CallbackInput{ReplyScore: models.ScoreSatisfied, Note: strings.Repeat("话", 501)}, "invalid_note"},
	} {
		if _, _, err := cb(c.staff, op.ID, c.in); opCode(err) != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
	// The reply's answer only: the item stays replied.
	got, evs, err := cb(clerk, op.ID, models.CallbackInput{ReplyScore: models.ScoreBasically, Note: "王阿姨说路灯亮了"})
	if err != nil || got.Status != models.OpinionReplied || len(evs) != 0 {
		t.Fatalf("reply call-back: %v %s %d", err, got.Status, len(evs))
	}
	if _, _, err := cb(clerk, op.ID, models.CallbackInput{ReplyScore: models.ScoreSatisfied}); opCode(err) != "already_called_back" {
		t.Errorf("second reply call-back: %v", err)
	}
	// "没解决" reopens it for a second round, told to the station.
	got, evs, err = cb(clerk, op.ID, models.CallbackInput{ResultScore: models.ScoreUnsatisfied})
	if err != nil || got.Status != models.OpinionReopened || got.Round != 2 || len(evs) != 1 || evs[0].Kind != models.EventReopened {
		t.Fatalf("unsolved: %v %s r%d %+v", err, got.Status, got.Round, evs)
	}
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "已更换灯杆。"}, opMonday.Add(50*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Round 2: both answers at once; "解决了" closes it.
	got, _, err = models.RecordCallback(e.ctx, e.db, clerk, op.ID, models.CallbackInput{ReplyScore: models.ScoreSatisfied,
		ResultScore: models.ScoreSatisfied}, opMonday.Add(72*time.Hour), opLoc, e.cal)
	if err != nil || got.Status != models.OpinionClosed || got.ClosedAt == nil {
		t.Fatalf("solved: %v %s", err, got.Status)
	}
	v, err := models.GetStaffOpinion(e.ctx, e.db, clerk, op.ID, opMonday, opLoc)
	must(t, err)
	var labels []string
	for _, c := range v.Callbacks {
		labels = append(labels, c.Stage+":"+c.ScoreLabel+":"+c.Staff.Name)
	}
	if want := []string{"reply:基本满意:章佳怡", "result:没解决:章佳怡", "reply:满意:章佳怡", "result:解决了:章佳怡"}; !slices.Equal(labels, want) {
		t.Errorf("call-backs %v, want %v", labels, want)
	}
	if tr := e.trail(op.ID); !slices.Contains(tr, "opinion.callback") || !slices.Contains(tr, "opinion.close") {
		t.Errorf("trail %v", tr)
	}

	// An online item whose voter rated the reply: the reply stage is
	// theirs, the result may still be asked by phone.
	on := e.repliedItem(opMonday.Add(3 * time.Hour))
	if _, _, _, err := models.RateOpinion(e.ctx, e.db, e.voters[0], on.ID, models.StageReply, models.ScoreUnsatisfied, "", opMonday.Add(4*time.Hour), opLoc, e.cal); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cb(clerk, on.ID, models.CallbackInput{ReplyScore: models.ScoreSatisfied}); opCode(err) != "rated_online" {
		t.Errorf("over an online rating: %v", err)
	}
	if _, _, err := cb(clerk, on.ID, models.CallbackInput{ResultScore: models.ScoreBasically}); err != nil {
		t.Errorf("result by phone: %v", err)
	}
	// Counted apart.
	sum, err := models.SummarizeFeedback(e.ctx, e.db, 0, time.Time{}, time.Time{})
	must(t, err)
	if sum.Online["reply"]["unsatisfied"] != 1 || sum.Online["result"] != nil ||
		sum.Phone["reply"]["basically"] != 1 || sum.Phone["reply"]["satisfied"] != 1 ||
		sum.Phone["result"]["unsatisfied"] != 1 || sum.Phone["result"]["satisfied"] != 1 || sum.Phone["result"]["basically"] != 1 {
		t.Errorf("summary %+v", sum)
	}
	west, err := models.SummarizeFeedback(e.ctx, e.db, e.st["西街社区代表联络站"].ID, time.Time{}, time.Time{})
	if err != nil || len(west.Phone) != 0 || len(west.Online) != 0 {
		t.Errorf("west summary %+v %v", west, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
