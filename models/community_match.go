package models

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// CommunityMatch is one community that matches a typed place name.
type CommunityMatch struct {
	Community Community
	// Score ranks matches: 100 the name, 95 an alias, 80 a prefix, 60 a
	// part of the other, up to 40 by characters in common.
	Score int
	// Matched is the name or alias that matched best.
	Matched string
}

// Exact reports whether the typed text is the community's name or one of
// its aliases (after NormalizePlace), not a fuzzy match: only such a match
// may be taken without asking the voter.
func (m CommunityMatch) Exact() bool { return m.Score >= scoreExactAlias }

// Match scores.
const (
	scoreExactName  = 100
	scoreExactAlias = 95
	scorePrefix     = 80
	scoreContains   = 60
	scoreOverlapMax = 40
)

// placeSuffixes are dropped from the end of a normalised place name, longest first.
var placeSuffixes = []string{"社区居委会", "社区居民委员会", "村民委员会", "居委会", "村委会", "社区", "小区", "村"}

// NormalizePlace reduces a place name for matching: no spaces, punctuation
// or symbols, ASCII lower-cased, full-width letters and digits folded, and
// one 村/社区/小区 (or 居委会, 村委会) suffix dropped unless nothing would be left.
func NormalizePlace(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' { // full-width ASCII variants
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	for _, suf := range placeSuffixes {
		if rest, ok := strings.CutSuffix(out, suf); ok && rest != "" {
			return rest
		}
	}
	return out
}

// MatchCommunities matches a voter's typed place name against every
// community's name and aliases (see MatchCommunityList), best first, at most
// limit (default 5). An empty query is invalid.
func MatchCommunities(ctx context.Context, db *gorm.DB, query string, limit int) ([]CommunityMatch, error) {
	if NormalizePlace(query) == "" {
		return nil, Invalid("query", "请输入村或社区的名称")
	}
	var list []Community
	if err := db.WithContext(ctx).Order("id").Find(&list).Error; err != nil {
		return nil, translate(err)
	}
	return MatchCommunityList(list, query, limit), nil
}

// MatchCommunityList is MatchCommunities over a loaded list: exact name >
// exact alias > prefix (either way) > containment (either way) > characters
// in common (at least two, and at least half of the longer name); ties go
// to the shorter name, then the lower id.
func MatchCommunityList(list []Community, query string, limit int) []CommunityMatch {
	if limit <= 0 {
		limit = 5
	}
	q := NormalizePlace(query)
	if q == "" {
		return nil
	}
	var out []CommunityMatch
	for _, c := range list {
		best := CommunityMatch{Community: c}
		try := func(text string, exact int) {
			n := NormalizePlace(text)
			if n == "" {
				return
			}
			s := 0
			switch {
			case n == q:
				s = exact
			case strings.HasPrefix(n, q) || strings.HasPrefix(q, n):
				s = scorePrefix
			case strings.Contains(n, q) || strings.Contains(q, n):
				s = scoreContains
			default:
				s = overlapScore(q, n)
			}
			if s > best.Score {
				best.Score, best.Matched = s, text
			}
		}
		try(c.Name, scoreExactName)
		for _, a := range c.AliasList() {
			try(a, scoreExactAlias)
		}
		if best.Score > 0 {
			out = append(out, best)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		la, lb := utf8.RuneCountInString(a.Community.Name), utf8.RuneCountInString(b.Community.Name)
		if la != lb {
			return la < lb
		}
		return a.Community.ID < b.Community.ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// overlapScore counts the characters two names share (with multiplicity);
// it is 0 unless they share at least two and at least half of the longer.
func overlapScore(a, b string) int {
	counts := map[rune]int{}
	for _, r := range a {
		counts[r]++
	}
	common := 0
	for _, r := range b {
		if counts[r] > 0 {
			counts[r]--
			common++
		}
	}
	longest := max(utf8.RuneCountInString(a), utf8.RuneCountInString(b))
	if common < 2 || common*2 < longest {
		return 0
	}
	return scoreOverlapMax * common / longest
}
