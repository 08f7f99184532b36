package reviews

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The demo county's reviews (docs/ARCHITECTURE.md#reviews), loaded by
// `serve --demo` and `demo` after the records (LoadDemoRecords):
//
//   - DemoClosedTitle: a county review of three 城关镇 county deputies a
//     month ago, with 38 online and 6 paper ballots, closed: its tally is
//     published (GET /api/v1/reviews/{id}/result, the deputies' pages) and
//     in their records;
//   - DemoOpenTitle: a county review of three 东溪 county deputies, open
//     from today until the end of tomorrow, with DemoSlips unused slips
//     whose codes are DemoSlipCode(0..29) ("DEMQAAAAAB", "DEMQAAAAAC", …),
//     so the mini-program's demo can scan one;
//   - DemoDepartmentsTitle: the county deputies rating three departments
//     (代表评部门), open for a week from today.
const (
	DemoClosedTitle      = "城关片县人大代表向选民述职评议会"
	DemoOpenTitle        = "东溪片县人大代表向选民述职评议会"
	DemoDepartmentsTitle = "县人大代表评议政府部门工作"
	DemoSlips            = 30
)

var (
	demoClosedDeputies = []string{"张海明", "王桂英", "李文涛"}
	demoOpenDeputies   = []string{"陈立军", "杨晓红", "黄建平"}
	demoDepartments    = []string{"县住建局", "县交通运输局", "县教育局"}
	demoComments       = []string{
		"希望多到村里走走，听听老百姓的心声",
		"反映的停车难问题有了改善，为代表点赞",
		"建议定期通报建议的办理情况",
		"履职很认真，希望继续保持",
	}
)

// DemoSlipCode is the i-th (from 0) slip code of the demo's open review:
// "DEMQ" and i+1 written in SlipAlphabet over six letters.
func DemoSlipCode(i int) string {
	var b [6]byte
	n := i + 1
	for k := len(b) - 1; k >= 0; k-- {
		b[k] = SlipAlphabet[n%len(SlipAlphabet)]
		n /= len(SlipAlphabet)
	}
	return "DEMQ" + string(b[:])
}

// DemoReviewStats says what LoadDemoReviews created.
type DemoReviewStats struct {
	Reviews, Ballots int
	// OpenReviewID is the open review whose slips are DemoSlipCode.
	OpenReviewID uint64
}

// LoadDemoReviews gives the demo county its reviews (see above), dated
// from now in loc; k keys the demo's ballots, cast by made-up voters.
// Idempotent: a review whose title exists is not made again; the open
// ones, if not closed yet, are moved to today, so a demo started again on
// a later day still takes ballots.
func LoadDemoReviews(ctx context.Context, db *gorm.DB, k *Keyer, now time.Time, loc *time.Location) (DemoReviewStats, error) {
	var st DemoReviewStats
	loc = models.OrLoc(loc)
	today := now.In(loc)
	day := func(d int) time.Time { return time.Date(today.Year(), today.Month(), today.Day()+d, 0, 0, 0, 0, loc) }
	tx := db.WithContext(ctx)
	var admin models.Staff
	if err := tx.Where("role = ?", models.RoleAdmin).Order("id").Limit(1).Find(&admin).Error; err != nil {
		return st, models.Translate(err)
	}
	office := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: admin.ID}, All: true}

	// The closed review, a month ago.
	held := day(-30)
	closed := NewReview{Kind: models.ReviewOfDeputies, Title: DemoClosedTitle, Date: held.Format(models.DateLayout),
		Place: "城关镇人大代表之家", OpensAt: held.Add(14*time.Hour + 30*time.Minute), ClosesAt: held.Add(16*time.Hour + 30*time.Minute), Slips: 45}
	r, made, err := demoReview(ctx, tx, office, closed, demoClosedDeputies, "deputies", held.Add(-24*time.Hour), nil)
	if err != nil {
		return st, err
	}
	if made {
		st.Reviews++
		n, err := demoBallots(ctx, tx, k, office, r, held.Add(15*time.Hour))
		if err != nil {
			return st, err
		}
		st.Ballots += n
	}

	// The open review, today and tomorrow, with the fixed slips.
	open := NewReview{Kind: models.ReviewOfDeputies, Title: DemoOpenTitle, Date: day(0).Format(models.DateLayout),
		Place: "东溪街道基层立法联系点", OpensAt: day(0), ClosesAt: day(2), Slips: DemoSlips}
	r, made, err = demoReview(ctx, tx, office, open, demoOpenDeputies, "deputies", now, DemoSlipCode)
	if err != nil {
		return st, err
	}
	st.OpenReviewID = r.ID
	st.Reviews += b2i(made)

	depts := NewReview{Kind: models.ReviewOfDepartments, Title: DemoDepartmentsTitle, Date: day(0).Format(models.DateLayout),
		Place: "县人大常委会会议室", OpensAt: day(0), ClosesAt: day(8)}
	_, made, err = demoReview(ctx, tx, office, depts, demoDepartments, "departments", now, nil)
	st.Reviews += b2i(made)
	return st, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// demoReview makes the review in (subjects named from table) unless one
