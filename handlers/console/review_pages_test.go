package console_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/xuri/excelize/v2"
)

func reviewPath(id uint64) string { return "/console/reviews/" + idStr(id) }

// The tests' reviews meet on 25 November 2026, the day after conT0 (a
// session signed in at conT0 still lives): inReview is inside their
// window (09:00–12:00 local), afterReview after it.
var (
	inReview    = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC) // 10:00 CST
	afterReview = time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC) // 13:00 CST
)

// reviewForm is a filled new-review form for kind with subjects.
func reviewForm(kind models.ReviewKind, title string, subjects ...models.Deputy) url.Values {
	f := url.Values{"kind": {string(kind)}, "title": {title}, "date": {"2026-11-25"}, "place": {"东门社区代表联络站"},
		"opens_at": {"09:00"}, "closes_at": {"12:00"}, "min_ballots": {"5"}, "slips": {"12"}}
	dims := models.DefaultReviewDimensions
	if kind == models.ReviewOfDepartments {
		dims = models.DefaultDepartmentDimensions
	}
	f["dimension"] = append([]string{}, dims...)
	for _, s := range subjects {
		f.Add("subject_id", idStr(s.ID))
	}
	return f
}

// createReview posts the form and returns the new review's id.
func createReview(t *testing.T, b browser, form url.Values) uint64 {
	t.Helper()
	st, loc, body := b.post("/console/reviews", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/reviews/") {
		t.Fatalf("create review: %d %q\n%s", st, loc, body)
	}
	id, err := strconv.ParseUint(strings.SplitN(strings.TrimPrefix(loc, "/console/reviews/"), "?", 2)[0], 10, 64)
	must(t, err)
	return id
}

var slipCodeRe = regexp.MustCompile(`<p class="code">([^<]+)</p>`)

// slipCodes are the codes printed on the slips page, as typed (no spaces).
func slipCodes(body string) []string {
	var out []string
	for _, m := range slipCodeRe.FindAllStringSubmatch(body, -1) {
		out = append(out, strings.ReplaceAll(m[1], " ", ""))
	}
	return out
}

var slipQRRe = regexp.MustCompile(`<img class="qr" src="data:image/png;base64,([^"]+)"`)

// checkSlipQRs checks that the slips page body prints, slip by slip, the
// QR of reviews.SlipLink(publicURL, code) for each of codes: the image is
// byte for byte the one QRCodePNG draws for that content (the encoder is
// deterministic, and there is no QR decoder among the dependencies).
func checkSlipQRs(t *testing.T, body string, codes []string, publicURL string) {
	t.Helper()
	imgs := slipQRRe.FindAllStringSubmatch(body, -1)
	if len(imgs) != len(codes) || len(codes) == 0 {
		t.Fatalf("%d QR images for %d codes", len(imgs), len(codes))
	}
	for i, code := range codes {
		want, err := console.QRCodePNG(reviews.SlipLink(publicURL, code), 300)
		must(t, err)
		got, err := base64.StdEncoding.DecodeString(imgs[i][1])
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("slip %s: its QR is not of %q", code, reviews.SlipLink(publicURL, code))
		}
	}
}

// Ensure that with a public address every slip's QR holds its link
// <public URL>/b/<code>, which WeChat's 扫一扫 opens in the mini-program,
// and the slip says so.
func TestReviewSlipsCarryLinks(t *testing.T) {
	t.Parallel()
	const public = "https://rd.example.gov.cn"
	e := newDepEnvWith(t, func(d *handlers.Deps) { d.OpinionNotify.PublicURL = public })
	admin := e.browser("admin")
	id := createReview(t, admin, reviewForm(models.ReviewOfDeputies, "2026年城关选区县人大代表述职评议", e.deputy("张海明")))
	st, body := admin.get(reviewPath(id) + "/slips")
	codes := slipCodes(body)
	if st != http.StatusOK || len(codes) != 12 ||
		strings.Count(body, "请用微信“扫一扫”扫描二维码，在小程序中匿名评议。每票只能使用一次。") != 12 ||
		strings.Contains(body, "请打开小程序") || strings.Contains(body, `id="slips-scene"`) {
		t.Fatalf("slips page: %d, %d codes\n%s", st, len(codes), body)
	}
	checkSlipQRs(t, body, codes, public)
	// A QR of the scene would not pass for the link's.
	if want, _ := console.QRCodePNG(reviews.SlipScene(codes[0]), 300); strings.Contains(body, base64.StdEncoding.EncodeToString(want)) {
		t.Error("a slip still carries its scene")
	}
}

