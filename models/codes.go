package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CodeAlphabet is the characters codes are made of: no 0/O, 1/I/L, so a code
// read aloud or copied from paper is not misread.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLen is the length of every code.
const CodeLen = 8

// CodeKind says what a code points at.
type CodeKind string

// Kinds of code.
const (
	CodeDeputy      CodeKind = "deputy"
	CodeStation     CodeKind = "station"
	CodeBoard       CodeKind = "board"
	CodeStaffInvite CodeKind = "staff_invite"
)

// Code is a short opaque code printed on a notice board or QR code.
type Code struct {
	Code string   `gorm:"primaryKey;size:8" json:"code"`
	Kind CodeKind `gorm:"size:16;not null;index:idx_code_target" json:"kind"`
	// TargetKind is deputy, station or staff; for a board it is what the board shows.
	TargetKind CodeKind `gorm:"size:16;not null;index:idx_code_target" json:"target_kind"`
	TargetID   uint64   `gorm:"not null;index:idx_code_target" json:"target_id"`
	// Label names a board, e.g. "XX社区公示栏".
	Label     string     `gorm:"size:100;not null" json:"label,omitempty"`
	ScanCount int64      `gorm:"not null;default:0" json:"scan_count"`
	Revoked   bool       `gorm:"not null;default:false" json:"revoked"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
	// QRTicketURL and the images are kept so a reprint does not call WeChat again.
	QRURL     string    `gorm:"column:qr_url;size:255;not null;default:''" json:"-"`
	WXACode   []byte    `gorm:"column:wxa_code;type:mediumblob" json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// NormalizeCode upper-cases a code and checks its shape.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != CodeLen {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(CodeAlphabet, r) {
			return "", false
		}
	}
	return s, true
}

// NewCodeString returns a random code from a cryptographic source.
func NewCodeString() string {
	var b strings.Builder
	max := big.NewInt(int64(len(CodeAlphabet)))
	for range CodeLen {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b.WriteByte(CodeAlphabet[n.Int64()])
	}
	return b.String()
}

// CreateCode stores a new code for target, retrying on the rare collision.
func CreateCode(ctx context.Context, db *gorm.DB, c Code) (Code, error) {
	if c.TargetKind == "" {
		c.TargetKind = c.Kind
	}
	for range 5 {
		c.Code = NewCodeString()
		err := translate(db.WithContext(ctx).Create(&c).Error)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrConflict) {
			return Code{}, err
		}
	}
	return Code{}, fmt.Errorf("create code: too many collisions")
}

// FindCode loads a code by its text, in any case. Revoked codes are returned
// too: callers decide what a revoked code means to them.
func FindCode(ctx context.Context, db *gorm.DB, code string) (Code, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return Code{}, ErrCodeNotFound
	}
	var c Code
	if err := db.WithContext(ctx).Where("code = ?", norm).First(&c).Error; err != nil {
		if errors.Is(translate(err), ErrNotFound) {
			return Code{}, ErrCodeNotFound
		}
		return Code{}, translate(err)
	}
	return c, nil
}

// ErrCodeNotFound is a code that is unknown, malformed or revoked.
var ErrCodeNotFound = Coded(ErrNotFound, "code_not_found", "二维码无效或已停用")

// PrimaryCodes returns the live deputy or station code of each target id.
func PrimaryCodes(ctx context.Context, db *gorm.DB, kind CodeKind, ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Code
	err := db.WithContext(ctx).Select("code", "target_id", "created_at").
		Where("kind = ? AND target_id IN ? AND revoked = ?", kind, ids, false).
		Order("created_at, code").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		if _, seen := out[r.TargetID]; !seen {
			out[r.TargetID] = r.Code
		}
	}
	return out, nil
}

// RevokeCode marks a code as no longer valid.
func RevokeCode(ctx context.Context, db *gorm.DB, code string) error {
	res := db.WithContext(ctx).Model(&Code{}).Where("code = ?", code).Update("revoked", true)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrCodeNotFound
	}
	return nil
}

// EnsureCodes gives every deputy and station without a live code one, and
// returns how many codes it created.
func EnsureCodes(ctx context.Context, db *gorm.DB) (int, error) {
	created := 0
	for _, t := range []struct {
		kind  CodeKind
		model any
	}{{CodeStation, &Station{}}, {CodeDeputy, &Deputy{}}} {
		var ids []uint64
		err := db.WithContext(ctx).Model(t.model).
			Where("id NOT IN (?)", db.Model(&Code{}).Select("target_id").
				Where("kind = ? AND revoked = ?", t.kind, false)).
			Order("id").Pluck("id", &ids).Error
		if err != nil {
			return created, translate(err)
		}
		for _, id := range ids {
			if _, err := CreateCode(ctx, db, Code{Kind: t.kind, TargetID: id}); err != nil {
				return created, err
			}
			created++
		}
	}
	return created, nil
}
