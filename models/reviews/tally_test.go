package reviews_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/records"
	"deputylink/models/reviews"
)

// counts is an expected tally: [subject index][dimension][rating index].
type counts [][][3]int

func ratingIndex(r models.Rating) int {
	for i, x := range models.Ratings {
		if x == r {
			return i
		}
	}
	return -1
}

// compare checks a tally against the expected counts.
func compare(t *testing.T, name string, got reviews.Tally, want counts, subjects []uint64, dims []string) {
	t.Helper()
	if len(got.Subjects) != len(subjects) {
		t.Fatalf("%s: %d subjects, want %d", name, len(got.Subjects), len(subjects))
	}
	for i, st := range got.Subjects {
		if st.Subject.ID != subjects[i] || len(st.Counts) != len(dims) {
			t.Fatalf("%s: subject %d is %+v", name, i, st)
		}
		for d, c := range st.Counts {
			w := want[i][d]
			if c.Dimension != dims[d] || c.Satisfied != w[0] || c.Fair != w[1] || c.Unsatisfied != w[2] {
				t.Errorf("%s: %s on %s = %d/%d/%d, want %v", name, st.Subject.Name, c.Dimension, c.Satisfied, c.Fair, c.Unsatisfied, w)
			}
		}
	}
}

// Ensure the tally equals the ballots: 37 random ballots online and 12 on
// paper, counted in the test, match the organiser's tally while open and
// the public one after closing; comments appear to the organiser only
// after the close, and never publicly.
func TestTallyEqualsBallots(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 40)
	ctx := t.Context()
	dims := models.DefaultReviewDimensions
	rng := rand.New(rand.NewPCG(16, 10))
	want := make(counts, len(subjects))
	for i := range want {
		want[i] = make([][3]int, len(dims))
	}
	comments := 0
	for n := range 37 {
		b := fullBallot(subjects, len(dims), func(s, d int) models.Rating {
			r := models.Ratings[rng.IntN(3)]
			want[s][d][ratingIndex(r)]++
			return r
		})
		if n%5 == 0 {
			b.Comments = []models.BallotComment{{SubjectID: subjects[n%3], Text: "希望多来社区听听大家的意见"}}
			comments++
		}
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[n], voter(n), b, during))
	}
	// 12 paper ballots: random counts per subject and dimension, a blank
	// now and then.
	var paper []models.ReviewPaperCount
	for i, s := range subjects {
		for d := range dims {
			left := 12
			for k, rating := range models.Ratings {
				n := rng.IntN(left + 1)
				if k == 2 && rng.IntN(4) > 0 {
					n = left
				}
				left -= n
				want[i][d][k] += n
				paper = append(paper, models.ReviewPaperCount{SubjectID: s, Dimension: d, Rating: rating, Count: n})
			}
		}
	}
	must(t, reviews.EnterPaper(ctx, c.db, c.office, r.ID, 12, paper, at(20, 17, 30)))

	open, err := reviews.TallyOf(ctx, c.db, c.office, r.ID, at(20, 17, 30))
	must(t, err)
	if open.Ballots != 49 || open.View.Ballots != 37 || open.View.Review.PaperBallots != 12 || open.View.Published {
		t.Errorf("open tally: %d ballots (%d online, %d paper), published %v", open.Ballots, open.View.Ballots, open.View.Review.PaperBallots, open.View.Published)
	}
	compare(t, "organiser's tally before closing", open, want, subjects, dims)
	for _, st := range open.Subjects {
		if len(st.Comments) != 0 {
			t.Errorf("comments shown before the close: %v", st.Comments)
		}
	}
	if _, err := reviews.PublicTally(ctx, c.db, r.ID); !errors.Is(err, models.ErrResultHidden) {
		t.Errorf("public tally before the close: %v", err)
	}

	v, err := reviews.Close(ctx, c.db, c.office, r.ID, at(20, 18, 0))
	must(t, err)
	if !v.Published || v.Status != reviews.StatusClosed {
		t.Errorf("closed view: %+v", v)
	}
	closed, err := reviews.TallyOf(ctx, c.db, c.office, r.ID, at(20, 18, 0))
	must(t, err)
	compare(t, "organiser's tally after closing", closed, want, subjects, dims)
	got := 0
	for _, st := range closed.Subjects {
		got += len(st.Comments)
	}
	if got != comments {
		t.Errorf("%d comments after the close, want %d", got, comments)
	}
	pub, err := reviews.PublicTally(ctx, c.db, r.ID)
	must(t, err)
	compare(t, "public tally", pub, want, subjects, dims)
	for _, st := range pub.Subjects {
		if len(st.Comments) != 0 {
			t.Errorf("public tally shows comments")
		}
	}
	// Each deputy's public results are their own counts.
	for i, s := range subjects {
		res, err := reviews.DeputyResults(ctx, c.db, s)
		must(t, err)
		if len(res) != 1 || len(res[0].Subjects) != 1 || res[0].Ballots != 49 {
			t.Fatalf("results of deputy %d: %+v", s, res)
		}
		compare(t, "deputy's results", res[0], counts{want[i]}, []uint64{s}, dims)
	}
	// Paper ballots are final with the close.
	if err := reviews.EnterPaper(ctx, c.db, c.office, r.ID, 0, nil, at(20, 19, 0)); !errors.Is(err, reviews.ErrReviewFinal) {
		t.Errorf("paper after the close: %v", err)
	}
	if _, err := reviews.Close(ctx, c.db, c.office, r.ID, at(20, 19, 0)); !errors.Is(err, reviews.ErrReviewFinal) {
		t.Errorf("second close: %v", err)
	}
}

