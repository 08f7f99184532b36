package models

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"
)

// DemoCounts counts demo rows of each kind.
type DemoCounts struct {
	Stations    int
	Communities int
	Deputies    int
	Codes       int
	Categories  int
	Departments int
	Staff       int
	Groups      int
}

// Sum is the number of rows of all kinds.
func (c DemoCounts) Sum() int {
	return c.Stations + c.Communities + c.Deputies + c.Codes + c.Categories + c.Departments + c.Staff + c.Groups
}

// DemoStats reports what LoadDemo did. The embedded DemoCounts are the demo
// rows in the database afterwards (st.Stations is the number of demo
// stations); New and Present split them into the rows this run created and
// the rows that were already there and were left as they were.
type DemoStats struct {
	DemoCounts
	New     DemoCounts
	Present DemoCounts
}

// Created is the number of rows this run created; 0 on a second run.
func (s DemoStats) Created() int { return s.New.Sum() }

// String summarises the stats for logs and the command line.
func (s DemoStats) String() string {
	return fmt.Sprintf("stations %d, communities %d, deputies %d, codes %d, categories %d, departments %d, staff %d, groups %d (%d created, %d already present)",
		s.Stations, s.Communities, s.Deputies, s.Codes, s.Categories, s.Departments, s.Staff, s.Groups, s.Created(), s.Present.Sum())
}

// sub returns c minus o, kind by kind.
func (c DemoCounts) sub(o DemoCounts) DemoCounts {
	return DemoCounts{
		Stations: c.Stations - o.Stations, Communities: c.Communities - o.Communities,
		Deputies: c.Deputies - o.Deputies, Codes: c.Codes - o.Codes, Categories: c.Categories - o.Categories,
		Departments: c.Departments - o.Departments, Staff: c.Staff - o.Staff, Groups: c.Groups - o.Groups,
	}
}

// demoTotals counts the demo data set: every demo row, and one code for each
// deputy and station.
func demoTotals() DemoCounts {
	return DemoCounts{
		Stations: len(demoStations), Communities: len(demoCommunities), Deputies: len(demoDeputies),
		Codes: len(demoStations) + len(demoDeputies), Categories: len(demoCategories),
		Departments: len(demoDepartments), Staff: len(demoStaffRows), Groups: len(demoGroups),
	}
}

// b2i counts a created row.
func b2i(created bool) int {
	if created {
		return 1
	}
	return 0
}

// LoadDemo loads the fictional county DemoCountyName: stations, communities,
// deputies with their codes, opinion categories, departments and a few staff.
//
// It is deterministic and idempotent: rows are matched by their unique name
// (categories by code, staff by name and role), rows that exist are left as
// they are, and a second run creates nothing. Deputy and station codes are
// derived from the row's name (see DemoSampleCodes), so the same demo code
// works on every fresh install. Everything happens in one transaction.
func LoadDemo(ctx context.Context, db *gorm.DB) (DemoStats, error) {
	var created DemoCounts
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		created = DemoCounts{}
		return loadDemo(ctx, tx, &created)
	})
	if err != nil {
		return DemoStats{}, fmt.Errorf("load demo data: %w", err)
	}
	total := demoTotals()
	return DemoStats{DemoCounts: total, New: created, Present: total.sub(created)}, nil
}

