package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// DefaultRouteRadiusM is how far (in metres) a voter's location may be from
// a station for the "nearest station" rule to pick it.
const DefaultRouteRadiusM = 3000.0

// OfficeName is what the congress office queue (StationID 0) is called in
// answers to voters.
const OfficeName = "人大常委会办公室"

// Route rules, in the order Route tries them.
const (
	RuleCodeDeputy        = "code_deputy"         // the scanned code's active deputy → their station
	RuleCodeRetiredDeputy = "code_retired_deputy" // the scanned code's retired deputy → their station
	RuleCodeStation       = "code_station"        // the scanned code's station
	RuleCategory          = "category_override"   // e.g. 立法意见 → the nearest legislative point
	RuleChosenStation     = "chosen_station"      // the station the voter picked
	RuleCommunity         = "community"           // the chosen community's station
	RuleNearest           = "nearest"             // the nearest station within the radius
	RuleOffice            = "office"              // the congress office queue
	// RuleStaffReassign is not produced by Route: it marks an item a staff
	// member sent to a station of their choice when returning it (退办).
	RuleStaffReassign = "staff_reassign"
)

// DefaultCategoryOverrides sends 立法意见 to the legislative contact points.
var DefaultCategoryOverrides = map[string]StationKind{"lifa": KindLegislative}

// RouteWorld is what routing needs to know, loaded once (LoadRouteWorld) and
// cached: routing itself (Route) touches no database.
type RouteWorld struct {
	Stations    map[uint64]Station
	Communities map[uint64]Community
	Deputies    map[uint64]Deputy
	// Codes is keyed by the normalised code text.
	Codes map[string]Code
	// RadiusM caps the "nearest station" rule; 0 means DefaultRouteRadiusM.
	RadiusM float64
	// CategoryOverrides maps a category code to the kind of station that
	// handles it; nil means DefaultCategoryOverrides.
	CategoryOverrides map[string]StationKind
	// Categories (by code) and Calendar (the holiday table) are what a
	// filing reads besides routing, loaded and cached with it; nil: read
	// from the database at each filing.
	Categories map[string]Category
	Calendar   *Calendar
}

// category is the category of code: from the world's categories when it
// has them and knows code, else from db (CategoryByCode: a category created
// since the world was loaded, a former code, or an unknown code).
func (w RouteWorld) category(ctx context.Context, db *gorm.DB, code string) (Category, error) {
	if c, ok := w.Categories[strings.TrimSpace(code)]; ok {
		return c, nil
	}
	return CategoryByCode(ctx, db, code)
}

// Loaded reports whether the world holds any stations (a zero RouteWorld
// does not).
func (w RouteWorld) Loaded() bool { return w.Stations != nil }

// RouteInput is everything a voter told us about where their opinion belongs.
type RouteInput struct {
	// Code is a scanned deputy, station or board code (any case); unknown,
	// revoked, expired or malformed codes are ignored.
	Code string
	// StationID is a station the voter picked explicitly (0 = none).
	StationID uint64
	// CommunityID is the voter's community (0 = none).
	CommunityID uint64
	// Point is the voter's location, if shared.
	Point *Point
	// Category is the category code, e.g. "lifa".
	Category string
	// Exclude lists stations that must not be chosen (after a 退办).
	Exclude []uint64
	// At is the time of routing, used for code expiry; zero ignores expiry.
	At time.Time
}

// RouteResult is the station an opinion goes to and why.
type RouteResult struct {
	// StationID is 0 for the congress office queue.
	StationID uint64
	// Rule is one of the Rule* constants.
	Rule string
	// Reason explains the choice to the voter, in Chinese.
	Reason string
	// DeputyID is the deputy whose code was scanned, when still serving.
	DeputyID uint64
}

