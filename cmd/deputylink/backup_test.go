package main

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// mysqlArgs are the client flags reaching the database of a mysql:// URL,
// and the environment carrying its password (MYSQL_PWD), as
// docs/OPERATIONS.md#backup-and-restore runs them.
func mysqlArgs(t *testing.T, rawURL string) (args []string, env []string, db string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	args = []string{"--protocol=tcp", "--host=" + u.Hostname(), "--port=" + port, "--user=" + u.User.Username()}
	env = os.Environ()
	if p, ok := u.User.Password(); ok {
		env = append(env, "MYSQL_PWD="+p)
	}
	return args, env, strings.TrimPrefix(u.Path, "/")
}

// Ensure the backup and restore of docs/OPERATIONS.md work: a county's
// database dumped with mysqldump (one consistent InnoDB snapshot) and
// loaded into an empty database with mysql opens, needs no migration,
// has every row, and its sealed phone numbers open with the backed-up
// data key file, and with no other key. Needs the CI's MariaDB
// (DEPUTYLINK_TEST_MYSQL) and mysqldump and mysql on PATH.
func TestBackupRestoreWithDataKey(t *testing.T) {
	if os.Getenv(modelstest.EnvMySQL) == "" {
		t.Skip("backup and restore need MariaDB: set " + modelstest.EnvMySQL + " (CI does)")
	}
	dump, err1 := exec.LookPath("mysqldump")
	client, err2 := exec.LookPath("mysql")
	if err1 != nil || err2 != nil {
		t.Skip("mysqldump and mysql must be on PATH (apt-get install mariadb-client)")
	}
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	// A county with a voter's sealed phone behind an item, sealed with
	// the key in the data directory.
	dataDir := t.TempDir()
	keyPath := filepath.Join(dataDir, "data.key")
	key, err := createKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	srcURL := modelstest.URL(t)
	src := modelstest.Open(t, srcURL)
	if _, err := models.LoadDemo(ctx, src); err != nil {
		t.Fatal(err)
	}
	var st models.Station
	if err := src.Order("id").First(&st).Error; err != nil {
		t.Fatal(err)
	}
	oa := "oBackupVoter"
	v := models.Voter{OAOpenID: &oa, Following: true}
	if err := src.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.SetVoterPhone(ctx, src, sealer, v.ID, "13912345678", now); err != nil {
		t.Fatal(err)
	}
	cal, err := models.LoadCalendar(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	op, _, err := models.FileOpinion(ctx, src, models.FileInput{VoterID: v.ID, Category: models.DemoCategoryShenghuo, StationID: st.ID,
		Content: "小区门口的路灯坏了一个多月，晚上很不安全。"}, models.RouteWorld{}, now, time.UTC, cal)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := models.CreateConsoleUser(ctx, src, "backup_admin", "correct horse 1", "管理员", models.RoleAdmin, nil, now)
	if err != nil {
		t.Fatal(err)
	}

	// Back up: the dump, and the key file copied apart.
	args, env, srcName := mysqlArgs(t, srcURL)
	out := filepath.Join(t.TempDir(), "deputylink.sql")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, dump, append(args, "--single-transaction", "--routines", "--triggers",
		"--default-character-set=utf8mb4", "--hex-blob", srcName)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mysqldump: %v: %s", err, stderr.String())
	}
	f.Close()
	savedKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}

	// Restore into an empty database, then the key file into a new data directory.
	dstURL := modelstest.URL(t)
	args, env, dstName := mysqlArgs(t, dstURL)
	in, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	stderr.Reset()
	cmd = exec.CommandContext(ctx, client, append(args, "--default-character-set=utf8mb4", dstName)...)
	cmd.Env, cmd.Stdin, cmd.Stderr = env, in, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mysql restore: %v: %s", err, stderr.String())
	}
	newDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(newDir, "data.key"), savedKey, 0o600); err != nil {
		t.Fatal(err)
	}

	dst, err := models.Open(ctx, dstURL, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(dst)
	if n, err := models.Migrate(ctx, dst); err != nil || n != 0 {
		t.Fatalf("migrate the restored database: %d steps, %v; want 0 (already up to date)", n, err)
	}
	for _, m := range []any{&models.Station{}, &models.Deputy{}, &models.Code{}, &models.Opinion{}, &models.OpinionTimelineEntry{},
		&models.AuditLog{}, &models.Voter{}, &models.Staff{}, &models.Holiday{}, &models.SchemaMigration{}} {
		var a, b int64
		if err := src.Model(m).Count(&a).Error; err != nil {
			t.Fatal(err)
		}
		if err := dst.Model(m).Count(&b).Error; err != nil {
			t.Fatal(err)
		}
		if a != b || a == 0 {
			t.Errorf("%T: %d rows restored of %d", m, b, a)
		}
	}
	var name string
	if err := dst.Model(&models.Station{}).Where("id = ?", st.ID).Pluck("name", &name).Error; err != nil || name != st.Name {
		t.Errorf("station name after restore: %q, want %q (utf8mb4 survives)", name, st.Name)
	}

	// The phone opens with the restored key file…
	key2, err := readKeyFile(filepath.Join(newDir, "data.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer2, err := models.NewSealer(key2)
	if err != nil {
		t.Fatal(err)
	}
	phone, err := models.RevealOpinionPhone(ctx, dst, sealer2, admin.ID, op.ID, now)
	if err != nil || phone != "13912345678" {
		t.Fatalf("reveal after restore: %q, %v", phone, err)
	}
	// …and with no other key: without the backed-up key it is lost.
	other, err := createKeyFile(filepath.Join(t.TempDir(), "data.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer3, err := models.NewSealer(other)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := models.RevealOpinionPhone(ctx, dst, sealer3, admin.ID, op.ID, now); err == nil {
		t.Fatalf("a new key opened the restored phone: %q", p)
	}
}
