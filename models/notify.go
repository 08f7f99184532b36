package models

// Notices: the part every kind shares.
//
// A notice is a row in the outbox (outbox.go), written in the transaction
// of the change that causes it and delivered later by the dispatcher job.
// Each kind is built in a file of its own, which says at its top what the
// notice says, to whom, when and what consent it spends:
//
//   - notify_booking.go: booking results (confirmed, waitlisted, promoted,
//     moved), to the voter, through a mini-program subscribe message;
//   - notify_reception.go: the 18:00 reminder to voters and the 17:00
//     roster to station staff;
//   - notify_opinion.go: opinion notices to staff and voters, overdue and
//     escalation, "解决了吗?";
//   - notify_digest.go: the daily digest of stuck notifications;
//   - notify_deputy.go: the deputies' notices (broadcasts, with their
//     weekly cap, and the monthly 履职通报);
//   - notify_department.go: department contacts' notices of transferred
//     items.
//
// This file holds what they share: the configuration they take, how our
// field values are fitted into a template's keywords, the registry of the
// notices voters get as subscribe messages (voterNotices) and the outbox
// write.
//
// Consent: every notice to a voter's mini-program is a VoterNotice with a
// template of its own and goes out through queueVoterNotice, which applies
// the one consent rule (reserveConsent in consent.go) in the transaction
// that writes its outbox row. An official-account template message spends
// no consent: it goes to anyone who follows the account.

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"deputylink/config"

	"gorm.io/gorm"
)

// NotifyConfig is what building notices takes from the deployment's
// configuration. A template that is not configured is skipped: nothing is
// queued for it (the HTTP answer, the console and the mini-program still
// show everything).
type NotifyConfig struct {
	// Reception holds the booking result, reminder and staff roster
	// templates (config.LoadNotify).
	Reception config.NotifyTemplates
	// Opinion holds the opinion templates, links and the "解决了吗?" delay
	// (config.LoadOpinionNotify).
	Opinion config.OpinionNotify
	// StaffAlert is the official-account template of the stuck digest
	// (DEPUTYLINK_TPL_STAFF_ALERT).
	StaffAlert config.TemplateSpec
	// Deputy holds the deputies' notice templates and the weekly cap
	// (config.LoadDeputyNotify; notify_deputy.go).
	Deputy config.DeputyNotify
	// Location is the deployment's time zone, in which times are written.
	Location *time.Location
	// Log hears of recipients skipped and notices queued; nil discards.
	Log *slog.Logger
}

func (c NotifyConfig) loc() *time.Location { return orLoc(c.Location) }

func (c NotifyConfig) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// NotifySkip is an event recipient that gets no message, and why.
type NotifySkip struct {
	DedupeKey string
	Reason    string
}

// fill maps values keyed by our field names onto the template's keywords.
// Fields the template does not map are left out (it has no place for them);
// with no mapping at all every value keeps its own name.
func fill(t config.TemplateSpec, values map[string]string) map[string]string {
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

// ThingMax is the most characters WeChat takes in a thing keyword's value.
const ThingMax = 20

// Thing fits free text into a thing keyword: runs of white space become one
// space and, when longer than ThingMax characters, the text is cut to end
// in "…". WeChat refuses a longer value (47003) instead of cutting it.
func Thing(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if Shorten(s, ThingMax, "") == s {
		return s
	}
	return strings.TrimRight(Shorten(s, ThingMax-1, ""), "… ") + "…"
}

// SlotTime renders a slot as "2026年3月10日 09:00~09:30" in loc (nil means
// UTC+8), a value WeChat's time keyword takes (KeywordSpanText).
func SlotTime(start, end time.Time, loc *time.Location) string {
	return KeywordSpanText(start, end, loc)
}

// queue writes one notice to the outbox in tx (Enqueue: a repeated dedupe
// key writes nothing) and reports whether it made a row; what names the
// notice in an error.
func queue(ctx context.Context, tx *gorm.DB, in NotificationInput, now time.Time, what string) (bool, error) {
	_, created, err := Enqueue(ctx, tx, in, now)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", what, err)
	}
	return created, nil
}

