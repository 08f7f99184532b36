package jobs

import (
	"context"
	"testing"

	"deputylink/models"
)

// A reception day through the desk: two deputies on the roster, one signs
// in, two voters come (one booked, one walk-in). The night closes the day
// and the accrual gives the deputy who came one entry with two voters,
// and the one who did not come nothing; the next night adds nothing.
func TestAccrueActivitiesJob(t *testing.T) {
	e := newRecEnv(t)
	ctx := context.Background()
	d := e.deps(t, e.opt)
	var deps []models.Deputy
	e.must(e.db.Order("id").Find(&deps).Error)
	var day models.ReceptionDay
	e.must(e.db.Where("station_id = ? AND date = ?", e.station.ID, recDate).First(&day).Error)
	e.must(models.SetRoster(ctx, e.db, models.SystemActor, day.ID, []uint64{deps[0].ID, deps[1].ID}, recAt(12, 1, 9, 0)))
	b := e.book(0, 0)
	scope := models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 1}, StationIDs: []uint64{e.station.ID}}
	onDay := day.StartsAt.Add(10 * 60e9)
	_, err := models.SignInDeputy(ctx, e.db, scope, day.ID, deps[0].ID, onDay)
	e.must(err)
	_, err = models.CheckIn(ctx, e.db, scope, day.ID, b.CheckinCode, onDay)
	e.must(err)
	_, err = models.RecordWalkIn(ctx, e.db, scope, day.ID, "王大爷", "路灯", onDay)
	e.must(err)
	if _, err := CloseReceptionDays(ctx, d, recAt(12, 11, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if n, err := RunOnce(ctx, d, JobAccrueActivities, recAt(12, 11, 4, 0)); err != nil || n != 1 {
		t.Fatalf("accrual = %d, %v; want 1", n, err)
	}
	var acts []models.Activity
	e.must(e.db.Find(&acts).Error)
	if len(acts) != 1 || acts[0].DeputyID != deps[0].ID || acts[0].Voters != 2 || acts[0].Date != recDate ||
		acts[0].Status != models.ActivityApproved {
		t.Fatalf("entries: %+v", acts)
	}
	if n, err := AccrueActivities(ctx, d, recAt(12, 12, 4, 0)); err != nil || n != 0 {
		t.Fatalf("second night = %d, %v; want 0", n, err)
	}
	var sched string
	for _, j := range All(Options{Location: recCST}) {
		if j.Name == JobAccrueActivities {
			sched = j.Schedule()
		}
	}
	if sched != "daily 04:00" {
		t.Fatalf("schedule %q", sched)
	}
}
