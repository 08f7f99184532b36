package models

import (
	"context"
	"math"
	"sort"

	"gorm.io/gorm"
)

// StationRef is the short form of a station inside other resources.
type StationRef struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

// DeputyView is the public form of a deputy (docs/ARCHITECTURE.md#contracts).
type DeputyView struct {
	ID         uint64       `json:"id"`
	Name       string       `json:"name"`
	Level      Level        `json:"level"`
	LevelLabel string       `json:"level_label"`
	Group      string       `json:"group"`
	Code       string       `json:"code"`
	Status     DeputyStatus `json:"status"`
	Bio        string       `json:"bio"`
	PhotoURL   string       `json:"photo_url"`
	Term       string       `json:"term"`
	// Duties (职务) and Pledge (履职承诺) are shown on the deputy's card;
	// TermStart and TermEnd are "2006-01-02" or "".
	Duties    string `json:"duties"`
	Pledge    string `json:"pledge"`
	TermStart string `json:"term_start"`
	TermEnd   string `json:"term_end"`
	// Station is the primary station (where the deputy's code routes);
	// Stations are all the stations the deputy serves, the primary first.
	Station  StationRef   `json:"station"`
	Stations []StationRef `json:"stations"`
}

// DeputyBrief is a deputy inside a station's list.
type DeputyBrief struct {
	ID         uint64 `json:"id"`
	Name       string `json:"name"`
	Level      Level  `json:"level"`
	LevelLabel string `json:"level_label"`
	Code       string `json:"code"`
}

// StationView is the public form of a station (docs/ARCHITECTURE.md#contracts).
type StationView struct {
	ID        uint64      `json:"id"`
	Name      string      `json:"name"`
	Kind      StationKind `json:"kind"`
	KindLabel string      `json:"kind_label"`
	Address   string      `json:"address"`
	District  string      `json:"district"`
	OpenHours string      `json:"open_hours"`
	Phone     string      `json:"phone,omitempty"`
	Lat       float64     `json:"lat"`
	Lng       float64     `json:"lng"`
	Code      string      `json:"code"`
	// DistanceM is set when the list was sorted by distance from a point.
	DistanceM *int          `json:"distance_m,omitempty"`
	Deputies  []DeputyBrief `json:"deputies,omitempty"`
}

// CodeView is what a scanned code resolves to.
type CodeView struct {
	Code    string       `json:"code"`
	Kind    CodeKind     `json:"kind"` // deputy or station
	Label   string       `json:"label,omitempty"`
	Deputy  *DeputyView  `json:"deputy,omitempty"`
	Station *StationView `json:"station,omitempty"`
	// Notice tells the voter something they should know, e.g. that the deputy left office.
	Notice string `json:"notice,omitempty"`
}

// ErrDeputyNotFound and ErrStationNotFound carry the API's error codes.
var (
	ErrDeputyNotFound  = Coded(ErrNotFound, "deputy_not_found", "没有找到这位代表")
	ErrStationNotFound = Coded(ErrNotFound, "station_not_found", "没有找到这个联络站")
)

// GetDeputy returns a deputy's public view.
func GetDeputy(ctx context.Context, db *gorm.DB, id uint64) (DeputyView, error) {
	var d Deputy
	if err := db.WithContext(ctx).First(&d, id).Error; err != nil {
		return DeputyView{}, notFoundAs(err, ErrDeputyNotFound)
	}
	var st Station
	if err := db.WithContext(ctx).Select("id", "name").First(&st, d.StationID).Error; err != nil {
		return DeputyView{}, translate(err)
	}
	codes, err := PrimaryCodes(ctx, db, CodeDeputy, []uint64{d.ID})
	if err != nil {
		return DeputyView{}, err
	}
	var others []Station
	if err := db.WithContext(ctx).Model(&d).Select("stations.id", "stations.name").Order("stations.id").
		Association("Stations").Find(&others); err != nil {
		return DeputyView{}, translate(err)
	}
	return deputyView(d, st, others, codes[d.ID]), nil
}

func deputyView(d Deputy, st Station, others []Station, code string) DeputyView {
	v := DeputyView{
		ID: d.ID, Name: d.Name, Level: d.Level, LevelLabel: d.Level.Label(), Group: d.Group,
		Code: code, Status: d.Status, Bio: d.Bio, PhotoURL: d.PhotoURL, Term: d.Term,
		Duties: d.Duties, Pledge: d.Pledge, TermStart: d.TermStart, TermEnd: d.TermEnd,
		Station:  StationRef{ID: st.ID, Name: st.Name},
		Stations: []StationRef{{ID: st.ID, Name: st.Name}},
	}
	for _, o := range others {
		if o.ID != st.ID {
			v.Stations = append(v.Stations, StationRef{ID: o.ID, Name: o.Name})
		}
	}
	return v
}

