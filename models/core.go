package models

import (
	"strings"
	"time"
)

// StationKind tells a deputy home, a liaison station and a legislative point apart.
type StationKind string

// The kinds of station.
const (
	KindHome        StationKind = "home"        // 代表之家
	KindStation     StationKind = "station"     // 代表联络站
	KindLegislative StationKind = "legislative" // 基层立法联系点
)

// Label is the Chinese name shown to users.
func (k StationKind) Label() string {
	switch k {
	case KindHome:
		return "代表之家"
	case KindStation:
		return "代表联络站"
	case KindLegislative:
		return "基层立法联系点"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k StationKind) Valid() bool { return k == KindHome || k == KindStation || k == KindLegislative }

// Station is a place where deputies meet voters.
type Station struct {
	ID        uint64      `gorm:"primaryKey" json:"id"`
	Kind      StationKind `gorm:"size:16;not null;index" json:"kind"`
	Name      string      `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Address   string      `gorm:"size:255;not null" json:"address"`
	District  string      `gorm:"size:50;not null;index" json:"district"`
	Lat       float64     `gorm:"not null" json:"lat"`
	Lng       float64     `gorm:"not null" json:"lng"`
	OpenHours string      `gorm:"size:100;not null" json:"open_hours"`
	Phone     string      `gorm:"size:30" json:"phone,omitempty"`
	CreatedAt time.Time   `json:"-"`
	UpdatedAt time.Time   `json:"-"`
}

// Community is a village or neighbourhood (村/社区) served by one station.
type Community struct {
	ID   uint64 `gorm:"primaryKey" json:"id"`
	Name string `gorm:"size:100;not null;uniqueIndex" json:"name"`
	// Aliases are other names people use, separated by "|", for fuzzy matching.
	Aliases   string    `gorm:"size:500;not null" json:"-"`
	StationID uint64    `gorm:"not null;index" json:"station_id"`
	District  string    `gorm:"size:50;not null" json:"district"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// AliasList returns the community's aliases.
func (c Community) AliasList() []string {
	var out []string
	for _, a := range strings.Split(c.Aliases, "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Level is the level of the congress a deputy was elected to.
type Level string

// The five levels of people's congress.
const (
	LevelNational   Level = "national"
	LevelProvincial Level = "provincial"
	LevelCity       Level = "city"
	LevelCounty     Level = "county"
	LevelTownship   Level = "township"
)

// Label is the Chinese name of the level.
func (l Level) Label() string {
	switch l {
	case LevelNational:
		return "全国人大代表"
	case LevelProvincial:
		return "省人大代表"
	case LevelCity:
		return "市人大代表"
	case LevelCounty:
		return "县人大代表"
	case LevelTownship:
		return "镇人大代表"
	}
	return string(l)
}

// Valid reports whether l is a known level.
func (l Level) Valid() bool {
	switch l {
	case LevelNational, LevelProvincial, LevelCity, LevelCounty, LevelTownship:
		return true
	}
	return false
}

// DeputyStatus tells serving deputies from those who have left office.
type DeputyStatus string

// Deputy statuses.
const (
	DeputyActive  DeputyStatus = "active"
	DeputyRetired DeputyStatus = "retired"
)

// Deputy is an elected people's congress deputy (人大代表).
type Deputy struct {
	ID        uint64       `gorm:"primaryKey" json:"id"`
	Name      string       `gorm:"size:50;not null;index" json:"name"`
	Level     Level        `gorm:"size:16;not null;index" json:"level"`
	Group     string       `gorm:"column:deputy_group;size:100;not null" json:"group"`
	StationID uint64       `gorm:"not null;index" json:"station_id"`
	Bio       string       `gorm:"size:2000;not null" json:"bio"`
	PhotoURL  string       `gorm:"size:500;not null" json:"photo_url"`
	Status    DeputyStatus `gorm:"size:16;not null;index" json:"status"`
	// Term is the congress term, e.g. "第十八届".
	Term string `gorm:"size:50;not null" json:"term"`
	// Duties is the deputy's post, shown on their card (职务), e.g.
	// "东门社区党委书记".
	Duties string `gorm:"size:200;not null;default:''" json:"duties"`
	// Pledge is the deputy's public pledge (履职承诺), shown on their card.
	Pledge string `gorm:"size:500;not null;default:''" json:"pledge"`
	// TermStart and TermEnd are the dates of the deputy's term
	// ("2006-01-02"), "" when not known.
	TermStart string `gorm:"size:10;not null;default:''" json:"term_start"`
	TermEnd   string `gorm:"size:10;not null;default:''" json:"term_end"`
	// Stations are the other stations the deputy also serves, besides the
	// primary StationID (which their code routes to).
	Stations []Station `gorm:"many2many:deputy_stations" json:"-"`
	// Constituency (选区) is the communities whose voters elected the
	// deputy, for directly elected (county and township) deputies.
	Constituency []Community `gorm:"many2many:deputy_constituencies" json:"-"`
	// OAOpenID is the deputy's official-account openid: scanning the
	// reception desk's code with it signs the deputy in.
	OAOpenID  *string   `gorm:"column:oa_openid;size:64;uniqueIndex" json:"-"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// StaffRole is what a staff member may do.
type StaffRole string

// Staff roles.
const (
	RoleClerk StaffRole = "clerk" // 联络员: handles a station's items
	RoleHead  StaffRole = "head"  // 站长: also gets escalations
	RoleAdmin StaffRole = "admin" // 人大常委会/主席团 office: sees every station
	// RoleTownship is a township's congress office (乡镇人大主席团 /
	// 街道人大工委): it sees and manages its township's stations, items and
	// township deputies (Staff.Township), and nothing of other townships.
	RoleTownship StaffRole = "township"
	// RoleDepartment is a contact of a department opinions are transferred
	// to (承办部门, Staff.DepartmentID): they see only the items transferred
	// to their department in the current round and reply to them for the
	// station's review. Made only by CreateDepartmentInvite.
	RoleDepartment StaffRole = "department"
)

// Label is the Chinese name of the role.
func (r StaffRole) Label() string {
	switch r {
	case RoleClerk:
		return "联络员"
	case RoleHead:
		return "站长"
	case RoleAdmin:
		return "管理员"
	case RoleTownship:
		return "乡镇（街道）人大"
	case RoleDepartment:
		return "承办部门"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r StaffRole) Valid() bool {
	return r == RoleClerk || r == RoleHead || r == RoleAdmin || r == RoleTownship
}

// Staff is a station worker or a congress-office admin.
type Staff struct {
	ID   uint64    `gorm:"primaryKey" json:"id"`
	Name string    `gorm:"size:50;not null" json:"name"`
	Role StaffRole `gorm:"size:16;not null;index" json:"role"`
	// Username is the console login; nil until a console account is made.
	Username     *string `gorm:"size:64;uniqueIndex" json:"username,omitempty"`
	PasswordHash string  `gorm:"size:255;not null" json:"-"`
	// OAOpenID is the official-account openid bound by scanning an invite.
	OAOpenID *string `gorm:"column:oa_openid;size:64;uniqueIndex" json:"-"`
	Active   bool    `gorm:"not null;default:true" json:"active"`
	// Township is the township (a Station.District) of a RoleTownship
	// member; their Stations are that township's, loaded, not stored.
	Township string `gorm:"size:50;not null;default:''" json:"township,omitempty"`
	// DepartmentID is the department of a RoleDepartment contact.
	DepartmentID *uint64   `gorm:"index" json:"department_id,omitempty"`
	Stations     []Station `gorm:"many2many:staff_stations" json:"stations,omitempty"`
	CreatedAt    time.Time `json:"-"`
	UpdatedAt    time.Time `json:"-"`
}

// Voter is a WeChat user of the mini-program and/or the official account.
type Voter struct {
	ID       uint64  `gorm:"primaryKey" json:"id"`
	MPOpenID *string `gorm:"column:mp_openid;size:64;uniqueIndex" json:"-"`
	OAOpenID *string `gorm:"column:oa_openid;size:64;uniqueIndex" json:"-"`
	UnionID  *string `gorm:"column:unionid;size:64;index" json:"-"`
	// Following is false once the voter unfollows the official account.
	Following bool `gorm:"not null;default:false" json:"-"`
	// PhoneEnc is the phone number sealed with the data key; never shown unmasked.
	PhoneEnc    []byte `gorm:"type:blob" json:"-"`
	PhoneMasked string `gorm:"size:20;not null;default:''" json:"phone_masked"`
	// CommunityID is the community (村/社区) the voter declared as theirs
	// (SetVoterCommunity); nil until declared. It lives on this row only,
	// so erasing the voter erases it.
	CommunityID *uint64   `gorm:"index" json:"-"`
	CreatedAt   time.Time `json:"-"`
	UpdatedAt   time.Time `json:"-"`
}

// Category is a kind of opinion, with its handling deadlines.
type Category struct {
	ID   uint64 `gorm:"primaryKey" json:"id"`
	Code string `gorm:"size:32;not null;uniqueIndex" json:"code"`
	Name string `gorm:"size:50;not null" json:"name"`
	Hint string `gorm:"size:200;not null" json:"hint"`
	// AcceptDays and ReplyDays are deadlines in working days.
	AcceptDays int       `gorm:"not null" json:"accept_days"`
	ReplyDays  int       `gorm:"not null" json:"reply_days"`
	SortOrder  int       `gorm:"not null" json:"-"`
	CreatedAt  time.Time `json:"-"`
	UpdatedAt  time.Time `json:"-"`
}

// Department is a government department opinions are transferred to (转办).
type Department struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	Name      string    `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Contact   string    `gorm:"size:50;not null" json:"contact"`
	Phone     string    `gorm:"size:30;not null" json:"phone"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}
