package models

// Deputy notices (docs/ARCHITECTURE.md#broadcasts and #monthly-report):
// what the notices deputies get say, to whom and when. One builder per kind
// below.
//
// All of them are official-account template messages to the deputy's
// bound openid (Deputy.OAOpenID), written to the outbox in the transaction
// of the change that causes them, linking to the deputy's own page under
// /console/me (a deputy who is not signed in there lands signed in through
// the official account's web authorization). They spend no consent.
//
// WeChat suspends a template used outside the service scene it was granted
// for and frowns on frequent sends of one kind, so a deputy notice carries
// no content of its own: a fixed title, the sender and the time; the
// article, the figures, everything else is on the page it links to.
//
//   - Broadcast (空中讲堂, QueueBroadcastNotices): when the office sends an
//     article, each recipient deputy with a bound openid gets one notice
//     (Deputy.Notice, DEPUTYLINK_TPL_DEPUTY_NOTICE; a library template such
//     as "工作通知" or "培训通知"). Title "您有一条新的工作通知" (工作动态,
//     法律知识) or "您有一条培训通知" (培训通知); sender "县人大常委会办公室"
//     or "<township>人大主席团"; the time sent. Link
//     <public url>/console/me/broadcasts/<id>; dedupe key
//     "broadcast:<id>:deputy:<deputy id>". The weekly cap: a deputy who
//     was notified of Deputy.PerWeek broadcasts in the last seven days
//     (DEPUTYLINK_DEPUTY_NOTICES_PER_WEEK, default 3) gets no notice
//     (Capped); the article still waits in their list.
//   - Monthly 履职通报 (NotifyMonthlyReports): on the first working day of
//     each month (the monthly-report job, 09:00), every active deputy with
//     a bound openid gets one notice that last month's report is ready
//     (Deputy.Report, DEPUTYLINK_TPL_DEPUTY_REPORT, or the broadcast's
//     template when it is not set). Title "您的11月履职情况通报已生成";
//     sender "县人大常委会办公室", or "<township>人大主席团" for a township
//     deputy; the period "2026年11月"; the time queued. No figure is in the
//     keywords: they are on the page. Link
//     <public url>/console/me/report/<yyyy-mm>; dedupe key
//     "report:<yyyy-mm>:deputy:<deputy id>", so a second run, or two
//     processes at once, queue nothing more. It is outside the weekly cap
//     (one a month; the cap counts broadcasts).

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"deputylink/config"

	"gorm.io/gorm"
)

// Our field names for the deputy notice template; map them onto the granted
// template's keywords with DEPUTYLINK_TPL_DEPUTY_NOTICE.
const (
	DeputyFieldTitle  = "title"  // what it is, "您有一条新的工作通知"
	DeputyFieldSender = "sender" // who sends it, "县人大常委会办公室"
	DeputyFieldTime   = "time"   // when, "2026年12月20日 16:00"
)

// deputyNoticeFields are the fields of the deputy notice template (for
// CheckTemplateFields).
var deputyNoticeFields = []string{DeputyFieldTitle, DeputyFieldSender, DeputyFieldTime}

// NoticeWeek is the span of the weekly cap: a rolling seven days.
const NoticeWeek = 7 * 24 * time.Hour

// perWeek is the weekly cap, DefaultDeputyNoticesPerWeek when unset.
func (c NotifyConfig) perWeek() int {
	if c.Deputy.PerWeek <= 0 {
		return config.DefaultDeputyNoticesPerWeek
	}
	return c.Deputy.PerWeek
}

// DeputyNoticeOutcome is what became of one deputy's notice.
type DeputyNoticeOutcome int

// The outcomes.
const (
	// NoticeQueued: a notice is in the outbox.
	NoticeQueued DeputyNoticeOutcome = iota
	// NoticeCapped: the weekly cap held it back.
	NoticeCapped
	// NoticeUnbound: the deputy has no bound openid.
	NoticeUnbound
	// NoticeUnconfigured: no template is configured; nobody is notified.
	NoticeUnconfigured
)

// Sender is who a broadcast comes from, as notices and pages say it:
// "县人大常委会办公室", or "<township>人大主席团" for a township's.
func (b Broadcast) Sender() string {
	if b.Township != "" {
		return b.Township + "人大主席团"
	}
	return "县人大常委会办公室"
}

