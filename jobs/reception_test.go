package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"deputylink/config"
	"deputylink/models"
)

var recCST = time.FixedZone("CST", 8*3600)

func recAt(m time.Month, d, hh, mm int) time.Time { return time.Date(2026, m, d, hh, mm, 0, 0, recCST) }

// recEnv is a station receiving on 10 Dec 2026 (booking open from 26 Oct
// to 9 Dec 18:00), its deputies and staff, and voters with bookings.
type recEnv struct {
	*env
	t       *testing.T
	station models.Station
	slots   []models.Slot
	voters  []models.Voter
	opt     Options
}

const recDate = "2026-12-10"

func newRecEnv(t *testing.T) *recEnv {
	t.Helper()
	e := &recEnv{env: newEnv(t), t: t}
	ctx := context.Background()
	e.station = models.Station{Kind: models.KindStation, Name: "城关镇人大代表之家暨基层立法联系点和代表履职服务中心",
		Address: "城关镇人民路100号", District: "城关镇"}
	e.must(e.db.Create(&e.station).Error)
	other := models.Station{Kind: models.KindStation, Name: "河西村代表联络站", Address: "河西村", District: "河西"}
	e.must(e.db.Create(&other).Error)
	for _, name := range []string{"张秀兰", "李建国"} {
		e.must(e.db.Create(&models.Deputy{Name: name, Level: models.LevelCounty, StationID: e.station.ID,
			Status: models.DeputyActive}).Error)
	}
	str := func(s string) *string { return &s }
	staff := []models.Staff{
		{Name: "联络员甲", Role: models.RoleClerk, OAOpenID: str("oStaffA"), Active: true, Stations: []models.Station{e.station}},
		{Name: "站长乙", Role: models.RoleHead, OAOpenID: str("oStaffB"), Active: true, Stations: []models.Station{e.station, other}},
		{Name: "未绑定", Role: models.RoleClerk, Active: true, Stations: []models.Station{e.station}},
		{Name: "别站", Role: models.RoleClerk, OAOpenID: str("oStaffOther"), Active: true, Stations: []models.Station{other}},
		{Name: "离任", Role: models.RoleClerk, OAOpenID: str("oStaffGone"), Active: true, Stations: []models.Station{e.station}},
	}
	for i := range staff {
		e.must(e.db.Create(&staff[i]).Error)
	}
	e.must(e.db.Model(&staff[4]).Update("active", false).Error)

	r := models.DefaultReceptionRule(e.station.ID)
	r.OpensDaysBefore, r.SeatsPerSlot, r.WalkInSeats, r.WaitlistMax = 45, 2, 0, 5
	_, err := models.SetReceptionRule(ctx, e.db, models.SystemActor, r, recAt(11, 24, 9, 0))
	e.must(err)
	e.opt = Options{Location: recCST, Reception: config.NotifyTemplates{
		ReceptionReminder: config.TemplateSpec{ID: "tplRemind", Fields: map[string]string{
			"station": "thing1", "time": "time2", "code": "character_string3", "address": "thing4", "deputies": "thing5", "note": "thing6"}},
		StaffRoster: config.TemplateSpec{ID: "tplRoster", Fields: map[string]string{
			"title": "first", "station": "keyword1", "date": "keyword2", "deputies": "keyword3", "summary": "keyword4", "slots": "remark"}},
	}}
	n, err := GenerateReceptionDays(ctx, e.deps(t, e.opt), recAt(11, 24, 9, 0))
	e.must(err)
	if n != 2 { // Dec 10, Jan 11 (the 10th is a Sunday); November's day is past
		t.Fatalf("generated %d days, want 2", n)
	}
	e.must(e.db.Joins("JOIN reception_days d ON d.id = slots.day_id").Where("d.station_id = ? AND d.date = ?", e.station.ID, recDate).
		Order("slots.seq").Find(&e.slots).Error)
	return e
}

