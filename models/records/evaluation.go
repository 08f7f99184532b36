package records

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// The yearly evaluation (年度履职考评, docs/ARCHITECTURE.md#deputies-records):
// one Evaluation per (year, level, township), organised by the congress the
// deputies belong to: the county office (ManageScope.All) organises the
// county deputies' (Township ""), a township's 主席团 (a RoleTownship user)
// its township deputies' (Township = its Staff.Township). Deputies above
// the county level are shown beside the county's evaluation with their
// counts, not scored. A deputy's sheet counts the approved activities of
// the year by type; each type gives Points per activity up to MaxPoints.
// The page reads the total fairly: normalised to twelve months in office
// and shown as a band, never as a league table by default (BandOf).

// Audit actions of evaluations.
const (
	AuditEvaluationCreate  = "evaluation.create"
	AuditEvaluationWeights = "evaluation.weights"
	AuditEvaluationClose   = "evaluation.close"
	AuditEvaluationReopen  = "evaluation.reopen"
	AuditSelfAssessment    = "evaluation.self"
)

// Errors of evaluations.
var (
	ErrEvaluationNotFound = models.Coded(models.ErrNotFound, "evaluation_not_found", "没有找到这次考评，或者它不由您组织")
	ErrEvaluationClosed   = models.Coded(models.ErrConflict, "evaluation_closed", "这次考评已经结束，不能再修改；如需修改请由县人大常委会办公室重新开启")
	ErrEvaluationOpen     = models.Coded(models.ErrConflict, "evaluation_open", "这次考评尚未结束")
	ErrNotInEvaluation    = models.Coded(models.ErrNotFound, "deputy_not_in_evaluation", "这位代表不在这次考评之内")
)

// Limits of an evaluation.
const (
	// MaxWeightPoints and MaxWeightCap bound a weight's points per activity
	// and the most points a type can give.
	MaxWeightPoints = 100
	MaxWeightCap    = 1000
	// MaxSelfAssessment is the length of a self-assessment, in characters.
	MaxSelfAssessment = 2000
)

// SelfGrades are the grades a deputy may give themselves (代表自评).
var SelfGrades = []string{"优秀", "称职", "基本称职", "不称职"}

// evaluationAllows reports whether sc organises (or, for the county
// office, oversees) ev.
func evaluationAllows(sc models.ManageScope, ev models.Evaluation) bool {
	return sc.All || (sc.Township != "" && ev.Level == models.LevelTownship && ev.Township == sc.Township)
}

// EvaluationView is an evaluation with its weights in ActivityTypes order.
type EvaluationView struct {
	models.Evaluation
	Weights []models.EvaluationWeight
}

// MaxTotal is the most points the evaluation can give.
func (v EvaluationView) MaxTotal() float64 {
	t := 0.0
	for _, w := range v.Weights {
		t += w.MaxPoints
	}
	return t
}

// ListEvaluations lists the evaluations sc may see, the newest year first.
func ListEvaluations(ctx context.Context, db *gorm.DB, sc models.ManageScope) ([]models.Evaluation, error) {
	if !sc.All && sc.Township == "" {
		return nil, models.ErrManageForbidden
	}
	q := db.WithContext(ctx).Model(&models.Evaluation{})
	if !sc.All {
		q = q.Where("level = ? AND township = ?", models.LevelTownship, sc.Township)
	}
	var out []models.Evaluation
	err := q.Order("year DESC, CASE level WHEN 'county' THEN 0 ELSE 1 END, township, id").Find(&out).Error
	return out, models.Translate(err)
}

// GetEvaluation loads an evaluation sc may see, with its weights; any
// other is ErrEvaluationNotFound.
func GetEvaluation(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) (EvaluationView, error) {
	if !sc.All && sc.Township == "" {
		return EvaluationView{}, models.ErrManageForbidden
	}
	v, err := loadEvaluation(db.WithContext(ctx), id, false)
	if err != nil {
		return EvaluationView{}, err
	}
	if !evaluationAllows(sc, v.Evaluation) {
		return EvaluationView{}, ErrEvaluationNotFound
	}
	return v, nil
}

