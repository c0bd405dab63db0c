package testmod_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/runtime"
)

// cacheFiles lists a compilation cache's files with their modification
// times: a load that misses the cache writes a file.
func cacheFiles(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	files := map[string]time.Time{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files[path] = info.ModTime()
		return nil
	}))
	return files
}

// load loads file into a new engine on cache, as a test would, with a
// memory limit (0: the default).
func load(t *testing.T, cache, file string, memory uint64) {
	t.Helper()
	ctx := context.Background()
	eng, err := runtime.NewEngine(ctx, runtime.Config{CompilationCacheDir: cache})
	require.NoError(t, err)
	defer eng.Close(ctx)
	bin, err := os.ReadFile(file)
	require.NoError(t, err)
	_, err = eng.Load(ctx, filepath.Base(file), file, bin, runtime.ModuleOptions{Limits: runtime.Limits{MemoryBytes: runtime.Bytes(memory)}})
	require.NoError(t, err)
}

// TestPrecompileFillsTheTestsCache: what Precompile compiles, in a process
// of its own, an engine of a test binary (this one) finds in the cache, for
// every memory limit given; for another limit it compiles the module
// itself (table_grow's table takes its maximum from the memory limit).
func TestPrecompileFillsTheTestsCache(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache") // relative paths are tested below
	files := []string{testmod.Path("table_grow"), testmod.Path("fixed")}
	require.NoError(t, testmod.Precompile(cache, []uint64{0, 16 << 20}, files...))
	precompiled := cacheFiles(t, cache)
	require.NotEmpty(t, precompiled)

	for _, file := range files {
		for _, memory := range []uint64{0, 16 << 20} {
			load(t, cache, file, memory)
		}
	}
	assert.Equal(t, precompiled, cacheFiles(t, cache), "every load found its module in the cache")

	load(t, cache, files[0], 8<<20)
	assert.Len(t, cacheFiles(t, cache), len(precompiled)+1, "a limit not precompiled compiles anew")
}

func TestPrecompileRelativePaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.WriteFile("fixed.wasm", testmod.Read(t, "fixed"), 0o644))
	require.NoError(t, testmod.Precompile("cache", nil, "fixed.wasm"))
	assert.NotEmpty(t, cacheFiles(t, filepath.Join(dir, "cache")))
}

func TestPrecompileNamesTheFileThatFails(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.wasm")
	err := testmod.Precompile(t.TempDir(), nil, testmod.Path("fixed"), missing)
	require.Error(t, err)
	assert.ErrorContains(t, err, missing)
	assert.ErrorContains(t, err, "no such file")

	err = testmod.Precompile(t.TempDir(), nil, testmod.Path("bad_import"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "bad_import.wasm: bad module: env.abort")
}
