package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/records"
)

// BenchmarkMonthlyReport reads one deputy's 履职通报 for November in the
// county-year of BenchmarkComputeFigures (400 deputies, 50,000 opinions),
// with half of the opinions filed through deputies' codes, 40 groups of
// ten and 40 entries per deputy in the year: the grouped counts of the
// whole level and the deputy's group, for the month and the year.
// Run: go test ./models/ -run '^$' -bench MonthlyReport -benchtime 50x
// (on MariaDB with DEPUTYLINK_TEST_MYSQL set).
func BenchmarkMonthlyReport(b *testing.B) {
	db := modelstest.NewDB(b)
	countyYear(b, db)
	var deps []models.Deputy
	if err := db.Where("level = ? AND status = ?", models.LevelCounty, models.DeputyActive).Order("id").Find(&deps).Error; err != nil {
		b.Fatal(err)
	}
	if len(deps) < 300 {
		b.Fatalf("only %d county deputies", len(deps))
	}
	// Half the opinions through a deputy's code, spread evenly.
	for i, d := range deps {
		if err := db.Exec("UPDATE opinions SET deputy_id = ? WHERE id % ? = ?", d.ID, 2*len(deps), i).Error; err != nil {
			b.Fatal(err)
		}
	}
	for g := range 40 {
		grp := models.DeputyGroup{Name: fmt.Sprintf("生成代表小组%02d", g)}
		if err := db.Create(&grp).Error; err != nil {
			b.Fatal(err)
		}
		for _, d := range deps[g*len(deps)/40 : (g+1)*len(deps)/40] {
			if err := db.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", grp.ID, d.ID).Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	statuses := []models.ActivityStatus{models.ActivityApproved, models.ActivityApproved, models.ActivityApproved,
		models.ActivityApproved, models.ActivityApproved, models.ActivityPending, models.ActivityRejected}
	var acts []models.Activity
	for _, d := range deps {
		for range 40 {
			typ := models.ActivityTypes[r.IntN(len(models.ActivityTypes))]
			acts = append(acts, models.Activity{DeputyID: d.ID, Type: typ, Date: fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)),
				Title: "生成的活动", Voters: r.IntN(9), Source: models.SourceStaff, Status: statuses[r.IntN(len(statuses))]})
		}
	}
	if err := db.CreateInBatches(&acts, 500).Error; err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, opLoc)
	one := deps[len(deps)/2].ID
	b.ResetTimer()
	for b.Loop() {
		rep, err := records.MonthlyReport(ctx, db, one, nov, opLoc)
		if err != nil {
			b.Fatal(err)
		}
		if rep.CountyMembers != len(deps) || len(rep.Groups) != 1 || rep.YearToDate.Line(records.LineOpinions).Own == 0 {
			b.Fatalf("report of %d peers, groups %v, %d opinions", rep.CountyMembers, rep.Groups, rep.YearToDate.Line(records.LineOpinions).Own)
		}
	}
}
