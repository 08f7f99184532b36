package reviews

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// Who organises a review (docs/ARCHITECTURE.md#reviews). The law gives a
// county deputy's report to voters to the county standing committee and a
// township deputy's to the township's 主席团, so:
//
//   - the county office (ManageScope.All) opens reviews of level county:
//     of county deputies, or of departments rated by the county deputies;
//   - a township office (ManageScope.Township) opens reviews of level
//     township for its own township: of the township deputies whose
//     primary station is in it (Station.District), or of departments rated
//     by those deputies.
//
// The county office may not open a review of township deputies, nor enter
// its paper ballots or close it; it may look at every township's reviews
// and their tallies (it oversees the townships' work, as it does their
// evaluations), but not at their slips, whose codes are ballots.

// Limits of a review.
const (
	MaxTitle      = 100
	MaxPlace      = 100
	MaxDimension  = 20 // characters of one dimension's name
	MaxDimensions = 10
	MaxSubjects   = 50
	MaxSlips      = 2000
	// MinMinBallots is the least MinBallots an organiser may set: fewer,
	// and a tally could tell how a few people voted.
	MinMinBallots = 5
	MaxMinBallots = 1000
	// MaxWindow is the longest a review takes ballots.
	MaxWindow = 31 * 24 * time.Hour
	// MaxComment is the length of a ballot's comment on one subject.
	MaxComment = 200
	// MaxPaperBallots bounds the paper ballots of one review.
	MaxPaperBallots = 10000
)

// SlipCodeLen is the length of a slip's code; SlipAlphabet its letters:
// no 0/O or 1/I, which people misread off paper. 32 letters, so each is
// 5 random bits and a code 50.
const (
	SlipCodeLen  = 10
	SlipAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
)

// SlipScene is the text a slip's QR carries when the site has no public
// address: "b=<code>", which only the mini-program's own scan button
// reads. The mini-program sends the code in the body of POST
// /api/v1/ballot-slips/open (never in a path, which the access log would
// keep).
func SlipScene(code string) string { return "b=" + code }

// SlipPath is where a slip's link points under the site's public address:
// <DEPUTYLINK_PUBLIC_URL>/b/<code>. It is the URL prefix of the
// mini-program's QR rule (扫普通链接二维码打开小程序, docs/OPERATIONS.md),
// so WeChat's own 扫一扫 opens the ballot page straight from a printed
// slip; the server answers GET /b/<code> only with a page that says so
// (handlers/sliplink.go), never with the code's review.
const SlipPath = "/b/"

// SlipLink is what a slip's QR carries: the link <publicURL>/b/<code>
// when the site has a public address (publicURL without a trailing
// slash, as config keeps DEPUTYLINK_PUBLIC_URL), else SlipScene.
func SlipLink(publicURL, code string) string {
	if publicURL == "" {
		return SlipScene(code)
	}
	return strings.TrimRight(publicURL, "/") + SlipPath + code
}

// Audit actions of reviews. Casting a ballot is never audited: an audit
// row names who did what when, which is what a ballot must not keep.
const (
	AuditReviewCreate = "review.create"
	AuditReviewPaper  = "review.paper"
	AuditReviewClose  = "review.close"
)

// Refusals of the organiser's pages besides those in models/review.go.
var (
	ErrReviewNotFound = models.Coded(models.ErrNotFound, "review_not_found", "没有找到这次评议，或者它不由您组织")
	ErrReviewFinal    = models.Coded(models.ErrConflict, "review_final", "本次评议已经关闭，结果已经确定，不能再修改")
	// ErrNoKeyer is a deployment without the ballot key (a wiring fault).
	ErrNoKeyer = errors.New("reviews: no ballot key configured")
)

// organiserOf is the (level, township) of the reviews sc organises; ok is
// false for a scope that organises none.
func organiserOf(sc models.ManageScope) (models.Level, string, bool) {
	switch {
	case sc.All:
		return models.LevelCounty, "", true
	case sc.Township != "":
		return models.LevelTownship, sc.Township, true
	}
	return "", "", false
}

// organises reports whether sc is r's organiser.
func organises(sc models.ManageScope, r models.Review) bool {
	l, t, ok := organiserOf(sc)
	return ok && r.Level == l && r.Township == t
}

// organiserOnly refuses what only r's organiser may do: ErrNotOrganiser
// to the county office looking at a township's review, ErrReviewNotFound
// to anyone else (who may not know it exists).
func organiserOnly(sc models.ManageScope, r models.Review) error {
	switch {
	case organises(sc, r):
		return nil
	case oversees(sc, r):
		return models.ErrNotOrganiser
	}
	return ErrReviewNotFound
}

