package modelstest_test

import (
	"context"
	"fmt"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// TestCloneMatchesMigrated: a NewDB database (a copy of the process's
// template) has the same schema and the same seeded rows as a database
// that ran every migration step itself.
func TestCloneMatchesMigrated(t *testing.T) {
	migrated := modelstest.Open(t, modelstest.URL(t))
	clone := modelstest.NewDB(t)
	if d := modelstest.SchemaDiff(modelstest.Schema(t, migrated), modelstest.Schema(t, clone)); d != "" {
		t.Fatalf("a cloned test database differs from a migrated one:\n%s", d)
	}
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if models.DialectOf(migrated) == models.MySQL {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name"
	}
	if err := migrated.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables in a migrated database: %v", len(tables), tables)
	}
	seeded := 0
	for _, tb := range tables {
		a, b := tableRows(t, migrated, tb), tableRows(t, clone, tb)
		if len(a) != len(b) {
			t.Errorf("table %s: %d rows migrated, %d in the clone", tb, len(a), len(b))
			continue
		}
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("table %s row %d: migrated %s, clone %s", tb, i, a[i], b[i])
			}
		}
		if len(a) > 0 {
			seeded++
		}
	}
	if seeded == 0 {
		t.Fatal("no table has rows after migrating: schema_migrations at least should")
	}
	applied, err := models.Migrate(context.Background(), clone)
	if err != nil || applied != 0 {
		t.Fatalf("Migrate on a clone applied %d steps (%v); want 0", applied, err)
	}
}

// tableRows renders every row of table tb in the order of its first column,
// without the times the migration wrote them, so that two databases can be
// compared row by row.
func tableRows(t *testing.T, db *gorm.DB, tb string) []string {
	t.Helper()
	rows, err := db.Raw("SELECT * FROM `" + tb + "` ORDER BY 1").Rows()
	if err != nil {
		t.Fatalf("read %s: %v", tb, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s := ""
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			switch cols[i] {
			case "applied_at", "created_at", "updated_at":
				continue // when the migration ran
			}
			s += fmt.Sprintf("%s=%v ", cols[i], v)
		}
		out = append(out, s)
	}
	return out
}

// TestNewDBInParallel: tests that call NewDB at once (the first of them
// building the template) each get their own, working database.
func TestNewDBInParallel(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := modelstest.NewDB(t)
			st := models.Station{Kind: models.KindStation, Name: fmt.Sprintf("站%d", i), Address: "路", District: "镇", OpenHours: "周一"}
			if err := db.Create(&st).Error; err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := db.Model(&models.Station{}).Count(&n).Error; err != nil || n != 1 {
				t.Fatalf("%d stations (%v); want only this test's one", n, err)
			}
		})
	}
}
