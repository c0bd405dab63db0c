package main_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestCompilationCache: on by default in the user's cache directory;
// --cache DIR moves it, --no-cache turns it off, and a default directory
// that cannot be made is no reason to fail.
func TestCompilationCache(t *testing.T) {
	fixed := testmod.Path("fixed")
	home := t.TempDir()
	r := wasmhookEnv(t, []string{"XDG_CACHE_HOME=" + home}, "", "run", fixed)
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotEmpty(t, files(t, filepath.Join(home, "wasmhook")), "the default cache is filled")

	home = t.TempDir()
	r = wasmhookEnv(t, []string{"XDG_CACHE_HOME=" + home}, "", "run", fixed, "--no-cache")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, files(t, home), "--no-cache writes nothing")

	dir := filepath.Join(t.TempDir(), "elsewhere")
	r = wasmhookEnv(t, []string{"XDG_CACHE_HOME=" + home}, "", "bench", fixed, "-n", "1", "--cache", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotEmpty(t, files(t, dir))
	assert.Empty(t, files(t, home))

	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o644))
	r = wasmhookEnv(t, []string{"XDG_CACHE_HOME=" + notADir}, "", "run", fixed)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(r.stdout)))
	assert.Contains(t, r.stderr, "no compilation cache")

	assertOneLineError(t, wasmhook(t, "", "run", fixed, "--no-cache", "--cache", dir), 2, "--cache and --no-cache exclude each other")
}

// files lists the regular files under dir, none if it does not exist.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return nil
	})
	return out
}