// loadEvaluation reads an evaluation and its weights, unscoped.
func loadEvaluation(tx *gorm.DB, id uint64, lock bool) (EvaluationView, error) {
	if !models.ValidID(id) {
		return EvaluationView{}, ErrEvaluationNotFound
	}
	q := tx
	if lock {
		q = models.LockingUpdate(tx)
	}
	var v EvaluationView
	if err := q.First(&v.Evaluation, id).Error; err != nil {
		return EvaluationView{}, models.NotFoundAs(err, ErrEvaluationNotFound)
	}
	var ws []models.EvaluationWeight
	if err := tx.Where("evaluation_id = ?", id).Find(&ws).Error; err != nil {
		return EvaluationView{}, models.Translate(err)
	}
	for _, t := range models.ActivityTypes {
		w := models.EvaluationWeight{EvaluationID: id, Type: t}
		for _, x := range ws {
			if x.Type == t {
				w = x
			}
		}
		v.Weights = append(v.Weights, w)
	}
	return v, nil
}

// CreateEvaluation opens the year's evaluation of the deputies of level in
// sc, with DefaultWeights and DefaultMinMonths: the county office creates
// the county deputies' evaluation, a township user its township deputies'.
func CreateEvaluation(ctx context.Context, db *gorm.DB, sc models.ManageScope, year int, level models.Level, now time.Time) (models.Evaluation, error) {
	if !sc.All && sc.Township == "" {
		return models.Evaluation{}, models.ErrManageForbidden
	}
	if year < 2000 || year > now.Year()+1 {
		return models.Evaluation{}, models.Invalid("year", fmt.Sprintf("请填写2000至%d之间的年度", now.Year()+1))
	}
	ev := models.Evaluation{Year: year, Level: level, Status: models.EvaluationOpen, MinMonths: models.DefaultMinMonths}
	switch {
	case level == models.LevelCounty && sc.All:
	case level == models.LevelCounty:
		return models.Evaluation{}, models.Coded(models.ErrForbidden, "evaluation_county", "县人大代表的考评由县人大常委会组织")
	case level == models.LevelTownship && sc.All:
		return models.Evaluation{}, models.Invalid("level", "镇人大代表的考评由各乡镇人大主席团组织")
	case level == models.LevelTownship:
		ev.Township = sc.Township
	case level.Valid():
		return models.Evaluation{}, models.Invalid("level", level.Label()+"不参与本县的考评，只展示其履职情况")
	default:
		return models.Evaluation{}, models.Invalid("level", "请选择县人大代表或镇人大代表")
	}
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.Evaluation{}).Where("year = ? AND level = ? AND township = ?", ev.Year, ev.Level, ev.Township).
			Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if n > 0 {
			return models.Coded(models.ErrConflict, "evaluation_exists", ev.Title()+"已经建立")
		}
		ev.ID, ev.CreatedAt, ev.UpdatedAt = 0, now.UTC(), now.UTC()
		if err := tx.Create(&ev).Error; err != nil {
			return models.Translate(err)
		}
		for _, t := range models.ActivityTypes {
			w := models.DefaultWeights[t]
			if err := tx.Create(&models.EvaluationWeight{EvaluationID: ev.ID, Type: t, Points: w[0], MaxPoints: w[1]}).Error; err != nil {
				return models.Translate(err)
			}
		}
		return models.Audit(ctx, tx, now, sc.Actor, AuditEvaluationCreate, "evaluation", ev.ID, "", string(models.EvaluationOpen), ev.Title())
	})
	if err != nil {
		return models.Evaluation{}, err
	}
	return ev, nil
}