// marks is a tally the test keeps: subject name → dimension → counts of
// 满意, 基本满意, 不满意.
type marks map[string]map[string][3]int

func (m marks) add(subject, dim string, r models.Rating, n int) {
	if m[subject] == nil {
		m[subject] = map[string][3]int{}
	}
	c := m[subject][dim]
	for i, x := range models.Ratings {
		if x == r {
			c[i] += n
		}
	}
	m[subject][dim] = c
}

var (
	tallyHeadRe = regexp.MustCompile(`<h3 class="tally-name">([^<]+)</h3>`)
	tallyRowRe  = regexp.MustCompile(`<tr><td>([^<]+)</td><td class="num">(\d+)(?:<small[^>]*>[^<]*</small>)?</td><td class="num">(\d+)(?:<small[^>]*>[^<]*</small>)?</td><td class="num">(\d+)`)
)

// pageMarks reads the tally tables of a page.
func pageMarks(body string) marks {
	out := marks{}
	heads := tallyHeadRe.FindAllStringSubmatchIndex(body, -1)
	for i, h := range heads {
		end := len(body)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		name := body[h[2]:h[3]]
		out[name] = map[string][3]int{}
		for _, r := range tallyRowRe.FindAllStringSubmatch(body[h[1]:end], -1) {
			a, _ := strconv.Atoi(r[2])
			b, _ := strconv.Atoi(r[3])
			c, _ := strconv.Atoi(r[4])
			out[name][r[1]] = [3]int{a, b, c}
		}
	}
	return out
}

// excelMarks reads the sheet 评议结果 of an export.
func excelMarks(t *testing.T, raw []byte) marks {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	must(t, err)
	defer f.Close()
	rows, err := f.GetRows(reviews.TallySheet)
	must(t, err)
	out := marks{}
	head := -1
	for i, r := range rows {
		if len(r) > 0 && r[0] == reviews.TallyHeaders[0] {
			head = i
			if strings.Join(r, "|") != strings.Join(reviews.TallyHeaders, "|") {
				t.Errorf("headers %q", r)
			}
			continue
		}
		if head < 0 || len(r) < 6 {
			continue
		}
		var c [3]int
		for j := range c {
			c[j], _ = strconv.Atoi(r[2+j])
		}
		if total, _ := strconv.Atoi(r[5]); total != c[0]+c[1]+c[2] {
			t.Errorf("row %d: total %s of %v", i+1, r[5], c)
		}
		if out[r[0]] == nil {
			out[r[0]] = map[string][3]int{}
		}
		out[r[0]][r[1]] = c
	}
	return out
}

