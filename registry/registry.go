// Package registry keeps the named callbacks of an enricher in load order:
// WebAssembly modules loaded from a directory ([Registry.LoadDir]) and
// native Go functions registered by name ([Registry.Register]), as NetBox's
// register_webhook_callback does for Python plugins.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// ErrDuplicate: a callback of that name is registered already.
var ErrDuplicate = errors.New("duplicate callback name")

// Invocation is one event as callbacks receive it.
type Invocation struct {
	// Input is the event, for native callbacks.
	abi.Input
	// Raw is the ABI input JSON (abi.AppendInput), for modules.
	Raw []byte
}

// Callback is one named callback. Implementations are safe for concurrent
// use.
type Callback interface {
	// Name is the callback's unique name.
	Name() string
	// Kind says how it runs: abi.KindReactor, abi.KindCommand or abi.KindGo.
	Kind() abi.Kind
	// File is the module file, "" for a native callback.
	File() string
	// Call runs the callback on one event and appends its raw output (JSON,
	// not yet validated; nothing for an empty result) to dst.
	Call(ctx context.Context, inv *Invocation, dst []byte) ([]byte, error)
	// Close releases what the callback holds.
	Close(ctx context.Context) error
}

// Func is a native Go callback. It may return nil (nothing to add), a
// map or struct that encoding/json encodes as an object, or json.RawMessage
// holding an object. A returned error or a panic is reported as
// abi.ErrGuest and the callback's result is dropped.
type Func func(ctx context.Context, in *abi.Input) (any, error)

// Registry holds callbacks in load order. The zero value is ready to use;
// it is safe for concurrent use.
type Registry struct {
	mu   sync.Mutex
	list atomic.Pointer[[]Callback]
}

// Callbacks returns the callbacks in load order. The slice is shared and
// never modified: adding a callback makes a new one.
func (r *Registry) Callbacks() []Callback {
	if p := r.list.Load(); p != nil {
		return *p
	}
	return nil
}

// Add appends callbacks, in order, failing with ErrDuplicate (and adding
// none of them) when a name is taken.
func (r *Registry) Add(cbs ...Callback) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.Callbacks()
	seen := make(map[string]bool, len(old)+len(cbs))
	for _, cb := range old {
		seen[cb.Name()] = true
	}
	for _, cb := range cbs {
		if seen[cb.Name()] {
			return fmt.Errorf("%w: %q", ErrDuplicate, cb.Name())
		}
		seen[cb.Name()] = true
	}
	list := make([]Callback, 0, len(old)+len(cbs))
	list = append(append(list, old...), cbs...)
	r.list.Store(&list)
	return nil
}

// Register appends a native Go callback under name.
func (r *Registry) Register(name string, fn Func) error {
	if name == "" {
		return errors.New("registry: empty callback name")
	}
	if fn == nil {
		return fmt.Errorf("registry: callback %q: nil function", name)
	}
	return r.Add(&goCallback{name: name, fn: fn})
}

// Close closes every callback and empties the registry.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	list := r.Callbacks()
	r.list.Store(nil)
	r.mu.Unlock()
	var errs []error
	for _, cb := range list {
		errs = append(errs, cb.Close(ctx))
	}
	return errors.Join(errs...)
}

// ModuleCallback adapts a loaded module to Callback.
type ModuleCallback struct{ *runtime.Module }

// Call implements Callback.
func (m ModuleCallback) Call(ctx context.Context, inv *Invocation, dst []byte) ([]byte, error) {
	return m.Module.Call(ctx, inv.Raw, dst)
}

// goCallback adapts a Func to Callback.
type goCallback struct {
	name string
	fn   Func
}

func (g *goCallback) Name() string                    { return g.name }
func (g *goCallback) Kind() abi.Kind                  { return abi.KindGo }
func (g *goCallback) File() string                    { return "" }
func (g *goCallback) Close(ctx context.Context) error { return nil }

func (g *goCallback) Call(ctx context.Context, inv *Invocation, dst []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = dst, abi.Errorf(g.name, abi.ErrGuest, "panic: %v", p)
		}
	}()
	ret, err := g.fn(ctx, &inv.Input)
	if err != nil {
		return dst, abi.NewCallError(g.name, abi.ErrGuest, err.Error(), err)
	}
	switch v := ret.(type) {
	case nil:
		return dst, nil
	case json.RawMessage:
		return append(dst, v...), nil
	}
	b, err := json.Marshal(ret)
	if err != nil {
		return dst, abi.NewCallError(g.name, abi.ErrOutputNotJSON, err.Error(), err)
	}
	if string(b) == "null" { // a nil map or pointer
		return dst, nil
	}
	return append(dst, b...), nil
}
