package models

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The demo county's year of deputies' records (履职档案): past reception
// days at every station with the deputies who signed in at the desk and
// the voters they received, each deputy's activities over the last twelve
// months, and this year's evaluations with self-assessments, so a new user
// sees the record, the review queue, the inactive list and the evaluation
// at once. docs/ARCHITECTURE.md#deputies-records.

// DemoRecordMonths is how many past months of records the demo holds.
const DemoRecordMonths = 12

// DemoInactiveDeputies are active demo deputies whose last recorded
// activity is more than three months old (candidates for the office's
// list of deputies with no recorded activity, "三不代表").
var DemoInactiveDeputies = []string{"唐建军", "余秀兰", "戴志成", "熊志远"}

// DemoEvaluationTownship is the township whose 主席团 runs a demo
// evaluation of its township deputies, beside the county's.
const DemoEvaluationTownship = dtChengguan

// DemoRecordStats says what LoadDemoRecords created; all zero on a second run.
type DemoRecordStats struct {
	ReceptionDays, ReceptionRecords, WalkIns, Activities, Evaluations, SelfAssessments int
	// Terms is the deputies whose term start or end was dated.
	Terms int
	// Opinions is last month's opinions through deputies' codes (demo_report.go).
	Opinions int
}

// Created is the number of rows of all kinds created.
func (s DemoRecordStats) Created() int {
	return s.ReceptionDays + s.ReceptionRecords + s.WalkIns + s.Activities + s.Evaluations + s.SelfAssessments + s.Terms + s.Opinions
}

// String summarises the stats for logs.
func (s DemoRecordStats) String() string {
	return fmt.Sprintf("reception days %d, reception records %d, walk-ins %d, activities %d, evaluations %d, self-assessments %d, terms dated %d, opinions through codes %d",
		s.ReceptionDays, s.ReceptionRecords, s.WalkIns, s.Activities, s.Evaluations, s.SelfAssessments, s.Terms, s.Opinions)
}

// LoadDemoRecords gives the demo county a year of deputies' records, dated
// back from now in loc. Call it after LoadDemo and LoadDemoReception (it
// uses the stations' reception rules).
//
//   - Terms: the deputies in demoJoined were elected in a by-election some
//     months ago (their term starts then), the retired ones left office
//     half a year ago; nobody's record runs outside their term.
//   - Reception days of the last DemoRecordMonths months at each station,
//     closed, with deputies on duty; most signed in at the desk (those get a
//     ReceptionRecord, as CloseReceptionDay writes them), some did not come;
//     the voters received are walk-ins. Each record gives an automatic
//     接待选民 activity with SourceKey "reception:<record id>", the key the
//     accrual job writes, so accrual finds nothing new.
//   - Each demo deputy's activities of the other types, entered by staff or
//     submitted by the deputy: mostly approved, recent ones partly pending,
//     a few rejected with a reason. Township deputies contact and visit
//     voters more; county deputies review reports and inspect more. The
//     DemoInactiveDeputies have nothing in the last three months.
//   - Last month's opinions through the codes of a few county deputies,
//     filed by demo voters and handled and rated through the real
//     workflow (demo_report.go), so last month's 履职通报 shows them.
//   - This year's evaluations of the county deputies and of
//     DemoEvaluationTownship's township deputies, open, with DefaultWeights
//     and DefaultMinMonths, and self-assessments of most of their deputies.
//
// Deputy groups are not created here; an activity of type 小组活动 names the
// deputy's group when groups exist. It is deterministic (seeded by the
// deputies' names and now's date) and idempotent: a period that has a day
// is left alone, a deputy who has any manual entry gets none, and existing
// evaluations and self-assessments are kept. One transaction.
func LoadDemoRecords(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (DemoRecordStats, error) {
	var st DemoRecordStats
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st = DemoRecordStats{}
		g, err := newDemoRecordGen(tx, now, loc)
		if err != nil {
			return err
		}
		if err := g.terms(tx, &st); err != nil {
			return err
		}
		if err := g.receptions(tx, &st); err != nil {
			return err
		}
		if err := g.activities(tx, &st); err != nil {
			return err
		}
		if err := g.evaluations(tx, &st); err != nil {
			return err
		}
		if err := g.reportOpinions(tx, &st); err != nil {
			return err
		}
		if st.Created() == 0 {
			return nil
		}
		return Audit(ctx, tx, now, SystemActor, "demo.records", "demo", 0, "", "",
			fmt.Sprintf("演示数据（%s）履职档案：%s", DemoCountyName, st))
	})
	if err != nil {
		return DemoRecordStats{}, fmt.Errorf("load demo records: %w", err)
	}
	return st, nil
}

// demoRecordGen holds what the generator reads once.
type demoRecordGen struct {
	now     time.Time
	loc     *time.Location
	today   time.Time // local midnight
	deputy  map[string]Deputy
	order   []Deputy // demo order
	station map[uint64]Station
	// communities of each station, in demo order.
	communities map[uint64][]string
	// staff: the clerk and head of a station when the demo has them, the admin.
	clerk, head map[uint64]uint64
	admin       uint64
	group       map[uint64]string // deputy → group name, when groups exist
	inactive    map[string]bool
}

