package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

const badImport = "../../testdata/hostile/bad_import.wasm"

// TestInspectCapabilities: inspect groups a module's imports into what
// they let it do: http needs a grant, the key-value store, field reads,
// WASI's stubs, and an import outside ABI v1 flagged as unknown.
func TestInspectCapabilities(t *testing.T) {
	r := wasmhook(t, "", "inspect", testmod.Path("http_fetch"), testmod.Path("kv_last"), testmod.Path("fixed"), testmod.Path("command_echo"), badImport)
	assert.Equal(t, 2, r.code, "bad_import does not load")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5, r.stdout)
	assert.Contains(t, lines[0], "capabilities [output; field reads; http (needs a grant: modules.NAME.http.grants in the settings file; nothing is reachable without one)]: loads")
	assert.Contains(t, lines[1], "capabilities [output; field reads; key-value store (the module's own keys, bounded)]: loads")
	assert.Contains(t, lines[2], "capabilities [output]: loads")
	assert.Contains(t, lines[3], "capabilities [wasi (stubs: no files, no network, no environment)]: loads")
	assert.Contains(t, lines[4], "capabilities [unknown (not part of ABI v1: the module does not load)]: DOES NOT LOAD")
}

// TestInspectJSON: inspect --json is an array, one object per module,
// with the capabilities and the imports of each.
func TestInspectJSON(t *testing.T) {
	r := wasmhook(t, "", "inspect", "--json", testmod.Path("http_fetch"), testmod.Path("fixed"), badImport, "missing.wasm")
	assert.Equal(t, 2, r.code)
	var reps []struct {
		File         string
		Kind         string
		ABI          string
		Imports      []string
		Loads        bool
		Error        string
		Capabilities []struct {
			Name    string
			Note    string
			Imports []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &reps), r.stdout)
	require.Len(t, reps, 4)
	fetch, fixed, bad, missing := reps[0], reps[1], reps[2], reps[3]
	assert.Equal(t, testmod.Path("http_fetch"), fetch.File)
	assert.Equal(t, "reactor", fetch.Kind)
	assert.Equal(t, "wasmhook_abi_v1", fetch.ABI)
	assert.True(t, fetch.Loads)
	var names []string
	for _, c := range fetch.Capabilities {
		names = append(names, c.Name)
		if c.Name == "http" {
			assert.Equal(t, []string{"wasmhook_v1.http_request", "wasmhook_v1.http_response_read"}, c.Imports)
			assert.Contains(t, c.Note, "needs a grant")
		}
	}
	assert.Equal(t, []string{"output", "field reads", "http"}, names)

	require.Len(t, fixed.Capabilities, 1)
	assert.Equal(t, "output", fixed.Capabilities[0].Name)
	assert.Equal(t, []string{"wasmhook_v1.output_set"}, fixed.Capabilities[0].Imports)

	assert.False(t, bad.Loads)
	assert.Contains(t, bad.Error, "env.abort")
	require.Len(t, bad.Capabilities, 1)
	assert.Equal(t, "unknown", bad.Capabilities[0].Name)
	assert.Equal(t, []string{"env.abort"}, bad.Capabilities[0].Imports)

	assert.False(t, missing.Loads)
	assert.Equal(t, "cannot read: no such file or directory", missing.Error)
}
