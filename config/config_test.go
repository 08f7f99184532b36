package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != "sqlite://data/deputylink.db" || c.RedisURL != "" {
		t.Errorf("defaults: addr=%q db=%q redis=%q", c.Addr, c.DatabaseURL, c.RedisURL)
	}
	if c.Timezone == nil || c.Timezone.String() != "Asia/Shanghai" {
		t.Errorf("timezone = %v, want Asia/Shanghai", c.Timezone)
	}
	if c.WeChatAPIBase != "https://api.weixin.qq.com" || c.LogFormat != "text" {
		t.Errorf("api base %q, log format %q", c.WeChatAPIBase, c.LogFormat)
	}
	if c.SQLitePath() != "data/deputylink.db" {
		t.Errorf("SQLitePath = %q", c.SQLitePath())
	}
	if c.Jobs.RetentionDays != 1095 {
		t.Errorf("retention = %d days, want 1095", c.Jobs.RetentionDays)
	}
	if c, err := Load(env(map[string]string{"DEPUTYLINK_RETENTION_DAYS": "730"})); err != nil || c.Jobs.RetentionDays != 730 {
		t.Errorf("DEPUTYLINK_RETENTION_DAYS=730: %d, %v", c.Jobs.RetentionDays, err)
	}
}

func TestLoadProductionValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DEPUTYLINK_ENV":             "production",
		"DEPUTYLINK_DATABASE_URL":    "mysql://dl:pw@db.internal:3306/deputylink",
		"DEPUTYLINK_REDIS_URL":       "redis://cache:6379/2",
		"DEPUTYLINK_OA_APPID":        "wx123",
		"DEPUTYLINK_OA_SECRET":       "s3cret",
		"DEPUTYLINK_OA_AES_KEY":      "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"DEPUTYLINK_BODY_LIMIT":      "2MB",
		"DEPUTYLINK_SEND_RATE":       "20.5",
		"DEPUTYLINK_TPL_STAFF_ALERT": "TPL1|title=thing1,count=number2",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.LogFormat != "json" || c.BodyLimit != 2<<20 || c.Jobs.SendRate != 20.5 {
		t.Errorf("format %q limit %d rate %v", c.LogFormat, c.BodyLimit, c.Jobs.SendRate)
	}
	if c.OA.Secret.Value() != "s3cret" || c.SQLitePath() != "" {
		t.Errorf("secret or sqlite path wrong")
	}
	if c.Templates.StaffAlert.ID != "TPL1" || c.Templates.StaffAlert.Fields["count"] != "number2" {
		t.Errorf("template = %+v", c.Templates.StaffAlert)
	}
}

