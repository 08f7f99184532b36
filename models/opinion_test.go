package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// opLoc is the county's time zone in these tests.
var opLoc = time.FixedZone("CST", 8*3600)

// opAt is a local time in opLoc.
func opAt(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, opLoc)
}

// opMonday is an ordinary working Monday, far from holidays.
var opMonday = opAt(2026, 3, 2, 9, 0)

// opEnv is a demo county with the official calendar, ready for opinions.
type opEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *gorm.DB
	cal   *models.Calendar
	world models.RouteWorld
	// stations, staff, categories, departments and communities by name (code for categories).
	st    map[string]models.Station
	staff map[string]models.Staff
	cat   map[string]models.Category
	dept  map[string]models.Department
	comm  map[string]models.Community
	// voters are three voters with ids in voters[0..2].
	voters []uint64
}

func newOpEnv(t *testing.T) *opEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	e := &opEnv{t: t, ctx: ctx, db: db, cal: models.NewCalendar(models.OfficialHolidays()),
		st: map[string]models.Station{}, staff: map[string]models.Staff{}, cat: map[string]models.Category{},
		dept: map[string]models.Department{}, comm: map[string]models.Community{}}
	var sts []models.Station
	var staff []models.Staff
	var cats []models.Category
	var depts []models.Department
	var comms []models.Community
	for _, q := range []any{&sts, &staff, &cats, &depts, &comms} {
		if err := db.Find(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sts {
		e.st[s.Name] = s
	}
	for _, s := range staff {
		e.staff[s.Name] = s
	}
	for _, c := range cats {
		e.cat[c.Code] = c
	}
	for _, d := range depts {
		e.dept[d.Name] = d
	}
	for _, c := range comms {
		e.comm[c.Name] = c
	}
	var err error
	if e.world, err = models.LoadRouteWorld(ctx, db); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		v := models.Voter{}
		if err := db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		e.voters = append(e.voters, v.ID)
	}
	return e
}

// bind gives staff members an official-account openid.
func (e *opEnv) bind(names ...string) {
	e.t.Helper()
	for _, n := range names {
		s, ok := e.staff[n]
		if !ok {
			e.t.Fatalf("no staff %s", n)
		}
		if err := e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", "oa-"+n).Error; err != nil {
			e.t.Fatal(err)
		}
	}
}

// file files an opinion and fails the test on error.
func (e *opEnv) file(in models.FileInput, now time.Time) (models.Opinion, []models.OpinionEvent) {
	e.t.Helper()
	if in.VoterID == 0 {
		in.VoterID = e.voters[0]
	}
	if in.Category == "" {
		in.Category = "shenghuo"
	}
	if in.Content == "" {
		in.Content = "东门菜市场门口的路灯坏了一个多月，晚上很不安全。"
	}
	op, evs, err := models.FileOpinion(e.ctx, e.db, in, e.world, now, opLoc, e.cal)
	if err != nil {
		e.t.Fatalf("FileOpinion: %v", err)
	}
	return op, evs
}

// trail lists the audit actions of an opinion.
func (e *opEnv) trail(id uint64) []string {
	e.t.Helper()
	rows, err := models.AuditTrail(e.ctx, e.db, "opinion", id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Action)
	}
	return out
}

// opCode is the machine code of a CodedError or the field of a ValidationError.
func opCode(err error) string {
	var ce *models.CodedError
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ce):
		return ce.Code
	case errors.As(err, &ve):
		return "invalid_" + ve.Field
	case err == nil:
		return ""
	}
	return err.Error()
}

