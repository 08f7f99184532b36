package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// CreateBoardCode creates a code for one printed notice board of a deputy, so
// that its scans are counted apart from the deputy's other boards. label
// names the board's place, e.g. "东门社区公示栏".
func CreateBoardCode(ctx context.Context, db *gorm.DB, deputyID uint64, label string, now time.Time) (Code, error) {
	label = CleanLine(label)
	if label == "" || utf8.RuneCountInString(label) > 100 {
		return Code{}, Invalid("label", "公示牌名称不能为空，且不能超过100个字")
	}
	var code Code
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Deputy
		if err := tx.Select("id", "name", "status").First(&d, deputyID).Error; err != nil {
			return notFoundAs(err, ErrDeputyNotFound)
		}
		if d.Status != DeputyActive {
			return Invalid("deputy", d.Name+"代表已不再担任代表职务")
		}
		var err error
		code, err = CreateCode(ctx, tx, Code{Kind: CodeBoard, TargetKind: CodeDeputy, TargetID: d.ID, Label: label})
		if err != nil {
			return err
		}
		return Audit(ctx, tx, now, SystemActor, "code.board", "deputy", d.ID, "", code.Code, label)
	})
	return code, err
}

// EnsureDeputyCode returns the deputy's primary (oldest live) code, creating
// one if the deputy has none yet.
func EnsureDeputyCode(ctx context.Context, db *gorm.DB, deputyID uint64) (Code, error) {
	var d Deputy
	if err := db.WithContext(ctx).Select("id").First(&d, deputyID).Error; err != nil {
		return Code{}, notFoundAs(err, ErrDeputyNotFound)
	}
	codes, err := PrimaryCodes(ctx, db, CodeDeputy, []uint64{deputyID})
	if err != nil {
		return Code{}, err
	}
	if c, ok := codes[deputyID]; ok {
		return FindCode(ctx, db, c)
	}
	return CreateCode(ctx, db, Code{Kind: CodeDeputy, TargetID: deputyID})
}

// SetCodeImages keeps the WeChat artefacts of a printable code so a reprint
// does not call WeChat again: qrURL is the content of its official-account QR
// code (the ticket's URL) and wxa the image of its mini-program code. An
// empty argument leaves that field as it is.
func SetCodeImages(ctx context.Context, db *gorm.DB, code, qrURL string, wxa []byte) error {
	set := map[string]any{}
	if qrURL != "" {
		if len(qrURL) > 255 {
			return fmt.Errorf("set code images: %w: qr url longer than 255 bytes", ErrInvalid)
		}
		set["qr_url"] = qrURL
	}
	if len(wxa) > 0 {
		set["wxa_code"] = wxa
	}
	if len(set) == 0 {
		return nil
	}
	res := db.WithContext(ctx).Model(&Code{}).Where("code = ?", code).UpdateColumns(set)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows, not matched ones: rewriting the same
		// images affects none, so look before calling the code unknown.
		if _, err := FindCode(ctx, db, code); err != nil {
			return err
		}
	}
	return nil
}

// HasImages reports whether both WeChat artefacts of the code are kept.
func (c Code) HasImages() bool { return c.QRURL != "" && len(c.WXACode) > 0 }

// PrintableCodes lists the live deputy, station and board codes, optionally
// only those still missing an image, in a stable order.
func PrintableCodes(ctx context.Context, db *gorm.DB, missingOnly bool) ([]Code, error) {
	q := db.WithContext(ctx).Where("revoked = ? AND kind IN ?", false,
		[]CodeKind{CodeDeputy, CodeStation, CodeBoard})
	if missingOnly {
		q = q.Where("qr_url = '' OR wxa_code IS NULL OR LENGTH(wxa_code) = 0")
	}
	var out []Code
	if err := q.Order("kind, target_id, code").Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// BoardTarget returns the deputy a printable code shows: the target of a
// deputy code or of a board code made for a deputy.
func BoardTarget(c Code) (deputyID uint64, err error) {
	if c.Revoked || (c.Kind != CodeDeputy && c.Kind != CodeBoard) || c.TargetKind != CodeDeputy {
		return 0, fmt.Errorf("%w: %s is not a live deputy or board code", ErrCodeNotFound, c.Code)
	}
	return c.TargetID, nil
}
