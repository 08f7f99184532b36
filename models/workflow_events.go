package models

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// EventKind says what happened to an opinion that someone must be told.
type EventKind string

// The events workflow operations return. Audience: who the event is for.
const (
	// EventNewItem: a new item; staff (handler → station → admins).
	EventNewItem EventKind = "opinion.new"
	// EventReturned: a returned item arrived at its new station; staff as for a new item.
	EventReturned EventKind = "opinion.returned"
	// EventReopened: a second round starts; staff as for a new item.
	EventReopened EventKind = "opinion.reopened"
	// EventAssigned: a staff member was made the lead at a transfer; that staff member.
	EventAssigned EventKind = "opinion.assigned"
	// EventAccepted: the station accepted the item; the voter.
	EventAccepted EventKind = "opinion.accepted"
	// EventReplied: the item has a public reply; the voter.
	EventReplied EventKind = "opinion.replied"
	// EventClosed: an admin closed the item; the voter.
	EventClosed EventKind = "opinion.closed"
	// EventEscalated: unsatisfied after the last round; the admins.
	EventEscalated EventKind = "opinion.escalated"
	// EventOverdue: an accept or reply deadline passed; the station head (→ admins).
	EventOverdue EventKind = "opinion.overdue"
	// EventOverdueAdmins: still overdue 5 working days later; the admins.
	EventOverdueAdmins EventKind = "opinion.overdue_admins"
	// EventAskResult: ask the voter "解决了吗?"; the voter.
	EventAskResult EventKind = "opinion.ask_result"
)

// How staff recipients were found (OpinionEvent.Via).
const (
	ViaHandler = "handler" // the item's handler (contact or head), bound
	ViaStation = "station" // the bound staff of the item's station
	ViaHead    = "head"    // the bound heads of the item's station
	ViaAdmins  = "admins"  // the bound admins
	ViaNone    = "none"    // nobody bound: visible in the console only
	ViaVoter   = "voter"   // the voter
)

// StaffRecipient is a staff member to notify, with their bound
// official-account openid.
type StaffRecipient struct {
	ID     uint64
	Name   string
	Role   StaffRole
	OpenID string
}

// OpinionEvent tells the caller who must be notified of a change, so it can
// Enqueue the notifications in the same transaction. Either VoterID is set
// (the caller picks the channel: a subscribe message when the voter left a
// consent, else a template message when they follow the official account,
// else nothing — the mini-program shows it) or Staff lists the recipients,
// already resolved along the fallback chain (Via) and all bound.
type OpinionEvent struct {
	Kind        EventKind
	OpinionID   uint64
	TrackingNo  string
	StationID   uint64
	StationName string
	Status      OpinionStatus
	Round       int
	// Stage is "accept" or "reply" for the overdue events.
	Stage string
	// DueAt is the deadline concerned: the accept deadline for a new,
	// returned or overdue-accept item, the reply deadline otherwise.
	DueAt time.Time
	// Title is a short Chinese line for the message; Summary the start of
	// the content.
	Title   string
	Summary string
	VoterID uint64
	Staff   []StaffRecipient
	Via     string
	// DedupeKey is unique per event; append the recipient (":staff:7",
	// ":voter") for the outbox's DedupeKey.
	DedupeKey string
}

// baseEvent fills an event's description of the item.
func baseEvent(op Opinion, kind EventKind, station, title string) OpinionEvent {
	due := op.ReplyDueAt
	if slices.Contains(awaitingAccept, op.Status) {
		due = op.AcceptDueAt
	}
	return OpinionEvent{
		Kind: kind, OpinionID: op.ID, TrackingNo: op.TrackingNo, StationID: op.StationID, StationName: station,
		Status: op.Status, Round: op.Round, DueAt: due, Title: title, Summary: Shorten(strings.Join(strings.Fields(op.Content), " "), 20, "…"),
		DedupeKey: fmt.Sprintf("opinion:%d:%s:v%d", op.ID, strings.TrimPrefix(string(kind), "opinion."), op.Version),
	}
}

// voterEvent is an event for the item's voter.
func voterEvent(op Opinion, kind EventKind, station, title string) OpinionEvent {
	ev := baseEvent(op, kind, station, title)
	ev.VoterID, ev.Via = op.VoterID, ViaVoter
	return ev
}

// stationStaffEvent is an event for whoever handles the item: its handler
// when bound, else the station's bound staff, else the bound admins.
func stationStaffEvent(tx *gorm.DB, op Opinion, kind EventKind, station, title string) (OpinionEvent, error) {
	ev := baseEvent(op, kind, station, title)
	var err error
	ev.Staff, ev.Via, err = stationRecipients(tx, op)
	return ev, err
}

func stationRecipients(tx *gorm.DB, op Opinion) ([]StaffRecipient, string, error) {
	if op.HandlerStaffID != nil {
		r, err := boundStaff(tx, "id = ?", *op.HandlerStaffID)
		if err != nil || len(r) > 0 {
			return r, ViaHandler, err
		}
	}
	if op.StationID != officeStation {
		r, err := boundStaff(tx, "role IN ? AND id IN (?)", []StaffRole{RoleClerk, RoleHead},
			tx.Table("staff_stations").Select("staff_id").Where("station_id = ?", op.StationID))
		if err != nil || len(r) > 0 {
			return r, ViaStation, err
		}
	}
	return adminRecipients(tx)
}

// headRecipients are the station's bound heads, else the bound admins.
func headRecipients(tx *gorm.DB, stationID uint64) ([]StaffRecipient, string, error) {
	if stationID != officeStation {
		r, err := boundStaff(tx, "role = ? AND id IN (?)", RoleHead,
			tx.Table("staff_stations").Select("staff_id").Where("station_id = ?", stationID))
		if err != nil || len(r) > 0 {
			return r, ViaHead, err
		}
	}
	return adminRecipients(tx)
}

func adminRecipients(tx *gorm.DB) ([]StaffRecipient, string, error) {
	r, err := boundStaff(tx, "role = ?", RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	if len(r) == 0 {
		return nil, ViaNone, nil
	}
	return r, ViaAdmins, nil
}

// boundStaff lists active staff matching where who bound an official-account openid.
func boundStaff(tx *gorm.DB, where string, args ...any) ([]StaffRecipient, error) {
	var rows []Staff
	err := tx.Model(&Staff{}).Select("id", "name", "role", "oa_openid").
		Where("active = ? AND oa_openid IS NOT NULL AND oa_openid <> ''", true).
		Where(where, args...).Order("id").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]StaffRecipient, 0, len(rows))
	for _, s := range rows {
		out = append(out, StaffRecipient{ID: s.ID, Name: s.Name, Role: s.Role, OpenID: *s.OAOpenID})
	}
	return out, nil
}
