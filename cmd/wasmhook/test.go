package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wasmhook/wasmhook"
)

const testUsage = `usage: wasmhook test [flags] DIR
       wasmhook test [flags] [--fixtures DIR] FILE.wasm...

Runs a plugin on its fixtures and checks what each produces: with DIR, the
modules of DIR (as run --modules DIR loads them) on the fixtures of
DIR/testdata; with module files, those modules in the order given on the
fixtures of the testdata directory beside the first (or --fixtures DIR).

A fixture is an event file and what it must produce:
  testdata/NAME.json            the event (either format 'wasmhook run --help'
                                describes)
  testdata/expected/NAME.json   the payload's "context" it must produce
                                (null: no context), compared as JSON
  testdata/expected/NAME.error  or the failure it must cause: an error class
                                on the first line, then, optionally, text the
                                error must contain
The error classes: CLASSES.
Prints one line per fixture and a diff for each that does not match; exits 1
when one does not. --update writes the expected files from what the plugin
produces now (check them before you commit them).

examples:
  wasmhook test .                                     # a plugin made by 'wasmhook new'
  wasmhook test --fixtures examples/testdata/events examples/c/site_status.wasm

flags:
`

func cmdTest(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("test", strings.Replace(testUsage, "CLASSES", strings.Join(wasmhook.ErrorClasses(), ", "), 1), io)
	var ef enricherFlags
	ef.registerModules(fs.FlagSet)
	fixtures := fs.String("fixtures", "", "the fixtures directory (default: testdata beside the modules)")
	update := fs.Bool("update", false, "write the expected files from what the plugin produces now")
	verbose := fs.Bool("v", false, "print guest logs and every callback's report")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	args = fs.Args()
	if len(args) == 1 && ef.dir == "" {
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			ef.dir, args = args[0], nil
		}
	}
	if err := ef.modules("test", args); err != nil {
		return err
	}
	fixDir := *fixtures
	if fixDir == "" {
		if ef.dir != "" {
			fixDir = filepath.Join(ef.dir, "testdata")
		} else {
			fixDir = filepath.Join(filepath.Dir(ef.files[0]), "testdata")
		}
	}
	cases, err := readFixtures(fixDir)
	if err != nil {
		return usageErr(err)
	}
	level := slog.LevelError + 1 // the report says what failed
	if *verbose {
		level = slog.LevelDebug
	}
	e, err := ef.open(ctx, io, slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: level})))
	if err != nil {
		return err
	}
	defer e.close(ctx)
	if len(e.Callbacks()) == 0 {
		return usageErr(fmt.Errorf("test: no modules in %s", ef.where()))
	}

	failed := 0
	for _, fx := range cases {
		got, err := fx.run(ctx, e)
		if *verbose && got.res != nil {
			printReports(io, got.res.Reports)
		}
		switch {
		case err != nil: // the fixture itself is wrong: its event, its expectation
			failed++
			fmt.Fprintf(io.out, "FAIL  %s: %v\n", fx.name, err)
		case *update:
			file, err := fx.write(got)
			if err != nil {
				return err
			}
			fmt.Fprintf(io.out, "wrote %s\n", file)
		default:
			if diff := fx.check(got); diff != "" {
				failed++
				fmt.Fprintf(io.out, "FAIL  %s%s", fx.name, diff)
			} else {
				fmt.Fprintf(io.out, "ok    %s\n", fx.name)
			}
		}
	}
	fmt.Fprintf(io.out, "%d passed, %d failed\n", len(cases)-failed, failed)
	if failed > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("test: %d of %d fixtures failed", failed, len(cases))}
	}
	return nil
}

// fixture is an event file and what it must produce.
type fixture struct {
	name  string // the event file's name
	event string // its path
	// expected is the expected file's path, "" when there is none yet;
	// context is its JSON when it ends in .json, class and text its error
	// class and the text the error must contain when it ends in .error.
	expected    string
	context     []byte
	class, text string
}

// outcome is what a fixture's event produced.
type outcome struct {
	res     *wasmhook.Result
	context []byte // the payload's context (canonical), "null" for none
	raw     []byte // the same indented in the payload's order
	err     error  // the first failure, nil for none
}

// readFixtures reads the fixtures of dir, in file-name order.
func readFixtures(dir string) ([]*fixture, error) {
	events, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("test: fixtures: %w", err)
		}
		return nil, fmt.Errorf("test: no fixtures (*.json events) in %s", dir)
	}
	var out []*fixture
	for _, ev := range events {
		name := filepath.Base(ev)
		fx := &fixture{name: name, event: ev}
		base := filepath.Join(dir, "expected", strings.TrimSuffix(name, ".json"))
		var found []string
		for _, ext := range []string{".json", ".error"} {
			if _, err := os.Stat(base + ext); err == nil {
				found = append(found, base+ext)
			}
		}
		switch len(found) {
		case 2:
			return nil, fmt.Errorf("test: %s and %s: keep one", found[0], found[1])
		case 1:
			fx.expected = found[0]
			raw, err := os.ReadFile(fx.expected)
			if err != nil {
				return nil, fmt.Errorf("test: %w", err)
			}
			if strings.HasSuffix(fx.expected, ".json") {
				if fx.context, err = canonical(raw); err != nil {
					return nil, fmt.Errorf("test: %s: not JSON: %v", fx.expected, err)
				}
			} else {
				first, rest, _ := strings.Cut(strings.TrimSpace(string(raw)), "\n")
				fx.class, fx.text = strings.TrimSpace(first), strings.TrimSpace(rest)
				if !slices.Contains(wasmhook.ErrorClasses(), fx.class) {
					return nil, fmt.Errorf("test: %s: %q is no error class; want one of %s", fx.expected, fx.class, strings.Join(wasmhook.ErrorClasses(), ", "))
				}
			}
		}
		out = append(out, fx)
	}
	return out, nil
}