func staffIDs(rs []models.StaffRecipient) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestFileOpinionByDeputyCode(t *testing.T) {
	e := newOpEnv(t)
	e.bind("柴晓丽") // the clerk of 城关镇人大代表之家; its head 俞文华 is not bound
	deputyCode, _ := models.DemoSampleCodes()
	home := e.st["城关镇人大代表之家"]

	op, evs := e.file(models.FileInput{Code: deputyCode, IdempotencyKey: "k-1"}, opMonday)
	if op.StationID != home.ID || op.RouteRule != models.RuleCodeDeputy || op.DeputyID == nil {
		t.Fatalf("routed to %d by %s (deputy %v)", op.StationID, op.RouteRule, op.DeputyID)
	}
	if !strings.Contains(op.RouteReason, "沈国良") {
		t.Errorf("reason %q does not name the deputy", op.RouteReason)
	}
	if op.TrackingNo != "YJ20260302-0001" || op.Status != models.OpinionSubmitted || op.Round != 1 {
		t.Fatalf("tracking %s status %s round %d", op.TrackingNo, op.Status, op.Round)
	}
	// No contact row: the handler is the station's head.
	if op.HandlerStaffID == nil || *op.HandlerStaffID != e.staff["俞文华"].ID {
		t.Fatalf("handler = %v, want the head", op.HandlerStaffID)
	}
	// The unbound head cannot be told: the station's bound clerk is.
	if len(evs) != 1 || evs[0].Kind != models.EventNewItem || evs[0].Via != models.ViaStation ||
		!slices.Equal(staffIDs(evs[0].Staff), []uint64{e.staff["柴晓丽"].ID}) || evs[0].Staff[0].OpenID != "oa-柴晓丽" {
		t.Fatalf("events = %+v", evs)
	}
	if evs[0].TrackingNo != op.TrackingNo || evs[0].DedupeKey == "" || !evs[0].DueAt.Equal(op.AcceptDueAt) {
		t.Errorf("event fields: %+v", evs[0])
	}
	op2, _ := e.file(models.FileInput{Code: deputyCode}, opMonday.Add(time.Minute))
	if op2.TrackingNo != "YJ20260302-0002" {
		t.Errorf("second number %s", op2.TrackingNo)
	}
	if got := e.trail(op.ID); !slices.Equal(got, []string{"opinion.file"}) {
		t.Errorf("audit %v", got)
	}
	v, err := models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	if err != nil {
		t.Fatal(err)
	}
	if v.Station.Name != home.Name || v.Category != "shenghuo" || len(v.Timeline) != 1 || v.Timeline[0].Kind != "submitted" ||
		v.TrackingNo != op.TrackingNo || v.CreatedAt.Location() != opLoc {
		t.Fatalf("voter view %+v", v)
	}
}

func TestFileOpinionValidation(t *testing.T) {
	e := newOpEnv(t)
	lat, badLat, lng := 30.27, 91.0, 120.15
	ten := "一二三四五六七八九十"
	cases := []struct {
		name string
		in   models.FileInput
		code string
		kind error
	}{
		{"nine characters", models.FileInput{Content: "  一二三四五六七八九  "}, "invalid_content", models.ErrInvalid},
		{"2001 characters", models.FileInput{Content: strings.Repeat("字", 2001)}, "invalid_content", models.ErrInvalid},
		{"unknown category", models.FileInput{Category: "nope"}, "invalid_category", models.ErrInvalid},
		{"lat without lng", models.FileInput{Lat: &lat}, "invalid_lat", models.ErrInvalid},
		{"latitude out of range", models.FileInput{Lat: &badLat, Lng: &lng}, "invalid_lat", models.ErrInvalid},
		{"unknown station", models.FileInput{StationID: 99999}, "invalid_station_id", models.ErrInvalid},
		{"unknown community", models.FileInput{CommunityID: 99999}, "invalid_community_id", models.ErrInvalid},
		{"unknown voter", models.FileInput{VoterID: 99999}, "voter_not_found", models.ErrNotFound},
		{"four photos", models.FileInput{Photos: make([]models.PhotoInput, 4)}, "invalid_photos", models.ErrInvalid},
		{"photo path escapes", models.FileInput{Photos: []models.PhotoInput{{Path: "../etc/passwd"}}}, "invalid_photos", models.ErrInvalid},
		{"long idempotency key", models.FileInput{IdempotencyKey: strings.Repeat("k", 65)}, "invalid_idempotency_key", models.ErrInvalid},
		{"unknown source", models.FileInput{Source: "fax"}, "invalid_source", models.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.VoterID == 0 {
				in.VoterID = e.voters[0]
			}
			if in.Category == "" {
				in.Category = "shenghuo"
			}
			if in.Content == "" {
				in.Content = ten
			}
			_, _, err := models.FileOpinion(e.ctx, e.db, in, e.world, opMonday, opLoc, e.cal)
			if opCode(err) != c.code || !errors.Is(err, c.kind) {
				t.Fatalf("err = %v (%s), want %s", err, opCode(err), c.code)
			}
		})
	}
	var n int64
	e.db.Model(&models.Opinion{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d opinions stored by invalid filings", n)
	}
	// Exactly 10 and 2,000 characters (after trimming) are fine.
	for _, content := range []string{"\n " + ten + " \t", strings.Repeat("字", 2000)} {
		op, _ := e.file(models.FileInput{Content: content, Photos: []models.PhotoInput{{Path: "uploads/a.jpg", SHA256: strings.Repeat("ab", 32)}}}, opMonday)
		if op.Content != strings.TrimSpace(content) {
			t.Errorf("content not trimmed: %q", op.Content)
		}
	}
}

