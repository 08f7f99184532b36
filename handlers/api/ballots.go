package api

import (
	"net/http"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// The voters' ballots of a review (述职评议, docs/ARCHITECTURE.md#reviews):
// a voter representative scans a slip's QR (its link or scene, reviews.SlipLink) in the
// mini-program, which opens the ballot (POST /ballot-slips/open) and casts
// it (POST /ballots); anyone reads a published result
// (GET /reviews/{id}/result).
//
// The slip's code travels in the body, never in a path, so the access log
// (which keeps routes) never holds it. The idempotency of POST /ballots is
// keyed by the Idempotency-Key alone, not by the voter (ballotOwner): the
// replay store keeps a hash of the body, and beside a voter id that hash
// could be matched to the ballot by trying the few thousand possible
// ballots of a printed slip.

// ballotRoutes registers the ballot routes: per-IP limits before the
// session is looked up, per-voter after it.
func (h *Handlers) ballotRoutes(g *gin.RouterGroup) {
	l := h.Limits
	chain := func(name string, hs ...gin.HandlerFunc) []gin.HandlerFunc {
		return append([]gin.HandlerFunc{h.LimitIP(name, l.BallotPerIP), h.requireVoter, h.limitVoter(name, l.BallotVoter)}, hs...)
	}
	g.POST("/ballot-slips/open", chain("ballot_open", h.openSlip)...)
	g.POST("/ballots", chain("ballot", h.Idempotent("ballots", ballotOwner), h.castBallot)...)
	g.GET("/reviews/:id/result", h.reviewResult)
}

// ballotOwner is the owner of a ballot's idempotency key: nobody (see
// above); the key is the client's random token.
func ballotOwner(*gin.Context) uint64 { return 0 }

// errBallotsOff is a deployment whose ballot key is not wired.
var errBallotsOff = models.Coded(shared.ErrUnavailable, "ballots_unavailable", "评议投票暂未开通")

// ReviewView is a review as the mini-program shows it.
type ReviewView struct {
	ID         uint64            `json:"id"`
	Kind       models.ReviewKind `json:"kind"`
	Title      string            `json:"title"`
	Date       string            `json:"date"`
	Place      string            `json:"place"`
	Status     reviews.Status    `json:"status"`
	OpensAt    time.Time         `json:"opens_at"`
	ClosesAt   time.Time         `json:"closes_at"`
	Dimensions []string          `json:"dimensions"`
	Subjects   []SubjectView     `json:"subjects"`
}

// SubjectView is a deputy (or department) on a ballot.
type SubjectView struct {
	ID       uint64 `json:"id"`
	Name     string `json:"name"`
	Duties   string `json:"duties"`
	PhotoURL string `json:"photo_url"`
}

// SlipOpenResponse answers POST /ballot-slips/open.
type SlipOpenResponse struct {
	Review       ReviewView `json:"review"`
	AlreadyVoted bool       `json:"already_voted"`
}

// CountView is one dimension's counts.
type CountView struct {
	Dimension   string `json:"dimension"`
	Satisfied   int    `json:"satisfied"`
	Fair        int    `json:"fair"`
	Unsatisfied int    `json:"unsatisfied"`
}

// SubjectResult is one subject's counts.
type SubjectResult struct {
	Subject SubjectView `json:"subject"`
	Counts  []CountView `json:"counts"`
}

// ResultView answers GET /reviews/{id}/result.
type ResultView struct {
	Review   ReviewView      `json:"review"`
	Ballots  int             `json:"ballots"`
	Subjects []SubjectResult `json:"subjects"`
}

// DeputyReviewResult is a deputy's own result of one review, on their
// public page (GET /deputies/{id}).
type DeputyReviewResult struct {
	ID      uint64      `json:"id"`
	Title   string      `json:"title"`
	Date    string      `json:"date"`
	Ballots int         `json:"ballots"`
	Counts  []CountView `json:"counts"`
}

// slipRequest is the body of POST /ballot-slips/open.
type slipRequest struct {
	Code string `json:"code"`
}

// castRequest is the body of POST /ballots.
type castRequest struct {
	Code  string `json:"code"`
	Marks []struct {
		SubjectID uint64 `json:"subject_id"`
		Dimension int    `json:"dimension"`
		Rating    string `json:"rating"`
	} `json:"marks"`
	Comments []struct {
		SubjectID uint64 `json:"subject_id"`
		Text      string `json:"text"`
	} `json:"comments"`
}

// castDone is the answer of a cast ballot.
const castDone = "投票成功，感谢您的参与！"

func (h *Handlers) openSlip(c *gin.Context) {
	var req slipRequest
	if !shared.BindJSON(c, &req) {
		return
	}
	if h.Ballots == nil {
		shared.RespondErr(c, errBallotsOff)
		return
	}
	v, voted, err := reviews.OpenSlip(c.Request.Context(), h.DB, h.Ballots, req.Code, reviews.Voter{OpenID: voterOpenID(c)}, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusOK, SlipOpenResponse{Review: h.reviewView(v), AlreadyVoted: voted})
}

func (h *Handlers) castBallot(c *gin.Context) {
	var req castRequest
	if !shared.BindJSON(c, &req) {
		return
	}
	if h.Ballots == nil {
		shared.RespondErr(c, errBallotsOff)
		return
	}
	var b reviews.Ballot
	for _, m := range req.Marks {
		b.Marks = append(b.Marks, models.BallotMark{SubjectID: m.SubjectID, Dimension: m.Dimension, Rating: models.Rating(m.Rating)})
	}
	for _, cm := range req.Comments {
		b.Comments = append(b.Comments, models.BallotComment{SubjectID: cm.SubjectID, Text: cm.Text})
	}
	// The local time: the ballot keeps its local day.
	now := h.Now().In(h.Location)
	if err := reviews.CastWithSlip(c.Request.Context(), h.DB, h.Ballots, req.Code, reviews.Voter{OpenID: voterOpenID(c)}, b, now); err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"message": castDone})
}

