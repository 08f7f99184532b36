package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// The notification outbox as the county office sees it: the notices given
// up on (dead) and those stuck past their due time (as the daily digest
// counts them), filtered by channel and station, each with the Chinese
// meaning of WeChat's error, and a 重新发送 per notice and for every dead
// notice of the filter (models.RetryNotifications: the dispatcher sends
// them again once, under their dedupe keys). A township user sees its
// stations' notices, read-only.

// The outbox page's template.
const tplManageOutbox = "manage_outbox.html"

// Where the outbox page lives.
const manageOutboxPath = pagesBase + "/manage/outbox"

func (h *Handlers) manageOutboxPages(manage *gin.RouterGroup) {
	manage.GET("/outbox", h.manageOutboxPage)
	manage.POST("/outbox/retry", h.manageOutboxRetry)
	manage.POST("/outbox/retry-all", h.manageOutboxRetryAll)
}

// outboxRowView is a notice with its times written the Chinese way.
type outboxRowView struct {
	models.OutboxRow
	Created, Updated, Due string
}

// outboxData is what the outbox page shows.
type outboxData struct {
	Rows []outboxRowView
	// The filter, as a query string for the forms to come back to.
	View, Channel, Station string
	Query                  string
	Next                   string
	Dead, Stuck            int64
	Channels, Stations     []option
	// CanRetry is the county office.
	CanRetry bool
}

// outboxFilter reads the filter from the query (GET) or the form (POST).
func outboxFilter(get func(string) string) (models.OutboxFilter, url.Values) {
	f := models.OutboxFilter{View: models.OutboxView(get("view")), Channel: models.NotifyChannel(get("channel"))}
	if f.View != models.OutboxStuck {
		f.View = models.OutboxDead
	}
	switch f.Channel {
	case models.ChannelTemplate, models.ChannelSubscribe, models.ChannelCustom:
	default:
		f.Channel = ""
	}
	q := url.Values{"view": {string(f.View)}}
	if f.Channel != "" {
		q.Set("channel", string(f.Channel))
	}
	if id, ok := models.ParseID(get("station_id")); ok {
		f.StationID = id
		q.Set("station_id", strconv.FormatUint(id, 10))
	}
	return f, q
}

func (h *Handlers) manageOutboxPage(c *gin.Context) {
	ctx := c.Request.Context()
	sc := manageScope(c)
	f, q := outboxFilter(c.Query)
	pg, _ := strconv.Atoi(c.Query("page"))
	pg = max(pg, 1)
	f.Offset = (pg - 1) * 50
	list, err := models.ListOutbox(ctx, h.DB, sc, f, h.Now())
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d := outboxData{View: string(f.View), Channel: string(f.Channel), Query: q.Encode(),
		Dead: list.Dead, Stuck: list.Stuck, CanRetry: sc.All}
	if f.StationID != 0 {
		d.Station = strconv.FormatUint(f.StationID, 10)
	}
	for _, r := range list.Rows {
		v := outboxRowView{OutboxRow: r, Created: h.localTime(r.CreatedAt), Updated: h.localTime(r.UpdatedAt)}
		if r.Status != models.NotifyDead {
			v.Due = h.localTime(r.NextAttemptAt)
		}
		d.Rows = append(d.Rows, v)
	}
	if list.More {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(pg+1))
		d.Next = manageOutboxPath + "?" + nq.Encode()
	}
	d.Channels = []option{{"", "全部渠道"}}
	for _, ch := range []models.NotifyChannel{models.ChannelTemplate, models.ChannelSubscribe, models.ChannelCustom} {
		d.Channels = append(d.Channels, option{string(ch), models.NotifyChannelLabel(ch)})
	}
	stations, err := models.ScopeStations(ctx, h.DB, sc)
	if err != nil {
		h.renderErr(c, err)
		return
	}
	d.Stations = []option{{"", "全部联络站"}}
	for _, st := range stations {
		d.Stations = append(d.Stations, option{strconv.FormatUint(st.ID, 10), st.Name})
	}
	h.render(c, http.StatusOK, tplManageOutbox, page{Title: "通知发送", Nav: "manage", Notice: noticeOf(c), Data: d})
}

// manageOutboxRetry sends the chosen notices (the form's id fields) again.
func (h *Handlers) manageOutboxRetry(c *gin.Context) {
	var ids []uint64
	for _, s := range c.PostFormArray("id") {
		id, ok := models.ParseID(s)
		if !ok {
			h.renderErr(c, models.Invalid("id", "通知编号格式不正确"))
			return
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		h.renderErr(c, models.Invalid("id", "请选择要重新发送的通知"))
		return
	}
	n, err := models.RetryNotifications(c.Request.Context(), h.DB, manageScope(c), ids, h.Now())
	h.afterRetry(c, n, err)
}

// manageOutboxRetryAll sends every dead notice of the filter again.
func (h *Handlers) manageOutboxRetryAll(c *gin.Context) {
	f, _ := outboxFilter(c.PostForm)
	n, err := models.RetryAllDead(c.Request.Context(), h.DB, manageScope(c), f, h.Now())
	h.afterRetry(c, n, err)
}

func (h *Handlers) afterRetry(c *gin.Context, n int, err error) {
	if err != nil {
		h.renderErr(c, err)
		return
	}
	_, q := outboxFilter(c.PostForm)
	notice := "已安排重新发送" + strconv.Itoa(n) + "条通知，稍后即会发出"
	if n == 0 {
		notice = "没有需要重新发送的通知（可能已经发出或正在发送）"
	}
	seeOther(c, manageOutboxPath+"?"+strings.TrimPrefix(q.Encode(), "?"), notice)
}
