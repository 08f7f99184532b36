package handlers_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"deputylink/config"
	"deputylink/handlers/official"
	"deputylink/models"
)

// Ensure every mini-program page the server links to (mini-program codes on
// the boards, the official account's menu and cards, the voters' subscribe
// messages) is a page of the mini-program in miniprogram/app.json, so a
// renamed page fails here instead of opening WeChat's "page not found".
func TestServerLinksAreMiniProgramPages(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "miniprogram", "app.json"))
	if err != nil {
		t.Fatalf("the mini-program's app.json: %v", err)
	}
	var app struct {
		Pages []string `json:"pages"`
	}
	if err := json.Unmarshal(raw, &app); err != nil {
		t.Fatalf("miniprogram/app.json: %v", err)
	}
	links := map[string]string{
		"official.MPPageDeputy (board codes, codes images)":    official.MPPageDeputy,
		"official.MPPageBook (menu, cards)":                    official.MPPageBook,
		"official.MPPageFile (menu, cards)":                    official.MPPageFile,
		"the bot's 我的事项 (handlers/official/bot.go)":            "pages/my/index",
		"models.BookingPage (booking notices)":                 models.BookingPage,
		"config.DefaultOpinionPage (opinion notices)":          config.DefaultOpinionPage,
		"the QR rule of the slips' links (docs/OPERATIONS.md)": "pages/ballot/index",
	}
	for what, page := range links {
		if !slices.Contains(app.Pages, strings.SplitN(page, "?", 2)[0]) {
			t.Errorf("%s links to %q, which miniprogram/app.json does not list", what, page)
		}
	}
}