func sameMarks(t *testing.T, what string, got, want marks) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Ensure who reaches the reviews: clerks and heads get the 403 page on
// every page and action; a township user lists, reads and acts on its own
// reviews only (the county's is the 404 page and stays open), and its
// form offers only its township's deputies; a county deputy is refused on
// its review with a Chinese message and the form kept.
func TestReviewPagesAccess(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	admin, town := e.browser("admin"), e.browser("town_cg")
	zhang, wang, pan := e.deputy("张海明"), e.deputy("王桂英"), e.deputy("潘红梅")
	county := createReview(t, admin, reviewForm(models.ReviewOfDeputies, "2026年城关选区县人大代表述职评议", zhang, wang))

	for _, u := range []string{"clerk_e", "head_e"} {
		b := e.browser(u)
		for _, p := range []string{"/console/reviews", "/console/reviews/new?kind=deputies", reviewPath(county),
			reviewPath(county) + "/slips", reviewPath(county) + "/paper", reviewPath(county) + "/export"} {
			if st, body := b.get(p); st != http.StatusForbidden || !strings.Contains(body, "只有人大常委会办公室") {
				t.Errorf("%s GET %s: %d", u, p, st)
			}
		}
		if st, _, _ := b.post("/console/reviews", reviewForm(models.ReviewOfDeputies, "不该建立", zhang)); st != http.StatusForbidden {
			t.Errorf("%s creates: %d", u, st)
		}
		if st, _, _ := b.post(reviewPath(county)+"/close", url.Values{}); st != http.StatusForbidden {
			t.Errorf("%s closes: %d", u, st)
		}
		if st, body := b.get("/console/opinions"); st != http.StatusOK || strings.Contains(body, `href="/console/reviews"`) {
			t.Errorf("%s sees the reviews tab: %d", u, st)
		}
	}
	if _, body := admin.get("/console/opinions"); !strings.Contains(body, `href="/console/reviews"`) {
		t.Error("the county office has no reviews tab")
	}

	// The township's form: its own township deputies only.
	st, body := town.get("/console/reviews/new?kind=deputies")
	if st != http.StatusOK || !strings.Contains(body, "潘红梅") || strings.Contains(body, "张海明") || strings.Contains(body, "范春生") {
		t.Fatalf("township's form: %d", st)
	}
	// A county deputy on a township's review: refused, the form kept.
	st, _, body = town.post("/console/reviews", reviewForm(models.ReviewOfDeputies, "城关镇人大代表述职评议", zhang))
	if st < 400 || st >= 500 || !strings.Contains(body, `value="城关镇人大代表述职评议"`) || !strings.Contains(body, `class="notice err"`) {
		t.Fatalf("township puts a county deputy: %d\n%s", st, body)
	}
	own := createReview(t, town, reviewForm(models.ReviewOfDeputies, "城关镇人大代表述职评议", pan))

	for _, p := range []string{reviewPath(county), reviewPath(county) + "/slips", reviewPath(county) + "/paper"} {
		if st, _ := town.get(p); st != http.StatusNotFound {
			t.Errorf("township reads the county's %s: %d", p, st)
		}
	}
	if st, _, _ := town.post(reviewPath(county)+"/close", url.Values{}); st != http.StatusNotFound && st != http.StatusForbidden {
		t.Errorf("township closes the county's: %d", st)
	}
	if _, body := admin.get(reviewPath(county)); !strings.Contains(body, "未开始") {
		t.Error("the county's review changed after the township's refused close")
	}
	if st, body := town.get("/console/reviews"); st != http.StatusOK || strings.Contains(body, "城关选区县人大代表") ||
		!strings.Contains(body, "城关镇人大代表述职评议") {
		t.Errorf("township's list: %d", st)
	}
	if st, body := town.get(reviewPath(own)); st != http.StatusOK || !strings.Contains(body, `id="close-review"`) ||
		!strings.Contains(body, `id="print-slips"`) {
		t.Errorf("township reads its own: %d", st)
	}
	// The county office oversees the township's review: it reads it, with
	// no action of the organiser's, and cannot print its slips.
	if st, body := admin.get(reviewPath(own)); st != http.StatusOK || strings.Contains(body, `id="close-review"`) ||
		strings.Contains(body, `id="print-slips"`) || strings.Contains(body, `id="enter-paper"`) || !strings.Contains(body, "由城关镇人大主席团组织") {
		t.Errorf("the county office on the township's review: %d", st)
	}
	if st, body := admin.get(reviewPath(own) + "/slips"); st < 400 || len(slipCodes(body)) != 0 {
		t.Errorf("the county office prints the township's slips: %d", st)
	}
	if _, body := admin.get("/console/reviews"); !strings.Contains(body, "城关镇人大主席团组织") {
		t.Errorf("the county office's list does not name the township's organiser")
	}
	if st, body := town.get(reviewPath(own) + "/slips"); st != http.StatusOK || len(slipCodes(body)) != 12 {
		t.Errorf("township prints its slips: %d, %d slips", st, len(slipCodes(body)))
	}
	if st, body := town.get("/console/reviews/new?kind=bogus"); st != http.StatusBadRequest || !strings.Contains(body, "请选择评议类型") {
		t.Errorf("bad kind: %d", st)
	}
}