// SetWeights replaces an open evaluation's weights (one per type; a type
// left out keeps its weight) and the months in office a deputy needs.
func SetWeights(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, weights []models.EvaluationWeight, minMonths int, now time.Time) error {
	if minMonths < 1 || minMonths > 12 {
		return models.Invalid("min_months", "最少在任月数应在1到12之间")
	}
	for _, w := range weights {
		if !w.Type.Valid() {
			return models.Invalid("type", "指标类型无效")
		}
		if math.IsNaN(w.Points) || w.Points < 0 || w.Points > MaxWeightPoints {
			return models.Invalid("points_"+string(w.Type), fmt.Sprintf("“%s”每次分值应在0到%d之间", w.Type.Label(), MaxWeightPoints))
		}
		if math.IsNaN(w.MaxPoints) || w.MaxPoints < 0 || w.MaxPoints > MaxWeightCap {
			return models.Invalid("max_"+string(w.Type), fmt.Sprintf("“%s”最高分应在0到%d之间", w.Type.Label(), MaxWeightCap))
		}
	}
	return models.RunTx(ctx, db, func(tx *gorm.DB) error {
		v, err := loadEvaluation(tx, id, true)
		if err != nil {
			return err
		}
		if !evaluationAllows(sc, v.Evaluation) {
			return ErrEvaluationNotFound
		}
		if v.Status != models.EvaluationOpen {
			return ErrEvaluationClosed
		}
		var changes []string
		for _, w := range weights {
			old := v.Weights[slices.Index(models.ActivityTypes, w.Type)]
			w.Points, w.MaxPoints = round2(w.Points), round2(w.MaxPoints)
			if old.Points == w.Points && old.MaxPoints == w.MaxPoints {
				continue
			}
			res := tx.Model(&models.EvaluationWeight{}).Where("evaluation_id = ? AND type = ?", id, w.Type).
				Updates(map[string]any{"points": w.Points, "max_points": w.MaxPoints})
			if res.Error != nil {
				return models.Translate(res.Error)
			}
			if res.RowsAffected == 0 {
				if err := tx.Create(&models.EvaluationWeight{EvaluationID: id, Type: w.Type, Points: w.Points, MaxPoints: w.MaxPoints}).Error; err != nil {
					return models.Translate(err)
				}
			}
			changes = append(changes, fmt.Sprintf("%s %s分/次、最高%s分（原%s分/次、最高%s分）", w.Type.Label(),
				PointsText(w.Points), PointsText(w.MaxPoints), PointsText(old.Points), PointsText(old.MaxPoints)))
		}
		if minMonths != v.MinMonths {
			if err := tx.Model(&models.Evaluation{}).Where("id = ?", id).
				Updates(map[string]any{"min_months": minMonths, "updated_at": now.UTC()}).Error; err != nil {
				return models.Translate(err)
			}
			changes = append(changes, fmt.Sprintf("最少在任月数 %d（原%d）", minMonths, v.MinMonths))
		}
		if len(changes) == 0 {
			return nil
		}
		return models.Audit(ctx, tx, now, sc.Actor, AuditEvaluationWeights, "evaluation", id, "", "",
			models.Shorten(strings.Join(changes, "；"), 1900, "…"))
	})
}

// CloseEvaluation ends an open evaluation: from then on the approved
// activities of that year of its deputies are locked (EvaluationLocked).
func CloseEvaluation(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (models.Evaluation, error) {
	var ev models.Evaluation
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		v, err := loadEvaluation(tx, id, true)
		if err != nil {
			return err
		}
		if !evaluationAllows(sc, v.Evaluation) {
			return ErrEvaluationNotFound
		}
		if v.Status != models.EvaluationOpen {
			return models.Coded(models.ErrConflict, "evaluation_closed", "这次考评已经结束")
		}
		at := now.UTC()
		if err := tx.Model(&models.Evaluation{}).Where("id = ?", id).
			Updates(map[string]any{"status": models.EvaluationClosed, "closed_at": at, "updated_at": at}).Error; err != nil {
			return models.Translate(err)
		}
		ev = v.Evaluation
		ev.Status, ev.ClosedAt = models.EvaluationClosed, &at
		return models.Audit(ctx, tx, now, sc.Actor, AuditEvaluationClose, "evaluation", id, string(models.EvaluationOpen), string(models.EvaluationClosed), ev.Title())
	})
	return ev, err
}

// ReopenEvaluation opens a closed evaluation again, for a correction; only
// the county office may, with a reason, and it is audited.
func ReopenEvaluation(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, reason string, now time.Time) (models.Evaluation, error) {
	if !sc.All {
		return models.Evaluation{}, models.Coded(models.ErrForbidden, "evaluation_reopen", "只有县人大常委会办公室可以重新开启已结束的考评")
	}
	reason = models.CleanLine(reason)
	if reason == "" {
		return models.Evaluation{}, models.Invalid("reason", "请填写重新开启的原因")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return models.Evaluation{}, models.Invalid("reason", "原因不能超过200个字")
	}
	var ev models.Evaluation
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		v, err := loadEvaluation(tx, id, true)
		if err != nil {
			return err
		}
		if v.Status != models.EvaluationClosed {
			return ErrEvaluationOpen
		}
		if err := tx.Model(&models.Evaluation{}).Where("id = ?", id).
			Updates(map[string]any{"status": models.EvaluationOpen, "closed_at": nil, "updated_at": now.UTC()}).Error; err != nil {
			return models.Translate(err)
		}
		ev = v.Evaluation
		ev.Status, ev.ClosedAt = models.EvaluationOpen, nil
		return models.Audit(ctx, tx, now, sc.Actor, AuditEvaluationReopen, "evaluation", id, string(models.EvaluationClosed), string(models.EvaluationOpen), reason)
	})
	return ev, err
}