func TestFileOpinionIdempotency(t *testing.T) {
	e := newOpEnv(t)
	e.bind("章佳怡")
	in := models.FileInput{VoterID: e.voters[0], CommunityID: e.comm["东门社区"].ID, IdempotencyKey: "req-42",
		Category: "shenghuo", Content: "东门菜市场门口的路灯坏了一个多月，晚上很不安全。"}
	first, evs := e.file(in, opMonday)
	if len(evs) != 1 || first.Replayed {
		t.Fatalf("first filing: events %d replayed %v", len(evs), first.Replayed)
	}
	again, evs2 := e.file(in, opMonday.Add(time.Second))
	if again.ID != first.ID || again.TrackingNo != first.TrackingNo || !again.Replayed || len(evs2) != 0 {
		t.Fatalf("replay: id %d/%d no %s/%s replayed %v events %d", again.ID, first.ID, again.TrackingNo, first.TrackingNo, again.Replayed, len(evs2))
	}
	other := in
	other.Content = "另一条完全不同的意见内容，不应复用请求标识。"
	if _, _, err := models.FileOpinion(e.ctx, e.db, other, e.world, opMonday, opLoc, e.cal); opCode(err) != "idempotency_key_reused" || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("reused key: %v", err)
	}
	// Another voter may use the same key.
	in.VoterID = e.voters[1]
	third, _ := e.file(in, opMonday)
	if third.ID == first.ID {
		t.Fatal("another voter's filing was merged")
	}
	var n int64
	e.db.Model(&models.Opinion{}).Count(&n)
	if n != 2 {
		t.Fatalf("%d opinions, want 2", n)
	}
	if got := third.TrackingNo; got != "YJ20260302-0002" {
		t.Errorf("numbering skipped: %s", got)
	}
}

