package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

func TestGrantUseDropConsent(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	left := func(tpl string) int {
		t.Helper()
		n, err := models.ConsentsLeft(ctx, db, "oVoter", tpl)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if left("tA") != 0 {
		t.Fatal("consent before any grant")
	}
	if ok, err := models.UseConsent(ctx, db, "oVoter", "tA", t0); ok || err != nil {
		t.Fatalf("use without grant: %v %v", ok, err)
	}
	if err := models.GrantConsents(ctx, db, "oVoter", []string{"tA", "tB", "tA", ""}, t0); err != nil {
		t.Fatal(err)
	}
	if left("tA") != 1 || left("tB") != 1 {
		t.Fatalf("after one grant: tA=%d tB=%d (a template listed twice counts once)", left("tA"), left("tB"))
	}
	for range models.ConsentCap + 5 {
		if err := models.GrantConsents(ctx, db, "oVoter", []string{"tA"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if left("tA") != models.ConsentCap {
		t.Fatalf("tA = %d, want the cap %d", left("tA"), models.ConsentCap)
	}
	if ok, err := models.UseConsent(ctx, db, "oVoter", "tB", t0); !ok || err != nil {
		t.Fatalf("use: %v %v", ok, err)
	}
	if ok, _ := models.UseConsent(ctx, db, "oVoter", "tB", t0); ok || left("tB") != 0 {
		t.Fatalf("second use of a single consent succeeded (left %d)", left("tB"))
	}
	if err := models.DropConsent(ctx, db, "oVoter", "tA", t0); err != nil || left("tA") != 0 {
		t.Fatalf("drop: %v, left %d", err, left("tA"))
	}
	if err := models.GrantConsents(ctx, db, "", []string{"tA"}, t0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("grant without openid: %v", err)
	}
}

// TestConcurrentConsents races grants on a fresh row and spends on a
// limited balance: no grant may be lost, no consent spent twice.
func TestConcurrentConsents(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	const grants = 8
	var wg sync.WaitGroup
	for range grants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := models.GrantConsents(ctx, db, "oRace", []string{"tpl"}, t0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, _ := models.ConsentsLeft(ctx, db, "oRace", "tpl"); n != grants {
		t.Fatalf("after %d concurrent grants: %d", grants, n)
	}
	var used atomic.Int32
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := models.UseConsent(ctx, db, "oRace", "tpl", t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				used.Add(1)
			}
		}()
	}
	wg.Wait()
	if used.Load() != grants {
		t.Fatalf("%d consents spent, %d granted", used.Load(), grants)
	}
}

func TestSpendConsentOncePerNotification(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	in := models.NotificationInput{Channel: models.ChannelSubscribe, ToUser: "oV", TemplateID: "tpl",
		Fields: map[string]string{"thing1": "预约成功"}, DedupeKey: "booking:1"}
	if _, _, err := models.Enqueue(ctx, db, in, t0); err != nil {
		t.Fatal(err)
	}
	in.DedupeKey = "booking:2"
	if _, _, err := models.Enqueue(ctx, db, in, t0); err != nil {
		t.Fatal(err)
	}
	if err := models.GrantConsents(ctx, db, "oV", []string{"tpl"}, t0); err != nil {
		t.Fatal(err)
	}
	rows, err := models.Claim(ctx, db, t0, 10, time.Minute)
	if err != nil || len(rows) != 2 {
		t.Fatalf("claim: %d %v", len(rows), err)
	}
	first, second := rows[0], rows[1]
	if ok, err := models.SpendConsent(ctx, db, models.NotifyConfig{}, first, t0); !ok || err != nil {
		t.Fatalf("spend: %v %v", ok, err)
	}
	if ok, err := models.SpendConsent(ctx, db, models.NotifyConfig{}, second, t0); ok || err != nil {
		t.Fatalf("second notification spent a consent that is not there: %v %v", ok, err)
	}
	// The first notification fails and is retried: its retry must not need
	// (or spend) another consent.
	if err := models.MarkRetry(ctx, db, first, "errcode=-1", t0, t0); err != nil {
		t.Fatal(err)
	}
	if err := models.GrantConsents(ctx, db, "oV", []string{"tpl"}, t0); err != nil {
		t.Fatal(err)
	}
	again, _ := models.Claim(ctx, db, t0.Add(2*time.Minute), 10, time.Minute)
	for _, n := range again {
		if n.ID == first.ID {
			if !n.ConsentUsed {
				t.Fatal("retry lost the consent it already spent")
			}
			if ok, err := models.SpendConsent(ctx, db, models.NotifyConfig{}, n, t0); !ok || err != nil {
				t.Fatalf("retry spend: %v %v", ok, err)
			}
		}
	}
	if n, _ := models.ConsentsLeft(ctx, db, "oV", "tpl"); n != 1 {
		t.Fatalf("consents left = %d, want 1 (the retry spent one)", n)
	}
	// A stale claim spends nothing.
	if ok, err := models.SpendConsent(ctx, db, models.NotifyConfig{}, second, t0); ok || !errors.Is(err, models.ErrStaleClaim) {
		t.Fatalf("stale spend: %v %v", ok, err)
	}
	if n, _ := models.ConsentsLeft(ctx, db, "oV", "tpl"); n != 1 {
		t.Fatalf("a stale claim spent a consent: left %d", n)
	}
}