// VoterNotice is a kind of notice voters get as a mini-program subscribe
// message. Each has its own template (one consent is spent on one kind) and
// is listed in voterNotices with the moments the mini-program asks the
// voter to allow it; the notify files send one only through
// queueVoterNotice.
type VoterNotice string

// The voter notices. The names are the "purpose" of GET /subscriptions.
const (
	// NoticeBookingResult: a booking confirmed, waitlisted, promoted or
	// moved (notify_booking.go).
	NoticeBookingResult VoterNotice = "booking_result"
	// NoticeReceptionReminder: the reminder the day before (notify_reception.go).
	NoticeReceptionReminder VoterNotice = "reception_reminder"
	// NoticeOpinionAccepted: the item was accepted, 受理 (notify_opinion.go).
	NoticeOpinionAccepted VoterNotice = "opinion_accepted"
	// NoticeOpinionResult: the item was replied to (答复) or closed (办结).
	NoticeOpinionResult VoterNotice = "opinion_result"
	// NoticeOpinionAskResult: the follow-up question "解决了吗？" (回访).
	NoticeOpinionAskResult VoterNotice = "opinion_ask_result"
)

// ConsentMoment is a moment in the mini-program at which the voter's tap
// asks wx.requestSubscribeMessage for the templates relevant then
// (GET /api/v1/subscriptions?moment=…).
type ConsentMoment string

// The consent moments.
const (
	// MomentBooking: after booking a seat.
	MomentBooking ConsentMoment = "booking"
	// MomentFiling: after filing an opinion.
	MomentFiling ConsentMoment = "filing"
	// MomentReplied: when viewing an item that was replied to.
	MomentReplied ConsentMoment = "replied"
)

// MaxConsentAsk is the most templates one wx.requestSubscribeMessage call
// (one tap) asks for.
const MaxConsentAsk = 3

// voterNoticeDef is one voter notice: the variable and the setting of its
// template, and the moments it is asked for.
type voterNoticeDef struct {
	notice   VoterNotice
	env      string
	template func(NotifyConfig) config.TemplateSpec
	moments  []ConsentMoment
}

// voterNotices is every notice sent to voters as a subscribe message, in
// the order a moment offers them. A notice only a moment offers can ever
// be allowed by a voter.
var voterNotices = []voterNoticeDef{
	{NoticeBookingResult, config.EnvTplBookingResult,
		func(c NotifyConfig) config.TemplateSpec { return c.Reception.BookingResult }, []ConsentMoment{MomentBooking}},
	{NoticeReceptionReminder, config.EnvTplReceptionReminder,
		func(c NotifyConfig) config.TemplateSpec { return c.Reception.ReceptionReminder }, []ConsentMoment{MomentBooking}},
	{NoticeOpinionAccepted, config.EnvTplOpinionAccepted,
		func(c NotifyConfig) config.TemplateSpec { return c.Opinion.Accepted }, []ConsentMoment{MomentFiling}},
	{NoticeOpinionResult, config.EnvTplOpinionResult,
		func(c NotifyConfig) config.TemplateSpec { return c.Opinion.Result }, []ConsentMoment{MomentFiling, MomentReplied}},
	{NoticeOpinionAskResult, config.EnvTplOpinionAskResult,
		func(c NotifyConfig) config.TemplateSpec { return c.Opinion.AskResult }, []ConsentMoment{MomentFiling, MomentReplied}},
}

// VoterNotices lists every voter notice.
func VoterNotices() []VoterNotice {
	out := make([]VoterNotice, 0, len(voterNotices))
	for _, d := range voterNotices {
		out = append(out, d.notice)
	}
	return out
}

// VoterNoticeVar names the variable that configures notice k's template.
func VoterNoticeVar(k VoterNotice) string {
	d, _ := voterNoticeOf(k)
	return d.env
}

// ConsentMoments lists every consent moment.
func ConsentMoments() []ConsentMoment {
	return []ConsentMoment{MomentBooking, MomentFiling, MomentReplied}
}

// ParseConsentMoment reads the moment parameter of GET /subscriptions.
func ParseConsentMoment(s string) (ConsentMoment, error) {
	for _, m := range ConsentMoments() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", Invalid("moment", "订阅时机不正确，应为 booking（预约后）、filing（提交意见后）或 replied（查看答复时）")
}

