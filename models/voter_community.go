package models

import (
	"context"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The voter's declared community (docs/ARCHITECTURE.md#public-results): the
// village or neighbourhood (村/社区) a voter says they live in, kept on the
// voter row (Voter.CommunityID) and used where something is limited to a
// community's voters (a review of the deputies of a constituency). It is
// personal data: it is never shown to anyone but the voter, and it goes
// with the voter row when the voter erases their data (EraseVoter deletes
// the row). Nothing copies it elsewhere, so the retention of items, which
// keeps no link to the voter, keeps none to it either.

// CommunityItem is a community as the mini-program lists it.
type CommunityItem struct {
	ID       uint64 `json:"id"`
	Name     string `json:"name"`
	District string `json:"district"`
}

// CommunityQueryMax is the most matches ListCommunityItems answers for a
// typed name.
const CommunityQueryMax = 20

// ListCommunityItems lists every community by district and name, or, for a
// typed name q, at most CommunityQueryMax best matches first
// (MatchCommunities). A q longer than 50 characters is invalid.
func ListCommunityItems(ctx context.Context, db *gorm.DB, q string) ([]CommunityItem, error) {
	out := []CommunityItem{}
	if q == "" {
		var rows []Community
		if err := db.WithContext(ctx).Select("id", "name", "district").Order("district, name, id").Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, c := range rows {
			out = append(out, CommunityItem{ID: c.ID, Name: c.Name, District: c.District})
		}
		return out, nil
	}
	if utf8.RuneCountInString(q) > 50 {
		return nil, Invalid("q", "村或社区的名称不能超过50字")
	}
	ms, err := MatchCommunities(ctx, db, q, CommunityQueryMax)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out = append(out, CommunityItem{ID: m.Community.ID, Name: m.Community.Name, District: m.Community.District})
	}
	return out, nil
}

// SetVoterCommunity records community communityID as voter voterID's own
// (nil clears it) and returns the voter. Errors: ErrCommunityNotFound,
// ErrVoterNotFound.
func SetVoterCommunity(ctx context.Context, db *gorm.DB, voterID uint64, communityID *uint64, now time.Time) (Voter, error) {
	var v Voter
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		if communityID != nil {
			var n int64
			if !ValidID(*communityID) {
				return ErrCommunityNotFound
			}
			if err := tx.Model(&Community{}).Where("id = ?", *communityID).Count(&n).Error; err != nil {
				return translate(err)
			}
			if n == 0 {
				return ErrCommunityNotFound
			}
		}
		res := tx.Model(&Voter{}).Where("id = ?", voterID).Updates(map[string]any{"community_id": communityID, "updated_at": now.UTC()})
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrVoterNotFound
		}
		return notFoundAs(tx.Take(&v, voterID).Error, ErrVoterNotFound)
	})
	return v, err
}

// VoterCommunity names voter v's declared community: nil when none, or
// when it has since been deleted.
func VoterCommunity(ctx context.Context, db *gorm.DB, v Voter) (*NameRef, error) {
	if v.CommunityID == nil {
		return nil, nil
	}
	var rows []NameRef
	if err := db.WithContext(ctx).Model(&Community{}).Select("id", "name").Where("id = ?", *v.CommunityID).Limit(1).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}
