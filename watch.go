package wasmhook

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchOptions configure Watch. The zero value is ready to use.
type WatchOptions struct {
	// Debounce is how long the directory must be quiet before a rescan:
	// copying a module writes it in many events. Zero means 250 ms.
	Debounce time.Duration
	// Interval rescans the directory this often even without events, for
	// file systems that send none (NFS, some container mounts). Zero means
	// 30 s; a negative value turns it off.
	Interval time.Duration
	// OnReload, when set, is called after every rescan with its result or
	// error (a failed reload leaves the previous callbacks in force). Each
	// is also logged.
	OnReload func(*ReloadResult, error)
}

// Watch reloads the modules directory whenever it changes, until ctx is
// done, and returns ctx's error then (or an error at once when the
// directory cannot be watched).
//
// Any event for a file that is not a dotfile or an editor's temporary or
// swap file counts as "something changed": Watch waits for Debounce of
// quiet, then calls Reload, which finds out what. To replace a module
// safely, write the new file under a temporary name (a dotfile, or one
// not ending in .wasm) and rename it over the old one: a rename is atomic,
// so a reload never sees half a module.
func (e *Enricher) Watch(ctx context.Context, opts WatchOptions) error {
	if e.opts.Dir == "" {
		return errors.New("wasmhook: watch: no modules directory")
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 250 * time.Millisecond
	}
	if opts.Interval == 0 {
		opts.Interval = 30 * time.Second
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("wasmhook: watch: %w", err)
	}
	defer w.Close()
	if err := w.Add(e.opts.Dir); err != nil {
		return fmt.Errorf("wasmhook: watch %s: %w", e.opts.Dir, err)
	}

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var tick <-chan time.Time
	if opts.Interval > 0 {
		t := time.NewTicker(opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	reload := func(why string) {
		res, err := e.Reload(ctx)
		switch {
		case err != nil && errors.Is(err, ErrClosed):
		case err != nil:
			e.logger.Error("wasmhook: reload failed; the previous callbacks stay in force", "reason", why, "error", err)
		case res.Compiled > 0 || res.Removed > 0 || len(res.Skipped) > 0:
			e.logger.Info("wasmhook: reloaded", "reason", why, "callbacks", len(res.Callbacks),
				"compiled", res.Compiled, "reused", res.Reused, "removed", res.Removed, "skipped", len(res.Skipped))
		}
		if opts.OnReload != nil {
			opts.OnReload(res, err)
		}
	}
	// Catch what changed between the last load and the watch's start.
	reload("start")
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("wasmhook: watch: the watcher stopped")
			}
			if relevant(ev.Name) {
				debounce.Reset(opts.Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("wasmhook: watch: the watcher stopped")
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: only a full rescan can tell what changed.
				debounce.Reset(opts.Debounce)
				continue
			}
			e.logger.Warn("wasmhook: watch", "error", err)
		case <-debounce.C:
			reload("change")
		case <-tick:
			reload("interval")
		}
	}
}

// relevant reports whether a changed file may matter: dotfiles and editor
// temporary, backup and swap files do not.
func relevant(path string) bool {
	name := filepath.Base(path)
	switch {
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "#"), strings.HasSuffix(name, "~"), name == "4913":
		return false
	}
	return !slices.Contains([]string{".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload"}, filepath.Ext(name))
}
