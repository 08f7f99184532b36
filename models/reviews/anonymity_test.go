package reviews_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/reviews"
)

// Ensure the ballot tables hold nothing that names or times a voter: the
// columns are exactly the anonymous ones (no voter id, no openid, no time
// finer than the day), the rows keep no openid in any form, ballot ids are
// random, and the two one-ballot rules are the database's own unique
// indexes (a direct insert of a second ballot fails).
func TestBallotsKeepNoVoter(t *testing.T) {
	c := newCounty(t)
	ctx := t.Context()
	for table, want := range map[string][]string{
		"ballots":         {"cast_on", "id", "review_id", "slip_id", "voter_key"},
		"ballot_marks":    {"ballot_id", "dimension", "rating", "subject_id"},
		"ballot_comments": {"ballot_id", "subject_id", "text"},
		"ballot_slips":    {"code", "id", "review_id", "used"},
	} {
		cols, err := c.db.Migrator().ColumnTypes(table)
		must(t, err)
		var got []string
		for _, col := range cols {
			got = append(got, col.Name())
			if typ := strings.ToLower(col.DatabaseTypeName()); strings.Contains(typ, "date") || strings.Contains(typ, "time") {
				t.Errorf("%s.%s is a %s", table, col.Name(), typ)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s has columns %v, want exactly %v", table, got, want)
		}
	}

	subjects := depIDs(c.countyDeps...)
	r := c.create(t, c.office, meeting(subjects, 5))
	codes := c.slips(t, c.office, r.ID)
	for n := range 4 {
		b := allSatisfied(subjects)
		b.Comments = []models.BallotComment{{SubjectID: subjects[0], Text: "第" + string(rune('一'+n)) + "条意见"}}
		must(t, reviews.CastWithSlip(ctx, c.db, c.keyer, codes[n], voter(n), b, during))
	}
	var ballots []models.Ballot
	must(t, c.db.Find(&ballots).Error)
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, b := range ballots {
		if !hexID.MatchString(b.ID) || b.CastOn != "2026-12-20" || len(b.VoterKey) != 64 {
			t.Errorf("ballot %+v", b)
		}
		for n := range 4 {
			if strings.Contains(b.VoterKey, voter(n).OpenID) || b.VoterKey == c.keyer.VoterKey(r.ID+1, voter(n).OpenID) {
				t.Errorf("voter key %s derives from the openid alone", b.VoterKey)
			}
		}
	}
	// No openid in any text of the ballot tables.
	for _, q := range []string{
		"SELECT id || ' ' || voter_key || ' ' || cast_on FROM ballots",
		"SELECT ballot_id || ' ' || rating FROM ballot_marks",
		"SELECT ballot_id || ' ' || text FROM ballot_comments",
		"SELECT code FROM ballot_slips",
	} {
		if models.DialectOf(c.db) == models.MySQL {
			q = strings.ReplaceAll(strings.ReplaceAll(q, " || ' ' || ", ", ' ', "), "SELECT ", "SELECT CONCAT(")
			q = strings.Replace(q, " FROM", ") FROM", 1)
		}
		var texts []string
		must(t, c.db.Raw(q).Scan(&texts).Error)
		for _, s := range texts {
			if strings.Contains(s, "oVoter") {
				t.Errorf("%s: %q holds an openid", q, s)
			}
		}
	}
	// The database refuses a second ballot of a slip and of a voter key.
	slipID := *ballots[0].SlipID
	for name, b := range map[string]models.Ballot{
		"same slip":      {ID: "00000000000000000000000000000001", ReviewID: r.ID, SlipID: &slipID, VoterKey: strings.Repeat("a", 64), CastOn: "2026-12-20"},
		"same voter key": {ID: "00000000000000000000000000000002", ReviewID: r.ID, VoterKey: ballots[0].VoterKey, CastOn: "2026-12-20"},
	} {
		if err := models.Translate(c.db.Create(&b).Error); !errors.Is(err, models.ErrConflict) {
			t.Errorf("%s inserted directly: %v", name, err)
		}
	}
	// No audit row was written by the casts.
	var audits []models.AuditLog
	must(t, c.db.Find(&audits).Error)
	for _, a := range audits {
		if a.Action != reviews.AuditReviewCreate {
			t.Errorf("audit row of a cast: %+v", a)
		}
	}
}