// run enriches the fixture's event.
func (fx *fixture) run(ctx context.Context, e *enricher) (outcome, error) {
	raw, err := os.ReadFile(fx.event)
	if err != nil {
		return outcome{}, unwrapPath(err)
	}
	ev, err := readEvent(fx.event, raw)
	if err != nil {
		return outcome{}, err
	}
	res, err := e.Enrich(ctx, ev)
	if res == nil {
		return outcome{}, fmt.Errorf("event %s: %w", fx.event, err)
	}
	got := outcome{res: res, context: []byte("null"), raw: []byte("null")}
	if failed := res.Failed(); len(failed) > 0 {
		got.err = failed[0].Err
	}
	if res.Payload != nil {
		var p struct{ Context json.RawMessage }
		if err := json.Unmarshal(res.Payload, &p); err != nil {
			return got, err
		}
		if p.Context != nil {
			got.context, _ = canonical(p.Context)
			var b bytes.Buffer
			json.Indent(&b, p.Context, "", "  ")
			got.raw = b.Bytes()
		}
	}
	return got, nil
}

// check compares an outcome with the expectation: "" when it matches,
// else what differs, starting with ": " and ending with a newline.
func (fx *fixture) check(got outcome) string {
	var b strings.Builder
	switch {
	case fx.expected == "":
		fmt.Fprintf(&b, ": no expected/%s.json or .error; 'wasmhook test --update' writes it from what the plugin gives now:\n", strings.TrimSuffix(fx.name, ".json"))
		indentLines(&b, string(got.raw))
		if got.err != nil {
			fmt.Fprintf(&b, "  and fails: %s\n", oneLine(got.err.Error()))
		}
	case fx.class != "":
		switch {
		case got.err == nil:
			fmt.Fprintf(&b, ": want a %s failure, got none; context:\n", fx.class)
			indentLines(&b, string(got.raw))
		case wasmhook.ErrorClass(got.err) != fx.class:
			fmt.Fprintf(&b, ": want a %s failure, got %s: %s\n", fx.class, wasmhook.ErrorClass(got.err), oneLine(got.err.Error()))
		case !strings.Contains(got.err.Error(), fx.text):
			fmt.Fprintf(&b, ": want an error containing %q, got: %s\n", fx.text, oneLine(got.err.Error()))
		}
	case got.err != nil:
		fmt.Fprintf(&b, ": want %s, got a %s failure: %s\n", filepath.Base(fx.expected), wasmhook.ErrorClass(got.err), oneLine(got.err.Error()))
	case !bytes.Equal(fx.context, got.context):
		fmt.Fprintf(&b, ": the context differs from %s\n", fx.expected)
		diffLines(&b, string(fx.context), string(got.context))
	}
	return b.String()
}

// write writes the expected file of an outcome, replacing any other.
func (fx *fixture) write(got outcome) (string, error) {
	base := filepath.Join(filepath.Dir(fx.event), "expected", strings.TrimSuffix(fx.name, ".json"))
	file, body := base+".json", append(got.raw, '\n')
	if got.err != nil {
		file, body = base+".error", []byte(wasmhook.ErrorClass(got.err)+"\n")
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", err
	}
	for _, ext := range []string{".json", ".error"} {
		if err := os.Remove(base + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return file, os.WriteFile(file, body, 0o644)
}

// canonical is JSON indented with sorted keys and numbers as written, so
// that two contexts compare (and diff) by value, not by layout or order.
func canonical(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func indentLines(b *strings.Builder, s string) {
	for _, l := range strings.Split(s, "\n") {
		fmt.Fprintf(b, "    %s\n", l)
	}
}

// diffLines writes a line diff of want and got: "-" lines only in want,
// "+" lines only in got (a longest common subsequence; contexts are small).
func diffLines(b *strings.Builder, want, got string) {
	a, c := strings.Split(want, "\n"), strings.Split(got, "\n")
	// lcs[i][j] is the LCS length of a[i:] and c[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(c)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(c) - 1; j >= 0; j-- {
			if a[i] == c[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	fmt.Fprintf(b, "    --- expected\n    +++ got\n")
	i, j := 0, 0
	for i < len(a) || j < len(c) {
		switch {
		case i < len(a) && j < len(c) && a[i] == c[j]:
			fmt.Fprintf(b, "     %s\n", a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(c) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(b, "    -%s\n", a[i])
			i++
		default:
			fmt.Fprintf(b, "    +%s\n", c[j])
			j++
		}
	}
}
