package models

import (
	"embed"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// migrationFiles holds the DDL of the steps, one file per step and dialect:
// migrations/NNNN_name.sqlite.sql and migrations/NNNN_name.mysql.sql.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// sqlFile is a step that runs migrations/<base>.<dialect>.sql.
func sqlFile(base string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error { return execSQLFile(tx, base) }
}

func execSQLFile(tx *gorm.DB, base string) error {
	name := "migrations/" + base + "." + string(DialectOf(tx)) + ".sql"
	b, err := migrationFiles.ReadFile(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	stmts := splitSQL(string(b))
	if len(stmts) == 0 {
		return fmt.Errorf("%s: no statements", name)
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, s)
		}
	}
	return nil
}

// splitSQL cuts a migration file into statements: each ends with ";" at the
// end of a line, and lines starting with "--" are comments. (No multi-
// statement mode on the MySQL connection, so statements go one at a time.)
func splitSQL(src string) []string {
	var out []string
	var cur []string
	for line := range strings.SplitSeq(src, "\n") {
		t := strings.TrimSpace(line)
		if len(cur) == 0 && (t == "" || strings.HasPrefix(t, "--")) {
			continue
		}
		line = strings.TrimRight(line, " \t\r")
		if strings.HasSuffix(line, ";") {
			cur = append(cur, strings.TrimSuffix(line, ";"))
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	if s := strings.TrimSpace(strings.Join(cur, "\n")); s != "" {
		out = append(out, s)
	}
	return out
}

// baseline is step 1: every table as of the collapse of the first eight
// AutoMigrate steps, and the shipped official holidays (the old step 3
// inserted them).
func baseline(tx *gorm.DB) error {
	if err := sqlFile("0001_baseline")(tx); err != nil {
		return err
	}
	return seedHolidaysV1(tx)
}

// seedHolidaysV1 inserts the shipped holidays with the columns the baseline
// has, naming them rather than going through the Holiday struct, so a field
// added to Holiday later (with its own step) cannot break this step on a
// fresh database. Existing dates are left alone, as EnsureHolidays does.
func seedHolidaysV1(tx *gorm.DB) error {
	var have []string
	if err := tx.Table("holidays").Pluck("date", &have).Error; err != nil {
		return err
	}
	seen := make(map[string]bool, len(have))
	for _, d := range have {
		seen[d] = true
	}
	now := tx.NowFunc()
	var rows []map[string]any
	for _, h := range OfficialHolidays() {
		if seen[h.Date] {
			continue
		}
		rows = append(rows, map[string]any{
			"date": h.Date, "kind": string(h.Kind), "name": h.Name,
			"created_at": now, "updated_at": now,
		})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Table("holidays").CreateInBatches(rows, 100).Error
}

// schemaModels lists every gorm model that has a table, for the check that
// the migrated schema still holds every column the structs use (see
// schemaDrift and TestSchemaMatchesModels). A new model goes here too.
func schemaModels() []any {
	return []any{
		&SchemaMigration{},
		// Old step 1: core tables.
		&Station{}, &Community{}, &Deputy{}, &Code{}, &Staff{},
		&Voter{}, &Category{}, &Department{}, &AuditLog{},
		// Old step 2: notifications outbox and consents.
		&Notification{}, &SubscribeConsent{},
		// Old step 3: reception days and bookings.
		&Holiday{}, &ReceptionRule{}, &ReceptionDay{}, &Slot{}, &RosterEntry{},
		&Booking{}, &WalkIn{}, &ReceptionRecord{},
		// Old step 5: opinions.
		&Opinion{}, &OpinionCounter{}, &OpinionPhoto{}, &OpinionNote{},
		&OpinionTimelineEntry{}, &OpinionDepartment{}, &OpinionRating{}, &StationContact{},
		// Old steps 6 and 7.
		&StaffCredential{}, &Upload{},
		// Step 3.
		&OpinionCallback{},
		// Step 4: the reception desk.
		&ReceptionGuest{},
		// Step 7: department replies.
		&DepartmentReply{}, &DepartmentReplyFile{},
		// Step 8: deputies' records.
		&Activity{}, &ActivityFile{}, &DeputyGroup{}, &Evaluation{}, &EvaluationWeight{}, &SelfAssessment{},
		// Step 10: reviews (述职评议, 代表评部门).
		&Review{}, &ReviewSubject{}, &BallotSlip{}, &Ballot{}, &BallotMark{}, &BallotComment{}, &ReviewPaperCount{},
		// Step 11: broadcasts.
		&Broadcast{}, &BroadcastRecipient{},
		// Step 12: public results (voters.community_id is on Voter).
		&OpinionPublication{},
		// Step 14: scan counts per day.
		&ScanDay{}, &ScanBatch{},
	}
}
