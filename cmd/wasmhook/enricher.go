package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/units"
)

//go:embed sample-event.json
var sampleEvent []byte

// enricherFlags are the flags run, bench and test share: the modules, the
// event, the limits and the compilation cache.
type enricherFlags struct {
	dir, event, cache string
	noCache           bool
	timeout           time.Duration
	memory            byteSize
	output            byteSize
	configs           configFlag
	nests             nestFlag
	failOnCollision   bool
	skipInvalid       bool
	// files are module files named as arguments, run in that order.
	files []string
}

func (f *enricherFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.event, "event", "", "event file, - for stdin: wasmhook's event JSON or a captured NetBox webhook body (default: a bundled sample NetBox event)")
	f.registerModules(fs)
}

// registerModules registers the flags but --event.
func (f *enricherFlags) registerModules(fs *flag.FlagSet) {
	d := wasmhook.DefaultLimits()
	fs.StringVar(&f.dir, "modules", "", "modules directory: every *.wasm in it, in file-name order (or name module files as arguments)")
	fs.StringVar(&f.cache, "cache", "", "compilation cache directory (default "+defaultCacheDir()+")")
	fs.BoolVar(&f.noCache, "no-cache", false, "compile every module afresh, with no compilation cache")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit per call (default "+d.Timeout.String()+")")
	fs.Var(&f.memory, "memory", "memory limit per instance, e.g. 32MiB (default "+formatBytes(uint64(d.MemoryBytes))+")")
	fs.Var(&f.output, "output-limit", "output limit per call, e.g. 16KiB (default "+formatBytes(uint64(d.OutputBytes))+")")
	fs.Var(&f.configs, "config", "NAME=JSON: the configuration of module NAME (repeatable)")
	fs.Var(&f.nests, "nest", "NAME or NAME=KEY: place module NAME's output under context[NAME] (or context[KEY]) (repeatable)")
	fs.BoolVar(&f.failOnCollision, "fail-on-collision", false, "a module that sets a context key an earlier module set fails, instead of winning")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "load the valid modules and report the others, instead of failing")
}

// modules takes the command's arguments as module files; with none,
// --modules is required.
func (f *enricherFlags) modules(cmd string, args []string) error {
	switch {
	case len(args) > 0 && f.dir != "":
		return hintErr(cmd, errors.New("give --modules DIR or module files, not both"))
	case len(args) == 0 && f.dir == "":
		return hintErr(cmd, errors.New("name module files (plugin.wasm ...) or a directory with --modules DIR"))
	}
	f.files = args
	return nil
}

// where names the modules in messages.
func (f *enricherFlags) where() string {
	if f.dir != "" {
		return f.dir
	}
	return strings.Join(f.files, " ")
}

// readEvent reads the event the flags name.
func (f *enricherFlags) readEvent(io stdio) (*wasmhook.Event, error) {
	raw := sampleEvent
	if f.event != "" {
		var err error
		if raw, err = readInput(f.event, io.in); err != nil {
			return nil, usageErr(fmt.Errorf("event %s: %w", eventName(f.event), unwrapPath(err)))
		}
	}
	ev, err := readEvent(f.event, raw)
	if err != nil {
		return nil, usageErr(err)
	}
	return ev, nil
}

// cacheDir is the compilation cache directory in force, "" for none.
func (f *enricherFlags) cacheDir() (dir string, explicit bool, err error) {
	switch {
	case f.noCache && f.cache != "":
		return "", false, errors.New("--cache and --no-cache exclude each other")
	case f.noCache:
		return "", false, nil
	case f.cache != "":
		return f.cache, true, nil
	}
	return defaultCacheDir(), false, nil
}

// defaultCacheDir is where compiled modules are kept unless told
// otherwise: compiling a Go plugin takes most of a second, loading it
// from the cache a small part of that. "" when the system has no user
// cache directory.
func defaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "wasmhook")
}

// enricher is a wasmhook.Enricher over the modules the flags name.
type enricher struct {
	*wasmhook.Enricher
	// tmp is the directory that stands for module files named as
	// arguments, removed by close; links maps its links to those files.
	tmp   string
	links map[string]string
}

// userFile is a module's file as the user named it.
func (e *enricher) userFile(file string) string {
	if f, ok := e.links[file]; ok {
		return f
	}
	return file
}

func (e *enricher) close(ctx context.Context) {
	e.Close(ctx)
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}

