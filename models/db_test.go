package models_test

import (
	"context"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// Ensure the driver's DSN forces utf8mb4, UTC and client-side placeholders,
// and that the URL can still turn placeholders off.
func TestMySQLDSN(t *testing.T) {
	dsn, err := models.MySQLDSN("mysql://app:s3cr%40t@db.example/deputylink")
	if err != nil {
		t.Fatal(err)
	}
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsn, err)
	}
	if c.User != "app" || c.Passwd != "s3cr@t" || c.Addr != "db.example:3306" || c.DBName != "deputylink" {
		t.Errorf("connection fields %+v", c)
	}
	if !c.ParseTime || c.Loc != time.UTC || c.Collation != "utf8mb4_unicode_ci" || !c.InterpolateParams {
		t.Errorf("forced options: parseTime=%v loc=%v collation=%s interpolateParams=%v",
			c.ParseTime, c.Loc, c.Collation, c.InterpolateParams)
	}
	off, err := models.MySQLDSN("mysql://root@127.0.0.1:3306/x?interpolateParams=false")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := mysqldrv.ParseDSN(off); err != nil || c.InterpolateParams {
		t.Errorf("interpolateParams=false in the URL: %s parsed to %v (err %v)", off, c.InterpolateParams, err)
	}
	if _, err := models.MySQLDSN("postgres://x/y"); err == nil {
		t.Error("a postgres URL was accepted")
	}
}

// Ensure a statement with arguments reaches MySQL/MariaDB as one query, not
// a prepare, an execute and a close (three round trips), and that values
// survive the driver's quoting.
func TestMySQLStatementsAreNotPrepared(t *testing.T) {
	if !modelstest.OnMySQL() {
		t.Skip("needs " + modelstest.EnvMySQL)
	}
	ctx := context.Background()
	db := modelstest.NewDB(t)
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx) // session counters are per connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prepared := func() int64 {
		var name string
		var n int64
		if err := conn.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := prepared()
	tricky := "张秀兰's \\ \"quote\" ' OR 1=1 -- 😀\x00end"
	at := time.Date(2026, 11, 24, 10, 30, 15, 123456000, time.UTC)
	var got string
	var gotAt time.Time
	var gotN uint64
	if err := conn.QueryRowContext(ctx, "SELECT ?, CAST(? AS DATETIME(6)), ?", tricky, at, uint64(1<<63+5)).
		Scan(&got, &gotAt, &gotN); err != nil {
		t.Fatal(err)
	}
	if got != tricky || !gotAt.Equal(at) || gotN != 1<<63+5 {
		t.Errorf("round trip: %q %v %d", got, gotAt, gotN)
	}
	if after := prepared(); after != before {
		t.Errorf("Com_stmt_prepare went from %d to %d: statements are prepared on the server", before, after)
	}
}
