package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// Ext is the file name extension of callback modules.
const Ext = ".wasm"

// LoadOptions configure LoadDir. The zero value loads every module with the
// engine's limits and no configuration.
type LoadOptions struct {
	// Modules holds per-module options by callback name, under the
	// directory's settings file (whose fields win where both set one). A
	// name with no module file in the directory is an error, unless
	// IgnoreUnmatched is set.
	Modules map[string]ModuleSettings
	// IgnoreUnmatched makes settings that name a module the directory
	// does not hold (in Modules, or in the settings file's modules or
	// order) no error: they are ignored and listed in Loaded.Unmatched.
	// An enricher sets it for every load after its first, so that
	// deleting a module file never stops the directory from reloading.
	IgnoreUnmatched bool
	// SkipInvalid loads the valid modules and reports the others in
	// Loaded.Skipped, instead of failing.
	SkipInvalid bool
	// Previous are the callbacks of an earlier load of the directory: a
	// module whose bytes and options have not changed is reused as it is,
	// not compiled again.
	Previous []Callback
}

// Loaded is the result of LoadDir.
type Loaded struct {
	// Callbacks are the loaded modules in load order.
	Callbacks []Callback
	// Skipped are the load errors of modules left out (SkipInvalid).
	Skipped []error
	// Settings is the directory's settings file, empty when it has none.
	Settings *Settings
	// Compiled and Reused count the modules compiled by this load and
	// those taken over from Previous.
	Compiled, Reused int
	// Unmatched are the settings ignored because they name a module the
	// directory does not hold (IgnoreUnmatched), in the order the errors
	// of a strict load would come: the file's modules, its order, then
	// LoadOptions.Modules, each sorted by name.
	Unmatched []Unmatched
}

// Unmatched is a setting that names a module the directory does not hold;
// a strict load fails with it.
type Unmatched struct {
	// Name is the callback name the setting names.
	Name string
	// File is the settings file, "" for LoadOptions.Modules.
	File string
	// Key is the setting's key in the file ("modules.NAME", "order[1]"),
	// "" for LoadOptions.Modules.
	Key string
	// Dir is the modules directory.
	Dir string
}

// Error says what is wrong, naming the file and the key, as a strict load
// does.
func (u Unmatched) Error() string {
	if u.File == "" {
		return fmt.Sprintf("settings for module %q, but there is no %s in %s", u.Name, u.Name+Ext, u.Dir)
	}
	return fmt.Sprintf("%v: %s: %s: there is no %s in %s", ErrSettings, u.File, u.Key, u.Name+Ext, u.Dir)
}

// Unwrap returns ErrSettings for a setting of the settings file.
func (u Unmatched) Unwrap() error {
	if u.File == "" {
		return nil
	}
	return ErrSettings
}

// ModuleFiles lists the module files of dir in file-name order: every
// *.wasm entry but dotfiles, sorted by name (byte order).
func ModuleFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("modules directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, Ext) {
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	sort.Strings(files) // ReadDir sorts already; the order is the contract
	return files, nil
}

// NameOf returns the callback name of a module file: its base name without
// the extension.
func NameOf(file string) string {
	return strings.TrimSuffix(filepath.Base(file), Ext)
}

// LoadDir loads the modules of dir with eng, in load order: the settings
// file's order first, then file-name order. Modules compile in parallel.
// On error nothing stays open that this call opened, and the error names
// the file (and the key, for a settings file). LoadDir closes nothing of
// opts.Previous.
func LoadDir(ctx context.Context, eng *runtime.Engine, dir string, opts LoadOptions) (*Loaded, error) {
	settings, err := ReadSettings(dir)
	if err != nil {
		return nil, err
	}
	files, err := ModuleFiles(dir)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]string, len(files))
	for _, f := range files {
		byName[NameOf(f)] = f
	}
	unmatched, err := checkSettings(settings, opts.Modules, byName, dir)
	if err != nil {
		return nil, err
	}
	if len(unmatched) > 0 && !opts.IgnoreUnmatched {
		return nil, unmatched[0]
	}
	files = ordered(files, settings.Order)

	previous := map[string]*ModuleCallback{}
	for _, cb := range opts.Previous {
		if m, ok := cb.(*ModuleCallback); ok {
			previous[m.Name()] = m
		}
	}

	type slot struct {
		file   string
		opts   ModuleSettings
		cb     *ModuleCallback
		err    error
		reused bool
	}
	var slots []*slot
	for _, f := range files {
		mo := settings.Modules[NameOf(f)].Over(opts.Modules[NameOf(f)])
		if !mo.Disabled {
			slots = append(slots, &slot{file: f, opts: mo})
		}
	}
	sem := make(chan struct{}, goruntime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.cb, s.reused, s.err = loadFile(ctx, eng, s.file, s.opts, previous[NameOf(s.file)])
		}()
	}
	wg.Wait()

	loaded := &Loaded{Settings: settings, Unmatched: unmatched}
	for _, s := range slots {
		switch {
		case s.err != nil:
			loaded.Skipped = append(loaded.Skipped, s.err)
		case s.reused:
			loaded.Reused++
			loaded.Callbacks = append(loaded.Callbacks, s.cb)
		default:
			loaded.Compiled++
			loaded.Callbacks = append(loaded.Callbacks, s.cb)
		}
	}
	if len(loaded.Skipped) > 0 && !opts.SkipInvalid {
		for _, s := range slots {
			if s.cb != nil && !s.reused {
				s.cb.Close(ctx)
			}
		}
		return nil, loaded.Skipped[0]
	}
	return loaded, nil
}

