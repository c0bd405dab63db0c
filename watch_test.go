package wasmhook_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// eventually polls cond until it holds, failing after a generous time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchFollowsTheDirectory(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	ctx, cancel := context.WithCancel(context.Background())
	reloads := make(chan error, 100)
	done := make(chan error)
	go func() {
		done <- e.Watch(ctx, wasmhook.WatchOptions{Debounce: 20 * time.Millisecond, Interval: -1,
			OnReload: func(_ *wasmhook.ReloadResult, err error) { reloads <- err }})
	}()
	has := func(names ...string) func() bool {
		return func() bool { return slices.Equal(callbackNames(e), names) }
	}

	// Copy a new module in.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "20-branch.wasm"), testmod.Read(t, "active_branch"), 0o644))
	eventually(t, "the copied module is loaded", has("10-fixed", "20-branch"))

	// Rename a new version over an old one.
	tmp := filepath.Join(dir, ".20-branch.wasm.new")
	require.NoError(t, os.WriteFile(tmp, testmod.Read(t, "echo_config"), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "20-branch.wasm")))
	eventually(t, "the renamed-over module is in force", func() bool {
		res, err := e.Enrich(context.Background(), &siteEvent)
		return err == nil && len(res.Failed()) == 0 && len(contextOf(t, res.Payload)) == 1 // fixed's foo; echo_config adds nothing
	})

	// Editor swap files and dotfiles are ignored: no reload for them.
	for len(reloads) > 0 {
		<-reloads
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".20-branch.wasm.swp"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes~"), []byte("x"), 0o644))

	// Delete.
	require.NoError(t, os.Remove(filepath.Join(dir, "10-fixed.wasm")))
	eventually(t, "the deleted module is gone", has("20-branch"))
	assert.NoError(t, <-reloads, "one reload, for the delete")

	// A broken module leaves the previous set in force; the error is reported.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "30-broken.wasm"), []byte("junk"), 0o644))
	eventually(t, "the failed reload is reported", func() bool {
		select {
		case err := <-reloads:
			return err != nil
		default:
			return false
		}
	})
	assert.Equal(t, []string{"20-branch"}, callbackNames(e))

	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestWatchRescansOnAnInterval(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Watch(ctx, wasmhook.WatchOptions{Debounce: time.Hour, Interval: 20 * time.Millisecond})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "20-branch.wasm"), testmod.Read(t, "active_branch"), 0o644))
	eventually(t, "the interval rescan loads the module", func() bool { return len(e.Callbacks()) == 2 })
}

func TestWatchNeedsADirectory(t *testing.T) {
	e := newEnricher(t, wasmhook.Options{})
	assert.Error(t, e.Watch(context.Background(), wasmhook.WatchOptions{}))
}

func TestFailEventPolicy(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed", "20-trap": "trap"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, Modules: map[string]wasmhook.ModuleOptions{"20-trap": {OnFailure: wasmhook.FailEvent}}})
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.ErrorIs(t, err, wasmhook.ErrEventFailed)
	assert.ErrorIs(t, err, wasmhook.ErrTrap)
	assert.ErrorContains(t, err, "20-trap")
	require.NotNil(t, res)
	assert.Nil(t, res.Payload)
	assert.ErrorIs(t, res.Reports[1].Err, wasmhook.ErrTrap)

	skip := newEnricher(t, wasmhook.Options{Dir: dir})
	res, err = skip.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.NotNil(t, res.Payload)
}