// of its title exists; an existing one not closed yet is moved to in's
// window. made says it was created.
func demoReview(ctx context.Context, tx *gorm.DB, office models.ManageScope, in NewReview, names []string, table string,
	now time.Time, code func(int) string) (models.Review, bool, error) {
	var r models.Review
	res := tx.Where("title = ?", in.Title).Limit(1).Find(&r)
	if res.Error != nil {
		return r, false, models.Translate(res.Error)
	}
	if res.RowsAffected > 0 {
		if r.ClosedAt == nil && in.ClosesAt.After(now) {
			err := tx.Model(&models.Review{}).Where("id = ? AND closed_at IS NULL", r.ID).
				Updates(map[string]any{"date": in.Date, "opens_at": in.OpensAt.UTC(), "closes_at": in.ClosesAt.UTC()}).Error
			return r, false, models.Translate(err)
		}
		return r, false, nil
	}
	if err := tx.Table(table).Where("name IN ?", names).Order("id").Pluck("id", &in.SubjectIDs).Error; err != nil {
		return r, false, models.Translate(err)
	}
	if len(in.SubjectIDs) != len(names) {
		return r, false, fmt.Errorf("demo review %s: want %s, found %d (load the demo county first)", in.Title, strings.Join(names, "、"), len(in.SubjectIDs))
	}
	if code == nil {
		code = func(int) string { return newSlipCode() }
	}
	r, err := create(ctx, tx, office, in, now, code)
	return r, err == nil, err
}

// demoBallots casts the closed review's ballots (38 online, mostly
// satisfied, a few comments), enters 6 paper ballots and closes it.
func demoBallots(ctx context.Context, tx *gorm.DB, k *Keyer, office models.ManageScope, r models.Review, at time.Time) (int, error) {
	slips, err := Slips(ctx, tx, office, r.ID)
	if err != nil {
		return 0, err
	}
	subjects, err := subjectIDs(tx, r.ID)
	if err != nil {
		return 0, err
	}
	dims := len(r.DimensionList())
	rng := rand.New(rand.NewPCG(uint64(r.ID), 2026))
	rate := func() models.Rating {
		switch x := rng.IntN(100); {
		case x < 78:
			return models.RatingSatisfied
		case x < 96:
			return models.RatingFair
		}
		return models.RatingUnsatisfied
	}
	const online = 38
	for i := range online {
		var b Ballot
		for _, s := range subjects {
			for d := range dims {
				b.Marks = append(b.Marks, models.BallotMark{SubjectID: s, Dimension: d, Rating: rate()})
			}
		}
		if i%9 == 0 {
			b.Comments = []models.BallotComment{{SubjectID: subjects[i%len(subjects)], Text: demoComments[i/9%len(demoComments)]}}
		}
		voter := Voter{OpenID: fmt.Sprintf("demo-review-voter-%d-%d", r.ID, i)}
		if err := CastWithSlip(ctx, tx, k, slips[i].Code, voter, b, at.Add(time.Duration(i)*time.Minute)); err != nil {
			return i, fmt.Errorf("demo ballot %d: %w", i, err)
		}
	}
	var paper []models.ReviewPaperCount
	for _, s := range subjects {
		for d := range dims {
			paper = append(paper,
				models.ReviewPaperCount{SubjectID: s, Dimension: d, Rating: models.RatingSatisfied, Count: 4},
				models.ReviewPaperCount{SubjectID: s, Dimension: d, Rating: models.RatingFair, Count: 2})
		}
	}
	end := r.ClosesAt.Add(30 * time.Minute)
	if err := EnterPaper(ctx, tx, office, r.ID, 6, paper, end); err != nil {
		return online, err
	}
	_, err = Close(ctx, tx, office, r.ID, end)
	return online, err
}
