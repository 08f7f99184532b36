package models_test

import (
	"testing"
	"time"

	"deputylink/models"
)

// rtWorld is a small hand-made county for the routing table.
func rtWorld() models.RouteWorld {
	expired := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := func(id uint64, kind models.StationKind, name string, lat, lng float64) models.Station {
		return models.Station{ID: id, Kind: kind, Name: name, Lat: lat, Lng: lng}
	}
	w := models.RouteWorld{
		Stations: map[uint64]models.Station{
			1: st(1, models.KindHome, "城关镇人大代表之家", 30.2684, 120.1482),
			2: st(2, models.KindStation, "东门社区代表联络站", 30.2712, 120.1565),
			3: st(3, models.KindLegislative, "东溪街道基层立法联系点", 30.2820, 120.1905),
			4: st(4, models.KindStation, "白沙镇代表联络站", 30.1982, 120.0785),
			5: st(5, models.KindLegislative, "白沙立法联系点", 30.1865, 120.0620),
		},
		Communities: map[uint64]models.Community{
			10: {ID: 10, Name: "东门社区", StationID: 2},
			11: {ID: 11, Name: "溪东社区", StationID: 3},
			12: {ID: 12, Name: "失联社区", StationID: 99},
			13: {ID: 13, Name: "白沙社区", StationID: 4},
		},
		Deputies: map[uint64]models.Deputy{
			100: {ID: 100, Name: "王桂英", StationID: 2, Status: models.DeputyActive},
			101: {ID: 101, Name: "钟水生", StationID: 4, Status: models.DeputyRetired},
			102: {ID: 102, Name: "无站代表", StationID: 77, Status: models.DeputyActive},
		},
		Codes: map[string]models.Code{
			"AAAAAAAA": {Code: "AAAAAAAA", Kind: models.CodeDeputy, TargetKind: models.CodeDeputy, TargetID: 100},
			"BBBBBBBB": {Code: "BBBBBBBB", Kind: models.CodeDeputy, TargetKind: models.CodeDeputy, TargetID: 101},
			"CCCCCCCC": {Code: "CCCCCCCC", Kind: models.CodeStation, TargetKind: models.CodeStation, TargetID: 3},
			"DDDDDDDD": {Code: "DDDDDDDD", Kind: models.CodeDeputy, TargetKind: models.CodeDeputy, TargetID: 100, Revoked: true},
			"EEEEEEEE": {Code: "EEEEEEEE", Kind: models.CodeStaffInvite, TargetKind: models.CodeStation, TargetID: 2},
			"FFFFFFFF": {Code: "FFFFFFFF", Kind: models.CodeBoard, TargetKind: models.CodeStation, TargetID: 4},
			"GGGGGGGG": {Code: "GGGGGGGG", Kind: models.CodeStation, TargetKind: models.CodeStation, TargetID: 2, ExpiresAt: &expired},
			"HHHHHHHH": {Code: "HHHHHHHH", Kind: models.CodeDeputy, TargetKind: models.CodeDeputy, TargetID: 102},
		},
	}
	return w
}

// rtSouthOf returns the point metres due south of p.
func rtSouthOf(p models.Point, metres float64) models.Point {
	return models.Point{Lat: p.Lat - metres/111195.0, Lng: p.Lng}
}

