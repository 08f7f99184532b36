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
//   - notify_digest.go: the daily digest of stuck notifications.
//
// This file holds what they share: the configuration they take, how our
// field values are fitted into a template's keywords, the consents a
// subscribe message spends, and the outbox write.
//
// Consent: a mini-program subscribe message spends one of the voter's
// one-time consents for its template (consent.go counts them; the
// dispatcher spends one per send, SpendConsent). An official-account
// template message spends none: it goes to anyone who follows the account.

import (
	"context"
	"fmt"
	"log/slog"
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

// Consent purposes of the mini-program subscribe templates voters are asked
// to accept (GET /subscriptions).
const (
	PurposeBookingResult     = "booking_result"
	PurposeReceptionReminder = "reception_reminder"
)

// SubscribeTemplateIDs are the configured subscribe templates the
// mini-program asks voters to accept: the booking result's, then the
// reminder's (once when both are the same template).
func SubscribeTemplateIDs(t config.NotifyTemplates) []string {
	var ids []string
	for _, id := range []string{t.BookingResult.ID, t.ReceptionReminder.ID} {
		if id != "" && (len(ids) == 0 || ids[0] != id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// SubscribePurpose names what template id is used for ("" for a template
// we do not use).
func SubscribePurpose(t config.NotifyTemplates, id string) string {
	switch id {
	case t.BookingResult.ID:
		return PurposeBookingResult
	case t.ReceptionReminder.ID:
		return PurposeReceptionReminder
	}
	return ""
}