// NoticeTitle is the deputy notice's title for the article's kind.
func (b Broadcast) NoticeTitle() string {
	if b.Kind == BroadcastTraining {
		return "您有一条培训通知"
	}
	return "您有一条新的工作通知"
}

// BroadcastNoticeKey is the dedupe key of a deputy's notice of broadcast id.
func BroadcastNoticeKey(id, deputyID uint64) string {
	return "broadcast:" + strconv.FormatUint(id, 10) + ":deputy:" + strconv.FormatUint(deputyID, 10)
}

// ConsoleDeputyBroadcastURL is a deputy's page of one broadcast, absolute
// when base is set, else "".
func ConsoleDeputyBroadcastURL(base string, id uint64) string {
	return consoleURL(base, "/console/me/broadcasts/", id)
}

// broadcastValues are the notice's values: no word of the article.
func broadcastValues(b Broadcast, now time.Time, loc *time.Location) map[string]string {
	return map[string]string{
		DeputyFieldTitle:  b.NoticeTitle(),
		DeputyFieldSender: Thing(b.Sender()),
		DeputyFieldTime:   KeywordTimeText(now, loc),
	}
}

// QueueBroadcastNotices writes in tx the notice of broadcast b (already
// created) to each of deputies, under the weekly cap, and says per deputy
// id what became of it. The caller writes the recipient rows with the
// outcome (NotifiedAt for NoticeQueued, Capped for NoticeCapped) in the
// same transaction, and holds the deputies' rows locked (so two broadcasts
// sent at once cannot both pass the cap): the cap counts the recipient
// rows notified in the seven days before now.
func QueueBroadcastNotices(ctx context.Context, tx *gorm.DB, b Broadcast, deputies []Deputy, cfg NotifyConfig, now time.Time) (map[uint64]DeputyNoticeOutcome, error) {
	out := make(map[uint64]DeputyNoticeOutcome, len(deputies))
	spec := cfg.Deputy.Notice
	var bound []uint64
	for _, d := range deputies {
		switch {
		case d.OAOpenID == nil || *d.OAOpenID == "":
			out[d.ID] = NoticeUnbound
		case !spec.Configured():
			out[d.ID] = NoticeUnconfigured
		default:
			bound = append(bound, d.ID)
		}
	}
	if !spec.Configured() && len(deputies) > 0 {
		cfg.log().InfoContext(ctx, "No template configured ("+config.EnvTplDeputyNotice+"); broadcast notices not sent", "broadcast_id", b.ID)
	}
	sent, err := deputyNoticesSince(tx.WithContext(ctx), bound, now.Add(-NoticeWeek))
	if err != nil {
		return nil, err
	}
	values := broadcastValues(b, now, cfg.loc())
	fields := fill(spec, values)
	link := ConsoleDeputyBroadcastURL(cfg.Opinion.PublicURL, b.ID)
	for _, d := range deputies {
		if _, done := out[d.ID]; done {
			continue
		}
		if sent[d.ID] >= cfg.perWeek() {
			out[d.ID] = NoticeCapped
			cfg.log().InfoContext(ctx, "Broadcast notice held back by the weekly cap", "broadcast_id", b.ID, "deputy_id", d.ID)
			continue
		}
		key := BroadcastNoticeKey(b.ID, d.ID)
		if _, err := queue(ctx, tx, NotificationInput{
			Channel: ChannelTemplate, ToUser: *d.OAOpenID, TemplateID: spec.ID,
			Fields: fields, URL: link, DedupeKey: key,
		}, now, key); err != nil {
			return nil, err
		}
		out[d.ID] = NoticeQueued
	}
	return out, nil
}

