package models

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestVoterNoticesComeFromTheRegistry reads the package's own source: a
// subscribe message (ChannelSubscribe) is written nowhere but in
// queueVoterNotice, which takes a registered VoterNotice; every opinion
// event told to the voter (voterEvent) has a VoterNotice; and every
// registered notice has a template variable and a moment that offers it.
// So a new notice to voters that no moment offers fails here (and in the
// API's TestSubscriptionsOfferEveryVoterNotice), instead of never being
// allowed by anyone.
func TestVoterNoticesComeFromTheRegistry(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var voterEvents []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					if n.Name == "ChannelSubscribe" && fn.Name.Name != "queueVoterNotice" && name != "outbox.go" {
						t.Errorf("%s: %s writes a subscribe message itself; send voter notices through queueVoterNotice",
							fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.CallExpr:
					if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "voterEvent" && len(n.Args) > 1 {
						if kind, ok := n.Args[1].(*ast.Ident); ok {
							voterEvents = append(voterEvents, kind.Name)
						}
					}
				}
				return true
			})
		}
	}
	if len(voterEvents) == 0 {
		t.Fatal("found no voterEvent calls; the source scan is broken")
	}
	kinds := map[string]EventKind{"EventAccepted": EventAccepted, "EventReplied": EventReplied,
		"EventClosed": EventClosed, "EventAskResult": EventAskResult}
	for _, name := range voterEvents {
		kind, known := kinds[name]
		if _, ok := opinionVoterNotices[kind]; !known || !ok {
			t.Errorf("voter event %s has no VoterNotice in opinionVoterNotices", name)
		}
	}
	moments := ConsentMoments()
	perMoment := map[ConsentMoment]int{}
	for _, d := range voterNotices {
		if d.env == "" || !strings.HasPrefix(d.env, "DEPUTYLINK_TPL_") || d.template == nil {
			t.Errorf("%s: no template variable", d.notice)
		}
		if len(d.moments) == 0 {
			t.Errorf("%s: no moment offers it, so no voter can allow it", d.notice)
		}
		for _, m := range d.moments {
			if !slices.Contains(moments, m) {
				t.Errorf("%s: unknown moment %q", d.notice, m)
			}
			perMoment[m]++
		}
	}
	for m, n := range perMoment {
		if n > MaxConsentAsk {
			t.Errorf("moment %s offers %d templates; one tap asks for at most %d", m, n, MaxConsentAsk)
		}
	}
}
