//go:build linux

package wasmhook_test

import (
	"context"
	"os"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
)

// openFiles counts this process's file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(fds)
}

// TestCloseEndsWatch: Close ends running Watch calls, whose context is
// never done: each returns ErrClosed, its inotify descriptor is closed
// by the time Close returns, and no goroutine is left behind.
func TestCloseEndsWatch(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, CompilationCacheDir: compilationCache})
	require.NoError(t, err)
	goroutines, fds := goruntime.NumGoroutine(), openFiles(t)

	const watches = 3
	started := make(chan error, watches)
	done := make(chan error, watches)
	for range watches {
		go func() {
			done <- e.Watch(context.Background(), wasmhook.WatchOptions{Interval: time.Hour,
				OnReload: func(_ *wasmhook.ReloadResult, err error) { started <- err }})
		}()
	}
	for range watches {
		require.NoError(t, <-started)
	}
	assert.GreaterOrEqual(t, openFiles(t), fds+watches, "an inotify descriptor per watch")

	require.NoError(t, e.Close(context.Background()))
	assert.LessOrEqual(t, openFiles(t), fds, "every descriptor is closed when Close returns")
	for range watches {
		select {
		case err := <-done:
			assert.ErrorIs(t, err, wasmhook.ErrClosed)
		case <-time.After(10 * time.Second):
			t.Fatal("Watch still running after Close")
		}
	}
	goroutinesSettle(t, goroutines)

	// A Watch started after Close returns at once, holding nothing.
	assert.ErrorIs(t, e.Watch(context.Background(), wasmhook.WatchOptions{}), wasmhook.ErrClosed)
	assert.LessOrEqual(t, openFiles(t), fds)
}
