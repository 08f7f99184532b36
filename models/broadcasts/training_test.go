package broadcasts_test

import (
	"errors"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/broadcasts"
	"deputylink/models/records"
)

// Ensure a training's sign-up: open until the deadline, idempotent, also
// counts as a read, may be withdrawn while open; an article that is not a
// training takes none.
func TestSignUp(t *testing.T) {
	e := newEnv(t)
	s := e.send(e.county, training(e, "代表建议督办培训"), e.now)
	id, zhao := s.Broadcast.ID, e.deps["赵一"].ID
	a, err := broadcasts.Read(e.ctx, e.db, zhao, id, e.now)
	if err != nil || !a.CanSignUp || a.CanCancel {
		t.Fatalf("before sign-up %+v %v", a, err)
	}
	t1 := at(2026, 12, 15, 9, 0)
	a, err = broadcasts.SignUp(e.ctx, e.db, zhao, id, t1)
	if err != nil || a.Recipient.SignedUpAt == nil || !a.Recipient.SignedUpAt.Equal(t1) || a.CanSignUp || !a.CanCancel {
		t.Fatalf("sign-up %+v %v", a, err)
	}
	if a, err = broadcasts.SignUp(e.ctx, e.db, zhao, id, t1.Add(time.Hour)); err != nil || !a.Recipient.SignedUpAt.Equal(t1) {
		t.Errorf("second sign-up moved the time: %+v %v", a.Recipient, err)
	}
	// Signing up without opening the page first records the read too.
	sun := e.deps["孙三"].ID
	if a, err = broadcasts.SignUp(e.ctx, e.db, sun, id, t1); err != nil || a.Recipient.ReadAt == nil || !a.Recipient.ReadAt.Equal(t1) {
		t.Errorf("sign-up without read %+v %v", a.Recipient, err)
	}
	if a, err = broadcasts.CancelSignUp(e.ctx, e.db, sun, id, t1.Add(time.Hour)); err != nil || a.Recipient.SignedUpAt != nil || !a.CanSignUp {
		t.Errorf("cancel %+v %v", a, err)
	}
	if _, err = broadcasts.CancelSignUp(e.ctx, e.db, sun, id, t1.Add(2*time.Hour)); err != nil {
		t.Errorf("second cancel: %v", err)
	}
	// After the deadline (Friday 18:00).
	late := at(2026, 12, 18, 18, 1)
	if _, err := broadcasts.SignUp(e.ctx, e.db, sun, id, late); !errors.Is(err, broadcasts.ErrSignupClosed) {
		t.Errorf("late sign-up: %v", err)
	}
	if _, err := broadcasts.CancelSignUp(e.ctx, e.db, zhao, id, late); !errors.Is(err, broadcasts.ErrSignupClosed) {
		t.Errorf("late cancel: %v", err)
	}
	if a, _ := broadcasts.Read(e.ctx, e.db, zhao, id, late); a.CanSignUp || a.CanCancel {
		t.Errorf("after the deadline the page offers %+v", a)
	}
	law := e.send(e.county, article("不是培训"), e.now)
	if _, err := broadcasts.SignUp(e.ctx, e.db, zhao, law.Broadcast.ID, e.now); !errors.Is(err, broadcasts.ErrNotTraining) {
		t.Errorf("sign-up for a law article: %v", err)
	}
	if _, err := broadcasts.SignUp(e.ctx, e.db, e.deps["周六"].ID, id, e.now); !errors.Is(err, broadcasts.ErrNotFound) {
		t.Errorf("sign-up by a non-recipient: %v", err)
	}
	d, err := broadcasts.Get(e.ctx, e.db, e.county, id)
	e.must(err)
	if d.SignedUp != 1 || d.Read != 2 || d.Rows[0].DeputyID != zhao || d.Rows[0].SignedUpAt == nil {
		t.Errorf("office view: %+v, first row %+v", d.Summary, d.Rows[0])
	}
}

