package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmhook/wasmhook/abi"
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
}

// Engine owns one wazero runtime with the WASI and wasmhook_v1 host modules.
// It is safe for concurrent use.
type Engine struct {
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	limits   Limits
	logger   *slog.Logger
	wasiDefs map[string]api.FunctionDefinition

	mu      sync.Mutex
	modules map[*Module]struct{}
	closed  bool
}

// NewEngine creates a wazero runtime (the compiler engine where the platform
// has one) with the host modules instantiated.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	e := &Engine{
		limits:  cfg.Limits.resolved(),
		logger:  cfg.Logger,
		modules: map[*Module]struct{}{},
	}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(true)
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