// GetStation returns a station with its active deputies.
func GetStation(ctx context.Context, db *gorm.DB, id uint64) (StationView, error) {
	var st Station
	if err := db.WithContext(ctx).First(&st, id).Error; err != nil {
		return StationView{}, notFoundAs(err, ErrStationNotFound)
	}
	codes, err := PrimaryCodes(ctx, db, CodeStation, []uint64{st.ID})
	if err != nil {
		return StationView{}, err
	}
	v := stationView(st, codes[st.ID])
	var deps []Deputy
	// The station's own deputies and those who also serve it.
	if err := db.WithContext(ctx).Where("status = ?", DeputyActive).
		Where("station_id = ? OR id IN (?)", st.ID, db.Table("deputy_stations").Select("deputy_id").Where("station_id = ?", st.ID)).
		Order("id").Find(&deps).Error; err != nil {
		return StationView{}, translate(err)
	}
	ids := make([]uint64, len(deps))
	for i, d := range deps {
		ids[i] = d.ID
	}
	dcodes, err := PrimaryCodes(ctx, db, CodeDeputy, ids)
	if err != nil {
		return StationView{}, err
	}
	v.Deputies = make([]DeputyBrief, 0, len(deps))
	for _, d := range deps {
		v.Deputies = append(v.Deputies, DeputyBrief{ID: d.ID, Name: d.Name, Level: d.Level, LevelLabel: d.Level.Label(), Code: dcodes[d.ID]})
	}
	sort.SliceStable(v.Deputies, func(i, j int) bool { return levelRank(v.Deputies[i].Level) < levelRank(v.Deputies[j].Level) })
	return v, nil
}

func levelRank(l Level) int {
	switch l {
	case LevelNational:
		return 0
	case LevelProvincial:
		return 1
	case LevelCity:
		return 2
	case LevelCounty:
		return 3
	}
	return 4
}

func stationView(st Station, code string) StationView {
	return StationView{
		ID: st.ID, Name: st.Name, Kind: st.Kind, KindLabel: st.Kind.Label(), Address: st.Address,
		District: st.District, OpenHours: st.OpenHours, Phone: st.Phone, Lat: st.Lat, Lng: st.Lng, Code: code,
	}
}

// Point is a WGS-84 coordinate as WeChat's wx.getLocation returns it.
type Point struct{ Lat, Lng float64 }

// ValidatePoint checks a coordinate; the error names the bad field.
func ValidatePoint(lat, lng float64) error {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return Invalid("lat", "纬度必须在 -90 到 90 之间")
	}
	if math.IsNaN(lng) || lng < -180 || lng > 180 {
		return Invalid("lng", "经度必须在 -180 到 180 之间")
	}
	return nil
}

// DistanceM is the great-circle distance in metres (haversine).
func DistanceM(a, b Point) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// StationQuery filters and orders a station list.
type StationQuery struct {
	Near   *Point
	Kind   StationKind
	Offset int
	Limit  int
}

// ListStations lists stations, nearest first when Near is set, otherwise by id.
// It returns the page and whether more follow. A county has tens to a few
// hundred stations, so sorting in memory is cheaper than a spatial index.
func ListStations(ctx context.Context, db *gorm.DB, q StationQuery) ([]StationView, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	tx := db.WithContext(ctx).Order("id")
	if q.Kind != "" {
		tx = tx.Where("kind = ?", q.Kind)
	}
	var all []Station
	if err := tx.Find(&all).Error; err != nil {
		return nil, false, translate(err)
	}
	views := make([]StationView, len(all))
	for i, st := range all {
		views[i] = stationView(st, "")
		if q.Near != nil {
			d := int(math.Round(DistanceM(*q.Near, Point{st.Lat, st.Lng})))
			views[i].DistanceM = &d
		}
	}
	if q.Near != nil {
		sort.SliceStable(views, func(i, j int) bool { return *views[i].DistanceM < *views[j].DistanceM })
	}
	if q.Offset >= len(views) {
		return []StationView{}, false, nil
	}
	page := views[q.Offset:]
	more := len(page) > q.Limit
	if more {
		page = page[:q.Limit]
	}
	ids := make([]uint64, len(page))
	for i, v := range page {
		ids[i] = v.ID
	}
	codes, err := PrimaryCodes(ctx, db, CodeStation, ids)
	if err != nil {
		return nil, false, err
	}
	for i := range page {
		page[i].Code = codes[page[i].ID]
	}
	return page, more, nil
}

// ResolveCode turns a scanned code into the deputy or station it stands for.
// A retired deputy resolves to their station with a notice; a board resolves
// to its target; a revoked, unknown or staff-invite code is ErrCodeNotFound.
func ResolveCode(ctx context.Context, db *gorm.DB, code string) (CodeView, error) {
	c, err := FindCode(ctx, db, code)
	if err != nil {
		return CodeView{}, err
	}
	if c.Revoked || c.Kind == CodeStaffInvite {
		return CodeView{}, ErrCodeNotFound
	}
	out := CodeView{Code: c.Code, Label: c.Label}
	switch c.TargetKind {
	case CodeDeputy:
		d, err := GetDeputy(ctx, db, c.TargetID)
		if err != nil {
			return CodeView{}, notFoundAs(err, ErrCodeNotFound)
		}
		st, err := GetStation(ctx, db, d.Station.ID)
		if err != nil {
			return CodeView{}, notFoundAs(err, ErrCodeNotFound)
		}
		out.Kind, out.Deputy, out.Station = CodeDeputy, &d, &st
		if d.Status == DeputyRetired {
			out.Kind = CodeStation
			out.Notice = d.Name + "代表已不再担任代表职务，您可以联系" + st.Name + "的其他代表。"
		}
	case CodeStation:
		st, err := GetStation(ctx, db, c.TargetID)
		if err != nil {
			return CodeView{}, notFoundAs(err, ErrCodeNotFound)
		}
		out.Kind, out.Station = CodeStation, &st
	default:
		return CodeView{}, ErrCodeNotFound
	}
	return out, nil
}
