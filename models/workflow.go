package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// OpinionAction is a step of the handling workflow.
type OpinionAction string

// The workflow's actions. Transition says from which statuses each is allowed.
const (
	ActionAccept   OpinionAction = "accept"   // 受理
	ActionTransfer OpinionAction = "transfer" // 转办 (again: re-transfer)
	ActionReply    OpinionAction = "reply"    // 答复
	ActionReturn   OpinionAction = "return"   // 退办, re-routed to another station
	ActionClose    OpinionAction = "close"    // 办结: a satisfied result, or an admin
	ActionReopen   OpinionAction = "reopen"   // 二次办理: an unsatisfied result, or an admin
	ActionEscalate OpinionAction = "escalate" // unsatisfied after the last round: to the admins
)

// MaxRounds is how many rounds of handling a voter's "unsatisfied" result
// reopens; one more escalates to the admins instead.
const MaxRounds = 2

type transition struct {
	from []OpinionStatus
	to   OpinionStatus
}

// transitions is the whole state machine. Escalating leaves the status as
// it is (replied) and sets Escalated; the admins then close or reopen.
var transitions = map[OpinionAction]transition{
	ActionAccept:   {[]OpinionStatus{OpinionSubmitted, OpinionReturned}, OpinionAccepted},
	ActionTransfer: {[]OpinionStatus{OpinionAccepted, OpinionTransferred, OpinionReopened}, OpinionTransferred},
	ActionReply:    {[]OpinionStatus{OpinionAccepted, OpinionTransferred, OpinionReopened}, OpinionReplied},
	ActionReturn:   {[]OpinionStatus{OpinionSubmitted, OpinionReturned, OpinionAccepted}, OpinionReturned},
	ActionClose: {[]OpinionStatus{OpinionSubmitted, OpinionReturned, OpinionAccepted, OpinionTransferred,
		OpinionReopened, OpinionReplied}, OpinionClosed},
	ActionReopen:   {[]OpinionStatus{OpinionReplied}, OpinionReopened},
	ActionEscalate: {[]OpinionStatus{OpinionReplied}, OpinionReplied},
}

// Transition returns the status action leads to from status from, or
// ErrInvalidTransition (409 invalid_transition) when it is not allowed.
func Transition(from OpinionStatus, action OpinionAction) (OpinionStatus, error) {
	t, ok := transitions[action]
	if !ok || !slices.Contains(t.from, from) {
		return "", ErrInvalidTransition
	}
	return t.to, nil
}

// StaffCanAccess says whether staff may see and act on op: admins on every
// item, clerks, heads and township offices on their stations' items only
// (s.Stations must be loaded; a township office's are its township's). Any other case is ErrOpinionNotFound, never a 403, so ids of
// other stations' items do not leak.
func StaffCanAccess(s Staff, op Opinion) error {
	if !s.Active || s.ID == 0 {
		return ErrOpinionNotFound
	}
	if s.Role == RoleAdmin {
		return nil
	}
	if op.StationID != officeStation && (s.Role == RoleClerk || s.Role == RoleHead || s.Role == RoleTownship) && staffAtStation(s, op.StationID) {
		return nil
	}
	return ErrOpinionNotFound
}

// staffFor loads staff member staffID and checks they may see op
// (StaffCanAccess); a staff member who is unknown or inactive is
// ErrOpinionNotFound too.
func staffFor(db *gorm.DB, staffID uint64, op Opinion) (Staff, error) {
	s, err := loadStaff(db, staffID)
	if err != nil {
		return Staff{}, ErrOpinionNotFound
	}
	if err := StaffCanAccess(s, op); err != nil {
		return Staff{}, err
	}
	return s, nil
}

// TransferInput is a transfer (转办) to departments.
type TransferInput struct {
	// DepartmentID is the lead department (主办单位); required.
	DepartmentID uint64
	// CoDepartmentIDs are co-handling departments (协办单位).
	CoDepartmentIDs []uint64
	// LeadStaffID makes another staff member (of the station, or an admin)
	// responsible for following the item up; 0 keeps the current handler.
	LeadStaffID uint64
	// DueAt is the departments' deadline; nil means the item's reply deadline.
	DueAt *time.Time
	Note  string
}

// ReplyInput is a public reply (答复).
type ReplyInput struct {
	// Text is shown to the voter; required, up to 2,000 characters.
	Text string
	// Note is an internal remark for the audit log.
	Note string
}

// ReturnInput is a return (退办).
type ReturnInput struct {
	// Reason is required; it stays internal (audit log), the voter sees only
	// the new station.
	Reason string
	// ToStationID is the station staff chose; 0 re-routes with Route,
	// excluding this station and every station that returned the item.
	ToStationID uint64
}