// Ensure below MinBallots nothing is shown: closed with 9 ballots of 10
// (6 online, 3 on paper), the public tally and the deputies' results are
// hidden and nothing goes into the record; the organiser still sees the
// counts.
func TestBelowMinBallotsNothingShown(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 10)
	ctx := t.Context()
	for n := range 6 {
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[n], voter(n), allSatisfied(subjects), during))
	}
	must(t, reviews.EnterPaper(ctx, c.db, c.office, r.ID, 3, []models.ReviewPaperCount{
		{SubjectID: subjects[0], Dimension: 4, Rating: models.RatingUnsatisfied, Count: 3}}, at(20, 17, 10)))
	v, err := reviews.Close(ctx, c.db, c.office, r.ID, at(20, 17, 20))
	must(t, err)
	if v.Published || v.Ballots != 6 {
		t.Errorf("closed below the minimum: %+v", v)
	}
	if _, err := reviews.PublicTally(ctx, c.db, r.ID); !errors.Is(err, models.ErrResultHidden) {
		t.Errorf("public tally below the minimum: %v", err)
	}
	for _, s := range subjects {
		if res, err := reviews.DeputyResults(ctx, c.db, s); err != nil || len(res) != 0 {
			t.Errorf("deputy %d results below the minimum: %+v %v", s, res, err)
		}
	}
	var acts int64
	must(t, c.db.Model(&models.Activity{}).Count(&acts).Error)
	if acts != 0 {
		t.Errorf("%d record entries from an unpublished review", acts)
	}
	org, err := reviews.TallyOf(ctx, c.db, c.office, r.ID, at(20, 17, 20))
	must(t, err)
	if org.Ballots != 9 || org.Subjects[0].Counts[4].Unsatisfied != 3 || org.Subjects[0].Counts[4].Satisfied != 6 {
		t.Errorf("organiser's tally: %+v", org.Subjects[0].Counts[4])
	}
	if _, err := reviews.PublicTally(ctx, c.db, 9999); !errors.Is(err, reviews.ErrReviewNotFound) {
		t.Errorf("public tally of no review: %v", err)
	}
}

