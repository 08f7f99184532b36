package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// countyYear fills db with a county-year at the scale of the county in
// the practice notes: 76 stations, 400 deputies, 50,000 opinions in 2026
// (with ratings and call-backs), 20,000 bookings on 912 reception days,
// walk-ins, a board per deputy and their scans.
func countyYear(b *testing.B, db *gorm.DB) {
	b.Helper()
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, db); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	ins := func(rows any) {
		if err := db.CreateInBatches(rows, 500).Error; err != nil {
			b.Fatal(err)
		}
	}
	var sts []models.Station
	for i := range 62 {
		sts = append(sts, models.Station{Kind: models.KindStation, Name: fmt.Sprintf("生成联络站%02d", i),
			Address: "测试地址", District: fmt.Sprintf("生成镇%d", i%10), OpenHours: "工作日"})
	}
	ins(&sts)
	var stationIDs []uint64
	if err := db.Model(&models.Station{}).Order("id").Pluck("id", &stationIDs).Error; err != nil {
		b.Fatal(err)
	}
	var deps []models.Deputy
	for i := range 340 {
		st := models.DeputyActive
		if i%40 == 0 {
			st = models.DeputyRetired
		}
		deps = append(deps, models.Deputy{Name: fmt.Sprintf("代表%03d", i), Level: models.LevelCounty,
			StationID: stationIDs[i%len(stationIDs)], Status: st, Term: "第十八届"})
	}
	ins(&deps)
	var cats []uint64
	if err := db.Model(&models.Category{}).Pluck("id", &cats).Error; err != nil {
		b.Fatal(err)
	}
	loc := opLoc
	y0 := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	statuses := models.OpinionStatuses
	var ops []models.Opinion
	var ratings []models.OpinionRating
	var calls []models.OpinionCallback
	for i := range 50000 {
		at := y0.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).UTC()
		src := models.AllSources[r.IntN(len(models.AllSources))]
		st := statuses[r.IntN(len(statuses))]
		op := models.Opinion{TrackingNo: fmt.Sprintf("GEN%06d", i), VoterID: uint64(1 + i%5000), Source: src,
			CategoryID: cats[r.IntN(len(cats))], Content: "生成的意见", StationID: stationIDs[r.IntN(len(stationIDs))],
			RouteRule: models.RuleCategory, RouteReason: "生成", Status: st, Round: 1, AcceptDays: 2, ReplyDays: 15,
			AcceptStartAt: at, AcceptDueAt: at.AddDate(0, 0, 3), ReplyStartAt: at, ReplyDueAt: at.AddDate(0, 0, 20),
			Version: 1, CreatedAt: at, UpdatedAt: at}
		if st != models.OpinionSubmitted && st != models.OpinionReturned {
			op.AcceptedAt = ptrTime(at.Add(time.Duration(r.IntN(96)) * time.Hour))
		}
		if st == models.OpinionReplied || st == models.OpinionClosed {
			op.RepliedAt = ptrTime(at.Add(time.Duration(48+r.IntN(400)) * time.Hour))
			if r.IntN(3) == 0 {
				ratings = append(ratings, models.OpinionRating{OpinionID: uint64(i + 1), Round: 1, Stage: models.StageReply,
					VoterID: op.VoterID, StationID: op.StationID, Score: models.ScoreSatisfied, CreatedAt: *op.RepliedAt})
			} else if r.IntN(4) == 0 {
				calls = append(calls, models.OpinionCallback{OpinionID: uint64(i + 1), Round: 1, Stage: models.StageReply,
					StationID: op.StationID, StaffID: 1, Score: models.ScoreBasically, CreatedAt: *op.RepliedAt})
			}
		}
		ops = append(ops, op)
	}
	ins(&ops)
	ins(&ratings)
	ins(&calls)
	var days []models.ReceptionDay
	for _, st := range stationIDs {
		for m := range 12 {
			d := time.Date(2026, time.Month(m+1), 15, 9, 0, 0, 0, loc)
			status := models.DayClosed
			if m == 11 {
				status = models.DayOpen
			}
			days = append(days, models.ReceptionDay{StationID: st, Date: d.Format(models.DateLayout), Period: d.Format("2006-01"),
				Status: status, StartsAt: d.UTC(), EndsAt: d.Add(2 * time.Hour).UTC(), BookingOpensAt: d.AddDate(0, 0, -7).UTC(),
				BookingClosesAt: d.UTC(), RuleHash: "gen", RuleSnapshot: "{}"})
		}
	}
	ins(&days)
	var bookings []models.Booking
	var walks []models.WalkIn
	for i := range 20000 {
		d := days[r.IntN(len(days))]
		status := []models.BookingStatus{models.BookingCheckedIn, models.BookingNoShow, models.BookingCancelled}[r.IntN(3)]
		bookings = append(bookings, models.Booking{VoterID: uint64(1 + i%5000), SlotID: 1, DayID: d.ID, StationID: d.StationID,
			Date: d.Date, Status: status, CheckinCode: fmt.Sprintf("G%06d", i)})
		if i%5 == 0 {
			walks = append(walks, models.WalkIn{DayID: d.ID, SlotID: 1, StationID: d.StationID, CreatedAt: d.StartsAt})
		}
	}
	ins(&bookings)
	ins(&walks)
	if _, err := models.EnsureCodes(ctx, db); err != nil {
		b.Fatal(err)
	}
	var codes []string
	if err := db.Model(&models.Code{}).Pluck("code", &codes).Error; err != nil {
		b.Fatal(err)
	}
	// 30,000 scans, as the drain adds them: a count per code and day.
	var scans []models.ScanCount
	for range 30000 {
		at := y0.Add(time.Duration(r.Int64N(int64(300 * 24 * time.Hour)))).UTC()
		scans = append(scans, models.ScanCount{Code: codes[r.IntN(len(codes)/2)], Day: models.ScanDayOf(at), Count: 1, LastAt: at})
	}
	if _, err := models.AddScanCounts(context.Background(), db, "", scans, y0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkComputeFigures counts a county-year's figures as the county
// office (every station) for the year and for a month, and as one
// station's clerk for the year.
// Run: go test ./models/ -run '^$' -bench ComputeFigures -benchtime 20x
// (on MariaDB with DEPUTYLINK_TEST_MYSQL set).
func BenchmarkComputeFigures(b *testing.B) {
	db := modelstest.NewDB(b)
	countyYear(b, db)
	cal, err := models.LoadCalendar(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	var one uint64
	if err := db.Model(&models.Station{}).Order("id").Limit(1).Pluck("id", &one).Error; err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 20, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		ids      []uint64
		from, to string
	}{{"county-year", nil, "2026-01-01", "2026-12-31"}, {"county-month", nil, "2026-10-01", "2026-10-31"},
		{"station-year", []uint64{one}, "2026-01-01", "2026-12-31"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				f, err := models.ComputeFigures(context.Background(), db, models.FigureQuery{From: c.from, To: c.to,
					StationIDs: c.ids, Location: opLoc, Calendar: cal, Now: now})
				if err != nil {
					b.Fatal(err)
				}
				if c.name == "county-year" && f.Total != 50000 {
					b.Fatalf("counted %d opinions", f.Total)
				}
			}
		})
	}
}
