package console

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// The deputy's side of 代表评部门 (/console/me/reviews;
// docs/ARCHITECTURE.md#review-pages): the reviews of departments the
// deputy may vote in, open ones first, and one ballot page per review: a
// row of three big choices (满意 / 基本满意 / 不满意) for each department and
// dimension, an optional comment per department, one submit. The ballot
// is cast under the deputy's official-account openid through the keyed
// hash (reviews.CastAsDeputy), so a second ballot is refused by the
// database; the page then thanks them. Once the review closed and was
// published, the same page shows its result (counts only: the comments
// stay with the organiser).

// Templates of the deputy's review pages.
const (
	tplMeReviews = "me_reviews.html"
	tplMeReview  = "me_review.html"
)

// meReviewsPath lists the deputy's reviews.
const meReviewsPath = MePath + "/reviews"

// meReviewPath is one review's ballot (or result) page.
func meReviewPath(id uint64) string { return meReviewsPath + "/" + strconv.FormatUint(id, 10) }

// Refusals of the deputy's ballot pages.
var (
	// errNoBallotKey: the deployment has no data key for ballots.
	errNoBallotKey = models.Coded(shared.ErrUnavailable, "no_ballot_key", "暂时无法投票（未配置数据密钥），请联系人大常委会办公室")
	// errDeputyNoWeChat: a ballot is keyed by the deputy's WeChat, which
	// this deputy has not bound.
	errDeputyNoWeChat = models.Coded(models.ErrForbidden, "deputy_not_bound",
		"评议投票需要先绑定您本人的微信：请用微信扫描人大常委会办公室发给您的绑定二维码，绑定后再从公众号进入投票")
)

// meReviewPages registers the deputy's review pages on me (/console/me).
func (h *Handlers) meReviewPages(me *gin.RouterGroup) {
	me.GET("/reviews", h.pageMeReviews)
	me.GET("/reviews/:id", h.pageMeReview)
	me.POST("/reviews/:id", h.pageMeReviewCast)
}

// meReviewRow is one review of the deputy's list.
type meReviewRow struct {
	Href, Title, Date, Place, Status, StatusKey string
	Voted, Published                            bool
}

// statusOrder puts open reviews first, then those to come, then the ended.
func statusOrder(s reviews.Status) int {
	switch s {
	case reviews.StatusOpen:
		return 0
	case reviews.StatusScheduled:
		return 1
	}
	return 2
}

// meReviews are the signed-in deputy's reviews and whether they voted in
// each, open ones first; ok is false when the page answered already.
func (h *Handlers) meReviews(c *gin.Context) ([]reviews.View, []bool, bool) {
	if h.Ballots == nil {
		h.renderErr(c, errNoBallotKey)
		return nil, nil, false
	}
	dep := consoleDeputy(c)
	if dep.OAOpenID == nil || *dep.OAOpenID == "" {
		h.renderErr(c, errDeputyNoWeChat)
		return nil, nil, false
	}
	views, voted, err := reviews.DeputyReviews(c.Request.Context(), h.DB, h.Ballots, dep, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return nil, nil, false
	}
	idx := make([]int, len(views))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(statusOrder(views[a].Status), statusOrder(views[b].Status))
	})
	vs, vd := make([]reviews.View, len(idx)), make([]bool, len(idx))
	for i, j := range idx {
		vs[i], vd[i] = views[j], voted[j]
	}
	return vs, vd, true
}

// meReviewCounts are, for the deputy's home, how many reviews of
// departments they may see and how many wait for their ballot; none when
// ballots cannot be keyed (the reviews' own pages say why).
func (h *Handlers) meReviewCounts(c *gin.Context, dep models.Deputy) (all, toVote int) {
	if h.Ballots == nil || dep.OAOpenID == nil {
		return 0, 0
	}
	views, voted, err := reviews.DeputyReviews(c.Request.Context(), h.DB, h.Ballots, dep, h.Now())
	if err != nil {
		shared.Logger(c).WarnContext(c.Request.Context(), "Deputy's reviews failed to load", "deputy", dep.ID, "err", err)
		return 0, 0
	}
	for i, v := range views {
		if v.Status == reviews.StatusOpen && !voted[i] {
			toVote++
		}
	}
	return len(views), toVote
}

func (h *Handlers) pageMeReviews(c *gin.Context) {
	views, voted, ok := h.meReviews(c)
	if !ok {
		return
	}
	rows := make([]meReviewRow, 0, len(views))
	for i, v := range views {
		r := v.Review
		rows = append(rows, meReviewRow{Href: meReviewPath(r.ID), Title: r.Title, Date: models.CalendarFullDateText(r.Date),
			Place: r.Place, Status: v.Status.Label(), StatusKey: string(v.Status), Voted: voted[i], Published: v.Published})
	}
	h.render(c, http.StatusOK, tplMeReviews, page{Title: "评议部门", Nav: "me", Notice: noticeOf(c), Data: rows})
}

// meReviewData is one review's page for the deputy: the ballot while it
// is open and they have not voted, else where it stands (and its result).
type meReviewData struct {
	ID                         uint64
	Title, Date, Place, Window string
	Status, StatusKey          string
	Voted, Open, Published     bool
	Dimensions, Ratings        []string
	Ballot                     []ballotSubject
	Result                     []tallySubject
	Action                     string
	// Missing counts the rows left unmarked in a refused ballot.
	Missing int
	// Total is the result's number of ballots.
	Total int
	// MaxComment is the longest comment on one department.
	MaxComment int
}

