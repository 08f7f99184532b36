package reviews_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"
)

// fullBallot marks every subject on every dimension with rate(i, d).
func fullBallot(subjects []uint64, dims int, rate func(s, d int) models.Rating) reviews.Ballot {
	var b reviews.Ballot
	for i, s := range subjects {
		for d := range dims {
			b.Marks = append(b.Marks, models.BallotMark{SubjectID: s, Dimension: d, Rating: rate(i, d)})
		}
	}
	return b
}

func allSatisfied(subjects []uint64) reviews.Ballot {
	return fullBallot(subjects, 5, func(int, int) models.Rating { return models.RatingSatisfied })
}

func voter(n int) reviews.Voter { return reviews.Voter{OpenID: fmt.Sprintf("oVoter%04d", n)} }

// during is a moment the demo meeting (20 December, 15:00-17:00) is open.
var during = at(20, 15, 30)

// Ensure a slip is used once: a second ballot with it is refused, by
// another voter too, and the refusal writes nothing.
func TestUsedSlipRefused(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 3)
	ctx := t.Context()
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[0], voter(1), allSatisfied(subjects), during))
	for _, v := range []reviews.Voter{voter(1), voter(2)} {
		if err := reviews.CastWithSlip(ctx, c.db, c.keyer, codes[0], v, allSatisfied(subjects), during); !errors.Is(err, models.ErrSlipUsed) {
			t.Errorf("%s with a used slip: %v", v.OpenID, err)
		}
	}
	if _, _, err := reviews.OpenSlip(ctx, c.db, c.keyer, codes[0], voter(2), during); !errors.Is(err, models.ErrSlipUsed) {
		t.Errorf("opening a used slip: %v", err)
	}
	// A photo of someone's slip is worth nothing once it is used, and a
	// made-up code is unknown.
	for _, code := range []string{"ABCDEFGHJK", "short", "", "b=" + strings.Repeat("Z", 10)} {
		if _, _, err := reviews.OpenSlip(ctx, c.db, c.keyer, code, voter(2), during); !errors.Is(err, models.ErrSlipUnknown) {
			t.Errorf("open %q: %v", code, err)
		}
	}
	v, err := reviews.Get(ctx, c.db, c.office, r.ID, during)
	must(t, err)
	if v.Ballots != 1 || v.SlipsUsed != 1 {
		t.Errorf("after the refusals: %d ballots, %d slips used", v.Ballots, v.SlipsUsed)
	}
	// The slip scanned as its QR has it ("b=<code>", lower case) opens.
	view, voted, err := reviews.OpenSlip(ctx, c.db, c.keyer, reviews.SlipScene(strings.ToLower(codes[1])), voter(2), during)
	if err != nil || voted || view.Status != reviews.StatusOpen || len(view.Subjects) != 3 || len(view.Dimensions) != 5 {
		t.Errorf("open by scene: %+v %v %v", view, voted, err)
	}
	// So does the slip scanned as its link, which the mini-program passes
	// on when WeChat's 扫一扫 opened it (SlipLink).
	view, voted, err = reviews.OpenSlip(ctx, c.db, c.keyer, reviews.SlipLink("https://rd.example.gov.cn", codes[2]), voter(3), during)
	if err != nil || voted || view.Status != reviews.StatusOpen || len(view.Subjects) != 3 {
		t.Errorf("open by link: %+v %v %v", view, voted, err)
	}
	// A link with the code of no slip is unknown, not a slip of its own.
	if _, _, err := reviews.OpenSlip(ctx, c.db, c.keyer, "https://rd.example.gov.cn/b/ABCDEFGHJK", voter(3), during); !errors.Is(err, models.ErrSlipUnknown) {
		t.Errorf("open a made-up link: %v", err)
	}
}