// oversees reports whether sc may look at r: its organiser, or the county
// office.
func oversees(sc models.ManageScope, r models.Review) bool { return sc.All || organises(sc, r) }

// statusOf is where r is at now.
func statusOf(r models.Review, now time.Time) Status {
	switch {
	case r.ClosedAt != nil || !now.Before(r.ClosesAt):
		return StatusClosed
	case now.Before(r.OpensAt):
		return StatusScheduled
	}
	return StatusOpen
}

// windowErr refuses a ballot outside r's window.
func windowErr(r models.Review, now time.Time) error {
	switch statusOf(r, now) {
	case StatusClosed:
		return models.ErrReviewClosed
	case StatusScheduled:
		return models.ErrReviewNotOpen
	}
	return nil
}

// Create opens a review (and makes its slips). Only the organiser of the
// subjects may: ErrNotOrganiser otherwise; ErrNotDirectlyElected for a
// deputy who is not a county or township deputy. in.Level and
// in.Township may be left empty: they are the scope's own.
func Create(ctx context.Context, db *gorm.DB, sc models.ManageScope, in NewReview, now time.Time) (models.Review, error) {
	return create(ctx, db, sc, in, now, func(int) string { return newSlipCode() })
}

// create is Create with the slips' codes from code (the demo's are fixed).
func create(ctx context.Context, db *gorm.DB, sc models.ManageScope, in NewReview, now time.Time, code func(i int) string) (models.Review, error) {
	level, township, ok := organiserOf(sc)
	if !ok {
		return models.Review{}, models.ErrNotOrganiser
	}
	if in.Level == "" && in.Township == "" {
		in.Level, in.Township = level, township
	}
	if in.Level != level || in.Township != township {
		return models.Review{}, models.ErrNotOrganiser
	}
	r, err := checkNew(&in, now)
	if err != nil {
		return models.Review{}, err
	}
	r.CreatedByStaffID = sc.Actor.ID
	// A slip code that happens to repeat one already printed (one chance
	// in 2^50 per pair) fails the unique index: make them all again.
	for attempt := 1; ; attempt++ {
		out := r
		err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
			if err := checkSubjects(tx, in); err != nil {
				return err
			}
			if err := tx.Create(&out).Error; err != nil {
				return models.Translate(err)
			}
			subs := make([]models.ReviewSubject, len(in.SubjectIDs))
			for i, id := range in.SubjectIDs {
				subs[i] = models.ReviewSubject{ReviewID: out.ID, SubjectID: id, SortOrder: i}
			}
			if err := tx.Create(&subs).Error; err != nil {
				return models.Translate(err)
			}
			if in.Slips > 0 {
				slips := make([]models.BallotSlip, in.Slips)
				for i := range slips {
					slips[i] = models.BallotSlip{ReviewID: out.ID, Code: code(i)}
				}
				if err := tx.CreateInBatches(&slips, 500).Error; err != nil {
					return models.Translate(err)
				}
			}
			return models.Audit(ctx, tx, now, sc.Actor, AuditReviewCreate, "review", out.ID, "", string(StatusScheduled),
				fmt.Sprintf("%s：%s（%d个对象，%d张评议票）", out.Kind.Label(), out.Title, len(in.SubjectIDs), in.Slips))
		})
		if err == nil || attempt == 3 || !errors.Is(err, models.ErrConflict) {
			return out, err
		}
	}
}

