package models_test

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// TestDialectUnderTest logs which database the models tests run on, so a CI
// log proves they ran against MariaDB.
func TestDialectUnderTest(t *testing.T) {
	db := modelstest.NewDB(t)
	d := models.DialectOf(db)
	want := models.SQLite
	if modelstest.OnMySQL() {
		want = models.MySQL
	}
	if d != want {
		t.Fatalf("dialect = %s, want %s", d, want)
	}
	var v string
	if d == models.MySQL {
		db.Raw("SELECT VERSION()").Scan(&v)
	} else {
		db.Raw("SELECT sqlite_version()").Scan(&v)
	}
	t.Logf("dialect=%s server=%s", d, v)
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t) // already migrated once
	n, err := models.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if n != 0 {
		t.Fatalf("second migrate applied %d steps, want 0", n)
	}
	var rows []models.SchemaMigration
	db.Order("version").Find(&rows)
	if len(rows) != models.MigrationSteps() {
		t.Fatalf("schema_migrations has %d rows, want %d", len(rows), models.MigrationSteps())
	}
}

// Ensure several processes starting at once against one database all come
// up: one migrates, the others find the schema ready.
func TestMigrateConcurrentProcesses(t *testing.T) {
	ctx := context.Background()
	url := modelstest.URL(t)
	const procs = 3
	var wg sync.WaitGroup
	errs := make([]error, procs)
	applied := make([]int, procs)
	for i := range procs {
		wg.Go(func() {
			// Each "process" has its own pool, as separate binaries would.
			db, err := models.Open(ctx, url, models.OpenOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			defer models.Close(db)
			applied[i], errs[i] = models.Migrate(ctx, db)
		})
	}
	wg.Wait()
	total := 0
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != models.MigrationSteps() {
		t.Fatalf("steps applied across processes = %d, want exactly %d", total, models.MigrationSteps())
	}
	// A process started later against the migrated database works.
	db := modelstest.Open(t, url)
	if err := db.Create(&models.Department{Name: "县水利局", Contact: "王工", Phone: "0571-1"}).Error; err != nil {
		t.Fatalf("write after migrate: %v", err)
	}
}

// Ensure models stays free of the HTTP, Redis and WeChat layers.
func TestModelsImportsNoTransportPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "deputylink/models").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/gin-gonic/", "github.com/redis/go-redis", "github.com/silenceper/wechat"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("models depends on %s", dep)
			}
		}
	}
}
