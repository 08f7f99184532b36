package api_test

import (
	"strconv"
	"testing"

	"deputylink/models"
)

// Ensure the deputy resource carries the public summary of their record
// this year: approved activities only, counted by type with Chinese
// labels; pending, rejected and last year's entries are left out.
func TestDeputyActivitiesSummary(t *testing.T) {
	e := newEnv(t)
	f := seed(t, e.db)
	add := func(typ models.ActivityType, date string, st models.ActivityStatus) {
		must(t, e.db.Create(&models.Activity{DeputyID: f.active.ID, Type: typ, Date: date, Title: "活动",
			Source: models.SourceStaff, Status: st}).Error)
	}
	add(models.ActReception, "2026-03-10", models.ActivityApproved)
	add(models.ActReception, "2026-06-10", models.ActivityApproved)
	add(models.ActMeeting, "2026-01-10", models.ActivityApproved)
	add(models.ActVisit, "2026-05-10", models.ActivityPending)
	add(models.ActStudy, "2026-05-11", models.ActivityRejected)
	add(models.ActProposal, "2025-12-10", models.ActivityApproved)

	var d struct {
		models.DeputyView
		Activities *struct {
			Year   int `json:"year"`
			Counts []struct {
				Type  string `json:"type"`
				Label string `json:"label"`
				Count int    `json:"count"`
			} `json:"counts"`
		} `json:"activities"`
	}
	if r := e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.active.ID, 10), "", &d); r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	a := d.Activities
	if d.Name != f.active.Name || a == nil || a.Year != 2026 || len(a.Counts) != 2 ||
		a.Counts[0].Type != "meeting" || a.Counts[0].Label != "出席会议" || a.Counts[0].Count != 1 ||
		a.Counts[1].Type != "reception" || a.Counts[1].Label != "接待选民" || a.Counts[1].Count != 2 {
		t.Fatalf("deputy resource: %+v %+v", d.DeputyView, a)
	}
	// A deputy with nothing approved has an empty list, not null.
	var r map[string]any
	e.do("GET", "/api/v1/deputies/"+strconv.FormatUint(f.retired.ID, 10), "", &r)
	acts, _ := r["activities"].(map[string]any)
	if c, ok := acts["counts"].([]any); !ok || len(c) != 0 {
		t.Fatalf("no entries: %v", r["activities"])
	}
}
