package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// StageAccept is the accept deadline's stage in overdue events; the reply
// deadline's is StageReply ("reply").
const StageAccept = "accept"

// OverdueAdminDays is how many working days after a missed deadline the
// admins are told, on top of the station head told at the deadline.
const OverdueAdminDays = overdueAdmins

// Overdue reports which of op's running deadlines have passed at now.
func (op Opinion) Overdue(now time.Time) (accept, reply bool) {
	accept = slices.Contains(awaitingAccept, op.Status) && now.After(op.AcceptDueAt)
	reply = slices.Contains(awaitingReply, op.Status) && now.After(op.ReplyDueAt)
	return accept, reply
}

// AdminEscalationAt is when the admins hear of a deadline due that was
// missed: at the end of the OverdueAdminDays-th working day after the day
// the deadline ended.
func AdminEscalationAt(cal *Calendar, due time.Time, loc *time.Location) time.Time {
	return cal.WorkingDeadline(due.Add(-time.Second), OverdueAdminDays, orLoc(loc))
}

// RecomputeOpenDeadlines recomputes the due dates of every open item from
// their start times, after the calendar (cal) changed: the accept deadline
// of items still waiting to be accepted and the reply deadline of items not
// yet replied. A deadline that moves past now clears its overdue marks, so
// the overdue job may tell again if it passes. Each changed item gets an
// audit row. It returns how many items changed.
func RecomputeOpenDeadlines(ctx context.Context, db *gorm.DB, cal *Calendar, loc *time.Location, now time.Time) (int, error) {
	loc = orLoc(loc)
	now = now.UTC()
	changed := 0
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var after uint64
		for {
			var ops []Opinion
			err := lockingUpdate(tx).Select("id", "status", "accept_days", "reply_days", "accept_start_at",
				"accept_due_at", "reply_start_at", "reply_due_at").
				Where("status IN ? AND id > ?", awaitingReply, after).Order("id").Limit(500).Find(&ops).Error
			if err != nil {
				return translate(err)
			}
			if len(ops) == 0 {
				return nil
			}
			after = ops[len(ops)-1].ID
			for _, op := range ops {
				set := map[string]any{}
				note := ""
				if slices.Contains(awaitingAccept, op.Status) {
					due := cal.WorkingDeadline(op.AcceptStartAt, max(op.AcceptDays, 1), loc)
					if !due.Equal(op.AcceptDueAt.UTC()) {
						set["accept_due_at"] = due
						if due.After(now) {
							set["accept_overdue_at"], set["accept_escalated_at"] = nil, nil
						}
						note += fmt.Sprintf("受理期限由%s改为%s；", DueText(op.AcceptDueAt, loc), DueText(due, loc))
					}
				}
				due := cal.WorkingDeadline(op.ReplyStartAt, max(op.ReplyDays, 1), loc)
				if !due.Equal(op.ReplyDueAt.UTC()) {
					set["reply_due_at"] = due
					if due.After(now) {
						set["reply_overdue_at"], set["reply_escalated_at"] = nil, nil
					}
					note += fmt.Sprintf("答复期限由%s改为%s；", DueText(op.ReplyDueAt, loc), DueText(due, loc))
				}
				if len(set) == 0 {
					continue
				}
				if err := tx.Model(&Opinion{}).Where("id = ?", op.ID).Updates(set).Error; err != nil {
					return translate(err)
				}
				if err := Audit(ctx, tx, now, SystemActor, "opinion.deadlines", auditOpinion, op.ID,
					string(op.Status), string(op.Status), "工作日历调整："+note); err != nil {
					return err
				}
				changed++
			}
		}
	})
	return changed, err
}

// OverdueItems lists the open items with a passed accept or reply
// deadline at now, oldest first, for the console's "overdue" filter.
func OverdueItems(ctx context.Context, db *gorm.DB, now time.Time) ([]Opinion, error) {
	var ops []Opinion
	err := overdueScope(db.WithContext(ctx), now.UTC()).Order("id").Find(&ops).Error
	return ops, translate(err)
}

// overdueScope narrows a query to items with a passed running deadline.
func overdueScope(q *gorm.DB, now time.Time) *gorm.DB {
	return q.Where("(status IN ? AND accept_due_at < ?) OR (status IN ? AND reply_due_at < ?)",
		awaitingAccept, now, awaitingReply, now)
}

// overdueStage describes the columns of one deadline stage.
type overdueStage struct {
	name     string
	statuses []OpinionStatus
	dueCol   string
	markCol  string
	escCol   string
	due      func(Opinion) time.Time
	marks    func(Opinion) (head, admins *time.Time)
	label    string
}

var overdueStages = []overdueStage{
	{StageAccept, awaitingAccept, "accept_due_at", "accept_overdue_at", "accept_escalated_at",
		func(op Opinion) time.Time { return op.AcceptDueAt },
		func(op Opinion) (*time.Time, *time.Time) { return op.AcceptOverdueAt, op.AcceptEscalatedAt }, "受理"},
	{StageReply, awaitingReply, "reply_due_at", "reply_overdue_at", "reply_escalated_at",
		func(op Opinion) time.Time { return op.ReplyDueAt },
		func(op Opinion) (*time.Time, *time.Time) { return op.ReplyOverdueAt, op.ReplyEscalatedAt }, "答复"},
}