// Ensure every invalid value is reported with the variable's name.
func TestLoadInvalidNamesVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"DEPUTYLINK_ENV":                   {"DEPUTYLINK_ENV": "staging"},
		"DEPUTYLINK_ADDR":                  {"DEPUTYLINK_ADDR": "8080"},
		"DEPUTYLINK_LOG_LEVEL":             {"DEPUTYLINK_LOG_LEVEL": "loud"},
		"DEPUTYLINK_LOG_FORMAT":            {"DEPUTYLINK_LOG_FORMAT": "xml"},
		"DEPUTYLINK_DATABASE_URL":          {"DEPUTYLINK_DATABASE_URL": "postgres://x/y"},
		"DEPUTYLINK_REDIS_URL":             {"DEPUTYLINK_REDIS_URL": "memcache://x"},
		"DEPUTYLINK_WECHAT_API_BASE":       {"DEPUTYLINK_WECHAT_API_BASE": "ftp://x"},
		"DEPUTYLINK_WECHAT_AUTHORIZE_BASE": {"DEPUTYLINK_WECHAT_AUTHORIZE_BASE": "open.weixin.qq.com"},
		"DEPUTYLINK_OA_VERIFY_FILE":        {"DEPUTYLINK_OA_VERIFY_FILE": "../etc/passwd"},
		"DEPUTYLINK_OA_VERIFY_CONTENT":     {"DEPUTYLINK_OA_VERIFY_CONTENT": "abc"},
		"DEPUTYLINK_OA_AES_KEY":            {"DEPUTYLINK_OA_AES_KEY": "short"},
		"DEPUTYLINK_MP_QR_VERIFY_FILE":     {"DEPUTYLINK_MP_QR_VERIFY_FILE": "../x.txt", "DEPUTYLINK_MP_QR_VERIFY_CONTENT": "abc"},
		"DEPUTYLINK_MP_QR_VERIFY_CONTENT":  {"DEPUTYLINK_MP_QR_VERIFY_FILE": "Ab12Cd34.txt"},
		"DEPUTYLINK_MP_NAME":               {"DEPUTYLINK_MP_NAME": strings.Repeat("代表", 16)},
		"DEPUTYLINK_OA_SECRET":             {"DEPUTYLINK_OA_APPID": "wx1"},
		"DEPUTYLINK_MP_SECRET":             {"DEPUTYLINK_MP_APPID": "wx2"},
		"DEPUTYLINK_TIMEZONE":              {"DEPUTYLINK_TIMEZONE": "Mars/Olympus"},
		"DEPUTYLINK_BODY_LIMIT":            {"DEPUTYLINK_BODY_LIMIT": "lots"},
		"DEPUTYLINK_SHUTDOWN_TIMEOUT":      {"DEPUTYLINK_SHUTDOWN_TIMEOUT": "10"},
		"DEPUTYLINK_SEND_RATE":             {"DEPUTYLINK_SEND_RATE": "-1"},
		"DEPUTYLINK_SEND_MAX_ATTEMPTS":     {"DEPUTYLINK_SEND_MAX_ATTEMPTS": "x"},
		"DEPUTYLINK_SEND_BATCH":            {"DEPUTYLINK_SEND_BATCH": "0"},
		"DEPUTYLINK_SEND_LEASE":            {"DEPUTYLINK_SEND_LEASE": "1ms"},
		"DEPUTYLINK_JOBS_TICK":             {"DEPUTYLINK_JOBS_TICK": "1ns"},
		"DEPUTYLINK_DIGEST_HOUR":           {"DEPUTYLINK_DIGEST_HOUR": "25"},
		"DEPUTYLINK_RETENTION_DAYS":        {"DEPUTYLINK_RETENTION_DAYS": "7"},
		"DEPUTYLINK_TPL_STAFF_ALERT":       {"DEPUTYLINK_TPL_STAFF_ALERT": "T|novalue"},
		"DEPUTYLINK_OA_SECRET_FILE":        {"DEPUTYLINK_OA_APPID": "wx1", "DEPUTYLINK_OA_SECRET_FILE": "/nonexistent/secret"},
	}
	for want, vars := range cases {
		t.Run(want, func(t *testing.T) {
			_, err := Load(env(vars))
			if err == nil {
				t.Fatal("Load accepted a bad value")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			if !strings.Contains(err.Error(), want+":") {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}

func TestWebAuthorizationSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.WeChatAuthorizeBase != "https://open.weixin.qq.com" || c.OA.VerifyFile != "" || c.OA.VerifyContent != "" {
		t.Fatalf("defaults: %q %q %q %v", c.WeChatAuthorizeBase, c.OA.VerifyFile, c.OA.VerifyContent, err)
	}
	c, err = Load(env(map[string]string{
		"DEPUTYLINK_WECHAT_AUTHORIZE_BASE": "http://127.0.0.1:18091",
		"DEPUTYLINK_OA_VERIFY_FILE":        "MP_verify_Ab12Cd34.txt",
	}))
	if err != nil || c.WeChatAuthorizeBase != "http://127.0.0.1:18091" || c.OA.VerifyContent != "Ab12Cd34" {
		t.Fatalf("set: %q %q %v", c.WeChatAuthorizeBase, c.OA.VerifyContent, err)
	}
	c, err = Load(env(map[string]string{
		"DEPUTYLINK_OA_VERIFY_FILE": "MP_verify_Ab12Cd34.txt", "DEPUTYLINK_OA_VERIFY_CONTENT": "other",
	}))
	if err != nil || c.OA.VerifyContent != "other" {
		t.Fatalf("content given: %q %v", c.OA.VerifyContent, err)
	}
	for _, bad := range []string{"MP_verify_.txt", "MP_verify_a-b.txt", "mp_verify_ab.txt", "MP_verify_ab.txt.exe", "MP_verify_ab/c.txt"} {
		if _, err := Load(env(map[string]string{"DEPUTYLINK_OA_VERIFY_FILE": bad})); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := Load(env(map[string]string{"DEPUTYLINK_OA_VERIFY_FILE": "MP_verify_ab.txt", "DEPUTYLINK_OA_VERIFY_CONTENT": "a\nb"})); err == nil {
		t.Error("accepted a two-line content")
	}
	if w := (Config{}).Warnings([]string{"DEPUTYLINK_WECHAT_AUTHORIZE_BASE", "DEPUTYLINK_OA_VERIFY_FILE", "DEPUTYLINK_OA_VERIFY_CONTENT"}); len(w) != 0 {
		t.Errorf("known variables warned about: %v", w)
	}
}

// Ensure the mini-program's QR-rule verification file is served only under
// a name of WeChat's shape and with the content it holds, the two going
// together, and that the mini-program's name is one short line.
func TestMiniProgramQRSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.MP.QRVerifyFile != "" || c.MP.QRVerifyContent != "" || c.MP.Name != "" {
		t.Fatalf("defaults: %+v %v", c.MP, err)
	}
	c, err = Load(env(map[string]string{
		"DEPUTYLINK_MP_QR_VERIFY_FILE": "lmZXvWnkX3.txt", "DEPUTYLINK_MP_QR_VERIFY_CONTENT": " 0f3c2a9be1d74e6a8b5c7d9e1f2a3b4c ",
		"DEPUTYLINK_MP_NAME": "清河县人大代表联络站",
	}))
	if err != nil || c.MP.QRVerifyFile != "lmZXvWnkX3.txt" || c.MP.QRVerifyContent != "0f3c2a9be1d74e6a8b5c7d9e1f2a3b4c" || c.MP.Name != "清河县人大代表联络站" {
		t.Fatalf("set: %+v %v", c.MP, err)
	}
	for _, bad := range []string{".txt", "a-b.txt", "ab.TXT", "ab.txt.exe", "ab/c.txt", "ab", "MP_verify_ab.txt", strings.Repeat("a", 65) + ".txt"} {
		if _, err := Load(env(map[string]string{"DEPUTYLINK_MP_QR_VERIFY_FILE": bad, "DEPUTYLINK_MP_QR_VERIFY_CONTENT": "abc"})); err == nil ||
			!strings.Contains(err.Error(), "DEPUTYLINK_MP_QR_VERIFY_FILE:") {
			t.Errorf("accepted %q: %v", bad, err)
		}
	}
	for name, vars := range map[string]map[string]string{
		"content without file": {"DEPUTYLINK_MP_QR_VERIFY_CONTENT": "abc"},
		"file without content": {"DEPUTYLINK_MP_QR_VERIFY_FILE": "ab.txt"},
		"two-line content":     {"DEPUTYLINK_MP_QR_VERIFY_FILE": "ab.txt", "DEPUTYLINK_MP_QR_VERIFY_CONTENT": "a\nb"},
		"long content":         {"DEPUTYLINK_MP_QR_VERIFY_FILE": "ab.txt", "DEPUTYLINK_MP_QR_VERIFY_CONTENT": strings.Repeat("a", 257)},
	} {
		if _, err := Load(env(vars)); err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_MP_QR_VERIFY_CONTENT:") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{strings.Repeat("联", MPNameMaxRunes+1), "人大\t联络站", "\xff\xfe"} {
		if _, err := Load(env(map[string]string{"DEPUTYLINK_MP_NAME": bad})); err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_MP_NAME:") {
			t.Errorf("accepted name %q: %v", bad, err)
		}
	}
	if _, err := Load(env(map[string]string{"DEPUTYLINK_MP_NAME": strings.Repeat("联", MPNameMaxRunes)})); err != nil {
		t.Errorf("a name of %d characters: %v", MPNameMaxRunes, err)
	}
	if w := (Config{}).Warnings([]string{"DEPUTYLINK_MP_QR_VERIFY_FILE", "DEPUTYLINK_MP_QR_VERIFY_CONTENT", "DEPUTYLINK_MP_NAME"}); len(w) != 0 {
		t.Errorf("known variables warned about: %v", w)
	}
}

func TestSecretFromFileAndRedaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("topsecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"DEPUTYLINK_MP_APPID": "wxmp", "DEPUTYLINK_MP_SECRET_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.MP.Secret.Value() != "topsecret" {
		t.Errorf("secret from file = %q", c.MP.Secret.Value())
	}
	for _, s := range []string{c.MP.Secret.String(), strings.TrimSpace(sprintf(c.MP.Secret)), sprintf(c)} {
		if strings.Contains(s, "topsecret") {
			t.Errorf("secret leaked in %q", s)
		}
	}
	if c.ShutdownTimeout != 10*time.Second {
		t.Errorf("shutdown timeout %v", c.ShutdownTimeout)
	}
}

func TestDataKey(t *testing.T) {
	good := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes, base64
	c, err := Load(env(map[string]string{"DEPUTYLINK_DATA_KEY": good}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if k, err := ParseDataKey(c.DataKey.Value()); err != nil || len(k) != 32 {
		t.Errorf("ParseDataKey: %v", err)
	}
	_, err = Load(env(map[string]string{"DEPUTYLINK_DATA_KEY": "c2hvcnQ="}))
	if err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_DATA_KEY:") {
		t.Errorf("short key: %v", err)
	}
}

// Ensure the metrics settings load (the token also from a file), default
// to neither, and refuse bad values naming the variable.
func TestLoadMetrics(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.Metrics.Addr != "" || c.Metrics.Token != "" {
		t.Fatalf("defaults: %+v %v", c.Metrics, err)
	}
	c, err = Load(env(map[string]string{"DEPUTYLINK_METRICS_ADDR": "127.0.0.1:9090", "DEPUTYLINK_METRICS_TOKEN": "0123456789abcdef0123"}))
	if err != nil || c.Metrics.Addr != "127.0.0.1:9090" || c.Metrics.Token.Value() != "0123456789abcdef0123" {
		t.Fatalf("set: %+v %v", c.Metrics, err)
	}
	if s := c.Metrics.Token.String(); s != "[redacted]" {
		t.Errorf("token prints as %q", s)
	}
	path := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(path, []byte("from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(env(map[string]string{"DEPUTYLINK_METRICS_TOKEN_FILE": path}))
	if err != nil || c.Metrics.Token.Value() != "from-a-file-0123456789" {
		t.Fatalf("token file: %q %v", c.Metrics.Token.Value(), err)
	}
	for _, bad := range []map[string]string{
		{"DEPUTYLINK_METRICS_ADDR": "9090"},
		{"DEPUTYLINK_METRICS_ADDR": ":99999"},
		{"DEPUTYLINK_METRICS_ADDR": ":8080"},
		{"DEPUTYLINK_METRICS_TOKEN": "short"},
		{"DEPUTYLINK_METRICS_TOKEN": "has a space in it 0123"},
	} {
		_, err := Load(env(bad))
		var name string
		for k := range bad {
			name = k
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestRedisClusterSetting(t *testing.T) {
	const u = "redis://:pw@10.0.0.1:6379?addr=10.0.0.2:6379&addr=10.0.0.3:6379"
	c, err := Load(env(map[string]string{"DEPUTYLINK_REDIS_CLUSTER": u}))
	if err != nil || c.RedisCluster != u || c.RedisURL != "" {
		t.Fatalf("cluster URL: %q %q %v", c.RedisCluster, c.RedisURL, err)
	}
	if ws := c.Warnings(nil); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	if c, err := Load(env(map[string]string{"DEPUTYLINK_REDIS_CLUSTER": "rediss://h1:6380"})); err != nil || c.RedisCluster == "" {
		t.Errorf("rediss with one seed: %v", err)
	}
	for name, vars := range map[string]map[string]string{
		"both":      {"DEPUTYLINK_REDIS_CLUSTER": u, "DEPUTYLINK_REDIS_URL": "redis://cache:6379/0"},
		"db index":  {"DEPUTYLINK_REDIS_CLUSTER": "redis://h1:6379/2?addr=h2:6379"},
		"scheme":    {"DEPUTYLINK_REDIS_CLUSTER": "http://h1:6379"},
		"no port":   {"DEPUTYLINK_REDIS_CLUSTER": "redis://h1:6379?addr=h2"},
		"bare list": {"DEPUTYLINK_REDIS_CLUSTER": "h1:6379,h2:6379"},
	} {
		_, err := Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_REDIS_CLUSTER:") {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, _ = Load(env(map[string]string{"DEPUTYLINK_REDIS_CLUSTER": u}))
	msg := c.RedisError(errors.New("auth pw failed")).Error()
	for _, w := range []string{"Redis Cluster", "10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379", "DEPUTYLINK_REDIS_CLUSTER", "[redacted]"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
}
