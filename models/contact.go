package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// StationContact names the staff member who handles a station's opinions of
// one category; CategoryID 0 is the station's contact for every category.
type StationContact struct {
	ID         uint64    `gorm:"primaryKey" json:"id"`
	StationID  uint64    `gorm:"not null;uniqueIndex:idx_station_contact,priority:1" json:"station_id"`
	CategoryID uint64    `gorm:"not null;uniqueIndex:idx_station_contact,priority:2" json:"category_id"`
	StaffID    uint64    `gorm:"not null;index" json:"staff_id"`
	CreatedAt  time.Time `json:"-"`
	UpdatedAt  time.Time `json:"-"`
}

// How PickHandler found the handler.
const (
	PickContact    = "contact"     // the (station, category) contact
	PickAnyContact = "contact_any" // the station's contact for every category
	PickHead       = "head"        // the station's head
	PickNone       = "none"        // nobody: the office queue or an unstaffed station
)

// Limits and defaults of the opinion workflow.
const (
	officeStation  = uint64(0)         // the congress office queue
	auditContact   = "station_contact" // audit entity kind
	auditOpinion   = "opinion"         // audit entity kind
	actorStaff     = "staff"           // audit actor kind
	actorVoter     = "voter"           // audit actor kind
	noteMaxRunes   = 2000              // internal notes, replies
	reasonMaxRunes = 500               // return reasons, close notes, rating comments
	maxPhotos      = 3                 // photos per opinion
	maxIdemKeyLen  = 64                // Idempotency-Key header
	contentMinLen  = 10                // opinion content, in runes
	contentMaxLen  = 2000              // opinion content, in runes
	defaultAccept  = 2                 // working days to accept
	defaultReply   = 15                // working days to reply
	resultAskDays  = 7                 // days after a reply before "解决了吗?"
	overdueAdmins  = 5                 // working days overdue before the admins hear
)

// ErrStaffNotFound is an unknown or inactive staff member.
var ErrStaffNotFound = Coded(ErrNotFound, "staff_not_found", "没有找到这位工作人员")

// PickHandler picks who handles an opinion of category at station: the
// contact for (station, category), else the station's contact for any
// category, else the station's head (the lowest id if several), else nobody
// (0), which leaves the item to the station's staff list or, for the office
// queue, to the admins. Only active staff are picked.
func PickHandler(ctx context.Context, db *gorm.DB, stationID, categoryID uint64) (staffID uint64, how string, err error) {
	if stationID == officeStation {
		return 0, PickNone, nil
	}
	db = db.WithContext(ctx)
	var contacts []StationContact
	err = db.Where("station_id = ? AND category_id IN ? AND staff_id IN (?)", stationID, []uint64{categoryID, 0},
		db.Model(&Staff{}).Select("id").Where("active = ?", true)).
		Order("category_id DESC").Find(&contacts).Error
	if err != nil {
		return 0, "", translate(err)
	}
	for _, c := range contacts {
		if c.CategoryID == categoryID && categoryID != 0 {
			return c.StaffID, PickContact, nil
		}
	}
	for _, c := range contacts {
		if c.CategoryID == 0 {
			return c.StaffID, PickAnyContact, nil
		}
	}
	var heads []uint64
	err = db.Model(&Staff{}).Where("role = ? AND active = ? AND id IN (?)", RoleHead, true,
		db.Table("staff_stations").Select("staff_id").Where("station_id = ?", stationID)).
		Order("id").Limit(1).Pluck("id", &heads).Error
	if err != nil {
		return 0, "", translate(err)
	}
	if len(heads) > 0 {
		return heads[0], PickHead, nil
	}
	return 0, PickNone, nil
}

// SetStationContact makes staffID the contact for (station, category) —
// categoryID 0 for every category — replacing any previous one, and writes
// the audit log. The staff member must be active and work at the station,
// or be an admin.
func SetStationContact(ctx context.Context, db *gorm.DB, who Actor, stationID, categoryID, staffID uint64, now time.Time) (StationContact, error) {
	var out StationContact
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		out, err = setStationContactTx(ctx, tx, who, stationID, categoryID, staffID, now)
		return err
	})
	return out, err
}

