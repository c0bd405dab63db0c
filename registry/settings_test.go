package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/registry"
)

func TestParseSettingsYAMLAndJSON(t *testing.T) {
	yaml := `
order: [geo, branch]
modules:
  geo:
    config: {namespace: geo, n: 1.50, list: [a, true, null], nested: {z: 1, a: 2}}
    timeout: 100ms
    memory: 32MiB
    output: 16KiB
    disabled: false
    on_failure: fail
  branch:
    disabled: true
`
	s, err := registry.ParseSettings("wasmhook.yaml", []byte(yaml))
	require.NoError(t, err)
	assert.Equal(t, []string{"geo", "branch"}, s.Order)
	geo := s.Modules["geo"]
	assert.Equal(t, `{"namespace":"geo","n":1.50,"list":["a",true,null],"nested":{"z":1,"a":2}}`, string(geo.Config), "key order and number text kept")
	assert.Equal(t, 100*time.Millisecond, geo.Timeout)
	assert.EqualValues(t, 32<<20, geo.MemoryBytes)
	assert.EqualValues(t, 16<<10, geo.OutputBytes)
	assert.False(t, geo.Disabled)
	assert.Equal(t, registry.FailEvent, geo.OnFailure)
	assert.True(t, s.Modules["branch"].Disabled)

	j := `{"order": ["geo"], "modules": {"geo": {"config": {"namespace": "geo"}, "memory": 1048576, "timeout": "1s"}}}`
	s, err = registry.ParseSettings("wasmhook.json", []byte(j))
	require.NoError(t, err)
	assert.Equal(t, `{"namespace":"geo"}`, string(s.Modules["geo"].Config), "JSON is read as YAML: kept in key order, spaces dropped")
	assert.EqualValues(t, 1<<20, s.Modules["geo"].MemoryBytes)
}

func TestParseSettingsIsStrict(t *testing.T) {
	cases := map[string]string{
		"orderr: []":                                  "wasmhook.yaml: orderr: unknown key",
		"modules: {geo: {timout: 1s}}":                "wasmhook.yaml: modules.geo.timout: unknown key",
		"modules: {geo: {timeout: fast}}":             "modules.geo.timeout: want a duration",
		"modules: {geo: {memory: lots}}":              "modules.geo.memory: want a size",
		"modules: {geo: {timeout: -1s}}":              "modules.geo.timeout: want zero or more",
		"modules: {geo: {pool: -2}}":                  "modules.geo.pool: want zero or more",
		"modules: {geo: {enabled: false}}":            "modules.geo.enabled: unknown key",
		"modules: {geo: {config: [1]}}":               "modules.geo.config: want an object",
		"modules: {geo: {on_failure: panic}}":         `modules.geo.on_failure: want "skip" or "fail"`,
		"modules: {geo: {disabled: maybe}}":           "modules.geo.disabled: want true or false",
		"modules: [geo]":                              "wasmhook.yaml: modules: want a mapping",
		"order: geo":                                  "order: want a list",
		"modules: {geo: {config: {a: 1}}\n  bad: [":   "wasmhook.yaml: yaml",
		"modules:\n  geo: {}\n  geo: {timeout: 1s}\n": "wasmhook.yaml",
	}
	for doc, want := range cases {
		_, err := registry.ParseSettings("wasmhook.yaml", []byte(doc))
		require.ErrorIs(t, err, registry.ErrSettings, doc)
		assert.ErrorContains(t, err, want, doc)
	}
	_, err := registry.ParseSettings("wasmhook.json", []byte(`{"modules": {"geo": {"x": 1}}}`))
	assert.ErrorContains(t, err, "wasmhook.json: modules.geo.x: unknown key")
	_, err = registry.ParseSettings("wasmhook.json", []byte(`{"modules": `))
	assert.ErrorContains(t, err, "wasmhook.json")
}

