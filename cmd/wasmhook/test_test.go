package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestTestOnTheExamples: every committed example passes the examples'
// fixtures (examples/testdata/events and their expected contexts).
func TestTestOnTheExamples(t *testing.T) {
	for _, lang := range []string{"wat", "c", "rust", "assemblyscript"} {
		r := wasmhook(t, "", "test", "--fixtures", "../../examples/testdata/events", "../../examples/"+lang+"/site_status.wasm")
		assert.Equal(t, 0, r.code, "%s: %s%s", lang, r.stdout, r.stderr)
		assert.Contains(t, r.stdout, "ok    site-updated.json\n", lang)
		assert.True(t, strings.HasSuffix(r.stdout, "\n8 passed, 0 failed\n"), "%s: %s", lang, r.stdout)
	}
}

// TestTestFixtures: a context that differs is a diff; an error class
// is checked with its text; a fixture with no expectation fails and
// --update writes it; exit 1 when a fixture fails.
func TestTestFixtures(t *testing.T) {
	plugin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(plugin, "status.wasm"), testmod.Read(t, "echo_config"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(plugin, "wasmhook.yaml"), []byte("modules:\n  status: {config: {status: active, n: 1}}\n"), 0o644))
	fixtures := filepath.Join(plugin, "testdata")
	write := func(name, body string) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(fixtures, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(fixtures, name), []byte(body), 0o644))
	}
	sample, err := os.ReadFile("sample-event.json")
	require.NoError(t, err)
	write("site.json", string(sample))
	write("expected/site.json", `{"n": 1, "status": "active"}`) // another key order: compared by value

	r := wasmhook(t, "", "test", plugin)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Equal(t, "ok    site.json\n1 passed, 0 failed\n", r.stdout)

	write("expected/site.json", `{"status": "planned", "n": 1}`)
	r = wasmhook(t, "", "test", plugin)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "FAIL  site.json: the context differs from "+filepath.Join(fixtures, "expected", "site.json")+`
    --- expected
    +++ got
     {
       "n": 1,
    -  "status": "planned"
    +  "status": "active"
     }
0 passed, 1 failed
`, r.stdout)
	assert.Equal(t, "wasmhook: test: 1 of 1 fixtures failed\n", r.stderr)

	// A fixture without an expectation fails; --update writes it.
	write("created.json", `{"event": "created", "object_type": "dcim.site", "data": {"id": 1}}`)
	r = wasmhook(t, "", "test", plugin, "--update")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "wrote "+filepath.Join(fixtures, "expected", "created.json"))
	b, err := os.ReadFile(filepath.Join(fixtures, "expected", "created.json"))
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"status\": \"active\",\n  \"n\": 1\n}\n", string(b), "in the plugin's key order")
	r = wasmhook(t, "", "test", plugin)
	assert.Equal(t, 0, r.code, r.stdout)

	// Error classes, with the text the error must contain.
	trap := filepath.Join(t.TempDir(), "trap.wasm")
	require.NoError(t, os.WriteFile(trap, testmod.Read(t, "trap"), 0o644))
	args := []string{"test", "--fixtures", fixtures, trap}
	require.NoError(t, os.Remove(filepath.Join(fixtures, "expected", "site.json")))
	require.NoError(t, os.Remove(filepath.Join(fixtures, "expected", "created.json")))
	write("expected/site.error", "trap\nunreachable\n")
	write("expected/created.error", "timeout\n")
	r = wasmhook(t, "", args...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "ok    site.json\n")
	assert.Contains(t, r.stdout, "FAIL  created.json: want a timeout failure, got trap: callback trap: guest trapped: wasm error: unreachable\n")
	write("expected/site.error", "trap\nout of bounds\n")
	r = wasmhook(t, "", args...)
	assert.Contains(t, r.stdout, `FAIL  site.json: want an error containing "out of bounds", got: callback trap: guest trapped: wasm error: unreachable`)
	write("expected/site.error", "crash\n")
	assertOneLineError(t, wasmhook(t, "", args...), 2, `site.error: "crash" is no error class; want one of timeout, memory_limit`)

	assertOneLineError(t, wasmhook(t, "", "test", trap), 2, "test: fixtures: stat "+filepath.Join(filepath.Dir(trap), "testdata")+": no such file or directory")
	assertOneLineError(t, wasmhook(t, "", "test", "--fixtures", t.TempDir(), trap), 2, "test: no fixtures (*.json events) in")
}
