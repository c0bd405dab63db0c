package wasmhook_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
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
		return err == nil && len(res.Failed()) == 0 && len(testmod.ContextOf(t, res.Payload)) == 1 // fixed's foo; echo_config adds nothing
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
	e := newEnricher(t, wasmhook.Options{Dir: dir, Modules: map[string]wasmhook.ModuleSettings{"20-trap": {OnFailure: wasmhook.FailEvent}}})
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

// watching runs Watch on e in the background with a short debounce and no
// interval rescans, sends every reload's error (nil for a success) to the
// returned channel, and stops the watch at the end of the test.
func watching(t *testing.T, e *wasmhook.Enricher, opts wasmhook.WatchOptions) <-chan error {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = 20 * time.Millisecond
	}
	if opts.Interval == 0 {
		opts.Interval = -1
	}
	reloads := make(chan error, 1000)
	opts.OnReload = func(_ *wasmhook.ReloadResult, err error) { reloads <- err }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Watch(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	require.NoError(t, <-reloads, "the reload at the watch's start")
	return reloads
}

// failedWith waits for a reload that fails with target.
func failedWith(t *testing.T, reloads <-chan error, target error) {
	t.Helper()
	eventually(t, fmt.Sprintf("a reload fails with %v", target), func() bool {
		for {
			select {
			case err := <-reloads:
				if errors.Is(err, target) {
					return true
				}
			default:
				return false
			}
		}
	})
}

// TestWatchSurvivesTheDirectoryGoingAway: a modules directory deleted,
// renamed away or replaced, and made again, is watched again, with
// periodic rescans off; while it is gone the reloads fail (reported) and
// the previous callbacks stay in force.
func TestWatchSurvivesTheDirectoryGoingAway(t *testing.T) {
	cases := []struct {
		name string
		// away takes the directory away; nil when it never goes.
		away func(t *testing.T, dir string)
		// back makes the directory again with the module of back.
		back func(t *testing.T, dir string)
	}{
		{"deleted", func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(dir)) }, nil},
		{"renamed-away", func(t *testing.T, dir string) { require.NoError(t, os.Rename(dir, dir+".old")) }, nil},
		{"parent-deleted", func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(filepath.Dir(dir))) }, nil},
		{"replaced-by-rename", nil, func(t *testing.T, dir string) {
			next := dir + ".next"
			require.NoError(t, os.Mkdir(next, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(next, "20-branch.wasm"), testmod.Read(t, "active_branch"), 0o644))
			require.NoError(t, os.Rename(dir, dir+".old"))
			require.NoError(t, os.Rename(next, dir))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "parent", "modules")
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "10-fixed.wasm"), testmod.Read(t, "fixed"), 0o644))
			e := newEnricher(t, wasmhook.Options{Dir: dir})
			reloads := watching(t, e, wasmhook.WatchOptions{})

			if c.away != nil {
				c.away(t, dir)
				failedWith(t, reloads, fs.ErrNotExist)
				if c.name == "renamed-away" {
					// (A directory being deleted is empty for a moment,
					// and a reload then may find no modules; a rename
					// takes the directory away whole.)
					assert.Equal(t, []string{"10-fixed"}, callbackNames(e), "the previous callbacks stay")
				}
				c.back = func(t *testing.T, dir string) {
					require.NoError(t, os.MkdirAll(dir, 0o755))
					require.NoError(t, os.WriteFile(filepath.Join(dir, "20-branch.wasm"), testmod.Read(t, "active_branch"), 0o644))
				}
			}
			c.back(t, dir)
			eventually(t, "the new directory's module is loaded", func() bool {
				return slices.Equal(callbackNames(e), []string{"20-branch"})
			})

			// And it is watched: a change in it is seen.
			require.NoError(t, os.WriteFile(filepath.Join(dir, "30-fixed.wasm"), testmod.Read(t, "fixed"), 0o644))
			eventually(t, "a module added to the new directory is loaded", func() bool {
				return slices.Equal(callbackNames(e), []string{"20-branch", "30-fixed"})
			})
		})
	}
}

// TestWatchFollowsALinkedDirectory: a modules directory reached through a
// symbolic link that is swapped to another directory (a release switch)
// is reloaded from the new one.
func TestWatchFollowsALinkedDirectory(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"v1", "v2"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, v, "modules"), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "v1", "modules", "10-fixed.wasm"), testmod.Read(t, "fixed"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "v2", "modules", "20-branch.wasm"), testmod.Read(t, "active_branch"), 0o644))
	require.NoError(t, os.Symlink("v1", filepath.Join(root, "current")))
	// The link is a component of the path, not its end.
	e := newEnricher(t, wasmhook.Options{Dir: filepath.Join(root, "current", "modules")})
	watching(t, e, wasmhook.WatchOptions{})

	require.NoError(t, os.Symlink("v2", filepath.Join(root, ".current.new")))
	require.NoError(t, os.Rename(filepath.Join(root, ".current.new"), filepath.Join(root, "current")))
	eventually(t, "the modules of v2 are loaded", func() bool { return slices.Equal(callbackNames(e), []string{"20-branch"}) })
	require.NoError(t, os.WriteFile(filepath.Join(root, "v2", "modules", "30-fixed.wasm"), testmod.Read(t, "fixed"), 0o644))
	eventually(t, "v2 is watched", func() bool { return slices.Equal(callbackNames(e), []string{"20-branch", "30-fixed"}) })
}