// AcceptOpinion accepts (受理) a submitted or returned item. Event: the voter.
func AcceptOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, note string, now time.Time) (Opinion, []OpinionEvent, error) {
	note = CleanText(note)
	if err := checkNote(note); err != nil {
		return Opinion{}, nil, err
	}
	return runAction(ctx, db, id, ActionAccept, staffActor(staffID, false), now,
		func(a *action) error {
			a.set["accepted_at"] = a.now
			a.note = note
			a.timeline(func(op Opinion, st string) (string, string) { return st + "已受理您的意见", "" })
			a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
				return []OpinionEvent{voterEvent(op, EventAccepted, st, "您的意见已受理")}, nil
			}
			return nil
		})
}

// TransferOpinion transfers (转办) an accepted, transferred or reopened item
// to a lead department and co-handling departments, with a due date.
// Event: the new lead staff member, when one was named other than the actor.
func TransferOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, in TransferInput, now time.Time) (Opinion, []OpinionEvent, error) {
	in.Note = CleanText(in.Note)
	if err := checkNote(in.Note); err != nil {
		return Opinion{}, nil, err
	}
	if in.DepartmentID == 0 {
		return Opinion{}, nil, ErrDepartmentNotFound
	}
	var co []uint64
	for _, d := range in.CoDepartmentIDs {
		if d != 0 && d != in.DepartmentID && !slices.Contains(co, d) {
			co = append(co, d)
		}
	}
	if len(co) > 10 {
		return Opinion{}, nil, Invalid("co_department_ids", "协办单位不能超过10个")
	}
	return runAction(ctx, db, id, ActionTransfer, staffActor(staffID, false), now,
		func(a *action) error {
			all := append([]uint64{in.DepartmentID}, co...)
			var depts []Department
			if err := a.tx.Where("id IN ?", all).Find(&depts).Error; err != nil {
				return translate(err)
			}
			names := map[uint64]string{}
			for _, d := range depts {
				names[d.ID] = d.Name
			}
			for _, d := range all {
				if names[d] == "" {
					return ErrDepartmentNotFound
				}
			}
			due := a.op.ReplyDueAt
			if in.DueAt != nil {
				due = in.DueAt.UTC()
			}
			if !due.After(a.now) {
				return Invalid("due_at", "办理期限应晚于当前时间")
			}
			a.set["department_id"] = in.DepartmentID
			a.set["transfer_due_at"] = due
			lead := uint64(0)
			if in.LeadStaffID != 0 {
				s, err := loadStaff(a.tx, in.LeadStaffID)
				if err != nil {
					return Invalid("lead_staff_id", "承办人不存在")
				}
				if s.Role != RoleAdmin && !staffAtStation(s, a.op.StationID) {
					return Invalid("lead_staff_id", "承办人不属于该联络站")
				}
				lead = s.ID
				a.set["handler_staff_id"] = lead
			}
			if err := a.tx.Where("opinion_id = ?", a.op.ID).Delete(&OpinionDepartment{}).Error; err != nil {
				return translate(err)
			}
			for i, d := range all {
				role := "co"
				if i == 0 {
					role = "lead"
				}
				row := OpinionDepartment{OpinionID: a.op.ID, DepartmentID: d, Role: role, Note: in.Note, CreatedAt: a.now}
				if err := a.tx.Create(&row).Error; err != nil {
					return translate(err)
				}
			}
			text := "已转交" + names[in.DepartmentID] + "办理"
			if len(co) > 0 {
				var cn []string
				for _, d := range co {
					cn = append(cn, names[d])
				}
				text = "已转交" + names[in.DepartmentID] + "主办，" + strings.Join(cn, "、") + "协办"
			}
			a.note = strings.TrimSuffix(fmt.Sprintf("%s；办理期限：%s；%s", text, DueText(due, nil), strings.TrimSpace(in.Note)), "；")
			a.timeline(func(Opinion, string) (string, string) { return text, "" })
			a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
				if lead == 0 || lead == a.actor.ID {
					return transferEvents(tx, op, st, all, due)
				}
				ev := baseEvent(op, EventAssigned, st, "您被指定为一条群众意见的承办人")
				ev.DueAt = due
				var err error
				ev.Staff, err = boundStaff(tx, "id = ?", lead)
				ev.Via = ViaHandler
				if len(ev.Staff) == 0 {
					ev.Via = ViaNone
				}
				if err != nil {
					return nil, err
				}
				dev, err := transferEvents(tx, op, st, all, due)
				return append([]OpinionEvent{ev}, dev...), err
			}
			return nil
		})
}

