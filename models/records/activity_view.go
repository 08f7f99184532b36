package records

import (
	"context"
	"fmt"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The record as people read it: a deputy's year (counts by type, the
// entries, and the voters reached through the deputy as context), the
// deputies with nothing recorded lately, and the public summary on the
// deputy's page.

// TypeCount is how many entries of one type.
type TypeCount struct {
	Type  models.ActivityType `json:"type"`
	Label string              `json:"label"`
	Count int                 `json:"count"`
}

// LabelCount is a count under a Chinese label.
type LabelCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// RecordContext is what voters did through the deputy's codes this year:
// shown beside the record, never counted as the deputy's own 意见建议
// (those are the deputy's 提出建议 entries, Proposals).
type RecordContext struct {
	// Opinions is how many opinions voters filed through the deputy's codes.
	Opinions int `json:"opinions"`
	// ByStatus is how they stand (or ended), by status.
	ByStatus []LabelCount `json:"by_status"`
	// ReplyRatings and ResultRatings are the voters' ratings of the replies
	// and of the results (满意, 基本满意, 不满意).
	ReplyRatings  []LabelCount `json:"reply_ratings"`
	ResultRatings []LabelCount `json:"result_ratings"`
	// Proposals is the deputy's own approved 提出建议 entries.
	Proposals int `json:"proposals"`
}

// RecordView is one deputy's record for a year.
type RecordView struct {
	Deputy      models.Deputy `json:"-"`
	StationName string        `json:"station_name"`
	Year        int           `json:"year"`
	// Counts is the approved entries by type, every type in order.
	Counts []TypeCount `json:"counts"`
	// Approved, Pending and Rejected total the entries by status.
	Approved int `json:"approved"`
	Pending  int `json:"pending"`
	Rejected int `json:"rejected"`
	// PendingCounts is the entries waiting for review, by type (non-zero).
	PendingCounts []TypeCount `json:"pending_counts"`
	// VotersReceived sums the voters of the approved reception days.
	VotersReceived int `json:"voters_received"`
	// Entries is every entry of the year, newest date first.
	Entries []ActivityView `json:"entries"`
	Context RecordContext  `json:"context"`
	// Locked is true once the year's evaluation is closed.
	Locked bool `json:"locked"`
}

// yearSpan is [1 January, 1 January next year) of year in loc, in UTC.
func yearSpan(year int, loc *time.Location) (time.Time, time.Time) {
	loc = models.OrLoc(loc)
	return time.Date(year, 1, 1, 0, 0, 0, 0, loc).UTC(), time.Date(year+1, 1, 1, 0, 0, 0, 0, loc).UTC()
}

// DeputyRecord is a deputy's record for year: the approved entries
// counted by type (pending and rejected apart), every entry, and the
// context of the opinions voters filed through the deputy's codes. The
// caller decides who may see it (DeputyInScope for staff; the deputy
// sees only their own).
func DeputyRecord(ctx context.Context, db *gorm.DB, deputyID uint64, year int, loc *time.Location) (RecordView, error) {
	tx := db.WithContext(ctx)
	var v RecordView
	if err := tx.First(&v.Deputy, deputyID).Error; err != nil {
		return v, models.NotFoundAs(err, models.ErrDeputyNotFound)
	}
	v.Year = year
	var st models.Station
	if err := tx.Select("id", "name").Limit(1).Find(&st, v.Deputy.StationID).Error; err != nil {
		return v, models.Translate(err)
	}
	v.StationName = st.Name
	var rows []models.Activity
	if err := tx.Where("deputy_id = ? AND date >= ? AND date <= ?", deputyID,
		fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)).
		Order("date DESC, id DESC").Find(&rows).Error; err != nil {
		return v, models.Translate(err)
	}
	approved, pending := map[models.ActivityType]int{}, map[models.ActivityType]int{}
	for _, a := range rows {
		switch a.Status {
		case models.ActivityApproved:
			approved[a.Type]++
			v.Approved++
			if a.Type == models.ActReception {
				v.VotersReceived += a.Voters
			}
		case models.ActivityPending:
			pending[a.Type]++
			v.Pending++
		case models.ActivityRejected:
			v.Rejected++
		}
	}
	for _, t := range models.ActivityTypes {
		v.Counts = append(v.Counts, TypeCount{Type: t, Label: t.Label(), Count: approved[t]})
		if pending[t] > 0 {
			v.PendingCounts = append(v.PendingCounts, TypeCount{Type: t, Label: t.Label(), Count: pending[t]})
		}
	}
	var err error
	if v.Entries, err = activityViews(ctx, db, rows, loc); err != nil {
		return v, err
	}
	if v.Context, err = recordContext(tx, deputyID, year, loc); err != nil {
		return v, err
	}
	v.Context.Proposals = approved[models.ActProposal]
	if v.Locked, err = yearClosed(tx, v.Deputy, year); err != nil {
		return v, err
	}
	return v, nil
}

// recordContext counts the opinions voters filed through the deputy's
// codes in year, by status, and their ratings (opinionTallies, the counts
// the monthly 通报 uses too).
func recordContext(tx *gorm.DB, deputyID uint64, year int, loc *time.Location) (RecordContext, error) {
	from, to := yearSpan(year, loc)
	tallies, _, err := opinionTallies(tx, []uint64{deputyID}, from, to, to)
	if err != nil {
		return RecordContext{}, err
	}
	t := tallies[deputyID]
	if t == nil {
		t = &opinionTally{}
	}
	c := RecordContext{Opinions: t.Opinions}
	for _, s := range models.OpinionStatuses {
		if n := t.ByStatus[s]; n > 0 {
			c.ByStatus = append(c.ByStatus, LabelCount{Key: string(s), Label: s.Label(), Count: n})
		}
	}
	for _, s := range []string{models.ScoreSatisfied, models.ScoreBasically, models.ScoreUnsatisfied} {
		c.ReplyRatings = append(c.ReplyRatings, LabelCount{Key: s, Label: models.ScoreLabel(s), Count: t.Ratings[models.StageReply][s]})
		c.ResultRatings = append(c.ResultRatings, LabelCount{Key: s, Label: models.ScoreLabel(s), Count: t.Ratings[models.StageResult][s]})
	}
	return c, nil
}

