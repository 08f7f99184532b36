package models

// Department notices (docs/ARCHITECTURE.md#departments).
//
// What they say: the opinion fields (OpinionField*): a title
// ("您单位有一件转办的群众意见", "您单位的答复被退回，请修改后重新提交"),
// the tracking number, the start of the content, the station that
// transferred it, the status, the department's deadline and the time.
//
// To whom and when: when an item is transferred (TransferOpinion, event
// EventDeptTransferred), every bound contact of the lead and co-handling
// departments; when the station sends a reply back
// (SendBackDepartmentReply, EventDeptSentBack), the bound contacts of that
// department. One official-account template message
// (Opinion.DeptTransfer, DEPUTYLINK_TPL_DEPT_TRANSFER) per contact, linking
// to the contact's page of the item (/console/dept/opinions/<id>), through
// the outbox in the transaction of the change like every opinion notice;
// unconfigured, it is skipped. A department's submitted reply tells the
// station (EventDeptReplied) through the staff template
// (DEPUTYLINK_TPL_OPINION_STAFF), like the other staff notices.

import (
	"time"

	"gorm.io/gorm"
)

// The department events.
const (
	// EventDeptTransferred: an item was transferred to departments; their bound contacts.
	EventDeptTransferred EventKind = "opinion.dept_transferred"
	// EventDeptSentBack: the station sent a department's reply back; that department's bound contacts.
	EventDeptSentBack EventKind = "opinion.dept_sent_back"
	// EventDeptReplied: a department submitted a reply to review; the station (handler → station → admins).
	EventDeptReplied EventKind = "opinion.dept_replied"
)

// ViaDepartment marks an event for department contacts (OpinionEvent.Via).
const ViaDepartment = "department"

// departmentEvent is an event for the bound contacts of departments
// deptIDs, due their deadline; ok is false when none is bound.
func departmentEvent(tx *gorm.DB, op Opinion, kind EventKind, station, title string, deptIDs []uint64, due time.Time) (OpinionEvent, bool, error) {
	ev := baseEvent(op, kind, station, title)
	ev.DueAt = due
	ev.Via = ViaDepartment
	var err error
	ev.Staff, err = boundStaff(tx, "role = ? AND department_id IN ?", RoleDepartment, append(deptIDs, 0))
	if err != nil || len(ev.Staff) == 0 {
		return OpinionEvent{}, false, err
	}
	return ev, true, nil
}

// transferEvents are the departments' events of a transfer: one for the
// bound contacts of deptIDs, none when nobody is bound.
func transferEvents(tx *gorm.DB, op Opinion, station string, deptIDs []uint64, due time.Time) ([]OpinionEvent, error) {
	ev, ok, err := departmentEvent(tx, op, EventDeptTransferred, station, "您单位有一件转办的群众意见", deptIDs, due)
	if err != nil || !ok {
		return nil, err
	}
	return []OpinionEvent{ev}, nil
}

// DepartmentNotifications maps an event for department contacts
// (Via == ViaDepartment) onto one official-account template message
// (Opinion.DeptTransfer) per bound contact, linking to their page of the
// item. Dedupe keys are the event's plus ":staff:<id>".
func DepartmentNotifications(ev OpinionEvent, nc NotifyConfig, now time.Time) ([]NotificationInput, []NotifySkip) {
	return staffTemplates(ev, nc, now, nc.Opinion.DeptTransfer, ConsoleDeptOpinionURL,
		"department contact has no bound openid", "department template not configured (DEPUTYLINK_TPL_DEPT_TRANSFER)")
}

// ConsoleDeptOpinionURL is a department contact's page of one item,
// absolute when base is set, else "".
func ConsoleDeptOpinionURL(base string, id uint64) string {
	return consoleURL(base, "/console/dept/opinions/", id)
}