// Route picks the station for an opinion. It is pure. The rules, first match
// wins:
//
//  1. the scanned code: a deputy's station (a retired deputy's former
//     station), or the code's station;
//  2. the category's override: 立法意见 goes to the legislative point nearest
//     to the voter's location, else to the chosen station's or community's
//     station, else to any legislative point;
//  3. the station the voter chose explicitly;
//  4. the chosen community's station;
//  5. the nearest station within the radius of the voter's location;
//  6. the congress office queue (StationID 0).
//
// The explicit station comes after the category override because picking a
// station in the mini-program says where the voter is, while the category
// says who can answer: a draft-law opinion handed to a village station would
// only be passed on. A scanned code beats both: the voter addressed a
// particular deputy or station. Stations in in.Exclude are skipped by every
// rule.
func Route(in RouteInput, w RouteWorld) RouteResult {
	usable := func(id uint64) (Station, bool) {
		st, ok := w.Stations[id]
		if !ok || id == 0 || slices.Contains(in.Exclude, id) {
			return Station{}, false
		}
		return st, true
	}

	// 1. The scanned code.
	if code, ok := NormalizeCode(in.Code); ok {
		if c, ok := w.Codes[code]; ok && c.Kind != CodeStaffInvite && !c.Revoked &&
			(c.ExpiresAt == nil || in.At.IsZero() || in.At.Before(*c.ExpiresAt)) {
			switch c.TargetKind {
			case CodeDeputy:
				if d, ok := w.Deputies[c.TargetID]; ok {
					if st, ok := usable(d.StationID); ok {
						if d.Status == DeputyRetired {
							return RouteResult{StationID: st.ID, Rule: RuleCodeRetiredDeputy,
								Reason: fmt.Sprintf("%s代表已不再担任代表职务，您的意见由其原所在的%s办理", d.Name, st.Name)}
						}
						return RouteResult{StationID: st.ID, Rule: RuleCodeDeputy, DeputyID: d.ID,
							Reason: fmt.Sprintf("您扫描了%s代表的二维码，意见由其所在的%s办理", d.Name, st.Name)}
					}
				}
			case CodeStation:
				if st, ok := usable(c.TargetID); ok {
					return RouteResult{StationID: st.ID, Rule: RuleCodeStation,
						Reason: fmt.Sprintf("您扫描了%s的二维码，意见由该站办理", st.Name)}
				}
			}
		}
	}

	chosen, hasChosen := usable(in.StationID)
	var community Community
	var commStation Station
	hasCommunity := false
	if c, ok := w.Communities[in.CommunityID]; ok && in.CommunityID != 0 {
		community = c
		commStation, hasCommunity = usable(c.StationID)
	}

	// 2. The category's override.
	overrides := w.CategoryOverrides
	if overrides == nil {
		overrides = DefaultCategoryOverrides
	}
	if kind, ok := overrides[in.Category]; ok {
		var cands []Station
		for _, id := range sortedStationIDs(w) {
			if st, ok := usable(id); ok && st.Kind == kind {
				cands = append(cands, st)
			}
		}
		if len(cands) > 0 {
			label := kind.Label()
			var from *Point
			var where string
			switch {
			case in.Point != nil:
				from, where = in.Point, "距您最近的"
			case hasChosen:
				from, where = &Point{chosen.Lat, chosen.Lng}, "距您所选的"+chosen.Name+"最近的"
			case hasCommunity:
				from, where = &Point{commStation.Lat, commStation.Lng}, "距"+community.Name+"最近的"
			}
			if from == nil {
				st := cands[0]
				return RouteResult{StationID: st.ID, Rule: RuleCategory,
					Reason: fmt.Sprintf("此类意见由%s办理，已交%s", label, st.Name)}
			}
			st, _ := nearest(cands, *from)
			return RouteResult{StationID: st.ID, Rule: RuleCategory,
				Reason: fmt.Sprintf("此类意见由%s办理，已交%s%s", label, where, st.Name)}
		}
	}

	// 3. The station the voter chose.
	if hasChosen {
		return RouteResult{StationID: chosen.ID, Rule: RuleChosenStation,
			Reason: fmt.Sprintf("您选择了%s，意见由该站办理", chosen.Name)}
	}

	// 4. The chosen community's station.
	if hasCommunity {
		return RouteResult{StationID: commStation.ID, Rule: RuleCommunity,
			Reason: fmt.Sprintf("%s由%s联系服务，意见由该站办理", community.Name, commStation.Name)}
	}

	// 5. The nearest station within the radius.
	if in.Point != nil {
		radius := w.RadiusM
		if radius <= 0 {
			radius = DefaultRouteRadiusM
		}
		var cands []Station
		for _, id := range sortedStationIDs(w) {
			if st, ok := usable(id); ok {
				cands = append(cands, st)
			}
		}
		if st, d := nearest(cands, *in.Point); len(cands) > 0 && d <= radius {
			return RouteResult{StationID: st.ID, Rule: RuleNearest,
				Reason: fmt.Sprintf("%s距您约%d米，是最近的联络站，意见由该站办理", st.Name, int(math.Round(d)))}
		}
	}

	// 6. The congress office.
	return RouteResult{StationID: 0, Rule: RuleOffice,
		Reason: "暂时无法确定您所在的联络站，意见由" + OfficeName + "统一受理并分派"}
}

