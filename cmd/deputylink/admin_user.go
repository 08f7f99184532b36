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
	"text/tabwriter"
	"time"

	"deputylink/models"

	"golang.org/x/term"
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
// password never appears on the command line (where ps would show it) nor
// in the output: it is typed at a terminal without echo (twice), or the
// first line of --password-file or of piped stdin. It prints what it
// created: id, username, name, role and stations.
func adminCreateUser(ctx context.Context, getenv func(string) string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin create-user", stderr)
	username := fs.String("username", "", "the console login: 3–32 of a-z 0-9 _ . -")
	role := fs.String("role", "", "clerk (联络员), head (站长), township (乡镇（街道）人大) or admin (管理员)")
	township := fs.String("township", "", "a township user's township (a station's district), e.g. 城关镇")
	name := fs.String("name", "", "the staff member's name")
	var stations stationList
	fs.Var(&stations, "station", "a station's `id`; repeat (or comma-separate) for several; none for an admin")
	pwFile := fs.String("password-file", "", "read the password from the first line of this file instead of stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*username) == "" || strings.TrimSpace(*name) == "" || *role == "" {
		fmt.Fprintln(stderr, "deputylink admin create-user: --username, --role and --name are required")
		return usageOf(fs)
	}
	if !models.StaffRole(*role).Valid() {
		fmt.Fprintf(stderr, "deputylink admin create-user: --role must be clerk, head, township or admin, not %q\n\n", *role)
		return usageOf(fs)
	}
	password, err := readPassword(*pwFile, stdin, stderr)
	if err != nil {
		return err
	}
	return withApp(ctx, getenv, func(a *app) error {
		s, err := models.CreateConsoleUserIn(ctx, a.db, *username, password, *name, models.StaffRole(*role), stations, *township, time.Now())
		if err != nil {
			return err
		}
		where := make([]string, len(s.Stations))
		for i, st := range s.Stations {
			where[i] = fmt.Sprintf("%d %s", st.ID, st.Name)
		}
		switch {
		case s.Role == models.RoleTownship:
			where = append([]string{"township " + s.Township + ":"}, where...)
		case len(where) == 0:
			where = []string{"all (an admin sees every station)"}
		}
		fmt.Fprintln(stdout, "Created console user:")
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  id:\t%d\n", s.ID)
		fmt.Fprintf(tw, "  username:\t%s\n", *s.Username)
		fmt.Fprintf(tw, "  name:\t%s\n", s.Name)
		fmt.Fprintf(tw, "  role:\t%s (%s)\n", s.Role, s.Role.Label())
		fmt.Fprintf(tw, "  stations:\t%s\n", strings.Join(where, ", "))
		return tw.Flush()
	})
}

// Terminal access, swapped by the tests.
var (
	isTerminal    = term.IsTerminal
	readNoEcho    = term.ReadPassword
	errPwMismatch = errors.New("the two passwords differ; nothing was created")
)

// readPassword reads the password: typed without echo (and confirmed) when
// stdin is a terminal, else the first line of the file, or of stdin when
// file is empty, without its line ending.
func readPassword(file string, stdin io.Reader, stderr io.Writer) (string, error) {
	src, from := stdin, "stdin"
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		src, from = f, file
	} else if f, ok := stdin.(*os.File); ok && isTerminal(int(f.Fd())) {
		return typePassword(int(f.Fd()), stderr)
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

// typePassword asks for the password twice at the terminal fd, without echo.
func typePassword(fd int, stderr io.Writer) (string, error) {
	ask := func(prompt string) (string, error) {
		fmt.Fprint(stderr, prompt)
		b, err := readNoEcho(fd)
		fmt.Fprintln(stderr) // the Enter key was not echoed either
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return string(b), nil
	}
	pw, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("no password typed")
	}
	again, err := ask("Password again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errPwMismatch
	}
	return pw, nil
}