func voterNoticeOf(k VoterNotice) (voterNoticeDef, bool) {
	for _, d := range voterNotices {
		if d.notice == k {
			return d, true
		}
	}
	return voterNoticeDef{}, false
}

// VoterTemplate is the template of voter notice k ("" ID when it is not
// configured or k is unknown).
func (c NotifyConfig) VoterTemplate(k VoterNotice) config.TemplateSpec {
	if d, ok := voterNoticeOf(k); ok {
		return d.template(c)
	}
	return config.TemplateSpec{}
}

// voterTemplateByID is the voter notice whose configured template is id.
func (c NotifyConfig) voterTemplateByID(id string) (VoterNotice, config.TemplateSpec, bool) {
	for _, d := range voterNotices {
		if t := d.template(c); t.Configured() && t.ID == id {
			return d.notice, t, true
		}
	}
	return "", config.TemplateSpec{}, false
}

// SubscribeOffer is one template the mini-program asks the voter to allow.
type SubscribeOffer struct {
	Notice   VoterNotice
	Template config.TemplateSpec
}

// SubscribeOffers are the configured templates to ask for at moment m, in
// order, at most MaxConsentAsk (one tap).
func SubscribeOffers(c NotifyConfig, m ConsentMoment) []SubscribeOffer {
	var out []SubscribeOffer
	for _, d := range voterNotices {
		t := d.template(c)
		if !t.Configured() || !slices.Contains(d.moments, m) || len(out) == MaxConsentAsk {
			continue
		}
		out = append(out, SubscribeOffer{Notice: d.notice, Template: t})
	}
	return out
}

// SubscribePurpose names the voter notice template id is configured for
// ("" for a template we do not use).
func SubscribePurpose(c NotifyConfig, id string) string {
	k, _, _ := c.voterTemplateByID(id)
	return string(k)
}

// voterNoticeResult is what queueVoterNotice did.
type voterNoticeResult int

const (
	// noticeNoConsent: the template is not configured or the consent rule
	// refused; nothing was written, the caller may use another channel.
	noticeNoConsent voterNoticeResult = iota
	// noticeQueued: a new outbox row holds its consent.
	noticeQueued
	// noticeRepeat: the dedupe key was queued before; nothing more written.
	noticeRepeat
)

// queueVoterNotice writes notice k to the voter's mini-program openid as a
// subscribe message in tx, if the consent rule (reserveConsent) allows it:
// a one-time consent is reserved in tx together with the row, a long-term
// consent is only checked. need is how many one-time consents must be left
// (2 for a waitlist place, keeping one for the promotion). in carries the
// recipient, values (our field names, filled into the template here), the
// page, the dedupe key and the station; what names the notice in an error.
// It is the only way a subscribe message is written.
func queueVoterNotice(ctx context.Context, tx *gorm.DB, cfg NotifyConfig, k VoterNotice, need int,
	in NotificationInput, values map[string]string, now time.Time, what string) (voterNoticeResult, error) {
	d, ok := voterNoticeOf(k)
	if !ok {
		return noticeNoConsent, fmt.Errorf("enqueue %s: %q is not a voter notice", what, k)
	}
	spec := d.template(cfg)
	if !spec.Configured() {
		cfg.log().DebugContext(ctx, "No template configured ("+d.env+"); voter notice not sent", "notice", k, "dedupe_key", in.DedupeKey)
		return noticeNoConsent, nil
	}
	if in.ToUser == "" {
		return noticeNoConsent, nil
	}
	held, err := reserveConsent(ctx, tx, in.ToUser, spec, need, now)
	if err != nil || !held {
		return noticeNoConsent, err
	}
	in.Channel, in.TemplateID, in.Fields, in.consentHeld = ChannelSubscribe, spec.ID, fill(spec, values), true
	created, err := queue(ctx, tx, in, now, what)
	if err != nil {
		return noticeNoConsent, err
	}
	if !created {
		// Queued before with a consent of its own: give this one back.
		return noticeRepeat, releaseConsent(ctx, tx, in.ToUser, spec, now)
	}
	return noticeQueued, nil
}