func TestRouteTable(t *testing.T) {
	w := rtWorld()
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	pt := func(lat, lng float64) *models.Point { return &models.Point{Lat: lat, Lng: lng} }
	nearCG := pt(30.2690, 120.1480)    // a few metres from 城关 (1)
	nearBS := pt(30.1900, 120.0700)    // 白沙, nearer 5 than 3
	farAway := pt(31.2000, 121.4000)   // well beyond any radius
	atDongmen := pt(30.2712, 120.1565) // exactly at 东门 (2)

	// The radius edge: a point south of 白沙 (4), with the radius set to its
	// exact distance (inclusive) and a metre less.
	edge := rtSouthOf(models.Point{Lat: 30.1982, Lng: 120.0785}, 500)
	edgeD := models.DistanceM(edge, models.Point{Lat: 30.1982, Lng: 120.0785})
	wIn, wOut := rtWorld(), rtWorld()
	wIn.RadiusM, wOut.RadiusM = edgeD, edgeD-1
	noLegis := rtWorld()
	delete(noLegis.Stations, 3)
	delete(noLegis.Stations, 5)
	custom := rtWorld()
	custom.CategoryOverrides = map[string]models.StationKind{"qita": models.KindHome}

	cases := []struct {
		name    string
		w       models.RouteWorld
		in      models.RouteInput
		station uint64
		rule    string
		deputy  uint64
	}{
		{"deputy code", w, models.RouteInput{Code: "AAAAAAAA"}, 2, models.RuleCodeDeputy, 100},
		{"deputy code in lower case with spaces", w, models.RouteInput{Code: " aaaaaaaa "}, 2, models.RuleCodeDeputy, 100},
		{"retired deputy goes to their station", w, models.RouteInput{Code: "BBBBBBBB"}, 4, models.RuleCodeRetiredDeputy, 0},
		{"station code", w, models.RouteInput{Code: "CCCCCCCC"}, 3, models.RuleCodeStation, 0},
		{"board code shows a station", w, models.RouteInput{Code: "FFFFFFFF"}, 4, models.RuleCodeStation, 0},
		{"revoked code falls through to the community", w, models.RouteInput{Code: "DDDDDDDD", CommunityID: 10}, 2, models.RuleCommunity, 0},
		{"staff invite code is not a route", w, models.RouteInput{Code: "EEEEEEEE"}, 0, models.RuleOffice, 0},
		{"unknown code falls through to location", w, models.RouteInput{Code: "ZZZZZZZZ", Point: nearCG}, 1, models.RuleNearest, 0},
		{"expired code falls through", w, models.RouteInput{Code: "GGGGGGGG", At: at}, 0, models.RuleOffice, 0},
		{"malformed code falls through", w, models.RouteInput{Code: "12", CommunityID: 11}, 3, models.RuleCommunity, 0},
		{"deputy without a known station falls through", w, models.RouteInput{Code: "HHHHHHHH"}, 0, models.RuleOffice, 0},
		{"code beats everything", w, models.RouteInput{Code: "CCCCCCCC", Category: "lifa", StationID: 4, CommunityID: 10, Point: nearBS}, 3, models.RuleCodeStation, 0},
		{"lifa: nearest legislative point to the voter", w, models.RouteInput{Category: "lifa", Point: nearBS, CommunityID: 10}, 5, models.RuleCategory, 0},
		{"lifa: near 城关 the 东溪 point", w, models.RouteInput{Category: "lifa", Point: nearCG}, 3, models.RuleCategory, 0},
		{"lifa without location: community's station decides", w, models.RouteInput{Category: "lifa", CommunityID: 13}, 5, models.RuleCategory, 0},
		{"lifa without location: chosen station decides", w, models.RouteInput{Category: "lifa", StationID: 4}, 5, models.RuleCategory, 0},
		{"lifa with nothing: any legislative point", w, models.RouteInput{Category: "lifa"}, 3, models.RuleCategory, 0},
		{"lifa beats the chosen station", w, models.RouteInput{Category: "lifa", StationID: 1, Point: nearCG}, 3, models.RuleCategory, 0},
		{"lifa without legislative points falls through", noLegis, models.RouteInput{Category: "lifa", CommunityID: 10}, 2, models.RuleCommunity, 0},
		{"custom override", custom, models.RouteInput{Category: "qita", CommunityID: 10}, 1, models.RuleCategory, 0},
		{"chosen station beats community", w, models.RouteInput{StationID: 4, CommunityID: 10}, 4, models.RuleChosenStation, 0},
		{"unknown chosen station is ignored", w, models.RouteInput{StationID: 99, CommunityID: 10}, 2, models.RuleCommunity, 0},
		{"community beats location", w, models.RouteInput{CommunityID: 10, Point: nearBS}, 2, models.RuleCommunity, 0},
		{"community with unknown station falls to location", w, models.RouteInput{CommunityID: 12, Point: nearCG}, 1, models.RuleNearest, 0},
		{"nearest station at its door", w, models.RouteInput{Point: atDongmen, Category: "shenghuo"}, 2, models.RuleNearest, 0},
		{"radius edge is inclusive", wIn, models.RouteInput{Point: &edge}, 4, models.RuleNearest, 0},
		{"a metre beyond the radius is the office", wOut, models.RouteInput{Point: &edge}, 0, models.RuleOffice, 0},
		{"far away is the office", w, models.RouteInput{Point: farAway}, 0, models.RuleOffice, 0},
		{"nothing at all is the office", w, models.RouteInput{Category: "shenghuo"}, 0, models.RuleOffice, 0},
		{"excluded code station falls through", w, models.RouteInput{Code: "AAAAAAAA", CommunityID: 11, Exclude: []uint64{2}}, 3, models.RuleCommunity, 0},
		{"excluded nearest picks the next one", w, models.RouteInput{Point: atDongmen, Exclude: []uint64{2}}, 1, models.RuleNearest, 0},
		{"excluded legislative point picks the other", w, models.RouteInput{Category: "lifa", Point: nearBS, Exclude: []uint64{5}}, 3, models.RuleCategory, 0},
	}
	if len(cases) < 15 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := models.Route(c.in, c.w)
			if got.StationID != c.station || got.Rule != c.rule || got.DeputyID != c.deputy {
				t.Fatalf("Route = station %d rule %s deputy %d (%s); want station %d rule %s deputy %d",
					got.StationID, got.Rule, got.DeputyID, got.Reason, c.station, c.rule, c.deputy)
			}
			if got.Reason == "" {
				t.Fatal("no reason")
			}
		})
	}
}

// The reasons name what the voter will recognise.
func TestRouteReasons(t *testing.T) {
	w := rtWorld()
	for _, c := range []struct {
		in   models.RouteInput
		want string
	}{
		{models.RouteInput{Code: "AAAAAAAA"}, "您扫描了王桂英代表的二维码，意见由其所在的东门社区代表联络站办理"},
		{models.RouteInput{Code: "BBBBBBBB"}, "钟水生代表已不再担任代表职务，您的意见由其原所在的白沙镇代表联络站办理"},
		{models.RouteInput{CommunityID: 10}, "东门社区由东门社区代表联络站联系服务，意见由该站办理"},
		{models.RouteInput{Category: "lifa"}, "此类意见由基层立法联系点办理，已交东溪街道基层立法联系点"},
		{models.RouteInput{}, "暂时无法确定您所在的联络站，意见由人大常委会办公室统一受理并分派"},
	} {
		if got := models.Route(c.in, w).Reason; got != c.want {
			t.Errorf("reason = %q, want %q", got, c.want)
		}
	}
	if got := models.Route(models.RouteInput{}, models.RouteWorld{}); got.Rule != models.RuleOffice {
		t.Errorf("empty world: %+v", got)
	}
}
