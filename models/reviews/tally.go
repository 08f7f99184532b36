package reviews

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"deputylink/models"
	"deputylink/models/records"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Paper ballots, closing, the tally and the record
// (docs/ARCHITECTURE.md#reviews).
//
// The tally is counts: per subject and dimension, how many 满意, 基本满意
// and 不满意, online and paper added up. The organiser sees it grow while
// the review is open, and its comments once it closed; everyone else sees
// it only once it closed with at least MinBallots ballots (Published),
// and never its comments, which are the organiser's to read.
//
// Closing writes each deputy's result into their record: an approved
// 联系群众 activity "向选民述职" dated the meeting, whose description gives
// the 总体评价 counts and satisfaction, and, when the deputy's evaluation
// of that year is open and they have a self-assessment, its VoterRating.
// The satisfaction is (满意 + 基本满意) / all marks on the dimension named
// 总体评价 (the last dimension when none is), rounded to a whole percent.
// A closed evaluation locks its year: nothing is written then.

// CloseGrace is how long after ClosesAt the close job waits before it
// closes a review its organiser did not close: ballots stop at ClosesAt,
// and the organiser has this long to enter the paper ballots counted
// after the meeting.
const CloseGrace = 24 * time.Hour

// recordTitle is the title of a review's entry in a deputy's record.
const recordTitle = "向选民述职"

// EnterPaper sets the paper ballots of a review: how many there were and
// the count of each mark (replacing what was entered before; zero counts
// may be left out). A dimension's marks on one subject cannot outnumber
// the ballots (a paper ballot may leave one blank). Refused once the
// review is closed (ErrReviewFinal); its organiser's only.
func EnterPaper(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, ballots int, counts []models.ReviewPaperCount, now time.Time) error {
	if ballots < 0 || ballots > MaxPaperBallots {
		return models.Invalid("paper_ballots", fmt.Sprintf("纸质票数应在0到%d之间", MaxPaperBallots))
	}
	return models.RunTx(ctx, db, func(tx *gorm.DB) error {
		r, err := organisersReview(tx, sc, id)
		if err != nil {
			return err
		}
		if r.ClosedAt != nil {
			return ErrReviewFinal
		}
		subjects, err := subjectIDs(tx, id)
		if err != nil {
			return err
		}
		rows, err := checkPaper(r, subjects, ballots, counts)
		if err != nil {
			return err
		}
		if err := tx.Where("review_id = ?", id).Delete(&models.ReviewPaperCount{}).Error; err != nil {
			return models.Translate(err)
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return models.Translate(err)
			}
		}
		if err := tx.Model(&models.Review{}).Where("id = ?", id).
			Updates(map[string]any{"paper_ballots": ballots, "updated_at": now.UTC()}).Error; err != nil {
			return models.Translate(err)
		}
		return models.Audit(ctx, tx, now, sc.Actor, AuditReviewPaper, "review", id,
			strconv.Itoa(r.PaperBallots), strconv.Itoa(ballots), "录入纸质评议票")
	})
}

// checkPaper checks the paper counts against the review and is the rows
// to write (the non-zero counts).
func checkPaper(r models.Review, subjects []uint64, ballots int, counts []models.ReviewPaperCount) ([]models.ReviewPaperCount, error) {
	dims := r.DimensionList()
	of := map[uint64]bool{}
	for _, s := range subjects {
		of[s] = true
	}
	type key struct {
		subject uint64
		dim     int
	}
	seen := map[models.ReviewPaperCount]bool{}
	sums := map[key]int{}
	var rows []models.ReviewPaperCount
	for _, c := range counts {
		switch {
		case !of[c.SubjectID] || c.Dimension < 0 || c.Dimension >= len(dims) || !c.Rating.Valid():
			return nil, models.Invalid("paper_counts", "纸质票的统计与本次评议的对象或项目不符")
		case c.Count < 0:
			return nil, models.Invalid("paper_counts", "票数不能是负数")
		}
		k := models.ReviewPaperCount{SubjectID: c.SubjectID, Dimension: c.Dimension, Rating: c.Rating}
		if seen[k] {
			return nil, models.Invalid("paper_counts", "同一项的同一选择录入了两次")
		}
		seen[k] = true
		sums[key{c.SubjectID, c.Dimension}] += c.Count
		if s := sums[key{c.SubjectID, c.Dimension}]; s > ballots {
			return nil, models.Invalid("paper_counts", fmt.Sprintf("“%s”一项的票数合计%d张，超过了纸质票总数%d张", dims[c.Dimension], s, ballots))
		}
		if c.Count > 0 {
			rows = append(rows, models.ReviewPaperCount{ReviewID: r.ID, SubjectID: c.SubjectID, Dimension: c.Dimension, Rating: c.Rating, Count: c.Count})
		}
	}
	return rows, nil
}