// loadDemo writes the demo tables in order and counts the rows it creates.
func loadDemo(ctx context.Context, tx *gorm.DB, n *DemoCounts) error {
	stationIDs := make(map[string]uint64, len(demoStations))
	stationDistrict := make(map[string]string, len(demoStations))
	for _, d := range demoStations {
		row := Station{
			Kind: d.Kind, Name: d.Name, Address: d.Address, District: d.District,
			Lat: d.Lat, Lng: d.Lng, OpenHours: d.OpenHours, Phone: d.Phone,
		}
		created, err := demoEnsure(tx, &row, "name = ?", d.Name)
		if err != nil {
			return fmt.Errorf("station %s: %w", d.Name, err)
		}
		n.Stations += b2i(created)
		stationIDs[d.Name], stationDistrict[d.Name] = row.ID, d.District
		created, err = demoEnsureCode(tx, CodeStation, row.ID, "station:"+d.Name)
		if err != nil {
			return fmt.Errorf("station %s: code: %w", d.Name, err)
		}
		n.Codes += b2i(created)
	}

	for _, d := range demoCommunities {
		sid, ok := stationIDs[d.Station]
		if !ok {
			return fmt.Errorf("community %s: unknown station %q", d.Name, d.Station)
		}
		row := Community{Name: d.Name, Aliases: d.Aliases, StationID: sid, District: stationDistrict[d.Station]}
		created, err := demoEnsure(tx, &row, "name = ?", d.Name)
		if err != nil {
			return fmt.Errorf("community %s: %w", d.Name, err)
		}
		n.Communities += b2i(created)
	}

	for _, d := range demoDeputies {
		sid, ok := stationIDs[d.Station]
		if !ok {
			return fmt.Errorf("deputy %s: unknown station %q", d.Name, d.Station)
		}
		row := Deputy{
			Name: d.Name, Level: d.Level, StationID: sid, Bio: d.Bio,
			Status: DeputyActive, Term: demoTerms[d.Level],
			// No photos ship with the demo; the mini-program shows its default avatar.
			PhotoURL: "",
		}
		if d.Retired {
			row.Status = DeputyRetired
		}
		created, err := demoEnsure(tx, &row, "name = ?", d.Name)
		if err != nil {
			return fmt.Errorf("deputy %s: %w", d.Name, err)
		}
		n.Deputies += b2i(created)
		created, err = demoEnsureCode(tx, CodeDeputy, row.ID, "deputy:"+d.Name)
		if err != nil {
			return fmt.Errorf("deputy %s: code: %w", d.Name, err)
		}
		n.Codes += b2i(created)
	}

	fixed, err := demoCorrect(tx)
	if err != nil {
		return err
	}

	groups, err := demoEnsureGroups(tx)
	if err != nil {
		return err
	}
	n.Groups += groups

	for _, c := range demoCategories {
		row := c // never hand the package-level table to gorm, which writes ids back
		created, err := demoEnsure(tx, &row, "code = ?", c.Code)
		if err != nil {
			return fmt.Errorf("category %s: %w", c.Code, err)
		}
		n.Categories += b2i(created)
	}

	for _, d := range demoDepartments {
		row := d
		created, err := demoEnsure(tx, &row, "name = ?", d.Name)
		if err != nil {
			return fmt.Errorf("department %s: %w", d.Name, err)
		}
		n.Departments += b2i(created)
	}

	for _, d := range demoStaffRows {
		created, err := demoEnsureStaff(tx, d, stationIDs)
		if err != nil {
			return fmt.Errorf("staff %s: %w", d.Name, err)
		}
		n.Staff += b2i(created)
	}

	if n.Sum() == 0 && fixed == 0 {
		return nil // nothing changed, so nothing to audit
	}
	note := fmt.Sprintf("演示数据（%s）：新建%d条，更正%d条", DemoCountyName, n.Sum(), fixed)
	return Audit(ctx, tx, tx.NowFunc(), SystemActor, "demo.load", "demo", 0, "", "", note)
}

// demoCorrect brings rows an earlier demo wrote up to date, before the
// categories are ensured: a renamed category keeps its row (and its
// opinions) under the new code and name, and deputies at a street's
// stations recorded as township deputies become the county deputies the
// table says they are (a street elects no township congress). It returns
// how many rows it changed; a second run changes none.
func demoCorrect(tx *gorm.DB) (int, error) {
	fixed := 0
	for old, code := range demoRenamedCategories {
		var want Category
		for _, c := range demoCategories {
			if c.Code == code {
				want = c
			}
		}
		var n int64
		if err := tx.Model(&Category{}).Where("code = ?", code).Count(&n).Error; err != nil {
			return fixed, translate(err)
		}
		if n > 0 {
			continue
		}
		res := tx.Model(&Category{}).Where("code = ?", old).
			Updates(map[string]any{"code": code, "name": want.Name, "hint": want.Hint})
		if res.Error != nil {
			return fixed, translate(res.Error)
		}
		fixed += int(res.RowsAffected)
	}
	for _, d := range demoDeputies {
		if d.Level == LevelTownship {
			continue
		}
		res := tx.Model(&Deputy{}).Where("name = ? AND level = ?", d.Name, LevelTownship).
			Updates(map[string]any{"level": d.Level, "term": demoTerms[d.Level]})
		if res.Error != nil {
			return fixed, translate(res.Error)
		}
		fixed += int(res.RowsAffected)
	}
	return fixed, nil
}