// Ensure 50 voters filing at the same instant get 50 distinct numbers, the
// day's sequence 1..50 with no gaps, and one queued notification each, each
// filing and its notifications committed together.
func TestFileOpinionTrackingRace(t *testing.T) {
	e := newOpEnv(t)
	e.bind("柴晓丽")
	deputyCode, _ := models.DemoSampleCodes()
	const n = 50
	voters := make([]uint64, n)
	for i := range voters {
		v := models.Voter{}
		if err := e.db.Create(&v).Error; err != nil {
			t.Fatal(err)
		}
		voters[i] = v.ID
	}
	now := opAt(2026, 11, 23, 10, 0)
	var wg sync.WaitGroup
	nos := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = e.db.Transaction(func(tx *gorm.DB) error {
				op, evs, err := models.FileOpinion(e.ctx, tx, models.FileInput{VoterID: voters[i], Category: "jiaotong",
					Content: fmt.Sprintf("第%d位群众反映：公交站台缺少遮阳棚，夏天等车很晒。", i), Code: deputyCode,
					IdempotencyKey: fmt.Sprintf("race-%d", i)}, e.world, now, opLoc, e.cal)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					for _, s := range ev.Staff {
						_, _, err := models.Enqueue(e.ctx, tx, models.NotificationInput{Channel: models.ChannelTemplate,
							ToUser: s.OpenID, TemplateID: "tpl-new", Fields: map[string]string{"no": ev.TrackingNo},
							DedupeKey: fmt.Sprintf("%s:staff:%d", ev.DedupeKey, s.ID)}, now)
						if err != nil {
							return err
						}
					}
				}
				nos[i] = op.TrackingNo
				return nil
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("filing %d: %v", i, err)
		}
	}
	slices.Sort(nos)
	for i, no := range nos {
		if want := fmt.Sprintf("YJ20261123-%04d", i+1); no != want {
			t.Fatalf("numbers[%d] = %s, want %s (all: %v)", i, no, want, nos)
		}
	}
	var queued []models.Notification
	if err := e.db.Find(&queued).Error; err != nil {
		t.Fatal(err)
	}
	if len(queued) != n {
		t.Fatalf("%d notifications queued for %d filings", len(queued), n)
	}
	// Each carries its filing's final number, not the placeholder the row
	// had before it was numbered.
	var fields []string
	for _, q := range queued {
		var f map[string]string
		if err := json.Unmarshal([]byte(q.Fields), &f); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f["no"])
	}
	slices.Sort(fields)
	if !slices.Equal(fields, nos) {
		t.Fatalf("notified numbers %v, filed %v", fields, nos)
	}
	// The local date decides the day: 23:59 and 00:01 local are different days.
	late, _ := e.file(models.FileInput{}, opAt(2026, 11, 23, 23, 59))
	early, _ := e.file(models.FileInput{}, opAt(2026, 11, 24, 0, 1))
	if late.TrackingNo != "YJ20261123-0051" || early.TrackingNo != "YJ20261124-0001" {
		t.Fatalf("day boundary: %s, %s", late.TrackingNo, early.TrackingNo)
	}
}