// evaluationKeyOf is the (level, township) of the evaluation a deputy
// belongs to; ok is false for deputies above the county level.
func evaluationKeyOf(tx *gorm.DB, d models.Deputy) (models.Level, string, bool, error) {
	switch d.Level {
	case models.LevelCounty:
		return models.LevelCounty, "", true, nil
	case models.LevelTownship:
		var st models.Station
		if err := tx.Select("id", "district").First(&st, d.StationID).Error; err != nil {
			return "", "", false, models.Translate(err)
		}
		return models.LevelTownship, st.District, true, nil
	}
	return "", "", false, nil
}

// EvaluationLocked reports whether a deputy's entries dated date
// ("2006-01-02") are locked: the evaluation of that year for the deputy's
// level (and township) is closed. The review of activities refuses to
// change an approved entry then.
func EvaluationLocked(ctx context.Context, db *gorm.DB, deputyID uint64, date string) (bool, error) {
	if len(date) < 4 {
		return false, models.Invalid("date", "日期格式不正确")
	}
	year, err := strconv.Atoi(date[:4])
	if err != nil {
		return false, models.Invalid("date", "日期格式不正确")
	}
	ev, ok, err := EvaluationOfDeputy(ctx, db, deputyID, year)
	if err != nil || !ok {
		return false, err
	}
	return ev.Status == models.EvaluationClosed, nil
}

// EvaluationOfDeputy is the year's evaluation the deputy belongs to; ok is
// false when none was created (or the deputy is above the county level).
// The deputy's own pages use it to offer the self-assessment.
func EvaluationOfDeputy(ctx context.Context, db *gorm.DB, deputyID uint64, year int) (models.Evaluation, bool, error) {
	tx := db.WithContext(ctx)
	var d models.Deputy
	if err := tx.Select("id", "level", "station_id").First(&d, deputyID).Error; err != nil {
		return models.Evaluation{}, false, models.NotFoundAs(err, models.ErrDeputyNotFound)
	}
	level, township, ok, err := evaluationKeyOf(tx, d)
	if err != nil || !ok {
		return models.Evaluation{}, false, err
	}
	var ev models.Evaluation
	res := tx.Where("year = ? AND level = ? AND township = ?", year, level, township).Limit(1).Find(&ev)
	if res.Error != nil {
		return models.Evaluation{}, false, models.Translate(res.Error)
	}
	return ev, res.RowsAffected > 0, nil
}

// SubmitSelfAssessment keeps a deputy's self-assessment (代表自评) in an
// open evaluation they belong to: text (at most MaxSelfAssessment
// characters) and one of SelfGrades. A second submission replaces the
// first. The deputy's own pages call it; staff entering it on a deputy's
// behalf call EnterSelfAssessment.
func SubmitSelfAssessment(ctx context.Context, db *gorm.DB, deputyID, evaluationID uint64, text, grade string, now time.Time) (models.SelfAssessment, error) {
	return saveSelfAssessment(ctx, db, nil, models.Actor{Kind: "deputy", ID: deputyID}, deputyID, evaluationID, text, grade, now)
}

// EnterSelfAssessment is SubmitSelfAssessment by staff in sc on the
// deputy's behalf (a deputy without WeChat hands in a written one).
func EnterSelfAssessment(ctx context.Context, db *gorm.DB, sc models.ManageScope, evaluationID, deputyID uint64, text, grade string, now time.Time) (models.SelfAssessment, error) {
	if !sc.All && sc.Township == "" {
		return models.SelfAssessment{}, models.ErrManageForbidden
	}
	return saveSelfAssessment(ctx, db, &sc, sc.Actor, deputyID, evaluationID, text, grade, now)
}

