package reviews_test

import (
	"errors"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/reviews"
)

// Ensure only directly elected deputies are put to voters, and only by
// their own organiser: the county office for county deputies, a township's
// office for its own township deputies; not the county office for
// township deputies, not another township, not a clerk.
func TestOnlyDirectlyElectedDeputiesByTheirOrganiser(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	now := at(1, 9, 0)
	clerk := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 9}}
	for _, tc := range []struct {
		name     string
		sc       models.ManageScope
		subjects []uint64
		want     error
	}{
		{"county office, county deputies", c.office, depIDs(c.countyDeps...), nil},
		{"township office, its township deputies", c.chengguan, depIDs(c.townDeps...), nil},
		{"other township's office, its own deputy", c.xizhen, depIDs(c.westDep), nil},
		{"a city deputy is not directly elected", c.office, depIDs(c.countyDeps[0], c.cityDep), models.ErrNotDirectlyElected},
		{"township office, a county deputy", c.chengguan, depIDs(c.countyDeps[0]), models.ErrNotOrganiser},
		{"county office, township deputies (the 主席团's)", c.office, depIDs(c.townDeps...), models.ErrNotOrganiser},
		{"township office, another township's deputy", c.chengguan, depIDs(c.townDeps[0], c.westDep), models.ErrNotOrganiser},
		{"a clerk organises nothing", clerk, depIDs(c.countyDeps...), models.ErrNotOrganiser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := meeting(tc.subjects, 20)
			r, err := reviews.Create(ctx, c.db, tc.sc, in, now)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Create = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			v, err := reviews.Get(ctx, c.db, tc.sc, r.ID, now)
			must(t, err)
			if len(v.Subjects) != len(tc.subjects) || v.Slips != 20 || v.SlipsUsed != 0 || v.Status != reviews.StatusScheduled ||
				strings.Join(v.Dimensions, "、") != "联系群众、反映民意、依法履职、办理实效、总体评价" || v.Review.MinBallots != models.DefaultReviewMinBallots {
				t.Errorf("view: %+v", v)
			}
			for i, s := range v.Subjects {
				if s.ID != tc.subjects[i] || s.Name == "" || !strings.HasSuffix(s.Duties, "的职务") {
					t.Errorf("subject %d: %+v", i, s)
				}
			}
		})
	}
	// A review naming another organiser's level is refused too.
	in := meeting(depIDs(c.townDeps...), 5)
	in.Level, in.Township = models.LevelTownship, "城关镇"
	if _, err := reviews.Create(ctx, c.db, c.office, in, now); !errors.Is(err, models.ErrNotOrganiser) {
		t.Errorf("county office naming the township: %v", err)
	}
	// Nothing was written by the refusals: three reviews, 60 slips.
	var n, slips int64
	must(t, c.db.Model(&models.Review{}).Count(&n).Error)
	must(t, c.db.Model(&models.BallotSlip{}).Count(&slips).Error)
	if n != 3 || slips != 60 {
		t.Errorf("%d reviews and %d slips after the refusals, want 3 and 60", n, slips)
	}
	// A retired deputy is refused with a reason.
	_, err := reviews.Create(ctx, c.db, c.office, meeting(depIDs(c.retired), 5), now)
	var ve *models.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Msg, "周永福代表已经离任") {
		t.Errorf("retired deputy: %v", err)
	}
}

// Ensure who sees what: each office lists its own reviews; the county
// office also sees the townships' (oversight) but may not print their
// slips; a township sees nothing of the county's or another township's.
func TestReviewsListedByOrganiser(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	now := at(1, 9, 0)
	countyRev := c.create(t, c.office, meeting(depIDs(c.countyDeps...), 30))
	townRev := c.create(t, c.chengguan, meeting(depIDs(c.townDeps...), 12))
	westRev := c.create(t, c.xizhen, meeting(depIDs(c.westDep), 8))
	listed := func(sc models.ManageScope) []uint64 {
		vs, err := reviews.List(ctx, c.db, sc, now)
		must(t, err)
		return ids(vs, func(v reviews.View) uint64 { return v.Review.ID })
	}
	if got := listed(c.office); len(got) != 3 {
		t.Errorf("county office lists %v", got)
	}
	if got := listed(c.chengguan); len(got) != 1 || got[0] != townRev.ID {
		t.Errorf("城关镇 lists %v", got)
	}
	if _, err := reviews.Get(ctx, c.db, c.chengguan, countyRev.ID, now); !errors.Is(err, reviews.ErrReviewNotFound) {
		t.Errorf("township reads the county's review: %v", err)
	}
	if _, err := reviews.Get(ctx, c.db, c.chengguan, westRev.ID, now); !errors.Is(err, reviews.ErrReviewNotFound) {
		t.Errorf("township reads another township's review: %v", err)
	}
	if _, err := reviews.Get(ctx, c.db, c.office, townRev.ID, now); err != nil {
		t.Errorf("county office reads a township's review: %v", err)
	}
	if _, err := reviews.Slips(ctx, c.db, c.office, townRev.ID); !errors.Is(err, models.ErrNotOrganiser) {
		t.Errorf("county office prints a township's slips: %v", err)
	}
	if _, err := reviews.Slips(ctx, c.db, c.chengguan, countyRev.ID); !errors.Is(err, reviews.ErrReviewNotFound) {
		t.Errorf("township prints the county's slips: %v", err)
	}
	codes := c.slips(t, c.office, countyRev.ID)
	seen := map[string]bool{}
	for _, code := range codes {
		norm, ok := reviews.NormalizeSlipCode(strings.ToLower(code[:5]) + "-" + code[5:])
		if !ok || norm != code || seen[code] {
			t.Errorf("slip code %q (normalised %q, %v)", code, norm, ok)
		}
		seen[code] = true
	}
	if len(seen) != 30 {
		t.Errorf("%d distinct slips, want 30", len(seen))
	}
}