// configMap writes files into dir the way the kubelet updates a ConfigMap
// or Secret volume: a new timestamped directory, a "..data" link swapped
// to it by a rename, a link per key to "..data/key", then the old keys'
// links and the old directory removed.
func configMap(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	ts := fmt.Sprintf("..%s", time.Now().Format("2006_01_02_15_04_05.000000000"))
	require.NoError(t, os.Mkdir(filepath.Join(dir, ts), 0o755))
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ts, name), b, 0o644))
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	require.NoError(t, os.Symlink(ts, filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	for name := range files {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			require.NoError(t, os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)))
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, en := range entries {
		if _, ok := files[en.Name()]; !ok && !strings.HasPrefix(en.Name(), "..") {
			require.NoError(t, os.Remove(filepath.Join(dir, en.Name())))
		}
	}
	if old != "" {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, old)))
	}
}

// TestWatchFollowsAConfigMapVolume: a Kubernetes ConfigMap update (whose
// only event in the directory is the "..data" link's rename) reloads the
// modules and the settings file, with periodic rescans off.
func TestWatchFollowsAConfigMapVolume(t *testing.T) {
	dir := t.TempDir()
	fixed, branch := testmod.Read(t, "fixed"), testmod.Read(t, "active_branch")
	configMap(t, dir, map[string][]byte{"10-a.wasm": fixed, "20-b.wasm": fixed})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	watching(t, e, wasmhook.WatchOptions{})
	contextKeys := func() []string {
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		return slices.Sorted(maps.Keys(testmod.ContextOf(t, res.Payload)))
	}
	require.Equal(t, []string{"foo"}, contextKeys())

	// A module's bytes change.
	configMap(t, dir, map[string][]byte{"10-a.wasm": fixed, "20-b.wasm": branch})
	eventually(t, "the new 20-b is in force", func() bool { return slices.Equal(contextKeys(), []string{"active_branch", "foo"}) })

	// The settings file comes, through the same kind of link.
	configMap(t, dir, map[string][]byte{"10-a.wasm": fixed, "20-b.wasm": branch, "wasmhook.yaml": []byte("modules: {10-a: {disabled: true}}\n")})
	eventually(t, "the settings disable 10-a", func() bool { return slices.Equal(callbackNames(e), []string{"20-b"}) })

	// And changes again.
	configMap(t, dir, map[string][]byte{"10-a.wasm": fixed, "20-b.wasm": branch, "wasmhook.yaml": []byte("order: [20-b, 10-a]\n")})
	eventually(t, "the settings order the modules", func() bool { return slices.Equal(callbackNames(e), []string{"20-b", "10-a"}) })
}

// TestWatchFollowsLinksOutOfTheDirectory: a module file that links to a
// file elsewhere is reloaded when that file is replaced.
func TestWatchFollowsLinksOutOfTheDirectory(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(store, "plugin.wasm"), testmod.Read(t, "fixed"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(store, "plugin.wasm"), filepath.Join(dir, "10-plugin.wasm")))
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	watching(t, e, wasmhook.WatchOptions{})

	writeAtomically(t, filepath.Join(store, "plugin.wasm"), testmod.Read(t, "active_branch"))
	eventually(t, "the replaced target is in force", func() bool {
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		_, ok := testmod.ContextOf(t, res.Payload)["active_branch"]
		return ok
	})
}

// TestWatchMaxWait: a file rewritten more often than the debounce lets
// the directory be quiet does not hold the reloads off: they come at
// least every MaxWait.
func TestWatchMaxWait(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	// The writer below pauses 10 ms between writes: 400 ms of quiet would
	// take a stall of the machine.
	watching(t, e, wasmhook.WatchOptions{Debounce: 400 * time.Millisecond, MaxWait: 800 * time.Millisecond})

	var stop atomic.Bool
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; !stop.Load(); i++ {
			os.WriteFile(filepath.Join(dir, "status.txt"), []byte(fmt.Sprint(i)), 0o644)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	defer func() {
		stop.Store(true)
		<-stopped
	}()
	writeAtomically(t, filepath.Join(dir, "20-branch.wasm"), testmod.Read(t, "active_branch"))
	eventually(t, "the new module is loaded while status.txt keeps changing", func() bool {
		return slices.Equal(callbackNames(e), []string{"10-fixed", "20-branch"})
	})
}

// TestHalfWrittenModuleCanLoad shows why a module must be written under
// another name and renamed into place: a module cut before its data
// section is a valid module, and loads.
func TestHalfWrittenModuleCanLoad(t *testing.T) {
	fixed := testmod.Read(t, "fixed")
	cut := sectionStart(t, fixed, 11) // the data section
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})

	require.NoError(t, os.WriteFile(filepath.Join(dir, "10-fixed.wasm"), fixed[:cut], 0o644))
	res, err := e.Reload(context.Background())
	require.NoError(t, err, "the first %d of %d bytes load", cut, len(fixed))
	assert.Equal(t, 1, res.Compiled)
	// Without its data, the module's output is zero bytes, not its JSON.
	out, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.ErrorIs(t, out.Reports[0].Err, wasmhook.ErrOutputNotJSON)
}

// sectionStart returns the offset of the first section of id in a module.
func sectionStart(t *testing.T, bin []byte, id byte) int {
	t.Helper()
	for off := 8; off < len(bin); {
		start := off
		sid := bin[off]
		off++
		size, shift := 0, 0
		for {
			b := bin[off]
			off++
			size |= int(b&0x7f) << shift
			shift += 7
			if b < 0x80 {
				break
			}
		}
		if sid == id {
			return start
		}
		off += size
	}
	t.Fatalf("no section %d", id)
	return 0
}