// Ensure closing writes each deputy's result into their record once: an
// approved 联系群众 entry "向选民述职" with the satisfaction, and the voter
// rating of an open evaluation's self-assessment; a year whose evaluation
// is closed is left alone.
func TestCloseWritesTheRecord(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	subjects := depIDs(c.countyDeps...)
	ev, err := records.CreateEvaluation(ctx, c.db, c.office, 2026, models.LevelCounty, at(1, 8, 0))
	must(t, err)
	_, err = records.SubmitSelfAssessment(ctx, c.db, subjects[0], ev.ID, "一年来认真履职", "称职", at(1, 8, 0))
	must(t, err)
	r := c.create(t, c.office, meeting(subjects, 12))
	codes := c.slips(t, c.office, r.ID)
	// 10 online: 总体评价 of the first deputy 7 满意, 2 基本满意, 1 不满意.
	for n := range 10 {
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[n], voter(n), fullBallot(subjects, 5, func(s, d int) models.Rating {
			switch {
			case n < 7:
				return models.RatingSatisfied
			case n < 9:
				return models.RatingFair
			}
			return models.RatingUnsatisfied
		}), during))
	}
	if _, err := reviews.Close(ctx, c.db, c.office, r.ID, at(20, 17, 5)); err != nil {
		t.Fatal(err)
	}
	var acts []models.Activity
	must(t, c.db.Order("deputy_id").Find(&acts).Error)
	if len(acts) != 3 {
		t.Fatalf("%d entries, want 3", len(acts))
	}
	for i, a := range acts {
		if a.DeputyID != subjects[i] || a.Type != models.ActContact || a.Title != "向选民述职" || a.Date != "2026-12-20" ||
			a.Status != models.ActivityApproved || a.Source != models.SourceAuto || a.SourceKey == nil ||
			*a.SourceKey != reviews.RecordSourceKey(r.ID, subjects[i]) ||
			!strings.Contains(a.Description, "收回评议票10张，总体评价满意率90%（满意7票、基本满意2票、不满意1票）") {
			t.Errorf("entry %d: %+v", i, a)
		}
	}
	var sa models.SelfAssessment
	must(t, c.db.Where("evaluation_id = ? AND deputy_id = ?", ev.ID, subjects[0]).First(&sa).Error)
	if sa.VoterRating != "满意率90%（满意7、基本满意2、不满意1，共10票）" || sa.Grade != "称职" {
		t.Errorf("self-assessment: %+v", sa)
	}
	var sas int64
	must(t, c.db.Model(&models.SelfAssessment{}).Count(&sas).Error)
	if sas != 1 {
		t.Errorf("%d self-assessments, want the one submitted (none made up)", sas)
	}

	// A second review of the year after the evaluation closed: nothing.
	_, err = records.CloseEvaluation(ctx, c.db, c.office, ev.ID, at(21, 8, 0))
	must(t, err)
	in := meeting(subjects[:1], 12)
	in.Title, in.Date, in.OpensAt, in.ClosesAt = "补充述职评议", "2026-12-28", at(28, 9, 0), at(28, 11, 0)
	r2 := c.create(t, c.office, in)
	codes2 := c.slips(t, c.office, r2.ID)
	for n := range 10 {
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes2[n], voter(100+n), allSatisfied(subjects[:1]), at(28, 10, 0)))
	}
	v, err := reviews.Close(ctx, c.db, c.office, r2.ID, at(28, 11, 0))
	must(t, err)
	if !v.Published {
		t.Errorf("second review not published")
	}
	var n int64
	must(t, c.db.Model(&models.Activity{}).Count(&n).Error)
	must(t, c.db.Where("evaluation_id = ? AND deputy_id = ?", ev.ID, subjects[0]).First(&sa).Error)
	if n != 3 || !strings.HasPrefix(sa.VoterRating, "满意率90%") {
		t.Errorf("a locked year changed: %d entries, rating %q", n, sa.VoterRating)
	}
}

