package runtime

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/kv"
)

// ErrClosed is returned by calls on a closed Engine or Module.
var ErrClosed = errors.New("wasmhook: closed")

// Config configures an Engine. The zero value is ready to use.
type Config struct {
	// Limits are the engine-wide limits; zero fields take DefaultLimits.
	Limits Limits
	// CompilationCacheDir, when set, keeps compiled machine code on disk so
	// that a later process loads the same modules many times faster.
	CompilationCacheDir string
	// Logger receives guest log lines, stderr and the engine's warnings.
	// Nil means slog.Default().
	Logger *slog.Logger
	// KV is the store of modules' kv_get, kv_set and kv_delete. Nil means
	// one in this process's memory, each module's keys bounded (1 MiB by
	// default; a module's KVBytes).
	KV KV
}

// Engine owns one wazero runtime with the WASI and wasmhook_v1 host modules.
// It is safe for concurrent use.
type Engine struct {
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	limits   Limits
	logger   *slog.Logger
	wasiDefs map[string]api.FunctionDefinition
	kv       KV

	mu      sync.Mutex
	modules map[*Module]struct{}
	closed  bool

	// compiling serializes the compilation of identical bytes: wazero
	// v1.12 publishes a module it read from the compilation cache before
	// that module is complete, and a second compilation of the same bytes
	// running at that moment instantiates the incomplete one (a crash in
	// wazero found by TestReloadUnderLoad). Different modules still
	// compile in parallel. An entry lives while compilations hold it, so
	// that reloading new bytes forever does not grow the map.
	compileMu sync.Mutex
	compiling map[[sha256.Size]byte]*compileLock
}

// compileLock is held by the compilation of some bytes; refs counts the
// compilations of those bytes running or waiting.
type compileLock struct {
	sync.Mutex
	refs int
}

// compile compiles bin, one compilation at a time for the same bytes.
func (e *Engine) compile(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
	key := sha256.Sum256(bin)
	e.compileMu.Lock()
	if e.compiling == nil {
		e.compiling = map[[sha256.Size]byte]*compileLock{}
	}
	l := e.compiling[key]
	if l == nil {
		l = new(compileLock)
		e.compiling[key] = l
	}
	l.refs++
	e.compileMu.Unlock()
	defer func() {
		e.compileMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(e.compiling, key)
		}
		e.compileMu.Unlock()
	}()
	l.Lock()
	defer l.Unlock()
	return e.rt.CompileModule(ctx, bin)
}

// NewEngine creates a wazero runtime (the compiler engine where the platform
// has one) with the host modules instantiated.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	e := &Engine{
		limits:  cfg.Limits.resolved(),
		logger:  cfg.Logger,
		modules: map[*Module]struct{}{},
		kv:      cfg.KV,
	}
	if e.kv == nil {
		e.kv = kv.NewMemory(kv.Limits{}, nil)
	}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	// No WithCloseOnContextDone: guests are stopped by the stop flag that
	// instrument adds to every module (see instrument.go for why).
	rc := wazero.NewRuntimeConfig()
	if cfg.CompilationCacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhook: compilation cache %s: %w", cfg.CompilationCacheDir, err)
		}
		e.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	e.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.Close(ctx)
		return nil, fmt.Errorf("wasmhook: instantiate WASI: %w", err)
	}
	if err := instantiateHost(ctx, e.rt); err != nil {
		e.Close(ctx)
		return nil, fmt.Errorf("wasmhook: instantiate %s: %w", abi.ImportModule, err)
	}
	e.wasiDefs = e.rt.Module(abi.WASIModule).ExportedFunctionDefinitions()
	return e, nil
}

// Loaded returns how many modules are loaded and not yet closed.
func (e *Engine) Loaded() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.modules)
}

// Limits returns the engine-wide limits, every field set.
func (e *Engine) Limits() Limits { return e.limits }

// Close closes every module loaded by the engine, then the runtime and the
// compilation cache. Calls in flight finish first.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	mods := make([]*Module, 0, len(e.modules))
	for m := range e.modules {
		mods = append(mods, m)
	}
	e.mu.Unlock()
	var errs []error
	for _, m := range mods {
		errs = append(errs, m.Close(ctx))
	}
	if e.rt != nil {
		errs = append(errs, e.rt.Close(ctx))
	}
	if e.cache != nil {
		errs = append(errs, e.cache.Close(ctx))
	}
	return errors.Join(errs...)
}

func (e *Engine) track(m *Module) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.modules[m] = struct{}{}
	return nil
}

func (e *Engine) untrack(m *Module) {
	e.mu.Lock()
	delete(e.modules, m)
	e.mu.Unlock()
}
