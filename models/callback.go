package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Phone call-backs (电话回访): after a reply, staff call the person and
// record their answer to the reply (满意 / 基本满意 / 不满意) and to
// "解决了吗？" (解决了 / 部分解决 / 没解决), on the scales of the online
// ratings (rating.go). They close the loop of opinions received offline,
// and of online ones whose voter did not rate. They are kept apart from
// the voters' own ratings (opinion_callbacks, not opinion_ratings) and
// counted apart (FeedbackSummary). An answer to "解决了吗？" acts like the
// voter's: solved closes the item, not solved reopens it or escalates it.

// OpinionCallback is one answer given on a phone call-back: one per
// opinion, round and stage, and never for a stage the voter rated online.
type OpinionCallback struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	OpinionID uint64    `gorm:"not null;uniqueIndex:idx_opinion_callback_once,priority:1" json:"opinion_id"`
	Round     int       `gorm:"not null;uniqueIndex:idx_opinion_callback_once,priority:2" json:"round"`
	Stage     string    `gorm:"size:8;not null;uniqueIndex:idx_opinion_callback_once,priority:3" json:"stage"`
	StationID uint64    `gorm:"not null;index" json:"station_id"`
	StaffID   uint64    `gorm:"not null" json:"staff_id"`
	Score     string    `gorm:"size:16;not null" json:"score"`
	Note      string    `gorm:"size:500;not null" json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// CallbackInput is what the person answered on the phone. ReplyScore and
// ResultScore take the rating scores (Score*); "" means not asked. At
// least one is required.
type CallbackInput struct {
	ReplyScore  string
	ResultScore string
	Note        string
}

// Call-back errors.
var (
	ErrCallbackEmpty     = Invalid("reply_score", "请至少记录一项回访结果")
	ErrNotReadyCallback  = Coded(ErrConflict, "not_ready_to_call_back", "意见答复后才能回访")
	ErrAlreadyCalledBack = Coded(ErrConflict, "already_called_back", "本轮已经回访过这一项")
	ErrRatedOnline       = Coded(ErrConflict, "rated_online", "群众已在线评价过这一项，无需电话回访")
)

// CallbackView is a call-back as shown on the item.
type CallbackView struct {
	Round      int       `json:"round"`
	Stage      string    `json:"stage"`
	Score      string    `json:"score"`
	ScoreLabel string    `json:"score_label"`
	Note       string    `json:"note,omitempty"`
	Staff      NameRef   `json:"staff"`
	At         time.Time `json:"at"`
}

func validScore(s string) bool {
	return s == ScoreSatisfied || s == ScoreBasically || s == ScoreUnsatisfied
}

// RecordCallback records a phone call-back by staff member staffID on item
// opinionID (scoped like every action: another station's item is
// ErrOpinionNotFound). The reply's answer needs a replied round (also
// after it was closed); the result's needs the item to be replied. Each
// stage is answered once per round, and not when the voter rated it
// online. The call-back is written to the timeline (marked as by phone)
// and the audit log; a result answer then closes, reopens (on cal in loc)
// or escalates the item like the voter's (events: as for RateOpinion).
func RecordCallback(ctx context.Context, db *gorm.DB, staffID, opinionID uint64, in CallbackInput, now time.Time, loc *time.Location, cal *Calendar) (Opinion, []OpinionEvent, error) {
	loc = orLoc(loc)
	now = now.UTC()
	in.Note = CleanText(in.Note)
	if in.ReplyScore == "" && in.ResultScore == "" {
		return Opinion{}, nil, ErrCallbackEmpty
	}
	if in.ReplyScore != "" && !validScore(in.ReplyScore) {
		return Opinion{}, nil, Invalid("reply_score", "对答复的评价应为满意、基本满意或不满意")
	}
	if in.ResultScore != "" && !validScore(in.ResultScore) {
		return Opinion{}, nil, Invalid("result_score", "“解决了吗”的回答应为解决了、部分解决或没解决")
	}
	if utf8.RuneCountInString(in.Note) > reasonMaxRunes {
		return Opinion{}, nil, Invalid("note", "回访记录不能超过500字")
	}
	var out Opinion
	var events []OpinionEvent
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, opinionID)
		if err != nil {
			return err
		}
		s, err := staffFor(tx, staffID, op)
		if err != nil {
			return err
		}
		out = op
		if op.RepliedAt == nil || (op.Status != OpinionReplied && !(op.Status == OpinionClosed && in.ResultScore == "")) {
			return ErrNotReadyCallback
		}
		var parts []string
		for _, a := range []struct{ stage, score string }{{StageReply, in.ReplyScore}, {StageResult, in.ResultScore}} {
			if a.score == "" {
				continue
			}
			var n int64
			if err := tx.Model(&OpinionRating{}).Where("opinion_id = ? AND round = ? AND stage = ?", op.ID, op.Round, a.stage).
				Count(&n).Error; err != nil {
				return translate(err)
			}
			if n > 0 {
				return ErrRatedOnline
			}
			row := OpinionCallback{OpinionID: op.ID, Round: op.Round, Stage: a.stage, StationID: op.StationID,
				StaffID: s.ID, Score: a.score, Note: in.Note, CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				if err = translate(err); errors.Is(err, ErrConflict) {
					return ErrAlreadyCalledBack
				}
				return err
			}
			if a.stage == StageReply {
				parts = append(parts, "对答复"+ScoreLabel(a.score))
			} else {
				parts = append(parts, "问题"+ResultLabel(a.score))
			}
		}
		text := "电话回访：" + strings.Join(parts, "，")
		note := fmt.Sprintf("第%d轮电话回访：%s", op.Round, strings.Join(parts, "，"))
		if in.Note != "" {
			note += "；" + in.Note
		}
		who := Actor{Kind: actorStaff, ID: s.ID}
		if err := addTimeline(tx, op, "callback", text, "", now); err != nil {
			return err
		}
		if err := Audit(ctx, tx, now, who, "opinion.callback", auditOpinion, op.ID, string(op.Status), string(op.Status), note); err != nil {
			return err
		}
		if in.ResultScore == "" {
			return nil
		}
		a := &action{ctx: ctx, tx: tx, op: op, actor: who, staff: s, now: now, set: map[string]any{}, note: note}
		act, err := resultOutcome(a, in.ResultScore, "经电话回访，问题已解决，意见已办结", loc, cal)
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
		return Opinion{}, nil, err
	}
	return out, events, nil
}

// FeedbackCounts counts answers by stage and score.
type FeedbackCounts map[string]map[string]int

// FeedbackSummary counts the answers given between from and to (to
// excluded; zero times leave that end open), at station stationID (0 =
// every station and the office), kept apart by how they were given: the
// voters' own ratings online, and staff's phone call-backs.
type FeedbackSummary struct {
	Online FeedbackCounts `json:"online"`
	Phone  FeedbackCounts `json:"phone"`
}

// SummarizeFeedback counts ratings and call-backs (FeedbackSummary).
func SummarizeFeedback(ctx context.Context, db *gorm.DB, stationID uint64, from, to time.Time) (FeedbackSummary, error) {
	db = db.WithContext(ctx)
	count := func(model any) (FeedbackCounts, error) {
		q := db.Model(model).Select("stage, score, COUNT(*) AS n").Group("stage, score")
		if stationID != 0 {
			q = q.Where("station_id = ?", stationID)
		}
		if !from.IsZero() {
			q = q.Where("created_at >= ?", from.UTC())
		}
		if !to.IsZero() {
			q = q.Where("created_at < ?", to.UTC())
		}
		var rows []struct {
			Stage, Score string
			N            int
		}
		if err := q.Scan(&rows).Error; err != nil {
			return nil, translate(err)
		}
		out := FeedbackCounts{}
		for _, r := range rows {
			if out[r.Stage] == nil {
				out[r.Stage] = map[string]int{}
			}
			out[r.Stage][r.Score] += r.N
		}
		return out, nil
	}
	var s FeedbackSummary
	var err error
	if s.Online, err = count(&OpinionRating{}); err != nil {
		return FeedbackSummary{}, err
	}
	if s.Phone, err = count(&OpinionCallback{}); err != nil {
		return FeedbackSummary{}, err
	}
	return s, nil
}