// checkNew cleans and checks what the organiser filled in, and is the
// review it makes (without its organiser's id).
func checkNew(in *NewReview, now time.Time) (models.Review, error) {
	in.Title = models.CleanLine(in.Title)
	in.Place = models.CleanLine(in.Place)
	in.Date = strings.TrimSpace(in.Date)
	switch {
	case in.Kind != models.ReviewOfDeputies && in.Kind != models.ReviewOfDepartments:
		return models.Review{}, models.Invalid("kind", "请选择评议类型：选民评议代表或代表评议部门")
	case in.Title == "":
		return models.Review{}, models.Invalid("title", "请填写评议名称")
	case utf8.RuneCountInString(in.Title) > MaxTitle:
		return models.Review{}, models.Invalid("title", fmt.Sprintf("评议名称不能超过%d个字", MaxTitle))
	case in.Place == "":
		return models.Review{}, models.Invalid("place", "请填写会议地点")
	case utf8.RuneCountInString(in.Place) > MaxPlace:
		return models.Review{}, models.Invalid("place", fmt.Sprintf("会议地点不能超过%d个字", MaxPlace))
	}
	if _, err := time.Parse(models.DateLayout, in.Date); err != nil {
		return models.Review{}, models.Invalid("date", "请填写会议日期，例如 2026-12-20")
	}
	dims, err := checkDimensions(in.Kind, in.Dimensions)
	if err != nil {
		return models.Review{}, err
	}
	in.Dimensions = dims
	switch {
	case in.OpensAt.IsZero() || in.ClosesAt.IsZero():
		return models.Review{}, models.Invalid("opens_at", "请填写投票的开始和结束时间")
	case !in.OpensAt.Before(in.ClosesAt):
		return models.Review{}, models.Invalid("closes_at", "投票结束时间必须晚于开始时间")
	case !now.Before(in.ClosesAt):
		return models.Review{}, models.Invalid("closes_at", "投票结束时间已经过去，请重新填写")
	case in.ClosesAt.Sub(in.OpensAt) > MaxWindow:
		return models.Review{}, models.Invalid("closes_at", "投票时间最长31天")
	}
	if in.MinBallots == 0 {
		in.MinBallots = models.DefaultReviewMinBallots
	}
	if in.MinBallots < MinMinBallots || in.MinBallots > MaxMinBallots {
		return models.Review{}, models.Invalid("min_ballots",
			fmt.Sprintf("公布结果所需的最少票数应在%d到%d之间：票数太少，个人的选择就能从结果中看出来", MinMinBallots, MaxMinBallots))
	}
	in.SubjectIDs = models.UniqueIDs(in.SubjectIDs)
	what := "代表"
	if in.Kind == models.ReviewOfDepartments {
		what = "部门"
	}
	switch {
	case len(in.SubjectIDs) == 0:
		return models.Review{}, models.Invalid("subject_ids", "请选择参加评议的"+what)
	case len(in.SubjectIDs) > MaxSubjects:
		return models.Review{}, models.Invalid("subject_ids", fmt.Sprintf("一次评议最多%d个%s", MaxSubjects, what))
	}
	switch {
	case in.Kind == models.ReviewOfDepartments && in.Slips != 0:
		return models.Review{}, models.Invalid("slips", "代表评议部门由代表在公众号中投票，不需要评议票")
	case in.Kind == models.ReviewOfDeputies && (in.Slips < 1 || in.Slips > MaxSlips):
		return models.Review{}, models.Invalid("slips", fmt.Sprintf("评议票数量应为应邀选民代表的人数（1到%d张）", MaxSlips))
	}
	return models.Review{
		Kind: in.Kind, Title: in.Title, Level: in.Level, Township: in.Township, Date: in.Date, Place: in.Place,
		Dimensions: strings.Join(dims, "|"), OpensAt: in.OpensAt.UTC(), ClosesAt: in.ClosesAt.UTC(),
		MinBallots: in.MinBallots, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}, nil
}