func (e *recEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// book makes a voter (with n reminder consents) book a slot.
func (e *recEnv) book(slot int, consents int) models.Booking {
	e.t.Helper()
	openid := fmt.Sprintf("oVoter%d", len(e.voters)+1)
	v, err := models.UpsertMPVoter(context.Background(), e.db, openid, "")
	e.must(err)
	e.voters = append(e.voters, v)
	for range consents {
		e.must(models.GrantConsents(context.Background(), e.db, openid, []string{"tplRemind"}, recAt(11, 25, 9, 0)))
	}
	b, _, err := models.BookSlot(context.Background(), e.db, v.ID, e.slots[slot].ID, "", recAt(11, 25, 10, 0))
	e.must(err)
	return b
}

func (e *recEnv) rows(prefix string) []models.Notification {
	e.t.Helper()
	var rows []models.Notification
	e.must(e.db.Where("dedupe_key LIKE ?", prefix+"%").Order("id").Find(&rows).Error)
	return rows
}

func TestReceptionReminders(t *testing.T) {
	e := newRecEnv(t)
	ctx := context.Background()
	seated := e.book(0, 1)
	noConsent := e.book(0, 0)
	waitlisted := e.book(0, 1) // slot 0 has 2 seats
	later := e.book(1, 2)
	if waitlisted.Status != models.BookingWaitlisted {
		t.Fatalf("third booking %s", waitlisted.Status)
	}
	d := e.deps(t, e.opt)

	// The evening before: confirmed bookings with a consent left.
	n, err := ReceptionReminders(ctx, d, recAt(12, 9, 18, 0))
	if err != nil || n != 2 {
		t.Fatalf("reminders = %d, %v; want 2", n, err)
	}
	rows := e.rows("remind:")
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.DedupeKey)
	}
	if want := []string{fmt.Sprint("remind:", seated.ID), fmt.Sprint("remind:", later.ID)}; !slices.Equal(keys, want) {
		t.Fatalf("reminded %v, want %v (not %d without consent, not %d waitlisted)", keys, want, noConsent.ID, waitlisted.ID)
	}
	r := rows[0]
	f, _ := r.Data()
	want := map[string]string{"thing1": "城关镇人大代表之家暨基层立法联系点和代…", "time2": "2026年12月10日 09:00~09:30",
		"character_string3": seated.CheckinCode, "thing4": "城关镇人民路100号", "thing5": "张秀兰、李建国", "thing6": "明天请准时到场，凭签到码签到"}
	if r.Channel != models.ChannelSubscribe || r.ToUser != "oVoter1" || r.TemplateID != "tplRemind" ||
		r.URL != fmt.Sprintf("pages/booking/detail?id=%d", seated.ID) || fmt.Sprint(f) != fmt.Sprint(want) {
		t.Errorf("reminder = %+v\nfields %v\nwant   %v", r, f, want)
	}
	// A second run (another replica, a retry) queues nothing more.
	if n, err := ReceptionReminders(ctx, d, recAt(12, 9, 18, 30)); err != nil || n != 0 {
		t.Errorf("second run = %d, %v", n, err)
	}
	// The dispatcher delivers them; the fake checks every keyword's rules.
	e.fake.GrantConsent("oVoter1", "tplRemind", 1)
	e.fake.GrantConsent("oVoter4", "tplRemind", 1)
	if n, err := Dispatch(ctx, d, recAt(12, 9, 18, 1)); err != nil || n != 2 {
		t.Fatalf("dispatch = %d, %v", n, err)
	}
	if got := statusCounts(t, e.db); got[models.NotifySent] != 2 {
		t.Errorf("statuses after dispatch: %v (calls %+v)", got, e.fake.Calls(subscribePath))
	}
}

func TestReceptionRemindersLateRunSkipsStartedSlots(t *testing.T) {
	e := newRecEnv(t)
	early, late := e.book(0, 1), e.book(1, 1)
	// The process was down at 18:00 and starts at 09:10 on the day: the
	// 18:00 period has not run, and it is about today's reception.
	n, err := ReceptionReminders(context.Background(), e.deps(t, e.opt), recAt(12, 10, 9, 10))
	if err != nil || n != 1 {
		t.Fatalf("late run = %d, %v", n, err)
	}
	if rows := e.rows("remind:"); len(rows) != 1 || rows[0].DedupeKey != fmt.Sprint("remind:", late.ID) {
		t.Errorf("late run reminded %+v; booking %d's slot had begun", rows, early.ID)
	}
	// Unconfigured: nothing.
	e.opt.Reception.ReceptionReminder = config.TemplateSpec{}
	if n, err := ReceptionReminders(context.Background(), e.deps(t, e.opt), recAt(12, 9, 18, 0)); n != 0 || err != nil {
		t.Errorf("unconfigured = %d, %v", n, err)
	}
}

