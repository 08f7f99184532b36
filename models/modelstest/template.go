package modelstest

// A migrated template per test process. NewDB used to run every migration
// step for every test; on MariaDB that is dozens of DDL statements, each
// committed and synced on its own, and it was the largest single cost of
// the test suite. Now the first NewDB of a process migrates one template,
// and every NewDB copies it: on SQLite the migrated file's bytes, on MySQL
// the template's tables as SHOW CREATE TABLE states them plus the rows the
// migrations seeded, in one round trip. The copy is then opened through
// Open, which runs Migrate on it as before (it finds every step applied),
// so a test still sees exactly the schema the migrations make
// (TestCloneMatchesMigrated checks this). Tests of the migrations themselves
// use URL, which stays an empty database.
//
// On MySQL the template is a database named dltmpl_<random>, held by a
// named lock (GET_LOCK of the same name) on a connection the process keeps
// open. The server frees the lock when the process ends, and the next
// process that builds a template drops every dltmpl_ database whose lock is
// free; .ci/run sweeps the last ones at its end the same way.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"deputylink/models"
)

// TemplatePrefix starts the name of every template database on MySQL.
const TemplatePrefix = "dltmpl_"

var sqliteTmpl struct {
	once sync.Once
	file []byte
	err  error
}

// sqliteTemplate returns the bytes of a freshly migrated SQLite file.
func sqliteTemplate() ([]byte, error) {
	sqliteTmpl.once.Do(func() {
		sqliteTmpl.file, sqliteTmpl.err = buildSQLiteTemplate()
	})
	return sqliteTmpl.file, sqliteTmpl.err
}

func buildSQLiteTemplate() ([]byte, error) {
	dir, err := os.MkdirTemp("", "modelstest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	ctx := context.Background()
	db, err := models.Open(ctx, "sqlite://"+path, models.OpenOptions{})
	if err != nil {
		return nil, fmt.Errorf("open sqlite template: %w", err)
	}
	if _, err := models.Migrate(ctx, db); err != nil {
		_ = models.Close(db)
		return nil, fmt.Errorf("migrate sqlite template: %w", err)
	}
	// Everything into the main file, so that its bytes alone are the
	// database (the copy opens in WAL mode again, as models.Open asks).
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		_ = models.Close(db)
		return nil, fmt.Errorf("checkpoint sqlite template: %w", err)
	}
	if err := models.Close(db); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// newSQLite writes a copy of the migrated template into the test's
// temporary directory and returns its URL.
func newSQLite(t testing.TB) string {
	t.Helper()
	file, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatalf("copy sqlite template: %v", err)
	}
	return "sqlite://" + path
}

// mysqlTmpl is the process's template on the MySQL server named by
// DEPUTYLINK_TEST_MYSQL.
type mysqlTmpl struct {
	admin *sql.DB   // the server, no database selected; multiStatements on
	lock  *sql.Conn // holds GET_LOCK(name) while the process lives
	name  string
	// clone creates the template's tables in the database named by %[1]s
	// and copies the seeded rows, as one multi-statement string.
	clone string
}

var myTmpl struct {
	once sync.Once
	t    *mysqlTmpl
	err  error
}

func mysqlTemplate(base string) (*mysqlTmpl, error) {
	myTmpl.once.Do(func() {
		myTmpl.t, myTmpl.err = buildMySQLTemplate(base)
	})
	return myTmpl.t, myTmpl.err
}

// serverURL is base with the database part replaced by name.
func serverURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func buildMySQLTemplate(base string) (_ *mysqlTmpl, err error) {
	ctx := context.Background()
	raw, err := serverURL(base, "mysql")
	if err != nil {
		return nil, err
	}
	dsn, err := models.MySQLDSN(raw)
	if err != nil {
		return nil, err
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			admin.Close()
		}
	}()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tm := &mysqlTmpl{admin: admin, name: TemplatePrefix + hex.EncodeToString(b)}
	if tm.lock, err = admin.Conn(ctx); err != nil {
		return nil, err
	}
	var got int
	if err := tm.lock.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", tm.name).Scan(&got); err != nil || got != 1 {
		return nil, fmt.Errorf("lock template %s: got %d, %v", tm.name, got, err)
	}
	if err := SweepTemplates(ctx, admin); err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+tm.name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return nil, fmt.Errorf("create template database: %w", err)
	}
	tmplURL, err := serverURL(base, tm.name)
	if err != nil {
		return nil, err
	}
	db, err := models.Open(ctx, tmplURL, models.OpenOptions{})
	if err != nil {
		return nil, fmt.Errorf("open template database: %w", err)
	}
	defer models.Close(db) //nolint:errcheck
	if _, err := models.Migrate(ctx, db); err != nil {
		return nil, fmt.Errorf("migrate template database: %w", err)
	}
	var tables []string
	if err := db.Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name").Scan(&tables).Error; err != nil {
		return nil, err
	}
	var clone strings.Builder
	clone.WriteString("SET SESSION foreign_key_checks = 0;\n")
	for _, tb := range tables {
		var name, ddl string
		if err := db.Raw("SHOW CREATE TABLE `"+tb+"`").Row().Scan(&name, &ddl); err != nil {
			return nil, fmt.Errorf("show create table %s: %w", tb, err)
		}
		head := "CREATE TABLE `" + tb + "` "
		if !strings.HasPrefix(ddl, head) {
			return nil, fmt.Errorf("show create table %s: unexpected %.60q", tb, ddl)
		}
		clone.WriteString("CREATE TABLE `%[1]s`.`" + tb + "` " + strings.ReplaceAll(ddl[len(head):], "%", "%%") + ";\n")
		var rows int
		if err := db.Raw("SELECT COUNT(*) FROM `" + tb + "`").Row().Scan(&rows); err != nil {
			return nil, err
		}
		if rows > 0 {
			clone.WriteString("INSERT INTO `%[1]s`.`" + tb + "` SELECT * FROM `" + tm.name + "`.`" + tb + "`;\n")
		}
	}
	clone.WriteString("SET SESSION foreign_key_checks = 1")
	tm.clone = clone.String()
	return tm, nil
}

// newMySQL creates a database for the test with the template's tables and
// seeded rows (one round trip), drops it when the test ends, and returns its
// URL.
func newMySQL(t testing.TB, base string) string {
	t.Helper()
	tm, err := mysqlTemplate(base)
	if err != nil {
		t.Fatalf("%s: template database: %v", EnvMySQL, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "dltest_" + hex.EncodeToString(b)
	ctx := context.Background()
	create := "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n" + fmt.Sprintf(tm.clone, name)
	_, err = tm.admin.ExecContext(ctx, create)
	t.Cleanup(func() { _, _ = tm.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") })
	if err != nil {
		t.Fatalf("copy the template database into %s: %v", name, err)
	}
	u, err := serverURL(base, name)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	return u
}

// SweepTemplates drops the template databases whose process has ended
// (their named lock is free). admin is a connection pool to the server.
func SweepTemplates(ctx context.Context, admin *sql.DB) error {
	rows, err := admin.QueryContext(ctx, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", strings.ReplaceAll(TemplatePrefix, "_", `\_`)+"%")
	if err != nil {
		return fmt.Errorf("list template databases: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		var free sql.NullInt64
		if err := admin.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", n).Scan(&free); err != nil {
			return err
		}
		if free.Valid && free.Int64 == 1 {
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+n+"`"); err != nil {
				return fmt.Errorf("drop stale template %s: %w", n, err)
			}
		}
	}
	return nil
}