func newDemoRecordGen(tx *gorm.DB, now time.Time, loc *time.Location) (*demoRecordGen, error) {
	local := now.In(loc)
	g := &demoRecordGen{
		now: now, loc: loc, today: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc),
		deputy: map[string]Deputy{}, station: map[uint64]Station{}, communities: map[uint64][]string{},
		clerk: map[uint64]uint64{}, head: map[uint64]uint64{}, group: map[uint64]string{},
		inactive: map[string]bool{},
	}
	for _, n := range DemoInactiveDeputies {
		g.inactive[n] = true
	}
	names := make([]string, len(demoDeputies))
	for i, d := range demoDeputies {
		names[i] = d.Name
	}
	var deps []Deputy
	if err := tx.Where("name IN ?", names).Find(&deps).Error; err != nil {
		return nil, translate(err)
	}
	if len(deps) == 0 {
		return nil, fmt.Errorf("no demo deputies: run LoadDemo first")
	}
	for _, d := range deps {
		g.deputy[d.Name] = d
	}
	for _, n := range names {
		if d, ok := g.deputy[n]; ok {
			g.order = append(g.order, d)
		}
	}
	snames := make([]string, len(demoStations))
	for i, s := range demoStations {
		snames[i] = s.Name
	}
	var stations []Station
	if err := tx.Where("name IN ?", snames).Order("id").Find(&stations).Error; err != nil {
		return nil, translate(err)
	}
	byName := map[string]uint64{}
	for _, s := range stations {
		g.station[s.ID] = s
		byName[s.Name] = s.ID
	}
	for _, c := range demoCommunities {
		if id, ok := byName[c.Station]; ok {
			g.communities[id] = append(g.communities[id], c.Name)
		}
	}
	for _, s := range demoStaffRows {
		var row Staff
		res := tx.Where("name = ? AND role = ?", s.Name, s.Role).Limit(1).Find(&row)
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		switch s.Role {
		case RoleAdmin:
			g.admin = row.ID
		case RoleClerk:
			g.clerk[byName[s.Station]] = row.ID
		case RoleHead:
			g.head[byName[s.Station]] = row.ID
		}
	}
	// Groups are another part's; name them when they are there.
	var members []struct {
		DeputyID uint64
		Name     string
	}
	err := tx.Table("deputy_group_members").
		Select("deputy_group_members.deputy_id AS deputy_id, deputy_groups.name AS name").
		Joins("JOIN deputy_groups ON deputy_groups.id = deputy_group_members.deputy_group_id").
		Order("deputy_groups.id").Scan(&members).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, m := range members {
		if _, ok := g.group[m.DeputyID]; !ok {
			g.group[m.DeputyID] = m.Name
		}
	}
	return g, nil
}

// rng is a generator seeded by the parts and the local date of now, so a
// run on the same day gives the same data.
func (g *demoRecordGen) rng(parts ...string) *rand.Rand {
	sum := sha256.Sum256([]byte("demo-records|" + strings.Join(parts, "|")))
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}

// daysAgo is the local date d days before today.
func (g *demoRecordGen) daysAgo(d int) time.Time { return g.today.AddDate(0, 0, -d) }

// at is a local clock time on a date, in UTC, never after now.
func (g *demoRecordGen) at(date time.Time, hour, minute int) time.Time {
	t := time.Date(date.Year(), date.Month(), date.Day(), hour, minute, 0, 0, g.loc).UTC()
	if t.After(g.now) {
		return g.now.UTC()
	}
	return t
}

// window is the range of days back, [from, to), a deputy's records may be
// dated in: within the last year and their term, and for an inactive
// deputy nothing in the last three months (with a margin).
func (g *demoRecordGen) window(d Deputy) (from, to int) {
	from, to = 0, 365
	if t, err := time.ParseInLocation(DateLayout, d.TermStart, g.loc); err == nil {
		to = min(to, g.ago(t)+1)
	}
	if t, err := time.ParseInLocation(DateLayout, d.TermEnd, g.loc); err == nil {
		from = max(from, g.ago(t))
	} else if d.Status != DeputyActive {
		from = demoLeftDaysAgo
	}
	if g.inactive[d.Name] {
		from = max(from, 101)
	}
	return from, max(from, to)
}

// ago is how many days before today a local date is.
func (g *demoRecordGen) ago(t time.Time) int { return int(g.today.Sub(t).Hours()/24 + 0.5) }

// onDuty reports whether a deputy may be on a record dated daysAgo days back.
func (g *demoRecordGen) onDuty(d Deputy, daysAgo int) bool {
	from, to := g.window(d)
	return daysAgo >= from && daysAgo < to
}

// demoJoined are deputies elected in a by-election (补选) this many days
// ago: their term starts then, and so does their record (the evaluation
// counts their months in office; one falls short of the minimum).
var demoJoined = map[string]int{"姜丽萍": 130, "袁德平": 280}