// Ensure two casts racing with one slip (different voters) end with one
// ballot, and two racing slips of one voter too: the database decides, on
// MariaDB with real concurrent transactions.
func TestUsedSlipRaceOneWins(t *testing.T) {
	c, _, subjects, codes := countyMeeting(t, 40)
	ctx := t.Context()
	const n = 8
	race := func(code func(i int) string, who func(i int) reviews.Voter) []error {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = reviews.CastWithSlip(ctx, c.db, c.keyer, code(i), who(i), allSatisfied(subjects), during)
			})
		}
		close(start)
		wg.Wait()
		return errs
	}
	check := func(name string, errs []error, refusal error) {
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, refusal):
				t.Errorf("%s: %v, want %v", name, err, refusal)
			}
		}
		if won != 1 {
			t.Errorf("%s: %d casts won, want exactly 1", name, won)
		}
	}
	check("one slip, eight voters", race(func(int) string { return codes[0] }, voter), models.ErrSlipUsed)
	check("one voter, eight slips", race(func(i int) string { return codes[1+i] }, func(int) reviews.Voter { return voter(99) }),
		models.ErrAlreadyVoted)
	var ballots, used int64
	must(t, c.db.Model(&models.Ballot{}).Count(&ballots).Error)
	must(t, c.db.Model(&models.BallotSlip{}).Where("used = ?", true).Count(&used).Error)
	var marks int64
	must(t, c.db.Model(&models.BallotMark{}).Count(&marks).Error)
	if ballots != 2 || used != 2 || marks != 2*15 {
		t.Errorf("after the races: %d ballots, %d slips used, %d marks; want 2, 2, 30", ballots, used, marks)
	}
	if !modelstest.OnMySQL() {
		t.Log("SQLite serialises the writers; run with DEPUTYLINK_TEST_MYSQL for real concurrent transactions")
	}
}

// Ensure a voter votes once per review: a second slip is refused (and
// stays unused for someone else), in another review they vote again.
func TestSecondBallotBySameVoterRefused(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 3)
	ctx := t.Context()
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[0], voter(1), allSatisfied(subjects), during))
	_, voted, err := reviews.OpenSlip(ctx, c.db, c.keyer, codes[1], voter(1), during)
	if err != nil || !voted {
		t.Errorf("second slip opened by the same voter: voted %v, %v", voted, err)
	}
	if err := reviews.CastWithSlip(ctx, c.db, c.keyer, codes[1], voter(1), allSatisfied(subjects), during); !errors.Is(err, models.ErrAlreadyVoted) {
		t.Fatalf("second ballot: %v", err)
	}
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[1], voter(2), allSatisfied(subjects), during))
	// Another review, the same voter: a different key, a ballot.
	other := c.create(t, c.chengguan, meeting(depIDs(c.townDeps...), 2))
	oc := c.slips(t, c.chengguan, other.ID)
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, oc[0], voter(1), allSatisfied(depIDs(c.townDeps...)), during))
	var keys []string
	must(t, c.db.Model(&models.Ballot{}).Order("review_id").Pluck("voter_key", &keys).Error)
	if len(keys) != 3 || keys[0] == keys[2] && keys[1] == keys[2] {
		t.Errorf("voter keys: %v", keys)
	}
	if k1, k2 := c.keyer.VoterKey(r.ID, voter(1).OpenID), c.keyer.VoterKey(other.ID, voter(1).OpenID); k1 == k2 || len(k1) != 64 {
		t.Errorf("one voter's keys in two reviews: %s, %s", k1, k2)
	}
	// Another deployment's key gives other keys.
	if reviews.NewKeyer([]byte("another key of thirty-two bytes!")).VoterKey(r.ID, voter(1).OpenID) == c.keyer.VoterKey(r.ID, voter(1).OpenID) {
		t.Errorf("the voter key does not depend on the data key")
	}
}

