package wasmhook

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wasmhook/wasmhook/registry"
)

// WatchOptions configure Watch. The zero value is ready to use.
type WatchOptions struct {
	// Debounce is how long the directory must be quiet before a rescan:
	// copying a module writes it in many events. Zero means 250 ms.
	Debounce time.Duration
	// MaxWait bounds how long a stream of changes that never goes quiet
	// for Debounce (a file rewritten every 100 ms) delays a rescan: there
	// is one at most MaxWait after the first change of the stream. Zero
	// means 4 × Debounce; a value below Debounce means Debounce.
	MaxWait time.Duration
	// Interval rescans the directory this often even without events, for
	// file systems that send none (NFS, some container mounts). Zero means
	// 30 s; a negative value turns it off.
	Interval time.Duration
	// OnReload, when set, is called after every rescan with its result or
	// error (a failed reload leaves the previous callbacks in force). Each
	// is also logged.
	OnReload func(*ReloadResult, error)
}

// watchRetry is how often Watch looks for a modules directory that is gone
// and whose parent it cannot watch for it either.
const watchRetry = time.Second

// Watch reloads the modules directory whenever it changes, until ctx is
// done or the enricher is closed, and returns ctx's error or ErrClosed
// then (or an error at once when the directory cannot be watched). Close
// ends a running Watch: its watcher (and file descriptor) is released
// before Close returns.
//
// Any event for a file that is not a dotfile or an editor's temporary or
// swap file counts as "something changed": Watch waits for Debounce of
// quiet (MaxWait at most), then calls Reload, which finds out what.
//
// Symbolic links are followed: a module or settings file that is a link
// is watched through every link on its way and at its target, wherever
// they are, so that a Kubernetes ConfigMap or Secret volume (files linked
// through a "..data" link that is swapped to a new directory) reloads when
// it is updated, and so does a directory whose own path goes through a
// link that is swapped.
//
// A modules directory that is deleted or renamed away is watched for: the
// rescans fail while it is gone (reported to OnReload and logged, the
// previous callbacks staying in force), and it is watched and reloaded
// again when it comes back.
//
// To replace a module safely, write the new file under a temporary name (a
// dotfile, or one not ending in .wasm) and rename it over the old one: a
// rename is atomic, so a reload never sees a file half-written that way.
// A file written in place can be read while it is half-written; the
// debounce makes that unlikely, not impossible, and a half-written module
// is not always refused: a prefix of a module can be a valid module (cut
// before its data section, it loads without its data). Only the rename
// rules that out.
func (e *Enricher) Watch(ctx context.Context, opts WatchOptions) error {
	if e.opts.Dir == "" {
		return errors.New("wasmhook: watch: no modules directory")
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 250 * time.Millisecond
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = 4 * opts.Debounce
	}
	opts.MaxWait = max(opts.MaxWait, opts.Debounce)
	if opts.Interval == 0 {
		opts.Interval = 30 * time.Second
	}
	dir, err := filepath.Abs(e.opts.Dir)
	if err != nil {
		return fmt.Errorf("wasmhook: watch %s: %w", e.opts.Dir, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("wasmhook: watch: %w", err)
	}
	if !e.watches.add(w) {
		w.Close()
		return ErrClosed
	}
	defer e.watches.remove(w)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("wasmhook: watch %s: %w", e.opts.Dir, err)
	}
	d := &dirWatch{w: w, dir: dir, watching: true, extra: map[string]bool{}}

	// A change starts a burst; the rescan comes after Debounce of quiet,
	// or MaxWait after the burst's start, whichever is first.
	var burst time.Time
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	changed := func() {
		now := time.Now()
		if burst.IsZero() {
			burst = now
		}
		debounce.Reset(min(opts.Debounce, burst.Add(opts.MaxWait).Sub(now)))
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	rewatch := func() {
		wasWatching := d.watching
		if err := d.rewatch(); err != nil {
			if wasWatching {
				e.logger.Warn("wasmhook: watch: the modules directory is gone; waiting for it to come back", "dir", e.opts.Dir, "error", err)
			}
			retry.Reset(watchRetry)
			return
		}
		if !wasWatching {
			e.logger.Info("wasmhook: watch: the modules directory is back", "dir", e.opts.Dir)
		}
	}
	var tick <-chan time.Time
	if opts.Interval > 0 {
		t := time.NewTicker(opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	reload := func(why string) error {
		res, err := e.Reload(ctx)
		if errors.Is(err, ErrClosed) {
			return ErrClosed
		}
		if err != nil {
			e.logger.Error("wasmhook: reload failed; the previous callbacks stay in force", "reason", why, "error", err)
		} else if res.Compiled > 0 || res.Removed > 0 || len(res.Skipped) > 0 {
			e.logger.Info("wasmhook: reloaded", "reason", why, "callbacks", len(res.Callbacks),
				"compiled", res.Compiled, "reused", res.Reused, "removed", res.Removed, "skipped", len(res.Skipped))
		}
		d.follow()
		if opts.OnReload != nil {
			opts.OnReload(res, err)
		}
		return nil
	}
	stopped := func() error {
		if e.closed.Load() {
			return ErrClosed
		}
		return errors.New("wasmhook: watch: the watcher stopped")
	}

	// Catch what changed between the last load and the watch's start.
	if err := reload("start"); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return stopped()
			}
			switch name := filepath.Clean(ev.Name); {
			case d.dirKeys[name]:
				// The directory itself, or a link on its path, changed:
				// its path may lead to another directory now.
				rewatch()
				changed()
			case d.fileKeys[name], filepath.Dir(name) == d.dir && relevant(name):
				changed()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return stopped()
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: only a full rescan can tell what changed.
				changed()
				continue
			}
			e.logger.Warn("wasmhook: watch", "error", err)
		case <-retry.C:
			if rewatch(); d.watching {
				changed()
			}
		case <-debounce.C:
			burst = time.Time{}
			if err := reload("change"); err != nil {
				return err
			}
		case <-tick:
			if !d.watching {
				rewatch()
			}
			if err := reload("interval"); err != nil {
				return err
			}
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

// dirWatch is what one Watch watches besides the directory's own entries.
type dirWatch struct {
	w   *fsnotify.Watcher
	dir string // absolute
	// watching: the directory itself is watched (it was there when last
	// added).
	watching bool
	// dirKeys are the directory's path and the links on its way: a change
	// to one may put another directory under the path.
	dirKeys map[string]bool
	// fileKeys are the links that module and settings files go through,
	// and their targets: a change to one may change a module.
	fileKeys map[string]bool
	// extra are the directories watched for dirKeys and fileKeys.
	extra map[string]bool
}

// rewatch watches the directory's path anew: the path may lead to another
// directory than the one watched (deleted and made again, renamed away,
// reached through a link that changed).
func (d *dirWatch) rewatch() error {
	_ = d.w.Remove(d.dir) // fails when the watch went with its directory
	err := d.w.Add(d.dir)
	d.watching = err == nil
	return err
}

// follow recomputes dirKeys and fileKeys from the directory as it is and
// watches the directories they are in.
func (d *dirWatch) follow() {
	d.dirKeys = map[string]bool{d.dir: true}
	root := filepath.VolumeName(d.dir) + string(filepath.Separator)
	links, _ := trail(root, strings.TrimPrefix(d.dir, root))
	for _, l := range links {
		d.dirKeys[l] = true
	}
	d.fileKeys = map[string]bool{}
	files, _ := registry.ModuleFiles(d.dir)
	for _, name := range registry.SettingsFileNames() {
		files = append(files, filepath.Join(d.dir, name))
	}
	for _, f := range files {
		if fi, err := os.Lstat(f); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue // an entry of the directory: its events come anyway
		}
		links, end := trail(d.dir, filepath.Base(f))
		for _, p := range append(links, end) {
			d.fileKeys[p] = true
		}
	}
	want := map[string]bool{}
	for p := range d.dirKeys {
		want[filepath.Dir(p)] = true
	}
	for p := range d.fileKeys {
		want[filepath.Dir(p)] = true
	}
	delete(want, d.dir)
	for p := range d.extra {
		if !want[p] {
			_ = d.w.Remove(p)
			delete(d.extra, p)
		}
	}
	for p := range want {
		// Added again every time: a directory deleted and made again
		// under the same path needs a new watch.
		if d.w.Add(p) == nil {
			d.extra[p] = true
		}
	}
}

// trail follows the path base/rest as the kernel would, base taken as it
// is, and returns the symbolic links met on the way and the path reached
// (which may not exist: the first missing component ends the trail).
func trail(base, rest string) (links []string, end string) {
	sep := string(filepath.Separator)
	for hops := 0; rest != ""; {
		comp, tail, _ := strings.Cut(rest, sep)
		rest = tail
		switch comp {
		case "", ".":
			continue
		case "..":
			if real, err := filepath.EvalSymlinks(base); err == nil {
				base = real
			}
			base = filepath.Dir(base)
			continue
		}
		p := filepath.Join(base, comp)
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			base = p
			if err != nil {
				return links, p
			}
			continue
		}
		links = append(links, p)
		target, err := os.Readlink(p)
		if hops++; err != nil || hops > 40 { // the kernel's limit
			return links, p
		}
		if filepath.IsAbs(target) {
			base = filepath.VolumeName(target) + sep
			target = target[len(base):]
		}
		rest = target + sep + rest
	}
	return links, base
}

// watchSet holds the watchers of the running Watch calls, so that Close
// can end them.
type watchSet struct {
	mu     sync.Mutex
	closed bool
	open   map[*fsnotify.Watcher]bool
}

// add registers w, or reports false once the set is closed.
func (s *watchSet) add(w *fsnotify.Watcher) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.open == nil {
		s.open = map[*fsnotify.Watcher]bool{}
	}
	s.open[w] = true
	return true
}

// remove closes w and forgets it.
func (s *watchSet) remove(w *fsnotify.Watcher) {
	s.mu.Lock()
	delete(s.open, w)
	s.mu.Unlock()
	w.Close()
}

// close closes every watcher: each Watch sees its events end and returns.
// Watchers added later are refused.
func (s *watchSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for w := range s.open {
		w.Close()
	}
}
