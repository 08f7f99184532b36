package console

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// The organiser's pages of reviews (述职评议 and 代表评部门, /console/reviews;
// docs/ARCHITECTURE.md#review-pages): the county office organises the county
// deputies' reviews, a township's office its township deputies'; both may
// put departments to their deputies. The list, the new-review form, the
// review with its counts and, once closed with enough ballots, its tally;
// closing it; the paper ballots entered as counts; the slips printed on A4;
// the result in Excel. Behind requireManage: clerks and heads get the 403
// page, another organiser's review is the 404 page (reviews.Get).
//
// Anonymity on these pages: while a review is open the organiser sees how
// many slips were used and ballots cast, never the marks; the tally and
// the comments appear only once it closed with its minimum of ballots
// (Published), so no one in the room can read a neighbour's choice off a
// count that just moved.

// Templates of the review pages.
const (
	tplReviews     = "reviews.html"
	tplReviewNew   = "review_new.html"
	tplReview      = "review.html"
	tplReviewPaper = "review_paper.html"
	tplReviewSlips = "review_slips.html"
)

// ReviewsPath is the list of reviews.
const ReviewsPath = pagesBase + "/reviews"

// ReviewPath is the page of one review.
func ReviewPath(id uint64) string { return ReviewsPath + "/" + strconv.FormatUint(id, 10) }

// reviewPages registers the organiser's pages on g (/console/reviews,
// behind requireManage).
func (h *Handlers) reviewPages(g *gin.RouterGroup) {
	g.GET("", h.reviewListPage)
	g.GET("/new", h.reviewNewPage)
	g.POST("", h.reviewCreate)
	g.GET("/:id", h.reviewPage)
	g.POST("/:id/close", h.reviewClose)
	g.GET("/:id/paper", h.reviewPaperPage)
	g.POST("/:id/paper", h.reviewPaperSave)
	g.GET("/:id/slips", h.reviewSlipsPage)
	g.GET("/:id/export", h.reviewExport)
}

// reviewRow is one review of the list.
type reviewRow struct {
	Href, Title, Kind, Date, Place, Status, StatusKey string
	// Organiser names a township's review on the county office's list.
	Organiser                 string
	OfDeputies                bool
	Slips, SlipsUsed, Ballots int
}

// reviewListData is the list page.
type reviewListData struct {
	Rows []reviewRow
	// Organiser names whose deputies the scope reviews ("县人大代表").
	Organiser string
}

// organiserLabel names the deputies a scope organises the reviews of.
func organiserLabel(sc models.ManageScope) string {
	if sc.All {
		return "县人大代表"
	}
	return sc.Township + "人大代表"
}

