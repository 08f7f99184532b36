package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"deputylink/handlers/console"
	"deputylink/models"
	"deputylink/wechat"
)

func adminCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("admin", args, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "invite":
		return adminInvite(ctx, getenv, args[1:], stdout, stderr)
	case "create-user":
		return adminCreateUser(ctx, getenv, args[1:], adminStdin, stdout, stderr)
	}
	return errUsage
}

// adminInvite creates a staff member of a station with a one-time invite
// and a temporary official-account QR code carrying it: scanning the QR
// with WeChat binds the scanner to the new member.
func adminInvite(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin invite", stderr)
	station := fs.Uint64("station", 0, "the station's id")
	name := fs.String("name", "", "the staff member's name")
	role := fs.String("role", string(models.RoleClerk), "clerk (联络员) or head (站长)")
	ttl := fs.Duration("ttl", 72*time.Hour, "how long the invite stays valid (at most 720h)")
	pngOut := fs.String("png", "", "also write the QR code as a PNG to this file (drawn locally)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch r := models.StaffRole(*role); {
	case *station == 0 || strings.TrimSpace(*name) == "":
		fmt.Fprintln(stderr, "deputylink admin invite: --station and --name are required")
		return usageOf(fs)
	case r != models.RoleClerk && r != models.RoleHead:
		fmt.Fprintf(stderr, "deputylink admin invite: --role must be clerk or head, not %q\n\n", *role)
		return usageOf(fs)
	case *ttl <= 0 || *ttl > models.MaxInviteTTL:
		fmt.Fprintf(stderr, "deputylink admin invite: --ttl must be between 1s and %s\n\n", models.MaxInviteTTL)
		return usageOf(fs)
	}
	return withApp(ctx, getenv, func(a *app) error {
		// Checked first: an invite nobody can scan is no use.
		if a.cfg.OA.AppID == "" {
			return errors.New("the invite QR code needs the official account: DEPUTYLINK_OA_APPID and DEPUTYLINK_OA_SECRET are not set")
		}
		wc, err := a.wechatClient()
		if err != nil {
			return err
		}
		now := time.Now()
		code, err := models.CreateStaffInvite(ctx, a.db, models.Staff{Name: *name, Role: models.StaffRole(*role)}, *station, *ttl, now)
		if err != nil {
			return fmt.Errorf("station %d: %w", *station, err)
		}
		st, err := models.GetStation(ctx, a.db, *station)
		if err != nil {
			return err
		}
		// The QR lives as long as the invite (WeChat caps temporary codes at
		// 30 days); the scene is the invite code itself.
		expire := min(code.ExpiresAt.Sub(now).Round(time.Second), wechat.MaxQRExpire)
		t, err := wc.QRTicket(ctx, code.Code, max(expire, time.Second), false)
		if err != nil {
			// Undo rather than leave an invite nobody can scan.
			if cerr := models.CancelStaffInvite(context.WithoutCancel(ctx), a.db, code.Code, time.Now()); cerr != nil {
				return fmt.Errorf("create the invite QR code: %w (and withdrawing invite %s failed: %v)", err, code.Code, cerr)
			}
			return fmt.Errorf("create the invite QR code: %w (the invite was withdrawn; run the command again)", err)
		}
		if *pngOut != "" {
			img, err := console.QRCodePNG(t.URL, 600)
			if err == nil {
				err = writeFileAtomic(*pngOut, img)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", *pngOut, err)
			}
		}
		loc := a.cfg.Timezone
		if loc == nil {
			loc = time.UTC
		}
		fmt.Fprintf(stdout, "invite code:   %s\n", code.Code)
		fmt.Fprintf(stdout, "staff id:      %d (%s, %s, %s)\n", code.TargetID, strings.TrimSpace(*name), models.StaffRole(*role).Label(), st.Name)
		fmt.Fprintf(stdout, "expires:       %s\n", code.ExpiresAt.In(loc).Format("2006-01-02 15:04 MST"))
		fmt.Fprintf(stdout, "qr ticket url: %s\n", wechat.ShowQRCodeURL(t.Ticket))
		if *pngOut != "" {
			fmt.Fprintf(stdout, "qr image:      %s\n", *pngOut)
		}
		fmt.Fprintln(stdout, "Give the QR code to this person only: the first WeChat account that scans it is bound, once.")
		return nil
	})
}
