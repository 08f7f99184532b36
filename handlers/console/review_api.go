package console

import (
	"net/http"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// The reviews in the console's JSON API (openapi.json, tag reviews): the
// organiser's list and one review with its counts and, once published, its
// tally (counts only). The same scope and the same anonymity as the pages
// (review_pages.go): no marks before the review closed with its minimum.

// consoleReviewRoutes registers the reviews' API on g (/console/api).
func (h *Handlers) consoleReviewRoutes(g *gin.RouterGroup) {
	g.GET("/reviews", h.consoleReviews)
	g.GET("/reviews/:id", h.consoleReview)
}

// reviewJSON is a review as the API answers it.
type reviewJSON struct {
	ID           uint64            `json:"id"`
	Kind         models.ReviewKind `json:"kind"`
	KindLabel    string            `json:"kind_label"`
	Title        string            `json:"title"`
	Date         string            `json:"date"`
	Place        string            `json:"place"`
	OpensAt      time.Time         `json:"opens_at"`
	ClosesAt     time.Time         `json:"closes_at"`
	Status       reviews.Status    `json:"status"`
	StatusLabel  string            `json:"status_label"`
	Dimensions   []string          `json:"dimensions"`
	Subjects     []subjectJSON     `json:"subjects"`
	MinBallots   int               `json:"min_ballots"`
	Slips        int               `json:"slips"`
	SlipsUsed    int               `json:"slips_used"`
	Ballots      int               `json:"ballots"`
	PaperBallots int               `json:"paper_ballots"`
	Published    bool              `json:"published"`
	// Tally is the result, only once published (GET /reviews/{id}).
	Tally []subjectTallyJSON `json:"tally,omitempty"`
}

type subjectJSON struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

type subjectTallyJSON struct {
	SubjectID uint64      `json:"subject_id"`
	Name      string      `json:"name"`
	Counts    []countJSON `json:"counts"`
}

type countJSON struct {
	Dimension   string `json:"dimension"`
	Satisfied   int    `json:"satisfied"`
	Fair        int    `json:"fair"`
	Unsatisfied int    `json:"unsatisfied"`
}

func (h *Handlers) reviewJSONOf(v reviews.View) reviewJSON {
	r := v.Review
	out := reviewJSON{ID: r.ID, Kind: r.Kind, KindLabel: r.Kind.Label(), Title: r.Title, Date: r.Date, Place: r.Place,
		OpensAt: r.OpensAt.In(h.Location), ClosesAt: r.ClosesAt.In(h.Location), Status: v.Status, StatusLabel: v.Status.Label(),
		Dimensions: v.Dimensions, Subjects: []subjectJSON{}, MinBallots: r.MinBallots, Slips: v.Slips, SlipsUsed: v.SlipsUsed,
		Ballots: v.Ballots, PaperBallots: r.PaperBallots, Published: v.Published}
	if out.Dimensions == nil {
		out.Dimensions = []string{}
	}
	for _, s := range v.Subjects {
		out.Subjects = append(out.Subjects, subjectJSON{ID: s.ID, Name: s.Name})
	}
	return out
}

// consoleReviews lists the reviews the staff member organises.
func (h *Handlers) consoleReviews(c *gin.Context) {
	sc, err := models.ManageScopeOf(consoleStaff(c))
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	list, err := reviews.List(c.Request.Context(), h.DB, sc, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	items := make([]reviewJSON, 0, len(list))
	for _, v := range list {
		items = append(items, h.reviewJSONOf(v))
	}
	c.JSON(http.StatusOK, shared.List[reviewJSON]{Items: items})
}

// consoleReview is one review the staff member organises, with its tally
// once published.
func (h *Handlers) consoleReview(c *gin.Context) {
	id, ok := shared.ParseID(c, "id")
	if !ok {
		return
	}
	sc, err := models.ManageScopeOf(consoleStaff(c))
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	ctx := c.Request.Context()
	v, err := reviews.Get(ctx, h.DB, sc, id, h.Now())
	if err != nil {
		shared.RespondErr(c, err)
		return
	}
	out := h.reviewJSONOf(v)
	if v.Published {
		t, err := reviews.TallyOf(ctx, h.DB, sc, id, h.Now())
		if err != nil {
			shared.RespondErr(c, err)
			return
		}
		for _, s := range t.Subjects {
			st := subjectTallyJSON{SubjectID: s.Subject.ID, Name: s.Subject.Name, Counts: []countJSON{}}
			for _, n := range s.Counts {
				st.Counts = append(st.Counts, countJSON{Dimension: n.Dimension, Satisfied: n.Satisfied, Fair: n.Fair, Unsatisfied: n.Unsatisfied})
			}
			out.Tally = append(out.Tally, st)
		}
	}
	c.JSON(http.StatusOK, out)
}