func (h *Handlers) reviewListPage(c *gin.Context) {
	sc := manageScope(c)
	list, err := reviews.List(c.Request.Context(), h.DB, sc, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := reviewListData{Organiser: organiserLabel(sc)}
	for _, v := range list {
		r := v.Review
		d.Rows = append(d.Rows, reviewRow{Href: ReviewPath(r.ID), Title: r.Title, Kind: r.Kind.Label(),
			Date: models.CalendarFullDateText(r.Date), Place: r.Place, Status: v.Status.Label(), StatusKey: string(v.Status),
			OfDeputies: r.Kind == models.ReviewOfDeputies, Slips: v.Slips, SlipsUsed: v.SlipsUsed,
			Ballots: v.Ballots + r.PaperBallots})
		if !reviews.Organises(sc, r) {
			d.Rows[len(d.Rows)-1].Organiser = reviews.OrganiserName(r)
		}
	}
	h.render(c, http.StatusOK, tplReviews, page{Title: "评议", Nav: "reviews", Notice: noticeOf(c), Data: d})
}

// reviewFormData is the new-review form.
type reviewFormData struct {
	Kind, KindLabel, Organiser string
	OfDeputies                 bool
	// Form holds what was typed, by field name; Dims the dimensions' boxes.
	Form       map[string]string
	Dims       []string
	Candidates []checkItem
	Bad        string
	// MinMin is the least minimum of ballots an organiser may set.
	MinMin int
}

// reviewDimBoxes is how many dimension boxes the form offers.
const reviewDimBoxes = 8 // reviews.MaxDimensions allows more; eight fit the form

// reviewKindOf reads a kind from a form or query.
func reviewKindOf(s string) (models.ReviewKind, error) {
	switch k := models.ReviewKind(s); k {
	case models.ReviewOfDeputies, models.ReviewOfDepartments:
		return k, nil
	}
	return "", models.Invalid("kind", "请选择评议类型：选民评议代表或代表评议部门")
}

func (h *Handlers) reviewNewPage(c *gin.Context) {
	kind, err := reviewKindOf(c.DefaultQuery("kind", string(models.ReviewOfDeputies)))
	if err != nil {
		h.renderErr(c, err)
		return
	}
	day := h.Now().In(h.Location).AddDate(0, 0, 7).Format(models.DateLayout)
	form := map[string]string{"date": day, "opens_at": "09:00", "closes_at": "12:00",
		"min_ballots": strconv.Itoa(models.DefaultReviewMinBallots)}
	dims := models.DefaultReviewDimensions
	if kind == models.ReviewOfDepartments {
		dims = models.DefaultDepartmentDimensions
	} else {
		form["slips"] = "50"
	}
	h.renderReviewForm(c, http.StatusOK, "", kind, form, dims, nil, "")
}

// renderReviewForm writes the new-review form of kind with what was typed.
func (h *Handlers) renderReviewForm(c *gin.Context, status int, msg string, kind models.ReviewKind,
	form map[string]string, dims []string, chosen map[string]bool, bad string) {
	sc := manageScope(c)
	cands, err := reviews.Candidates(c.Request.Context(), h.DB, sc, kind)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := reviewFormData{Kind: string(kind), KindLabel: kind.Label(), Organiser: organiserLabel(sc),
		OfDeputies: kind == models.ReviewOfDeputies, Form: form, Bad: bad, MinMin: reviews.MinMinBallots}
	d.Dims = make([]string, max(reviewDimBoxes, len(dims)))
	copy(d.Dims, dims)
	for _, cd := range cands {
		v := strconv.FormatUint(cd.ID, 10)
		label := cd.Name
		if cd.Note != "" {
			label += "（" + cd.Note + "）"
		}
		d.Candidates = append(d.Candidates, checkItem{Value: v, Label: label, Checked: chosen[v]})
	}
	title := "新建选民评议代表"
	if kind == models.ReviewOfDepartments {
		title = "新建代表评议部门"
	}
	h.render(c, status, tplReviewNew, page{Title: title, Nav: "reviews", Error: msg, Data: d})
}

// reviewForm is the new-review form as posted.
type reviewForm struct {
	kind   models.ReviewKind
	fields map[string]string
	dims   []string
	chosen map[string]bool
}

// readReviewForm reads the posted form into what typed it (to show it
// again) and a reviews.NewReview; the error names the first bad field.
func (h *Handlers) readReviewForm(c *gin.Context) (reviewForm, reviews.NewReview, error) {
	f := reviewForm{fields: map[string]string{}, chosen: map[string]bool{}}
	for _, k := range []string{"title", "date", "place", "opens_at", "closes_at", "min_ballots", "slips"} {
		f.fields[k] = strings.TrimSpace(c.PostForm(k))
	}
	for _, d := range c.PostFormArray("dimension") {
		if d = strings.TrimSpace(d); d != "" {
			f.dims = append(f.dims, d)
		}
	}
	kind, err := reviewKindOf(c.PostForm("kind"))
	f.kind = kind
	if err != nil {
		return f, reviews.NewReview{}, err
	}
	in := reviews.NewReview{Kind: kind, Title: f.fields["title"], Date: f.fields["date"], Place: f.fields["place"], Dimensions: f.dims}
	for _, s := range c.PostFormArray("subject_id") {
		f.chosen[s] = true
		id, ok := models.ParseID(s)
		if !ok {
			return f, in, models.Invalid("subject_ids", "评议对象选择有误，请重新选择")
		}
		in.SubjectIDs = append(in.SubjectIDs, id)
	}
	day, err := time.ParseInLocation(models.DateLayout, in.Date, h.Location)
	if err != nil {
		return f, in, models.Invalid("date", "请选择评议日期")
	}
	clock := func(field, what string) (time.Time, error) {
		t, err := time.Parse("15:04", f.fields[field])
		if err != nil {
			return time.Time{}, models.Invalid(field, "请填写"+what+"，如“09:00”")
		}
		return day.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute), nil
	}
	if in.OpensAt, err = clock("opens_at", "开始投票的时间"); err != nil {
		return f, in, err
	}
	if in.ClosesAt, err = clock("closes_at", "结束投票的时间"); err != nil {
		return f, in, err
	}
	if in.MinBallots, err = formCount(f.fields["min_ballots"], "min_ballots", "最少有效票数"); err != nil {
		return f, in, err
	}
	if kind == models.ReviewOfDeputies {
		if in.Slips, err = formCount(f.fields["slips"], "slips", "评议票张数"); err != nil {
			return f, in, err
		}
	}
	return f, in, nil
}

