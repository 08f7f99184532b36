package models_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/records"

	"gorm.io/gorm"
)

// recNow is the demo records' "now": a Sunday evening in December.
var recNow = at(2026, 12, 6, 20, 0)

// loadDemoRecordsDB loads the demo county, its reception rules and days,
// then a year of records dated back from recNow.
func loadDemoRecordsDB(t *testing.T, before func(*gorm.DB)) (*gorm.DB, models.DemoRecordStats) {
	t.Helper()
	ctx := context.Background()
	db := modelstest.NewDB(t)
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	if err := models.LoadDemoReception(ctx, db, recNow, cst); err != nil {
		t.Fatalf("LoadDemoReception: %v", err)
	}
	if before != nil {
		before(db)
	}
	start := time.Now()
	st, err := models.LoadDemoRecords(ctx, db, recNow, cst)
	if err != nil {
		t.Fatalf("LoadDemoRecords: %v", err)
	}
	t.Logf("LoadDemoRecords: %s in %v", st, time.Since(start))
	return db, st
}

type recRow struct {
	models.Activity
	Name  string
	Level models.Level
}

func recActivities(t *testing.T, db *gorm.DB) []recRow {
	t.Helper()
	var rows []recRow
	if err := db.Table("activities").Select("activities.*, deputies.name AS name, deputies.level AS level").
		Joins("JOIN deputies ON deputies.id = activities.deputy_id").Order("activities.id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// Ensure the demo year has every type, realistic counts by level, mostly
// approved entries with some pending and a few rejected with a reason, all
// three sources, and readable Chinese titles.
func TestLoadDemoRecordsCounts(t *testing.T) {
	db, st := loadDemoRecordsDB(t, nil)
	acts := recActivities(t, db)
	if st.Activities != len(acts) || len(acts) < 60*20 {
		t.Fatalf("stats say %d activities, table has %d; want at least 20 per deputy", st.Activities, len(acts))
	}
	byType := map[models.ActivityType]int{}
	byStatus := map[models.ActivityStatus]int{}
	bySource := map[models.ActivitySource]int{}
	perLevel := map[models.Level]map[models.ActivityType]int{}
	deputies := map[models.Level]map[string]bool{}
	from, to := recNow.AddDate(-1, 0, -1).Format(models.DateLayout), recNow.Format(models.DateLayout)
	for _, a := range acts {
		byType[a.Type]++
		byStatus[a.Status]++
		bySource[a.Source]++
		if perLevel[a.Level] == nil {
			perLevel[a.Level], deputies[a.Level] = map[models.ActivityType]int{}, map[string]bool{}
		}
		perLevel[a.Level][a.Type]++
		deputies[a.Level][a.Name] = true
		if !a.Type.Valid() {
			t.Errorf("activity %d: type %q", a.ID, a.Type)
		}
		if a.Date < from || a.Date > to {
			t.Errorf("activity %d dated %s, outside the last year (%s–%s)", a.ID, a.Date, from, to)
		}
		for _, s := range []string{a.Title, a.Description} {
			if s == "" || strings.ContainsAny(s, "{}") || utf8.RuneCountInString(s) > 100 && s == a.Title {
				t.Errorf("activity %d: bad text %q", a.ID, s)
			}
		}
		switch a.Status {
		case models.ActivityPending:
			if a.ReviewerID != nil || a.ReviewedAt != nil {
				t.Errorf("pending activity %d has a reviewer", a.ID)
			}
		case models.ActivityRejected:
			if a.RejectReason == "" || a.ReviewedAt == nil {
				t.Errorf("rejected activity %d without reason or review time", a.ID)
			}
		case models.ActivityApproved:
			if a.ReviewedAt == nil && a.Source != models.SourceAuto {
				t.Errorf("approved manual activity %d was never reviewed", a.ID)
			}
		default:
			t.Errorf("activity %d: status %q", a.ID, a.Status)
		}
		if a.Source == models.SourceStaff && a.EnteredByStaffID == nil {
			t.Errorf("staff entry %d names no staff", a.ID)
		}
		if (a.Source == models.SourceAuto) != (a.SourceKey != nil) {
			t.Errorf("activity %d: source %s with key %v", a.ID, a.Source, a.SourceKey)
		}
	}
	for _, ty := range models.ActivityTypes {
		if byType[ty] == 0 {
			t.Errorf("no activity of type %s", ty.Label())
		}
	}
	t.Logf("by type %v; by status %v; by source %v", byType, byStatus, bySource)
	if n := len(acts); byStatus[models.ActivityApproved]*100 < n*80 || byStatus[models.ActivityPending] < 10 ||
		byStatus[models.ActivityRejected] < 3 || byStatus[models.ActivityRejected]*100 > n*5 {
		t.Errorf("statuses %v of %d: want mostly approved, at least 10 pending, a few rejected", byStatus, n)
	}
	for _, s := range []models.ActivitySource{models.SourceAuto, models.SourceStaff, models.SourceDeputy} {
		if bySource[s] == 0 {
			t.Errorf("no activity from source %s", s.Label())
		}
	}
	mean := func(l models.Level, types ...models.ActivityType) float64 {
		n := 0
		for _, ty := range types {
			n += perLevel[l][ty]
		}
		return float64(n) / float64(len(deputies[l]))
	}
	town, county := models.LevelTownship, models.LevelCounty
	if a, b := mean(town, models.ActContact, models.ActVisit), mean(county, models.ActContact, models.ActVisit); a <= b*1.3 {
		t.Errorf("township deputies contact and visit %.1f times each, county deputies %.1f: want clearly more", a, b)
	}
	if a, b := mean(county, models.ActReview, models.ActInspection), mean(town, models.ActReview, models.ActInspection); a <= b*1.5 {
		t.Errorf("county deputies review and inspect %.1f times each, township deputies %.1f: want clearly more", a, b)
	}
}

// Ensure the automatic 接待选民 entries are exactly the reception records
// (signed-in deputies only), keyed as the accrual job keys them, and the
// reception days they come from are consistent: closed, the slot counters
// match the walk-ins, a record's voters are its day's walk-ins.
func TestLoadDemoRecordsReceptions(t *testing.T) {
	db, st := loadDemoRecordsDB(t, nil)
	var recs []models.ReceptionRecord
	if err := db.Order("id").Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	if len(recs) != st.ReceptionRecords || len(recs) < 14*12 {
		t.Fatalf("%d reception records (stats %d), want at least one per station and month", len(recs), st.ReceptionRecords)
	}
	var auto []models.Activity
	if err := db.Where("source = ?", models.SourceAuto).Find(&auto).Error; err != nil {
		t.Fatal(err)
	}
	byKey := map[string]models.Activity{}
	for _, a := range auto {
		byKey[*a.SourceKey] = a
	}
	if len(auto) != len(recs) {
		t.Errorf("%d automatic activities for %d reception records", len(auto), len(recs))
	}
	for _, r := range recs {
		a, ok := byKey[models.ReceptionSourceKey(r.ID)]
		if !ok {
			t.Errorf("record %d has no activity", r.ID)
			continue
		}
		if a.DeputyID != r.DeputyID || a.Date != r.Date || a.Voters != r.VotersReceived || a.Type != models.ActReception ||
			a.Status != models.ActivityApproved || !strings.Contains(a.Description, fmt.Sprintf("接待选民%d人", r.VotersReceived)) {
			t.Errorf("record %+v gave activity %+v", r, a)
		}
	}
	// Records only for those signed in; someone on a roster stayed away.
	var absent, signedNoRecord int64
	if err := db.Model(&models.RosterEntry{}).Where("signed_in_at IS NULL").Count(&absent).Error; err != nil {
		t.Fatal(err)
	}
	if absent == 0 {
		t.Error("every deputy on a roster came: want some who did not (being on the roster is not attending)")
	}
	if err := db.Raw(`SELECT COUNT(*) FROM roster_entries e WHERE e.signed_in_at IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM reception_records r WHERE r.day_id = e.day_id AND r.deputy_id = e.deputy_id)`).Scan(&signedNoRecord).Error; err != nil {
		t.Fatal(err)
	}
	var unsigned int64
	if err := db.Raw(`SELECT COUNT(*) FROM reception_records r WHERE NOT EXISTS (SELECT 1 FROM roster_entries e
		WHERE e.day_id = r.day_id AND e.deputy_id = r.deputy_id AND e.signed_in_at IS NOT NULL)`).Scan(&unsigned).Error; err != nil {
		t.Fatal(err)
	}
	if signedNoRecord != 0 || unsigned != 0 {
		t.Errorf("%d signed-in deputies without a record, %d records without a sign-in", signedNoRecord, unsigned)
	}
	var badSlots, badRecords, openPast int64
	if err := db.Raw(`SELECT COUNT(*) FROM slots s WHERE s.walk_ins <> (SELECT COUNT(*) FROM walk_ins w WHERE w.slot_id = s.id)`).
		Scan(&badSlots).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw(`SELECT COUNT(*) FROM reception_records r WHERE r.voters_received <> (SELECT COUNT(*) FROM walk_ins w WHERE w.day_id = r.day_id)`).
		Scan(&badRecords).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.ReceptionDay{}).Where("date < ? AND status <> ?", recNow.Format(models.DateLayout), models.DayClosed).
		Count(&openPast).Error; err != nil {
		t.Fatal(err)
	}
	if badSlots+badRecords+openPast != 0 {
		t.Errorf("%d slots with wrong walk-in counters, %d records with wrong voters, %d past days not closed", badSlots, badRecords, openPast)
	}
	// The closing job finds nothing to close and no past day is open for booking.
	if n, err := models.CloseFinishedDays(context.Background(), db, recNow, cst); err != nil || n != 0 {
		t.Errorf("CloseFinishedDays after the demo: %d, %v", n, err)
	}
	checkInvariants(t, db)
	// The accrual job finds every record already in the records.
	if n, err := records.AccrueActivities(context.Background(), db, recNow, cst); err != nil || n != 0 {
		t.Errorf("AccrueActivities after the demo created %d entries (%v), want none", n, err)
	}
}

// Ensure the inactive candidates have nothing in the last three months
// (but older entries), and every other active deputy has something recent.
func TestLoadDemoRecordsInactive(t *testing.T) {
	db, _ := loadDemoRecordsDB(t, nil)
	since := recNow.AddDate(0, -3, 0).Format(models.DateLayout)
	last := map[string]string{}
	for _, a := range recActivities(t, db) {
		last[a.Name] = max(last[a.Name], a.Date)
	}
	var deps []models.Deputy
	if err := db.Find(&deps).Error; err != nil {
		t.Fatal(err)
	}
	var idle []string
	for _, d := range deps {
		if last[d.Name] == "" {
			t.Errorf("%s has no activity at all", d.Name)
		}
		if d.Status == models.DeputyActive && last[d.Name] < since {
			idle = append(idle, d.Name)
		}
	}
	slices.Sort(idle)
	want := slices.Clone(models.DemoInactiveDeputies)
	slices.Sort(want)
	if !slices.Equal(idle, want) {
		t.Errorf("active deputies with nothing since %s: %v, want %v", since, idle, want)
	}
	// The office's list says the same.
	list, err := records.InactiveDeputies(context.Background(), db, models.StaffScope{All: true}, recNow, cst, 0)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, d := range list {
		listed = append(listed, d.Name)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("InactiveDeputies lists %v, want %v", listed, want)
	}
}

// Ensure this year's county and 城关镇 evaluations exist, open, with the
// default weights, and most of their deputies have written a self-assessment.
func TestLoadDemoRecordsEvaluations(t *testing.T) {
	db, st := loadDemoRecordsDB(t, nil)
	var evs []models.Evaluation
	if err := db.Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || st.Evaluations != 2 {
		t.Fatalf("evaluations %+v (stats %d), want the county's and 城关镇's", evs, st.Evaluations)
	}
	want := map[models.ActivityType][2]float64{
		models.ActMeeting: {2, 20}, models.ActReview: {2, 10}, models.ActInspection: {3, 15}, models.ActContact: {2, 10},
		models.ActReception: {3, 15}, models.ActVisit: {2, 10}, models.ActStudy: {1, 5}, models.ActGroup: {2, 10},
		models.ActProposal: {3, 15}, models.ActOther: {1, 5},
	}
	for _, ev := range evs {
		if ev.Year != 2026 || ev.Status != models.EvaluationOpen {
			t.Errorf("evaluation %+v: want 2026, open", ev)
		}
		var ws []models.EvaluationWeight
		if err := db.Where("evaluation_id = ?", ev.ID).Find(&ws).Error; err != nil {
			t.Fatal(err)
		}
		if len(ws) != len(want) {
			t.Errorf("evaluation %d has %d weights", ev.ID, len(ws))
		}
		for _, w := range ws {
			if got := [2]float64{w.Points, w.MaxPoints}; got != want[w.Type] {
				t.Errorf("evaluation %d weight of %s: %v, want %v", ev.ID, w.Type.Label(), got, want[w.Type])
			}
		}
		// The deputies it evaluates: active, of its level (and township).
		var ids []uint64
		q := db.Model(&models.Deputy{}).Joins("JOIN stations ON stations.id = deputies.station_id").
			Where("deputies.level = ? AND deputies.status = ?", ev.Level, models.DeputyActive)
		if ev.Township != "" {
			q = q.Where("stations.district = ?", ev.Township)
		}
		if err := q.Pluck("deputies.id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		var sas []models.SelfAssessment
		if err := db.Where("evaluation_id = ?", ev.ID).Find(&sas).Error; err != nil {
			t.Fatal(err)
		}
		if len(sas)*10 < len(ids)*6 || len(sas) >= len(ids) && len(ids) > 6 {
			t.Errorf("evaluation %s %q: %d self-assessments of %d deputies, want most but not all", ev.Level, ev.Township, len(sas), len(ids))
		}
		for _, s := range sas {
			if !slices.Contains(ids, s.DeputyID) {
				t.Errorf("evaluation %d: self-assessment of deputy %d, not one it evaluates", ev.ID, s.DeputyID)
			}
			if !slices.Contains([]string{"优秀", "称职", "基本称职"}, s.Grade) || !strings.Contains(s.Text, "我") ||
				strings.Contains(s.Text, "%") || s.VoterRating != "" {
				t.Errorf("self-assessment %+v", s)
			}
		}
	}
	var n int64
	if err := db.Model(&models.SelfAssessment{}).Where("grade = ?", "优秀").Count(&n).Error; err != nil || n == 0 {
		t.Errorf("%d self-assessments graded 优秀 (%v), want some", n, err)
	}
}

// Ensure loading twice creates nothing, and two fresh databases get the
// same records.
func TestLoadDemoRecordsIdempotentAndDeterministic(t *testing.T) {
	ctx := context.Background()
	db, _ := loadDemoRecordsDB(t, nil)
	fingerprint := func(db *gorm.DB) string {
		h := sha256.New()
		for _, a := range recActivities(t, db) {
			fmt.Fprintln(h, a.Name, a.Type, a.Date, a.Title, a.Description, a.Status, a.Source, a.Voters, a.RejectReason)
		}
		var sas []models.SelfAssessment
		if err := db.Order("evaluation_id, deputy_id").Find(&sas).Error; err != nil {
			t.Fatal(err)
		}
		for _, s := range sas {
			fmt.Fprintln(h, s.EvaluationID, s.DeputyID, s.Grade, s.Text)
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	counts := func() [6]int64 {
		return [6]int64{demoCount(t, db, &models.Activity{}), demoCount(t, db, &models.ReceptionDay{}),
			demoCount(t, db, &models.ReceptionRecord{}), demoCount(t, db, &models.WalkIn{}),
			demoCount(t, db, &models.Evaluation{}), demoCount(t, db, &models.SelfAssessment{})}
	}
	before, print := counts(), fingerprint(db)
	st, err := models.LoadDemoRecords(ctx, db, recNow, cst)
	if err != nil || st.Created() != 0 {
		t.Fatalf("second load: %s, %v", st, err)
	}
	// Later the same day, LoadDemo and LoadDemoReception again (a restart).
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	later := recNow.Add(2 * time.Hour)
	if err := models.LoadDemoReception(ctx, db, later, cst); err != nil {
		t.Fatal(err)
	}
	if st, err := models.LoadDemoRecords(ctx, db, later, cst); err != nil || st.Created() != 0 {
		t.Fatalf("load after a restart: %s, %v", st, err)
	}
	if after := counts(); after != before || fingerprint(db) != print {
		t.Errorf("rows %v after reloading, %v before", after, before)
	}
	other, _ := loadDemoRecordsDB(t, nil)
	if fingerprint(other) != print {
		t.Error("two fresh databases got different records")
	}
}

// Ensure the loader names the deputy's group (one the demo made) in
// 小组活动 entries when groups exist, and works without them.
func TestLoadDemoRecordsWithGroups(t *testing.T) {
	for _, withGroups := range []bool{true, false} {
		db, _ := loadDemoRecordsDB(t, func(db *gorm.DB) {
			if !withGroups {
				for _, q := range []string{"DELETE FROM deputy_group_members", "DELETE FROM deputy_groups"} {
					if err := db.Exec(q).Error; err != nil {
						t.Fatal(err)
					}
				}
			}
		})
		var titles []string
		var names []string
		if withGroups {
			var g models.DeputyGroup
			if err := db.Where("leader_id IS NOT NULL").Order("id").First(&g).Error; err != nil {
				t.Fatalf("the demo has no group with a leader: %v", err)
			}
			groups, err := models.GroupsOf(context.Background(), db, *g.LeaderID)
			if err != nil || len(groups) == 0 {
				t.Fatalf("groups of the leader: %v %v", groups, err)
			}
			for _, gr := range groups {
				names = append(names, gr.Name)
			}
			if err := db.Model(&models.Activity{}).Where("deputy_id = ? AND type = ?", *g.LeaderID, models.ActGroup).
				Pluck("title", &titles).Error; err != nil {
				t.Fatal(err)
			}
		} else {
			names = []string{"所在代表小组"}
			if err := db.Model(&models.Activity{}).Where("type = ?", models.ActGroup).Pluck("title", &titles).Error; err != nil {
				t.Fatal(err)
			}
		}
		if len(titles) == 0 {
			t.Fatalf("no group activities (groups %v)", withGroups)
		}
		for _, s := range titles {
			named := false
			for _, n := range names {
				named = named || strings.Contains(s, n)
			}
			if !named {
				t.Errorf("group activity %q names none of %v (groups %v)", s, names, withGroups)
			}
		}
	}
}

// Ensure the by-elected deputies' terms start within the year and their
// records after it, and the evaluation reads the demo fairly: bands of
// more than one kind, and the deputy elected a few months ago is 样本不足.
func TestLoadDemoRecordsTermsAndSheets(t *testing.T) {
	db, st := loadDemoRecordsDB(t, nil)
	if st.Terms != 4 {
		t.Errorf("%d terms dated, want 2 by-elected and 2 retired deputies", st.Terms)
	}
	var deps []models.Deputy
	if err := db.Find(&deps).Error; err != nil {
		t.Fatal(err)
	}
	first := map[uint64]string{}
	for _, a := range recActivities(t, db) {
		if first[a.DeputyID] == "" || a.Date < first[a.DeputyID] {
			first[a.DeputyID] = a.Date
		}
	}
	var joined, left int
	for _, d := range deps {
		if d.TermStart != "" {
			joined++
			if first[d.ID] < d.TermStart {
				t.Errorf("%s took office %s but has a record of %s", d.Name, d.TermStart, first[d.ID])
			}
		}
		if d.TermEnd != "" {
			left++
			if d.Status != models.DeputyRetired {
				t.Errorf("%s has a term end but is %s", d.Name, d.Status)
			}
		}
	}
	if joined != 2 || left != 2 {
		t.Errorf("%d deputies with a term start, %d with an end; want 2 and 2", joined, left)
	}
	var evs []models.Evaluation
	if err := db.Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	bands := map[records.Band]int{}
	for _, ev := range evs {
		sheets, err := records.EvaluationSheets(context.Background(), db, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sheets) == 0 {
			t.Errorf("evaluation %d has no sheets", ev.ID)
		}
		for _, s := range sheets {
			bands[s.Band]++
			if s.Deputy.Name == "姜丽萍" && s.Band != records.BandSample {
				t.Errorf("姜丽萍, %d months in office, is %s", s.Months, s.Band.Label())
			}
		}
	}
	t.Logf("bands: %v", bands)
	if bands[records.BandGood] == 0 || bands[records.BandFair] == 0 || bands[records.BandLow] == 0 || bands[records.BandSample] == 0 {
		t.Errorf("bands %v: want deputies in each band", bands)
	}
}
