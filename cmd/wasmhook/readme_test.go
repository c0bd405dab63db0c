package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// readmeConsole returns the lines of the console block of README.md's
// section on the command.
func readmeConsole(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testmod.Root, "README.md"))
	require.NoError(t, err)
	s := string(b)
	start := strings.Index(s, "## The command")
	require.NotEqual(t, -1, start, "README.md has a section on the command")
	s = s[start:]
	open := strings.Index(s, "```console\n")
	require.NotEqual(t, -1, open)
	s = s[open+len("```console\n"):]
	return strings.Split(s[:strings.Index(s, "```")], "\n")
}

// TestReadmeCommandLines: every command README.md shows names a command
// of the binary, and every flag it passes is one that command has.
func TestReadmeCommandLines(t *testing.T) {
	n := 0
	for _, line := range readmeConsole(t) {
		if !strings.HasPrefix(line, "$ ") {
			continue
		}
		line, _, _ = strings.Cut(strings.TrimPrefix(line, "$ "), "#")
		for _, seg := range regexp.MustCompile(`\||&&`).Split(line, -1) {
			fields := strings.Fields(seg)
			for len(fields) > 0 && strings.Contains(fields[0], "=") { // VAR=value before the command
				fields = fields[1:]
			}
			if len(fields) < 2 || fields[0] != "wasmhook" {
				continue
			}
			sub := fields[1]
			help := wasmhook(t, "", sub, "--help")
			require.Equal(t, 0, help.code, "README runs `wasmhook %s`, which has no --help: %s", sub, help.stderr)
			for _, f := range fields[2:] {
				if strings.HasPrefix(f, "-") {
					name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
					assert.Contains(t, help.stdout, "-"+name, "README passes %s to `wasmhook %s`", f, sub)
				}
			}
			n++
		}
	}
	assert.GreaterOrEqual(t, n, 8, "the README's command lines were found")
}

// TestReadmeInspectOutput: the inspect excerpt is what inspect prints,
// byte for byte, run from the project's root as the README shows it.
func TestReadmeInspectOutput(t *testing.T) {
	lines := readmeConsole(t)
	for i, line := range lines {
		args, ok := strings.CutPrefix(line, "$ wasmhook inspect ")
		if !ok {
			continue
		}
		var want []string
		for _, l := range lines[i+1:] {
			if l == "" || strings.HasPrefix(l, "$ ") {
				break
			}
			want = append(want, l)
		}
		cmd := command(binary, append([]string{"inspect"}, strings.Fields(args)...)...)
		cmd.Dir = testmod.Root
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil {
			require.ErrorAs(t, err, &ee)
		}
		assert.Equal(t, strings.Join(want, "\n")+"\n", string(out))
		return
	}
	t.Fatal("README.md shows no inspect command")
}

// TestReadmeReportHeaders: the tables the README shows for run -v and
// bench have the columns the command prints, and bench's summary line
// its shape.
func TestReadmeReportHeaders(t *testing.T) {
	lines := readmeConsole(t)
	find := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("README.md shows no line starting %q", prefix)
		return ""
	}
	dir := modules(t, map[string]string{"10-fixed": "fixed"})
	run := wasmhook(t, "", "run", "--modules", dir, "-v")
	require.Equal(t, 0, run.code, run.stderr)
	assert.Contains(t, strings.Fields(run.stderr+" "), "callback")
	assert.Equal(t, strings.Fields(find("callback     kind")), strings.Fields(headerOf(run.stderr, "callback")))

	bench := wasmhook(t, "", "bench", "--modules", dir, "-n", "20", "-c", "2")
	require.Equal(t, 0, bench.code, bench.stderr)
	assert.Equal(t, strings.Fields(find("callback           kind")), strings.Fields(headerOf(bench.stdout+bench.stderr, "callback")))
	summary := regexp.MustCompile(`^\d+ events in \S+ from \d+ goroutines: \d+ events/s$`)
	assert.Regexp(t, summary, find("2000 events in"))
	assert.Regexp(t, summary, headerOf(bench.stdout+bench.stderr, "20 events in"))
}

// headerOf returns the first line of out that starts with prefix (after
// spaces).
func headerOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
