package modelstest

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"deputylink/models"

	"gorm.io/gorm"
)

// Schema reads db's schema back as the database itself states it, keyed by
// object ("table opinions", "index idx_opinion_voter on opinions"): on
// SQLite the sql column of sqlite_master, on MySQL/MariaDB SHOW CREATE TABLE
// (indexes are part of it) without the AUTO_INCREMENT counter.
func Schema(t testing.TB, db *gorm.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	if models.DialectOf(db) == models.SQLite {
		var rows []struct{ Type, Name, TblName, SQL string }
		err := db.Raw("SELECT type, name, tbl_name, sql FROM sqlite_master " +
			"WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'").Scan(&rows).Error
		if err != nil {
			t.Fatalf("read sqlite_master: %v", err)
		}
		for _, r := range rows {
			key := r.Type + " " + r.Name
			if r.Type != "table" {
				key += " on " + r.TblName
			}
			out[key] = r.SQL
		}
		return out
	}
	var tables []string
	if err := db.Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&tables).Error; err != nil {
		t.Fatalf("list tables: %v", err)
	}
	for _, tb := range tables {
		var name, ddl string
		if err := db.Raw("SHOW CREATE TABLE `"+tb+"`").Row().Scan(&name, &ddl); err != nil {
			t.Fatalf("show create table %s: %v", tb, err)
		}
		out["table "+tb] = autoIncrement.ReplaceAllString(ddl, "")
	}
	return out
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// SchemaDiff describes how schema got differs from want, one line per
// object or column ("" when they are the same), so a failure names the
// table and column at fault.
func SchemaDiff(want, got map[string]string) string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var b strings.Builder
	for _, k := range sorted {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inG:
			fmt.Fprintf(&b, "- %s (missing)\n", k)
		case !inW:
			fmt.Fprintf(&b, "+ %s (unexpected): %s\n", k, g)
		case w != g:
			wl, gl := ddlParts(w), ddlParts(g)
			n := 0
			for _, l := range wl {
				if !slices.Contains(gl, l) {
					fmt.Fprintf(&b, "  %s: - %s\n", k, l)
					n++
				}
			}
			for _, l := range gl {
				if !slices.Contains(wl, l) {
					fmt.Fprintf(&b, "  %s: + %s\n", k, l)
					n++
				}
			}
			if n == 0 {
				fmt.Fprintf(&b, "  %s: same parts, different order:\n    want %s\n    got  %s\n", k, w, g)
			}
		}
	}
	return b.String()
}

// ddlParts cuts a CREATE statement into its column and index definitions:
// MySQL's SHOW CREATE TABLE puts one per line, SQLite keeps the statement
// on one line, so it is cut at the commas outside parentheses.
func ddlParts(ddl string) []string {
	if strings.Contains(ddl, "\n") {
		var out []string
		for l := range strings.SplitSeq(ddl, "\n") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(l), ","))
		}
		return out
	}
	open := strings.Index(ddl, "(")
	if open < 0 || !strings.HasPrefix(ddl, "CREATE TABLE") {
		return []string{ddl}
	}
	out := []string{ddl[:open]}
	depth, start := 0, open+1
	for i := open + 1; i < len(ddl); i++ {
		switch ddl[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				out = append(out, ddl[start:i], ddl[i:])
				return out
			}
			depth--
		case ',':
			if depth == 0 {
				out = append(out, ddl[start:i])
				start = i + 1
			}
		}
	}
	return append(out, ddl[start:])
}