// open validates the flags and loads the modules. It is the one place the
// command builds an Enricher.
func (f *enricherFlags) open(ctx context.Context, io stdio, logger *slog.Logger) (*enricher, error) {
	modules, err := f.configs.modules()
	if err != nil {
		return nil, usageErr(err)
	}
	for name, key := range f.nests {
		if modules == nil {
			modules = map[string]wasmhook.ModuleSettings{}
		}
		ms := modules[name]
		ms.Nest = wasmhook.Nest(key)
		modules[name] = ms
	}
	cache, explicit, err := f.cacheDir()
	if err != nil {
		return nil, usageErr(err)
	}
	if cache != "" && !explicit {
		// A default cache that cannot be made is no reason to fail: the
		// modules compile all the same, only slower.
		if err := os.MkdirAll(cache, 0o700); err != nil {
			logger.Warn("wasmhook: no compilation cache", "dir", cache, "error", err)
			cache = ""
		}
	}
	e := &enricher{}
	dir := f.dir
	if dir == "" {
		if dir, e.links, err = linkFiles(f.files, modules); err != nil {
			return nil, usageErr(err)
		}
		e.tmp = dir
	}
	e.Enricher, err = wasmhook.New(ctx, wasmhook.Options{
		Dir: dir,
		Limits: wasmhook.Limits{
			Timeout:     f.timeout,
			MemoryBytes: wasmhook.Bytes(f.memory),
			OutputBytes: wasmhook.Bytes(f.output),
		},
		Modules:             modules,
		SkipInvalid:         f.skipInvalid,
		FailOnCollision:     f.failOnCollision,
		CompilationCacheDir: cache,
		Logger:              logger,
	})
	if err != nil {
		if e.tmp != "" {
			os.RemoveAll(e.tmp)
		}
		// An error names the file as the user named it, not its link.
		for link, file := range e.links {
			var le *wasmhook.LoadError
			if errors.As(err, &le) && le.File == link {
				le.File = file
				err = le // what wrapped it only said "wasmhook: "
			}
		}
		return nil, usageErr(err)
	}
	return e, nil
}

// linkFiles makes a modules directory that stands for module files named
// on the command line: a link to each, under its callback name (the file
// name without its extension), and a settings file that orders them as
// given. It returns the directory and, for each link, the file it stands
// for.
func linkFiles(files []string, modules map[string]wasmhook.ModuleSettings) (string, map[string]string, error) {
	names := make([]string, len(files))
	byName := map[string]string{}
	for i, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		if name == "" || strings.HasPrefix(name, ".") {
			return "", nil, fmt.Errorf("%s: a module's name (its file name without the extension) must not be empty or start with a dot", file)
		}
		if other, ok := byName[name]; ok {
			return "", nil, fmt.Errorf("%s and %s: two modules named %s; rename one", other, file, name)
		}
		if st, err := os.Stat(file); err != nil {
			return "", nil, fmt.Errorf("%s: %w", file, unwrapPath(err))
		} else if st.IsDir() {
			return "", nil, fmt.Errorf("%s is a directory: use --modules %s", file, file)
		}
		byName[name], names[i] = file, name
	}
	for name := range modules {
		if byName[name] == "" {
			return "", nil, fmt.Errorf("--config %s: no module file named %s.wasm among the files given", name, name)
		}
	}
	dir, err := os.MkdirTemp("", "wasmhook-modules-")
	if err != nil {
		return "", nil, err
	}
	links := map[string]string{}
	for i, file := range files {
		abs, err := filepath.Abs(file)
		if err == nil {
			link := filepath.Join(dir, names[i]+".wasm")
			links[link] = file
			err = os.Symlink(abs, link)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
	}
	order, _ := json.Marshal(map[string][]string{"order": names})
	if err := os.WriteFile(filepath.Join(dir, "wasmhook.json"), order, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, links, nil
}

// configFlag collects --config NAME=JSON.
type configFlag map[string]string

func (c *configFlag) String() string { return "" }

func (c *configFlag) Set(v string) error {
	name, cfg, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=JSON")
	}
	if *c == nil {
		*c = configFlag{}
	}
	(*c)[name] = cfg
	return nil
}

// nestFlag collects --nest NAME (under the callback's name) and --nest
// NAME=KEY.
type nestFlag map[string]string

func (n *nestFlag) String() string { return "" }

func (n *nestFlag) Set(v string) error {
	name, key, ok := strings.Cut(v, "=")
	switch {
	case name == "" || (ok && key == ""):
		return errors.New("want NAME or NAME=KEY")
	case !ok:
		key = string(wasmhook.NestByName)
	}
	if *n == nil {
		*n = nestFlag{}
	}
	(*n)[name] = key
	return nil
}

func (c configFlag) modules() (map[string]wasmhook.ModuleSettings, error) {
	if len(c) == 0 {
		return nil, nil
	}
	m := make(map[string]wasmhook.ModuleSettings, len(c))
	for name, cfg := range c {
		if !json.Valid([]byte(cfg)) {
			return nil, fmt.Errorf("--config %s: not JSON: %s", name, cfg)
		}
		m[name] = wasmhook.ModuleSettings{Config: []byte(cfg)}
	}
	return m, nil
}

// byteSize is a flag of bytes: 1048576, 1MiB, 512KiB, 64kB.
type byteSize uint64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return formatBytes(uint64(*b))
}

func (b *byteSize) Set(s string) error {
	n, err := units.ParseBytes(s)
	*b = byteSize(n)
	return err
}

var formatBytes = units.FormatBytes