func saveSelfAssessment(ctx context.Context, db *gorm.DB, sc *models.ManageScope, who models.Actor, deputyID, evaluationID uint64, text, grade string, now time.Time) (models.SelfAssessment, error) {
	text = models.CleanText(text)
	if text == "" {
		return models.SelfAssessment{}, models.Invalid("text", "请填写自评内容")
	}
	if utf8.RuneCountInString(text) > MaxSelfAssessment {
		return models.SelfAssessment{}, models.Invalid("text", fmt.Sprintf("自评内容不能超过%d个字", MaxSelfAssessment))
	}
	if !slices.Contains(SelfGrades, grade) {
		return models.SelfAssessment{}, models.Invalid("grade", "请选择自评等次：优秀、称职、基本称职或不称职")
	}
	var out models.SelfAssessment
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		v, err := loadEvaluation(tx, evaluationID, true)
		if err != nil {
			return err
		}
		if sc != nil && !evaluationAllows(*sc, v.Evaluation) {
			return ErrEvaluationNotFound
		}
		if v.Status != models.EvaluationOpen {
			return ErrEvaluationClosed
		}
		if _, err := evaluationDeputy(tx, v.Evaluation, deputyID); err != nil {
			return err
		}
		var old models.SelfAssessment
		found, err := models.LockFind(tx, &old, "evaluation_id = ? AND deputy_id = ?", evaluationID, deputyID)
		if err != nil {
			return err
		}
		out = models.SelfAssessment{EvaluationID: evaluationID, DeputyID: deputyID, Text: text, Grade: grade,
			SubmittedAt: now.UTC(), UpdatedAt: now.UTC()}
		from := ""
		if found {
			out.SubmittedAt, out.VoterRating, from = old.SubmittedAt, old.VoterRating, old.Grade
			if err := tx.Model(&models.SelfAssessment{}).Where("evaluation_id = ? AND deputy_id = ?", evaluationID, deputyID).
				Updates(map[string]any{"text": text, "grade": grade, "updated_at": now.UTC()}).Error; err != nil {
				return models.Translate(err)
			}
		} else if err := tx.Create(&out).Error; err != nil {
			return models.Translate(err)
		}
		return models.Audit(ctx, tx, now, who, AuditSelfAssessment, "evaluation", evaluationID, from, grade,
			fmt.Sprintf("代表#%d 自评", deputyID))
	})
	return out, err
}

// evaluationDeputies are the deputies an evaluation scores: of its level
// (and township, by primary station), in office for part of its year.
func evaluationDeputies(tx *gorm.DB, ev models.Evaluation) *gorm.DB {
	first, last := ev.YearSpan()
	q := tx.Table("deputies").Joins("JOIN stations ON stations.id = deputies.station_id").
		Where("deputies.level = ?", ev.Level)
	if ev.Level == models.LevelTownship {
		q = q.Where("stations.district = ?", ev.Township)
	}
	return inOfficeDuring(q, first, last)
}

// inOfficeDuring keeps the deputies in office for part of [first, last]:
// a retired deputy without a term end is left out.
func inOfficeDuring(q *gorm.DB, first, last string) *gorm.DB {
	return q.Where("(deputies.term_start = '' OR deputies.term_start <= ?) AND (deputies.term_end = '' OR deputies.term_end >= ?)", last, first).
		Where("deputies.status = ? OR deputies.term_end <> ''", models.DeputyActive)
}

// evaluationDeputy loads one deputy of the evaluation, or ErrNotInEvaluation.
func evaluationDeputy(tx *gorm.DB, ev models.Evaluation, deputyID uint64) (models.Deputy, error) {
	if !models.ValidID(deputyID) {
		return models.Deputy{}, ErrNotInEvaluation
	}
	var d models.Deputy
	res := evaluationDeputies(tx, ev).Where("deputies.id = ?", deputyID).Select("deputies.*").Limit(1).Scan(&d)
	if res.Error != nil {
		return models.Deputy{}, models.Translate(res.Error)
	}
	if res.RowsAffected == 0 || d.ID == 0 {
		return models.Deputy{}, ErrNotInEvaluation
	}
	return d, nil
}

// MonthsInOffice is how many months of year a deputy with that term
// ("2006-01-02" or "" for unknown) was in office: the days in office that
// year × 12 / the year's days, rounded, and at least 1 for any day.
func MonthsInOffice(termStart, termEnd string, year int) int {
	first := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	from, to := first, last
	if t, err := time.Parse(time.DateOnly, termStart); err == nil && t.After(from) {
		from = t
	}
	if t, err := time.Parse(time.DateOnly, termEnd); err == nil && t.Before(to) {
		to = t
	}
	if to.Before(from) {
		return 0
	}
	days := to.Sub(from).Hours()/24 + 1
	yearDays := last.Sub(first).Hours()/24 + 1
	return max(1, int(math.Round(days*12/yearDays)))
}

// PointsText writes points the short way: "2", "2.5".
func PointsText(p float64) string { return strconv.FormatFloat(round2(p), 'f', -1, 64) }

func round2(f float64) float64 { return math.Round(f*100) / 100 }
