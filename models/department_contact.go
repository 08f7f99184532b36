package models

// Department contacts (承办部门联系人): people of a department opinions are
// transferred to (县住建局 …) who bind WeChat like staff and see only the
// items transferred to their department.
//
// A contact is a Staff row with RoleDepartment and DepartmentID, not a
// table of its own: binding by an invite QR (CodeStaffInvite), the
// console's WeChat sign-ins (ActiveStaffByOAOpenID), sessions, the audit
// log's actor names and the outbox's recipients (boundStaff) all work on
// staff already, and a contact has no station, so every station-scoped
// query (ListStaffOpinions, ScopeOf, stationRecipients) already leaves
// them out. What they may see is decided here (departmentFor).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Errors of the department contacts.
var (
	ErrDepartmentContactNotFound = Coded(ErrNotFound, "department_contact_not_found", "没有找到这位承办部门联系人")
	// ErrNotDepartmentInvite is a department invite's scene naming a code
	// that is no department contact's invite.
	ErrNotDepartmentInvite = Coded(ErrNotFound, "invite_not_found", "邀请码无效或已作废，请联系人大常委会办公室重新生成")
)

// IsDepartmentContact reports whether s is a department's contact.
func IsDepartmentContact(s Staff) bool {
	return s.Role == RoleDepartment && s.DepartmentID != nil && *s.DepartmentID != 0
}

// CreateDepartmentInvite creates an active contact of department deptID
// named name, and a one-time invite code (CodeStaffInvite, valid ttl, at
// most MaxInviteTTL) that binds the first WeChat user who scans it
// (BindDepartmentInvite). Audited; the code stays out of the note.
func CreateDepartmentInvite(ctx context.Context, db *gorm.DB, who Actor, deptID uint64, name string, ttl time.Duration, now time.Time) (Staff, Code, error) {
	name = CleanLine(name)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		return Staff{}, Code{}, Invalid("name", "姓名不能为空，且不能超过50个字")
	}
	if ttl <= 0 || ttl > MaxInviteTTL {
		return Staff{}, Code{}, Invalid("ttl", "邀请有效期应在30天以内")
	}
	now = now.UTC()
	expires := now.Add(ttl)
	var row Staff
	var code Code
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		var d Department
		if err := tx.Select("id", "name").First(&d, deptID).Error; err != nil {
			return notFoundAs(err, ErrDepartmentNotFound)
		}
		row = Staff{Name: name, Role: RoleDepartment, DepartmentID: &d.ID, Active: true, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return translate(err)
		}
		var err error
		code, err = CreateCode(ctx, tx, Code{Kind: CodeStaffInvite, TargetKind: TargetStaff, TargetID: row.ID,
			Label: "邀请：" + name, ExpiresAt: &expires})
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s（%s），%s，邀请有效期至%s", name, RoleDepartment.Label(), d.Name, DateTimeText(expires, nil))
		return Audit(ctx, tx, now, who, "staff.invite", "staff", row.ID, "", "invited", note)
	})
	if err != nil {
		return Staff{}, Code{}, err
	}
	return row, code, nil
}

// BindDepartmentInvite uses a department contact's invite: it binds openid
// (the scanner's official-account openid) to the contact, exactly like
// BindStaffInvite (one-time by a conditional UPDATE; an openid bound to
// someone else is ErrOpenIDAlreadyBound and leaves the invite unused), and
// returns the contact and their department. An invite of station staff is
// ErrNotDepartmentInvite and stays unused.
func BindDepartmentInvite(ctx context.Context, db *gorm.DB, code, openid string, now time.Time) (Staff, Department, error) {
	openid = strings.TrimSpace(openid)
	if openid == "" || len(openid) > 64 {
		return Staff{}, Department{}, Invalid("openid", "微信身份无效")
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return Staff{}, Department{}, ErrNotDepartmentInvite
	}
	now = now.UTC()
	var staff Staff
	var dept Department
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Code
		if err := tx.Select("code", "kind", "target_id").Where("code = ? AND kind = ?", norm, CodeStaffInvite).
			Limit(1).Find(&c).Error; err != nil {
			return translate(err)
		}
		if c.Code == "" {
			return ErrNotDepartmentInvite
		}
		if err := tx.First(&staff, c.TargetID).Error; err != nil {
			return notFoundAs(err, ErrNotDepartmentInvite)
		}
		if !IsDepartmentContact(staff) {
			return ErrNotDepartmentInvite
		}
		if _, err := claimInvite(tx, norm, CodeStaffInvite, now); err != nil {
			return err
		}
		if err := tx.Select("id", "name").First(&dept, *staff.DepartmentID).Error; err != nil {
			return notFoundAs(err, ErrDepartmentNotFound)
		}
		var other int64
		if err := tx.Model(&Staff{}).Where("oa_openid = ? AND id <> ?", openid, staff.ID).Count(&other).Error; err != nil {
			return translate(err)
		}
		if other > 0 {
			return ErrOpenIDAlreadyBound
		}
		from := "invited"
		if staff.OAOpenID != nil {
			from = "bound"
		}
		err := tx.Model(&Staff{}).Where("id = ?", staff.ID).
			Updates(map[string]any{"oa_openid": openid, "updated_at": now}).Error
		if err = translate(err); errors.Is(err, ErrConflict) {
			return ErrOpenIDAlreadyBound
		} else if err != nil {
			return err
		}
		staff.OAOpenID = &openid
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staff.ID}, "staff.bind", "staff", staff.ID,
			from, "bound", fmt.Sprintf("%s 扫码绑定微信，%s", staff.Name, dept.Name))
	})
	if err != nil {
		return Staff{}, Department{}, err
	}
	return staff, dept, nil
}