// checkSettings lists the settings that name a module the directory does
// not hold; a name listed twice in order is an error.
func checkSettings(s *Settings, api map[string]ModuleSettings, byName map[string]string, dir string) ([]Unmatched, error) {
	var unmatched []Unmatched
	for _, name := range slices.Sorted(maps.Keys(s.Modules)) {
		if _, ok := byName[name]; !ok {
			unmatched = append(unmatched, Unmatched{Name: name, File: s.File, Key: "modules." + name, Dir: dir})
		}
	}
	seen := map[string]bool{}
	for i, name := range s.Order {
		if seen[name] {
			return nil, fmt.Errorf("%w: %s: order[%d]: %s is listed twice", ErrSettings, s.File, i, name)
		}
		seen[name] = true
		if _, ok := byName[name]; !ok {
			unmatched = append(unmatched, Unmatched{Name: name, File: s.File, Key: fmt.Sprintf("order[%d]", i), Dir: dir})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(api)) {
		if _, ok := byName[name]; !ok {
			unmatched = append(unmatched, Unmatched{Name: name, Dir: dir})
		}
	}
	return unmatched, nil
}

// ordered puts the files named in order first, in that order.
func ordered(files, order []string) []string {
	if len(order) == 0 {
		return files
	}
	rank := make(map[string]int, len(order))
	for i, name := range order {
		rank[name] = i
	}
	out := slices.Clone(files)
	sort.SliceStable(out, func(i, j int) bool {
		ri, iok := rank[NameOf(out[i])]
		rj, jok := rank[NameOf(out[j])]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return false
	})
	return out
}

// loadFile reads and loads one module (see readModule), or reuses prev when
// the file's bytes and the options that shape the module are unchanged.
func loadFile(ctx context.Context, eng *runtime.Engine, file string, opts ModuleSettings, prev *ModuleCallback) (*ModuleCallback, bool, error) {
	bin, err := readModule(file)
	if err != nil {
		return nil, false, err
	}
	hash := sha256.Sum256(bin)
	if prev != nil && prev.Hash == hash && prev.Settings.Limits == opts.Limits && bytes.Equal(prev.Settings.Config, opts.Config) &&
		sameHTTP(prev.Settings.HTTP, opts.HTTP) && prev.Settings.KV == opts.KV {
		if prev.Settings.OnFailure.orSkip() == opts.OnFailure.orSkip() && prev.Settings.Nest == opts.Nest {
			return prev, true, nil // nothing changed: the same callback
		}
		return &ModuleCallback{Module: prev.Module, Hash: hash, Settings: opts}, true, nil
	}
	policy, err := opts.HTTP.policy(NameOf(file))
	if err != nil {
		return nil, false, &abi.LoadError{File: file, Kind: abi.ErrBadConfig, Reason: "http settings", Err: err}
	}
	m, err := eng.Load(ctx, NameOf(file), file, bin, runtime.ModuleOptions{Config: opts.Config, Limits: opts.Limits,
		HTTP: policy, KVBytes: int64(opts.KV.MaxBytes)})
	if err != nil {
		return nil, false, err
	}
	return &ModuleCallback{Module: m, Hash: hash, Settings: opts}, false, nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path the LoadError
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