// Ensure a slip's QR carries its link under the site's public address and
// the scene text without one, and that every form a scan or a typist
// gives back (scene, link, lower case, dashes) reads as the code, while
// what is not a slip's code or link is refused.
func TestSlipLinkAndItsCode(t *testing.T) {
	const code = "BS7Q2K9M4X"
	for _, tc := range []struct{ base, want string }{
		{"https://rd.example.gov.cn", "https://rd.example.gov.cn/b/BS7Q2K9M4X"},
		{"https://rd.example.gov.cn/", "https://rd.example.gov.cn/b/BS7Q2K9M4X"},
		{"https://www.example.gov.cn/renda", "https://www.example.gov.cn/renda/b/BS7Q2K9M4X"},
		{"", "b=BS7Q2K9M4X"},
	} {
		if got := reviews.SlipLink(tc.base, code); got != tc.want {
			t.Errorf("SlipLink(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
	for _, in := range []string{
		code, "b=" + code, "B=bs7q2-k9m4x", " BS7Q2 K9M4X ",
		reviews.SlipLink("https://rd.example.gov.cn", code), "HTTPS://RD.EXAMPLE.GOV.CN/b/bs7q2k9m4x",
		reviews.SlipLink("http://127.0.0.1:8080", code), reviews.SlipLink("https://www.example.gov.cn/renda", code),
	} {
		if got, ok := reviews.NormalizeSlipCode(in); !ok || got != code {
			t.Errorf("NormalizeSlipCode(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{
		"", "BS7Q2K9M4", "BS7Q2K9M4XX", "BS7Q2K9M40", // 0 is not a slip letter
		"https://rd.example.gov.cn/" + code, "https://rd.example.gov.cn/c/" + code, "https://rd.example.gov.cn/b/" + code + "?x=1",
		"https://rd.example.gov.cn/b/", "ftp://rd.example.gov.cn/b/" + code, "weixin://b/" + code,
	} {
		if got, ok := reviews.NormalizeSlipCode(in); ok {
			t.Errorf("NormalizeSlipCode(%q) = %q, accepted", in, got)
		}
	}
}

// Ensure a review's form is checked: each refusal names its field and
// writes nothing.
func TestCreateChecksTheForm(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	now := at(1, 9, 0)
	base := meeting(depIDs(c.countyDeps...), 10)
	for _, tc := range []struct {
		field  string
		change func(*reviews.NewReview)
	}{
		{"kind", func(in *reviews.NewReview) { in.Kind = "voters" }},
		{"title", func(in *reviews.NewReview) { in.Title = "  " }},
		{"place", func(in *reviews.NewReview) { in.Place = "" }},
		{"date", func(in *reviews.NewReview) { in.Date = "12月20日" }},
		{"closes_at", func(in *reviews.NewReview) { in.ClosesAt = in.OpensAt }},
		{"closes_at", func(in *reviews.NewReview) { in.OpensAt, in.ClosesAt = at(1, 7, 0), at(1, 8, 0) }},
		{"min_ballots", func(in *reviews.NewReview) { in.MinBallots = 2 }},
		{"subject_ids", func(in *reviews.NewReview) { in.SubjectIDs = nil }},
		{"slips", func(in *reviews.NewReview) { in.Slips = 0 }},
		{"dimensions", func(in *reviews.NewReview) { in.Dimensions = []string{"联系群众", "联系群众"} }},
		{"subject_ids", func(in *reviews.NewReview) {
			in.Kind = models.ReviewOfDepartments
			in.Slips = 0
			in.SubjectIDs = []uint64{999}
		}},
		{"slips", func(in *reviews.NewReview) {
			in.Kind = models.ReviewOfDepartments
			in.SubjectIDs = []uint64{c.depts[0].ID}
		}},
	} {
		in := base
		tc.change(&in)
		_, err := reviews.Create(ctx, c.db, c.office, in, now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	var n int64
	must(t, c.db.Model(&models.Review{}).Count(&n).Error)
	if n != 0 {
		t.Errorf("%d reviews written by refused forms", n)
	}
	// A review of departments takes the departments' dimensions.
	in := reviews.NewReview{Kind: models.ReviewOfDepartments, Title: "2026年度代表评议部门", Date: "2026-12-20", Place: "县人大常委会会议室",
		OpensAt: at(20, 9, 0), ClosesAt: at(27, 17, 0), SubjectIDs: ids(c.depts, func(d models.Department) uint64 { return d.ID })}
	r := c.create(t, c.office, in)
	v, err := reviews.Get(ctx, c.db, c.office, r.ID, now)
	must(t, err)
	if strings.Join(v.Dimensions, "|") != strings.Join(models.DefaultDepartmentDimensions, "|") || len(v.Subjects) != 3 ||
		v.Subjects[0].Name != "县住房和城乡建设局" || v.Slips != 0 {
		t.Errorf("review of departments: %+v", v)
	}
}
