package models

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The two stages a voter rates (docs/ARCHITECTURE.md#ratings): the reply first, then,
// days later, whether the problem was actually solved.
const (
	StageReply  = "reply"
	StageResult = "result"
)

// Rating scores.
const (
	ScoreSatisfied   = "satisfied"   // 满意
	ScoreBasically   = "basically"   // 基本满意
	ScoreUnsatisfied = "unsatisfied" // 不满意
)

// ScoreLabel is the Chinese name of a score.
func ScoreLabel(score string) string {
	switch score {
	case ScoreSatisfied:
		return "满意"
	case ScoreBasically:
		return "基本满意"
	case ScoreUnsatisfied:
		return "不满意"
	}
	return score
}

// OpinionRating is one rating by the voter: one per opinion, round and stage.
type OpinionRating struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	OpinionID uint64    `gorm:"not null;uniqueIndex:idx_opinion_rating_once,priority:1" json:"opinion_id"`
	Round     int       `gorm:"not null;uniqueIndex:idx_opinion_rating_once,priority:2" json:"round"`
	Stage     string    `gorm:"size:8;not null;uniqueIndex:idx_opinion_rating_once,priority:3" json:"stage"`
	VoterID   uint64    `gorm:"not null;index" json:"voter_id"`
	StationID uint64    `gorm:"not null;index" json:"station_id"`
	Score     string    `gorm:"size:16;not null" json:"score"`
	Comment   string    `gorm:"size:500;not null" json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

// Rating errors.
var (
	ErrAlreadyRated   = Coded(ErrConflict, "already_rated", "您已经评价过了")
	ErrNotReadyToRate = Coded(ErrConflict, "not_ready_to_rate", "意见答复后才能评价")
)

// RateOpinion records the voter's rating of their item's current round.
//
//   - Only the item's voter may rate; for anyone else the item does not exist.
//   - stage "reply": once per round, once the round is replied (also after
//     it was closed).
//   - stage "result": once per round, while the item is replied. A satisfied
//     or basically satisfied result closes the item; an unsatisfied one
//     reopens it for another round (二次办理, with a new reply deadline on
//     cal in loc), or, after MaxRounds rounds, escalates it to the admins.
//
// Errors: already_rated and not_ready_to_rate (409); invalid_stage,
// invalid_score, invalid_comment (400). Events: the station's staff on a
// reopening, the admins on an escalation.
func RateOpinion(ctx context.Context, db *gorm.DB, voterID, opinionID uint64, stage, score, comment string, now time.Time, loc *time.Location, cal *Calendar) (OpinionRating, Opinion, []OpinionEvent, error) {
	loc = orLoc(loc)
	now = now.UTC()
	if stage != StageReply && stage != StageResult {
		return OpinionRating{}, Opinion{}, nil, Invalid("stage", "评价阶段应为答复或办理结果")
	}
	if score != ScoreSatisfied && score != ScoreBasically && score != ScoreUnsatisfied {
		return OpinionRating{}, Opinion{}, nil, Invalid("score", "评价应为满意、基本满意或不满意")
	}
	comment = CleanText(comment)
	if utf8.RuneCountInString(comment) > reasonMaxRunes {
		return OpinionRating{}, Opinion{}, nil, Invalid("comment", "评价内容不能超过500字")
	}
	var rating OpinionRating
	var out Opinion
	var events []OpinionEvent
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, opinionID)
		if err != nil {
			return err
		}
		if op.VoterID != voterID || voterID == 0 {
			return ErrOpinionNotFound
		}
		var n int64
		if err := tx.Model(&OpinionRating{}).Where("opinion_id = ? AND round = ? AND stage = ?", op.ID, op.Round, stage).
			Count(&n).Error; err != nil {
			return translate(err)
		}
		if n > 0 {
			return ErrAlreadyRated
		}
		ready := op.RepliedAt != nil && (op.Status == OpinionReplied || (stage == StageReply && op.Status == OpinionClosed))
		if !ready {
			return ErrNotReadyToRate
		}
		rating = OpinionRating{OpinionID: op.ID, Round: op.Round, Stage: stage, VoterID: voterID,
			StationID: op.StationID, Score: score, Comment: comment, CreatedAt: now}
		if err := tx.Create(&rating).Error; err != nil {
			if err = translate(err); errors.Is(err, ErrConflict) {
				return ErrAlreadyRated
			}
			return err
		}
		who := Actor{Kind: actorVoter, ID: voterID}
		note := fmt.Sprintf("第%d轮%s评价：%s", op.Round, stageLabel(stage), ScoreLabel(score))
		if comment != "" {
			note += "；" + comment
		}
		if err := Audit(ctx, tx, now, who, "opinion.rate", auditOpinion, op.ID, string(op.Status), string(op.Status), note); err != nil {
			return err
		}
		out = op
		if stage == StageReply {
			return nil
		}
		a := &action{ctx: ctx, tx: tx, op: op, actor: who, now: now, set: map[string]any{}, note: note}
		act, err := resultOutcome(a, score, "您确认问题已解决，意见已办结", loc, cal)
		if err != nil {
			return err
		}
		to, err := Transition(op.Status, act)
		if err != nil {
			return err
		}
		out, events, err = applyAction(tx, a, act, to)
		return err
	})
	if err != nil {
		return OpinionRating{}, Opinion{}, nil, err
	}
	return rating, out, events, nil
}

// resultOutcome builds what an answer to "解决了吗？" does to the item in
// a (the voter's rating, or a phone call-back): solved or partly solved
// closes it (timeline closeText); not solved reopens it for another round
// (on cal in loc), or, after MaxRounds rounds, escalates it to the admins.
func resultOutcome(a *action, score, closeText string, loc *time.Location, cal *Calendar) (OpinionAction, error) {
	op, now := a.op, a.now
	switch {
	case score != ScoreUnsatisfied:
		a.set["closed_at"] = now
		a.timeline(func(Opinion, string) (string, string) { return closeText, "" })
		return ActionClose, nil
	case op.Round < MaxRounds:
		return ActionReopen, reopen(a, loc, cal)
	default:
		a.set["escalated"] = true
		a.set["escalated_at"] = now
		a.timeline(func(Opinion, string) (string, string) { return "已提交" + OfficeName + "督办", "" })
		a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
			ev := baseEvent(op, EventEscalated, st, fmt.Sprintf("一条意见经%d轮办理群众仍不满意，请督办", op.Round))
			var err error
			ev.Staff, ev.Via, err = adminRecipients(tx)
			return []OpinionEvent{ev}, err
		}
		return ActionEscalate, nil
	}
}

// DueResultQuestions finds replied items whose voter should now be asked
// "解决了吗?": replied at least days (default 7) calendar days ago, not
// asked yet in this round, no result rating yet, not escalated. It marks
// them asked (a conditional update, so two runners never both ask) and
// returns one EventAskResult per item for the voter. Run it in the
// transaction that enqueues the questions.
func DueResultQuestions(ctx context.Context, db *gorm.DB, now time.Time, days int) ([]OpinionEvent, error) {
	events, _, err := DueResultQuestionsAfter(ctx, db, now, days, 0, 0)
	return events, err
}

// DueResultQuestionsAfter is DueResultQuestions over the opinions with an
// id above after, at most limit of them in id order (0: all); last is the
// id of the last one it looked at, 0 when there were none (DuePage).
func DueResultQuestionsAfter(ctx context.Context, db *gorm.DB, now time.Time, days int, after uint64, limit int) (events []OpinionEvent, last uint64, err error) {
	if days <= 0 {
		days = resultAskDays
	}
	now = now.UTC()
	db = db.WithContext(ctx)
	var ops []Opinion
	q := db.Where("status = ? AND result_asked_at IS NULL AND escalated = ? AND replied_at <= ?",
		OpinionReplied, false, now.AddDate(0, 0, -days)).
		Where("NOT EXISTS (?)", db.Model(&OpinionRating{}).Select("1").
			Where("opinion_ratings.opinion_id = opinions.id AND opinion_ratings.round = opinions.round AND opinion_ratings.stage = ?", StageResult)).
		Where("opinions.id > ?", after).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > 0 {
		last = ops[len(ops)-1].ID
	}
	names := map[uint64]string{}
	for _, op := range ops {
		res := db.Model(&Opinion{}).Where("id = ? AND round = ? AND result_asked_at IS NULL", op.ID, op.Round).
			UpdateColumn("result_asked_at", now)
		if res.Error != nil {
			return nil, 0, translate(res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		if _, ok := names[op.StationID]; !ok {
			if names[op.StationID], err = stationName(db, op.StationID); err != nil {
				return nil, 0, err
			}
		}
		ev := voterEvent(op, EventAskResult, names[op.StationID], "您反映的问题解决了吗？")
		ev.DedupeKey = fmt.Sprintf("opinion:%d:ask_result:r%d", op.ID, op.Round)
		events = append(events, ev)
	}
	return events, last, nil
}
