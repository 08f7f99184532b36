package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrVoterNotFound is a voter id that does not exist.
var ErrVoterNotFound = Coded(ErrNotFound, "voter_not_found", "用户不存在")

// UpsertMPVoter finds or creates the voter with this mini-program openid and
// records the unionid when WeChat gives one. When a voter with the same
// unionid already came from the official account, that row is reused so
// one person is one voter across both.
func UpsertMPVoter(ctx context.Context, db *gorm.DB, openid, unionid string) (Voter, error) {
	var v Voter
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("mp_openid = ?", openid).Take(&v).Error
		if err == nil {
			if unionid != "" && (v.UnionID == nil || *v.UnionID != unionid) {
				return tx.Model(&v).Update("unionid", unionid).Error
			}
			return nil
		}
		if err != gorm.ErrRecordNotFound {
			return err
		}
		if unionid != "" {
			err = tx.Where("unionid = ? AND mp_openid IS NULL", unionid).Take(&v).Error
			if err == nil {
				return tx.Model(&v).Update("mp_openid", openid).Error
			}
			if err != gorm.ErrRecordNotFound {
				return err
			}
		}
		v = Voter{MPOpenID: &openid}
		if unionid != "" {
			v.UnionID = &unionid
		}
		// Two logins racing for a new voter: the loser re-reads the winner.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&v).Error; err != nil {
			return err
		}
		if v.ID == 0 {
			return tx.Where("mp_openid = ?", openid).Take(&v).Error
		}
		return nil
	})
	return v, translate(err)
}

// GetVoter loads a voter by id.
func GetVoter(ctx context.Context, db *gorm.DB, id uint64) (Voter, error) {
	var v Voter
	if err := db.WithContext(ctx).Take(&v, id).Error; err != nil {
		return Voter{}, notFoundAs(err, ErrVoterNotFound)
	}
	return v, nil
}

// SetVoterPhone stores the voter's phone number sealed, and its masked form.
func SetVoterPhone(ctx context.Context, db *gorm.DB, s *Sealer, voterID uint64, phone string, now time.Time) (string, error) {
	if len(phone) < 7 || len(phone) > 20 {
		return "", Invalid("phone", "手机号格式不正确")
	}
	masked := MaskPhone(phone)
	res := db.WithContext(ctx).Model(&Voter{}).Where("id = ?", voterID).Updates(map[string]any{
		"phone_enc": s.Seal(phone, phoneLabel(voterID)), "phone_masked": masked, "updated_at": now.UTC(),
	})
	if res.Error != nil {
		return "", translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return "", ErrVoterNotFound
	}
	return masked, nil
}

func phoneLabel(id uint64) string { return "phone:" + strconv.FormatUint(id, 10) }
