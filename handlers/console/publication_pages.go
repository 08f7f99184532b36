package console

import (
	"net/http"
	"strconv"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The public results on the console (docs/ARCHITECTURE.md#public-results):
// on a closed item, a clerk or head of its station or an admin writes a
// summary and the result in their own words, ticks the photos the person
// shown agreed to publish, and publishes it (公开办理结果), after a
// confirmation; a published one can be withdrawn (撤回公开). Both show in
// the item's timeline. /console/publications lists what the staff member's
// stations published, with the withdrawal.

// tplPublications is the list of published results.
const tplPublications = "publications.html"

// PublicationsPath is the list of published results.
const PublicationsPath = pagesBase + "/publications"

// publicationPages registers the publishing actions and the list.
func (h *Handlers) publicationPages(signedIn *gin.RouterGroup) {
	signedIn.POST("/opinions/:id/publish", h.pagePublish)
	signedIn.POST("/opinions/:id/unpublish", h.pageUnpublish)
	signedIn.GET("/publications", h.pagePublications)
}

// publicationData is the item page's 办理结果公开 card.
type publicationData struct {
	// Show is a closed item the staff member may publish or withdraw.
	Show, Live, Withdrawn bool
	Summary, Result       string
	PublishedAt           string
	WithdrawnAt           string
	// Photos are the item's photos, Checked those approved (published) or
	// ticked in a refused form.
	Photos []publicationPhoto
}

// publicationPhoto is one of the item's photos on the card.
type publicationPhoto struct {
	ID      uint64
	Src     string
	Checked bool
}

// publicationOf fills the card of item v for staff.
func (h *Handlers) publicationOf(c *gin.Context, staff models.Staff, v models.StaffOpinionView) (publicationData, error) {
	var d publicationData
	if v.Status != models.OpinionClosed || !models.CanPublish(staff) {
		return d, nil
	}
	p, found, err := models.GetPublication(c.Request.Context(), h.DB, v.ID)
	if err != nil {
		return d, err
	}
	d.Show, d.Live, d.Withdrawn = true, p.Live(), found && !p.Live()
	approved := map[uint64]bool{}
	if found {
		d.Summary, d.Result, d.PublishedAt = p.Summary, p.Result, h.localTime(p.PublishedAt)
		if p.WithdrawnAt != nil {
			d.WithdrawnAt = h.localTime(*p.WithdrawnAt)
		}
		for _, id := range p.Photos() {
			approved[id] = p.Live()
		}
	}
	for _, id := range c.PostFormArray("photo_ids") {
		if n, ok := models.ParseID(id); ok {
			approved[n] = true
		}
	}
	for _, ph := range v.Photos {
		d.Photos = append(d.Photos, publicationPhoto{ID: ph.ID, Checked: approved[ph.ID],
			Src: pagesBase + "/api/opinions/" + strconv.FormatUint(v.ID, 10) + "/photos/" + strconv.FormatUint(ph.ID, 10)})
	}
	return d, nil
}

func (h *Handlers) pagePublish(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	in := models.PublishInput{Summary: c.PostForm("summary"), Result: c.PostForm("result")}
	for _, s := range c.PostFormArray("photo_ids") {
		if n, ok := models.ParseID(s); ok {
			in.PhotoIDs = append(in.PhotoIDs, n)
		}
	}
	ctx := c.Request.Context()
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	if _, err := models.PublishOpinion(ctx, h.DB, consoleStaff(c).ID, id, in, h.Now(), h.Location, cal); err != nil {
		h.refused(c, id, "publish", err, "summary", "result")
		return
	}
	seeOther(c, OpinionPagePath(id), "已公开办理结果")
}

func (h *Handlers) pageUnpublish(c *gin.Context) {
	id, ok := h.itemID(c)
	if !ok {
		return
	}
	err := models.WithdrawPublication(c.Request.Context(), h.DB, consoleStaff(c).ID, id, h.Now())
	back := OpinionPagePath(id)
	if c.PostForm("back") == "list" {
		back = PublicationsPath
	}
	if err != nil {
		if back == PublicationsPath {
			h.showPublications(c, err)
			return
		}
		h.refused(c, id, "unpublish", err)
		return
	}
	seeOther(c, back, "已撤回公开")
}

// publicationRow is one line of the list.
type publicationRow struct {
	OpinionID                                uint64
	Href, TrackingNo, Station, Summary, When string
	Live                                     bool
}

// publicationsData is the list page.
type publicationsData struct {
	Rows []publicationRow
	Next string
}

func (h *Handlers) pagePublications(c *gin.Context) { h.showPublications(c, nil) }

// showPublications renders the list, with the refusal of a withdrawal
// from it when bad is not nil.
func (h *Handlers) showPublications(c *gin.Context, bad error) {
	staff := consoleStaff(c)
	p := page{Title: "办理结果公开", Nav: "opinions", Notice: noticeOf(c)}
	status := http.StatusOK
	if bad != nil {
		st, det := shared.ErrorOf(c, bad)
		if st == http.StatusNotFound || st >= 500 {
			h.renderErr(c, bad)
			return
		}
		status, p.Error = st, det.Message
	}
	if !models.CanPublish(staff) {
		h.renderErr(c, models.ErrPublishForbidden)
		return
	}
	before, _ := models.ParseID(c.Query("cursor"))
	rows, next, err := models.ListStaffPublications(c.Request.Context(), h.DB, models.ScopeOf(staff), before, 50)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	var d publicationsData
	for _, r := range rows {
		row := publicationRow{OpinionID: r.OpinionID, Href: OpinionPagePath(r.OpinionID), TrackingNo: r.TrackingNo,
			Station: r.StationName, Summary: models.Shorten(r.Summary, 60, "…"), Live: r.Live(),
			When: "公开于" + h.localTime(r.PublishedAt)}
		if r.WithdrawnAt != nil {
			row.When = "撤回于" + h.localTime(*r.WithdrawnAt)
		}
		d.Rows = append(d.Rows, row)
	}
	if next != 0 {
		d.Next = PublicationsPath + "?cursor=" + strconv.FormatUint(next, 10)
	}
	p.Data = d
	h.render(c, status, tplPublications, p)
}
