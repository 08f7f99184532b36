package models

// Opinion notices.
//
// What they say: a short title chosen by the workflow step that raised the
// event ("您有一条新的群众意见待受理", "您的意见已答复", "有一条群众意见已超过
// 受理期限", "您反映的问题解决了吗？", …), the tracking number, the start
// of the content, the handling station, the status, the deadline concerned
// and the time (OpinionField*; text cut to a thing keyword's 20 characters).
//
// To whom and when, by event (OpinionEvent, raised in the transaction of
// the change, see EventKind):
//
//   - staff: a new, returned or reopened item (the handler, else the
//     station's bound staff, else the admins); the lead named at a
//     transfer; an overdue item (the station head at the deadline, the
//     admins OverdueAdminDays working days later, raised by the overdue
//     job); an item escalated after the last unsatisfied round (the
//     admins). One official-account template message (Opinion.Staff) per
//     bound recipient, linking to the console item. It spends no consent.
//   - the voter: accepted (NoticeOpinionAccepted, template
//     Opinion.Accepted), replied and closed (NoticeOpinionResult,
//     Opinion.Result), and "解决了吗？" (NoticeOpinionAskResult,
//     Opinion.AskResult; Opinion.AskResultDays after the reply, raised by
//     the ask-result job). A mini-program subscribe message when the
//     consent rule allows it (reserveConsent: a one-time consent for that
//     template is spent with the row, a long-term one is checked); else an
//     official-account template message (Opinion.VoterOA, no consent) when
//     the voter follows the account; else nothing: the mini-program shows
//     the change.

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"deputylink/config"

	"gorm.io/gorm"
)

// Our field names for the opinion templates; map them onto the granted
// templates' keywords with DEPUTYLINK_TPL_OPINION_*. Text values are at
// most 20 characters (a "thing" keyword's limit).
const (
	OpinionFieldTitle   = "title"   // what happened, e.g. "您的意见已答复"
	OpinionFieldNo      = "no"      // tracking number, e.g. YJ20261123-0042
	OpinionFieldSummary = "summary" // the start of the content
	OpinionFieldStation = "station" // the handling station
	OpinionFieldStatus  = "status"  // the status label, e.g. 已答复
	OpinionFieldDue     = "due"     // the deadline concerned, "2026年12月20日 23:59"
	OpinionFieldTime    = "time"    // when it happened, "2026年12月20日 16:00"
)

// opinionVoterNotices maps the events told to the voter onto their notice.
var opinionVoterNotices = map[EventKind]VoterNotice{
	EventAccepted:  NoticeOpinionAccepted,
	EventReplied:   NoticeOpinionResult,
	EventClosed:    NoticeOpinionResult,
	EventAskResult: NoticeOpinionAskResult,
}

// OpinionStaffNotifications maps one event onto the staff notifications:
// one official-account template message (Opinion.Staff) per bound
// recipient, linking to the console item. A recipient without a bound
// openid or a configured template is skipped with a reason. Dedupe keys are
// the event's plus ":staff:<id>".
func OpinionStaffNotifications(ev OpinionEvent, nc NotifyConfig, now time.Time) ([]NotificationInput, []NotifySkip) {
	if ev.Via == ViaDepartment {
		// Department contacts: their own template and page (notify_department.go).
		return DepartmentNotifications(ev, nc, now)
	}
	return staffTemplates(ev, nc, now, nc.Opinion.Staff, ConsoleOpinionURL,
		"staff member has no bound openid", "staff template not configured (DEPUTYLINK_TPL_OPINION_STAFF)")
}

// staffTemplates maps ev onto one official-account template message per
// recipient (ev.Staff) with a bound openid: spec filled with the item's
// values, linking to link(PublicURL, item). Dedupe keys are the event's
// plus ":staff:<id>"; unbound and unconfigured are the skips' reasons.
func staffTemplates(ev OpinionEvent, nc NotifyConfig, now time.Time, spec config.TemplateSpec,
	link func(string, uint64) string, unbound, unconfigured string) ([]NotificationInput, []NotifySkip) {
	values := opinionValues(ev, now, nc.loc())
	var out []NotificationInput
	var skips []NotifySkip
	for _, s := range ev.Staff {
		key := ev.DedupeKey + ":staff:" + strconv.FormatUint(s.ID, 10)
		switch {
		case s.OpenID == "":
			skips = append(skips, NotifySkip{key, unbound})
		case !spec.Configured():
			skips = append(skips, NotifySkip{key, unconfigured})
		default:
			out = append(out, NotificationInput{
				Channel: ChannelTemplate, ToUser: s.OpenID, TemplateID: spec.ID,
				Fields: fill(spec, values), URL: link(nc.Opinion.PublicURL, ev.OpinionID),
				DedupeKey: key, StationID: opinionStation(ev),
			})
		}
	}
	return out, skips
}

func opinionStation(ev OpinionEvent) *uint64 {
	if ev.StationID == officeStation {
		return nil
	}
	return ptr(ev.StationID)
}