// demoLeftDaysAgo is when the retired demo deputies left office.
const demoLeftDaysAgo = 190

// terms dates the by-elected deputies' term starts and the retired
// deputies' term ends, where the rows have none.
func (g *demoRecordGen) terms(tx *gorm.DB, st *DemoRecordStats) error {
	for i, d := range g.order {
		col, val := "", ""
		switch {
		case demoJoined[d.Name] > 0 && d.TermStart == "":
			col, val = "term_start", g.daysAgo(demoJoined[d.Name]).Format(DateLayout)
			g.order[i].TermStart = val
		case d.Status != DeputyActive && d.TermEnd == "":
			col, val = "term_end", g.daysAgo(demoLeftDaysAgo).Format(DateLayout)
			g.order[i].TermEnd = val
		default:
			continue
		}
		res := tx.Model(&Deputy{}).Where("id = ? AND "+col+" = ''", d.ID).Update(col, val)
		if res.Error != nil {
			return translate(res.Error)
		}
		st.Terms += int(res.RowsAffected)
		g.deputy[d.Name] = g.order[i]
	}
	return nil
}

// receptions writes the past reception days with their rosters, walk-ins,
// records and the records' automatic activities.
func (g *demoRecordGen) receptions(tx *gorm.DB, st *DemoRecordStats) error {
	cal, err := LoadCalendar(tx.Statement.Context, tx)
	if err != nil {
		return err
	}
	ids := make([]uint64, 0, len(g.station))
	for id := range g.station {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var rules []ReceptionRule
	if err := tx.Where("station_id IN ?", ids).Order("station_id").Find(&rules).Error; err != nil {
		return translate(err)
	}
	var have []ReceptionDay
	if err := tx.Select("station_id", "period", "date").Where("station_id IN ?", ids).Find(&have).Error; err != nil {
		return translate(err)
	}
	taken := map[string]bool{}
	for _, d := range have {
		taken[fmt.Sprint(d.StationID, "|", d.Period)] = true
		taken[fmt.Sprint(d.StationID, "|", d.Date)] = true
	}
	byStation := map[uint64][]Deputy{}
	for _, d := range g.order {
		byStation[d.StationID] = append(byStation[d.StationID], d)
	}
	todayText := g.today.Format(DateLayout)

	type planned struct {
		day    ReceptionDay
		plan   DayPlan
		roster []Deputy
		ago    int
	}
	var days []*planned
	for _, r := range rules {
		if !r.Active {
			continue
		}
		for k := DemoRecordMonths; k >= 1; k-- {
			pm := time.Date(g.today.Year(), g.today.Month()-time.Month(k), 1, 0, 0, 0, 0, g.loc)
			p, err := PlanReceptionDay(r, cal, pm.Year(), pm.Month(), g.loc)
			if err != nil {
				return fmt.Errorf("station %d rule: %w", r.StationID, err)
			}
			if p.Date >= todayText || taken[fmt.Sprint(r.StationID, "|", p.Period)] || taken[fmt.Sprint(r.StationID, "|", p.Date)] {
				continue
			}
			date, _ := time.ParseInLocation(DateLayout, p.Date, g.loc)
			ago := g.ago(date)
			// Two deputies on duty each month, in turn, from those on duty then.
			var pool []Deputy
			for _, d := range byStation[r.StationID] {
				if g.onDuty(d, ago) {
					pool = append(pool, d)
				}
			}
			var roster []Deputy
			for i := 0; i < min(2, len(pool)); i++ {
				roster = append(roster, pool[(2*k+i)%len(pool)])
			}
			d := ReceptionDay{StationID: r.StationID, Status: DayClosed, CreatedAt: p.BookingOpensAt}
			applyPlan(&d, &p, p.BookingOpensAt)
			closed := p.EndsAt.Add(7 * time.Hour)
			d.ClosedAt, d.UpdatedAt = &closed, closed
			days = append(days, &planned{day: d, plan: p, roster: roster, ago: ago})
		}
	}
	if len(days) == 0 {
		return nil
	}
	rows := make([]ReceptionDay, len(days))
	for i, p := range days {
		rows[i] = p.day
	}
	if err := tx.CreateInBatches(&rows, 200).Error; err != nil {
		return translate(err)
	}
	st.ReceptionDays = len(rows)

	var slots []Slot
	for i, p := range days {
		p.day.ID = rows[i].ID
		for j, s := range p.plan.Slots {
			slots = append(slots, Slot{DayID: p.day.ID, Seq: j + 1, StationID: p.day.StationID, StartAt: s.StartAt, EndAt: s.EndAt,
				Capacity: s.Capacity, WalkInSeats: s.WalkInSeats})
		}
	}
	// Walk-ins: the voters received, spread over the day's slots.
	slotOf := map[uint64][]int{} // day → indexes into slots
	for i, s := range slots {
		slotOf[s.DayID] = append(slotOf[s.DayID], i)
	}
	var walkIns []WalkIn
	var roster []RosterEntry
	var records []ReceptionRecord
	for _, p := range days {
		r := g.rng("day", fmt.Sprint(p.day.StationID), p.day.Date)
		n := 3 + r.IntN(7)
		if g.station[p.day.StationID].OpenHours == hoursVillage {
			n = 2 + r.IntN(5)
		}
		idx := slotOf[p.day.ID]
		if len(idx) == 0 {
			continue
		}
		for v := 0; v < n; v++ {
			si := idx[v%len(idx)]
			s := &slots[si]
			walkIns = append(walkIns, WalkIn{DayID: p.day.ID, StationID: p.day.StationID,
				Name: demoVoterNames[r.IntN(len(demoVoterNames))], Topic: demoWalkInTopics[r.IntN(len(demoWalkInTopics))],
				BeyondSeats: s.WalkIns >= s.WalkInSeats, CreatedAt: s.StartAt.Add(time.Duration(5+r.IntN(20)) * time.Minute)})
			walkIns[len(walkIns)-1].SlotID = uint64(si) // the slot's index until slots have ids
			s.WalkIns++
		}
		for i, d := range p.roster {
			e := RosterEntry{DayID: p.day.ID, DeputyID: d.ID, CreatedAt: p.day.BookingOpensAt.Add(24 * time.Hour)}
			// Most come; one in eight on the roster does not (no record).
			if r.IntN(8) > 0 {
				signed := p.day.StartsAt.Add(time.Duration(r.IntN(15)-10) * time.Minute)
				e.SignedInAt = &signed
				if i%2 == 0 {
					e.SignInVia = SignInByScan
				} else if by, ok := g.head[p.day.StationID]; ok {
					e.SignInVia, e.SignedInBy = SignInByStaff, &by
				} else {
					e.SignInVia = SignInByScan
				}
				records = append(records, ReceptionRecord{DayID: p.day.ID, DeputyID: d.ID, StationID: p.day.StationID,
					Date: p.day.Date, VotersReceived: n, WalkIns: n, CreatedAt: *p.day.ClosedAt})
			}
			roster = append(roster, e)
		}
	}
	if err := tx.CreateInBatches(&slots, 200).Error; err != nil {
		return translate(err)
	}
	for i := range walkIns {
		walkIns[i].SlotID = slots[walkIns[i].SlotID].ID
	}
	if len(walkIns) > 0 {
		if err := tx.CreateInBatches(&walkIns, 200).Error; err != nil {
			return translate(err)
		}
	}
	if len(roster) > 0 {
		if err := tx.CreateInBatches(&roster, 200).Error; err != nil {
			return translate(err)
		}
	}
	if len(records) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(&records, 200).Error; err != nil {
		return translate(err)
	}
	st.WalkIns, st.ReceptionRecords = len(walkIns), len(records)

	acts := make([]Activity, len(records))
	for i, rec := range records {
		s := g.station[rec.StationID]
		key := ReceptionSourceKey(rec.ID)
		acts[i] = Activity{DeputyID: rec.DeputyID, Type: ActReception, Date: rec.Date,
			// AccrueActivities' wording, so demo and accrued entries read alike.
			Title:       "参加接待日：" + s.Name,
			Description: fmt.Sprintf("接待选民%d人（预约到场%d人，现场来访%d人）", rec.VotersReceived, rec.CheckedIn, rec.WalkIns),
			Voters:      rec.VotersReceived, Source: SourceAuto, SourceKey: &key, Status: ActivityApproved,
			CreatedAt: rec.CreatedAt, UpdatedAt: rec.CreatedAt}
	}
	if err := tx.CreateInBatches(&acts, 200).Error; err != nil {
		return translate(err)
	}
	st.Activities += len(acts)
	return nil
}

// demoCounts is how many manual entries of each type a deputy of a level
// has in a year: the least and the most.
func demoCounts(l Level) map[ActivityType][2]int {
	switch l {
	case LevelTownship:
		return map[ActivityType][2]int{ActMeeting: {1, 2}, ActReview: {1, 2}, ActInspection: {1, 2}, ActContact: {5, 9},
			ActReception: {0, 2}, ActVisit: {4, 8}, ActStudy: {1, 2}, ActGroup: {3, 4}, ActProposal: {1, 2}, ActOther: {0, 2}}
	case LevelCounty:
		return map[ActivityType][2]int{ActMeeting: {4, 6}, ActReview: {3, 5}, ActInspection: {3, 5}, ActContact: {3, 6},
			ActReception: {0, 1}, ActVisit: {2, 4}, ActStudy: {2, 3}, ActGroup: {3, 4}, ActProposal: {1, 3}, ActOther: {0, 2}}
	}
	return map[ActivityType][2]int{ActMeeting: {3, 5}, ActReview: {2, 3}, ActInspection: {2, 4}, ActContact: {2, 4},
		ActReception: {0, 1}, ActVisit: {1, 3}, ActStudy: {2, 3}, ActGroup: {2, 4}, ActProposal: {2, 4}, ActOther: {0, 1}}
}

// activities writes each demo deputy's manual entries unless the deputy
// already has some.
func (g *demoRecordGen) activities(tx *gorm.DB, st *DemoRecordStats) error {
	var done []uint64
	if err := tx.Model(&Activity{}).Where("source <> ?", SourceAuto).Distinct().Pluck("deputy_id", &done).Error; err != nil {
		return translate(err)
	}
	var acts []Activity
	for _, d := range g.order {
		if slices.Contains(done, d.ID) {
			continue
		}
		acts = append(acts, g.deputyActivities(d)...)
	}
	if len(acts) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(&acts, 200).Error; err != nil {
		return translate(err)
	}
	st.Activities += len(acts)
	return nil
}

// deputyActivities makes one deputy's manual entries of the year.
func (g *demoRecordGen) deputyActivities(d Deputy) []Activity {
	r := g.rng("deputy", d.Name)
	s := g.station[d.StationID]
	comms := g.communities[d.StationID]
	if len(comms) == 0 {
		comms = []string{s.District}
	}
	fill := func(t, cm string, n int) string {
		grp := g.group[d.ID]
		if grp == "" {
			grp = "所在代表小组"
		}
		return strings.NewReplacer("{st}", s.Name, "{tw}", s.District, "{cm}", cm,
			"{grp}", grp, "{n}", fmt.Sprint(n), "{county}", DemoCountyName).Replace(t)
	}
	// The days back a record may be dated in.
	minAgo, maxAgo := g.window(d)
	var out []Activity
	pools := map[ActivityType][][2]string{}
	add := func(t ActivityType, ago int) {
		// Each template once before any repeats.
		if len(pools[t]) == 0 {
			pools[t] = slices.Clone(demoActivityTexts(t, d.Level))
			r.Shuffle(len(pools[t]), func(i, j int) { pools[t][i], pools[t][j] = pools[t][j], pools[t][i] })
		}
		text := pools[t][0]
		pools[t] = pools[t][1:]
		n, cm := 2+r.IntN(6), comms[r.IntN(len(comms))]
		a := Activity{DeputyID: d.ID, Type: t, Date: g.daysAgo(ago).Format(DateLayout),
			Title: fill(text[0], cm, n), Description: fill(text[1], cm, n)}
		if t == ActReception {
			a.Voters = n
		}
		date := g.daysAgo(ago)
		a.CreatedAt = g.at(date.AddDate(0, 0, r.IntN(3)), 17, r.IntN(60))
		// A deputy submits from their pages; otherwise staff of the station
		// (the county office where the demo has no station staff).
		if r.IntN(5) < 2 {
			a.Source = SourceDeputy
		} else {
			a.Source = SourceStaff
			by, ok := g.clerk[d.StationID]
			if !ok {
				by = g.admin
			}
			if by != 0 {
				a.EnteredByStaffID = &by
			}
		}
		reviewer, ok := g.head[d.StationID]
		if !ok {
			reviewer = g.admin
		}
		switch {
		case ago <= 35 && r.IntN(3) == 0:
			a.Status = ActivityPending
		case r.IntN(30) == 0:
			a.Status = ActivityRejected
			a.RejectReason = demoRejectReasons[r.IntN(len(demoRejectReasons))]
		default:
			a.Status = ActivityApproved
		}
		a.UpdatedAt = a.CreatedAt
		if a.Status != ActivityPending {
			at := g.at(date.AddDate(0, 0, 3+r.IntN(5)), 10, r.IntN(60))
			if at.Before(a.CreatedAt) {
				at = a.CreatedAt
			}
			if reviewer != 0 {
				a.ReviewerID = &reviewer
			}
			a.ReviewedAt, a.UpdatedAt = &at, at
		}
		out = append(out, a)
	}
	// The year's session of the deputy's congress, in January.
	session, sessionText := demoSession(d.Level, g.today.Year())
	if date, _ := time.ParseInLocation(DateLayout, session, g.loc); date.Before(g.today) {
		if ago := g.ago(date); ago >= minAgo && ago < maxAgo {
			pools[ActMeeting] = append([][2]string{sessionText}, pools[ActMeeting]...)
			add(ActMeeting, ago)
		}
	}
	span := maxAgo - minAgo
	// Some deputies do much more than others; the inactive ones little.
	diligence := 0.5 + 0.8*r.Float64()
	if g.inactive[d.Name] {
		diligence = 0.4
	}
	for _, t := range ActivityTypes {
		c := demoCounts(d.Level)[t]
		// A shorter window, fewer entries.
		n := int(float64(c[0]+r.IntN(c[1]-c[0]+1))*diligence*float64(span)/365 + 0.5)
		for range n {
			add(t, minAgo+r.IntN(span))
		}
	}
	if minAgo == 0 && maxAgo > 28 {
		// Something in the last month, so only the inactive ones are listed.
		add(ActContact, r.IntN(28))
	}
	slices.SortStableFunc(out, func(a, b Activity) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// evaluations ensures this year's evaluations and the self-assessments.
func (g *demoRecordGen) evaluations(tx *gorm.DB, st *DemoRecordStats) error {
	year := g.today.Year()
	for _, ev := range []Evaluation{
		{Year: year, Level: LevelCounty, Township: ""},
		{Year: year, Level: LevelTownship, Township: DemoEvaluationTownship},
	} {
		ev.Status, ev.MinMonths = EvaluationOpen, DefaultMinMonths
		created, err := demoEnsure(tx, &ev, "year = ? AND level = ? AND township = ?", ev.Year, ev.Level, ev.Township)
		if err != nil {
			return fmt.Errorf("evaluation %d %s %s: %w", ev.Year, ev.Level, ev.Township, err)
		}
		if created {
			st.Evaluations++
			ws := make([]EvaluationWeight, 0, len(ActivityTypes))
			for _, t := range ActivityTypes {
				w := DefaultWeights[t]
				ws = append(ws, EvaluationWeight{EvaluationID: ev.ID, Type: t, Points: w[0], MaxPoints: w[1]})
			}
			if err := tx.Create(&ws).Error; err != nil {
				return translate(err)
			}
		}
		var have []uint64
		if err := tx.Model(&SelfAssessment{}).Where("evaluation_id = ?", ev.ID).Pluck("deputy_id", &have).Error; err != nil {
			return translate(err)
		}
		var rows []SelfAssessment
		for _, d := range g.order {
			s := g.station[d.StationID]
			if d.Level != ev.Level || d.Status != DeputyActive || (ev.Township != "" && s.District != ev.Township) ||
				slices.Contains(have, d.ID) {
				continue
			}
			r := g.rng("self", fmt.Sprint(year), d.Name)
			if r.IntN(7) == 0 { // most, not all, have written theirs
				continue
			}
			text, grade, err := g.selfAssessment(tx, d, year)
			if err != nil {
				return err
			}
			at := g.at(g.daysAgo(3+r.IntN(20)), 20, r.IntN(60))
			rows = append(rows, SelfAssessment{EvaluationID: ev.ID, DeputyID: d.ID, Text: text, Grade: grade,
				SubmittedAt: at, UpdatedAt: at})
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return translate(err)
			}
			st.SelfAssessments += len(rows)
		}
	}
	return nil
}

// selfAssessment writes a deputy's account of the year in the first person
// from their approved entries of the year, and the grade they give
// themselves.
func (g *demoRecordGen) selfAssessment(tx *gorm.DB, d Deputy, year int) (string, string, error) {
	var counts []struct {
		Type ActivityType
		N    int
	}
	err := tx.Model(&Activity{}).Select("type, COUNT(*) AS n").
		Where("deputy_id = ? AND status = ? AND date >= ? AND date <= ?", d.ID, ActivityApproved,
			fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)).
		Group("type").Scan(&counts).Error
	if err != nil {
		return "", "", translate(err)
	}
	n := map[ActivityType]int{}
	total := 0
	for _, c := range counts {
		n[c.Type] = c.N
		total += c.N
	}
	s := g.station[d.StationID]
	focus := d.Bio
	if i := strings.Index(focus, "关注"); i >= 0 {
		focus = strings.TrimSuffix(strings.SplitN(focus[i+len("关注"):], "。", 2)[0], "。")
	} else {
		focus = "群众反映集中的问题"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d年，我按照“月进站、季回家、年述职”的要求履行代表职责。", year)
	fmt.Fprintf(&b, "全年出席会议%d次，审议报告%d次，参加视察调研%d次；在%s接待选民%d次，走访选民%d次，联系群众%d次；参加学习培训%d次、代表小组活动%d次，提出建议%d件。",
		n[ActMeeting], n[ActReview], n[ActInspection], s.Name, n[ActReception], n[ActVisit], n[ActContact],
		n[ActStudy], n[ActGroup], n[ActProposal])
	fmt.Fprintf(&b, "围绕%s，我走访了解情况，把群众的意见带到会上、交到站里，跟踪办理结果并向选民反馈。", focus)
	grade := "称职"
	switch {
	case g.inactive[d.Name]:
		grade = "基本称职"
		b.WriteString("下半年因工作繁忙，进站接待和走访选民的次数明显减少，这是我的不足。明年我将合理安排时间，按月进站，主动联系结对选民。")
	case total >= 30:
		grade = "优秀"
		b.WriteString("不足之处是有些建议的办理结果跟踪还不够及时。明年我将继续带着问题进站、带着答复回访，做到件件有回音。")
	default:
		b.WriteString("不足之处是履职方式还比较单一，深入村社走访不够。明年我将多到群众中去，提高建议质量。")
	}
	return b.String(), grade, nil
}

// demoSession is the date and text of the yearly session of the congress
// a deputy of level l belongs to.
func demoSession(l Level, year int) (string, [2]string) {
	switch l {
	case LevelTownship:
		return fmt.Sprintf("%d-01-13", year), [2]string{"出席{tw}第十九届人民代表大会第五次会议",
			"出席镇人代会全体会议，审议政府工作报告，参加民生实事项目票决。"}
	case LevelCounty:
		return fmt.Sprintf("%d-01-20", year), [2]string{"出席{county}第十八届人民代表大会第五次会议",
			"出席县人代会，参加分组审议和大会表决，在分组会上结合选民意见发言。"}
	}
	return fmt.Sprintf("%d-01-27", year), [2]string{"出席上级人民代表大会会议",
		"出席大会，参加所在代表团的审议，会后向县人大常委会通报会议精神。"}
}

// demoActivityTexts are title and description templates by type; {st} is
// the deputy's station, {tw} its township, {cm} one of its communities,
// {grp} the deputy's group, {n} a small number, {county} the county.
func demoActivityTexts(t ActivityType, l Level) [][2]string {
	switch t {
	case ActMeeting:
		switch l {
		case LevelTownship:
			return [][2]string{
				{"参加{tw}人大主席团召开的代表季度例会", "听取镇人大主席团关于本季度代表活动安排的通报，交流进站接待情况。"},
				{"列席{tw}人民政府民生实事项目推进会", "列席推进会，了解今年民生实事项目进度，就项目监督提出意见。"},
			}
		case LevelCounty:
			return [][2]string{
				{"列席县人大常委会第{n}次会议", "列席常委会会议，听取专项工作报告，在分组审议时发言。"},
				{"参加县人大常委会代表履职座谈会", "参加座谈，交流进站履职经验，反映基层代表活动中遇到的困难。"},
				{"出席县人大常委会代表建议交办会", "出席交办会，了解本人所提建议的承办单位和办理时限。"},
				{"列席县人民政府常务会议", "列席会议，听取民生实事项目推进情况，就项目进度提出意见。"},
			}
		}
		return [][2]string{
			{"参加驻青溪县上级人大代表座谈会", "参加县人大常委会召开的座谈会，听取县情通报，交流履职情况。"},
			{"列席县人大常委会会议", "列席常委会会议，听取专项工作报告，结合调研情况发言。"},
			{"参加上级人大常委会代表建议督办座谈会", "参加督办座谈，听取承办单位对本人所提建议的办理情况汇报。"},
		}
	case ActReview:
		if l == LevelTownship {
			return [][2]string{
				{"审议{tw}人民政府工作报告", "在镇人代会分组会议上审议政府工作报告，就农村道路养护提出意见。"},
				{"审议{tw}民生实事项目票决方案", "审议镇政府提交的民生实事候选项目，发言建议优先安排村道硬化。"},
				{"审议{tw}财政预算执行情况的报告", "审议镇财政预算执行情况，建议公开民生支出明细。"},
			}
		}
		return [][2]string{
			{"审议县人民政府关于老旧小区改造工作情况的报告", "在常委会分组审议时发言，建议改造前充分征求居民意见，同步解决停车和加装电梯问题。"},
			{"审议县人民法院关于矛盾纠纷多元化解工作情况的报告", "审议报告，建议把诉前调解延伸到村社，发挥代表联络站作用。"},
			{"审议县级财政预算执行情况的报告", "审议预算执行情况，就教育、卫生支出的绩效提出意见。"},
			{"审议县人民检察院公益诉讼工作情况的报告", "审议报告，建议加大对饮用水源地保护的公益诉讼力度。"},
		}
	case ActInspection:
		if l == LevelTownship {
			return [][2]string{
				{"参加{tw}人大主席团组织的民生实事项目视察", "实地查看今年票决的民生实事项目，听取承办单位汇报，提出意见2条。"},
				{"视察{tw}民生实事项目建设进度", "实地查看项目现场，对照票决时的计划检查进度和质量。"},
				{"参加农村饮用水安全专题调研", "到{cm}等村调研供水设施，了解水质检测和管网维护情况。"},
				{"参加{tw}背街小巷改造工程视察", "查看{cm}背街小巷改造现场，就施工期间居民出行提出意见。"},
			}
		}
		return [][2]string{
			{"参加县人大常委会组织的老旧小区改造专题视察", "视察城关镇、东溪街道4个改造小区，现场听取居民意见，形成视察意见3条。"},
			{"参加农村饮用水安全专题调研", "到{cm}等村调研供水设施，了解水质检测和管网维护情况。"},
			{"参加食品安全法执法检查", "随执法检查组检查农贸市场和学校食堂，提出整改建议。"},
			{"视察{tw}民生实事项目建设进度", "实地查看项目现场，对照票决时的计划检查进度和质量。"},
			{"参加中小学校园周边交通安全专题调研", "调研上下学高峰交通秩序，建议增设护学岗和减速设施。"},
			{"参加高标准农田建设情况视察", "视察{tw}高标准农田项目，了解灌溉设施建设和后期管护情况。"},
		}
	case ActContact:
		return [][2]string{
			{"在{cm}召开“村落夜话”，听取村民意见", "晚上在村文化礼堂与村民座谈，收集意见{n}条，当场答复2条，其余交站点转办。"},
			{"参加{cm}居民议事会，听取对背街小巷改造的意见", "与居民代表逐条梳理改造方案，收集意见{n}条。"},
			{"通过代表选民微信群收集{cm}群众意见", "在选民微信群发布征求意见通知，整理群众意见{n}条。"},
			{"参加{st}“局长进站”活动", "陪同县有关部门负责人进站，与选民面对面交流，协调解决{n}件群众关心的事。"},
			{"联系{cm}结对选民，了解生产生活情况", "电话和上门联系结对户，记录困难和诉求{n}条。"},
		}
	case ActReception:
		return [][2]string{
			{"在{st}接待来访群众{n}人", "在联络站值班，接待来访群众{n}人，登记诉求并跟踪办理。"},
			{"在{cm}流动接待点接待选民{n}人", "带着联系卡到村社流动接待，接待选民{n}人。"},
		}
	case ActVisit:
		return [][2]string{
			{"走访{cm}独居老人{n}户", "入户了解独居老人生活和就医情况，对接社区落实助餐和定期探访。"},
			{"入户走访{cm}结对选民{n}户", "按固定结对要求入户走访，听取对村务和民生实事的意见。"},
			{"走访{cm}困难家庭{n}户", "了解困难家庭的救助政策落实情况，协助申请临时救助。"},
			{"走访{cm}个体工商户{n}家，了解经营困难", "听取经营户对市场管理和营商环境的意见，整理后反映给有关部门。"},
		}
	case ActStudy:
		if l == LevelTownship {
			return [][2]string{
				{"参加{tw}人大主席团组织的代表履职培训", "学习代表法和镇人大代表履职规范，交流进站接待的做法。"},
				{"参加“空中讲堂”专题学习", "通过“空中讲堂”学习代表履职应知应会知识，完成线上测试。"},
				{"参加{st}组织的代表法学习", "集中学习代表法，交流进站履职的做法。"},
			}
		}
		return [][2]string{
			{"参加县人大常委会举办的代表履职学习培训班", "学习代表法和代表建议的提出与督办，参加分组交流。"},
			{"参加“空中讲堂”专题学习", "通过“空中讲堂”学习代表履职应知应会知识，完成线上测试。"},
			{"参加{st}组织的代表法学习", "集中学习代表法，交流进站履职的做法。"},
		}
	case ActGroup:
		return [][2]string{
			{"参加{grp}季度集中活动", "参加代表小组季度活动，交流本季度进站接待和走访情况，确定下季度活动安排。"},
			{"参加{grp}活动，视察{cm}人居环境整治", "随代表小组实地查看人居环境整治情况，提出改进意见。"},
			{"参加{grp}专题座谈", "就群众反映集中的问题开展专题座谈，形成小组意见报镇人大。"},
		}
	case ActProposal:
		return [][2]string{
			{"提出《关于加快{cm}雨污分流改造的建议》", "根据走访中群众反映的问题提出建议，已交县住建局办理。"},
			{"提出《关于增开城乡公交班次的建议》", "结合接待日选民意见提出建议，已交县交通运输局办理。"},
			{"提出《关于加强校园周边交通秩序管理的建议》", "针对上下学高峰拥堵问题提出建议，已交县教育局会同交警办理。"},
			{"提出《关于推进农村生活垃圾分类的建议》", "结合村落夜话收集的意见提出建议，已交县农业农村局办理。"},
			{"提出《关于完善居家养老服务的建议》", "针对老年助餐和上门服务不足提出建议，已交县民政局办理。"},
		}
	}
	return [][2]string{
		{"担任{cm}民生实事项目监督员，参加竣工验收", "对照设计方案参加验收，现场签字，提出质保期内整改意见。"},
		{"参与{cm}邻里纠纷调解", "协助村（居）委会调解邻里纠纷，双方达成和解。"},
		{"参加{tw}防汛志愿值守", "汛期在{cm}值守，巡查山塘水库和低洼地段。"},
	}
}

// demoRejectReasons are why a reviewer did not accept an entry.
var demoRejectReasons = []string{
	"与已登记的同一活动重复，请勿重复提交。",
	"未附活动照片或签到记录，请补充证明材料后重新提交。",
	"活动日期与签到记录不符，请核实日期后重新提交。",
	"活动类型选择有误，请按实际活动类型修改后重新提交。",
}

// demoVoterNames are how walk-ins are written in the desk's book.
var demoVoterNames = []string{"王先生", "李阿姨", "张大伯", "陈女士", "刘师傅", "周先生", "吴阿姨", "徐大爷", "孙女士", "马先生", ""}

// demoWalkInTopics are what walk-ins come about.
var demoWalkInTopics = []string{
	"小区门口道路积水，雨天出行不便",
	"老旧小区想加装电梯，协调不下来",
	"村道路灯坏了两个月没人修",
	"孩子上学路口没有红绿灯",
	"农贸市场油烟和噪声扰民",
	"医保报销比例咨询",
	"公交班次太少，老人看病不方便",
	"宅基地建房审批进度咨询",
	"河道有人倾倒垃圾",
	"",
}
