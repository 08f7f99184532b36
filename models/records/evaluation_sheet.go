package records

import (
	"cmp"
	"context"
	"math"
	"slices"

	"deputylink/models"

	"gorm.io/gorm"
)

// A deputy's evaluation sheet: per type the approved activities of the
// year, the points they give (count × points, capped at the type's most),
// the total, and the context a fair reading needs (months in office this
// year, level, role, the self-assessment and the voters' rating).
//
// Fair reading (docs/ARCHITECTURE.md#deputies-records): the total is
// normalised to twelve months in office (total × 12 / months, at most the
// full total) and banded against the full total: at least half is 较好, at
// least a quarter 一般, less 偏少. A deputy in office fewer than the
// evaluation's MinMonths is 样本不足: no band, no rank. Ranks, shown only
// when asked for, order the normalised scores of the others; equal scores
// (to one decimal) share a rank.

// Band is the fair reading of a sheet.
type Band string

// Bands.
const (
	BandGood   Band = "good"   // 较好
	BandFair   Band = "fair"   // 一般
	BandLow    Band = "low"    // 偏少
	BandSample Band = "sample" // 样本不足
	// BandNone is a deputy above the county level: shown, not scored.
	BandNone Band = "none"
)

// Thresholds of the bands, as shares of the full total.
const (
	BandGoodShare = 0.5
	BandFairShare = 0.25
)

// Label is the band in Chinese.
func (b Band) Label() string {
	switch b {
	case BandGood:
		return "较好"
	case BandFair:
		return "一般"
	case BandLow:
		return "偏少"
	case BandSample:
		return "样本不足"
	case BandNone:
		return "不参与考评"
	}
	return string(b)
}

// Bands lists the scored bands in the order the page shows them.
var Bands = []Band{BandGood, BandFair, BandLow, BandSample}

// BandOf is the band of a normalised score out of maxTotal for a deputy in
// office months months, when minMonths are needed.
func BandOf(normalised, maxTotal float64, months, minMonths int) Band {
	switch {
	case months < minMonths:
		return BandSample
	case maxTotal > 0 && normalised >= maxTotal*BandGoodShare:
		return BandGood
	case maxTotal > 0 && normalised >= maxTotal*BandFairShare:
		return BandFair
	}
	return BandLow
}

// VoterRatingPending is shown until the yearly report to voters fills the
// voters' rating.
const VoterRatingPending = "待述职评议后填写"

// SheetLine is one type on a sheet.
type SheetLine struct {
	Type  models.ActivityType
	Label string
	// Count is the approved activities of the type in the year.
	Count int
	// Points per activity and MaxPoints the type gives at most.
	Points, MaxPoints float64
	// Score is min(Count × Points, MaxPoints).
	Score float64
	// Capped is true when the cap cut the score.
	Capped bool
}

// Sheet is one deputy's evaluation sheet.
type Sheet struct {
	Evaluation models.Evaluation
	Deputy     models.Deputy
	// StationName and Township are of the deputy's primary station;
	// StationIDs are every station the deputy serves.
	StationName, Township string
	StationIDs            []uint64
	// Groups are the deputy's groups (代表小组) by id and name; Leads the
	// names of those they lead.
	GroupIDs      []uint64
	Groups, Leads []string
	// Scored is false for deputies above the county level (counts only).
	Scored bool
	Lines  []SheetLine
	// Total is the sum of the lines' scores, MaxTotal the most possible.
	Total, MaxTotal float64
	// Activities is the approved activities of the year, of any type.
	Activities int
	// Months in office this year; Normalised is Total × 12 / Months, at
	// most MaxTotal, to one decimal.
	Months     int
	Normalised float64
	Band       Band
	// Rank is the place by Normalised among the deputies with a band
	// (ties share it); 0 for none. Shown only when asked for.
	Rank int
	// Self is the self-assessment; nil until one is handed in.
	Self *models.SelfAssessment
}

// VoterRating is the voters' rating, or VoterRatingPending.
func (s Sheet) VoterRating() string {
	if s.Self != nil && s.Self.VoterRating != "" {
		return s.Self.VoterRating
	}
	return VoterRatingPending
}