// notifyOpinionVoter writes the voter's notice of ev in tx: the subscribe
// message when the consent rule allows it (queueVoterNotice), else a
// template message (Opinion.VoterOA) when the voter follows the official
// account (their own row, or another with the same unionid), else nothing.
// The dedupe key is the event's plus ":voter". It reports whether it wrote
// a row, or why not.
func notifyOpinionVoter(ctx context.Context, tx *gorm.DB, ev OpinionEvent, nc NotifyConfig, now time.Time) (bool, *NotifySkip, error) {
	cfg := nc.Opinion
	values := opinionValues(ev, now, nc.loc())
	key := ev.DedupeKey + ":voter"
	page := opinionPage(cfg.Page, ev.OpinionID)
	var v Voter
	if err := tx.WithContext(ctx).Take(&v, ev.VoterID).Error; err != nil {
		return false, nil, notFoundAs(err, ErrVoterNotFound)
	}
	if notice, ok := opinionVoterNotices[ev.Kind]; ok && v.MPOpenID != nil && *v.MPOpenID != "" {
		res, err := queueVoterNotice(ctx, tx, nc, notice, 1, NotificationInput{
			ToUser: *v.MPOpenID, URL: page, DedupeKey: key, StationID: opinionStation(ev),
		}, values, now, key)
		if err != nil || res != noticeNoConsent {
			return res == noticeQueued, nil, err
		}
	}
	oa, err := followingOpenID(ctx, tx, v)
	if err != nil {
		return false, nil, err
	}
	switch {
	case oa == "":
		return false, &NotifySkip{key, "voter has no subscribe consent left and does not follow the official account"}, nil
	case !cfg.VoterOA.Configured():
		return false, &NotifySkip{key, "voter template not configured (DEPUTYLINK_TPL_OPINION_VOTER)"}, nil
	}
	ok, err := queue(ctx, tx, NotificationInput{
		Channel: ChannelTemplate, ToUser: oa, TemplateID: cfg.VoterOA.ID,
		Fields: fill(cfg.VoterOA, values), MiniPage: page, DedupeKey: key, StationID: opinionStation(ev),
	}, now, key)
	return ok, nil, err
}

// NotifyOpinion writes the notifications of events in tx, the transaction
// of the change that caused them (filing, rating, a console workflow
// action, the overdue and "解决了吗？" jobs), so they exist exactly when the
// change commits: the staff's (OpinionStaffNotifications) and the voter's
// (notifyOpinionVoter). Repeated events write nothing more. Skipped
// recipients are logged at debug level. It returns how many rows it
// created.
func NotifyOpinion(ctx context.Context, tx *gorm.DB, events []OpinionEvent, cfg NotifyConfig, now time.Time) (int, error) {
	created := 0
	skipped := func(sk NotifySkip) {
		cfg.log().DebugContext(ctx, "Opinion notification skipped", "dedupe_key", sk.DedupeKey, "reason", sk.Reason)
	}
	for _, ev := range events {
		ins, skips := OpinionStaffNotifications(ev, cfg, now)
		for _, sk := range skips {
			skipped(sk)
		}
		for _, in := range ins {
			ok, err := queue(ctx, tx, in, now, in.DedupeKey)
			if err != nil {
				return created, err
			}
			if ok {
				created++
			}
		}
		if ev.VoterID == 0 {
			continue
		}
		ok, sk, err := notifyOpinionVoter(ctx, tx, ev, cfg, now)
		if err != nil {
			return created, fmt.Errorf("notify %s: %w", ev.DedupeKey, err)
		}
		if sk != nil {
			skipped(*sk)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// ConsoleOpinionURL is the console page of one item, absolute when base is
// set (a template message's link must be), else "".
func ConsoleOpinionURL(base string, id uint64) string {
	return consoleURL(base, "/console/opinions/", id)
}

// ConsoleDeskURL is the console's desk page of one reception day, absolute
// when base is set, else "".
func ConsoleDeskURL(base string, dayID uint64) string {
	return consoleURL(base, "/console/desk/", dayID)
}

func consoleURL(base, path string, id uint64) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		return ""
	}
	return base + path + strconv.FormatUint(id, 10)
}

func opinionPage(page string, id uint64) string {
	if page = strings.TrimPrefix(strings.TrimSpace(page), "/"); page == "" {
		page = config.DefaultOpinionPage
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + "id=" + url.QueryEscape(strconv.FormatUint(id, 10))
}

// opinionValues are the event's values under our field names.
func opinionValues(ev OpinionEvent, now time.Time, loc *time.Location) map[string]string {
	station := ev.StationName
	if station == "" {
		station = OfficeName
	}
	v := map[string]string{
		OpinionFieldTitle:   Thing(ev.Title),
		OpinionFieldNo:      ev.TrackingNo,
		OpinionFieldSummary: Thing(ev.Summary),
		OpinionFieldStation: Thing(station),
		OpinionFieldStatus:  Thing(ev.Status.Label()),
		OpinionFieldTime:    KeywordTimeText(now, loc),
	}
	if !ev.DueAt.IsZero() {
		v[OpinionFieldDue] = KeywordDueText(ev.DueAt, loc)
	}
	for k, s := range v {
		if s == "" {
			v[k] = "-" // WeChat refuses empty keyword values
		}
	}
	return v
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
