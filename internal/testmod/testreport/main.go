// Command testreport reads the output of `go test -json` on its standard
// input and writes what go test writes without -json: one line per
// package, and the whole output of a test or package that failed. Then it
// lists the slowest tests, so that a suite growing slow shows where.
//
//	go test -json ./... | go run ./internal/testmod/testreport [-n 10]
//
// It exits 1 when a package or test failed, a package did not build, a
// package started and never finished, or nothing was reported at all: the
// shell that make runs has no pipefail, so the exit status of the pipe is
// this program's.
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	n := flag.Int("n", 10, "how many of the slowest tests to list")
	flag.Parse()
	if !report(os.Stdin, os.Stdout, *n) {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (see go doc test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string // build-output, build-fail
}

// timing is how long a top-level test took.
type timing struct {
	pkg, test string
	elapsed   float64
}

// pkgState holds a package's output until the package's result says
// whether to print it.
type pkgState struct {
	lines []line          // in the order they came
	done  map[string]bool // tests that passed or were skipped
}

type line struct{ test, text string }

// report copies r to w as described in the package comment and reports
// whether everything passed.
func report(r io.Reader, w io.Writer, slowest int) bool {
	ok, reported := true, false
	pkgs := map[string]*pkgState{}
	var order []string // packages in the order they started
	var times []timing
	state := func(pkg string) *pkgState {
		p := pkgs[pkg]
		if p == nil {
			p = &pkgState{done: map[string]bool{}}
			pkgs[pkg] = p
			order = append(order, pkg)
		}
		return p
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not from test2json: pass it on
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
			continue
		case "build-fail":
			ok = false
			continue
		}
		p := state(e.Package)
		switch {
		case e.Action == "output":
			p.lines = append(p.lines, line{e.Test, e.Output})
		case e.Test != "" && (e.Action == "pass" || e.Action == "skip" || e.Action == "fail"):
			p.done[e.Test] = e.Action != "fail"
			if !strings.Contains(e.Test, "/") {
				times = append(times, timing{e.Package, e.Test, e.Elapsed})
			}
		case e.Test == "" && (e.Action == "pass" || e.Action == "skip"):
			reported = true
			for _, l := range p.lines {
				if l.test == "" && (strings.HasPrefix(l.text, "ok ") || strings.HasPrefix(l.text, "? ")) {
					fmt.Fprint(w, l.text)
				}
			}
			delete(pkgs, e.Package)
		case e.Test == "" && e.Action == "fail":
			reported, ok = true, false
			p.print(w)
			delete(pkgs, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testreport:", err)
		ok = false
	}
	for _, pkg := range order {
		if p := pkgs[pkg]; p != nil {
			p.print(w)
			fmt.Fprintf(w, "testreport: %s started and never finished\n", pkg)
			ok = false
		}
	}
	if !reported {
		fmt.Fprintln(w, "testreport: no test results")
		return false
	}

	slices.SortStableFunc(times, func(a, b timing) int { return cmp.Compare(b.elapsed, a.elapsed) })
	if len(times) > slowest {
		times = times[:slowest]
	}
	if len(times) > 0 {
		fmt.Fprintln(w, "\nslowest tests:")
		for _, t := range times {
			fmt.Fprintf(w, "%8.2fs  %s %s\n", t.elapsed, t.pkg, t.test)
		}
	}
	return ok
}

// print writes the package's output but that of the tests that passed or
// were skipped.
func (p *pkgState) print(w io.Writer) {
	for _, l := range p.lines {
		if !p.done[l.test] {
			fmt.Fprint(w, l.text)
		}
	}
}
