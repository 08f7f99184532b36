package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// repliedItem files an item at 东门 and has the clerk accept and reply at replyAt.
func (e *opEnv) repliedItem(replyAt time.Time) models.Opinion {
	e.t.Helper()
	clerk := e.staff["章佳怡"].ID
	op, _ := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID}, opMonday)
	if _, _, err := models.AcceptOpinion(e.ctx, e.db, clerk, op.ID, "", opMonday.Add(time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	op, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "已联系供电所修复。"}, replyAt)
	if err != nil {
		e.t.Fatal(err)
	}
	return op
}

func TestRatingRules(t *testing.T) {
	e := newOpEnv(t)
	voter := e.voters[0]
	rate := func(id uint64, who uint64, stage, score string) (models.Opinion, error) {
		_, op, _, err := models.RateOpinion(e.ctx, e.db, who, id, stage, score, "", opMonday.AddDate(0, 0, 3), opLoc, e.cal)
		return op, err
	}
	fresh, _ := e.file(models.FileInput{}, opMonday)
	for name, c := range map[string]struct {
		id           uint64
		who          uint64
		stage, score string
		code         string
	}{
		"before the reply":     {fresh.ID, voter, models.StageReply, models.ScoreSatisfied, "not_ready_to_rate"},
		"result before reply":  {fresh.ID, voter, models.StageResult, models.ScoreSatisfied, "not_ready_to_rate"},
		"another voter":        {fresh.ID, e.voters[1], models.StageReply, models.ScoreSatisfied, "opinion_not_found"},
		"no such item":         {999999, voter, models.StageReply, models.ScoreSatisfied, "opinion_not_found"},
		"bad stage":            {fresh.ID, voter, "middle", models.ScoreSatisfied, "invalid_stage"},
		"bad score":            {fresh.ID, voter, models.StageReply, "great", "invalid_score"},
		"voter 0 is not owner": {fresh.ID, 0, models.StageReply, models.ScoreSatisfied, "opinion_not_found"},
	} {
		if _, err := rate(c.id, c.who, c.stage, c.score); opCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if _, _, _, err := models.RateOpinion(e.ctx, e.db, voter, fresh.ID, models.StageReply, models.ScoreSatisfied, strings.Repeat("好", 501), opMonday, opLoc, e.cal); opCode(err) != "invalid_comment" {
		t.Errorf("long comment: %v", err)
	}

	op := e.repliedItem(opMonday.Add(24 * time.Hour))
	if _, err := rate(op.ID, e.voters[1], models.StageReply, models.ScoreSatisfied); opCode(err) != "opinion_not_found" {
		t.Fatalf("another voter on a replied item: %v", err)
	}
	got, err := rate(op.ID, voter, models.StageReply, models.ScoreBasically)
	if err != nil || got.Status != models.OpinionReplied {
		t.Fatalf("reply rating: %+v %v", got, err)
	}
	if _, err := rate(op.ID, voter, models.StageReply, models.ScoreSatisfied); opCode(err) != "already_rated" || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second reply rating: %v", err)
	}
	got, err = rate(op.ID, voter, models.StageResult, models.ScoreBasically)
	if err != nil || got.Status != models.OpinionClosed || got.ClosedAt == nil {
		t.Fatalf("satisfied result: %+v %v", got, err)
	}
	if _, err := rate(op.ID, voter, models.StageResult, models.ScoreUnsatisfied); opCode(err) != "already_rated" {
		t.Fatalf("second result rating: %v", err)
	}
	if got := e.trail(op.ID); !slices.Equal(got[len(got)-3:], []string{"opinion.rate", "opinion.rate", "opinion.close"}) {
		t.Fatalf("trail %v", got)
	}

	// The result may be rated without rating the reply first, and the reply
	// may still be rated once the item is closed.
	op2 := e.repliedItem(opMonday.Add(24 * time.Hour))
	if got, err := rate(op2.ID, voter, models.StageResult, models.ScoreSatisfied); err != nil || got.Status != models.OpinionClosed {
		t.Fatalf("result first: %v", err)
	}
	if _, err := rate(op2.ID, voter, models.StageReply, models.ScoreSatisfied); err != nil {
		t.Fatalf("reply after close: %v", err)
	}

	// The database itself allows one rating per opinion, round and stage.
	dup := models.OpinionRating{OpinionID: op2.ID, Round: 1, Stage: models.StageReply, VoterID: voter, Score: models.ScoreSatisfied}
	if err := e.db.Create(&dup).Error; err == nil {
		t.Fatal("a duplicate rating row was stored")
	}
}

