package models

// Deputy notices (docs/ARCHITECTURE.md#broadcasts): what the notices
// deputies get say, to whom and when. One builder per kind below.
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

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