// Ensure attendance at the session writes one approved 学习培训 entry into
// each ticked deputy's record (also when ticked twice), which the record
// shows; a tick before the session's day, for a non-recipient or on an
// article that is not a training is refused with nothing written; an
// untick removes the entry; a closed year keeps its record as it was.
func TestAttendance(t *testing.T) {
	e := newEnv(t)
	s := e.send(e.county, training(e, "代表建议督办培训"), e.now)
	id, zhao, sun, qian := s.Broadcast.ID, e.deps["赵一"].ID, e.deps["孙三"].ID, e.deps["钱四"].ID
	_, err := broadcasts.SignUp(e.ctx, e.db, zhao, id, e.now)
	e.must(err)
	day := at(2026, 12, 21, 14, 40)
	if _, err := broadcasts.MarkAttendance(e.ctx, e.db, e.county, id, []uint64{zhao}, at(2026, 12, 20, 23, 59), cst); !errors.Is(err, broadcasts.ErrBeforeSession) {
		t.Errorf("tick the day before: %v", err)
	}
	if _, err := broadcasts.MarkAttendance(e.ctx, e.db, e.county, id, []uint64{zhao, e.deps["周六"].ID}, day, cst); !errors.Is(err, broadcasts.ErrNotRecipient) {
		t.Errorf("tick a non-recipient: %v", err)
	}
	law := e.send(e.county, article("不是培训"), e.now)
	if _, err := broadcasts.MarkAttendance(e.ctx, e.db, e.county, law.Broadcast.ID, []uint64{zhao}, day, cst); !errors.Is(err, broadcasts.ErrNotTraining) {
		t.Errorf("tick on a law article: %v", err)
	}
	if _, err := broadcasts.MarkAttendance(e.ctx, e.db, e.township, id, []uint64{zhao}, day, cst); !errors.Is(err, broadcasts.ErrNotFound) {
		t.Errorf("a township ticks the county's training: %v", err)
	}
	var n int64
	e.must(e.db.Model(&models.Activity{}).Count(&n).Error)
	if r := e.recipients(id)["赵一"]; n != 0 || r.AttendedAt != nil {
		t.Fatalf("refused ticks wrote %d entries, row %+v", n, r)
	}
	// 赵一 signed up; 孙三 walked in without signing up.
	marked, err := broadcasts.MarkAttendance(e.ctx, e.db, e.county, id, []uint64{zhao, sun}, day, cst)
	if err != nil || marked != 2 {
		t.Fatalf("tick: %d %v", marked, err)
	}
	if marked, err = broadcasts.MarkAttendance(e.ctx, e.db, e.county, id, []uint64{sun, zhao, zhao}, day.Add(time.Hour), cst); err != nil || marked != 0 {
		t.Errorf("tick again: %d %v", marked, err)
	}
	for _, dep := range []uint64{zhao, sun} {
		var acts []models.Activity
		e.must(e.db.Where("deputy_id = ?", dep).Find(&acts).Error)
		if len(acts) != 1 {
			t.Fatalf("deputy %d has %d entries", dep, len(acts))
		}
		a := acts[0]
		if a.Type != models.ActStudy || a.Status != models.ActivityApproved || a.Date != "2026-12-21" ||
			a.Source != models.SourceStaff || a.SourceKey == nil || *a.SourceKey != broadcasts.BroadcastSourceKey(id, dep) ||
			a.Title != "参加培训：代表建议督办培训" || a.EnteredByStaffID == nil || *a.EnteredByStaffID != e.county.Actor.ID {
			t.Errorf("entry %+v", a)
		}
		rec, err := records.DeputyRecord(e.ctx, e.db, dep, 2026, cst)
		e.must(err)
		if study := count(rec.Counts, models.ActStudy); study != 1 || rec.Approved != 1 {
			t.Errorf("record of %d: 学习培训 %d, approved %d", dep, study, rec.Approved)
		}
	}
	d, err := broadcasts.Get(e.ctx, e.db, e.county, id)
	e.must(err)
	if d.Attended != 2 || d.SignedUp != 1 {
		t.Errorf("office view %+v", d.Summary)
	}
	// An attended deputy cannot withdraw their sign-up.
	if _, err := broadcasts.CancelSignUp(e.ctx, e.db, zhao, id, e.now); !errors.Is(err, broadcasts.ErrAttended) {
		t.Errorf("cancel after attending: %v", err)
	}
	// Untick 孙三: the entry goes; a second untick changes nothing.
	e.must(broadcasts.UnmarkAttendance(e.ctx, e.db, e.county, id, sun, day, cst))
	e.must(broadcasts.UnmarkAttendance(e.ctx, e.db, e.county, id, sun, day, cst))
	e.must(e.db.Model(&models.Activity{}).Where("deputy_id = ?", sun).Count(&n).Error)
	if r := e.recipients(id)["孙三"]; n != 0 || r.AttendedAt != nil {
		t.Errorf("after untick: %d entries, row %+v", n, r)
	}
	// Once 2026's evaluation of county deputies is closed, ticking 钱四 (a county deputy)
	// still counts here but leaves the locked record alone, and 赵一's tick
	// can no longer be undone.
	e.must(e.db.Create(&models.Evaluation{Year: 2026, Level: models.LevelCounty, Status: models.EvaluationClosed}).Error)
	if marked, err := broadcasts.MarkAttendance(e.ctx, e.db, e.county, id, []uint64{qian}, day, cst); err != nil || marked != 1 {
		t.Errorf("tick in a closed year: %d %v", marked, err)
	}
	e.must(e.db.Model(&models.Activity{}).Where("deputy_id = ?", qian).Count(&n).Error)
	if n != 0 {
		t.Errorf("a closed year's record got %d entries", n)
	}
	if err := broadcasts.UnmarkAttendance(e.ctx, e.db, e.county, id, zhao, day, cst); !errors.Is(err, records.ErrActivityLocked) {
		t.Errorf("untick in a closed year: %v", err)
	}
}

func count(cs []records.TypeCount, typ models.ActivityType) int {
	for _, c := range cs {
		if c.Type == typ {
			return c.Count
		}
	}
	return -1
}
