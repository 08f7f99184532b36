package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// action is one workflow step being built inside runAction's transaction.
type action struct {
	ctx   context.Context
	tx    *gorm.DB
	op    Opinion // as it was before the step
	actor Actor
	staff Staff // the acting staff member (zero for voters and the system)
	now   time.Time
	// set are the columns to change besides status, version and updated_at.
	set  map[string]any
	note string
	// steps are public timeline entries, given the changed opinion and its
	// station's name.
	steps  []func(op Opinion, station string) (text, detail string)
	events func(tx *gorm.DB, op Opinion, station string) ([]OpinionEvent, error)
}

func (a *action) timeline(f func(op Opinion, station string) (string, string)) {
	a.steps = append(a.steps, f)
}

// actorSpec says who acts and how they are checked.
type actorSpec struct {
	actor     Actor
	adminOnly bool
}

func staffActor(id uint64, adminOnly bool) actorSpec {
	return actorSpec{actor: Actor{Kind: actorStaff, ID: id}, adminOnly: adminOnly}
}

// runAction runs one workflow step in a transaction (a savepoint when db is
// already one): lock the item, check the actor may see it (else
// ErrOpinionNotFound), check the transition (else ErrInvalidTransition),
// build the change, apply it guarded by the version, then write the public
// timeline, the audit log (who, when, from, to, note) and collect events.
func runAction(ctx context.Context, db *gorm.DB, id uint64, act OpinionAction, who actorSpec, now time.Time, build func(a *action) error) (Opinion, []OpinionEvent, error) {
	now = now.UTC()
	var out Opinion
	var events []OpinionEvent
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, id)
		if err != nil {
			return err
		}
		a := &action{ctx: ctx, tx: tx, op: op, actor: who.actor, now: now, set: map[string]any{}}
		switch who.actor.Kind {
		case actorStaff:
			s, err := staffFor(tx, who.actor.ID, op)
			if err != nil {
				return err
			}
			if who.adminOnly && s.Role != RoleAdmin {
				return ErrAdminOnly
			}
			a.staff = s
		case actorVoter:
			if op.VoterID != who.actor.ID {
				return ErrOpinionNotFound
			}
		}
		to, err := Transition(op.Status, act)
		if err != nil {
			return err
		}
		if err := build(a); err != nil {
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

// applyAction writes a built step: the row, the timeline, the audit log, the events.
func applyAction(tx *gorm.DB, a *action, act OpinionAction, to OpinionStatus) (Opinion, []OpinionEvent, error) {
	op := a.op
	a.set["status"] = to
	a.set["version"] = op.Version + 1
	a.set["updated_at"] = a.now
	res := tx.Model(&Opinion{}).Where("id = ? AND version = ?", op.ID, op.Version).Updates(a.set)
	if res.Error != nil {
		return Opinion{}, nil, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return Opinion{}, nil, ErrConcurrentUpdate
	}
	var out Opinion
	if err := tx.First(&out, op.ID).Error; err != nil {
		return Opinion{}, nil, translate(err)
	}
	st, err := stationName(tx, out.StationID)
	if err != nil {
		return Opinion{}, nil, err
	}
	for _, f := range a.steps {
		text, detail := f(out, st)
		kind := string(to)
		if act == ActionEscalate {
			kind = "escalated"
		}
		if err := addTimeline(tx, out, kind, text, detail, a.now); err != nil {
			return Opinion{}, nil, err
		}
	}
	if err := Audit(a.ctx, tx, a.now, a.actor, "opinion."+string(act), auditOpinion, op.ID,
		string(op.Status), string(to), Shorten(strings.TrimSpace(a.note), 2000, "")); err != nil {
		return Opinion{}, nil, err
	}
	var events []OpinionEvent
	if a.events != nil {
		if events, err = a.events(tx, out, st); err != nil {
			return Opinion{}, nil, err
		}
	}
	return out, events, nil
}