// Ensure the close job closes what its organiser left open once the grace
// for paper ballots has passed, once.
func TestCloseDueAfterGrace(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 12)
	ctx := t.Context()
	for n := range 10 {
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[n], voter(n), allSatisfied(subjects), during))
	}
	early := c.create(t, c.office, meeting(subjects[:1], 5))
	_, err := reviews.Close(ctx, c.db, c.office, early.ID, at(20, 16, 0))
	must(t, err)
	if n, err := reviews.CloseDue(ctx, c.db, at(21, 16, 59)); err != nil || n != 0 {
		t.Errorf("within the grace: closed %d, %v", n, err)
	}
	must(t, reviews.EnterPaper(ctx, c.db, c.office, r.ID, 2, nil, at(21, 16, 59)))
	if n, err := reviews.CloseDue(ctx, c.db, at(21, 17, 0)); err != nil || n != 1 {
		t.Errorf("after the grace: closed %d, %v", n, err)
	}
	if n, err := reviews.CloseDue(ctx, c.db, at(22, 17, 0)); err != nil || n != 0 {
		t.Errorf("again: closed %d, %v", n, err)
	}
	if _, err := reviews.PublicTally(ctx, c.db, r.ID); err != nil {
		t.Errorf("closed by the job, 12 ballots: %v", err)
	}
	var acts int64
	must(t, c.db.Model(&models.Activity{}).Count(&acts).Error)
	if acts != 3 {
		t.Errorf("%d record entries after the job, want 3", acts)
	}
	trail, err := models.AuditTrail(ctx, c.db, "review", r.ID)
	must(t, err)
	if len(trail) != 3 || trail[2].Action != reviews.AuditReviewClose || trail[2].ActorKind != "system" {
		t.Errorf("audit: %+v", trail)
	}
}

