package models_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"

	"gorm.io/gorm"
)

// What people read is local time written the Chinese way, in Chinese
// sentences with Chinese punctuation: no RFC 3339 timestamp, no ISO date,
// no ASCII ",?:!();" next to a Chinese character, no English word (rule
// names, status names, category codes, JSON…) other than the tracking
// numbers and codes the flows hand out.
var (
	textRFC3339   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}`)
	textISODate   = regexp.MustCompile(`\d{4}-\d{1,2}-\d{1,2}`)
	textPunct     = regexp.MustCompile(`\p{Han}[,?:!();]|[,?:!();]\s*\p{Han}`)
	textASCIIWord = regexp.MustCompile(`[A-Za-z0-9_-]*[A-Za-z][A-Za-z0-9_-]*`)
)

// textScan collects person-read texts with where they came from.
type textScan struct {
	t       *testing.T
	allowed map[string]bool // tracking numbers, codes, usernames
	texts   []scannedText
}

type scannedText struct {
	where, text string
	isError     bool // an error message may show an input format, e.g. "例如2026-03-10"
}

func (s *textScan) add(where, text string) {
	if strings.TrimSpace(text) != "" {
		s.texts = append(s.texts, scannedText{where: where, text: text})
	}
}

// addErr adds the Chinese message of a validation or coded error.
func (s *textScan) addErr(where string, err error) {
	s.t.Helper()
	var ve *models.ValidationError
	var ce *models.CodedError
	switch {
	case errors.As(err, &ve):
		s.texts = append(s.texts, scannedText{where: where, text: ve.Msg, isError: true})
	case errors.As(err, &ce):
		s.texts = append(s.texts, scannedText{where: where, text: ce.Msg, isError: true})
	default:
		s.t.Errorf("%s: want a validation or coded error, got %v", where, err)
	}
}

func (s *textScan) allow(words ...string) {
	for _, w := range words {
		s.allowed[w] = true
	}
}

// problems lists what is wrong with one text.
func (s *textScan) problems(x scannedText) []string {
	var out []string
	if m := textRFC3339.FindString(x.text); m != "" {
		out = append(out, "timestamp "+m)
	} else if m := textISODate.FindString(x.text); m != "" && !x.isError {
		out = append(out, "ISO date "+m)
	}
	if m := textPunct.FindString(x.text); m != "" {
		out = append(out, fmt.Sprintf("ASCII punctuation %q", m))
	}
	for _, w := range textASCIIWord.FindAllString(x.text, -1) {
		if !s.allowed[w] {
			out = append(out, fmt.Sprintf("ASCII word %q", w))
		}
	}
	return out
}

func (s *textScan) check() {
	s.t.Helper()
	bad := 0
	for _, x := range s.texts {
		if p := s.problems(x); len(p) > 0 {
			bad++
			s.t.Errorf("%s: %q: %s", x.where, x.text, strings.Join(p, "; "))
		}
	}
	s.t.Logf("%d person-read texts scanned, %d with problems", len(s.texts), bad)
}

func textNotifyConfig() models.NotifyConfig {
	return models.NotifyConfig{
		Reception: config.NotifyTemplates{
			BookingResult:     config.TemplateSpec{ID: "tplBooking"},
			ReceptionReminder: config.TemplateSpec{ID: "tplRemind"},
			StaffRoster:       config.TemplateSpec{ID: "tplRoster"},
		},
		Opinion: config.OpinionNotify{
			Staff: config.TemplateSpec{ID: "tplStaff"}, Result: config.TemplateSpec{ID: "tplResult"},
			VoterOA: config.TemplateSpec{ID: "tplVoterOA"}, PublicURL: "https://rd.example.org",
		},
		StaffAlert: config.TemplateSpec{ID: "tplAlert"},
		Location:   opLoc,
	}
}

// TestPersonReadTexts runs the demo county's main flows (file, accept,
// transfer, reply, return, overdue and escalation, ratings; book,
// waitlist, promote, move, remind, roster, digest; staff invites and
// lockout; a calendar edit) and scans every text a person reads that they
// produce: timeline entries, route reasons, audit notes, notification field
// values and error messages.
func TestPersonReadTexts(t *testing.T) {
	e := newOpEnv(t)
	ctx, db := e.ctx, e.db
	cfg := textNotifyConfig()
	scan := &textScan{t: t, allowed: map[string]bool{}}
	e.bind("章佳怡", "应建明", "项海燕", "柴晓丽", "俞文华", "吕佳琪")
	clerk, head, admin := e.staff["章佳怡"].ID, e.staff["应建明"].ID, e.staff["项海燕"].ID

	// Voters: voters[0] has subscribe consents, voters[1] only follows the
	// official account, voters[2] has neither.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Model(&models.Voter{}).Where("id = ?", e.voters[0]).Update("mp_openid", "mpVoter0").Error)
	must(db.Model(&models.Voter{}).Where("id = ?", e.voters[1]).Updates(map[string]any{"oa_openid": "oaVoter1", "following": true}).Error)
	for range 5 {
		must(models.GrantConsents(ctx, db, "mpVoter0", []string{"tplResult"}, opMonday))
	}
	notify := func(at time.Time, evs []models.OpinionEvent, err error) {
		t.Helper()
		must(err)
		_, err = models.NotifyOpinion(ctx, db, evs, cfg, at)
		must(err)
	}
	step := func(at time.Time) func(op models.Opinion, evs []models.OpinionEvent, err error) models.Opinion {
		return func(op models.Opinion, evs []models.OpinionEvent, err error) models.Opinion {
			t.Helper()
			notify(at, evs, err)
			return op
		}
	}

	// 1. The full cycle: file at 东门, accept, transfer, reply, rate, reopen,
	// ask "解决了吗？", escalate, close.
	t0 := opMonday
	op, evs := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, t0)
	notify(t0, evs, nil)
	op = step(t0.Add(time.Hour))(models.AcceptOpinion(ctx, db, clerk, op.ID, "已电话联系群众", t0.Add(time.Hour)))
	due := opAt(2026, 3, 13, 0, 0)
	op = step(t0.Add(2 * time.Hour))(models.TransferOpinion(ctx, db, clerk, op.ID, models.TransferInput{
		DepartmentID: e.dept["县住建局"].ID, CoDepartmentIDs: []uint64{e.dept["县交通运输局"].ID},
		LeadStaffID: head, DueAt: &due, Note: "请住建局牵头"}, t0.Add(2*time.Hour)))
	op = step(t0.Add(72 * time.Hour))(models.ReplyOpinion(ctx, db, head, op.ID, models.ReplyInput{Text: "路灯已于3月5日修复。", Note: "现场核实"}, t0.Add(72*time.Hour)))
	_, _, evs, err := models.RateOpinion(ctx, db, e.voters[0], op.ID, models.StageReply, models.ScoreSatisfied, "答复及时", t0.Add(73*time.Hour), opLoc, e.cal)
	notify(t0.Add(73*time.Hour), evs, err)
	askAt := t0.Add(10 * 24 * time.Hour)
	evs, err = models.DueResultQuestions(ctx, db, askAt, 7)
	notify(askAt, evs, err)
	_, op, evs, err = models.RateOpinion(ctx, db, e.voters[0], op.ID, models.StageResult, models.ScoreUnsatisfied, "晚上还是不亮", askAt.Add(time.Hour), opLoc, e.cal)
	notify(askAt.Add(time.Hour), evs, err)
	op = step(askAt.Add(24 * time.Hour))(models.ReplyOpinion(ctx, db, clerk, op.ID, models.ReplyInput{Text: "已更换整条线路，经夜间复查正常。"}, askAt.Add(24*time.Hour)))
	_, op, evs, err = models.RateOpinion(ctx, db, e.voters[0], op.ID, models.StageResult, models.ScoreUnsatisfied, "", askAt.Add(48*time.Hour), opLoc, e.cal)
	notify(askAt.Add(48*time.Hour), evs, err)
	step(askAt.Add(50 * time.Hour))(models.CloseOpinion(ctx, db, admin, op.ID, "已约谈住建局，列入督办", askAt.Add(50*time.Hour)))

	// 2. Routing by every rule, a return re-routed and a return to a chosen
	// station, then deadlines missed and escalated.
	var retired models.Deputy
	must(db.Where("name = ?", "郑晓峰").First(&retired).Error)
	var serving models.Deputy
	must(db.Where("name = ?", "张海明").First(&serving).Error)
	codes, err := models.PrimaryCodes(ctx, db, models.CodeDeputy, []uint64{retired.ID, serving.ID})
	must(err)
	stCodes, err := models.PrimaryCodes(ctx, db, models.CodeStation, []uint64{e.st["西街社区代表联络站"].ID})
	must(err)
	lat, lng := 30.2712, 120.1565 // at 东门
	far, farLng := 31.5, 121.9
	filings := []models.FileInput{
		{Code: codes[serving.ID], VoterID: e.voters[1]},
		{Code: codes[retired.ID], VoterID: e.voters[1]},
		{Code: stCodes[e.st["西街社区代表联络站"].ID], VoterID: e.voters[2]},
		{Category: "lifa", Lat: &lat, Lng: &lng, VoterID: e.voters[2], Content: "建议在草案中明确农村自建房的安全监管责任。"},
		{Category: "lifa", VoterID: e.voters[2], Content: "建议在草案中写明物业费公示的要求和时限。"},
		{StationID: e.st["新华社区代表联络站"].ID, VoterID: e.voters[2], Source: models.SourceChat},
		{Lat: &lat, Lng: &lng, VoterID: e.voters[2]},
		{Lat: &far, Lng: &farLng, VoterID: e.voters[2]},
		{VoterID: e.voters[2], Category: "jiaoyi", Content: "学校门口早晚接送时段交通拥堵，希望安排人员疏导。"},
	}
	var filed []models.Opinion
	rules := map[string]bool{}
	for i, in := range filings {
		o, evs := e.file(in, t0.Add(time.Duration(i)*time.Minute))
		notify(t0, evs, nil)
		filed = append(filed, o)
		rules[o.RouteRule] = true
		scan.add(fmt.Sprintf("route reason at filing (%s)", o.RouteRule), o.RouteReason)
	}
	// The item of the voter who only follows the official account is
	// accepted: a template message instead of a subscribe message.
	step(t0.Add(time.Hour))(models.AcceptOpinion(ctx, db, admin, filed[1].ID, "", t0.Add(time.Hour)))
	scan.allow(codes[serving.ID], codes[retired.ID], stCodes[e.st["西街社区代表联络站"].ID])
	// The item sent by 张海明's code to his station (the deputy home) is
	// returned by its head and re-routed; the office queue's item goes to a
	// station the admin chose.
	home := e.staff["俞文华"].ID
	step(t0.Add(3 * time.Hour))(models.ReturnOpinion(ctx, db, home, filed[0].ID, models.ReturnInput{Reason: "该问题属于东门社区"}, e.world, t0.Add(3*time.Hour), opLoc, e.cal))
	office := filed[len(filed)-2]
	step(t0.Add(4 * time.Hour))(models.ReturnOpinion(ctx, db, admin, office.ID, models.ReturnInput{Reason: "经核实属东门社区", ToStationID: e.st["东门社区代表联络站"].ID}, e.world, t0.Add(4*time.Hour), opLoc, e.cal))
	for _, at := range []time.Time{t0.Add(5 * 24 * time.Hour), t0.Add(30 * 24 * time.Hour)} {
		evs, err := models.CollectOverdue(ctx, db, e.cal, opLoc, at)
		notify(at, evs, err)
	}
	// A calendar edit moves open deadlines.
	must(models.SetHoliday(ctx, db, models.Actor{Kind: "staff", ID: admin}, models.Holiday{Date: "2026-03-04", Kind: models.HolidayOff, Name: "临时放假"}, t0))
	cal, err := models.LoadCalendar(ctx, db)
	must(err)
	_, err = models.RecomputeOpenDeadlines(ctx, db, cal, opLoc, t0.Add(time.Hour))
	must(err)

	// 3. Booking: fill a slot, wait, cancel to promote, move; remind; roster; close the day.
	must(models.LoadDemoReception(ctx, db, t0, opLoc))
	dongmen := e.st["东门社区代表联络站"]
	var day models.ReceptionDay
	must(db.Where("station_id = ? AND date = ?", dongmen.ID, "2026-03-10").First(&day).Error)
	var slots []models.Slot
	must(db.Where("day_id = ?", day.ID).Order("seq").Find(&slots).Error)
	bookAt := t0.Add(time.Hour)
	var bookers []uint64
	for i := range slots[0].Capacity + 1 {
		openid := fmt.Sprintf("mpBooker%d", i)
		v := models.Voter{MPOpenID: &openid}
		must(db.Create(&v).Error)
		for range 3 {
			must(models.GrantConsents(ctx, db, openid, []string{"tplBooking", "tplRemind"}, bookAt))
		}
		bookers = append(bookers, v.ID)
	}
	var bookings []models.Booking
	bookOp := func(voter uint64, openid string, f func(tx *gorm.DB) (models.Booking, models.BookingEvents, error)) models.Booking {
		t.Helper()
		var b models.Booking
		must(db.Transaction(func(tx *gorm.DB) error {
			n := models.NewBookingNotices(cfg, voter, openid)
			var evs models.BookingEvents
			var err error
			if b, evs, err = f(tx); err != nil {
				return err
			}
			return models.NotifyBooking(ctx, tx, n, b, evs, bookAt)
		}))
		return b
	}
	for i, v := range bookers {
		b := bookOp(v, fmt.Sprintf("mpBooker%d", i), func(tx *gorm.DB) (models.Booking, models.BookingEvents, error) {
			return models.BookSlot(ctx, tx, v, slots[0].ID, "小区路灯不亮", bookAt)
		})
		bookings = append(bookings, b)
	}
	if last := bookings[len(bookings)-1]; last.Status != models.BookingWaitlisted {
		t.Fatalf("last booking %+v, want waitlisted", last)
	}
	bookOp(bookers[0], "mpBooker0", func(tx *gorm.DB) (models.Booking, models.BookingEvents, error) {
		return models.CancelBooking(ctx, tx, bookers[0], bookings[0].ID, bookAt)
	})
	bookOp(bookers[1], "mpBooker1", func(tx *gorm.DB) (models.Booking, models.BookingEvents, error) {
		return models.MoveBooking(ctx, tx, bookers[1], bookings[1].ID, slots[1].ID, bookAt)
	})
	for _, b := range bookings {
		var got models.Booking
		must(db.First(&got, b.ID).Error)
		scan.allow(got.CheckinCode)
	}
	_, err = models.NotifyStaffRoster(ctx, db, cfg, "2026-03-10", opAt(2026, 3, 9, 17, 0))
	must(err)
	_, err = models.NotifyReceptionReminders(ctx, db, cfg, "2026-03-10", opAt(2026, 3, 9, 18, 0))
	must(err)
	_, err = models.CloseReceptionDay(ctx, db, day.ID, opAt(2026, 3, 10, 23, 0))
	must(err)
	_, err = models.NotifyStuckDigest(ctx, db, cfg, "2026-03-11", []models.StuckCount{{StationID: dongmen.ID, Dead: 1, Overdue: 2}}, opAt(2026, 3, 11, 8, 0))
	must(err)

	// 4. Staff: an invite, a console account and a wrong password.
	_, err = models.CreateStaffInvite(ctx, db, models.Staff{Name: "何晓芸", Role: models.RoleClerk}, dongmen.ID, 72*time.Hour, t0)
	must(err)
	_, err = models.CreateConsoleUser(ctx, db, "hexiaoyun", "Qingxi-2026-pass", "何晓芸", models.RoleClerk, []uint64{dongmen.ID}, t0)
	must(err)
	scan.allow("hexiaoyun")
	_, err = models.AuthenticateStaff(ctx, db, "hexiaoyun", "wrong-password", t0)
	scan.addErr("wrong password", err)

	// 5. Error messages people read.
	_, _, _, err = models.RateOpinion(ctx, db, e.voters[0], op.ID, "both", models.ScoreSatisfied, "", t0, opLoc, e.cal)
	scan.addErr("rate stage", err)
	_, _, err = models.FileOpinion(ctx, db, models.FileInput{VoterID: e.voters[0], Category: "shenghuo",
		Content: "东门菜市场门口的路灯坏了一个多月。", IdempotencyKey: "键 1"}, e.world, t0, opLoc, e.cal)
	scan.addErr("idempotency key", err)
	scan.addErr("holiday date", models.SetHoliday(ctx, db, models.SystemActor, models.Holiday{Date: "3月4日", Kind: models.HolidayOff}, t0))
	scan.addErr("holiday kind", models.SetHoliday(ctx, db, models.SystemActor, models.Holiday{Date: "2026-03-04", Kind: "rest"}, t0))
	_, err = models.CreateStaffInvite(ctx, db, models.Staff{Name: "某人", Role: models.RoleAdmin}, dongmen.ID, time.Hour, t0)
	scan.addErr("invite role", err)
	r := models.DefaultReceptionRule(dongmen.ID)
	r.StartTime = "9点"
	_, err = models.SetReceptionRule(ctx, db, models.SystemActor, r, t0)
	scan.addErr("rule start", err)

	// Everything the flows wrote: timeline, route reasons, audit notes, notices.
	var steps []models.OpinionTimelineEntry
	must(db.Order("id").Find(&steps).Error)
	for _, s := range steps {
		scan.add(fmt.Sprintf("timeline %d (%s)", s.ID, s.Kind), s.Text)
		scan.add(fmt.Sprintf("timeline %d detail", s.ID), s.Detail)
	}
	var ops []models.Opinion
	must(db.Order("id").Find(&ops).Error)
	for _, o := range ops {
		scan.allow(o.TrackingNo)
		scan.add(fmt.Sprintf("route reason of %s (%s)", o.TrackingNo, o.RouteRule), o.RouteReason)
		rules[o.RouteRule] = true
	}
	for _, rule := range []string{models.RuleCodeDeputy, models.RuleCodeRetiredDeputy, models.RuleCodeStation,
		models.RuleCategory, models.RuleChosenStation, models.RuleCommunity, models.RuleNearest, models.RuleOffice,
		models.RuleStaffReassign} {
		if !rules[rule] {
			t.Errorf("no opinion was routed by %s", rule)
		}
	}
	var audit []models.AuditLog
	must(db.Where("action NOT LIKE ?", "demo.%").Order("id").Find(&audit).Error)
	for _, a := range audit {
		scan.add(fmt.Sprintf("audit %d %s", a.ID, a.Action), a.Note)
	}
	var rows []models.Notification
	must(db.Order("id").Find(&rows).Error)
	kinds := map[string]int{}
	for _, n := range rows {
		kinds[n.TemplateID]++
		f, err := n.Data()
		must(err)
		for k, v := range f {
			scan.add(fmt.Sprintf("notice %s (%s) %s", n.DedupeKey, n.TemplateID, k), v)
		}
	}
	for _, tpl := range []string{"tplBooking", "tplRemind", "tplRoster", "tplStaff", "tplResult", "tplVoterOA", "tplAlert"} {
		if kinds[tpl] == 0 {
			t.Errorf("no notice of template %s was queued (%v)", tpl, kinds)
		}
	}
	scan.check()
}

// TestDemoCountyConsistent: a street (街道) elects no township congress, so
// no township deputy serves at a street's stations; the category voters
// raise daily-life problems under is 生活服务, not 民生实事 (the yearly
// livelihood-project vote), and its former code still files.
func TestDemoCountyConsistent(t *testing.T) {
	e := newOpEnv(t)
	var deps []models.Deputy
	if err := e.db.Find(&deps).Error; err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]models.Station{}
	for _, s := range e.st {
		byID[s.ID] = s
	}
	for _, d := range deps {
		st := byID[d.StationID]
		if strings.HasSuffix(st.District, "街道") && d.Level == models.LevelTownship {
			t.Errorf("%s is a township deputy at %s in the street %s", d.Name, st.Name, st.District)
		}
		if !strings.HasSuffix(st.District, "镇") && !strings.HasSuffix(st.District, "乡") && !strings.HasSuffix(st.District, "街道") {
			t.Errorf("%s: district %q is neither a town nor a street", st.Name, st.District)
		}
	}
	for _, s := range e.st {
		if !strings.Contains(s.OpenHours, "每月10日") {
			t.Errorf("%s does not keep the 10th as reception day: %q", s.Name, s.OpenHours)
		}
	}
	for code, c := range e.cat {
		if strings.Contains(c.Name, "民生实事") {
			t.Errorf("category %s is called %s, the name of the livelihood-project vote", code, c.Name)
		}
	}
	if c, ok := e.cat[models.DemoCategoryShenghuo]; !ok || c.Name != "生活服务" {
		t.Errorf("category %s = %+v, want 生活服务", models.DemoCategoryShenghuo, c)
	}
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID, Category: "minsheng"}, opMonday)
	if op.CategoryID != e.cat[models.DemoCategoryShenghuo].ID {
		t.Errorf("filed under the former code: category %d, want %d", op.CategoryID, e.cat[models.DemoCategoryShenghuo].ID)
	}
}

// An existing demo database from before the fixes: the category keeps its
// row under the new code and name, a street's township deputies become
// county deputies, and a second load changes nothing.
func TestLoadDemoCorrectsOldDemo(t *testing.T) {
	e := newOpEnv(t)
	db := e.db
	cat := e.cat[models.DemoCategoryShenghuo]
	if err := db.Model(&models.Category{}).Where("id = ?", cat.ID).
		Updates(map[string]any{"code": "minsheng", "name": "民生实事"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Deputy{}).Where("name = ?", "程晓东").
		Updates(map[string]any{"level": models.LevelTownship, "deputy_group": "东溪街道第一代表小组", "term": "第十九届"}).Error; err != nil {
		t.Fatal(err)
	}
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID, Category: "minsheng"}, opMonday)
	if _, err := models.LoadDemo(e.ctx, db); err != nil {
		t.Fatal(err)
	}
	var got models.Category
	if err := db.First(&got, cat.ID).Error; err != nil || got.Code != models.DemoCategoryShenghuo || got.Name != "生活服务" {
		t.Errorf("category after reload %+v %v", got, err)
	}
	var n int64
	db.Model(&models.Category{}).Count(&n)
	if n != int64(len(e.cat)) {
		t.Errorf("%d categories after reload, want %d", n, len(e.cat))
	}
	var again models.Opinion
	if err := db.First(&again, op.ID).Error; err != nil || again.CategoryID != cat.ID {
		t.Errorf("opinion lost its category: %+v %v", again, err)
	}
	var d models.Deputy
	if err := db.Where("name = ?", "程晓东").First(&d).Error; err != nil || d.Level != models.LevelCounty || d.Group != "东溪街道代表小组" || d.Term != "第十八届" {
		t.Errorf("street deputy after reload %+v %v", d, err)
	}
	var audits int64
	db.Model(&models.AuditLog{}).Where("action = ?", "demo.load").Count(&audits)
	stats, err := models.LoadDemo(e.ctx, db)
	if err != nil || stats.Created() != 0 {
		t.Fatalf("third load: %+v %v", stats, err)
	}
	var audits2 int64
	db.Model(&models.AuditLog{}).Where("action = ?", "demo.load").Count(&audits2)
	if audits2 != audits {
		t.Errorf("a load with nothing to do wrote an audit row (%d → %d)", audits, audits2)
	}
}