// setStationContactTx is SetStationContact inside the caller's transaction.
func setStationContactTx(ctx context.Context, tx *gorm.DB, who Actor, stationID, categoryID, staffID uint64, now time.Time) (StationContact, error) {
	var out StationContact
	err := func() error {
		var n int64
		if err := tx.Model(&Station{}).Where("id = ?", stationID).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			return ErrStationNotFound
		}
		if categoryID != 0 {
			if err := tx.Model(&Category{}).Where("id = ?", categoryID).Count(&n).Error; err != nil {
				return translate(err)
			}
			if n == 0 {
				return ErrInvalidCategory
			}
		}
		s, err := loadStaff(tx, staffID)
		if err != nil {
			return err
		}
		if s.Role != RoleAdmin && !staffAtStation(s, stationID) {
			return Invalid("staff_id", "该工作人员不属于这个联络站")
		}
		now = now.UTC()
		row := StationContact{StationID: stationID, CategoryID: categoryID, StaffID: staffID, CreatedAt: now, UpdatedAt: now}
		var old StationContact
		found, err := lockFind(tx, &old, "station_id = ? AND category_id = ?", stationID, categoryID)
		if err != nil {
			return err
		}
		from := ""
		if found {
			from = fmt.Sprint(old.StaffID)
			row.ID, row.CreatedAt = old.ID, old.CreatedAt
			if err := tx.Model(&StationContact{}).Where("id = ?", old.ID).
				Updates(map[string]any{"staff_id": staffID, "updated_at": now}).Error; err != nil {
				return translate(err)
			}
		} else if err := tx.Create(&row).Error; err != nil {
			return translate(err)
		}
		out = row
		return Audit(ctx, tx, now, who, "station_contact.set", auditContact, stationID, from, fmt.Sprint(staffID),
			fmt.Sprintf("category %d", categoryID))
	}()
	return out, err
}

// DeleteStationContact removes the contact for (station, category).
func DeleteStationContact(ctx context.Context, db *gorm.DB, who Actor, stationID, categoryID uint64, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return deleteStationContactTx(ctx, tx, who, stationID, categoryID, now)
	})
}

// deleteStationContactTx is DeleteStationContact inside the caller's
// transaction.
func deleteStationContactTx(ctx context.Context, tx *gorm.DB, who Actor, stationID, categoryID uint64, now time.Time) error {
	var old StationContact
	err := lockingUpdate(tx).Where("station_id = ? AND category_id = ?", stationID, categoryID).First(&old).Error
	if err != nil {
		return notFoundAs(err, Coded(ErrNotFound, "contact_not_found", "没有找到这条联系人设置"))
	}
	if err := tx.Delete(&StationContact{}, old.ID).Error; err != nil {
		return translate(err)
	}
	return Audit(ctx, tx, now, who, "station_contact.delete", auditContact, stationID, fmt.Sprint(old.StaffID), "",
		fmt.Sprintf("category %d", categoryID))
}

// ListStationContacts lists a station's contacts, category 0 first.
func ListStationContacts(ctx context.Context, db *gorm.DB, stationID uint64) ([]StationContact, error) {
	var rows []StationContact
	err := db.WithContext(ctx).Where("station_id = ?", stationID).Order("category_id").Find(&rows).Error
	return rows, translate(err)
}

// loadStaff loads an active staff member with their stations.
func loadStaff(tx *gorm.DB, id uint64) (Staff, error) {
	var s Staff
	if err := tx.Preload("Stations", func(db *gorm.DB) *gorm.DB { return db.Select("id", "name") }).
		Where("active = ?", true).First(&s, id).Error; err != nil {
		if errors.Is(translate(err), ErrNotFound) {
			return Staff{}, ErrStaffNotFound
		}
		return Staff{}, translate(err)
	}
	if s.Role == RoleTownship {
		s.Stations = nil
		if err := tx.Select("id", "name").Where("district = ?", s.Township).Order("id").Find(&s.Stations).Error; err != nil {
			return Staff{}, translate(err)
		}
	}
	return s, nil
}

// staffAtStation reports whether s works at station id.
func staffAtStation(s Staff, id uint64) bool {
	for _, st := range s.Stations {
		if st.ID == id {
			return true
		}
	}
	return false
}