func (h *Handlers) reviewResult(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	t, err := reviews.PublicTally(c.Request.Context(), h.DB, id)
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	out := ResultView{Review: h.reviewView(t.View), Ballots: t.Ballots, Subjects: make([]SubjectResult, len(t.Subjects))}
	for i, st := range t.Subjects {
		out.Subjects[i] = SubjectResult{Subject: subjectView(st.Subject), Counts: countViews(st.Counts)}
	}
	// A published result is final.
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, out)
}

// deputyReviews are a deputy's published results, for their public page.
func (h *Handlers) deputyReviews(c *gin.Context, deputyID uint64) ([]DeputyReviewResult, error) {
	ts, err := reviews.DeputyResults(c.Request.Context(), h.DB, deputyID)
	if err != nil {
		return nil, err
	}
	out := make([]DeputyReviewResult, 0, len(ts))
	for _, t := range ts {
		r := DeputyReviewResult{ID: t.View.Review.ID, Title: t.View.Review.Title, Date: t.View.Review.Date, Ballots: t.Ballots, Counts: []CountView{}}
		if len(t.Subjects) == 1 {
			r.Counts = countViews(t.Subjects[0].Counts)
		}
		out = append(out, r)
	}
	return out, nil
}

func (h *Handlers) reviewView(v reviews.View) ReviewView {
	out := ReviewView{
		ID: v.Review.ID, Kind: v.Review.Kind, Title: v.Review.Title, Date: v.Review.Date, Place: v.Review.Place,
		Status: v.Status, OpensAt: v.Review.OpensAt.In(h.Location), ClosesAt: v.Review.ClosesAt.In(h.Location),
		Dimensions: v.Dimensions, Subjects: make([]SubjectView, len(v.Subjects)),
	}
	for i, s := range v.Subjects {
		out.Subjects[i] = subjectView(s)
	}
	return out
}

func subjectView(s reviews.Subject) SubjectView {
	return SubjectView{ID: s.ID, Name: s.Name, Duties: s.Duties, PhotoURL: s.PhotoURL}
}

func countViews(cs []reviews.Count) []CountView {
	out := make([]CountView, len(cs))
	for i, c := range cs {
		out[i] = CountView{Dimension: c.Dimension, Satisfied: c.Satisfied, Fair: c.Fair, Unsatisfied: c.Unsatisfied}
	}
	return out
}
