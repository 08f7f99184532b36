package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"deputylink/models"
)

// adminStdin is where "admin create-user" reads the password; tests swap it.
var adminStdin io.Reader = os.Stdin

// stationList is a repeatable --station flag that also takes "3,5".
type stationList []uint64

func (s *stationList) String() string {
	parts := make([]string, len(*s))
	for i, id := range *s {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(parts, ",")
}

func (s *stationList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil || id == 0 {
			return fmt.Errorf("%q is not a station id", p)
		}
		*s = append(*s, id)
	}
	return nil
}

// adminCreateUser creates a staff member with a console login. The
// password never appears on the command line (where ps would show it): it
// is the first line of --password-file, or of stdin. The new staff id is
// the only thing printed on stdout, for scripts.
func adminCreateUser(ctx context.Context, getenv func(string) string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin create-user", stderr)
	username := fs.String("username", "", "the console login: 3–32 of a-z 0-9 _ . -")
	role := fs.String("role", "", "clerk (联络员), head (站长) or admin (管理员)")
	name := fs.String("name", "", "the staff member's name")
	var stations stationList
	fs.Var(&stations, "station", "a station's id; repeat (or comma-separate) for several; none for an admin")
	pwFile := fs.String("password-file", "", "read the password from the first line of this file instead of stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*username) == "" || strings.TrimSpace(*name) == "" || *role == "" {
		fmt.Fprintln(stderr, "deputylink admin create-user: --username, --role and --name are required")
		return usageOf(fs)
	}
	if !models.StaffRole(*role).Valid() {
		fmt.Fprintf(stderr, "deputylink admin create-user: --role must be clerk, head or admin, not %q\n\n", *role)
		return usageOf(fs)
	}
	password, err := readPassword(*pwFile, stdin, stderr)
	if err != nil {
		return err
	}
	return withApp(ctx, getenv, func(a *app) error {
		s, err := models.CreateConsoleUser(ctx, a.db, *username, password, *name, models.StaffRole(*role), stations, time.Now())
		if err != nil {
			return err
		}
		names := make([]string, len(s.Stations))
		for i, st := range s.Stations {
			names[i] = st.Name
		}
		where := strings.Join(names, "、")
		if where == "" {
			where = "全部联络站"
		}
		fmt.Fprintf(stderr, "Created console user %s: %s（%s，%s）\n", *s.Username, s.Name, s.Role.Label(), where)
		fmt.Fprintln(stdout, s.ID)
		return nil
	})
}

// readPassword reads the first line of the file, or of stdin when file is
// empty, without its line ending.
func readPassword(file string, stdin io.Reader, stderr io.Writer) (string, error) {
	src, from := stdin, "stdin"
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		src, from = f, file
	} else if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "Password (shown as you type; prefer piping it in or --password-file): ")
		}
	}
	line, err := bufio.NewReaderSize(io.LimitReader(src, 4096), 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from %s: %w", from, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on the first line of %s", from)
	}
	return line, nil
}
