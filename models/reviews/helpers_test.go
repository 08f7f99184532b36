package reviews_test

import (
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"

	"gorm.io/gorm"
)

// cst is the county's time zone.
var cst = time.FixedZone("CST", 8*3600)

// at is a local time on 2026-12-<day>.
func at(day, hour, minute int) time.Time { return time.Date(2026, 12, day, hour, minute, 0, 0, cst) }

// county is a small county: two townships with a station each, county
// deputies, township deputies of both townships, a city deputy, a retired
// county deputy and three departments.
type county struct {
	db                        *gorm.DB
	office, chengguan, xizhen models.ManageScope
	countyDeps                []models.Deputy // serving county deputies
	townDeps                  []models.Deputy // 城关镇 township deputies
	westDep, cityDep, retired models.Deputy
	depts                     []models.Department
	keyer                     *reviews.Keyer
	stationTown, stationWest  models.Station
}

func newCounty(t *testing.T) *county {
	t.Helper()
	c := &county{db: modelstest.NewDB(t), keyer: reviews.NewKeyer([]byte("0123456789abcdef0123456789abcdef"))}
	c.office = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 1}, All: true}
	c.chengguan = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 2}, Township: "城关镇"}
	c.xizhen = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 3}, Township: "西镇"}
	c.stationTown = models.Station{Kind: models.KindStation, Name: "东门社区代表联络站", Address: "东门路1号", District: "城关镇", OpenHours: "周一至周五"}
	c.stationWest = models.Station{Kind: models.KindStation, Name: "西镇代表联络站", Address: "西路9号", District: "西镇", OpenHours: "周三"}
	must(t, c.db.Create(&c.stationTown).Error)
	must(t, c.db.Create(&c.stationWest).Error)
	dep := func(name string, level models.Level, st models.Station, status models.DeputyStatus) models.Deputy {
		d := models.Deputy{Name: name, Level: level, StationID: st.ID, Status: status, Term: "第十八届", Duties: name + "的职务"}
		must(t, c.db.Create(&d).Error)
		return d
	}
	for i, n := range []string{"张秀兰", "王建国", "李明华"} {
		st := c.stationTown
		if i == 2 {
			st = c.stationWest // a county deputy of the other township is still the county's
		}
		c.countyDeps = append(c.countyDeps, dep(n, models.LevelCounty, st, models.DeputyActive))
	}
	for _, n := range []string{"陈桂英", "刘志强"} {
		c.townDeps = append(c.townDeps, dep(n, models.LevelTownship, c.stationTown, models.DeputyActive))
	}
	c.westDep = dep("赵淑芬", models.LevelTownship, c.stationWest, models.DeputyActive)
	c.cityDep = dep("孙立新", models.LevelCity, c.stationTown, models.DeputyActive)
	c.retired = dep("周永福", models.LevelCounty, c.stationTown, models.DeputyRetired)
	for _, n := range []string{"县住房和城乡建设局", "县交通运输局", "县教育局"} {
		d := models.Department{Name: n, Contact: "联系人", Phone: "0571-00000000"}
		must(t, c.db.Create(&d).Error)
		c.depts = append(c.depts, d)
	}
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids[T any](xs []T, id func(T) uint64) []uint64 {
	out := make([]uint64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func depIDs(ds ...models.Deputy) []uint64 {
	return ids(ds, func(d models.Deputy) uint64 { return d.ID })
}

// meeting is a review of deputies at a meeting on 2026-12-20, 15:00-17:00.
func meeting(subjects []uint64, slips int) reviews.NewReview {
	return reviews.NewReview{
		Kind: models.ReviewOfDeputies, Title: "2026年度县人大代表向选民述职评议会", Date: "2026-12-20", Place: "东门社区会议室",
		OpensAt: at(20, 15, 0), ClosesAt: at(20, 17, 0), SubjectIDs: subjects, Slips: slips,
	}
}

// create opens a review or fails the test.
func (c *county) create(t testing.TB, sc models.ManageScope, in reviews.NewReview) models.Review {
	t.Helper()
	r, err := reviews.Create(t.Context(), c.db, sc, in, at(1, 9, 0))
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	return r
}

// slips are the codes of a review's slips.
func (c *county) slips(t testing.TB, sc models.ManageScope, id uint64) []string {
	t.Helper()
	ss, err := reviews.Slips(t.Context(), c.db, sc, id)
	must(t, err)
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Code
	}
	return out
}

// countyMeeting is newCounty with the county office's meeting of its
// county deputies and its slips: the start of most tests.
func countyMeeting(t *testing.T, slips int) (c *county, r models.Review, subjects []uint64, codes []string) {
	t.Helper()
	c = newCounty(t)
	subjects = depIDs(c.countyDeps...)
	r = c.create(t, c.office, meeting(subjects, slips))
	return c, r, subjects, c.slips(t, c.office, r.ID)
}