// checkDimensions cleans the dimensions, defaulting by kind.
func checkDimensions(kind models.ReviewKind, in []string) ([]string, error) {
	var dims []string
	for _, d := range in {
		if d = models.CleanLine(d); d != "" {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 {
		if kind == models.ReviewOfDepartments {
			return slices.Clone(models.DefaultDepartmentDimensions), nil
		}
		return slices.Clone(models.DefaultReviewDimensions), nil
	}
	if len(dims) > MaxDimensions {
		return nil, models.Invalid("dimensions", fmt.Sprintf("测评项目最多%d项", MaxDimensions))
	}
	for i, d := range dims {
		switch {
		case utf8.RuneCountInString(d) > MaxDimension:
			return nil, models.Invalid("dimensions", fmt.Sprintf("测评项目“%s”太长，每项不能超过%d个字", d, MaxDimension))
		case strings.Contains(d, "|"):
			return nil, models.Invalid("dimensions", "测评项目中不能有“|”")
		case slices.Contains(dims[:i], d):
			return nil, models.Invalid("dimensions", fmt.Sprintf("测评项目“%s”重复了", d))
		}
	}
	return dims, nil
}

// checkSubjects checks the subjects exist and may be put to the review:
// a deputy must be serving, directly elected (county or township) and of
// the organiser's level and township.
func checkSubjects(tx *gorm.DB, in NewReview) error {
	if in.Kind == models.ReviewOfDepartments {
		var n int64
		if err := tx.Model(&models.Department{}).Where("id IN ?", in.SubjectIDs).Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if int(n) != len(in.SubjectIDs) {
			return models.Invalid("subject_ids", "所选的部门有的已不存在，请刷新后重选")
		}
		return nil
	}
	var deps []models.Deputy
	if err := tx.Select("id", "name", "level", "station_id", "status").Where("id IN ?", in.SubjectIDs).Find(&deps).Error; err != nil {
		return models.Translate(err)
	}
	if len(deps) != len(in.SubjectIDs) {
		return models.Invalid("subject_ids", "所选的代表有的已不存在，请刷新后重选")
	}
	districts, err := stationDistricts(tx, deps)
	if err != nil {
		return err
	}
	for _, d := range deps {
		switch {
		case d.Level != models.LevelCounty && d.Level != models.LevelTownship:
			return models.ErrNotDirectlyElected
		case d.Level != in.Level:
			return models.ErrNotOrganiser
		case d.Level == models.LevelTownship && districts[d.StationID] != in.Township:
			return models.ErrNotOrganiser
		case d.Status != models.DeputyActive:
			return models.Invalid("subject_ids", d.Name+"代表已经离任，不能参加述职评议")
		}
	}
	return nil
}

// stationDistricts maps the deputies' primary stations to their townships.
func stationDistricts(tx *gorm.DB, deps []models.Deputy) (map[uint64]string, error) {
	ids := make([]uint64, len(deps))
	for i, d := range deps {
		ids[i] = d.StationID
	}
	var sts []models.Station
	if err := tx.Select("id", "district").Where("id IN ?", models.UniqueIDs(ids)).Find(&sts).Error; err != nil {
		return nil, models.Translate(err)
	}
	out := make(map[uint64]string, len(sts))
	for _, s := range sts {
		out[s.ID] = s.District
	}
	return out, nil
}

// newSlipCode is a fresh random slip code.
func newSlipCode() string {
	b := make([]byte, SlipCodeLen)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = SlipAlphabet[b[i]&31] // 256 is a multiple of 32: uniform
	}
	return string(b)
}

// NormalizeSlipCode is code as stored: upper case, without spaces, dashes,
// the QR's "b=" scene prefix or the http(s)://…/b/ of its link (SlipLink;
// the link's host is not checked here: the code alone is the secret, and
// the mini-program refuses another site's links); ok is false for what
// cannot be a code.
func NormalizeSlipCode(code string) (string, bool) {
	code = strings.TrimSpace(code)
	if lower := strings.ToLower(code); strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		i := strings.LastIndex(code, SlipPath)
		if i < 0 {
			return "", false
		}
		code = code[i+len(SlipPath):]
	}
	code = strings.TrimPrefix(strings.TrimPrefix(code, "b="), "B=")
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(code))
	if len(code) != SlipCodeLen {
		return "", false
	}
	for _, r := range code {
		if !strings.ContainsRune(SlipAlphabet, r) {
			return "", false
		}
	}
	return code, true
}

// List lists the reviews the scope organises (and, for the county office,
// the townships' too), newest first.
func List(ctx context.Context, db *gorm.DB, sc models.ManageScope, now time.Time) ([]View, error) {
	tx := db.WithContext(ctx)
	q := tx.Order("date DESC, id DESC").Limit(500)
	switch {
	case sc.All:
	case sc.Township != "":
		q = q.Where("level = ? AND township = ?", models.LevelTownship, sc.Township)
	default:
		return nil, models.ErrNotOrganiser
	}
	var rs []models.Review
	if err := q.Find(&rs).Error; err != nil {
		return nil, models.Translate(err)
	}
	return views(tx, rs, now)
}