func TestSettingsFileShapesTheLoad(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "echo_config", "10-a.wasm")
	copyWAT(t, dir, "fixed", "20-b.wasm")
	copyWAT(t, dir, "active_branch", "30-c.wasm")
	write := func(doc string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(doc), 0o644))
	}
	load := func() (*registry.Loaded, error) {
		return registry.LoadDir(context.Background(), engine(t), dir, registry.LoadOptions{
			Modules: map[string]registry.ModuleSettings{"10-a": {Config: []byte(`{"from": "api"}`)}},
		})
	}

	write("order: [30-c]\nmodules:\n  10-a: {config: {from: file}, timeout: 50ms, on_failure: fail}\n  20-b: {disabled: true}\n")
	l, err := load()
	require.NoError(t, err)
	assert.Equal(t, []string{"30-c", "10-a"}, names(l.Callbacks), "order first, then file-name order; disabled left out")
	a := l.Callbacks[1].(*registry.ModuleCallback)
	assert.Equal(t, 50*time.Millisecond, a.Limits().Timeout)
	assert.Equal(t, registry.FailEvent, a.OnFailure())
	out, err := a.Call(context.Background(), time.Now(), &registry.Invocation{Raw: []byte(`{}`)}, nil)
	require.NoError(t, err)
	assert.Equal(t, `{"from":"file"}`, string(out), "the file's config wins over the API's")

	write("modules:\n  99-missing: {disabled: true}\n")
	_, err = load()
	assert.ErrorContains(t, err, "wasmhook.yaml: modules.99-missing: there is no 99-missing.wasm in "+dir)
	write("order: [10-a, nope]\n")
	_, err = load()
	assert.ErrorContains(t, err, "wasmhook.yaml: order[1]: there is no nope.wasm")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.json"), []byte(`{}`), 0o644))
	_, err = load()
	assert.ErrorContains(t, err, "keep one settings file")
}

func TestLoadDirIgnoreUnmatched(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "echo_config", "10-a.wasm")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"),
		[]byte("order: [gone, 10-a]\nmodules:\n  gone: {timeout: 1s}\n  10-a: {config: {from: file}}\n"), 0o644))
	opts := registry.LoadOptions{Modules: map[string]registry.ModuleSettings{"api-gone": {}, "10-a": {}}}

	// Strict (an enricher's first load): the first unmatched setting fails it.
	_, err := registry.LoadDir(context.Background(), engine(t), dir, opts)
	require.ErrorIs(t, err, registry.ErrSettings)
	assert.ErrorContains(t, err, "wasmhook.yaml: modules.gone: there is no gone.wasm in "+dir)

	// Ignored: the rest loads and every unmatched setting is listed.
	opts.IgnoreUnmatched = true
	l, err := registry.LoadDir(context.Background(), engine(t), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"10-a"}, names(l.Callbacks))
	file := filepath.Join(dir, "wasmhook.yaml")
	assert.Equal(t, []registry.Unmatched{
		{Name: "gone", File: file, Key: "modules.gone", Dir: dir},
		{Name: "gone", File: file, Key: "order[0]", Dir: dir},
		{Name: "api-gone", Dir: dir},
	}, l.Unmatched)
	assert.ErrorIs(t, l.Unmatched[1], registry.ErrSettings)
	assert.EqualError(t, l.Unmatched[1], "invalid settings: "+file+": order[0]: there is no gone.wasm in "+dir)
	assert.NotErrorIs(t, l.Unmatched[2], registry.ErrSettings)
	assert.EqualError(t, l.Unmatched[2], `settings for module "api-gone", but there is no api-gone.wasm in `+dir)

	// A name listed twice is a mistake in the file, not a deletion: still an error.
	require.NoError(t, os.WriteFile(file, []byte("order: [10-a, 10-a]\n"), 0o644))
	_, err = registry.LoadDir(context.Background(), engine(t), dir, opts)
	assert.ErrorContains(t, err, "order[1]: 10-a is listed twice")
}

// TestSettingsFileNames: wasmhook.yml is read exactly like wasmhook.yaml
// (never ignored), and two settings files in one directory are an error
// naming both.
func TestSettingsFileNames(t *testing.T) {
	for _, name := range []string{"wasmhook.yaml", "wasmhook.yml", "wasmhook.json"} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(`{"modules": {"geo": {"timeout": "70ms"}}}`), 0o644))
		s, err := registry.ReadSettings(dir)
		require.NoError(t, err, name)
		assert.Equal(t, filepath.Join(dir, name), s.File)
		assert.Equal(t, 70*time.Millisecond, s.Modules["geo"].Timeout, name)
	}
	dir := t.TempDir()
	for _, name := range []string{"wasmhook.yaml", "wasmhook.yml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644))
	}
	_, err := registry.ReadSettings(dir)
	assert.ErrorContains(t, err, "wasmhook.yaml and "+filepath.Join(dir, "wasmhook.yml")+": keep one settings file")
	assert.Equal(t, []string{"wasmhook.yaml", "wasmhook.yml", "wasmhook.json"}, registry.SettingsFileNames())
}