// CollectOverdue is the overdue job's step. For every open item whose
// accept or reply deadline has passed it returns, once per item, stage and
// deadline:
//
//   - EventOverdue for the station's bound heads (none bound → the admins),
//     as soon as the deadline has passed;
//   - EventOverdueAdmins for the bound admins, OverdueAdminDays working days
//     (on cal, in loc) after it.
//
// It marks what it returns with conditional updates in db, so run it in the
// transaction that enqueues the events: a rollback leaves them unmarked, and
// two runners never both return the same event. Each event writes an audit row.
func CollectOverdue(ctx context.Context, db *gorm.DB, cal *Calendar, loc *time.Location, now time.Time) ([]OpinionEvent, error) {
	events, _, err := CollectOverdueAfter(ctx, db, cal, loc, now, 0, 0)
	return events, err
}

// DuePage is how many opinions one pass of the overdue and ask-result jobs
// loads and marks in one transaction (CollectOverdueAfter,
// DueResultQuestionsAfter): a backlog, as after a first start on a
// county-year or a long outage, is worked through in pages, so neither the
// memory nor the locks of a pass grow with it.
var DuePage = 500

// CollectOverdueAfter is CollectOverdue over the opinions with an id above
// after, at most limit of them in id order (0: all); last is the id of the
// last one it looked at, 0 when there were none, for the next page.
func CollectOverdueAfter(ctx context.Context, db *gorm.DB, cal *Calendar, loc *time.Location, now time.Time, after uint64, limit int) (events []OpinionEvent, last uint64, err error) {
	loc = orLoc(loc)
	now = now.UTC()
	db = db.WithContext(ctx)
	names := map[uint64]string{}
	name := func(id uint64) (string, error) {
		if n, ok := names[id]; ok {
			return n, nil
		}
		n, err := stationName(db, id)
		names[id] = n
		return n, err
	}
	// One pass in id order over both stages, so rows are locked in the same
	// order as RecomputeOpenDeadlines locks them.
	q := db.Where("1 = 0")
	for _, sg := range overdueStages {
		q = q.Or("status IN ? AND "+sg.dueCol+" < ? AND ("+sg.markCol+" IS NULL OR "+sg.escCol+" IS NULL)", sg.statuses, now)
	}
	var ops []Opinion
	page := db.Where(q).Where("opinions.id > ?", after).Order("id")
	if limit > 0 {
		page = page.Limit(limit)
	}
	if err := page.Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > 0 {
		last = ops[len(ops)-1].ID
	}
	for _, op := range ops {
		for _, sg := range overdueStages {
			if !slices.Contains(sg.statuses, op.Status) || !sg.due(op).Before(now) {
				continue
			}
			due := sg.due(op).UTC()
			head, admins := sg.marks(op)
			st, err := name(op.StationID)
			if err != nil {
				return nil, 0, err
			}
			mark := func(col string) (bool, error) {
				res := db.Model(&Opinion{}).
					Where("id = ? AND status IN ? AND "+sg.dueCol+" = ? AND "+col+" IS NULL", op.ID, sg.statuses, due).
					UpdateColumn(col, now)
				return res.RowsAffected == 1, translate(res.Error)
			}
			key := fmt.Sprintf("opinion:%d:overdue:%s:r%d:%d", op.ID, sg.name, op.Round, due.Unix())
			if head == nil {
				ok, err := mark(sg.markCol)
				if err != nil {
					return nil, 0, err
				}
				if ok {
					ev := baseEvent(op, EventOverdue, st, "有一条群众意见已超过"+sg.label+"期限")
					ev.Stage, ev.DueAt, ev.DedupeKey = sg.name, due, key+":head"
					if ev.Staff, ev.Via, err = headRecipients(db, op.StationID); err != nil {
						return nil, 0, err
					}
					if err := Audit(ctx, db, now, SystemActor, "opinion.overdue", auditOpinion, op.ID, string(op.Status),
						string(op.Status), fmt.Sprintf("%s期限（%s）已过，%s", sg.label, DueText(due, loc), viaText(ev.Via, "站长"))); err != nil {
						return nil, 0, err
					}
					events = append(events, ev)
				}
			}
			if admins == nil && !now.Before(AdminEscalationAt(cal, due, loc)) {
				ok, err := mark(sg.escCol)
				if err != nil {
					return nil, 0, err
				}
				if ok {
					ev := baseEvent(op, EventOverdueAdmins, st, fmt.Sprintf("有一条群众意见超过%s期限已达%d个工作日", sg.label, OverdueAdminDays))
					ev.Stage, ev.DueAt, ev.DedupeKey = sg.name, due, key+":admins"
					if ev.Staff, ev.Via, err = adminRecipients(db); err != nil {
						return nil, 0, err
					}
					if err := Audit(ctx, db, now, SystemActor, "opinion.overdue_admins", auditOpinion, op.ID, string(op.Status),
						string(op.Status), fmt.Sprintf("%s期限（%s）已过%d个工作日，%s", sg.label, DueText(due, loc), OverdueAdminDays, viaText(ev.Via, "管理员"))); err != nil {
						return nil, 0, err
					}
					events = append(events, ev)
				}
			}
		}
	}
	return events, last, nil
}