// Ensure the organiser's whole review: the form refuses a bad time in
// Chinese and keeps what was typed; the review opens with its slips,
// printed with a QR each and the instruction; ballots cast with the
// printed codes count while no mark is shown; paper counts are refused
// when not numbers (kept) and then saved; closing (asked first) publishes
// the tally, which adds online and paper marks; Excel has the same
// counts; nothing more can be entered; a review closed below its minimum
// shows no result and exports nothing.
func TestReviewPagesFlow(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	admin := e.browser("admin")
	zhang, wang := e.deputy("张海明"), e.deputy("王桂英")

	st, body := admin.get("/console/reviews/new?kind=deputies")
	if st != http.StatusOK || !strings.Contains(body, `value="联系群众"`) || !strings.Contains(body, `value="09:00"`) ||
		!strings.Contains(body, `value="12:00"`) || !strings.Contains(body, "张海明") || strings.Contains(body, "潘红梅") {
		t.Fatalf("new form: %d", st)
	}
	form := reviewForm(models.ReviewOfDeputies, "2026年城关选区县人大代表述职评议", zhang, wang)
	form.Set("opens_at", "九点")
	st, _, body = admin.post("/console/reviews", form)
	if st != http.StatusBadRequest || !strings.Contains(body, "请填写开始投票的时间") || !strings.Contains(body, `value="九点"`) ||
		!strings.Contains(body, `value="2026年城关选区县人大代表述职评议"`) || !strings.Contains(body, `value="`+idStr(zhang.ID)+`" checked`) {
		t.Fatalf("bad time: %d\n%s", st, body)
	}
	form.Set("opens_at", "09:00")
	id := createReview(t, admin, form)

	st, body = admin.get(reviewPath(id))
	if st != http.StatusOK || !strings.Contains(body, "未开始") || !strings.Contains(body, "0/12") ||
		!strings.Contains(body, "11月25日 09:00～12:00") || strings.Contains(body, `id="review-tally"`) {
		t.Fatalf("new review page: %d\n%s", st, body)
	}
	if _, body = admin.get("/console/reviews"); !strings.Contains(body, "2026年城关选区县人大代表述职评议") || !strings.Contains(body, "已用 0 / 12 张") {
		t.Errorf("list lacks the review")
	}

	st, body = admin.get(reviewPath(id) + "/slips")
	codes := slipCodes(body)
	if st != http.StatusOK || len(codes) != 12 || strings.Count(body, `src="data:image/png;base64,`) != 12 ||
		strings.Count(body, "请打开小程序，点“扫码”扫描本票，匿名评议。每票只能使用一次。") != 12 || !strings.Contains(body, `id="slips-scene"`) {
		t.Fatalf("slips page: %d, %d codes", st, len(codes))
	}
	// Without a public address each QR holds its slip's scene text.
	checkSlipQRs(t, body, codes, "")
	ctx := t.Context()
	sc, err := models.ManageScopeOf(e.boss)
	must(t, err)
	slips, err := reviews.Slips(ctx, e.db, sc, id)
	must(t, err)
	inDB := map[string]bool{}
	for _, s := range slips {
		inDB[s.Code] = true
	}
	for _, c := range codes {
		if !inDB[c] {
			t.Fatalf("printed code %q is not a slip of the review", c)
		}
	}

	// The meeting: six voters cast with printed slips.
	e.clock.Set(inReview)
	v, err := reviews.Get(ctx, e.db, sc, id, inReview)
	must(t, err)
	keyer := reviews.NewKeyer(bytes.Repeat([]byte{7}, 32))
	want := marks{}
	for k := 0; k < 6; k++ {
		var b reviews.Ballot
		for si, s := range v.Subjects {
			for d, dim := range v.Dimensions {
				r := models.Ratings[(k+si+d)%3]
				b.Marks = append(b.Marks, models.BallotMark{SubjectID: s.ID, Dimension: d, Rating: r})
				want.add(s.Name, dim, r, 1)
			}
		}
		if k == 0 {
			b.Comments = []models.BallotComment{{SubjectID: zhang.ID, Text: "希望多到社区听听老人的意见"}}
		}
		must(t, reviews.CastWithSlip(ctx, e.db, keyer, codes[k], reviews.Voter{OpenID: "oVoterReview" + strconv.Itoa(k)}, b, inReview))
	}
	st, body = admin.get(reviewPath(id))
	if st != http.StatusOK || !strings.Contains(body, "进行中") || !strings.Contains(body, "6/12") ||
		strings.Contains(body, `id="review-tally"`) || strings.Contains(body, "希望多到社区") || !strings.Contains(body, "评议结束前不显示评议结果") {
		t.Fatalf("open review shows marks or wrong counts: %d\n%s", st, body)
	}
	if _, body = admin.get(reviewPath(id) + "/slips"); len(slipCodes(body)) != 6 || !strings.Contains(body, "已使用的6张不再打印") {
		t.Errorf("reprint lists %d slips", len(slipCodes(body)))
	}

	// Paper ballots: a word is refused and kept, then numbers are saved.
	paper := url.Values{"paper_ballots": {"3"}}
	for _, s := range v.Subjects {
		for d, dim := range v.Dimensions {
			paper.Set(fmt.Sprintf("p_%d_%d_%s", s.ID, d, models.RatingSatisfied), "2")
			paper.Set(fmt.Sprintf("p_%d_%d_%s", s.ID, d, models.RatingFair), "1")
			want.add(s.Name, dim, models.RatingSatisfied, 2)
			want.add(s.Name, dim, models.RatingFair, 1)
		}
	}
	badKey := fmt.Sprintf("p_%d_0_%s", zhang.ID, models.RatingUnsatisfied)
	paper.Set(badKey, "两")
	st, _, body = admin.post(reviewPath(id)+"/paper", paper)
	if st != http.StatusBadRequest || !strings.Contains(body, "请填写0或正整数") || !strings.Contains(body, `value="两"`) {
		t.Fatalf("bad paper count: %d\n%s", st, body)
	}
	paper.Set(badKey, "")
	st, loc, _ := admin.post(reviewPath(id)+"/paper", paper)
	if st != http.StatusSeeOther || !strings.Contains(mustUnescape(t, loc), "已录入纸质票3张") {
		t.Fatalf("paper: %d %s", st, loc)
	}
	if _, body = admin.get(reviewPath(id) + "/paper"); !strings.Contains(body, `name="paper_ballots" min="0" step="1" value="3"`) ||
		!strings.Contains(body, fmt.Sprintf(`name="p_%d_0_satisfied" min="0" step="1" value="2"`, zhang.ID)) {
		t.Errorf("paper form does not show what was entered")
	}

	// Closing publishes the tally.
	if _, body = admin.get(reviewPath(id)); !strings.Contains(body, `data-confirm="确定现在结束本次评议吗？`) {
		t.Error("closing does not ask first")
	}
	st, loc, _ = admin.post(reviewPath(id)+"/close", url.Values{})
	if st != http.StatusSeeOther || !strings.Contains(mustUnescape(t, loc), "结果已公布") {
		t.Fatalf("close: %d %s", st, loc)
	}
	st, body = admin.get(reviewPath(id))
	if st != http.StatusOK || !strings.Contains(body, "已结束") || !strings.Contains(body, `id="review-tally"`) ||
		!strings.Contains(body, "希望多到社区听听老人的意见") || strings.Contains(body, `id="close-review"`) {
		t.Fatalf("closed review: %d\n%s", st, body)
	}
	sameMarks(t, "the page's tally", pageMarks(body), want)
	tally, err := reviews.TallyOf(ctx, e.db, sc, id, afterReview)
	must(t, err)
	fromModels := marks{}
	for _, s := range tally.Subjects {
		for _, c := range s.Counts {
			fromModels.add(s.Subject.Name, c.Dimension, models.RatingSatisfied, c.Satisfied)
			fromModels.add(s.Subject.Name, c.Dimension, models.RatingFair, c.Fair)
			fromModels.add(s.Subject.Name, c.Dimension, models.RatingUnsatisfied, c.Unsatisfied)
		}
	}
	sameMarks(t, "reviews.TallyOf", fromModels, want)

	r, raw := admin.do("GET", reviewPath(id)+"/export", nil)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(r.Header.Get("Content-Disposition"), url.PathEscape("2026年城关选区县人大代表述职评议-评议结果.xlsx")) {
		t.Fatalf("export: %d %s %s", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	sameMarks(t, "the Excel tally", excelMarks(t, []byte(raw)), want)

	// Nothing more is entered once closed.
	if st, _, body = admin.post(reviewPath(id)+"/paper", paper); st != http.StatusConflict || !strings.Contains(body, "不能") {
		t.Errorf("paper after close: %d", st)
	}

	// A review closed below its minimum: no result, no export.
	thin := createReview(t, admin, reviewForm(models.ReviewOfDeputies, "2026年东门选区县人大代表述职评议", wang))
	if st, _, _ = admin.post(reviewPath(thin)+"/close", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("close thin: %d", st)
	}
	if _, body = admin.get(reviewPath(thin)); strings.Contains(body, `id="review-tally"`) || !strings.Contains(body, "评议结果不予公布") {
		t.Errorf("thin review shows a result")
	}
	if st, body = admin.get(reviewPath(thin) + "/export"); st != http.StatusConflict || !strings.Contains(body, "评议结果尚未公布") {
		t.Errorf("thin export: %d", st)
	}

	// The API: the list, and the tally of the published one.
	var list struct {
		Items []struct {
			ID        uint64 `json:"id"`
			Published bool   `json:"published"`
		} `json:"items"`
	}
	if r := e.call("GET", "/console/api/reviews", conReq{cookie: admin.cookie}, &list); r.StatusCode != 200 || len(list.Items) != 2 {
		t.Fatalf("API list: %d %+v", r.StatusCode, list)
	}
	var one struct {
		Published bool `json:"published"`
		Ballots   int  `json:"ballots"`
		Tally     []struct {
			Name   string `json:"name"`
			Counts []struct {
				Dimension                    string
				Satisfied, Fair, Unsatisfied int
			} `json:"counts"`
		} `json:"tally"`
	}
	if r := e.call("GET", "/console/api/reviews/"+idStr(id), conReq{cookie: admin.cookie}, &one); r.StatusCode != 200 || !one.Published || one.Ballots != 6 {
		t.Fatalf("API review: %d %+v", r.StatusCode, one)
	}
	fromAPI := marks{}
	for _, s := range one.Tally {
		for _, c := range s.Counts {
			fromAPI.add(s.Name, c.Dimension, models.RatingSatisfied, c.Satisfied)
			fromAPI.add(s.Name, c.Dimension, models.RatingFair, c.Fair)
			fromAPI.add(s.Name, c.Dimension, models.RatingUnsatisfied, c.Unsatisfied)
		}
	}
	sameMarks(t, "the API's tally", fromAPI, want)
	// The documented required fields are in the answers.
	var doc conOADoc
	must(t, json.Unmarshal(console.OpenAPI(), &doc))
	var gotOne, gotList map[string]any
	e.call("GET", "/console/api/reviews/"+idStr(id), conReq{cookie: admin.cookie}, &gotOne)
	e.call("GET", "/console/api/reviews", conReq{cookie: admin.cookie}, &gotList)
	item, _ := gotList["items"].([]any)[0].(map[string]any)
	for _, c := range []struct {
		got    map[string]any
		schema oaSchema
	}{
		{gotOne, doc.responseSchema(t, "/console/api/reviews/{id}")},
		{item, doc.itemSchema(t, doc.responseSchema(t, "/console/api/reviews"))},
	} {
		for _, f := range doc.required(t, c.schema) {
			if _, ok := c.got[f]; !ok {
				t.Errorf("documented field %q missing from %v", f, keys(c.got))
			}
		}
	}
	clerk := e.browser("clerk_e")
	if r := e.call("GET", "/console/api/reviews/"+idStr(id), conReq{cookie: clerk.cookie}, nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("API for a clerk: %d", r.StatusCode)
	}
}

// Ensure a deputy rates departments on their own pages: the review is
// listed with where it stands (not begun, then to vote, then 已投票) and
// offered on their home; a ballot missing a mark comes back with the
// choices kept and the gap marked; the full ballot is taken once and
// refused the second time in Chinese; a township deputy does not see the
// county's review; once closed with enough ballots the deputy sees the
// result, which is what the organiser's Excel has.
func TestReviewDeputyBallot(t *testing.T) {
	keyer := reviews.NewKeyer(bytes.Repeat([]byte{5}, 32))
	si := newSignInEnv(t, true, func(d *handlers.Deps) { d.Ballots = keyer })
	e := &deputyEnv{signInEnv: si}
	ctx := t.Context()
	_, err := models.CreateConsoleUser(ctx, e.db, "admin", conPassword, "测试admin", models.RoleAdmin, nil, conT0)
	must(t, err)
	s, cookie := e.login("admin")
	admin := browser{e: &pageEnv{conEnv: e.conEnv}, cookie: cookie, csrf: s.CSRFToken}
	depts, err := models.ListDepartments(ctx, e.db)
	must(t, err)
	if len(depts) < 2 {
		t.Fatalf("demo data: %d departments", len(depts))
	}
	depts = depts[:2]
	// The window opens at local midnight: a ballot at 01:00 is cast on the
	// 25th, though it is still the 24th in UTC.
	form := reviewForm(models.ReviewOfDepartments, "2026年度部门工作评议")
	form.Set("opens_at", "00:00")
	atNight := time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)
	for _, d := range depts {
		form.Add("subject_id", idStr(d.ID))
	}
	id := createReview(t, admin, form)
	if _, body := admin.get(reviewPath(id)); strings.Contains(body, `id="print-slips"`) {
		t.Error("a review of departments offers slips")
	}

	var zhang, pan models.Deputy
	must(t, e.db.Where("name = ?", "张海明").First(&zhang).Error)
	must(t, e.db.Where("name = ?", "潘红梅").First(&pan).Error)
	e.bind(zhang, "oa-deputy-zhang")
	e.bind(pan, "oa-deputy-pan")
	b, r := e.signInWeChat("oa-deputy-zhang", "/console/me")
	if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	path := "/console/me/reviews/" + idStr(id)

	// Before the meeting.
	if r = b.get("/console/me"); !strings.Contains(r.body, `id="me-reviews"`) || !strings.Contains(r.body, "查看评议") {
		t.Errorf("home does not offer the review:\n%s", r.body)
	}
	if r = b.get("/console/me/reviews"); r.StatusCode != 200 || !strings.Contains(r.body, "2026年度部门工作评议") || !strings.Contains(r.body, "未开始") {
		t.Fatalf("list before: %d\n%s", r.StatusCode, r.body)
	}
	if r = b.get(path); r.StatusCode != 200 || !strings.Contains(r.body, "评议还没有开始") || strings.Contains(r.body, `type="radio"`) {
		t.Fatalf("ballot before: %d\n%s", r.StatusCode, r.body)
	}

	e.clock.Set(atNight)
	if r = b.get("/console/me"); !strings.Contains(r.body, "有1项部门工作评议正在进行") {
		t.Errorf("home does not ask for the ballot")
	}
	r = b.get(path)
	csrf := hidden(r.body, "csrf")
	if r.StatusCode != 200 || csrf == "" || strings.Count(r.body, `type="radio"`) != 2*len(models.DefaultDepartmentDimensions)*3 {
		t.Fatalf("ballot page: %d\n%s", r.StatusCode, r.body)
	}
	want := marks{}
	ballot := url.Values{"csrf": {csrf}}
	for si, d := range depts {
		for k, dim := range models.DefaultDepartmentDimensions {
			rt := models.Ratings[(si+k)%3]
			ballot.Set(fmt.Sprintf("m_%d_%d", d.ID, k), string(rt))
			want.add(d.Name, dim, rt, 1)
		}
	}
	ballot.Set(fmt.Sprintf("c_%d", depts[0].ID), "窗口办事排队时间长")
	short := url.Values{}
	for k, v := range ballot {
		short[k] = v
	}
	short.Del(fmt.Sprintf("m_%d_%d", depts[1].ID, 4))
	r = b.post(path, short)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "还有1项没有选择") ||
		!strings.Contains(r.body, fmt.Sprintf(`name="m_%d_0" value="satisfied" checked`, depts[0].ID)) ||
		!strings.Contains(r.body, "窗口办事排队时间长") {
		t.Fatalf("short ballot: %d\n%s", r.StatusCode, r.body)
	}
	r = b.post(path, ballot)
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(mustUnescape(t, r.location()), "投票成功") {
		t.Fatalf("cast: %d %q\n%s", r.StatusCode, r.location(), r.body)
	}
	if r = b.get(path); !strings.Contains(r.body, "感谢您参与评议") || strings.Contains(r.body, `type="radio"`) {
		t.Errorf("after the ballot:\n%s", r.body)
	}
	r = b.post(path, ballot)
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "您已经在本次评议中投过票了") {
		t.Fatalf("second ballot: %d\n%s", r.StatusCode, r.body)
	}
	if r = b.get("/console/me/reviews"); !strings.Contains(r.body, "已投票") {
		t.Errorf("list does not mark the ballot")
	}
	var cast models.Ballot
	must(t, e.db.Where("review_id = ?", id).First(&cast).Error)
	if cast.CastOn != "2026-11-25" {
		t.Errorf("the ballot was cast on %s, want the local day 2026-11-25", cast.CastOn)
	}

	// A township deputy does not vote in the county's review.
	pb, _ := e.signInWeChat("oa-deputy-pan", "/console/me")
	if r = pb.get(path); r.StatusCode != http.StatusNotFound {
		t.Errorf("township deputy opens the county's review: %d", r.StatusCode)
	}
	if r = pb.get("/console/me/reviews"); strings.Contains(r.body, "2026年度部门工作评议") {
		t.Errorf("township deputy lists the county's review")
	}

	// Four more county deputies vote; the office closes; all see the result.
	var others []models.Deputy
	must(t, e.db.Where("level = ? AND status = ? AND id <> ?", models.LevelCounty, models.DeputyActive, zhang.ID).
		Order("id").Limit(4).Find(&others).Error)
	for i, o := range others {
		o = e.bind(o, "oa-deputy-other-"+strconv.Itoa(i))
		var bl reviews.Ballot
		for _, d := range depts {
			for k, dim := range models.DefaultDepartmentDimensions {
				bl.Marks = append(bl.Marks, models.BallotMark{SubjectID: d.ID, Dimension: k, Rating: models.RatingSatisfied})
				want.add(d.Name, dim, models.RatingSatisfied, 1)
			}
		}
		must(t, reviews.CastAsDeputy(ctx, e.db, keyer, id, o, bl, atNight.In(conLoc)))
	}
	if st, loc, _ := admin.post(reviewPath(id)+"/close", url.Values{}); st != http.StatusSeeOther || !strings.Contains(mustUnescape(t, loc), "结果已公布") {
		t.Fatalf("close: %d %s", st, loc)
	}
	r = b.get(path)
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="me-review-result"`) || strings.Contains(r.body, "窗口办事排队时间长") {
		t.Fatalf("deputy's result: %d\n%s", r.StatusCode, r.body)
	}
	sameMarks(t, "the deputy's result", pageMarks(r.body), want)
	resp, raw := admin.do("GET", reviewPath(id)+"/export", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	sameMarks(t, "the Excel result", excelMarks(t, []byte(raw)), want)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(raw)))
	must(t, err)
	defer f.Close()
	comments, err := f.GetRows(reviews.CommentsSheet)
	must(t, err)
	if len(comments) != 2 || comments[1][0] != depts[0].Name || comments[1][1] != "窗口办事排队时间长" {
		t.Errorf("the comments sheet: %q", comments)
	}
}