// organisersReview is review id locked for update, if sc organises it.
func organisersReview(tx *gorm.DB, sc models.ManageScope, id uint64) (models.Review, error) {
	r, err := loadReview(tx, id, true)
	if err != nil {
		return models.Review{}, err
	}
	return r, organiserOnly(sc, r)
}

// Close closes a review now (before ClosesAt too: the meeting ended
// early): its tally is final, published if it has MinBallots, and written
// into each deputy's record. Its organiser's only; ErrReviewFinal when it
// is closed already.
func Close(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (View, error) {
	var out View
	err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
		r, err := organisersReview(tx, sc, id)
		if err != nil {
			return err
		}
		if r.ClosedAt != nil {
			return ErrReviewFinal
		}
		out, err = closeLocked(ctx, tx, r, sc.Actor, now)
		return err
	})
	return out, err
}

// CloseDue closes every review whose ClosesAt passed CloseGrace ago and
// that its organiser did not close (the job). It is idempotent: a review
// closed meanwhile is left alone.
func CloseDue(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	var due []uint64
	if err := db.WithContext(ctx).Model(&models.Review{}).Where("closed_at IS NULL AND closes_at <= ?", now.Add(-CloseGrace).UTC()).
		Order("id").Pluck("id", &due).Error; err != nil {
		return 0, models.Translate(err)
	}
	closed := 0
	for _, id := range due {
		err := models.RunTx(ctx, db, func(tx *gorm.DB) error {
			r, err := loadReview(tx, id, true)
			if err != nil || r.ClosedAt != nil {
				return err
			}
			if _, err := closeLocked(ctx, tx, r, models.SystemActor, now); err != nil {
				return err
			}
			closed++
			return nil
		})
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}

// closeLocked closes r (locked, open) and writes the record.
func closeLocked(ctx context.Context, tx *gorm.DB, r models.Review, who models.Actor, now time.Time) (View, error) {
	from := statusOf(r, now)
	at := now.UTC()
	if err := tx.Model(&models.Review{}).Where("id = ?", r.ID).
		Updates(map[string]any{"closed_at": at, "updated_at": at}).Error; err != nil {
		return View{}, models.Translate(err)
	}
	r.ClosedAt, r.UpdatedAt = &at, at
	v, err := viewOf(tx, r, now)
	if err != nil {
		return View{}, err
	}
	note := fmt.Sprintf("收回评议票%d张（线上%d张，纸质%d张）", v.Ballots+r.PaperBallots, v.Ballots, r.PaperBallots)
	if v.Published {
		note += "，结果公布"
		if r.Kind == models.ReviewOfDeputies {
			t, err := tallyOf(tx, v, false)
			if err != nil {
				return View{}, err
			}
			if err := writeRecords(ctx, tx, t, now); err != nil {
				return View{}, err
			}
		}
	} else {
		note += fmt.Sprintf("，不足%d张，结果不公布", r.MinBallots)
	}
	return v, models.Audit(ctx, tx, now, who, AuditReviewClose, "review", r.ID, string(from), string(StatusClosed), note)
}

// OverallIndex is the dimension the satisfaction is read from: the one
// named 总体评价, else the last.
func OverallIndex(dims []string) int {
	for i, d := range dims {
		if d == "总体评价" {
			return i
		}
	}
	return len(dims) - 1
}

// Satisfaction is (满意 + 基本满意) / all marks, in whole percent; ok is
// false when there are no marks.
func Satisfaction(c Count) (pct int, ok bool) {
	if c.Total() == 0 {
		return 0, false
	}
	return int(math.Round(100 * float64(c.Satisfied+c.Fair) / float64(c.Total()))), true
}

// RatingText is a deputy's result as their evaluation keeps it
// (SelfAssessment.VoterRating, at most 50 characters):
// "满意率96%（满意40、基本满意8、不满意2，共50票）".
func RatingText(c Count) string {
	pct, _ := Satisfaction(c)
	return fmt.Sprintf("满意率%d%%（满意%d、基本满意%d、不满意%d，共%d票）", pct, c.Satisfied, c.Fair, c.Unsatisfied, c.Total())
}

// RecordSourceKey is the key of a review's entry in a deputy's record.
func RecordSourceKey(reviewID, deputyID uint64) string {
	return "review:" + strconv.FormatUint(reviewID, 10) + ":" + strconv.FormatUint(deputyID, 10)
}

// writeRecords writes each deputy's result of a published review into
// their record and evaluation (see the rule above). Idempotent: the entry's
// SourceKey is unique.
func writeRecords(ctx context.Context, tx *gorm.DB, t Tally, now time.Time) error {
	r := t.View.Review
	year, err := strconv.Atoi(r.Date[:4])
	if err != nil {
		return models.Invalid("date", "日期格式不正确")
	}
	overall := OverallIndex(t.View.Dimensions)
	for _, st := range t.Subjects {
		c := st.Counts[overall]
		pct, ok := Satisfaction(c)
		if !ok {
			continue
		}
		ev, found, err := records.EvaluationOfDeputy(ctx, tx, st.Subject.ID, year)
		if err != nil {
			return err
		}
		if found && ev.Status == models.EvaluationClosed {
			continue // the year is locked
		}
		key := RecordSourceKey(r.ID, st.Subject.ID)
		a := models.Activity{DeputyID: st.Subject.ID, Type: models.ActContact, Date: r.Date, Title: recordTitle,
			Description: fmt.Sprintf("%s（%s，%s）：收回评议票%d张，%s满意率%d%%（满意%d票、基本满意%d票、不满意%d票）。",
				r.Title, models.CalendarDateText(r.Date), r.Place, t.Ballots, t.View.Dimensions[overall], pct, c.Satisfied, c.Fair, c.Unsatisfied),
			Source: models.SourceAuto, SourceKey: &key, Status: models.ActivityApproved, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&a).Error; err != nil {
			return models.Translate(err)
		}
		if found {
			if err := tx.Model(&models.SelfAssessment{}).Where("evaluation_id = ? AND deputy_id = ?", ev.ID, st.Subject.ID).
				Updates(map[string]any{"voter_rating": RatingText(c), "updated_at": now.UTC()}).Error; err != nil {
				return models.Translate(err)
			}
		}
	}
	return nil
}

// TallyOf is a review's tally for its organiser (or the county office),
// at any time: the organiser sees the counts grow; comments only after it
// closes.
func TallyOf(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (Tally, error) {
	tx := db.WithContext(ctx)
	r, err := loadReview(tx, id, false)
	if err != nil {
		return Tally{}, err
	}
	if !oversees(sc, r) {
		return Tally{}, ErrReviewNotFound
	}
	v, err := viewOf(tx, r, now)
	if err != nil {
		return Tally{}, err
	}
	return tallyOf(tx, v, r.ClosedAt != nil)
}

// PublicTally is a published review's tally, for anyone, without the
// comments: ErrResultHidden until the review closed with MinBallots.
func PublicTally(ctx context.Context, db *gorm.DB, id uint64) (Tally, error) {
	tx := db.WithContext(ctx)
	r, err := loadReview(tx, id, false)
	if err != nil {
		return Tally{}, err
	}
	if r.ClosedAt == nil {
		return Tally{}, models.ErrResultHidden
	}
	v, err := viewOf(tx, r, *r.ClosedAt)
	if err != nil {
		return Tally{}, err
	}
	if !v.Published {
		return Tally{}, models.ErrResultHidden
	}
	return tallyOf(tx, v, false)
}

// DeputyResults are the published tallies of a deputy's reviews, newest
// first, each with that deputy's counts only (for the deputy's public page
// and record); at most 20.
func DeputyResults(ctx context.Context, db *gorm.DB, deputyID uint64) ([]Tally, error) {
	tx := db.WithContext(ctx)
	var rs []models.Review
	if err := tx.Model(&models.Review{}).Joins("JOIN review_subjects ON review_subjects.review_id = reviews.id").
		Where("review_subjects.subject_id = ? AND reviews.kind = ? AND reviews.closed_at IS NOT NULL", deputyID, models.ReviewOfDeputies).
		Order("reviews.date DESC, reviews.id DESC").Limit(20).Find(&rs).Error; err != nil {
		return nil, models.Translate(err)
	}
	out := []Tally{}
	for _, r := range rs {
		v, err := viewOf(tx, r, *r.ClosedAt)
		if err != nil {
			return nil, err
		}
		if !v.Published {
			continue
		}
		t, err := tallyOf(tx, v, false)
		if err != nil {
			return nil, err
		}
		for _, st := range t.Subjects {
			if st.Subject.ID == deputyID {
				t.Subjects = []SubjectTally{st}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// tallyOf adds up v's online ballots and paper counts, with the comments
// when withComments is set (in the order of their random ballot ids, which
// is no order of casting).
func tallyOf(tx *gorm.DB, v View, withComments bool) (Tally, error) {
	r := v.Review
	t := Tally{View: v, Ballots: v.Ballots + r.PaperBallots, Subjects: make([]SubjectTally, len(v.Subjects))}
	at := map[uint64]int{}
	for i, s := range v.Subjects {
		t.Subjects[i] = SubjectTally{Subject: s, Counts: make([]Count, len(v.Dimensions))}
		for d, name := range v.Dimensions {
			t.Subjects[i].Counts[d].Dimension = name
		}
		at[s.ID] = i
	}
	add := func(subject uint64, dim int, rating models.Rating, n int) {
		i, ok := at[subject]
		if !ok || dim < 0 || dim >= len(v.Dimensions) {
			return
		}
		c := &t.Subjects[i].Counts[dim]
		switch rating {
		case models.RatingSatisfied:
			c.Satisfied += n
		case models.RatingFair:
			c.Fair += n
		case models.RatingUnsatisfied:
			c.Unsatisfied += n
		}
	}
	var online []struct {
		SubjectID uint64
		Dimension int
		Rating    models.Rating
		N         int
	}
	if err := tx.Table("ballot_marks").Select("ballot_marks.subject_id, ballot_marks.dimension, ballot_marks.rating, COUNT(*) AS n").
		Joins("JOIN ballots ON ballots.id = ballot_marks.ballot_id").Where("ballots.review_id = ?", r.ID).
		Group("ballot_marks.subject_id, ballot_marks.dimension, ballot_marks.rating").Scan(&online).Error; err != nil {
		return Tally{}, models.Translate(err)
	}
	for _, o := range online {
		add(o.SubjectID, o.Dimension, o.Rating, o.N)
	}
	var paper []models.ReviewPaperCount
	if err := tx.Where("review_id = ?", r.ID).Find(&paper).Error; err != nil {
		return Tally{}, models.Translate(err)
	}
	for _, p := range paper {
		add(p.SubjectID, p.Dimension, p.Rating, p.Count)
	}
	if withComments {
		var cs []models.BallotComment
		if err := tx.Table("ballot_comments").Select("ballot_comments.subject_id, ballot_comments.text").
			Joins("JOIN ballots ON ballots.id = ballot_comments.ballot_id").Where("ballots.review_id = ?", r.ID).
			Order("ballot_comments.ballot_id").Scan(&cs).Error; err != nil {
			return Tally{}, models.Translate(err)
		}
		for _, c := range cs {
			if i, ok := at[c.SubjectID]; ok {
				t.Subjects[i].Comments = append(t.Subjects[i].Comments, c.Text)
			}
		}
	}
	return t, nil
}
