package registry_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

func engine(t *testing.T) *runtime.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close(ctx) })
	return e
}

// copyWAT copies the test module src into dir as dst.
func copyWAT(t *testing.T, dir, src, dst string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, dst), testmod.Read(t, src), 0o644))
}

// loadInto loads dir and sets its modules into r, as an enricher does.
func loadInto(r *registry.Registry, eng *runtime.Engine, dir string, opts registry.LoadOptions) ([]error, error) {
	loaded, err := registry.LoadDir(context.Background(), eng, dir, opts)
	if err != nil {
		return nil, err
	}
	if _, err := r.SetModules(loaded.Callbacks); err != nil {
		return nil, err
	}
	return loaded.Skipped, nil
}

func names(cbs []registry.Callback) []string {
	var out []string
	for _, cb := range cbs {
		out = append(out, cb.Name())
	}
	return out
}

func TestLoadDirInFileNameOrder(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "fixed", "20-geo.wasm")
	copyWAT(t, dir, "fixed", "10-branch.wasm")
	copyWAT(t, dir, "command_fixed", "30-cmd.wasm")
	copyWAT(t, dir, "fixed", "B.wasm")
	copyWAT(t, dir, "trap", ".hidden.wasm")                                       // dotfiles are ignored
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)) // and other files
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	var r registry.Registry
	skipped, err := loadInto(&r, engine(t), dir, registry.LoadOptions{})
	require.NoError(t, err)
	assert.Empty(t, skipped)
	assert.Equal(t, []string{"10-branch", "20-geo", "30-cmd", "B"}, names(r.Callbacks()))
	assert.Equal(t, abi.KindCommand, r.Callbacks()[2].Kind())
	assert.Equal(t, filepath.Join(dir, "20-geo.wasm"), r.Callbacks()[1].File())

	require.NoError(t, r.Register("native", func(context.Context, *abi.Input) (any, error) { return nil, nil }, ""))
	assert.Equal(t, "native", r.Callbacks()[4].Name())
	assert.Equal(t, abi.KindGo, r.Callbacks()[4].Kind())
	assert.ErrorIs(t, r.Register("20-geo", func(context.Context, *abi.Input) (any, error) { return nil, nil }, ""), registry.ErrDuplicate)
	require.NoError(t, r.Close(context.Background()))
	assert.Empty(t, r.Callbacks())
}

func TestLoadDirFailsOnABadModuleAndNamesIt(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "fixed", "10-good.wasm")
	copyWAT(t, dir, "bad_import", "20-bad.wasm")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "30-text.wasm"), []byte("not wasm"), 0o644))

	var r registry.Registry
	_, err := loadInto(&r, engine(t), dir, registry.LoadOptions{})
	require.ErrorIs(t, err, abi.ErrBadModule)
	assert.ErrorContains(t, err, filepath.Join(dir, "20-bad.wasm"))
	assert.ErrorContains(t, err, "env.abort")
	assert.Empty(t, r.Callbacks(), "nothing is added when a module fails")

	skipped, err := loadInto(&r, engine(t), dir, registry.LoadOptions{SkipInvalid: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"10-good"}, names(r.Callbacks()))
	require.Len(t, skipped, 2)
	assert.ErrorContains(t, skipped[0], "20-bad.wasm")
	assert.ErrorContains(t, skipped[1], "30-text.wasm: bad module: not a WebAssembly module")
}

func TestLoadDirErrors(t *testing.T) {
	var r registry.Registry
	_, err := loadInto(&r, engine(t), filepath.Join(t.TempDir(), "missing"), registry.LoadOptions{})
	assert.ErrorContains(t, err, "modules directory")
	assert.ErrorIs(t, err, os.ErrNotExist)

	dir := t.TempDir()
	copyWAT(t, dir, "fixed", "a.wasm")
	_, err = loadInto(&r, engine(t), dir, registry.LoadOptions{
		Modules: map[string]registry.ModuleSettings{"geo": {Config: []byte(`{}`)}},
	})
	assert.ErrorContains(t, err, `settings for module "geo", but there is no geo.wasm in`)

	require.NoError(t, os.Symlink(filepath.Join(dir, "loop.wasm"), filepath.Join(dir, "loop.wasm")))
	_, err = loadInto(&r, engine(t), dir, registry.LoadOptions{})
	assert.ErrorContains(t, err, filepath.Join(dir, "loop.wasm"))
}

func TestLoadDirPassesModuleOptions(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "echo_config", "geo.wasm")
	var r registry.Registry
	_, err := loadInto(&r, engine(t), dir, registry.LoadOptions{
		Modules: map[string]registry.ModuleSettings{"geo": {Config: []byte(`{"namespace":"geo"}`)}},
	})
	require.NoError(t, err)
	out, err := r.Callbacks()[0].Call(context.Background(), time.Now(), &registry.Invocation{Raw: []byte(`{}`)}, nil)
	require.NoError(t, err)
	assert.Equal(t, `{"namespace":"geo"}`, string(out))
}

// TestBadModuleFiles: each bad file fails the load with one error naming
// it and the reason; with SkipInvalid the rest loads and each bad file is
// reported.
func TestBadModuleFiles(t *testing.T) {
	fixed := testmod.Read(t, "fixed")
	cases := []struct {
		name   string
		make   func(path string) error
		reason string
	}{
		{"truncated", func(p string) error { return os.WriteFile(p, fixed[:len(fixed)-7], 0o644) }, "invalid module"},
		{"not-wasm", func(p string) error { return os.WriteFile(p, []byte("#!/bin/sh\necho hi\n"), 0o644) }, "not a WebAssembly module"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "empty file"},
		{"symlink-loop", func(p string) error { return os.Symlink(p, p) }, "too many levels of symbolic links"},
		{"dangling-symlink", func(p string) error { return os.Symlink(p+".gone", p) }, "no such file or directory"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyWAT(t, dir, "fixed", "10-good.wasm")
			bad := filepath.Join(dir, "20-"+c.name+".wasm")
			require.NoError(t, c.make(bad))
			copyWAT(t, dir, "active_branch", "30-good.wasm")

			var r registry.Registry
			_, err := loadInto(&r, engine(t), dir, registry.LoadOptions{})
			require.ErrorIs(t, err, abi.ErrBadModule)
			assert.Equal(t, "load "+bad+": bad module: ", err.Error()[:len("load "+bad+": bad module: ")])
			assert.Contains(t, err.Error(), c.reason)
			assert.Empty(t, r.Callbacks())

			skipped, err := loadInto(&r, engine(t), dir, registry.LoadOptions{SkipInvalid: true})
			require.NoError(t, err)
			assert.Equal(t, []string{"10-good", "30-good"}, names(r.Callbacks()))
			require.Len(t, skipped, 1)
			assert.ErrorContains(t, skipped[0], bad)
			require.NoError(t, r.Close(context.Background()))
		})
	}
}

func TestUnreadableModuleFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "secret.wasm")
	require.NoError(t, os.WriteFile(bad, testmod.Read(t, "fixed"), 0o000))
	if f, err := os.Open(bad); err == nil {
		f.Close()
		// Root reads any file: the permission bits cannot make one
		// unreadable here, so make reading fail another way.
		require.NoError(t, os.Remove(bad))
		require.NoError(t, os.Symlink("/proc/self/mem", bad))
	}
	var r registry.Registry
	_, err := loadInto(&r, engine(t), dir, registry.LoadOptions{})
	require.ErrorIs(t, err, abi.ErrBadModule)
	assert.ErrorContains(t, err, "load "+bad+": bad module: cannot read")
}