// InactiveDeputy is a deputy with nothing recorded lately.
type InactiveDeputy struct {
	ID          uint64       `json:"id"`
	Name        string       `json:"name"`
	Level       models.Level `json:"level"`
	LevelLabel  string       `json:"level_label"`
	StationID   uint64       `json:"station_id"`
	StationName string       `json:"station_name"`
	// LastDate is the date of their latest approved or pending entry
	// ("" if none); LastText writes it the Chinese way ("无记录").
	LastDate string `json:"last_date"`
	LastText string `json:"last_text"`
}

// DefaultInactiveMonths is how long without any entry makes a deputy
// inactive (the practice wants to end "三不代表").
const DefaultInactiveMonths = 3

// InactiveDeputies lists the active county and township deputies of the
// scope's stations (primary or other) with no approved or pending entry
// dated within the last months months (default 3), the longest silent
// first. Deputies above the county are left out (the county does not
// evaluate them), and so are those whose term began within the period.
func InactiveDeputies(ctx context.Context, db *gorm.DB, scope models.StaffScope, now time.Time, loc *time.Location, months int) ([]InactiveDeputy, error) {
	if months <= 0 {
		months = DefaultInactiveMonths
	}
	tx := db.WithContext(ctx)
	cutoff := now.In(models.OrLoc(loc)).AddDate(0, -months, 0).Format(models.DateLayout)
	q := tx.Model(&models.Deputy{}).Where("status = ? AND level IN ?", models.DeputyActive, []models.Level{models.LevelCounty, models.LevelTownship}).
		Where("term_start = '' OR term_start <= ?", cutoff).
		Where("id NOT IN (?)", db.Model(&models.Activity{}).Select("deputy_id").
			Where("date >= ? AND status IN ?", cutoff, []models.ActivityStatus{models.ActivityApproved, models.ActivityPending}))
	if !scope.All {
		st := append(append([]uint64{}, scope.StationIDs...), 0)
		q = q.Where("station_id IN ? OR id IN (?)", st,
			db.Table("deputy_stations").Select("deputy_id").Where("station_id IN ?", st))
	}
	var deps []models.Deputy
	if err := q.Order("id").Find(&deps).Error; err != nil {
		return nil, models.Translate(err)
	}
	out := make([]InactiveDeputy, 0, len(deps))
	if len(deps) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(deps))
	for i, d := range deps {
		ids[i] = d.ID
	}
	var last []struct {
		DeputyID uint64
		Last     string
	}
	if err := tx.Model(&models.Activity{}).Select("deputy_id, MAX(date) AS last").
		Where("deputy_id IN ? AND status IN ?", ids, []models.ActivityStatus{models.ActivityApproved, models.ActivityPending}).
		Group("deputy_id").Scan(&last).Error; err != nil {
		return nil, models.Translate(err)
	}
	lastOf := map[uint64]string{}
	for _, l := range last {
		lastOf[l.DeputyID] = l.Last
	}
	names, err := stationNames(tx)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		v := InactiveDeputy{ID: d.ID, Name: d.Name, Level: d.Level, LevelLabel: d.Level.Label(),
			StationID: d.StationID, StationName: names[d.StationID], LastDate: lastOf[d.ID], LastText: "无记录"}
		if v.LastDate != "" {
			v.LastText = models.CalendarFullDateText(v.LastDate)
		}
		out = append(out, v)
	}
	// The longest silent first: no entry at all, then the oldest last date.
	sortInactive(out)
	return out, nil
}

func sortInactive(v []InactiveDeputy) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].LastDate < v[j-1].LastDate; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func stationNames(tx *gorm.DB) (map[uint64]string, error) {
	var sts []models.Station
	if err := tx.Select("id", "name").Find(&sts).Error; err != nil {
		return nil, models.Translate(err)
	}
	out := make(map[uint64]string, len(sts))
	for _, s := range sts {
		out[s.ID] = s.Name
	}
	return out, nil
}

// PublicActivitySummary is a deputy's approved entries of year by type,
// the types with at least one, in the record's order: what voters who
// scan the deputy's code see.
func PublicActivitySummary(ctx context.Context, db *gorm.DB, deputyID uint64, year int) ([]TypeCount, error) {
	var rows []struct {
		Type models.ActivityType
		N    int
	}
	if err := db.WithContext(ctx).Model(&models.Activity{}).Select("type, COUNT(*) AS n").
		Where("deputy_id = ? AND status = ? AND date >= ? AND date <= ?", deputyID, models.ActivityApproved,
			fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)).
		Group("type").Scan(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	n := map[models.ActivityType]int{}
	for _, r := range rows {
		n[r.Type] = r.N
	}
	out := []TypeCount{}
	for _, t := range models.ActivityTypes {
		if n[t] > 0 {
			out = append(out, TypeCount{Type: t, Label: t.Label(), Count: n[t]})
		}
	}
	return out, nil
}

// ActivitySummary is the public summary of a deputy's record: the year
// and its approved entries by type (PublicActivitySummary).
type ActivitySummary struct {
	Year   int         `json:"year"`
	Counts []TypeCount `json:"counts"`
}