// A rolled-back filing leaves no opinion, number, audit row or event behind.
func TestFileOpinionRollback(t *testing.T) {
	e := newOpEnv(t)
	boom := errors.New("enqueue failed")
	err := e.db.Transaction(func(tx *gorm.DB) error {
		if _, _, err := models.FileOpinion(e.ctx, tx, models.FileInput{VoterID: e.voters[0], Category: "shenghuo",
			Content: "小区门口的井盖松动，踩上去会响。"}, e.world, opMonday, opLoc, e.cal); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	op, _ := e.file(models.FileInput{}, opMonday)
	if op.TrackingNo != "YJ20260302-0001" {
		t.Fatalf("the rolled-back filing kept its number: %s", op.TrackingNo)
	}
	var audits int64
	e.db.Model(&models.AuditLog{}).Where("entity_kind = ?", "opinion").Count(&audits)
	if audits != 1 {
		t.Fatalf("%d audit rows", audits)
	}
}

// Deadlines across the 2026 Spring Festival (holidays 15–23 Feb, make-up
// working days Sat 14 Feb and Sat 28 Feb), computed by hand:
//
//   - filed Thu 12 Feb: accept 2 working days = 13 Feb, 14 Feb (make-up) →
//     due at the end of 14 Feb; reply 15 = 13, 14, 24, 25, 26, 27, 28 Feb,
//     2, 3, 4, 5, 6, 9, 10, 11 Mar → end of 11 Mar; 立法意见 reply 10 → end of 4 Mar.
//   - filed at 01:00 on Fri 13 Feb (still 12 Feb in UTC): the local date
//     counts, so accept = 14, 24 Feb → end of 24 Feb; reply 15 → end of 12 Mar.
func TestFileOpinionSpringFestivalDeadlines(t *testing.T) {
	e := newOpEnv(t)
	cases := []struct {
		name           string
		at             time.Time
		category       string
		accept, answer time.Time
	}{
		{"Thursday before the festival", opAt(2026, 2, 12, 10, 0), "shenghuo", opAt(2026, 2, 15, 0, 0), opAt(2026, 3, 12, 0, 0)},
		{"late Thursday evening", opAt(2026, 2, 12, 23, 59), "shenghuo", opAt(2026, 2, 15, 0, 0), opAt(2026, 3, 12, 0, 0)},
		{"lifa has 10 reply days", opAt(2026, 2, 12, 10, 0), "lifa", opAt(2026, 2, 15, 0, 0), opAt(2026, 3, 5, 0, 0)},
		{"just after local midnight", opAt(2026, 2, 13, 1, 0), "shenghuo", opAt(2026, 2, 25, 0, 0), opAt(2026, 3, 13, 0, 0)},
		{"filed on a festival day", opAt(2026, 2, 17, 11, 0), "shenghuo", opAt(2026, 2, 26, 0, 0), opAt(2026, 3, 14, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, _ := e.file(models.FileInput{Category: c.category}, c.at)
			if !op.AcceptDueAt.Equal(c.accept) || !op.ReplyDueAt.Equal(c.answer) {
				t.Fatalf("accept due %s, reply due %s; want %s, %s", op.AcceptDueAt.In(opLoc), op.ReplyDueAt.In(opLoc), c.accept, c.answer)
			}
			var stored models.Opinion
			e.db.First(&stored, op.ID)
			if !stored.AcceptDueAt.Equal(c.accept) || !stored.ReplyDueAt.Equal(c.answer) {
				t.Fatalf("stored: %s, %s", stored.AcceptDueAt, stored.ReplyDueAt)
			}
		})
	}
}

// Anonymous items hide nobody from the staff; the voter reads only their own.
func TestOpinionVisibility(t *testing.T) {
	e := newOpEnv(t)
	op, _ := e.file(models.FileInput{Anonymous: true, CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, err := models.GetVoterOpinion(e.ctx, e.db, e.voters[1], op.ID, opLoc); !errors.Is(err, models.ErrNotFound) || opCode(err) != "opinion_not_found" {
		t.Fatalf("another voter: %v", err)
	}
	v, err := models.GetVoterOpinion(e.ctx, e.db, e.voters[0], op.ID, opLoc)
	if err != nil || !v.Anonymous {
		t.Fatalf("own: %+v %v", v, err)
	}
	sv, err := models.GetStaffOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, opMonday, opLoc)
	if err != nil || sv.VoterID != e.voters[0] || !sv.Anonymous {
		t.Fatalf("staff view: %+v %v", sv, err)
	}
	if _, err := models.GetStaffOpinion(e.ctx, e.db, e.staff["严少波"].ID, op.ID, opMonday, opLoc); opCode(err) != "opinion_not_found" {
		t.Fatalf("other station's clerk: %v", err)
	}
	list, next, err := models.ListVoterOpinions(e.ctx, e.db, e.voters[0], 0, 10, opLoc)
	if err != nil || len(list) != 1 || next != 0 || list[0].ID != op.ID {
		t.Fatalf("list: %+v %d %v", list, next, err)
	}
	if list, _, _ := models.ListVoterOpinions(e.ctx, e.db, e.voters[1], 0, 10, opLoc); len(list) != 0 {
		t.Fatalf("another voter lists %d items", len(list))
	}
}

// Paging through the staff list with the cursor returns each item once.
func TestListStaffOpinions(t *testing.T) {
	e := newOpEnv(t)
	dongmen := e.comm["东门社区"].ID
	for i := range 5 {
		cat := "shenghuo"
		if i%2 == 1 {
			cat = "jiaotong"
		}
		e.file(models.FileInput{CommunityID: dongmen, Category: cat}, opMonday.Add(time.Duration(i)*time.Minute))
	}
	e.file(models.FileInput{CommunityID: e.comm["西街社区"].ID}, opMonday)
	e.file(models.FileInput{}, opMonday) // the office queue
	clerk := e.staff["章佳怡"].ID
	var seen []uint64
	var cursor uint64
	for {
		items, next, err := models.ListStaffOpinions(e.ctx, e.db, clerk, models.StaffQuery{BeforeID: cursor, Limit: 2}, opMonday, opLoc)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			seen = append(seen, it.ID)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if len(seen) != 5 {
		t.Fatalf("clerk saw %d items: %v", len(seen), seen)
	}
	items, _, err := models.ListStaffOpinions(e.ctx, e.db, clerk, models.StaffQuery{Category: "jiaotong"}, opMonday, opLoc)
	if err != nil || len(items) != 2 {
		t.Fatalf("category filter: %d %v", len(items), err)
	}
	items, _, _ = models.ListStaffOpinions(e.ctx, e.db, clerk, models.StaffQuery{Overdue: true}, opMonday.AddDate(0, 0, 3), opLoc)
	if len(items) != 5 || !items[0].OverdueAccept {
		t.Fatalf("overdue filter: %d", len(items))
	}
	admin := e.staff["项海燕"].ID
	items, _, _ = models.ListStaffOpinions(e.ctx, e.db, admin, models.StaffQuery{Limit: 100}, opMonday, opLoc)
	if len(items) != 7 {
		t.Fatalf("admin sees %d", len(items))
	}
	items, _, _ = models.ListStaffOpinions(e.ctx, e.db, admin, models.StaffQuery{Office: true}, opMonday, opLoc)
	if len(items) != 1 || items[0].Station.Name != models.OfficeName {
		t.Fatalf("office queue: %+v", items)
	}
	if _, _, err := models.ListStaffOpinions(e.ctx, e.db, clerk, models.StaffQuery{Status: "bogus"}, opMonday, opLoc); opCode(err) != "invalid_status" {
		t.Fatalf("bad status: %v", err)
	}
}

// The chat flow files through the same path, by community.
func TestFileOpinionFromChat(t *testing.T) {
	e := newOpEnv(t)
	matches, err := models.MatchCommunities(e.ctx, e.db, "老东门", 3)
	if err != nil || len(matches) == 0 {
		t.Fatal(err)
	}
	op, _ := e.file(models.FileInput{CommunityID: matches[0].Community.ID, Source: models.SourceChat}, opMonday)
	if op.StationID != e.st["东门社区代表联络站"].ID || op.RouteRule != models.RuleCommunity || op.Source != models.SourceChat {
		t.Fatalf("chat filing: %+v", op)
	}
}

// A double-tapped submit sent several times at once stores one opinion, and
// every request gets it back.
func TestFileOpinionConcurrentSameKey(t *testing.T) {
	e := newOpEnv(t)
	const n = 10
	ids := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			op, _, err := models.FileOpinion(e.ctx, e.db, models.FileInput{VoterID: e.voters[0], Category: "shenghuo",
				Content: "同一个请求被连续点了好几次提交按钮。", IdempotencyKey: "tap-tap"}, e.world, opMonday, opLoc, e.cal)
			ids[i], errs[i] = op.ID, err
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] || ids[i] == 0 {
			t.Fatalf("request %d: id %d (first %d), %v", i, ids[i], ids[0], errs[i])
		}
	}
	var rows int64
	e.db.Model(&models.Opinion{}).Count(&rows)
	if rows != 1 {
		t.Fatalf("%d opinions stored", rows)
	}
}