// formCount reads a count typed into a form: empty is 0; anything but a
// whole number from 0 up is refused in Chinese naming what.
func formCount(s, field, what string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, models.Invalid(field, what+"请填写0或正整数")
	}
	return n, nil
}

// badField is the field a refusal names, "" if none.
func badField(err error) string {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

func (h *Handlers) reviewCreate(c *gin.Context) {
	f, in, err := h.readReviewForm(c)
	if err == nil {
		var r models.Review
		if r, err = reviews.Create(c.Request.Context(), h.DB, manageScope(c), in, h.Now()); err == nil {
			seeOther(c, ReviewPath(r.ID), "已建立评议："+r.Title)
			return
		}
	}
	if f.kind == "" {
		h.renderErr(c, err)
		return
	}
	h.refusedForm(c, err, func(status int, msg string) {
		h.renderReviewForm(c, status, msg, f.kind, f.fields, f.dims, f.chosen, badField(err))
	})
}

// reviewData is the page of one review.
type reviewData struct {
	ID                        uint64
	Title, Kind, Date, Place  string
	Window, Status, StatusKey string
	OfDeputies                bool
	Open, Closed, Published   bool
	// Final: the organiser (or the close job) closed it; Closed alone is
	// a window that passed, with the paper ballots still to enter.
	Final bool
	// AutoClose is when the close job closes it if no one does.
	AutoClose                   string
	Slips, SlipsUsed            int
	Online, Paper, Total, Min   int
	Dimensions                  []string
	Subjects                    []string
	Tally                       []tallySubject
	SlipsHref, PaperHref        string
	ExportHref, CloseAction     string
	CloseAsk                    string
	HiddenWhy                   string
	Ratings                     []string
	PaperAllowed, SlipsPrinting bool
	// Organiser is set when the staff member oversees a township's review
	// without organising it: no action is theirs.
	Organiser string
	Acts      bool
}

// tallySubject is one subject's table of the tally.
type tallySubject struct {
	Name     string
	Rows     []tallyRow
	Comments []string
}

// tallyRow is one dimension of a subject: the count and share of each mark.
type tallyRow struct {
	Dimension string
	Cells     []tallyCell
	Total     int
}

// tallyCell is one mark's count and its share of the dimension's marks.
type tallyCell struct {
	Count int
	Share string
}

// shareText is n of total as a percentage, "62.5%", "" for no marks.
func shareText(n, total int) string {
	if total == 0 {
		return ""
	}
	s := strconv.FormatFloat(float64(n)*100/float64(total), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// tallyTables lays a tally out as tables, with the comments when withComments.
func tallyTables(t reviews.Tally, withComments bool) []tallySubject {
	out := make([]tallySubject, 0, len(t.Subjects))
	for _, s := range t.Subjects {
		ts := tallySubject{Name: s.Subject.Name}
		for _, c := range s.Counts {
			n := c.Total()
			ts.Rows = append(ts.Rows, tallyRow{Dimension: c.Dimension, Total: n, Cells: []tallyCell{
				{c.Satisfied, shareText(c.Satisfied, n)}, {c.Fair, shareText(c.Fair, n)}, {c.Unsatisfied, shareText(c.Unsatisfied, n)}}})
		}
		if withComments {
			ts.Comments = s.Comments
		}
		out = append(out, ts)
	}
	return out
}

// ratingLabels are the marks' names in the tally's column order.
func ratingLabels() []string {
	out := make([]string, len(models.Ratings))
	for i, r := range models.Ratings {
		out[i] = r.Label()
	}
	return out
}

// pageReview is review :id of the scope (reviews.Get); ok is false when
// the page answered already (a bad id, the 404 page).
func (h *Handlers) pageReview(c *gin.Context) (reviews.View, bool) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return reviews.View{}, false
	}
	v, err := reviews.Get(c.Request.Context(), h.DB, manageScope(c), id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return reviews.View{}, false
	}
	return v, true
}

// windowText is when r takes ballots: "12月10日 09:00～12:00" within a day.
func windowText(r models.Review, loc *time.Location) string {
	if r.OpensAt.In(loc).Format(models.DateLayout) == r.ClosesAt.In(loc).Format(models.DateLayout) {
		return models.SpanText(r.OpensAt, r.ClosesAt, loc)
	}
	return models.DateTimeText(r.OpensAt, loc) + "～" + models.DateTimeText(r.ClosesAt, loc)
}

func (h *Handlers) reviewPage(c *gin.Context) {
	v, ok := h.pageReview(c)
	if !ok {
		return
	}
	ctx, sc, id := c.Request.Context(), manageScope(c), v.Review.ID
	r := v.Review
	d := reviewData{ID: id, Title: r.Title, Kind: r.Kind.Label(), Date: models.CalendarFullDateText(r.Date), Place: r.Place,
		Window: windowText(r, h.Location), Status: v.Status.Label(), StatusKey: string(v.Status), OfDeputies: r.Kind == models.ReviewOfDeputies,
		Open: v.Status == reviews.StatusOpen, Closed: v.Status == reviews.StatusClosed, Published: v.Published,
		Slips: v.Slips, SlipsUsed: v.SlipsUsed, Online: v.Ballots, Paper: r.PaperBallots, Total: v.Ballots + r.PaperBallots,
		Min: r.MinBallots, Dimensions: v.Dimensions, Ratings: ratingLabels(),
		SlipsHref: ReviewPath(id) + "/slips", PaperHref: ReviewPath(id) + "/paper", ExportHref: ReviewPath(id) + "/export",
		CloseAction: ReviewPath(id) + "/close"}
	d.Final = r.ClosedAt != nil
	d.AutoClose = models.DateTimeText(r.ClosesAt.Add(reviews.CloseGrace), h.Location)
	d.Acts = reviews.Organises(sc, r)
	if !d.Acts {
		d.Organiser = reviews.OrganiserName(r)
	}
	d.PaperAllowed = d.Acts && !d.Final
	d.SlipsPrinting = d.Acts && d.OfDeputies && !d.Closed
	for _, s := range v.Subjects {
		d.Subjects = append(d.Subjects, s.Name)
	}
	d.CloseAsk = "确定现在结束本次评议吗？结束后不能再投票，也不能再录入纸质票。"
	if d.Total < r.MinBallots {
		d.CloseAsk = "现在只有" + strconv.Itoa(d.Total) + "张有效票，不足" + strconv.Itoa(r.MinBallots) +
			"张，结束后评议结果将不予公布。确定现在结束本次评议吗？"
	}
	switch {
	case v.Published:
		t, err := reviews.TallyOf(ctx, h.DB, sc, id, h.Now())
		if err != nil {
			h.renderErr(c, err)
			return
		}
		d.Tally = tallyTables(t, true)
	case d.Final:
		d.HiddenWhy = "本次评议共收到" + strconv.Itoa(d.Total) + "张有效票，不足" + strconv.Itoa(r.MinBallots) +
			"张，为保护投票人的匿名，评议结果不予公布。"
	default:
		d.HiddenWhy = "评议结束前不显示评议结果：票数逐张变化时，在场的人可能据此推断出某个人的选择。"
	}
	h.render(c, http.StatusOK, tplReview, page{Title: r.Title, Nav: "reviews", Notice: noticeOf(c), Data: d})
}

func (h *Handlers) reviewClose(c *gin.Context) {
	id, ok := h.pageID(c, "id")
	if !ok {
		return
	}
	v, err := reviews.Close(c.Request.Context(), h.DB, manageScope(c), id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	notice := "评议已结束，结果已公布"
	if !v.Published {
		notice = "评议已结束；有效票不足，结果不予公布"
	}
	seeOther(c, ReviewPath(id), notice)
}

// reviewPaperData is the form of the paper ballots.
type reviewPaperData struct {
	ID       uint64
	Title    string
	Ballots  string
	Ratings  []string
	Subjects []paperSubject
	Bad      string
	Action   string
	Back     string
	Closed   bool
}

// paperSubject is one subject's grid of the paper form.
type paperSubject struct {
	Name string
	Rows []paperRow
}

// paperRow is one dimension: a box per mark.
type paperRow struct {
	Dimension string
	Cells     []paperCell
}

// paperCell is one box: its field name and what it holds.
type paperCell struct {
	Name, Value, Label string
}

// paperField names the box of subject, dimension and mark.
func paperField(subject uint64, dim int, r models.Rating) string {
	return "p_" + strconv.FormatUint(subject, 10) + "_" + strconv.Itoa(dim) + "_" + string(r)
}

func (h *Handlers) reviewPaperPage(c *gin.Context) {
	v, ok := h.pageReview(c)
	if !ok {
		return
	}
	ctx, sc, id := c.Request.Context(), manageScope(c), v.Review.ID
	counts, err := reviews.PaperCounts(ctx, h.DB, sc, id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	form := map[string]string{"paper_ballots": strconv.Itoa(v.Review.PaperBallots)}
	for _, pc := range counts {
		form[paperField(pc.SubjectID, pc.Dimension, pc.Rating)] = strconv.Itoa(pc.Count)
	}
	h.renderPaper(c, http.StatusOK, "", v, form, "")
}

// renderPaper writes the paper form of v with the values of form.
func (h *Handlers) renderPaper(c *gin.Context, status int, msg string, v reviews.View, form map[string]string, bad string) {
	id := v.Review.ID
	d := reviewPaperData{ID: id, Title: v.Review.Title, Ballots: form["paper_ballots"], Ratings: ratingLabels(), Bad: bad,
		Action: ReviewPath(id) + "/paper", Back: ReviewPath(id), Closed: v.Review.ClosedAt != nil}
	for _, s := range v.Subjects {
		ps := paperSubject{Name: s.Name}
		for di, dim := range v.Dimensions {
			row := paperRow{Dimension: dim}
			for _, r := range models.Ratings {
				name := paperField(s.ID, di, r)
				row.Cells = append(row.Cells, paperCell{Name: name, Value: form[name], Label: s.Name + "·" + dim + "·" + r.Label()})
			}
			ps.Rows = append(ps.Rows, row)
		}
		d.Subjects = append(d.Subjects, ps)
	}
	if d.Closed && msg == "" {
		msg = "本次评议已经结束，纸质票不能再录入或修改。"
	}
	h.render(c, status, tplReviewPaper, page{Title: "录入纸质票", Nav: "reviews", Notice: noticeOf(c), Error: msg, Data: d})
}

func (h *Handlers) reviewPaperSave(c *gin.Context) {
	v, ok := h.pageReview(c)
	if !ok {
		return
	}
	ctx, sc, id := c.Request.Context(), manageScope(c), v.Review.ID
	form := map[string]string{"paper_ballots": strings.TrimSpace(c.PostForm("paper_ballots"))}
	ballots, err := formCount(form["paper_ballots"], "paper_ballots", "纸质票张数")
	var counts []models.ReviewPaperCount
	for _, s := range v.Subjects {
		for di, dim := range v.Dimensions {
			for _, r := range models.Ratings {
				name := paperField(s.ID, di, r)
				form[name] = strings.TrimSpace(c.PostForm(name))
				n, cerr := formCount(form[name], name, "“"+s.Name+"”的“"+dim+"”中“"+r.Label()+"”的票数")
				if err == nil {
					err = cerr
				}
				if n > 0 {
					counts = append(counts, models.ReviewPaperCount{ReviewID: id, SubjectID: s.ID, Dimension: di, Rating: r, Count: n})
				}
			}
		}
	}
	if err == nil {
		err = reviews.EnterPaper(ctx, h.DB, sc, id, ballots, counts, h.Now())
	}
	if err != nil {
		h.refusedForm(c, err, func(status int, msg string) { h.renderPaper(c, status, msg, v, form, badField(err)) })
		return
	}
	seeOther(c, ReviewPath(id), "已录入纸质票"+strconv.Itoa(ballots)+"张")
}

// reviewSlipsData is the printable page of a review's slips.
type reviewSlipsData struct {
	Title, Date, Place, Printed string
	Slips                       []slipView
	Used                        int
	Closed                      bool
	Back                        string
	// ByLink says the QRs hold the slips' links, which WeChat's 扫一扫
	// opens in the mini-program; without a public address they hold the
	// scene text, which only the mini-program's own scan button reads.
	ByLink bool
}

// slipView is one printed slip. Its QR holds reviews.SlipLink: the link
// <DEPUTYLINK_PUBLIC_URL>/b/<code>, or the scene text "b=<code>" when the
// site has no public address. It is drawn here: a mini-program code per
// slip would be a call to WeChat for each of hundreds of slips, and the
// printed code under it can be typed in the mini-program instead.
type slipView struct {
	Code string
	// Groups is the code cut in groups (codeGroups), as it is printed to
	// be read out or typed.
	Groups []string
	QR     any // the src attribute of the QR image (imgSrc)
}

// slipQRSize is the side of a slip's QR image in pixels (printed at
// about 32 mm, it needs no more).
const slipQRSize = 300

// codeGroups cuts a code in groups of five characters (a ten-letter code
// in two halves), which are easier to read out and type.
func codeGroups(code string) []string {
	var out []string
	for len(code) > 5 {
		out = append(out, code[:5])
		code = code[5:]
	}
	return append(out, code)
}

func (h *Handlers) reviewSlipsPage(c *gin.Context) {
	v, ok := h.pageReview(c)
	if !ok {
		return
	}
	ctx, sc, id := c.Request.Context(), manageScope(c), v.Review.ID
	if v.Review.Kind != models.ReviewOfDeputies {
		h.renderErr(c, errNoSlips)
		return
	}
	slips, err := reviews.Slips(ctx, h.DB, sc, id)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := reviewSlipsData{Title: v.Review.Title, Date: models.CalendarFullDateText(v.Review.Date), Place: v.Review.Place,
		Printed: models.FullDateText(h.Now(), h.Location), Closed: v.Status == reviews.StatusClosed, Back: ReviewPath(id),
		ByLink: h.OpinionNotify.PublicURL != ""}
	if !d.Closed {
		for _, s := range slips {
			if s.Used {
				d.Used++
				continue
			}
			png, err := QRCodePNG(reviews.SlipLink(h.OpinionNotify.PublicURL, s.Code), slipQRSize)
			if err != nil {
				h.renderErr(c, err)
				return
			}
			d.Slips = append(d.Slips, slipView{Code: s.Code, Groups: codeGroups(s.Code), QR: imgSrc(png)})
		}
	}
	var buf bytes.Buffer
	if err := pageTemplates[tplReviewSlips].ExecuteTemplate(&buf, "print", page{Title: v.Review.Title + "评议票", Data: d}); err != nil {
		shared.RespondErr(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// errNoSlips answers the slips of a review of departments: deputies vote
// on their own pages, with no slip.
var errNoSlips = models.Coded(models.ErrNotFound, "no_slips", "代表评议部门由代表在自己的履职页面投票，不需要打印评议票")

func (h *Handlers) reviewExport(c *gin.Context) {
	v, ok := h.pageReview(c)
	if !ok {
		return
	}
	ctx, sc, id := c.Request.Context(), manageScope(c), v.Review.ID
	if !v.Published {
		h.renderErr(c, models.ErrResultHidden)
		return
	}
	t, err := reviews.TallyOf(ctx, h.DB, sc, id, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var buf bytes.Buffer
	if err := reviews.WriteTallyExcel(&buf, t); err != nil {
		h.renderErr(c, err)
		return
	}
	c.Header("Content-Disposition", contentDisposition(reviews.TallyFileName(v.Review), "review-"+strconv.FormatUint(id, 10)+".xlsx"))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}
