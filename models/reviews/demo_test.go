package reviews_test

import (
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"
)

// Ensure the demo's reviews: a closed, published review in three
// deputies' records, an open one whose fixed slip codes open its ballot,
// an open review of departments; a second load adds nothing, and a load a
// week later moves the open reviews to that day.
func TestLoadDemoReviews(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 15, 9, 30, 0, 0, cst)
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := models.LoadDemoRecords(ctx, db, now, cst); err != nil {
		t.Fatal(err)
	}
	k := reviews.NewKeyer(make([]byte, 32))
	st, err := reviews.LoadDemoReviews(ctx, db, k, now, cst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reviews != 3 || st.Ballots != 38 || st.OpenReviewID == 0 {
		t.Fatalf("stats %+v", st)
	}
	if reviews.DemoSlipCode(0) != "DEMQAAAAAB" || reviews.DemoSlipCode(29) != "DEMQAAAAA8" {
		t.Errorf("demo codes %s … %s", reviews.DemoSlipCode(0), reviews.DemoSlipCode(29))
	}
	office := models.ManageScope{All: true}
	vs, err := reviews.List(ctx, db, office, now)
	must(t, err)
	byTitle := map[string]reviews.View{}
	for _, v := range vs {
		byTitle[v.Review.Title] = v
	}
	closed := byTitle[reviews.DemoClosedTitle]
	if !closed.Published || closed.Ballots != 38 || closed.Review.PaperBallots != 6 || closed.Review.Date != "2026-11-15" {
		t.Errorf("closed review: %+v", closed)
	}
	pub, err := reviews.PublicTally(ctx, db, closed.Review.ID)
	if err != nil || pub.Ballots != 44 || pub.Subjects[0].Subject.Name != "张海明" {
		t.Errorf("published tally: %+v %v", pub, err)
	}
	var acts int64
	must(t, db.Model(&models.Activity{}).Where("title = ?", "向选民述职").Count(&acts).Error)
	if acts != 3 {
		t.Errorf("%d record entries of the closed review, want 3", acts)
	}
	open := byTitle[reviews.DemoOpenTitle]
	if open.Review.ID != st.OpenReviewID || open.Status != reviews.StatusOpen || open.Slips != reviews.DemoSlips || open.SlipsUsed != 0 ||
		open.Review.Date != "2026-12-15" {
		t.Errorf("open review: %+v", open)
	}
	v, _, err := reviews.OpenSlip(ctx, db, k, reviews.DemoSlipCode(7), reviews.Voter{OpenID: "oDemoScan"}, now)
	if err != nil || v.Review.ID != open.Review.ID || v.Subjects[0].Name != "陈立军" {
		t.Errorf("a demo slip: %+v %v", v.Review, err)
	}
	depts := byTitle[reviews.DemoDepartmentsTitle]
	if depts.Status != reviews.StatusOpen || len(depts.Subjects) != 3 || depts.Review.Kind != models.ReviewOfDepartments {
		t.Errorf("review of departments: %+v", depts)
	}

	again, err := reviews.LoadDemoReviews(ctx, db, k, now.Add(time.Hour), cst)
	if err != nil || again.Reviews != 0 || again.Ballots != 0 || again.OpenReviewID != st.OpenReviewID {
		t.Errorf("second load: %+v %v", again, err)
	}
	later := now.AddDate(0, 0, 7)
	if _, err := reviews.LoadDemoReviews(ctx, db, k, later, cst); err != nil {
		t.Fatal(err)
	}
	moved, err := reviews.Get(ctx, db, office, st.OpenReviewID, later)
	must(t, err)
	if moved.Status != reviews.StatusOpen || moved.Review.Date != "2026-12-22" {
		t.Errorf("open review a week later: %s %s", moved.Status, moved.Review.Date)
	}
	var n int64
	must(t, db.Model(&models.Review{}).Count(&n).Error)
	if n != 3 {
		t.Errorf("%d reviews after three loads", n)
	}
}
