package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// EnvPrefix starts the name of every variable deputylink reads.
const EnvPrefix = "DEPUTYLINK_"

// testPrefixes start variables that only the tests and benchmarks read
// (DEPUTYLINK_TEST_MYSQL, DEPUTYLINK_TEST_REDIS, DEPUTYLINK_BENCH_*); a
// developer may well have them exported, so they are not warned about.
var testPrefixes = []string{EnvPrefix + "TEST_", EnvPrefix + "BENCH_"}

// knownVars is every variable Load reads, found by running Load over an
// empty environment and recording the names it asks for: the list follows
// the loaders (including LoadNotify and LoadOpinionNotify, and the _FILE
// forms of secrets) without a second copy to keep in step.
var knownVars = sync.OnceValue(func() []string {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	_, _ = Load(func(k string) string {
		mu.Lock()
		seen[k] = true
		mu.Unlock()
		return ""
	})
	names := make([]string, 0, len(seen))
	for k := range seen {
		if strings.HasPrefix(k, EnvPrefix) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
})

// KnownVars returns the names of every variable the configuration reads,
// sorted.
func KnownVars() []string { return slices.Clone(knownVars()) }

// Warning is something odd about the configuration that does not stop the
// process: an unknown variable, a development setting in production.
type Warning struct {
	Var string
	Msg string
}

func (w Warning) String() string { return w.Var + ": " + w.Msg }

// Warnings checks the configuration against the names of the variables set
// in the environment (os.Environ's names): every DEPUTYLINK_* name the
// configuration does not read (a misspelling is otherwise silently
// ignored), and production settings that only suit a laptop.
func (c Config) Warnings(names []string) []Warning {
	var ws []Warning
	for _, name := range UnknownVars(names) {
		msg := "is not a deputylink setting and is ignored"
		if s := Suggest(name); s != "" {
			msg += "; did you mean " + s + "?"
		}
		ws = append(ws, Warning{Var: name, Msg: msg})
	}
	if c.DevLogin {
		ws = append(ws, Warning{Var: "DEPUTYLINK_DEV_LOGIN", Msg: "the development login is on: POST /api/v1/session/dev " +
			"signs anyone in as any voter without WeChat; never on a server voters use"})
	}
	if c.Env == "production" {
		if p := c.SQLitePath(); p != "" {
			ws = append(ws, Warning{Var: "DEPUTYLINK_DATABASE_URL", Msg: fmt.Sprintf(
				"production on SQLite (%s): one process on one machine only; set a mysql:// URL for production", p)})
		}
		if c.RedisURL == "" && c.RedisCluster == "" {
			ws = append(ws, Warning{Var: "DEPUTYLINK_REDIS_URL", Msg: "production on the in-process Redis: sessions and " +
				"queued scans live in this process's memory and are lost on restart; set a redis:// URL for production"})
		}
	}
	return ws
}

// UnknownVars returns, sorted, the names in names that look like ours (a
// DEPUTYLINK_ prefix in any case) but that the configuration does not read.
func UnknownVars(names []string) []string {
	known := knownVars()
	var out []string
	for _, n := range names {
		if len(n) < len(EnvPrefix) || !strings.EqualFold(n[:len(EnvPrefix)], EnvPrefix) {
			continue
		}
		if _, ok := slices.BinarySearch(known, n); ok {
			continue
		}
		if slices.ContainsFunc(testPrefixes, func(p string) bool { return strings.HasPrefix(n, p) }) {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Suggest returns the known variable nearest to name (a typo, a transposed
// pair, the wrong case, a missing underscore), or "" when none is close.
func Suggest(name string) string {
	up := strings.ToUpper(name)
	best, bestD := "", -1
	for _, k := range knownVars() {
		d := editDistance(up, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	// Allow about one edit in four characters of the part after the prefix.
	if bestD < 0 || bestD > 1+(len(best)-len(EnvPrefix))/4 {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b: the
// fewest insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// ConnectError is a database or Redis the configuration points at that
// could not be reached. It names the variable to fix and the address
// tried, never the password.
type ConnectError struct {
	Var     string // DEPUTYLINK_DATABASE_URL, DEPUTYLINK_REDIS_URL or DEPUTYLINK_REDIS_CLUSTER
	Service string // MySQL, SQLite, Redis or Redis Cluster
	Addr    string // host:port (a cluster's, comma-separated), or the SQLite file
	Err     error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot connect to %s at %s (check %s): %v", e.Service, e.Addr, e.Var, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// DatabaseError explains a failure to open or reach the configured database.
func (c Config) DatabaseError(err error) error {
	if err == nil {
		return nil
	}
	if p := c.SQLitePath(); p != "" {
		return &ConnectError{Var: "DEPUTYLINK_DATABASE_URL", Service: "SQLite", Addr: p, Err: err}
	}
	return connectError("DEPUTYLINK_DATABASE_URL", "MySQL", c.DatabaseURL, "3306", err)
}

// RedisError explains a failure to reach the configured Redis.
func (c Config) RedisError(err error) error {
	if err == nil {
		return nil
	}
	if c.RedisCluster != "" {
		ce := connectError("DEPUTYLINK_REDIS_CLUSTER", "Redis Cluster", c.RedisCluster, "6379", err).(*ConnectError)
		if u, perr := url.Parse(c.RedisCluster); perr == nil {
			if more := u.Query()["addr"]; len(more) > 0 {
				ce.Addr += "," + strings.Join(more, ",")
			}
		}
		return ce
	}
	return connectError("DEPUTYLINK_REDIS_URL", "Redis", c.RedisURL, "6379", err)
}

func connectError(varName, service, rawURL, defaultPort string, err error) error {
	addr := "(unparsable URL)"
	u, perr := url.Parse(rawURL)
	if perr == nil {
		addr = u.Host
		if u.Port() == "" && u.Hostname() != "" {
			addr = net.JoinHostPort(u.Hostname(), defaultPort)
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			err = scrub(err, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	return &ConnectError{Var: varName, Service: service, Addr: addr, Err: err}
}

// scrub replaces secrets in err's message; err is returned as is when its
// message contains none of them (keeping errors.Is working).
func scrub(err error, secrets ...string) error {
	msg := err.Error()
	out := msg
	for _, s := range secrets {
		if s != "" {
			out = strings.ReplaceAll(out, s, "[redacted]")
		}
	}
	if out == msg {
		return err
	}
	return errors.New(out)
}
