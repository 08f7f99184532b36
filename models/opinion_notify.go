package models

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// This file turns OpinionEvents into outbox rows (DESIGN §2 Notify). It lives
// in models because both the HTTP handlers (filing, rating, the console's
// workflow actions) and the jobs (overdue, "解决了吗?") enqueue these events in
// their own transactions, and jobs may not import handlers. It takes the
// template configuration as plain values, so models stays free of config.

// NotifyTemplate is a WeChat template id and how our field names map onto
// its keywords: the same shape as config.TemplateSpec, so one converts to
// the other with a plain conversion.
type NotifyTemplate struct {
	ID     string
	Fields map[string]string
}

// Configured reports whether the template id is set.
func (t NotifyTemplate) Configured() bool { return t.ID != "" }

// Data maps values keyed by our field names onto the template's keywords;
// with no mapping every value keeps its own name.
func (t NotifyTemplate) Data(values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	if len(t.Fields) == 0 {
		for k, v := range values {
			out[k] = v
		}
		return out
	}
	for field, keyword := range t.Fields {
		if v, ok := values[field]; ok {
			out[keyword] = v
		}
	}
	return out
}

// OpinionNotifyConfig is the deployment's configuration of the opinion
// notifications (config.LoadOpinionNotify reads it from the environment).
type OpinionNotifyConfig struct {
	// Staff is the official-account template for staff (new item, overdue,
	// reopened, escalated, assigned).
	Staff NotifyTemplate
	// Result is the mini-program subscribe template for voters (accepted,
	// replied, closed, "解决了吗?").
	Result NotifyTemplate
	// VoterOA is the official-account template for voters who follow the
	// account but left no subscribe consent.
	VoterOA NotifyTemplate
	// PublicURL is the site's absolute base URL (https://host); staff
	// messages link to PublicURL + "/console/opinions/<id>". Empty: no link.
	PublicURL string
	// Page is the mini-program page of one opinion; "?id=<id>" is appended
	// (default DefaultOpinionPage).
	Page string
	// AskResultDays is how many days after the reply the voter is asked
	// "解决了吗?" (default 7).
	AskResultDays int
}

// DefaultOpinionPage is the mini-program page that shows one opinion.
const DefaultOpinionPage = "pages/opinion/detail"

// Our field names for the opinion templates; map them onto the granted
// templates' keywords with DEPUTYLINK_TPL_OPINION_*. Text values are at
// most 20 characters (a "thing" keyword's limit).
const (
	OpinionFieldTitle   = "title"   // what happened, e.g. "您的意见已答复"
	OpinionFieldNo      = "no"      // tracking number, e.g. YJ20261123-0042
	OpinionFieldSummary = "summary" // the start of the content
	OpinionFieldStation = "station" // the handling station
	OpinionFieldStatus  = "status"  // the status label, e.g. 已答复
	OpinionFieldDue     = "due"     // the deadline concerned, "2006-01-02 15:04"
	OpinionFieldTime    = "time"    // when it happened, "2006-01-02 15:04"
)

// thingMax is the longest value a "thing" keyword takes.
const thingMax = 20

// NotifySkip is an event recipient that gets no message, and why.
type NotifySkip struct {
	DedupeKey string
	Reason    string
}

// OpinionNotifications maps one event onto the notifications to enqueue:
//
//   - staff events (Staff set): one template message (cfg.Staff) per bound
//     recipient, linking to the console item;
//   - voter events (VoterID set): a subscribe message (cfg.Result) when the
//     voter has a consent left for it that no queued message will spend
//     first, else a template message (cfg.VoterOA) when the voter follows
//     the official account (their own row, or another with the same
//     unionid), else nothing: the mini-program shows the change.
//
// A recipient without a configured template is skipped with a reason.
// Dedupe keys are the event's plus ":staff:<id>" or ":voter". db may be
// the caller's transaction.
func OpinionNotifications(ctx context.Context, db *gorm.DB, ev OpinionEvent, cfg OpinionNotifyConfig, now time.Time, loc *time.Location) ([]NotificationInput, []NotifySkip, error) {
	loc = orLoc(loc)
	values := opinionValues(ev, now, loc)
	var station *uint64
	if ev.StationID != officeStation {
		station = ptr(ev.StationID)
	}
	var out []NotificationInput
	var skips []NotifySkip
	for _, s := range ev.Staff {
		key := ev.DedupeKey + ":staff:" + strconv.FormatUint(s.ID, 10)
		switch {
		case s.OpenID == "":
			skips = append(skips, NotifySkip{key, "staff member has no bound openid"})
		case !cfg.Staff.Configured():
			skips = append(skips, NotifySkip{key, "staff template not configured (DEPUTYLINK_TPL_OPINION_STAFF)"})
		default:
			out = append(out, NotificationInput{
				Channel: ChannelTemplate, ToUser: s.OpenID, TemplateID: cfg.Staff.ID,
				Fields: cfg.Staff.Data(values), URL: ConsoleOpinionURL(cfg.PublicURL, ev.OpinionID),
				DedupeKey: key, StationID: station,
			})
		}
	}
	if ev.VoterID == 0 {
		return out, skips, nil
	}
	key := ev.DedupeKey + ":voter"
	page := opinionPage(cfg.Page, ev.OpinionID)
	var v Voter
	if err := db.WithContext(ctx).Take(&v, ev.VoterID).Error; err != nil {
		return nil, nil, notFoundAs(err, ErrVoterNotFound)
	}
	if cfg.Result.Configured() && v.MPOpenID != nil && *v.MPOpenID != "" {
		left, err := freeConsents(ctx, db, *v.MPOpenID, cfg.Result.ID)
		if err != nil {
			return nil, nil, err
		}
		if left > 0 {
			return append(out, NotificationInput{
				Channel: ChannelSubscribe, ToUser: *v.MPOpenID, TemplateID: cfg.Result.ID,
				Fields: cfg.Result.Data(values), URL: page, DedupeKey: key, StationID: station,
			}), skips, nil
		}
	}
	oa, err := followingOpenID(ctx, db, v)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case oa == "":
		skips = append(skips, NotifySkip{key, "voter has no subscribe consent left and does not follow the official account"})
	case !cfg.VoterOA.Configured():
		skips = append(skips, NotifySkip{key, "voter template not configured (DEPUTYLINK_TPL_OPINION_VOTER)"})
	default:
		out = append(out, NotificationInput{
			Channel: ChannelTemplate, ToUser: oa, TemplateID: cfg.VoterOA.ID,
			Fields: cfg.VoterOA.Data(values), MiniPage: page, DedupeKey: key, StationID: station,
		})
	}
	return out, skips, nil
}

