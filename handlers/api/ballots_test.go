package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/models"
	"deputylink/models/reviews"
	"deputylink/wechat/wechattest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// ballotEnv is the booking env (the real router, the fake WeChat for
// sign-ins) with the ballot key, every log line kept as JSON, and a review
// of the first station's two county deputies, open on the env's day (24
// November, 16:00-18:00; the env's clock says 17:00), with 20 slips.
type ballotEnv struct {
	*bookEnv
	logs     *syncBuffer
	office   models.ManageScope
	review   models.Review
	subjects []uint64
	codes    []string
}

func newBallotEnv(t *testing.T, minBallots int) *ballotEnv {
	t.Helper()
	logs := &syncBuffer{}
	bk := newBookEnv(t, bookOpts{limits: handlers.DefaultRateLimits(), deps: func(d *handlers.Deps) {
		d.Ballots = reviews.NewKeyer([]byte("test data key, thirty-two bytes!"))
		d.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	be := &ballotEnv{bookEnv: bk, logs: logs, office: models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 1}, All: true}}
	must(t, bk.db.Model(&models.Deputy{}).Where("station_id = ?", bk.stations[0].ID).Order("id").Pluck("id", &be.subjects).Error)
	must(t, bk.db.Model(&models.Deputy{}).Where("id = ?", be.subjects[0]).Update("duties", "东门社区党委书记").Error)
	var err error
	be.review, err = reviews.Create(t.Context(), bk.db, be.office, reviews.NewReview{
		Kind: models.ReviewOfDeputies, Title: "2026年度县人大代表向选民述职评议会", Date: "2026-11-24", Place: "东门社区会议室",
		OpensAt: time.Date(2026, 11, 24, 16, 0, 0, 0, bkCST), ClosesAt: time.Date(2026, 11, 24, 18, 0, 0, 0, bkCST),
		SubjectIDs: be.subjects, Slips: 20, MinBallots: minBallots,
	}, time.Date(2026, 11, 20, 9, 0, 0, 0, bkCST))
	must(t, err)
	slips, err := reviews.Slips(t.Context(), bk.db, be.office, be.review.ID)
	must(t, err)
	for _, s := range slips {
		be.codes = append(be.codes, s.Code)
	}
	return be
}

// ballot is the body of a cast: every subject rated rating on every
// dimension, with a comment on the first.
func (e *ballotEnv) ballot(code string, rating models.Rating, comment string) string {
	type mark struct {
		SubjectID uint64 `json:"subject_id"`
		Dimension int    `json:"dimension"`
		Rating    string `json:"rating"`
	}
	type cmt struct {
		SubjectID uint64 `json:"subject_id"`
		Text      string `json:"text"`
	}
	body := struct {
		Code     string `json:"code"`
		Marks    []mark `json:"marks"`
		Comments []cmt  `json:"comments"`
	}{Code: code}
	for _, s := range e.subjects {
		for d := range 5 {
			body.Marks = append(body.Marks, mark{s, d, string(rating)})
		}
	}
	if comment != "" {
		body.Comments = []cmt{{e.subjects[0], comment}}
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func errCode(t *testing.T, r bkResp) string {
	t.Helper()
	var b errBody
	if err := json.Unmarshal(r.raw, &b); err != nil {
		t.Fatalf("not an error body (%d): %s", r.status, r.raw)
	}
	return b.Error.Code
}

// Ensure the mini-program's ballot through the real router: a slip opens
// its ballot, a cast answers 201 and its retry with the same
// Idempotency-Key replays it without a second ballot; a used slip, an
// unknown one, an incomplete ballot and no session are refused with their
// codes; the result is hidden until the review closes, then public, and
// on each deputy's public page.
func TestBallotThroughTheAPI(t *testing.T) {
	e := newBallotEnv(t, 0)
	tok := signIn(t, e.bookEnv, "ballot-1", "oBallotA")
	r := e.call("POST", "/api/v1/ballot-slips/open", tok, `{"code":"b=`+strings.ToLower(e.codes[0])+`"}`)
	if r.status != 200 {
		t.Fatalf("open: %d %s", r.status, r.raw)
	}
	var opened api.SlipOpenResponse
	must(t, json.Unmarshal(r.raw, &opened))
	rv := opened.Review
	if opened.AlreadyVoted || rv.ID != e.review.ID || rv.Status != "open" || len(rv.Dimensions) != 5 || rv.Dimensions[0] != "联系群众" ||
		len(rv.Subjects) != 2 || rv.Subjects[0].Name != "代表1-1" || rv.Subjects[0].Duties != "东门社区党委书记" || rv.Date != "2026-11-24" {
		t.Errorf("opened: %+v", opened)
	}
	if !strings.Contains(string(r.raw), `"opens_at":"2026-11-24T16:00:00+08:00"`) {
		t.Errorf("opens_at not local RFC 3339: %s", r.raw)
	}
	// A slip's link, as WeChat's 扫一扫 hands it to the mini-program, opens
	// the same way.
	link, _ := json.Marshal(map[string]string{"code": reviews.SlipLink("https://rd.example.gov.cn", e.codes[1])})
	if r := e.call("POST", "/api/v1/ballot-slips/open", tok, string(link)); r.status != 200 || !strings.Contains(string(r.raw), `"already_voted":false`) {
		t.Errorf("open by link: %d %s", r.status, r.raw)
	}

	body := e.ballot(e.codes[0], models.RatingSatisfied, "希望多到社区听取意见")
	r = e.call("POST", "/api/v1/ballots", tok, body, "Idempotency-Key", "ballot-key-1")
	if r.status != 201 || !strings.Contains(string(r.raw), "投票成功，感谢您的参与！") {
		t.Fatalf("cast: %d %s", r.status, r.raw)
	}
	r = e.call("POST", "/api/v1/ballots", tok, body, "Idempotency-Key", "ballot-key-1")
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s", r.status, r.raw)
	}
	var n int64
	must(t, e.db.Model(&models.Ballot{}).Count(&n).Error)
	if n != 1 {
		t.Fatalf("%d ballots after a retry, want 1", n)
	}
	other := signIn(t, e.bookEnv, "ballot-2", "oBallotB")
	for _, tc := range []struct {
		name, path, token, body string
		status                  int
		code                    string
	}{
		{"open a used slip", "/api/v1/ballot-slips/open", other, `{"code":"` + e.codes[0] + `"}`, 409, "slip_used"},
		{"cast a used slip", "/api/v1/ballots", other, e.ballot(e.codes[0], models.RatingFair, ""), 409, "slip_used"},
		{"unknown slip", "/api/v1/ballot-slips/open", other, `{"code":"ABCDEFGHJK"}`, 404, "slip_unknown"},
		{"incomplete ballot", "/api/v1/ballots", other, `{"code":"` + e.codes[1] + `","marks":[{"subject_id":1,"dimension":0,"rating":"satisfied"}]}`, 400, "invalid_marks"},
		{"bad rating", "/api/v1/ballots", other, e.ballot(e.codes[1], "good", ""), 400, "invalid_marks"},
		{"no session", "/api/v1/ballots", "", e.ballot(e.codes[1], models.RatingFair, ""), 401, "unauthorized"},
		{"no session to open", "/api/v1/ballot-slips/open", "", `{"code":"` + e.codes[1] + `"}`, 401, "unauthorized"},
		{"bad json", "/api/v1/ballots", other, `{"code":`, 400, "invalid_json"},
	} {
		r := e.call("POST", tc.path, tc.token, tc.body)
		if r.status != tc.status || errCode(t, r) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
	}

	// 9 more voters: 10 ballots, the default minimum.
	for i := 1; i < 10; i++ {
		tk := signIn(t, e.bookEnv, fmt.Sprint("ballot-v", i), fmt.Sprint("oBallotV", i))
		if r := e.call("POST", "/api/v1/ballots", tk, e.ballot(e.codes[i], models.Ratings[i%3], "")); r.status != 201 {
			t.Fatalf("voter %d: %d %s", i, r.status, r.raw)
		}
	}
	result := fmt.Sprintf("/api/v1/reviews/%d/result", e.review.ID)
	if r := e.call("GET", result, "", ""); r.status != 409 || errCode(t, r) != "result_not_published" {
		t.Errorf("result while open: %d %s", r.status, r.raw)
	}
	if _, err := reviews.Close(t.Context(), e.db, e.office, e.review.ID, time.Date(2026, 11, 24, 18, 0, 0, 0, bkCST)); err != nil {
		t.Fatal(err)
	}
	r = e.call("GET", result, "", "")
	if r.status != 200 {
		t.Fatalf("result: %d %s", r.status, r.raw)
	}
	var res api.ResultView
	must(t, json.Unmarshal(r.raw, &res))
	// Ratings[i%3] for i = 1..9 and 满意 for the first: 4 满意, 3 基本满意, 3 不满意.
	if res.Ballots != 10 || res.Review.Status != "closed" || len(res.Subjects) != 2 || len(res.Subjects[1].Counts) != 5 ||
		res.Subjects[1].Counts[4] != (api.CountView{Dimension: "总体评价", Satisfied: 4, Fair: 3, Unsatisfied: 3}) {
		t.Errorf("result: %+v", res)
	}
	if strings.Contains(string(r.raw), "希望多到社区") {
		t.Errorf("the public result shows a comment")
	}
	for _, id := range e.subjects {
		var dep struct {
			Reviews []api.DeputyReviewResult `json:"reviews"`
		}
		r := e.call("GET", fmt.Sprintf("/api/v1/deputies/%d", id), "", "")
		must(t, json.Unmarshal(r.raw, &dep))
		if r.status != 200 || len(dep.Reviews) != 1 || dep.Reviews[0].ID != e.review.ID || dep.Reviews[0].Ballots != 10 ||
			dep.Reviews[0].Counts[4].Satisfied != 4 || dep.Reviews[0].Date != "2026-11-24" {
			t.Errorf("deputy %d: %d %s", id, r.status, r.raw)
		}
	}
	if r := e.call("GET", "/api/v1/reviews/999/result", "", ""); r.status != 404 || errCode(t, r) != "review_not_found" {
		t.Errorf("no such review: %d %s", r.status, r.raw)
	}
}

// Ensure below the minimum the API publishes nothing, even after the
// close, and the deputy's page lists no review.
func TestBallotResultBelowMinimum(t *testing.T) {
	e := newBallotEnv(t, 5)
	for i := range 4 {
		tk := signIn(t, e.bookEnv, fmt.Sprint("few-", i), fmt.Sprint("oFew", i))
		if r := e.call("POST", "/api/v1/ballots", tk, e.ballot(e.codes[i], models.RatingSatisfied, "")); r.status != 201 {
			t.Fatalf("cast %d: %d %s", i, r.status, r.raw)
		}
	}
	if _, err := reviews.Close(t.Context(), e.db, e.office, e.review.ID, time.Date(2026, 11, 24, 18, 0, 0, 0, bkCST)); err != nil {
		t.Fatal(err)
	}
	if r := e.call("GET", fmt.Sprintf("/api/v1/reviews/%d/result", e.review.ID), "", ""); r.status != 409 || errCode(t, r) != "result_not_published" {
		t.Errorf("result with 4 of 5 ballots: %d %s", r.status, r.raw)
	}
	r := e.call("GET", fmt.Sprintf("/api/v1/deputies/%d", e.subjects[0]), "", "")
	if r.status != 200 || !strings.Contains(string(r.raw), `"reviews":[]`) {
		t.Errorf("deputy page: %d %s", r.status, r.raw)
	}
}

// Ensure a voter who voted, deleted their data (DELETE /api/v1/me) and
// signed in again with the same WeChat (a new voter row) cannot vote
// again with another slip, which stays unused for someone else.
func TestSecondBallotAfterErasureRefused(t *testing.T) {
	e := newBallotEnv(t, 0)
	first := signIn(t, e.bookEnv, "erase-b1", "oErase")
	var me api.VoterView
	e.doAuth("GET", "/api/v1/me", first, "", &me)
	if r := e.call("POST", "/api/v1/ballots", first, e.ballot(e.codes[0], models.RatingSatisfied, "")); r.status != 201 {
		t.Fatalf("first ballot: %d %s", r.status, r.raw)
	}
	if r := e.call("DELETE", "/api/v1/me", first, ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /me: %d %s", r.status, r.raw)
	}
	again := signIn(t, e.bookEnv, "erase-b2", "oErase")
	var me2 api.VoterView
	e.doAuth("GET", "/api/v1/me", again, "", &me2)
	if me2.ID == 0 || me2.ID == me.ID {
		t.Fatalf("signed in again as voter %d (was %d): not a new voter row", me2.ID, me.ID)
	}
	r := e.call("POST", "/api/v1/ballot-slips/open", again, `{"code":"`+e.codes[1]+`"}`)
	var opened api.SlipOpenResponse
	must(t, json.Unmarshal(r.raw, &opened))
	if r.status != 200 || !opened.AlreadyVoted {
		t.Errorf("open after the erasure: %d %s", r.status, r.raw)
	}
	r = e.call("POST", "/api/v1/ballots", again, e.ballot(e.codes[1], models.RatingUnsatisfied, ""))
	if r.status != 409 || errCode(t, r) != "already_voted" {
		t.Errorf("second ballot after the erasure: %d %s", r.status, r.raw)
	}
	someone := signIn(t, e.bookEnv, "erase-b3", "oSomeoneElse")
	if r := e.call("POST", "/api/v1/ballots", someone, e.ballot(e.codes[1], models.RatingFair, "")); r.status != 201 {
		t.Errorf("the slip refused to the erased voter, for someone else: %d %s", r.status, r.raw)
	}
	var n int64
	must(t, e.db.Model(&models.Ballot{}).Count(&n).Error)
	if n != 2 {
		t.Errorf("%d ballots, want 2", n)
	}
}

// Ensure no log line of the server links a ballot to a voter: while
// voters open slips and cast ballots (successes and refusals), no line
// holds a slip code, a comment or a mark, so none holds one beside a
// voter id, openid or session token; and the replay store of the
// idempotency keys holds no voter id for ballots.
func TestBallotLogsLinkNoVoter(t *testing.T) {
	e := newBallotEnv(t, 0)
	type cast struct {
		openid, token, code, comment string
		id                           uint64
	}
	var casts []cast
	for i := range 6 {
		c := cast{openid: fmt.Sprint("oLogVoter", i), code: e.codes[i], comment: fmt.Sprint("第", i, "位选民的意见：路灯坏了")}
		c.token = signIn(t, e.bookEnv, fmt.Sprint("log-", i), c.openid)
		var me api.VoterView
		e.doAuth("GET", "/api/v1/me", c.token, "", &me)
		c.id = me.ID
		e.call("POST", "/api/v1/ballot-slips/open", c.token, `{"code":"`+c.code+`"}`)
		if r := e.call("POST", "/api/v1/ballots", c.token, e.ballot(c.code, models.Ratings[i%3], c.comment), "Idempotency-Key", fmt.Sprint("log-key-", i)); r.status != 201 {
			t.Fatalf("cast %d: %d %s", i, r.status, r.raw)
		}
		// Refusals log too: a used slip, an incomplete ballot.
		e.call("POST", "/api/v1/ballots", c.token, e.ballot(c.code, models.RatingFair, ""))
		e.call("POST", "/api/v1/ballots", c.token, `{"code":"`+e.codes[10+i]+`","marks":[]}`)
		casts = append(casts, c)
	}
	lines := e.logs.lines()
	requests := 0
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["msg"] == "HTTP request" && strings.HasPrefix(fmt.Sprint(m["route"]), "/api/v1/ballot") {
			requests++
		}
		for _, c := range casts {
			who := strings.Contains(l, c.openid) || strings.Contains(l, c.token) ||
				strings.Contains(l, `"voter":`+strconv.FormatUint(c.id, 10)) || strings.Contains(l, `"voter_id":`+strconv.FormatUint(c.id, 10))
			what := strings.Contains(l, c.code) || strings.Contains(l, c.comment) || strings.Contains(l, "satisfied") || strings.Contains(l, "subject_id")
			if what {
				t.Errorf("a log line holds a ballot's content (voter named: %v): %s", who, l)
			}
		}
		for _, code := range e.codes {
			if strings.Contains(l, code) {
				t.Errorf("a log line holds a slip code: %s", l)
			}
		}
	}
	if requests != 6*4 {
		t.Errorf("%d ballot request lines logged, want 24 (the capture works)", requests)
	}
	keys, err := wechattest.Keys(t.Context(), e.rd.Client, e.rd.Prefix+"idem:ballots:*")
	must(t, err)
	if len(keys) != 6 {
		t.Errorf("idempotency keys: %v", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, e.rd.Prefix+"idem:ballots:0:log-key-") {
			t.Errorf("a ballot's idempotency key names its voter: %s", k)
		}
	}
}
