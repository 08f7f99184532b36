package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"

	"golang.org/x/crypto/bcrypt"
)

// Ensure "admin create-user" reads the password from stdin or a file, never
// a flag, prints only the new id on stdout, and that the user can log in.
func TestAdminCreateUser(t *testing.T) {
	old := models.PasswordCost
	models.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { models.PasswordCost = old })
	e := newCLIEnv(t)
	ctx := context.Background()
	d := e.demoDeputy()
	getenv := func(k string) string { return e.env[k] }
	create := func(stdin string, args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := adminCreateUser(ctx, getenv, args, strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), err
	}

	out, errs, err := create("clerk password 1\n", "--username", "Clerk.One", "--role", "clerk", "--station", idArg(d.StationID), "--name", "章佳怡")
	if err != nil {
		t.Fatalf("create: %v %s", err, errs)
	}
	id := createdID(t, out)
	for _, w := range []string{"username:  clerk.one", "name:      章佳怡", "role:      clerk (联络员)", "stations:  " + idArg(d.StationID) + " "} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out+errs, "clerk password 1") {
		t.Errorf("the password was printed: %q %q", out, errs)
	}
	s, err := models.AuthenticateStaff(ctx, e.db, "clerk.one", "clerk password 1", time.Now())
	if err != nil || s.ID != id || len(s.Stations) != 1 || s.Stations[0].ID != d.StationID {
		t.Fatalf("login as the new user: %+v %v", s, err)
	}

	// An admin from a password file (CRLF line ending, a second line ignored),
	// through the whole command line.
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("admin password 1\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.run("admin", "create-user", "--username", "boss", "--role", "admin", "--name", "项海燕", "--password-file", pw)
	if code != 0 || !strings.Contains(out, "stations:  all") {
		t.Fatalf("admin from file: exit %d %s %s", code, out, errs)
	}
	if _, err := models.AuthenticateStaff(ctx, e.db, "boss", "admin password 1", time.Now()); err != nil {
		t.Fatalf("admin login: %v (stdout %q)", err, out)
	}

	// Two stations, repeated and comma-separated.
	var other models.Station
	e.db.Where("id <> ?", d.StationID).Order("id").First(&other)
	out, errs, err = create("head password 1", "--username", "head2", "--role", "head", "--name", "两站站长",
		"--station", idArg(d.StationID), "--station", idArg(other.ID)+","+idArg(d.StationID))
	if err != nil || !strings.Contains(out, other.Name) || !strings.Contains(out, ", ") {
		t.Fatalf("two stations: %v %s %s", err, out, errs)
	}

	// A township user (乡镇人大主席团): its township's stations, derived.
	var st models.Station
	e.db.First(&st, d.StationID)
	out, errs, err = create("township password 1", "--username", "town1", "--role", "township", "--township", st.District, "--name", "主席团")
	if err != nil || !strings.Contains(out, "township (乡镇（街道）人大)") || !strings.Contains(out, "township "+st.District+":") || !strings.Contains(out, st.Name) {
		t.Fatalf("township user: %v %s %s", err, out, errs)
	}

	for _, c := range []struct {
		name, stdin string
		args        []string
		usage       bool
		want        string
	}{
		{"no username", "password 12345", []string{"--role", "clerk", "--name", "甲", "--station", "1"}, true, "required"},
		{"bad role", "password 12345", []string{"--username", "x1x", "--role", "boss", "--name", "甲"}, true, "--role"},
		{"bad station", "password 12345", []string{"--username", "x1x", "--role", "clerk", "--name", "甲", "--station", "abc"}, true, "not a station id"},
		{"a password flag", "password 12345", []string{"--username", "x1x", "--role", "clerk", "--name", "甲", "--password", "p"}, true, "not defined"},
		{"empty stdin", "", []string{"--username", "x1x", "--role", "clerk", "--name", "甲", "--station", "1"}, false, "no password"},
		{"short password", "short\n", []string{"--username", "x1x", "--role", "clerk", "--name", "甲", "--station", idArg(d.StationID)}, false, "invalid password"},
		{"taken username", "another password", []string{"--username", "CLERK.ONE", "--role", "clerk", "--name", "甲", "--station", idArg(d.StationID)}, false, "username_taken"},
		{"clerk without station", "another password", []string{"--username", "x1x", "--role", "clerk", "--name", "甲"}, false, "invalid station"},
		{"unknown station", "another password", []string{"--username", "x1x", "--role", "clerk", "--name", "甲", "--station", "99999"}, false, "station_not_found"},
		{"township without a township", "another password", []string{"--username", "x1x", "--role", "township", "--name", "甲"}, false, "invalid township"},
		{"township of nowhere", "another password", []string{"--username", "x1x", "--role", "township", "--township", "无此镇", "--name", "甲"}, false, "invalid township"},
		{"missing password file", "", []string{"--username", "x1x", "--role", "admin", "--name", "甲", "--password-file", filepath.Join(t.TempDir(), "nope")}, false, "password file"},
	} {
		out, errs, err := create(c.stdin, c.args...)
		msg := errs
		if err != nil {
			msg += err.Error()
		}
		if err == nil || errors.Is(err, errUsage) != c.usage || !strings.Contains(msg, c.want) || out != "" {
			t.Errorf("%s: err %v stdout %q stderr %q; want usage=%v and %q", c.name, err, out, errs, c.usage, c.want)
		}
	}
	var n int64
	e.db.Model(&models.Staff{}).Where("username IS NOT NULL").Count(&n)
	if n != 4 {
		t.Errorf("%d console users, want 4", n)
	}
}

// createdID reads the id line of create-user's output.
func createdID(t *testing.T, out string) uint64 {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "id:"); ok {
			id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return id
			}
		}
	}
	t.Fatalf("no id in %q", out)
	return 0
}

// Ensure a password typed at a terminal is read without echo, asked twice,
// and never printed.
func TestAdminCreateUserFromTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	typed := []string{"typed password 1", "typed password 1"}
	oldTerm, oldRead := isTerminal, readNoEcho
	isTerminal = func(fd int) bool { return fd == int(r.Fd()) }
	readNoEcho = func(int) ([]byte, error) {
		if len(typed) == 0 {
			t.Fatal("asked too often")
		}
		p := typed[0]
		typed = typed[1:]
		return []byte(p), nil
	}
	t.Cleanup(func() { isTerminal, readNoEcho = oldTerm, oldRead })

	var errb bytes.Buffer
	pw, err := readPassword("", r, &errb)
	if err != nil || pw != "typed password 1" {
		t.Fatalf("typed: %q %v", pw, err)
	}
	if errb.String() != "Password: \nPassword again: \n" {
		t.Errorf("prompts %q", errb.String())
	}
	typed = []string{"typed password 1", "typo password 1"}
	if _, err := readPassword("", r, &errb); err != errPwMismatch {
		t.Errorf("mismatch: %v", err)
	}
	typed = []string{""}
	if _, err := readPassword("", r, &errb); err == nil {
		t.Error("empty password accepted")
	}
	// Piped (not a terminal): the first line, no prompt.
	isTerminal = func(int) bool { return false }
	errb.Reset()
	if _, err := w.WriteString("piped password\n"); err != nil {
		t.Fatal(err)
	}
	if pw, err := readPassword("", r, &errb); err != nil || pw != "piped password" || errb.Len() != 0 {
		t.Errorf("piped: %q %v prompt %q", pw, err, errb.String())
	}
}
