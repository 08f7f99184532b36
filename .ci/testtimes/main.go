// Command testtimes reads `go test -json` on stdin and prints what plain
// `go test` would (a line per package, the whole output of every failing
// test, build errors), then the slowest tests and the packages' totals, so
// that CI shows where the test time goes in every run. It exits 0; the
// caller takes the exit code from go test.
//
//	go test -race -json ./... | go run ./.ci/testtimes
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail
	Test       string
	Elapsed    float64
	Output     string
}

type key struct{ pkg, test string }

const slowest = 25

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	buf := map[key][]string{} // output of tests still running
	type timing struct {
		key
		secs float64
	}
	var tests, pkgs []timing
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if json.Unmarshal(line, &e) != nil {
				out.Write(line) // not JSON: pass it on as it is
			} else {
				k := key{e.Package, e.Test}
				switch e.Action {
				case "build-output":
					out.WriteString(e.Output)
				case "output":
					if e.Test == "" {
						if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
							out.WriteString(e.Output)
						}
					} else {
						buf[k] = append(buf[k], e.Output)
					}
				case "pass", "skip":
					if e.Test == "" {
						pkgs = append(pkgs, timing{k, e.Elapsed})
						// A package that passes has no test left running.
						dropPackage(buf, e.Package)
					} else {
						delete(buf, k)
						tests = append(tests, timing{k, e.Elapsed})
					}
				case "fail":
					if e.Test == "" {
						pkgs = append(pkgs, timing{k, e.Elapsed})
						// Tests that never ended (a panic, a timeout).
						var left []key
						for k2 := range buf {
							if k2.pkg == e.Package {
								left = append(left, k2)
							}
						}
						sort.Slice(left, func(i, j int) bool { return left[i].test < left[j].test })
						for _, k2 := range left {
							out.WriteString(strings.Join(buf[k2], ""))
						}
						dropPackage(buf, e.Package)
					} else {
						out.WriteString(strings.Join(buf[k], ""))
						delete(buf, k)
						tests = append(tests, timing{k, e.Elapsed})
					}
				}
			}
			out.Flush()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(out, "testtimes:", err)
			break
		}
	}

	top := tests[:0:0]
	for _, t := range tests {
		if !strings.Contains(t.test, "/") {
			top = append(top, t)
		}
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].secs > top[j].secs })
	if len(top) > slowest {
		top = top[:slowest]
	}
	fmt.Fprintf(out, "\nslowest tests (seconds, wall time including waits on other tests):\n")
	for _, t := range top {
		fmt.Fprintf(out, "  %8.2f  %s %s\n", t.secs, strings.TrimPrefix(t.pkg, "deputylink/"), t.test)
	}
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].secs > pkgs[j].secs })
	fmt.Fprintf(out, "packages (seconds):\n")
	for _, p := range pkgs {
		fmt.Fprintf(out, "  %8.2f  %s\n", p.secs, p.pkg)
	}
}

func dropPackage(buf map[key][]string, pkg string) {
	for k := range buf {
		if k.pkg == pkg {
			delete(buf, k)
		}
	}
}
