package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"deputylink/handlers/official"
	"deputylink/wechat"
)

// errcodeNoMenu is WeChat's "menu no exist" answer to menu/get.
const errcodeNoMenu = 46003

func wechatCmd(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("wechat", args, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "menu":
		return wechatMenu(ctx, getenv, args[1:], stdout, stderr)
	case "push":
		return wechatPush(ctx, getenv, args[1:], stdout, stderr)
	}
	return errUsage
}

// wechatMenu publishes the official account's custom menu, idempotently: the
// current menu is read first and an equal one is left alone (menu/create
// makes WeChat clients refetch the menu, and its quota is small).
func wechatMenu(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wechat menu", stderr)
	dryRun := fs.Bool("dry-run", false, "print the menu as JSON and change nothing")
	bookPage := fs.String("book-page", official.MPPageBook, "mini-program page of the booking entry")
	filePage := fs.String("file-page", official.MPPageFile, "mini-program page of the opinion entry")
	fallback := fs.String("fallback-url", official.MenuFallbackURL, "web page WeChat clients without mini-program support open")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	buttons := official.MenuButtons(official.MenuOptions{
		MPAppID: cfg.MP.AppID, BookPage: *bookPage, FilePage: *filePage, FallbackURL: *fallback,
		DeputyURL: official.DeputyPagesURL(cfg.OpinionNotify.PublicURL),
	})
	if *dryRun {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"button": buttons})
	}
	if cfg.OA.AppID == "" {
		return errors.New("publishing the menu needs the official account: DEPUTYLINK_OA_APPID and DEPUTYLINK_OA_SECRET are not set")
	}
	// The menu needs no database; Redis holds the shared access token.
	a := &app{cfg: cfg, log: log}
	defer a.close()
	if err := a.openRedis(ctx); err != nil {
		return err
	}
	wc, err := a.wechatClient()
	if err != nil {
		return err
	}
	current, err := wc.GetMenu(ctx)
	if err != nil && wechat.ErrCode(err) != errcodeNoMenu {
		return fmt.Errorf("read the current menu: %w", err)
	}
	if err == nil && official.SameMenu(current, buttons) {
		fmt.Fprintln(stdout, "menu unchanged")
		return nil
	}
	if err := wc.CreateMenu(ctx, buttons); err != nil {
		return fmt.Errorf("publish the menu: %w", err)
	}
	fmt.Fprintf(stdout, "menu published: %d buttons", len(buttons))
	if a.cfg.MP.AppID == "" {
		fmt.Fprint(stdout, " (no mini-program entries: DEPUTYLINK_MP_APPID is not set)")
	}
	fmt.Fprintln(stdout)
	return nil
}
