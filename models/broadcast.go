package models

import "time"

// Broadcasts (空中讲堂): the congress office's articles to deputies (work
// news, law knowledge, training notices), each announced by a template
// notice through the outbox and read on a signed-in page that records the
// read; a training notice also takes sign-ups and, at the session,
// attendance, which goes into the record as 学习培训.
// docs/ARCHITECTURE.md#broadcasts.
//
// This file is the data model; the rules live in models/broadcasts, the
// notice in notify_deputy.go.

// BroadcastKind is what an article is.
type BroadcastKind string

// Broadcast kinds.
const (
	BroadcastNews     BroadcastKind = "news"     // 工作动态
	BroadcastLaw      BroadcastKind = "law"      // 法律知识
	BroadcastTraining BroadcastKind = "training" // 培训通知
)

// Label is the Chinese name of the kind.
func (k BroadcastKind) Label() string {
	switch k {
	case BroadcastNews:
		return "工作动态"
	case BroadcastLaw:
		return "法律知识"
	case BroadcastTraining:
		return "培训通知"
	}
	return string(k)
}

// BroadcastAudience is who an article goes to.
type BroadcastAudience string

// Audiences.
const (
	AudienceAll      BroadcastAudience = "all"      // every deputy in the sender's scope
	AudienceGroup    BroadcastAudience = "group"    // the members of one deputy group
	AudienceStations BroadcastAudience = "stations" // the deputies of chosen stations
)

// Broadcast is one article. Times are UTC.
type Broadcast struct {
	ID    uint64        `gorm:"primaryKey" json:"id"`
	Kind  BroadcastKind `gorm:"size:16;not null" json:"kind"`
	Title string        `gorm:"size:100;not null" json:"title"`
	Body  string        `gorm:"type:text;not null" json:"body"`
	// Attachment is an optional file (PDF, Word or image), kept under the
	// data directory; AttachmentName is the name it downloads as.
	AttachmentPath string `gorm:"size:255;not null;default:''" json:"-"`
	AttachmentName string `gorm:"size:100;not null;default:''" json:"attachment_name,omitempty"`
	AttachmentSize int64  `gorm:"not null;default:0" json:"attachment_size,omitempty"`
	// Audience and AudienceIDs (a group id, or station ids, joined by ",").
	Audience    BroadcastAudience `gorm:"size:16;not null" json:"audience"`
	AudienceIDs string            `gorm:"size:500;not null;default:''" json:"-"`
	// Township scopes a township office's article to its own deputies; ""
	// for the county office.
	Township string `gorm:"size:50;not null;default:''" json:"township"`
	// A training's session: when, where, and until when sign-ups are taken.
	SessionAt        *time.Time `json:"session_at,omitempty"`
	SessionPlace     string     `gorm:"size:100;not null;default:''" json:"session_place,omitempty"`
	SignupUntil      *time.Time `json:"signup_until,omitempty"`
	CreatedByStaffID uint64     `gorm:"not null" json:"-"`
	SentAt           *time.Time `json:"sent_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"-"`
}

// BroadcastRecipient is one deputy an article went to: whether a notice
// was queued (or held back by the weekly cap), when they read it, signed up
// and attended.
type BroadcastRecipient struct {
	BroadcastID uint64 `gorm:"primaryKey;autoIncrement:false" json:"broadcast_id"`
	// DeputyID and NotifiedAt share an index: a deputy's list, and the
	// notices they got in the last week (the weekly cap).
	DeputyID uint64 `gorm:"primaryKey;autoIncrement:false;index:idx_broadcast_recipient_deputy,priority:1" json:"deputy_id"`
	// NotifiedAt is when the notice was queued; nil when the deputy has no
	// bound openid or the weekly cap held it back (Capped).
	NotifiedAt *time.Time `gorm:"index:idx_broadcast_recipient_deputy,priority:2" json:"notified_at,omitempty"`
	Capped     bool       `gorm:"not null;default:false" json:"capped"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
	SignedUpAt *time.Time `json:"signed_up_at,omitempty"`
	AttendedAt *time.Time `json:"attended_at,omitempty"`
}