// Ensure ballots are taken only in the window: before OpensAt, at and
// after ClosesAt, and after an early Close they are refused, and the slip
// stays unused.
func TestVotingOutsideWindowRefused(t *testing.T) {
	c, r, subjects, codes := countyMeeting(t, 3)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		when int // minutes after 15:00 on the 20th
		want error
	}{
		{"a minute early", -1, models.ErrReviewNotOpen},
		{"the day before", -24 * 60, models.ErrReviewNotOpen},
		{"at ClosesAt", 120, models.ErrReviewClosed},
		{"the day after", 24 * 60, models.ErrReviewClosed},
	} {
		when := at(20, 15, 0).Add(time.Duration(tc.when) * time.Minute)
		if err := reviews.CastWithSlip(ctx, c.db, c.keyer, codes[0], voter(1), allSatisfied(subjects), when); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The slip still opens, saying when the review opens.
	v, _, err := reviews.OpenSlip(ctx, c.db, c.keyer, codes[0], voter(1), at(20, 9, 0))
	if err != nil || v.Status != reviews.StatusScheduled {
		t.Errorf("open before the meeting: %v %v", v.Status, err)
	}
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[0], voter(1), allSatisfied(subjects), at(20, 15, 0)))
	_, err = reviews.Close(ctx, c.db, c.office, r.ID, at(20, 16, 0))
	must(t, err)
	if err := reviews.CastWithSlip(ctx, c.db, c.keyer, codes[1], voter(2), allSatisfied(subjects), at(20, 16, 1)); !errors.Is(err, models.ErrReviewClosed) {
		t.Errorf("after an early close: %v", err)
	}
	v, err = reviews.Get(ctx, c.db, c.office, r.ID, at(20, 16, 1))
	must(t, err)
	if v.Ballots != 1 || v.SlipsUsed != 1 || v.Status != reviews.StatusClosed {
		t.Errorf("after the refusals: %d ballots, %d slips used, %s", v.Ballots, v.SlipsUsed, v.Status)
	}
}

// Ensure a ballot must mark every subject on every dimension once with a
// known rating, and comments are checked; a refused ballot uses nothing.
func TestBallotMustBeComplete(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	subjects := depIDs(c.countyDeps...)
	r := c.create(t, c.office, meeting(subjects, 3))
	code := c.slips(t, c.office, r.ID)[0]
	full := allSatisfied(subjects)
	for _, tc := range []struct {
		name, field string
		b           reviews.Ballot
	}{
		{"empty", "marks", reviews.Ballot{}},
		{"one mark short", "marks", reviews.Ballot{Marks: full.Marks[1:]}},
		{"a mark twice", "marks", reviews.Ballot{Marks: append(full.Marks[1:], full.Marks[2])}},
		{"unknown rating", "marks", fullBallot(subjects, 5, func(s, d int) models.Rating { return "good" })},
		{"dimension out of range", "marks", fullBallot(subjects, 6, func(int, int) models.Rating { return models.RatingFair })},
		{"another subject", "marks", allSatisfied(depIDs(c.countyDeps[0], c.countyDeps[1], c.townDeps[0]))},
		{"comment too long", "comments", reviews.Ballot{Marks: full.Marks, Comments: []models.BallotComment{{SubjectID: subjects[0], Text: strings.Repeat("好", 201)}}}},
		{"comment on another subject", "comments", reviews.Ballot{Marks: full.Marks, Comments: []models.BallotComment{{SubjectID: c.westDep.ID, Text: "好"}}}},
		{"two comments on one", "comments", reviews.Ballot{Marks: full.Marks, Comments: []models.BallotComment{{SubjectID: subjects[0], Text: "好"}, {SubjectID: subjects[0], Text: "很好"}}}},
	} {
		err := reviews.CastWithSlip(ctx, c.db, c.keyer, code, voter(1), tc.b, during)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	ok := reviews.Ballot{Marks: full.Marks, Comments: []models.BallotComment{
		{SubjectID: subjects[0], Text: strings.Repeat("好", 200)}, {SubjectID: subjects[1], Text: "  "}}}
	must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, code, voter(1), ok, during))
	var comments int64
	must(t, c.db.Model(&models.BallotComment{}).Count(&comments).Error)
	if comments != 1 {
		t.Errorf("%d comments kept, want 1 (the blank one dropped)", comments)
	}
}