// Unsatisfied results: round 1 reopens, round 2 escalates; an admin may
// reopen an escalated item for a third round.
func TestRatingReopenAndEscalate(t *testing.T) {
	e := newOpEnv(t)
	e.bind("项海燕")
	voter, clerk, admin := e.voters[0], e.staff["章佳怡"].ID, e.staff["项海燕"].ID
	op := e.repliedItem(opMonday.Add(24 * time.Hour))
	at := opMonday.AddDate(0, 0, 10)
	_, got, evs, err := models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageResult, models.ScoreUnsatisfied, "没修好", at, opLoc, e.cal)
	if err != nil || got.Status != models.OpinionReopened || got.Round != 2 || got.Escalated {
		t.Fatalf("round 1 unsatisfied: %+v %v", got, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventReopened {
		t.Fatalf("events %+v", evs)
	}
	// Round 2's reply stage is a new round: it may be rated again.
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, clerk, op.ID, models.ReplyInput{Text: "第二次答复"}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageReply, models.ScoreUnsatisfied, "", at.Add(2*time.Hour), opLoc, e.cal); err != nil {
		t.Fatalf("round 2 reply rating: %v", err)
	}
	_, got, evs, err = models.RateOpinion(e.ctx, e.db, voter, op.ID, models.StageResult, models.ScoreUnsatisfied, "", at.Add(3*time.Hour), opLoc, e.cal)
	if err != nil || got.Status != models.OpinionReplied || !got.Escalated || got.Round != 2 {
		t.Fatalf("round 2 unsatisfied: %+v %v", got, err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventEscalated || !slices.Equal(staffIDs(evs[0].Staff), []uint64{admin}) {
		t.Fatalf("escalation events %+v", evs)
	}
	if _, _, err := models.ReopenOpinion(e.ctx, e.db, clerk, op.ID, "", at, opLoc, e.cal); opCode(err) != "admin_only" {
		t.Fatalf("clerk reopen: %v", err)
	}
	got, evs, err = models.ReopenOpinion(e.ctx, e.db, admin, op.ID, "督办后再次办理", at.Add(4*time.Hour), opLoc, e.cal)
	if err != nil || got.Round != 3 || got.Status != models.OpinionReopened || len(evs) != 1 {
		t.Fatalf("admin reopen: %+v %v", got, err)
	}
	var n int64
	e.db.Model(&models.OpinionRating{}).Where("opinion_id = ?", op.ID).Count(&n)
	if n != 3 { // round 1 result, round 2 reply and result
		t.Fatalf("%d ratings", n)
	}
}

// "解决了吗?" is asked once per round, 7 days after the reply.
func TestDueResultQuestions(t *testing.T) {
	e := newOpEnv(t)
	replyAt := opMonday.Add(24 * time.Hour)
	op := e.repliedItem(replyAt)
	answered := e.repliedItem(replyAt)
	if _, _, _, err := models.RateOpinion(e.ctx, e.db, e.voters[0], answered.ID, models.StageResult, models.ScoreSatisfied, "", replyAt.Add(time.Hour), opLoc, e.cal); err != nil {
		t.Fatal(err)
	}
	evs, err := models.DueResultQuestions(e.ctx, e.db, replyAt.AddDate(0, 0, 7).Add(-time.Second), 0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("too early: %+v %v", evs, err)
	}
	evs, err = models.DueResultQuestions(e.ctx, e.db, replyAt.AddDate(0, 0, 7), 7)
	if err != nil || len(evs) != 1 || evs[0].OpinionID != op.ID || evs[0].Kind != models.EventAskResult || evs[0].VoterID != e.voters[0] {
		t.Fatalf("due: %+v %v", evs, err)
	}
	if evs, _ := models.DueResultQuestions(e.ctx, e.db, replyAt.AddDate(0, 0, 8), 7); len(evs) != 0 {
		t.Fatalf("asked twice: %+v", evs)
	}
	// A new round is asked again after its own reply.
	at := replyAt.AddDate(0, 0, 9)
	if _, _, _, err := models.RateOpinion(e.ctx, e.db, e.voters[0], op.ID, models.StageResult, models.ScoreUnsatisfied, "", at, opLoc, e.cal); err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.ReplyOpinion(e.ctx, e.db, e.staff["章佳怡"].ID, op.ID, models.ReplyInput{Text: "再次处理"}, at); err != nil {
		t.Fatal(err)
	}
	evs, _ = models.DueResultQuestions(e.ctx, e.db, at.AddDate(0, 0, 7), 7)
	if len(evs) != 1 || evs[0].Round != 2 || evs[0].DedupeKey == "" {
		t.Fatalf("round 2: %+v", evs)
	}
}
