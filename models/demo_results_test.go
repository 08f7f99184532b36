package models_test

import (
	"context"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure the demo year of opinions loads through the real workflow: every
// demo station has items, most are closed, DemoPublishedCount of them are
// public with text that passes the personal-data check, some stations pass
// the minimum sample and some do not, and a second run changes nothing.
func TestLoadDemoResults(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, loc)
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := models.LoadDemoResults(ctx, db, now, loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo results: %+v in %v", st, time.Since(start))
	var opinions, closed, stations int64
	db.Model(&models.Opinion{}).Count(&opinions)
	db.Model(&models.Opinion{}).Where("status = ?", models.OpinionClosed).Count(&closed)
	db.Model(&models.Opinion{}).Distinct("station_id").Count(&stations)
	if int(opinions) != st.Opinions || int(closed) != st.Closed || stations != 14 {
		t.Errorf("database: %d opinions, %d closed, %d stations; stats %+v", opinions, closed, stations, st)
	}
	if closed*10 < opinions*7 {
		t.Errorf("only %d of %d demo items closed", closed, opinions)
	}
	items, _, err := models.ListPublicResults(ctx, db, models.PublicResultQuery{Limit: 50}, loc)
	if err != nil || len(items) != models.DemoPublishedCount || st.Published != models.DemoPublishedCount {
		t.Fatalf("public results: %d, %v; stats %+v", len(items), err, st)
	}
	seen := map[uint64]bool{}
	for _, it := range items {
		seen[it.Station.ID] = true
		if err := models.CheckPublicText("summary", it.Summary+it.Result, nil); err != nil {
			t.Errorf("demo result %d: %v", it.ID, err)
		}
		if it.WorkingDays <= 0 || it.ClosedOn < it.FiledOn {
			t.Errorf("demo result %d: filed %s closed %s, %d working days", it.ID, it.FiledOn, it.ClosedOn, it.WorkingDays)
		}
	}
	if len(seen) != models.DemoPublishedCount {
		t.Errorf("public results at %d stations, want one each", len(seen))
	}
	from, to := models.ResultWindow(now, loc)
	f, err := models.ComputeFigures(ctx, db, models.FigureQuery{From: from, To: to, Location: loc, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := models.ResultStatsOf(f, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rated := 0
	for _, s := range stats.Items {
		if s.AnsweredRate != nil {
			rated++
		}
	}
	if rated == 0 || rated == len(stats.Items) {
		t.Errorf("%d of %d stations have rates; the demo should show both kinds", rated, len(stats.Items))
	}
	again, err := models.LoadDemoResults(ctx, db, now, loc)
	if err != nil || again != (models.DemoResultStats{}) {
		t.Errorf("second run: %+v, %v", again, err)
	}
}