// EnqueueOpinionEvents maps events onto notifications (OpinionNotifications)
// and enqueues them in tx, the transaction of the change that caused them.
// It returns how many rows it created and the recipients it skipped.
func EnqueueOpinionEvents(ctx context.Context, tx *gorm.DB, events []OpinionEvent, cfg OpinionNotifyConfig, now time.Time, loc *time.Location) (int, []NotifySkip, error) {
	created := 0
	var skips []NotifySkip
	for _, ev := range events {
		ins, sk, err := OpinionNotifications(ctx, tx, ev, cfg, now, loc)
		if err != nil {
			return created, skips, fmt.Errorf("notify %s: %w", ev.DedupeKey, err)
		}
		skips = append(skips, sk...)
		for _, in := range ins {
			_, ok, err := Enqueue(ctx, tx, in, now)
			if err != nil {
				return created, skips, fmt.Errorf("enqueue %s: %w", in.DedupeKey, err)
			}
			if ok {
				created++
			}
		}
	}
	return created, skips, nil
}

// ConsoleOpinionURL is the console page of one item, absolute when base is
// set (a template message's link must be), else "".
func ConsoleOpinionURL(base string, id uint64) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	return base + "/console/opinions/" + strconv.FormatUint(id, 10)
}

func opinionPage(page string, id uint64) string {
	if page = strings.TrimPrefix(strings.TrimSpace(page), "/"); page == "" {
		page = DefaultOpinionPage
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + "id=" + url.QueryEscape(strconv.FormatUint(id, 10))
}

// opinionValues are the event's values under our field names.
func opinionValues(ev OpinionEvent, now time.Time, loc *time.Location) map[string]string {
	const layout = "2006-01-02 15:04"
	station := ev.StationName
	if station == "" {
		station = OfficeName
	}
	v := map[string]string{
		OpinionFieldTitle:   fitThing(ev.Title),
		OpinionFieldNo:      ev.TrackingNo,
		OpinionFieldSummary: fitThing(ev.Summary),
		OpinionFieldStation: fitThing(station),
		OpinionFieldStatus:  fitThing(ev.Status.Label()),
		OpinionFieldTime:    now.In(loc).Format(layout),
	}
	if !ev.DueAt.IsZero() {
		v[OpinionFieldDue] = ev.DueAt.In(loc).Format(layout)
	}
	for k, s := range v {
		if s == "" {
			v[k] = "-" // WeChat refuses empty keyword values
		}
	}
	return v
}

// fitThing cuts s to a "thing" keyword's 20 characters, ending in "…" when cut.
func fitThing(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= thingMax {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:thingMax-1]), "… ") + "…"
}

// freeConsents is the voter's counted consents for tpl minus those that
// queued subscribe messages will spend, so two events in a row do not
// both count on the last consent.
func freeConsents(ctx context.Context, db *gorm.DB, openid, tpl string) (int, error) {
	left, err := ConsentsLeft(ctx, db, openid, tpl)
	if err != nil || left <= 0 {
		return 0, err
	}
	var pending int64
	err = db.WithContext(ctx).Model(&Notification{}).
		Where("channel = ? AND to_user = ? AND template_id = ? AND consent_used = ? AND status IN ?",
			ChannelSubscribe, openid, tpl, false, []NotifyStatus{NotifyQueued, NotifySending, NotifyFailed}).
		Count(&pending).Error
	if err != nil {
		return 0, translate(err)
	}
	return left - int(pending), nil
}

// followingOpenID is the official-account openid the voter follows with:
// their own, or that of the row with the same unionid (a person who came to
// the account and to the mini-program separately). "" when none follows.
func followingOpenID(ctx context.Context, db *gorm.DB, v Voter) (string, error) {
	if v.OAOpenID != nil && *v.OAOpenID != "" {
		if v.Following {
			return *v.OAOpenID, nil
		}
		return "", nil
	}
	if v.UnionID == nil || *v.UnionID == "" {
		return "", nil
	}
	var ids []string
	err := db.WithContext(ctx).Model(&Voter{}).
		Where("unionid = ? AND id <> ? AND following = ? AND oa_openid IS NOT NULL AND oa_openid <> ''", *v.UnionID, v.ID, true).
		Order("id").Limit(1).Pluck("oa_openid", &ids).Error
	if err != nil || len(ids) == 0 {
		return "", translate(err)
	}
	return ids[0], nil
}
