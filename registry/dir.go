package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
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
	// Modules holds per-module options by callback name. A name with no
	// module file in the directory is an error.
	Modules map[string]runtime.ModuleOptions
	// SkipInvalid loads the valid modules and reports the others in the
	// returned skipped list, instead of failing.
	SkipInvalid bool
}

// ModuleFiles lists the module files of dir in load order: every *.wasm
// entry but dotfiles, sorted by file name (byte order).
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

// LoadDir loads every module of dir (see ModuleFiles) with eng and appends
// them to r in load order. Modules compile in parallel. On error nothing is
// added and whatever was loaded is closed; the error names the file. With
// opts.SkipInvalid the valid modules are added and the errors of the
// others are returned as skipped.
func (r *Registry) LoadDir(ctx context.Context, eng *runtime.Engine, dir string, opts LoadOptions) (skipped []error, err error) {
	files, err := ModuleFiles(dir)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]bool, len(files))
	for _, f := range files {
		byName[NameOf(f)] = true
	}
	var unknown []string
	for name := range opts.Modules {
		if !byName[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("settings for module %q, but there is no %s in %s", unknown[0], unknown[0]+Ext, dir)
	}

	mods := make([]*runtime.Module, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, goruntime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, file := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			mods[i], errs[i] = loadFile(ctx, eng, file, opts.Modules[NameOf(file)])
		}()
	}
	wg.Wait()

	var loaded []Callback
	for i := range files {
		if errs[i] != nil {
			skipped = append(skipped, errs[i])
			continue
		}
		loaded = append(loaded, ModuleCallback{mods[i]})
	}
	closeAll := func() {
		for _, m := range mods {
			if m != nil {
				m.Close(ctx)
			}
		}
	}
	if len(skipped) > 0 && !opts.SkipInvalid {
		closeAll()
		return nil, skipped[0]
	}
	if err := r.Add(loaded...); err != nil {
		closeAll()
		return nil, err
	}
	return skipped, nil
}

func loadFile(ctx context.Context, eng *runtime.Engine, file string, opts runtime.ModuleOptions) (*runtime.Module, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Reason: "cannot stat", Err: unwrapPath(err)}
	}
	if !info.Mode().IsRegular() {
		return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Reason: "not a regular file"}
	}
	bin, err := os.ReadFile(file)
	if err != nil {
		return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Reason: "cannot read", Err: unwrapPath(err)}
	}
	return eng.Load(ctx, NameOf(file), file, bin, opts)
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
