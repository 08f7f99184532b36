package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/handlers/shared"
	"deputylink/models"
)

// offered is the template ids GET /subscriptions?moment=m offers.
func (e *opinionEnv) offered(token, moment string) []string {
	e.t.Helper()
	var got shared.List[api.ConsentView]
	if r := e.doAuth("GET", "/api/v1/subscriptions?moment="+moment, token, "", &got); r.StatusCode != 200 {
		e.t.Fatalf("moment %s: %d", moment, r.StatusCode)
	}
	if len(got.Items) > 3 {
		e.t.Errorf("moment %s offers %d templates; one tap asks for at most 3: %+v", moment, len(got.Items), got.Items)
	}
	ids := make([]string, 0, len(got.Items))
	for _, it := range got.Items {
		ids = append(ids, it.TemplateID)
	}
	return ids
}

// TestSubscriptionsOfferOpinionResult: the opinion result template (答复,
// 办结) is offered when a voter files, so a voter can consent to it at all.
func TestSubscriptionsOfferOpinionResult(t *testing.T) {
	e := newOpinionEnv(t, nil)
	voter := e.login(e.fake, "oOfferResult")
	for _, moment := range []string{"filing", "replied"} {
		found := false
		for _, id := range e.offered(voter, moment) {
			found = found || id == opTplResult
		}
		if !found {
			t.Errorf("moment %s does not offer the opinion result template %s", moment, opTplResult)
		}
	}
}

// TestBookingConsentSpentOnce: a voter who allowed one booking result
// message books and then moves the booking. The consent is spent by the
// first notice when it is queued, so the move queues no second notice on
// the same consent (before, both were queued and one died at dispatch).
func TestBookingConsentSpentOnce(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oOneConsent", 1)
	slots := e.slots(0, bkDec)
	b := e.book(tok, slots[0].ID)
	if n, _ := models.ConsentsLeft(t.Context(), e.db, "oOneConsent", bkTpl); n != 0 {
		t.Errorf("after the booking notice was queued %d consents are left; it must be reserved with the notice", n)
	}
	if r := e.call("PATCH", fmt.Sprintf("/api/v1/bookings/%d", b.ID), tok, fmt.Sprintf(`{"slot_id":%d}`, slots[1].ID)); r.status != 200 {
		t.Fatalf("move: %d %s", r.status, r.raw)
	}
	rows := e.notices()
	if len(rows) != 1 {
		t.Fatalf("%d booking notices on one consent, want 1: %+v", len(rows), rows)
	}
	if !rows[0].ConsentUsed {
		t.Errorf("the queued notice does not hold its consent: %+v", rows[0])
	}
}

// TestSubscriptionsOfferEveryVoterNotice configures a template of its own
// for every notice the code sends to voters (models.VoterNotices, the
// registry the notify files send through) and checks that GET
// /subscriptions offers each at some moment, at most 3 per moment (one
// tap), each with its purpose. A voter notice nobody offers fails here.
func TestSubscriptionsOfferEveryVoterNotice(t *testing.T) {
	env := map[string]string{}
	want := map[string]models.VoterNotice{}
	for _, k := range models.VoterNotices() {
		id := "tpl_" + string(k)
		env[models.VoterNoticeVar(k)] = id
		want[id] = k
	}
	env[models.VoterNoticeVar(models.NoticeOpinionAskResult)] += ";long_term"
	c, err := config.Load(func(k string) string { return env[k] })
	must(t, err)
	e := newOpinionEnv(t, func(d *handlers.Deps) { d.Notify, d.OpinionNotify = c.Notify, c.OpinionNotify })
	voter := e.login(e.fake, "oOfferAll")
	offered := map[string][]string{}
	for _, m := range models.ConsentMoments() {
		var got shared.List[api.ConsentView]
		if r := e.doAuth("GET", "/api/v1/subscriptions?moment="+string(m), voter, "", &got); r.StatusCode != 200 {
			t.Fatalf("moment %s: %d", m, r.StatusCode)
		}
		if len(got.Items) > 3 {
			t.Errorf("moment %s offers %d templates; one tap asks for at most 3", m, len(got.Items))
		}
		for _, it := range got.Items {
			if k, ok := want[it.TemplateID]; !ok || it.Purpose != string(k) || it.LongTerm != (k == models.NoticeOpinionAskResult) {
				t.Errorf("moment %s offers %+v", m, it)
			}
			offered[it.TemplateID] = append(offered[it.TemplateID], string(m))
		}
	}
	for id, k := range want {
		if len(offered[id]) == 0 {
			t.Errorf("voter notice %s (%s) is offered at no moment: no voter can allow it", k, models.VoterNoticeVar(k))
		}
	}
	t.Logf("offered: %v", offered)
	// No moment is the booking moment, as before moments existed; an
	// unknown one is a clear 400.
	if ids := e.offered(voter, "booking"); !slices.Equal(ids, []string{"tpl_booking_result", "tpl_reception_reminder"}) {
		t.Errorf("booking offers %v", ids)
	}
	var plain shared.List[api.ConsentView]
	e.doAuth("GET", "/api/v1/subscriptions", voter, "", &plain)
	if len(plain.Items) != 2 || plain.Items[0].TemplateID != "tpl_booking_result" {
		t.Errorf("no moment: %+v", plain.Items)
	}
	var eb errBody
	if r := e.doAuth("GET", "/api/v1/subscriptions?moment=later", voter, "", &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_moment" {
		t.Errorf("unknown moment: %d %+v", r.StatusCode, eb)
	}
}

// TestReminderAndResultDoNotShareAConsent: the booking result and the
// reminder each spend a consent of their own template. A voter whose only
// consent went to the booking result gets no reminder on it; once they
// allow the reminder, it is queued and spends that consent alone.
func TestReminderAndResultDoNotShareAConsent(t *testing.T) {
	e := newBookEnv(t, bookOpts{})
	tok := e.voter("oRemind", 2)
	slots := e.slots(0, bkDec)
	e.book(tok, slots[0].ID)
	cfg := models.NotifyConfig{Location: bkCST}
	cfg.Reception.BookingResult = config.TemplateSpec{ID: "tplBookingResult"}
	cfg.Reception.ReceptionReminder = config.TemplateSpec{ID: "tplRemind"}
	ctx, now := t.Context(), time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC)
	if n, err := models.NotifyReceptionReminders(ctx, e.db, cfg, bkDec, now); err != nil || n != 0 {
		t.Fatalf("reminders without a reminder consent: %d %v", n, err)
	}
	must(t, models.GrantConsents(ctx, e.db, "oRemind", []string{"tplRemind"}, now))
	if n, err := models.NotifyReceptionReminders(ctx, e.db, cfg, bkDec, now); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	left := func(tpl string) int {
		n, err := models.ConsentsLeft(ctx, e.db, "oRemind", tpl)
		must(t, err)
		return n
	}
	if left("tplRemind") != 0 || left("tplBookingResult") != 1 {
		t.Errorf("consents left: reminder %d (want 0), booking result %d (want 1)", left("tplRemind"), left("tplBookingResult"))
	}
	var remind models.Notification
	must(t, e.db.Where("dedupe_key LIKE ?", "remind:%").First(&remind).Error)
	if remind.TemplateID != "tplRemind" || !remind.ConsentUsed {
		t.Errorf("reminder = %+v", remind)
	}
}
