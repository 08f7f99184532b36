package jobs

import (
	"context"
	"fmt"
	"testing"

	"deputylink/models"
	"deputylink/models/reviews"
)

// A review of the two county deputies at a meeting on 24 November,
// 15:00-17:00, with ten ballots: the organiser does not close it; the
// job leaves it open until a day after the meeting (for the paper
// ballots), then closes it, publishes its tally and writes the two
// deputies' records; the next run does nothing.
func TestCloseReviewsJob(t *testing.T) {
	e := newRecEnv(t)
	ctx := context.Background()
	d := e.deps(t, e.opt)
	var deps []models.Deputy
	e.must(e.db.Where("level = ?", models.LevelCounty).Order("id").Find(&deps).Error)
	subjects := []uint64{deps[0].ID, deps[1].ID}
	office := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 1}, All: true}
	r, err := reviews.Create(ctx, e.db, office, reviews.NewReview{Kind: models.ReviewOfDeputies, Title: "县人大代表向选民述职评议会",
		Date: "2026-11-24", Place: "城关镇人大代表之家", OpensAt: recAt(11, 24, 15, 0), ClosesAt: recAt(11, 24, 17, 0),
		SubjectIDs: subjects, Slips: 10}, recAt(11, 20, 9, 0))
	e.must(err)
	slips, err := reviews.Slips(ctx, e.db, office, r.ID)
	e.must(err)
	k := reviews.NewKeyer(make([]byte, 32))
	for i, s := range slips {
		var b reviews.Ballot
		for _, id := range subjects {
			for dim := range 5 {
				b.Marks = append(b.Marks, models.BallotMark{SubjectID: id, Dimension: dim, Rating: models.RatingSatisfied})
			}
		}
		e.must(reviews.CastWithSlip(ctx, e.db, k, s.Code, reviews.Voter{OpenID: fmt.Sprint("oV", i)}, b, recAt(11, 24, 16, 0)))
	}
	if n, err := RunOnce(ctx, d, JobCloseReviews, recAt(11, 25, 16, 59)); err != nil || n != 0 {
		t.Fatalf("within a day of the meeting: closed %d, %v", n, err)
	}
	if _, err := reviews.PublicTally(ctx, e.db, r.ID); err == nil {
		t.Fatalf("published before the close")
	}
	if n, err := RunOnce(ctx, d, JobCloseReviews, recAt(11, 25, 17, 0)); err != nil || n != 1 {
		t.Fatalf("a day after: closed %d, %v", n, err)
	}
	if n, err := CloseReviews(ctx, d, recAt(11, 25, 17, 5)); err != nil || n != 0 {
		t.Fatalf("next run: closed %d, %v", n, err)
	}
	tally, err := reviews.PublicTally(ctx, e.db, r.ID)
	if err != nil || tally.Ballots != 10 || tally.Subjects[1].Counts[4].Satisfied != 10 {
		t.Fatalf("public tally after the job: %+v, %v", tally, err)
	}
	var acts int64
	e.must(e.db.Model(&models.Activity{}).Where("title = ?", "向选民述职").Count(&acts).Error)
	if acts != 2 {
		t.Errorf("%d record entries, want 2", acts)
	}
	for _, j := range All(Options{Location: recCST}) {
		if j.Name == JobCloseReviews && (j.Schedule() != "every 5m" || j.Concurrent) {
			t.Errorf("schedule %q, concurrent %v", j.Schedule(), j.Concurrent)
		}
	}
}
