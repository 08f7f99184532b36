package models

import (
	"context"

	"gorm.io/gorm"
)

// filingStaff is who handles and who hears of a new item at a station,
// read in one statement before a filing's transaction begins: the handler
// PickHandler would pick and the recipients stationRecipients would give
// the item with that handler. The two functions stay the rule for every
// other workflow step; TestFilingStaffMatchesPickHandler holds this one to
// them.
type filingStaff struct {
	Handler    uint64
	Recipients []StaffRecipient
	Via        string
}

// filingStaffRow is one active staff member of a station's filing snapshot:
// ContactFor is the category of their contact row at the station (nil when
// they are no contact), AtStation whether they work at it. A contact for
// two categories comes twice.
type filingStaffRow struct {
	ID         uint64    `gorm:"column:id"`
	Name       string    `gorm:"column:name"`
	Role       StaffRole `gorm:"column:role"`
	OAOpenID   *string   `gorm:"column:oa_openid"`
	ContactFor *uint64   `gorm:"column:contact_for"`
	AtStation  bool      `gorm:"column:at_station"`
}

// loadFilingStaff reads the active staff who may handle or hear of an item
// of category at station (its contacts for the category or any category,
// its staff, and the admins) and applies PickHandler's and
// stationRecipients' rules.
func loadFilingStaff(ctx context.Context, db *gorm.DB, stationID, categoryID uint64) (filingStaff, error) {
	var rows []filingStaffRow
	err := db.WithContext(ctx).Raw(`SELECT s.id, s.name, s.role, s.oa_openid, c.category_id AS contact_for,
			(ss.staff_id IS NOT NULL) AS at_station
		FROM staffs s
		LEFT JOIN station_contacts c ON c.staff_id = s.id AND c.station_id = ? AND c.category_id IN (?, 0)
		LEFT JOIN staff_stations ss ON ss.staff_id = s.id AND ss.station_id = ?
		WHERE s.active = ? AND (c.staff_id IS NOT NULL OR ss.staff_id IS NOT NULL OR s.role = ?)
		ORDER BY s.id`, stationID, categoryID, stationID, true, RoleAdmin).Scan(&rows).Error
	if err != nil {
		return filingStaff{}, translate(err)
	}
	return filingStaffOf(rows, stationID, categoryID), nil
}

// filingStaffOf applies the rules to the snapshot, rows ordered by id.
func filingStaffOf(rows []filingStaffRow, stationID, categoryID uint64) filingStaff {
	var out filingStaff
	bound := func(r filingStaffRow) bool { return r.OAOpenID != nil && *r.OAOpenID != "" }
	recipient := func(r filingStaffRow) StaffRecipient {
		return StaffRecipient{ID: r.ID, Name: r.Name, Role: r.Role, OpenID: *r.OAOpenID}
	}
	if stationID != officeStation {
		// PickHandler: the contact for the category, else for any
		// category, else the station's head with the lowest id.
		var anyContact, head uint64
		for _, r := range rows {
			switch {
			case r.ContactFor != nil && *r.ContactFor == categoryID && categoryID != 0:
				if out.Handler == 0 {
					out.Handler = r.ID
				}
			case r.ContactFor != nil && *r.ContactFor == 0:
				if anyContact == 0 {
					anyContact = r.ID
				}
			}
			if r.AtStation && r.Role == RoleHead && head == 0 {
				head = r.ID
			}
		}
		if out.Handler == 0 {
			out.Handler = anyContact
		}
		if out.Handler == 0 {
			out.Handler = head
		}
	}
	// stationRecipients: the handler when bound, else the station's bound
	// clerks and heads, else the bound admins.
	if out.Handler != 0 {
		for _, r := range rows {
			if r.ID == out.Handler && bound(r) {
				out.Recipients, out.Via = []StaffRecipient{recipient(r)}, ViaHandler
				return out
			}
		}
	}
	seen := map[uint64]bool{}
	if stationID != officeStation {
		for _, r := range rows {
			if r.AtStation && (r.Role == RoleClerk || r.Role == RoleHead) && bound(r) && !seen[r.ID] {
				seen[r.ID] = true
				out.Recipients = append(out.Recipients, recipient(r))
			}
		}
		if len(out.Recipients) > 0 {
			out.Via = ViaStation
			return out
		}
	}
	for _, r := range rows {
		if r.Role == RoleAdmin && bound(r) && !seen[r.ID] {
			seen[r.ID] = true
			out.Recipients = append(out.Recipients, recipient(r))
		}
	}
	out.Via = ViaAdmins
	if len(out.Recipients) == 0 {
		out.Via = ViaNone
	}
	return out
}