// deputyNoticesSince counts, per deputy, the broadcast notices queued for
// them after since. It is a locking read: on MySQL a plain SELECT would
// read the transaction's snapshot, taken before the caller waited for the
// deputies' locks, and miss the notices of the broadcast it waited for.
func deputyNoticesSince(tx *gorm.DB, deputyIDs []uint64, since time.Time) (map[uint64]int, error) {
	out := map[uint64]int{}
	if len(deputyIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		DeputyID uint64
		N        int
	}
	for ids := range slices.Chunk(deputyIDs, 500) {
		rows = rows[:0]
		if err := lockingUpdate(tx).Model(&BroadcastRecipient{}).Select("deputy_id, COUNT(*) AS n").
			Where("deputy_id IN ? AND notified_at > ?", ids, since.UTC()).
			Group("deputy_id").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("count deputy notices: %w", translate(err))
		}
		for _, r := range rows {
			out[r.DeputyID] = r.N
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- 履职通报

// ReportFieldPeriod is the month a 通报 is about ("2026年11月"), beside the
// deputy notice's title, sender and time.
const ReportFieldPeriod = "period"

// reportNoticeFields are the fields of the 通报 template (for
// CheckTemplateFields).
var reportNoticeFields = []string{DeputyFieldTitle, DeputyFieldSender, ReportFieldPeriod, DeputyFieldTime}

// ReportNoticeKey is the dedupe key of a deputy's notice of the 通报 of
// month ("2026-11").
func ReportNoticeKey(month string, deputyID uint64) string {
	return "report:" + month + ":deputy:" + strconv.FormatUint(deputyID, 10)
}

// ConsoleDeputyReportURL is the deputy's page of their 通报 of month
// ("2026-11"), absolute when base is set, else "".
func ConsoleDeputyReportURL(base, month string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	return base + "/console/me/report/" + month
}

// ReportTemplate is the template of the 通报's notice: Deputy.Report, or
// the broadcast notice's when it is not set; env names its variable.
func (c NotifyConfig) ReportTemplate() (spec config.TemplateSpec, env string) {
	if c.Deputy.Report.Configured() {
		return c.Deputy.Report, config.EnvTplDeputyReport
	}
	return c.Deputy.Notice, config.EnvTplDeputyNotice
}

// reportSender is who a deputy's 通报 comes from: their own congress's
// office (a township deputy's is their primary station's township's).
func reportSender(level Level, township string) string {
	if level == LevelTownship && township != "" {
		return township + "人大主席团"
	}
	return "县人大常委会办公室"
}

// NotifyMonthlyReports queues the notice of the 通报 of the month that
// starts at month (a local first of the month) to every active deputy with
// a bound openid (see the top of this file). It writes in db, one row at a
// time (each is whole on its own), and returns how many it queued; a
// deputy notified before (the dedupe key) is not counted again.
func NotifyMonthlyReports(ctx context.Context, db *gorm.DB, cfg NotifyConfig, month time.Time, now time.Time) (int, error) {
	spec, env := cfg.ReportTemplate()
	if !spec.Configured() {
		cfg.log().InfoContext(ctx, "No template configured ("+config.EnvTplDeputyReport+" or "+config.EnvTplDeputyNotice+"); 通报 notices not sent")
		return 0, nil
	}
	loc := cfg.loc()
	first := month.In(loc)
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, loc)
	key := first.Format("2006-01")
	var deps []struct {
		ID       uint64
		Level    Level
		OAOpenID string
		Township string
	}
	if err := db.WithContext(ctx).Table("deputies").
		Select("deputies.id AS id, deputies.level AS level, deputies.oa_openid AS oa_open_id, stations.district AS township").
		Joins("LEFT JOIN stations ON stations.id = deputies.station_id").
		Where("deputies.status = ? AND deputies.oa_openid IS NOT NULL AND deputies.oa_openid <> ''", DeputyActive).
		Order("deputies.id").Scan(&deps).Error; err != nil {
		return 0, fmt.Errorf("load the deputies of the 通报: %w", translate(err))
	}
	at := KeywordTimeText(now, loc)
	link := ConsoleDeputyReportURL(cfg.Opinion.PublicURL, key)
	created := 0
	for _, d := range deps {
		values := map[string]string{
			DeputyFieldTitle:  fmt.Sprintf("您的%d月履职情况通报已生成", first.Month()),
			DeputyFieldSender: Thing(reportSender(d.Level, d.Township)),
			ReportFieldPeriod: fmt.Sprintf("%d年%d月", first.Year(), first.Month()),
			DeputyFieldTime:   at,
		}
		dk := ReportNoticeKey(key, d.ID)
		ok, err := queue(ctx, db, NotificationInput{Channel: ChannelTemplate, ToUser: d.OAOpenID, TemplateID: spec.ID,
			Fields: fill(spec, values), URL: link, DedupeKey: dk}, now, dk)
		if err != nil {
			return created, err
		}
		if ok {
			created++
		}
	}
	cfg.log().InfoContext(ctx, "通报 notices queued", "month", key, "queued", created, "bound", len(deps), "template", env)
	return created, nil
}