// nearest returns the station closest to p (the first on a tie) and its
// distance; cands must not be empty for the result to mean anything.
func nearest(cands []Station, p Point) (Station, float64) {
	best, bestD := Station{}, math.Inf(1)
	for _, st := range cands {
		if d := DistanceM(p, Point{st.Lat, st.Lng}); d < bestD {
			best, bestD = st, d
		}
	}
	return best, bestD
}

// sortedStationIDs lists the world's stations by id, so ties break the same
// way every time.
func sortedStationIDs(w RouteWorld) []uint64 {
	ids := make([]uint64, 0, len(w.Stations))
	for id := range w.Stations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// LoadRouteWorld reads the stations, communities, deputies and deputy,
// station and board codes. A county holds a few hundred rows of each, so the
// result is small enough to cache (see RouteWorldCache).
func LoadRouteWorld(ctx context.Context, db *gorm.DB) (RouteWorld, error) {
	db = db.WithContext(ctx)
	var stations []Station
	var comms []Community
	var deps []Deputy
	var codes []Code
	if err := db.Find(&stations).Error; err != nil {
		return RouteWorld{}, translate(err)
	}
	if err := db.Find(&comms).Error; err != nil {
		return RouteWorld{}, translate(err)
	}
	if err := db.Find(&deps).Error; err != nil {
		return RouteWorld{}, translate(err)
	}
	if err := db.Omit("WXACode").Where("kind IN ?", []CodeKind{CodeDeputy, CodeStation, CodeBoard}).
		Find(&codes).Error; err != nil {
		return RouteWorld{}, translate(err)
	}
	var cats []Category
	if err := db.Find(&cats).Error; err != nil {
		return RouteWorld{}, translate(err)
	}
	cal, err := LoadCalendar(ctx, db)
	if err != nil {
		return RouteWorld{}, err
	}
	w := RouteWorld{
		Stations:    make(map[uint64]Station, len(stations)),
		Communities: make(map[uint64]Community, len(comms)),
		Deputies:    make(map[uint64]Deputy, len(deps)),
		Codes:       make(map[string]Code, len(codes)),
		Categories:  make(map[string]Category, len(cats)),
		Calendar:    cal,
	}
	for _, c := range cats {
		w.Categories[c.Code] = c
	}
	for _, s := range stations {
		w.Stations[s.ID] = s
	}
	for _, c := range comms {
		w.Communities[c.ID] = c
	}
	for _, d := range deps {
		w.Deputies[d.ID] = d
	}
	for _, c := range codes {
		w.Codes[c.Code] = c
	}
	return w, nil
}

// RouteWorldCache keeps a loaded RouteWorld for TTL. It is safe for
// concurrent use. Stations, communities, deputies and codes change through
// the console's management pages, which Invalidate the cache at once, and
// through the command line and the demo loader, in another process, whose
// change reaches a running server when its TTL runs out; FileOpinion
// reloads sooner when a voter names a station or community it lacks.
type RouteWorldCache struct {
	TTL     time.Duration
	RadiusM float64

	mu     sync.Mutex
	world  RouteWorld
	loaded time.Time
}

// Invalidate drops the cached world, so the next Get loads it again: call
// it after changing stations, communities, deputies or codes in this
// process (the management pages do).
func (c *RouteWorldCache) Invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.world, c.loaded = RouteWorld{}, time.Time{}
	c.mu.Unlock()
}

// GetFor is Get for a filing that names stationID and communityID (0:
// none): a cached world that lacks one that exists in db is reloaded and
// cached, so that filings at a station created in another process since
// the load do not each reload the world (ensureInWorld).
func (c *RouteWorldCache) GetFor(ctx context.Context, db *gorm.DB, stationID, communityID uint64) (RouteWorld, error) {
	w, err := c.Get(ctx, db)
	if err != nil {
		return w, err
	}
	if reload, err := namedExist(db.WithContext(ctx), w, stationID, communityID); err != nil || !reload {
		return w, nil // an error: the filing answers it
	}
	c.Invalidate()
	return c.Get(ctx, db)
}

// Get returns the cached world, reloading it when older than TTL (default
// 5 minutes).
func (c *RouteWorldCache) Get(ctx context.Context, db *gorm.DB) (RouteWorld, error) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.world.Loaded() && time.Since(c.loaded) < ttl {
		return c.world, nil
	}
	w, err := LoadRouteWorld(ctx, db)
	if err != nil {
		return RouteWorld{}, err
	}
	w.RadiusM = c.RadiusM
	c.world, c.loaded = w, time.Now()
	return w, nil
}
