// Package modelstest opens a fresh, migrated database for one test.
//
// Tests run on SQLite by default. When DEPUTYLINK_TEST_MYSQL is set to a
// mysql:// URL (CI sets it to the local MariaDB), every test gets its own
// freshly created database on that server instead, dropped when it ends.
// NewDB copies a template migrated once per process (template.go); URL
// gives an empty database, for the tests of the migrations themselves.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // the driver behind database/sql for CREATE DATABASE

	"deputylink/models"

	"gorm.io/gorm"
)

// EnvMySQL names the variable that switches tests to MySQL/MariaDB.
const EnvMySQL = "DEPUTYLINK_TEST_MYSQL"

// URL returns a database URL for a fresh, empty database that lives as long
// as the test, without opening it.
func URL(t testing.TB) string {
	t.Helper()
	base := lookupEnv(EnvMySQL)
	if base == "" {
		return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "dltest_" + hex.EncodeToString(b)
	serverDSN, err := models.MySQLDSN(strings.Replace(base, u.Path, "/", 1) + "mysql")
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	admin, err := sql.Open("mysql", serverDSN)
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// NewDB opens a fresh, migrated database and closes it when the test ends.
// It is a copy of a template migrated once per process (template.go).
func NewDB(t testing.TB) *gorm.DB {
	t.Helper()
	if base := lookupEnv(EnvMySQL); base != "" {
		return Open(t, newMySQL(t, base))
	}
	return Open(t, newSQLite(t))
}

// Open opens and migrates the database at rawURL for the test.
func Open(t testing.TB, rawURL string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, rawURL, models.OpenOptions{})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

// OnMySQL reports whether tests run against MySQL/MariaDB.
func OnMySQL() bool { return lookupEnv(EnvMySQL) != "" }