// ReplyOpinion gives the public reply (答复) of the current round. Event: the voter.
func ReplyOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, in ReplyInput, now time.Time) (Opinion, []OpinionEvent, error) {
	text, note := CleanText(in.Text), CleanText(in.Note)
	if text == "" || utf8.RuneCountInString(text) > noteMaxRunes {
		return Opinion{}, nil, Invalid("text", "答复内容不能为空，且不能超过2000个字")
	}
	if err := checkNote(note); err != nil {
		return Opinion{}, nil, err
	}
	return runAction(ctx, db, id, ActionReply, staffActor(staffID, false), now,
		func(a *action) error {
			a.set["reply_text"] = text
			a.set["replied_at"] = a.now
			a.set["result_asked_at"] = nil
			a.note = note
			a.timeline(func(op Opinion, st string) (string, string) { return st + "已答复", text })
			a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
				return []OpinionEvent{voterEvent(op, EventReplied, st, "您的意见已答复")}, nil
			}
			return nil
		})
}

// ReturnOpinion returns (退办) an item that is not the station's: it goes to
// in.ToStationID, or is re-routed (world, zero = loaded) away from this
// station and every station that returned it before. The accept deadline
// restarts at now; the reply deadline keeps running from the filing. An
// item in the office queue can be returned (assigned) to a station this way
// too. Event: the new station's staff.
func ReturnOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, in ReturnInput, world RouteWorld, now time.Time, loc *time.Location, cal *Calendar) (Opinion, []OpinionEvent, error) {
	loc = orLoc(loc)
	reason := CleanText(in.Reason)
	if reason == "" || utf8.RuneCountInString(reason) > reasonMaxRunes {
		return Opinion{}, nil, Invalid("reason", "请填写退回原因（不超过500字）")
	}
	if !world.Loaded() && in.ToStationID == 0 {
		var err error
		if world, err = LoadRouteWorld(ctx, db); err != nil {
			return Opinion{}, nil, err
		}
	}
	return runAction(ctx, db, id, ActionReturn, staffActor(staffID, false), now,
		func(a *action) error {
			op := a.op
			excluded := returnedFrom(op)
			if op.StationID != officeStation && !slices.Contains(excluded, op.StationID) {
				excluded = append(excluded, op.StationID)
			}
			var to RouteResult
			toName := OfficeName
			if in.ToStationID != 0 {
				if in.ToStationID == op.StationID {
					return Invalid("to_station_id", "不能退回到当前联络站")
				}
				var st Station
				if err := a.tx.Select("id", "name").Where("id = ?", in.ToStationID).Limit(1).Find(&st).Error; err != nil {
					return translate(err)
				}
				if st.ID == 0 {
					return Invalid("to_station_id", "所选的联络站不存在")
				}
				name := st.Name
				toName = name
				to = RouteResult{StationID: in.ToStationID, Rule: RuleStaffReassign,
					Reason: "经工作人员核实，您的意见改由" + name + "办理"}
			} else {
				var cat Category
				if err := a.tx.Select("id", "code").First(&cat, op.CategoryID).Error; err != nil {
					return translate(err)
				}
				rin := RouteInput{Code: op.Code, Category: cat.Code, Exclude: excluded, At: a.now}
				if op.CommunityID != nil {
					rin.CommunityID = *op.CommunityID
				}
				if op.Lat != nil && op.Lng != nil {
					rin.Point = &Point{*op.Lat, *op.Lng}
				}
				to = Route(rin, world)
				if st, ok := world.Stations[to.StationID]; ok {
					toName = st.Name
				}
				if to.StationID == op.StationID {
					return Invalid("to_station_id", "没有其他可改派的联络站，请选择联络站")
				}
			}
			handler, _, err := PickHandler(a.ctx, a.tx, to.StationID, op.CategoryID)
			if err != nil {
				return err
			}
			from := op.StationID
			a.set["station_id"] = to.StationID
			a.set["route_rule"] = to.Rule
			a.set["route_reason"] = Shorten(to.Reason, 255, "")
			a.set["handler_staff_id"] = nil
			if handler != 0 {
				a.set["handler_staff_id"] = handler
			}
			if from != officeStation {
				a.set["returned_from"] = joinIDs(append(returnedFrom(op), from))
			}
			a.set["return_count"] = op.ReturnCount + 1
			a.set["accepted_at"] = nil
			a.set["accept_start_at"] = a.now
			a.set["accept_due_at"] = cal.WorkingDeadline(a.now, max(op.AcceptDays, 1), loc)
			a.set["accept_overdue_at"] = nil
			a.set["accept_escalated_at"] = nil
			a.note = fmt.Sprintf("退回原因：%s；改派至%s（%s）", reason, toName, RuleLabel(to.Rule))
			a.timeline(func(_ Opinion, st string) (string, string) { return "已改由" + st + "办理", "" })
			a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
				ev, err := stationStaffEvent(tx, op, EventReturned, st, "有一条改派的群众意见待受理")
				return []OpinionEvent{ev}, err
			}
			return nil
		})
}

