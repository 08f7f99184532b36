package config

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestKnownVarsFollowTheLoaders(t *testing.T) {
	known := KnownVars()
	for _, want := range []string{
		"DEPUTYLINK_DATABASE_URL", "DEPUTYLINK_DATABASE_URL_FILE", "DEPUTYLINK_REDIS_URL", "DEPUTYLINK_REDIS_URL_FILE",
		"DEPUTYLINK_OA_SECRET", "DEPUTYLINK_OA_SECRET_FILE", "DEPUTYLINK_OA_TOKEN_FILE", "DEPUTYLINK_TIMEZONE",
		"DEPUTYLINK_TPL_STAFF_ALERT", EnvTplBookingResult, EnvTplReceptionReminder, EnvTplStaffRoster,
		EnvTplOpinionStaff, EnvTplOpinionAccepted, EnvTplOpinionResult, EnvTplOpinionAskResult, EnvTplOpinionVoter, EnvPublicURL, EnvOpinionPage, EnvOpinionAskResultDays,
	} {
		if !slices.Contains(known, want) {
			t.Errorf("%s is not a known variable", want)
		}
	}
	// Only secrets and secret URLs take a _FILE form.
	if slices.Contains(known, "DEPUTYLINK_ADDR_FILE") {
		t.Error("DEPUTYLINK_ADDR_FILE should not be known")
	}
}

func TestWarningsUnknownVariables(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{
		"PATH", "HOME", "DEPUTYLINKS", // not ours
		"DEPUTYLINK_REDIS_URL", "DEPUTYLINK_OA_SECRET_FILE", // known
		"DEPUTYLINK_TEST_MYSQL", "DEPUTYLINK_BENCH_RATE", // test-only
		"DEPUTYLINK_REDIS_ULR",       // swapped letters
		"DEPUTYLINK_DATABASEURL",     // missing underscore
		"DEPUTYLINK_OA_SECRET_FLIE",  // _FILE form
		"deputylink_log_level",       // wrong case
		"DEPUTYLINK_SEND_RATE_LIMIT", // too far from SEND_RATE for a guess
		"DEPUTYLINK_COLOUR",          // nothing near
		"DEPUTYLINK_REDIS_ULR",       // listed twice
	}
	ws := c.Warnings(names)
	got := map[string]string{}
	for _, w := range ws {
		got[w.Var] = w.Msg
	}
	want := map[string]string{
		"DEPUTYLINK_REDIS_ULR":       "did you mean DEPUTYLINK_REDIS_URL?",
		"DEPUTYLINK_DATABASEURL":     "did you mean DEPUTYLINK_DATABASE_URL?",
		"DEPUTYLINK_OA_SECRET_FLIE":  "did you mean DEPUTYLINK_OA_SECRET_FILE?",
		"deputylink_log_level":       "did you mean DEPUTYLINK_LOG_LEVEL?",
		"DEPUTYLINK_SEND_RATE_LIMIT": "is ignored",
		"DEPUTYLINK_COLOUR":          "is ignored",
	}
	if len(ws) != len(want) {
		t.Errorf("%d warnings, want %d: %v", len(ws), len(want), ws)
	}
	for name, frag := range want {
		if !strings.Contains(got[name], frag) {
			t.Errorf("%s: warning %q, want it to contain %q", name, got[name], frag)
		}
	}
	for _, name := range []string{"DEPUTYLINK_SEND_RATE_LIMIT", "DEPUTYLINK_COLOUR"} {
		if strings.Contains(got[name], "did you mean") {
			t.Errorf("%s: a far-fetched suggestion: %q", name, got[name])
		}
	}
}

func TestWarningsProductionOnLaptopSettings(t *testing.T) {
	dev, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if ws := dev.Warnings(nil); len(ws) != 0 {
		t.Errorf("development defaults warned: %v", ws)
	}
	prod, err := Load(env(map[string]string{"DEPUTYLINK_ENV": "production"}))
	if err != nil {
		t.Fatal(err)
	}
	ws := prod.Warnings(nil)
	if len(ws) != 2 || ws[0].Var != "DEPUTYLINK_DATABASE_URL" || !strings.Contains(ws[0].Msg, "SQLite") ||
		!strings.Contains(ws[0].Msg, "data/deputylink.db") || ws[1].Var != "DEPUTYLINK_REDIS_URL" {
		t.Errorf("production on SQLite and in-process Redis: %v", ws)
	}
	prod, err = Load(env(map[string]string{
		"DEPUTYLINK_ENV":          "production",
		"DEPUTYLINK_DATABASE_URL": "mysql://dl:pw@db:3306/dl",
		"DEPUTYLINK_REDIS_URL":    "redis://cache:6379/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if ws := prod.Warnings(nil); len(ws) != 0 {
		t.Errorf("production on MySQL and Redis warned: %v", ws)
	}
}

func TestConnectErrorNamesVariableAndAddressNotPassword(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	c, err := Load(env(map[string]string{
		"DEPUTYLINK_DATABASE_URL": "mysql://dl:Sup3r%2Fs3cret@127.0.0.1:1/deputylink",
		"DEPUTYLINK_REDIS_URL":    "redis://:r3d1s-pw@cache.internal/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{c.DatabaseError(refused), []string{"MySQL", "127.0.0.1:1", "DEPUTYLINK_DATABASE_URL", "connection refused"}},
		{c.RedisError(refused), []string{"Redis", "cache.internal:6379", "DEPUTYLINK_REDIS_URL"}},
		// A driver that echoes the password has it taken out.
		{c.DatabaseError(errors.New("access denied for dl:Sup3r/s3cret")), []string{"[redacted]"}},
		{c.RedisError(errors.New("auth r3d1s-pw failed")), []string{"[redacted]"}},
	} {
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		if strings.Contains(msg, "s3cret") || strings.Contains(msg, "r3d1s-pw") || strings.Contains(msg, "Sup3r") {
			t.Errorf("%q shows the password", msg)
		}
		var ce *ConnectError
		if !errors.As(tc.err, &ce) {
			t.Errorf("%q is not a ConnectError", msg)
		}
	}
	if !errors.Is(c.DatabaseError(syscall.ECONNREFUSED), syscall.ECONNREFUSED) {
		t.Error("DatabaseError hides the cause from errors.Is")
	}
	sq, _ := Load(env(nil))
	if msg := sq.DatabaseError(errors.New("disk I/O error")).Error(); !strings.Contains(msg, "SQLite at data/deputylink.db") {
		t.Errorf("sqlite: %q", msg)
	}
	if c.DatabaseError(nil) != nil || c.RedisError(nil) != nil {
		t.Error("nil error wrapped")
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"ab", "ba", 1}, {"URL", "ULR", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if d := editDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}