// Ensure paper counts are checked and replaced, and only by the organiser.
func TestEnterPaper(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	subjects := depIDs(c.townDeps...)
	r := c.create(t, c.chengguan, meeting(subjects, 10))
	now := at(20, 17, 30)
	for _, tc := range []struct {
		name    string
		ballots int
		counts  []models.ReviewPaperCount
	}{
		{"negative ballots", -1, nil},
		{"too many for the ballots", 3, []models.ReviewPaperCount{{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingSatisfied, Count: 2},
			{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingFair, Count: 2}}},
		{"unknown subject", 3, []models.ReviewPaperCount{{SubjectID: c.westDep.ID, Dimension: 0, Rating: models.RatingSatisfied, Count: 1}}},
		{"unknown dimension", 3, []models.ReviewPaperCount{{SubjectID: subjects[0], Dimension: 5, Rating: models.RatingSatisfied, Count: 1}}},
		{"unknown rating", 3, []models.ReviewPaperCount{{SubjectID: subjects[0], Dimension: 0, Rating: "bad", Count: 1}}},
		{"negative count", 3, []models.ReviewPaperCount{{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingFair, Count: -1}}},
		{"twice", 3, []models.ReviewPaperCount{{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingFair, Count: 1},
			{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingFair, Count: 1}}},
	} {
		var ve *models.ValidationError
		if err := reviews.EnterPaper(ctx, c.db, c.chengguan, r.ID, tc.ballots, tc.counts, now); !errors.As(err, &ve) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := reviews.EnterPaper(ctx, c.db, c.office, r.ID, 1, nil, now); !errors.Is(err, models.ErrNotOrganiser) {
		t.Errorf("county office enters a township's paper ballots: %v", err)
	}
	if err := reviews.EnterPaper(ctx, c.db, c.xizhen, r.ID, 1, nil, now); !errors.Is(err, reviews.ErrReviewNotFound) {
		t.Errorf("another township enters them: %v", err)
	}
	if _, err := reviews.Close(ctx, c.db, c.office, r.ID, now); !errors.Is(err, models.ErrNotOrganiser) {
		t.Errorf("county office closes a township's review: %v", err)
	}
	must(t, reviews.EnterPaper(ctx, c.db, c.chengguan, r.ID, 4, []models.ReviewPaperCount{
		{SubjectID: subjects[0], Dimension: 0, Rating: models.RatingSatisfied, Count: 4},
		{SubjectID: subjects[1], Dimension: 4, Rating: models.RatingFair, Count: 0}}, now))
	must(t, reviews.EnterPaper(ctx, c.db, c.chengguan, r.ID, 2, []models.ReviewPaperCount{
		{SubjectID: subjects[1], Dimension: 1, Rating: models.RatingUnsatisfied, Count: 2}}, now))
	var rows []models.ReviewPaperCount
	must(t, c.db.Find(&rows).Error)
	var got models.Review
	must(t, c.db.First(&got, r.ID).Error)
	if len(rows) != 1 || rows[0].SubjectID != subjects[1] || rows[0].Count != 2 || got.PaperBallots != 2 {
		t.Errorf("after replacing: %+v, %d paper ballots", rows, got.PaperBallots)
	}
}

// Ensure deputies rate departments under their official-account identity:
// the deputies of the review's level (and township) vote once each; others
// are refused; their list says where they voted.
func TestDeputiesRateDepartments(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	bind := func(d *models.Deputy, openid string) {
		d.OAOpenID = &openid
		must(t, c.db.Model(d).Update("oa_openid", openid).Error)
	}
	bind(&c.countyDeps[0], "oaCounty0")
	bind(&c.countyDeps[1], "oaCounty1")
	bind(&c.townDeps[0], "oaTown0")
	bind(&c.westDep, "oaWest")
	deptIDs := ids(c.depts, func(d models.Department) uint64 { return d.ID })
	in := reviews.NewReview{Kind: models.ReviewOfDepartments, Title: "2026年度代表评议部门", Date: "2026-12-20", Place: "县人大常委会会议室",
		OpensAt: at(20, 9, 0), ClosesAt: at(27, 17, 0), SubjectIDs: deptIDs}
	county := c.create(t, c.office, in)
	in.Title, in.Place = "城关镇代表评议站所", "城关镇人大主席团会议室"
	town := c.create(t, c.chengguan, in)
	b := fullBallot(deptIDs, 5, func(s, d int) models.Rating { return models.Ratings[(s+d)%3] })
	must(t, reviews.CastAsDeputy(ctx, c.db, c.keyer, county.ID, c.countyDeps[0], b, during))
	if err := reviews.CastAsDeputy(ctx, c.db, c.keyer, county.ID, c.countyDeps[0], b, during); !errors.Is(err, models.ErrAlreadyVoted) {
		t.Errorf("second ballot of a deputy: %v", err)
	}
	must(t, reviews.CastAsDeputy(ctx, c.db, c.keyer, town.ID, c.townDeps[0], b, during))
	for _, tc := range []struct {
		name   string
		review uint64
		d      models.Deputy
		want   error
	}{
		{"township deputy in the county's", county.ID, c.townDeps[0], reviews.ErrNotVoter},
		{"county deputy in the township's", town.ID, c.countyDeps[1], reviews.ErrNotVoter},
		{"other township's deputy", town.ID, c.westDep, reviews.ErrNotVoter},
		{"not bound", county.ID, c.countyDeps[2], reviews.ErrDeputyNotBound},
		{"a review of deputies", c.create(t, c.office, meeting(depIDs(c.countyDeps...), 5)).ID, c.countyDeps[1], reviews.ErrNotBallot},
	} {
		if err := reviews.CastAsDeputy(ctx, c.db, c.keyer, tc.review, tc.d, b, during); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	vs, voted, err := reviews.DeputyReviews(ctx, c.db, c.keyer, c.countyDeps[0], during)
	must(t, err)
	if len(vs) != 1 || vs[0].Review.ID != county.ID || !voted[0] || vs[0].Status != reviews.StatusOpen {
		t.Errorf("county deputy's reviews: %+v %v", vs, voted)
	}
	vs, voted, err = reviews.DeputyReviews(ctx, c.db, c.keyer, c.countyDeps[1], during)
	must(t, err)
	if len(vs) != 1 || voted[0] {
		t.Errorf("other county deputy's reviews: %d %v", len(vs), voted)
	}
	vs, _, err = reviews.DeputyReviews(ctx, c.db, c.keyer, c.westDep, during)
	must(t, err)
	if len(vs) != 0 {
		t.Errorf("西镇 deputy sees %d reviews", len(vs))
	}
	var slips int64
	must(t, c.db.Model(&models.Ballot{}).Where("slip_id IS NOT NULL").Count(&slips).Error)
	if slips != 0 {
		t.Errorf("deputies' ballots with slips: %d", slips)
	}
}
