package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// AuditLog is one line of the append-only record of who changed what.
// Rows are only ever inserted: the gorm hooks below refuse updates and deletes.
type AuditLog struct {
	ID         uint64    `gorm:"primaryKey" json:"id"`
	At         time.Time `gorm:"not null;index" json:"at"`
	ActorKind  string    `gorm:"size:16;not null" json:"actor_kind"` // staff, voter, system
	ActorID    uint64    `gorm:"not null" json:"actor_id"`
	Action     string    `gorm:"size:40;not null;index" json:"action"`
	EntityKind string    `gorm:"size:32;not null;index:idx_audit_entity" json:"entity_kind"`
	EntityID   uint64    `gorm:"not null;index:idx_audit_entity" json:"entity_id"`
	FromState  string    `gorm:"size:32;not null" json:"from"`
	ToState    string    `gorm:"size:32;not null" json:"to"`
	Note       string    `gorm:"size:2000;not null" json:"note"`
}

// TableName keeps the table name singular and explicit.
func (AuditLog) TableName() string { return "audit_logs" }

// ErrAppendOnly is returned when code tries to change an audit row.
var ErrAppendOnly = errors.New("audit log is append-only")

// BeforeUpdate refuses every update of an audit row.
func (AuditLog) BeforeUpdate(*gorm.DB) error { return ErrAppendOnly }

// BeforeDelete refuses every delete of an audit row.
func (AuditLog) BeforeDelete(*gorm.DB) error { return ErrAppendOnly }

// Actor names who did something.
type Actor struct {
	Kind string // staff, voter, system
	ID   uint64
}

// SystemActor is deputylink itself (jobs, migrations, demo data).
var SystemActor = Actor{Kind: "system"}

// Audit appends one audit row; call it inside the transaction that makes the change.
func Audit(ctx context.Context, db *gorm.DB, now time.Time, who Actor, action, entityKind string, entityID uint64, from, to, note string) error {
	row := AuditLog{
		At: now.UTC(), ActorKind: who.Kind, ActorID: who.ID, Action: action,
		EntityKind: entityKind, EntityID: entityID, FromState: from, ToState: to, Note: note,
	}
	return translate(db.WithContext(ctx).Create(&row).Error)
}

// AuditTrail lists the audit rows of one entity, oldest first.
func AuditTrail(ctx context.Context, db *gorm.DB, entityKind string, entityID uint64) ([]AuditLog, error) {
	var rows []AuditLog
	err := db.WithContext(ctx).Where("entity_kind = ? AND entity_id = ?", entityKind, entityID).
		Order("id").Find(&rows).Error
	return rows, translate(err)
}