// Get is one review the scope organises or oversees.
func Get(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (View, error) {
	tx := db.WithContext(ctx)
	r, err := loadReview(tx, id, false)
	if err != nil {
		return View{}, err
	}
	if !oversees(sc, r) {
		return View{}, ErrReviewNotFound
	}
	return viewOf(tx, r, now)
}

// Slips lists a review's slips for printing: its organiser's only.
func Slips(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) ([]models.BallotSlip, error) {
	tx := db.WithContext(ctx)
	r, err := loadReview(tx, id, false)
	if err != nil {
		return nil, err
	}
	if err := organiserOnly(sc, r); err != nil {
		return nil, err
	}
	var slips []models.BallotSlip
	if err := tx.Where("review_id = ?", id).Order("id").Find(&slips).Error; err != nil {
		return nil, models.Translate(err)
	}
	return slips, nil
}

// loadReview reads a review, locked for update when lock is set.
func loadReview(tx *gorm.DB, id uint64, lock bool) (models.Review, error) {
	var r models.Review
	q := tx
	if lock {
		q = models.LockingUpdate(tx)
	}
	if err := q.First(&r, id).Error; err != nil {
		return models.Review{}, models.NotFoundAs(err, ErrReviewNotFound)
	}
	return r, nil
}

// viewOf is one review's view.
func viewOf(tx *gorm.DB, r models.Review, now time.Time) (View, error) {
	vs, err := views(tx, []models.Review{r}, now)
	if err != nil {
		return View{}, err
	}
	return vs[0], nil
}

// views builds the views of rs: subjects, slips and ballots counted in a
// few queries for all of them.
func views(tx *gorm.DB, rs []models.Review, now time.Time) ([]View, error) {
	out := make([]View, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	subjects, err := subjectsOf(tx, rs)
	if err != nil {
		return nil, err
	}
	var slips []struct {
		ReviewID    uint64
		Total, Used int
	}
	if err := tx.Model(&models.BallotSlip{}).Select("review_id, COUNT(*) AS total, SUM(CASE WHEN used THEN 1 ELSE 0 END) AS used").
		Where("review_id IN ?", ids).Group("review_id").Scan(&slips).Error; err != nil {
		return nil, models.Translate(err)
	}
	var ballots []struct {
		ReviewID uint64
		N        int
	}
	if err := tx.Model(&models.Ballot{}).Select("review_id, COUNT(*) AS n").
		Where("review_id IN ?", ids).Group("review_id").Scan(&ballots).Error; err != nil {
		return nil, models.Translate(err)
	}
	for i, r := range rs {
		v := View{Review: r, Status: statusOf(r, now), Dimensions: r.DimensionList(), Subjects: subjects[r.ID]}
		for _, s := range slips {
			if s.ReviewID == r.ID {
				v.Slips, v.SlipsUsed = s.Total, s.Used
			}
		}
		for _, b := range ballots {
			if b.ReviewID == r.ID {
				v.Ballots = b.N
			}
		}
		v.Published = r.ClosedAt != nil && v.Ballots+r.PaperBallots >= r.MinBallots
		out[i] = v
	}
	return out, nil
}

// subjectsOf maps each review to its subjects in their order.
func subjectsOf(tx *gorm.DB, rs []models.Review) (map[uint64][]Subject, error) {
	ids := make([]uint64, len(rs))
	kind := map[uint64]models.ReviewKind{}
	for i, r := range rs {
		ids[i] = r.ID
		kind[r.ID] = r.Kind
	}
	var rows []models.ReviewSubject
	if err := tx.Where("review_id IN ?", ids).Order("review_id, sort_order").Find(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	var depIDs, deptIDs []uint64
	for _, s := range rows {
		if kind[s.ReviewID] == models.ReviewOfDepartments {
			deptIDs = append(deptIDs, s.SubjectID)
		} else {
			depIDs = append(depIDs, s.SubjectID)
		}
	}
	deputies := map[uint64]Subject{}
	if len(depIDs) > 0 {
		var deps []models.Deputy
		if err := tx.Select("id", "name", "duties", "photo_url").Where("id IN ?", models.UniqueIDs(depIDs)).Find(&deps).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, d := range deps {
			deputies[d.ID] = Subject{ID: d.ID, Name: d.Name, Duties: d.Duties, PhotoURL: d.PhotoURL}
		}
	}
	departments := map[uint64]Subject{}
	if len(deptIDs) > 0 {
		var depts []models.Department
		if err := tx.Select("id", "name").Where("id IN ?", models.UniqueIDs(deptIDs)).Find(&depts).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, d := range depts {
			departments[d.ID] = Subject{ID: d.ID, Name: d.Name}
		}
	}
	out := map[uint64][]Subject{}
	for _, s := range rows {
		byID := deputies
		if kind[s.ReviewID] == models.ReviewOfDepartments {
			byID = departments
		}
		sub, ok := byID[s.SubjectID]
		if !ok { // deleted since: still counted, under its number
			sub = Subject{ID: s.SubjectID, Name: "#" + strconv.FormatUint(s.SubjectID, 10)}
		}
		out[s.ReviewID] = append(out[s.ReviewID], sub)
	}
	return out, nil
}