// demoEnsureGroups creates the demo's deputy groups that are missing, with
// their members (the deputies whose demo row names the group, and the
// group's extra members) and leader, and rewrites the demo deputies' group
// text (Deputy.Group) from their memberships (a text an earlier demo wrote
// by hand is corrected). A group that exists is left
// as it is: the office may have changed it. It returns how many groups it
// created.
func demoEnsureGroups(tx *gorm.DB) (int, error) {
	ids := map[string]uint64{}
	names := make([]string, len(demoDeputies))
	for i, d := range demoDeputies {
		names[i] = d.Name
	}
	var ds []Deputy
	if err := tx.Select("id", "name").Where("name IN ?", names).Find(&ds).Error; err != nil {
		return 0, translate(err)
	}
	for _, d := range ds {
		ids[d.Name] = d.ID
	}
	created := 0
	all := make([]uint64, 0, len(ds))
	for _, d := range ds {
		all = append(all, d.ID)
	}
	for _, g := range demoGroups {
		var n int64
		if err := tx.Model(&DeputyGroup{}).Where("name = ?", g.Name).Count(&n).Error; err != nil {
			return created, translate(err)
		}
		if n > 0 {
			continue
		}
		members := slices.Clone(g.Extra)
		for _, d := range demoDeputies {
			if d.Group == g.Name && !slices.Contains(members, d.Name) {
				members = append(members, d.Name)
			}
		}
		leader, ok := ids[g.Leader]
		if !ok || !slices.Contains(members, g.Leader) {
			return created, fmt.Errorf("group %s: leader %s is not a member", g.Name, g.Leader)
		}
		row := DeputyGroup{Name: g.Name, Township: g.Township, LeaderID: &leader}
		if err := tx.Omit("Members").Create(&row).Error; err != nil {
			return created, fmt.Errorf("group %s: %w", g.Name, translate(err))
		}
		created++
		for _, m := range members {
			id, ok := ids[m]
			if !ok {
				return created, fmt.Errorf("group %s: unknown deputy %s", g.Name, m)
			}
			if err := tx.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", row.ID, id).Error; err != nil {
				return created, translate(err)
			}
		}
	}
	return created, syncDeputyGroupText(tx, all)
}

// demoEnsure loads the row matching where into row, or creates row if there
// is none. It reports whether it created the row.
func demoEnsure[T any](tx *gorm.DB, row *T, where string, args ...any) (bool, error) {
	var found T
	res := tx.Where(where, args...).Limit(1).Find(&found)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	if res.RowsAffected > 0 {
		*row = found
		return false, nil
	}
	if err := tx.Create(row).Error; err != nil {
		return false, translate(err)
	}
	return true, nil
}

// demoEnsureStaff creates a staff member without a console account or openid,
// linked to their station.
func demoEnsureStaff(tx *gorm.DB, d demoStaff, stationIDs map[string]uint64) (bool, error) {
	var n int64
	if err := tx.Model(&Staff{}).Where("name = ? AND role = ?", d.Name, d.Role).Count(&n).Error; err != nil {
		return false, translate(err)
	}
	if n > 0 {
		return false, nil
	}
	row := Staff{Name: d.Name, Role: d.Role, Active: true}
	if d.Station != "" {
		sid, ok := stationIDs[d.Station]
		if !ok {
			return false, fmt.Errorf("unknown station %q", d.Station)
		}
		row.Stations = []Station{{ID: sid}}
	}
	// "Stations.*" omitted: link the existing station, don't upsert it.
	if err := tx.Omit("Stations.*").Create(&row).Error; err != nil {
		return false, translate(err)
	}
	return true, nil
}

// demoEnsureCode gives the target its derived code unless it already has a
// live code of that kind. It reports whether it created one.
func demoEnsureCode(tx *gorm.DB, kind CodeKind, targetID uint64, seed string) (bool, error) {
	var n int64
	err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND revoked = ?", kind, targetID, false).Count(&n).Error
	if err != nil {
		return false, translate(err)
	}
	if n > 0 {
		return false, nil
	}
	// A taken code (about one in 10^11 per code) moves on to the next
	// attempt's code, so the outcome still depends only on the data.
	for attempt := range 100 {
		code := demoCode(seed, attempt)
		if err := tx.Model(&Code{}).Where("code = ?", code).Count(&n).Error; err != nil {
			return false, translate(err)
		}
		if n > 0 {
			continue
		}
		row := Code{Code: code, Kind: kind, TargetKind: kind, TargetID: targetID}
		if err := tx.Create(&row).Error; err != nil {
			return false, translate(err)
		}
		return true, nil
	}
	return false, fmt.Errorf("no free code for %s", seed)
}

// demoCode derives a code from a seed such as "deputy:沈国良": the first 8
// bytes of SHA-256(seed, or seed#attempt after a collision) read as base-31
// digits over CodeAlphabet. 31^8 is far below 2^64, so the digits are
// near-uniform.
func demoCode(seed string, attempt int) string {
	if attempt > 0 {
		seed += "#" + strconv.Itoa(attempt)
	}
	sum := sha256.Sum256([]byte(seed))
	n := binary.BigEndian.Uint64(sum[:8])
	b := make([]byte, CodeLen)
	for i := range b {
		b[i] = CodeAlphabet[n%uint64(len(CodeAlphabet))]
		n /= uint64(len(CodeAlphabet))
	}
	return string(b)
}

// DemoSampleCodes returns the codes LoadDemo gives the first demo deputy
// (沈国良, a provincial deputy at 城关镇人大代表之家) and the first demo station
// (城关镇人大代表之家), for README examples and tests. They hold on any
// database where LoadDemo created those codes; a database where the rows
// already had codes, or where a code was taken, has others (see PrimaryCodes).
func DemoSampleCodes() (deputyCode, stationCode string) {
	return demoCode("deputy:"+demoDeputies[0].Name, 0), demoCode("station:"+demoStations[0].Name, 0)
}