func TestStaffRoster(t *testing.T) {
	e := newRecEnv(t)
	ctx := context.Background()
	e.book(0, 0)
	e.book(0, 0)
	e.book(0, 0) // waitlisted
	e.book(2, 0)
	e.opt.Opinion.PublicURL = "https://rd.example.gov.cn/"
	d := e.deps(t, e.opt)
	n, err := StaffRoster(ctx, d, recAt(12, 9, 17, 0))
	if err != nil || n != 2 {
		t.Fatalf("rosters = %d, %v; want 2 (bound, active staff of the station)", n, err)
	}
	rows := e.rows("roster:")
	var to []string
	for _, r := range rows {
		to = append(to, r.ToUser)
		if r.Channel != models.ChannelTemplate || r.TemplateID != "tplRoster" || r.StationID == nil || *r.StationID != e.station.ID {
			t.Errorf("roster row %+v", r)
		}
		// The clerk taps the roster to open the day's desk.
		var day models.ReceptionDay
		e.must(e.db.Where("station_id = ? AND date = ?", e.station.ID, "2026-12-10").First(&day).Error)
		if want := fmt.Sprintf("https://rd.example.gov.cn/console/desk/%d", day.ID); r.URL != want {
			t.Errorf("roster link %q, want %q", r.URL, want)
		}
	}
	if fmt.Sprint(to) != "[oStaffA oStaffB]" {
		t.Errorf("rosters to %v", to)
	}
	f, _ := rows[0].Data()
	want := map[string]string{"first": "明日接待安排", "keyword1": "城关镇人大代表之家暨基层立法联系点和代…", "keyword2": "2026年12月10日",
		"keyword3": "张秀兰、李建国", "keyword4": "已约3人，候补1人", "remark": "09:00 2人 09:30 0人…"}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Errorf("fields %v\nwant   %v", f, want)
	}
	for k, v := range f {
		if utf8.RuneCountInString(v) > 20 {
			t.Errorf("%s = %q is over 20 characters", k, v)
		}
	}
	if !strings.HasPrefix(rows[0].DedupeKey, "roster:") {
		t.Errorf("dedupe key %q", rows[0].DedupeKey)
	}
	if n, err := StaffRoster(ctx, d, recAt(12, 9, 17, 30)); err != nil || n != 0 {
		t.Errorf("second run = %d, %v", n, err)
	}
	if n, err := Dispatch(ctx, d, recAt(12, 9, 17, 1)); err != nil || n != 2 || len(e.fake.Templates()) != 2 {
		t.Errorf("dispatch = %d, %v; delivered %d", n, err, len(e.fake.Templates()))
	}
	// Unconfigured: nothing.
	e.opt.Reception.StaffRoster = config.TemplateSpec{}
	if n, err := StaffRoster(ctx, e.deps(t, e.opt), recAt(12, 9, 17, 0)); n != 0 || err != nil {
		t.Errorf("unconfigured = %d, %v", n, err)
	}
}

func TestReceptionDayJobs(t *testing.T) {
	e := newRecEnv(t)
	ctx := context.Background()
	d := e.deps(t, e.opt)
	if n, err := GenerateReceptionDays(ctx, d, recAt(11, 25, 2, 0)); err != nil || n != 0 {
		t.Errorf("second generation = %d, %v; want 0 (idempotent)", n, err)
	}
	b := e.book(0, 0)
	// A rule change reaches the days without bookings; the booked day is a
	// logged conflict, not an error.
	r, err := models.GetReceptionRule(ctx, e.db, e.station.ID)
	e.must(err)
	r.StartTime = "14:00"
	r.EndTime = "16:00"
	_, err = models.SetReceptionRule(ctx, e.db, models.SystemActor, r, recAt(11, 26, 9, 0))
	e.must(err)
	if n, err := GenerateReceptionDays(ctx, d, recAt(11, 26, 2, 0)); err != nil || n != 1 {
		t.Errorf("after a rule change = %d, %v; want 1 (January regenerated, December kept)", n, err)
	}
	// The night after the day: closed, the unchecked booking a no-show.
	if n, err := CloseReceptionDays(ctx, d, recAt(12, 11, 1, 0)); err != nil || n != 1 {
		t.Errorf("close = %d, %v; want 1", n, err)
	}
	var got models.Booking
	e.must(e.db.First(&got, b.ID).Error)
	if got.Status != models.BookingNoShow {
		t.Errorf("booking after close: %s", got.Status)
	}
	if n, err := CloseReceptionDays(ctx, d, recAt(12, 11, 1, 5)); err != nil || n != 0 {
		t.Errorf("second close = %d, %v", n, err)
	}
}

func TestReceptionJobsScheduled(t *testing.T) {
	all := All(Options{Location: recCST})
	want := map[string]int{JobReceptionDays: 2, JobCloseReceptionDays: 1, JobReceptionReminders: 18, JobStaffRoster: 17}
	now := recAt(12, 9, 17, 30)
	for _, j := range all {
		hour, ok := want[j.Name]
		if !ok {
			continue
		}
		delete(want, j.Name)
		if j.Every != 24*time.Hour || j.Concurrent || j.slot == nil {
			t.Errorf("%s: every %v concurrent %v", j.Name, j.Every, j.Concurrent)
			continue
		}
		s := j.slot(now).In(recCST)
		if s.Hour() != hour || s.After(now) || now.Sub(s) >= 24*time.Hour {
			t.Errorf("%s: slot %v at %v", j.Name, s, now)
		}
	}
	if len(want) > 0 {
		t.Errorf("jobs missing from All: %v", want)
	}
	// The reminder run of the 18:00 period is about the next day, even when
	// it runs after midnight.
	if got := receptionDate(recAt(12, 10, 0, 30), ReminderHour, recCST); got != recDate {
		t.Errorf("reception date of a late run = %s", got)
	}
}