// DepartmentContactView is a contact in the office's list.
type DepartmentContactView struct {
	ID           uint64
	Name         string
	DepartmentID uint64
	Department   string
	// Bound is true once the contact scanned their invite.
	Bound     bool
	CreatedAt time.Time
}

// ListDepartmentContacts lists the active contacts of every department
// (deptID 0) or of one, by department and name.
func ListDepartmentContacts(ctx context.Context, db *gorm.DB, deptID uint64) ([]DepartmentContactView, error) {
	db = db.WithContext(ctx)
	q := db.Model(&Staff{}).Select("id", "name", "department_id", "oa_openid", "created_at").
		Where("role = ? AND active = ?", RoleDepartment, true)
	if deptID != 0 {
		q = q.Where("department_id = ?", deptID)
	}
	var rows []Staff
	if err := q.Order("department_id, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	depts, err := ListDepartments(ctx, db)
	if err != nil {
		return nil, err
	}
	names := map[uint64]string{}
	for _, d := range depts {
		names[d.ID] = d.Name
	}
	out := make([]DepartmentContactView, 0, len(rows))
	for _, s := range rows {
		v := DepartmentContactView{ID: s.ID, Name: s.Name, Bound: s.OAOpenID != nil && *s.OAOpenID != "", CreatedAt: s.CreatedAt}
		if s.DepartmentID != nil {
			v.DepartmentID, v.Department = *s.DepartmentID, names[*s.DepartmentID]
		}
		out = append(out, v)
	}
	return out, nil
}

// DeactivateDepartmentContact removes a contact: they can no longer sign
// in, and get no more notices. Their replies stay. Audited.
func DeactivateDepartmentContact(ctx context.Context, db *gorm.DB, who Actor, staffID uint64, now time.Time) error {
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		var s Staff
		found, err := lockFind(tx, &s, "id = ? AND role = ? AND active = ?", staffID, RoleDepartment, true)
		if err != nil {
			return err
		}
		if !found {
			return ErrDepartmentContactNotFound
		}
		if err := tx.Model(&Staff{}).Where("id = ?", s.ID).
			Updates(map[string]any{"active": false, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, who, "staff.deactivate", "staff", s.ID, "active", "inactive", s.Name+"（承办部门联系人）")
	})
}

// departmentFor loads staffID as an active department contact and checks
// op was transferred to their department (lead or co-handling) in its
// current round; anything else is ErrOpinionNotFound, so ids do not leak.
func departmentFor(db *gorm.DB, staffID uint64, op Opinion) (Staff, OpinionDepartment, error) {
	s, err := loadStaff(db, staffID)
	if err != nil || !IsDepartmentContact(s) {
		return Staff{}, OpinionDepartment{}, ErrOpinionNotFound
	}
	var od OpinionDepartment
	if err := db.Where("opinion_id = ? AND department_id = ?", op.ID, *s.DepartmentID).Limit(1).Find(&od).Error; err != nil {
		return Staff{}, OpinionDepartment{}, translate(err)
	}
	if od.ID == 0 {
		return Staff{}, OpinionDepartment{}, ErrOpinionNotFound
	}
	return s, od, nil
}

// CanSeeTransferSlip reports (nil) whether staffID may read the transfer
// slip and the department replies of item id: the item's station staff and
// the admins (StaffCanAccess), or a contact of a department it was
// transferred to (departmentFor); else ErrOpinionNotFound.
func CanSeeTransferSlip(ctx context.Context, db *gorm.DB, staffID, id uint64) error {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.Select("id", "station_id").First(&op, id).Error; err != nil {
		return notFoundAs(err, ErrOpinionNotFound)
	}
	s, err := loadStaff(db, staffID)
	if err != nil {
		return ErrOpinionNotFound
	}
	if IsDepartmentContact(s) {
		_, _, err := departmentFor(db, staffID, op)
		return err
	}
	return StaffCanAccess(s, op)
}
