package models

// ManageScope is what a staff member may manage (stations, communities,
// deputies, staff, codes and boards): the whole county for an admin, one
// township for a township user (RoleTownship), nothing for a clerk or a
// head. Actor is written to the audit log.
type ManageScope struct {
	Actor Actor
	// All is the county office's scope.
	All bool
	// Township is the one township (Station.District) otherwise.
	Township string
}

// ErrManageForbidden refuses management to a clerk or a head.
var ErrManageForbidden = Coded(ErrForbidden, "admin_only", "只有人大常委会办公室或乡镇（街道）人大的工作人员可以进行此项管理")

// ManageScopeOf is the management scope of s; clerks and heads get
// ErrManageForbidden.
func ManageScopeOf(s Staff) (ManageScope, error) {
	a := Actor{Kind: "staff", ID: s.ID}
	switch {
	case s.Role == RoleAdmin:
		return ManageScope{Actor: a, All: true}, nil
	case s.Role == RoleTownship && s.Township != "":
		return ManageScope{Actor: a, Township: s.Township}, nil
	}
	return ManageScope{}, ErrManageForbidden
}

// AllowsDistrict reports whether the scope covers a township (a
// Station.District or Community.District).
func (m ManageScope) AllowsDistrict(district string) bool {
	return m.All || (m.Township != "" && m.Township == district)
}

// AllowsStation reports whether the scope covers a station.
func (m ManageScope) AllowsStation(st Station) bool { return m.AllowsDistrict(st.District) }