// ballotSubject is one department on the ballot.
type ballotSubject struct {
	Name                 string
	CommentName, Comment string
	Rows                 []ballotRow
}

// ballotRow is one dimension of a department: three choices, one name.
type ballotRow struct {
	Dimension, Name, Value string
	Choices                []option
	Missing                bool
}

// markField names the choice of subject on dimension; commentField its comment.
func markField(subject uint64, dim int) string {
	return "m_" + strconv.FormatUint(subject, 10) + "_" + strconv.Itoa(dim)
}

func commentField(subject uint64) string { return "c_" + strconv.FormatUint(subject, 10) }

// meReview finds review :id among the deputy's; ok is false when the
// page answered already (the 404 page for a review not theirs).
func (h *Handlers) meReview(c *gin.Context) (reviews.View, bool, bool) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return reviews.View{}, false, false
	}
	views, voted, ok := h.meReviews(c)
	if !ok {
		return reviews.View{}, false, false
	}
	for i, v := range views {
		if v.Review.ID == id {
			return v, voted[i], true
		}
	}
	h.renderErr(c, models.ErrNotFound)
	return reviews.View{}, false, false
}

func (h *Handlers) pageMeReview(c *gin.Context) {
	v, voted, ok := h.meReview(c)
	if !ok {
		return
	}
	h.renderMeReview(c, http.StatusOK, "", v, voted, nil, false)
}

// renderMeReview writes the deputy's page of v; a refused ballot comes
// back with msg and what was chosen (form), unmarked rows marked when
// showMissing.
func (h *Handlers) renderMeReview(c *gin.Context, status int, msg string, v reviews.View, voted bool, form map[string]string, showMissing bool) {
	r := v.Review
	d := meReviewData{ID: r.ID, Title: r.Title, Date: models.CalendarFullDateText(r.Date), Place: r.Place,
		Window: windowText(r, h.Location),
		Status: v.Status.Label(), StatusKey: string(v.Status), Voted: voted, Open: v.Status == reviews.StatusOpen,
		Published: v.Published, Dimensions: v.Dimensions, Ratings: ratingLabels(), Action: meReviewPath(r.ID),
		MaxComment: reviews.MaxComment}
	if d.Open && !voted {
		for _, s := range v.Subjects {
			bs := ballotSubject{Name: s.Name, CommentName: commentField(s.ID), Comment: form[commentField(s.ID)]}
			for di, dim := range v.Dimensions {
				name := markField(s.ID, di)
				row := ballotRow{Dimension: dim, Name: name, Value: form[name], Missing: showMissing && form[name] == ""}
				for _, rt := range models.Ratings {
					row.Choices = append(row.Choices, option{Value: string(rt), Label: rt.Label()})
				}
				if row.Missing {
					d.Missing++
				}
				bs.Rows = append(bs.Rows, row)
			}
			d.Ballot = append(d.Ballot, bs)
		}
	}
	if v.Published {
		t, err := reviews.PublicTally(c.Request.Context(), h.DB, r.ID)
		if err != nil {
			h.renderErr(c, err)
			return
		}
		d.Result, d.Total = tallyTables(t, false), t.Ballots
	}
	h.render(c, status, tplMeReview, page{Title: "评议部门", Nav: "me", Notice: noticeOf(c), Error: msg, Data: d})
}

func (h *Handlers) pageMeReviewCast(c *gin.Context) {
	v, voted, ok := h.meReview(c)
	if !ok {
		return
	}
	form := map[string]string{}
	var b reviews.Ballot
	var bad error
	for _, s := range v.Subjects {
		for di := range v.Dimensions {
			name := markField(s.ID, di)
			val := c.PostForm(name)
			rt := models.Rating(val)
			if val == "" {
				continue
			}
			if !rt.Valid() {
				bad = models.Invalid(name, "请在“满意”“基本满意”“不满意”中选择")
				continue
			}
			form[name] = val
			b.Marks = append(b.Marks, models.BallotMark{SubjectID: s.ID, Dimension: di, Rating: rt})
		}
		text := strings.TrimSpace(c.PostForm(commentField(s.ID)))
		form[commentField(s.ID)] = text
		if text != "" {
			b.Comments = append(b.Comments, models.BallotComment{SubjectID: s.ID, Text: text})
		}
	}
	err := bad
	if err == nil {
		// In local time: the ballot keeps the local day it was cast.
		err = reviews.CastAsDeputy(c.Request.Context(), h.DB, h.Ballots, v.Review.ID, consoleDeputy(c), b, h.Now().In(h.Location))
	}
	if err != nil {
		status, e := shared.ErrorOf(c, err)
		if status >= 500 || status == http.StatusNotFound {
			h.renderErr(c, err)
			return
		}
		// A ballot refused for itself comes back with the choices kept; a
		// review refused (voted, closed) shows where it stands.
		keep := badField(err) != ""
		if !keep {
			form = nil
		}
		voted = voted || errors.Is(err, models.ErrAlreadyVoted)
		h.renderMeReview(c, status, e.Message, v, voted, form, keep)
		return
	}
	seeOther(c, meReviewPath(v.Review.ID), "投票成功，感谢您参与评议")
}