// Role is the deputy's role in one line: duties, group leadership.
func (s Sheet) Role() string {
	r := s.Deputy.Duties
	for _, g := range s.Leads {
		if r != "" {
			r += "；"
		}
		r += g + "组长"
	}
	return r
}

// scoreSheet fills the lines, totals, normalised score and band of s from
// the counts by type, with the evaluation's weights.
func scoreSheet(s *Sheet, v EvaluationView, counts map[models.ActivityType]int) {
	s.Lines, s.Total, s.MaxTotal, s.Activities = nil, 0, 0, 0
	for _, w := range v.Weights {
		n := counts[w.Type]
		l := SheetLine{Type: w.Type, Label: w.Type.Label(), Count: n, Points: w.Points, MaxPoints: w.MaxPoints}
		raw := round2(float64(n) * w.Points)
		l.Score = math.Min(raw, w.MaxPoints)
		l.Capped = raw > w.MaxPoints
		s.Lines = append(s.Lines, l)
		s.Total += l.Score
		s.MaxTotal += w.MaxPoints
		s.Activities += n
	}
	s.Total, s.MaxTotal = round2(s.Total), round2(s.MaxTotal)
	s.Months = MonthsInOffice(s.Deputy.TermStart, s.Deputy.TermEnd, v.Year)
	if !s.Scored {
		s.Band = BandNone
		return
	}
	if s.Months > 0 {
		s.Normalised = math.Round(math.Min(s.Total*12/float64(s.Months), s.MaxTotal)*10) / 10
	}
	s.Band = BandOf(s.Normalised, s.MaxTotal, s.Months, v.MinMonths)
}

// RankSheets sets the rank of every sheet with a band by its normalised
// score, highest first; equal scores share a rank (1, 1, 3). Sheets
// without a band (样本不足, not scored) get 0.
func RankSheets(sheets []Sheet) {
	var idx []int
	for i := range sheets {
		sheets[i].Rank = 0
		if sheets[i].Scored && sheets[i].Band != BandSample {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(sheets[b].Normalised, sheets[a].Normalised) })
	for n, i := range idx {
		if n > 0 && sheets[idx[n-1]].Normalised == sheets[i].Normalised {
			sheets[i].Rank = sheets[idx[n-1]].Rank
		} else {
			sheets[i].Rank = n + 1
		}
	}
}

// EvaluationSheet is one deputy's sheet in an evaluation; a deputy outside
// it is ErrNotInEvaluation. Unscoped: callers check who may see it
// (GetEvaluation for staff; the deputy themselves on their own pages).
func EvaluationSheet(ctx context.Context, db *gorm.DB, evaluationID, deputyID uint64) (Sheet, error) {
	tx := db.WithContext(ctx)
	v, err := loadEvaluation(tx, evaluationID, false)
	if err != nil {
		return Sheet{}, err
	}
	if !models.ValidID(deputyID) {
		return Sheet{}, ErrNotInEvaluation
	}
	out, err := buildSheets(tx, v, evaluationDeputies(tx, v.Evaluation).Where("deputies.id = ?", deputyID), true)
	if err != nil {
		return Sheet{}, err
	}
	if len(out) == 0 {
		return Sheet{}, ErrNotInEvaluation
	}
	return out[0], nil
}

// EvaluationSheets are the sheets of every deputy of the evaluation, by
// primary station then entry order, ranked (RankSheets). Unscoped like
// EvaluationSheet.
func EvaluationSheets(ctx context.Context, db *gorm.DB, evaluationID uint64) ([]Sheet, error) {
	tx := db.WithContext(ctx)
	v, err := loadEvaluation(tx, evaluationID, false)
	if err != nil {
		return nil, err
	}
	out, err := buildSheets(tx, v, evaluationDeputies(tx, v.Evaluation), true)
	if err != nil {
		return nil, err
	}
	RankSheets(out)
	return out, nil
}