// CloseOpinion closes (办结) an open or replied item; admins only. Event: the voter.
func CloseOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, note string, now time.Time) (Opinion, []OpinionEvent, error) {
	note = CleanText(note)
	if utf8.RuneCountInString(note) > reasonMaxRunes {
		return Opinion{}, nil, Invalid("note", "说明不能超过500字")
	}
	return runAction(ctx, db, id, ActionClose, staffActor(staffID, true), now,
		func(a *action) error {
			a.set["closed_at"] = a.now
			a.note = note
			a.timeline(func(Opinion, string) (string, string) { return "意见已办结", "" })
			a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
				return []OpinionEvent{voterEvent(op, EventClosed, st, "您的意见已办结")}, nil
			}
			return nil
		})
}

// ReopenOpinion starts another round (二次办理) of a replied item; admins
// only (voters reopen through an unsatisfied result, see RateOpinion).
// Event: the station's staff.
func ReopenOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, note string, now time.Time, loc *time.Location, cal *Calendar) (Opinion, []OpinionEvent, error) {
	note = CleanText(note)
	if utf8.RuneCountInString(note) > reasonMaxRunes {
		return Opinion{}, nil, Invalid("note", "说明不能超过500字")
	}
	return runAction(ctx, db, id, ActionReopen, staffActor(staffID, true), now,
		func(a *action) error {
			a.note = note
			return reopen(a, orLoc(loc), cal)
		})
}

// reopen fills a reopening: a new round with a fresh reply deadline and no
// departments yet.
func reopen(a *action, loc *time.Location, cal *Calendar) error {
	round := a.op.Round + 1
	for k, v := range map[string]any{
		"round": round, "reply_text": "", "replied_at": nil, "reply_start_at": a.now,
		"reply_due_at":     cal.WorkingDeadline(a.now, max(a.op.ReplyDays, 1), loc),
		"reply_overdue_at": nil, "reply_escalated_at": nil, "result_asked_at": nil,
		"department_id": nil, "transfer_due_at": nil,
	} {
		a.set[k] = v
	}
	if err := a.tx.Where("opinion_id = ?", a.op.ID).Delete(&OpinionDepartment{}).Error; err != nil {
		return translate(err)
	}
	a.timeline(func(Opinion, string) (string, string) {
		return fmt.Sprintf("对办理结果不满意，已进入第%d轮办理", round), ""
	})
	a.events = func(tx *gorm.DB, op Opinion, st string) ([]OpinionEvent, error) {
		ev, err := stationStaffEvent(tx, op, EventReopened, st, fmt.Sprintf("群众对办理结果不满意，意见进入第%d轮办理", round))
		return []OpinionEvent{ev}, err
	}
	return nil
}

// AddNote adds an internal note (staff only, never shown to the voter) and
// writes the audit log. Notes can be added in any status.
func AddNote(ctx context.Context, db *gorm.DB, staffID, id uint64, text string, now time.Time) (OpinionNote, error) {
	text = CleanText(text)
	if text == "" || utf8.RuneCountInString(text) > noteMaxRunes {
		return OpinionNote{}, Invalid("text", "备注不能为空，且不能超过2000个字")
	}
	now = now.UTC()
	var note OpinionNote
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, id)
		if err != nil {
			return err
		}
		if _, err := staffFor(tx, staffID, op); err != nil {
			return err
		}
		note = OpinionNote{OpinionID: id, StaffID: staffID, Text: text, CreatedAt: now}
		if err := tx.Create(&note).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.note", auditOpinion, id,
			string(op.Status), string(op.Status), text)
	})
	return note, err
}

func checkNote(note string) error {
	if utf8.RuneCountInString(strings.TrimSpace(note)) > noteMaxRunes {
		return Invalid("note", "备注不能超过2000个字")
	}
	return nil
}

// returnedFrom parses Opinion.ReturnedFrom.
func returnedFrom(op Opinion) []uint64 {
	var out []uint64
	for _, s := range strings.Split(op.ReturnedFrom, "|") {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil && n != 0 {
			out = append(out, n)
		}
	}
	return out
}

// joinIDs writes ids "|"-separated, keeping the newest that fit 255 bytes.
func joinIDs(ids []uint64) string {
	s := ""
	for i := len(ids) - 1; i >= 0; i-- {
		next := strconv.FormatUint(ids[i], 10)
		if s != "" {
			next += "|" + s
		}
		if len(next) > 255 {
			break
		}
		s = next
	}
	return s
}