// EvaluationUnscored are the deputies above the county level beside a
// county evaluation (their counts of the year, not scored); none beside a
// township's.
func EvaluationUnscored(ctx context.Context, db *gorm.DB, evaluationID uint64) ([]Sheet, error) {
	tx := db.WithContext(ctx)
	v, err := loadEvaluation(tx, evaluationID, false)
	if err != nil {
		return nil, err
	}
	if v.Level != models.LevelCounty {
		return nil, nil
	}
	first, last := v.YearSpan()
	q := inOfficeDuring(tx.Table("deputies").Joins("JOIN stations ON stations.id = deputies.station_id").
		Where("deputies.level IN ?", []models.Level{models.LevelNational, models.LevelProvincial, models.LevelCity}), first, last)
	return buildSheets(tx, v, q, false)
}

// buildSheets reads the deputies of q with what their sheets need, in a
// fixed number of queries whatever their number.
func buildSheets(tx *gorm.DB, v EvaluationView, q *gorm.DB, scored bool) ([]Sheet, error) {
	type row struct {
		models.Deputy
		StationName, Township string
	}
	var rows []row
	if err := q.Select("deputies.*, stations.name AS station_name, stations.district AS township").
		Order("deputies.station_id, deputies.id").Scan(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]uint64, len(rows))
	at := make(map[uint64]int, len(rows))
	out := make([]Sheet, len(rows))
	for i, r := range rows {
		ids[i], at[r.ID] = r.ID, i
		out[i] = Sheet{Evaluation: v.Evaluation, Deputy: r.Deputy, StationName: r.StationName, Township: r.Township,
			StationIDs: []uint64{r.StationID}, Scored: scored}
	}
	first, last := v.YearSpan()
	counts := make(map[uint64]map[models.ActivityType]int, len(rows))
	type countRow struct {
		DeputyID uint64
		Type     models.ActivityType
		N        int
	}
	for chunk := range slices.Chunk(ids, 500) {
		var cs []countRow
		if err := tx.Model(&models.Activity{}).Select("deputy_id, type, COUNT(*) AS n").
			Where("deputy_id IN ? AND status = ? AND date >= ? AND date <= ?", chunk, models.ActivityApproved, first, last).
			Group("deputy_id, type").Scan(&cs).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, c := range cs {
			if counts[c.DeputyID] == nil {
				counts[c.DeputyID] = map[models.ActivityType]int{}
			}
			if !c.Type.Valid() {
				c.Type = models.ActOther
			}
			counts[c.DeputyID][c.Type] += c.N
		}
		var links []struct{ DeputyID, StationID uint64 }
		if err := tx.Table("deputy_stations").Select("deputy_id, station_id").Where("deputy_id IN ?", chunk).
			Order("station_id").Scan(&links).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, l := range links {
			s := &out[at[l.DeputyID]]
			if !slices.Contains(s.StationIDs, l.StationID) {
				s.StationIDs = append(s.StationIDs, l.StationID)
			}
		}
		var groups []struct {
			DeputyID, GroupID uint64
			Name              string
			LeaderID          *uint64
		}
		if err := tx.Table("deputy_group_members").
			Joins("JOIN deputy_groups ON deputy_groups.id = deputy_group_members.deputy_group_id").
			Select("deputy_group_members.deputy_id AS deputy_id, deputy_groups.id AS group_id, deputy_groups.name AS name, deputy_groups.leader_id AS leader_id").
			Where("deputy_group_members.deputy_id IN ?", chunk).Order("deputy_groups.id").Scan(&groups).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, g := range groups {
			s := &out[at[g.DeputyID]]
			s.GroupIDs, s.Groups = append(s.GroupIDs, g.GroupID), append(s.Groups, g.Name)
			if g.LeaderID != nil && *g.LeaderID == g.DeputyID {
				s.Leads = append(s.Leads, g.Name)
			}
		}
		var selfs []models.SelfAssessment
		if err := tx.Where("evaluation_id = ? AND deputy_id IN ?", v.ID, chunk).Find(&selfs).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, sa := range selfs {
			out[at[sa.DeputyID]].Self = &sa
		}
	}
	for i := range out {
		scoreSheet(&out[i], v, counts[out[i].Deputy.ID])
	}
	return out, nil
}
